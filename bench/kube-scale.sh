#!/usr/bin/env bash
# bench/kube-scale.sh BUILD_DIR [REFERENCE_DRIFTGATE]: driftgate starting
# cold against a cluster holding 1,000 Helm releases x 10 revisions as
# Secret-driver records (90% superseded), on the real kube-apiserver and
# etcd of e2e/ (e2e/cluster.sh). The records are written straight through
# the API (8 keep-alive connections), each a real Helm record around the
# example chart's render. Measured: seconds from exec to /readyz 200, peak
# RSS (VmHWM) once ready and after the first audit pass, and the API
# requests driftgate made (the API server's audit log for its user, from
# start to SIGTERM). With REFERENCE_DRIFTGATE (another
# build, e.g. of the commit before, that has the listener flags
# --metrics-listen and --console-listen) the same is measured for it in the
# same run. Then, while it runs, BENCH_UPGRADES releases are upgraded the way
# Helm writes an upgrade (3 writes each): the time until driftgate serves
# every new revision, and the CPU it spent. BENCH_RELEASES, BENCH_REVISIONS,
# BENCH_NAMESPACES override the shape; RECORD=1 adds a row to
# bench/RESULTS.md.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
reference=${2:-}
if [ -n "$reference" ] && ! grep -q -- --console-listen <<<"$("$reference" --help 2>/dev/null)"; then
    echo "bench: $reference has no --console-listen; a reference must serve /api/v1 there" >&2
    exit 1
fi
root=$(cd "$(dirname "$0")/.." && pwd)
nrel=${BENCH_RELEASES:-1000}
nrev=${BENCH_REVISIONS:-10}
nns=${BENCH_NAMESPACES:-20}
nup=${BENCH_UPGRADES:-20}
work=$(mktemp -d /tmp/driftgate-scale.XXXXXX)
scratch=$work
# shellcheck source=../tests/lib.sh
. "$root/tests/lib.sh"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
# Every request driftgate makes, and nothing else, goes to the audit log.
cluster_audit_policy=$work/audit-policy.yaml
printf '%s\n' 'apiVersion: audit.k8s.io/v1' 'kind: Policy' 'omitStages: [RequestReceived]' 'rules:' \
    '  - level: Metadata' '    users: [driftgate]' '  - level: None' >"$cluster_audit_policy"
# shellcheck source=../e2e/cluster.sh
. "$root/e2e/cluster.sh"
cluster_up || exit 1
driftgate_user || exit 1
"$root/certs/driftgate-certs" init --dir "$work/tls" --ip 127.0.0.1 2>/dev/null

# ---- the records ----------------------------------------------------------------------------
for i in $(seq 0 $((nns - 1))); do kubectl create namespace "scale-$i" >/dev/null; done
cat >"$work/records.py" <<'PY'
# records.py create | upgrade FIRST COUNT: Helm Secret-driver records, made
# as Helm makes them (JSON, gzip, base64; the API adds one more base64), and
# an upgrade as Helm writes one: the new revision pending-upgrade, the old
# one superseded, the new one deployed.
import base64, concurrent.futures, gzip, http.client, json, os, ssl, sys, threading
render = open(os.environ["RENDER"]).read()
port, pki = int(os.environ["PORT"]), os.environ["PKI"]
nrel, nrev, nns = int(os.environ["NREL"]), int(os.environ["NREV"]), int(os.environ["NNS"])
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
local = threading.local()

def record(r, v, status):
    name, ns = "app-%04d" % r, "scale-%d" % (r % nns)
    rel = {"name": name, "namespace": ns, "version": v, "info": {"status": status},
           "chart": {"metadata": {"name": "nginx", "version": "0.1.0"}},
           "manifest": render.replace("test-nginx", name).replace("minReplicas: 6", "minReplicas: %d" % v)}
    inner = base64.b64encode(gzip.compress(json.dumps(rel).encode(), 9))
    return ns, {"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
                "metadata": {"name": "sh.helm.release.v1.%s.v%d" % (name, v), "namespace": ns,
                             "labels": {"owner": "helm", "name": name, "status": status, "version": str(v)}},
                "data": {"release": base64.b64encode(inner).decode()}}

def send(method, r, v, status):
    ns, body = record(r, v, status)
    path = "/api/v1/namespaces/%s/secrets" % ns
    if method == "PUT":
        path += "/" + body["metadata"]["name"]
    if not hasattr(local, "c"):
        local.c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    local.c.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
    resp = local.c.getresponse()
    resp.read()
    if resp.status not in (200, 201):
        raise SystemExit("%s %s: HTTP %d" % (method, body["metadata"]["name"], resp.status))

def upgrade(r):
    send("POST", r, nrev + 1, "pending-upgrade")
    send("PUT", r, nrev, "superseded")
    send("PUT", r, nrev + 1, "deployed")

with concurrent.futures.ThreadPoolExecutor(8) as pool:
    if sys.argv[1] == "create":
        jobs = [(r, v) for r in range(nrel) for v in range(1, nrev + 1)]
        list(pool.map(lambda j: send("POST", j[0], j[1], "deployed" if j[1] == nrev else "superseded"), jobs))
    else:
        first, count = int(sys.argv[2]), int(sys.argv[3])
        list(pool.map(upgrade, range(first, first + count)))
PY
records() { RENDER=$root/examples/release-baseline.yaml PORT=$apiserver_port PKI=$pki NREL=$nrel NREV=$nrev \
    NNS=$nns python3 "$work/records.py" "$@"; }
t0=$(date +%s.%N)
records create
[ $? -eq 0 ] || { echo "bench: writing the records failed" >&2; exit 1; }
write_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
total=$(kubectl get secrets -A -l owner=helm --no-headers | wc -l)
deployed=$(kubectl get secrets -A -l owner=helm,status=deployed --no-headers | wc -l)
echo "records: $total Helm Secret records ($deployed deployed) in $nns namespaces, written in ${write_s}s"

# ---- one cold start -------------------------------------------------------------------------
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
upgraded() { # FIRST COUNT: driftgate serves releases FIRST... at the upgraded revision
    test "$(gate /api/v1/releases | jq --argjson v $((nrev + 1)) --argjson a "$1" --argjson b $(($1 + $2)) \
        '[.releases[] | select(.revision == $v and (.name[4:] | tonumber) >= $a and (.name[4:] | tonumber) < $b)] | length')" -eq "$2"
}
# NAME DRIFTGATE FIRST: one cold start, then upgrades of releases FIRST...
# Prints "ready_s|hwm_ready|hwm_audit|requests|upgrade_s|upgrade_cpu_s".
measure() {
    local bin=$2 pid t0 ready hwm1 hwm2 reqs before cpu0 up_s up_cpu
    before=$(cat "$work/audit.log" 2>/dev/null | wc -l)
    t0=$(date +%s.%N)
    "$bin" "${gate_listen[@]}" --tls-cert "$work/tls/tls.crt" --tls-key "$work/tls/tls.key" \
        --kubeconfig "$work/driftgate.kubeconfig" --helm-secrets --baseline-namespace driftgate-system \
        --policy "$root/examples/policy.yaml" --audit-interval 5 2>"$work/$1.log" &
    pid=$!
    pids+=("$pid")
    until gate /readyz -f >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { echo "bench: $1 exited" >&2; return 1; }
        [ "$(seconds_since "$t0" | cut -d. -f1)" -lt 300 ] || { echo "bench: $1 never ready" >&2; return 1; }
        sleep 0.05
    done
    ready=$(seconds_since "$t0")
    # Every release, or the numbers mean nothing (more than one LIST page).
    served=$(gate /api/v1/releases | jq '.releases | length')
    [ "$served" -eq "$nrel" ] || { echo "bench: $1 serves $served releases of $nrel" >&2; return 1; }
    hwm1=$(awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
    sleep 8 # audit passes run 2 s after start, then every 5 s
    hwm2=$(awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
    cpu0=$(cpu_s "$pid")
    t0=$(date +%s.%N)
    records upgrade "$3" "$nup" || return 1
    until upgraded "$3" "$nup"; do
        [ "$(seconds_since "$t0" | cut -d. -f1)" -lt 600 ] || break
        sleep 0.2
    done
    up_s=$(seconds_since "$t0")
    up_cpu=$(awk -v a="$cpu0" -v b="$(cpu_s "$pid")" 'BEGIN {printf "%.2f", b - a}')
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    sleep 1
    # Its requests, by verb, as the API server's audit log has them (a watch
    # is logged when it ends): the same count for any build.
    reqs=$(tail -n +"$((before + 1))" "$work/audit.log" |
        jq -r 'select(.user.username == "driftgate" and .stage == "ResponseComplete") | .verb' |
        sort | uniq -c | awk '{printf "%s%s %s", sep, $2, $1; sep = ", "}')
    printf '%s|%s|%s|%s|%s|%s\n' "$ready" "$hwm1" "$hwm2" "$reqs" "$up_s" "$up_cpu"
}

row() { # NAME RESULT
    IFS='|' read -r ready hwm1 hwm2 reqs up_s up_cpu <<<"$2"
    printf '%-10s ready %6s s   VmHWM %4s MiB ready, %4s MiB after audit passes   requests: %s\n' \
        "$1" "$ready" "$hwm1" "$hwm2" "$reqs"
    printf '%-10s %s upgrades (%s writes) served after %s s, %s s of CPU\n' "" "$nup" "$((nup * 3))" "$up_s" "$up_cpu"
}
new=$(measure driftgate "$build/driftgate" 0) || exit 1
row driftgate "$new"
if [ -n "$reference" ]; then
    ref=$(measure reference "$reference" "$nup") || ref="|||failed||"
    row reference "$ref"
fi
IFS='|' read -r ready hwm1 hwm2 reqs up_s up_cpu <<<"$new"
verdict="ready under 10 s: $(awk -v r="$ready" 'BEGIN {print (r < 10 ? "yes" : "NO")}'), RSS under 128 MiB: $(awk -v h="$hwm2" 'BEGIN {print (h < 128 ? "yes" : "NO")}')"
echo "targets: $verdict"
if [ "${RECORD:-0}" = 1 ] && grep -q '^<!-- kube-scale-rows -->' "$root/bench/RESULTS.md"; then
    refcell="n/a"
    if [ -n "$reference" ]; then
        IFS='|' read -r r_ready _ r_hwm r_reqs r_up r_cpu <<<"$ref"
        refcell="$r_ready s, $r_hwm MiB; $r_reqs; upgrades $r_up s, $r_cpu s CPU"
    fi
    line="| $(date -u +%Y-%m-%d) | $nrel x $nrev ($total records) | **$ready s** | $hwm1 / **$hwm2 MiB** | $reqs | $up_s s, $up_cpu s CPU | $refcell | $(nproc) CPU |"
    awk -v row="$line" '{print} /^<!-- kube-scale-rows -->/ {print row}' "$root/bench/RESULTS.md" >"$work/r" &&
        cp "$work/r" "$root/bench/RESULTS.md"
    echo "recorded in bench/RESULTS.md"
fi
