#!/usr/bin/env bash
# e2e/kube.sh BUILD_DIR: driftgate's Kubernetes source against the real
# kube-apiserver and etcd (e2e/cluster.sh), no fake API server. driftgate
# runs as its own user ("driftgate", bound to the chart's ClusterRole), so
# the API server's audit log tells its requests apart, and reaches the API
# server through a TCP proxy that the suite can cut. Checks: Helm records
# from the real helm (3 releases x 4 revisions, Secret and ConfigMap
# drivers) with superseded revisions never fetched and only the release
# that changed rebuilt; a watch resumed from its resourceVersion after the
# connection breaks; a relist on 410 Gone after the API server restarts; a
# gzip bomb written by a namespace editor, logged and skipped with RSS
# bounded; the audit reading an autoscaling/v2beta2 baseline at v2, and
# keeping its last result for what it may no longer read. KUBE_SLOW=1 adds
# a frozen connection, which takes the low-speed limit's two minutes.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/driftgate-kube.XXXXXX)
scratch=$work
# shellcheck source=../tests/lib.sh
. "$root/tests/lib.sh"
pids=()
proxy_pid=
cleanup() {
    for p in "${pids[@]}" $proxy_pid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "$fails" -ne 0 ]; then
        for f in driftgate apiserver; do
            echo "---- last lines of $f.log" >&2
            tail -n 15 "$work/$f.log" >&2
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT
step() { echo "== $*"; }
# shellcheck source=cluster.sh
. "$root/e2e/cluster.sh"
cluster_up || { fail "the control plane did not start"; exit 1; }
step "control plane ready in ${cp_ready}s"
proxy_port=0
chart=$root/examples/charts/nginx

# ---- driftgate's identity and RBAC: the chart's own ClusterRole --------------------------
driftgate_user || { fail "driftgate's identity"; exit 1; }
kubectl create namespace driftgate-system >/dev/null

# ---- a TCP proxy between driftgate and the API server ------------------------------------
cat >"$work/proxy.py" <<'PY'
import os, socket, sys, threading
listen, target, portfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen))  # 0 the first time: a free port, kept for restarts
srv.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    try:
        u = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        continue
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
start_proxy() {
    rm -f "$work/proxy.port"
    python3 "$work/proxy.py" "$proxy_port" "$apiserver_port" "$work/proxy.port" &
    proxy_pid=$!
    wait_for 10 test -s "$work/proxy.port" || return 1
    proxy_port=$(cat "$work/proxy.port")
}
stop_proxy() { kill -KILL "$proxy_pid"; wait "$proxy_pid" 2>/dev/null; proxy_pid=; }

# ---- driftgate ------------------------------------------------------------------------------
"$root/certs/driftgate-certs" init --dir "$work/tls" --ip 127.0.0.1 2>/dev/null
gate_pid=
start_gate() {
    "$build/driftgate" "${gate_listen[@]}" --tls-cert "$work/tls/tls.crt" \
        --tls-key "$work/tls/tls.key" --kubeconfig "$work/driftgate.kubeconfig" --helm-secrets \
        --baseline-namespace driftgate-system --policy "$root/examples/policy.yaml" \
        --audit-interval 2 2>>"$work/driftgate.log" &
    gate_pid=$!
    pids+=("$gate_pid")
    wait_for 30 gate /readyz -f
}
metric() { gate /metrics | awk -v m="$1" '$1 == m {print $2}'; }
lists() { gate /metrics | awk '/^driftgate_watch_lists_total/ {n += $2} END {print n + 0}'; }
release() { gate /api/v1/releases | jq -c --arg n "$1" '.releases[] | select(.name == $n)'; }
release_has() { release "$1" | jq -e "$2" >/dev/null; }
logged() { grep -F "$1" "$work/driftgate.log"; }
# driftgate's requests on ConfigMaps and Secrets, from the API server's audit log
# (a watch is logged when it starts and when it ends; a list when it ends).
records_audit() {
    jq -c 'select(.user.username == "driftgate" and
        (.objectRef.resource == "configmaps" or .objectRef.resource == "secrets"))' "$work/audit.log"
}
hwm_mib() { awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$gate_pid/status"; }
helm_rel() { # NAME DRIVER MIN [install|upgrade]
    HELM_DRIVER=$2 helm "${4:-upgrade}" "$1" "$chart" -n "ns-$1" --create-namespace --no-hooks \
        --set autoscaling.minReplicas="$3" >/dev/null
}

# ---- 1. 3 releases x 4 revisions, then driftgate cold -------------------------------------------
step "1. helm: 3 releases x 4 revisions (Secret and ConfigMap drivers); driftgate starts cold"
for r in rel-a rel-b rel-c; do
    drv=secret
    [ "$r" = rel-c ] && drv=configmap
    helm_rel "$r" "$drv" 2 install
    for m in 3 4 5; do helm_rel "$r" "$drv" "$m"; done
done
eq "records in the cluster" "$(kubectl get secrets,configmaps -A -l owner=helm -o name | wc -l)" 12
eq "superseded among them" "$(kubectl get secrets,configmaps -A -l owner=helm,status=superseded -o name | wc -l)" 9
start_proxy || { fail "the proxy did not start"; exit 1; }
sed -i "s|127.0.0.1:$apiserver_port|127.0.0.1:$proxy_port|" "$work/driftgate.kubeconfig"
start_gate || { fail "driftgate did not become ready"; exit 1; }
for r in rel-a rel-b rel-c; do
    checks=$((checks + 1))
    wait_for 15 release_has "$r" '.revision == 4 and .origin == "helm"' ||
        fail "$r is not at revision 4: $(release "$r")"
done
eq "records held: the 3 deployed ones" "$(metric driftgate_helm_records)" 3
eq "records decoded: the 3 in use" "$(metric driftgate_helm_decodes_total)" 3
checks=$((checks + 1))
unselected=$(records_audit | jq -r 'select(.requestURI | test("status(%21|!)(%3D|=)superseded|driftgate.io(%2F|/)baseline") | not) | .requestURI')
[ -z "$unselected" ] || fail "driftgate read Helm records without the status!=superseded selector: $unselected"
eq "LIST requests for records: one page per driver" \
    "$(records_audit | jq -r 'select(.verb == "list" and .stage == "ResponseComplete" and
        (.requestURI | test("owner"))) | .objectRef.resource' | sort | tr '\n' ' ')" "configmaps secrets "
has "the LISTs are paginated" "$(records_audit | jq -r 'select(.verb == "list") | .requestURI')" "limit=500"
has "the watches ask for bookmarks" "$(records_audit | jq -r 'select(.verb == "watch") | .requestURI')" \
    "allowWatchBookmarks=true" "timeoutSeconds="
for w in baseline-configmaps helm-configmaps helm-secrets hpas; do
    age=$(metric "driftgate_watch_last_event_age_seconds{watch=\"$w\"}")
    checks=$((checks + 1))
    awk -v a="${age:-x}" 'BEGIN {exit !(a ~ /^[0-9.]+$/ && a < 30)}' ||
        fail "driftgate_watch_last_event_age_seconds for $w: '$age'"
done

# ---- 2. an upgrade rebuilds that release only -------------------------------------------------------
step "2. helm upgrade rel-a: only its records are decoded again"
decodes=$(metric driftgate_helm_decodes_total)
helm_rel rel-a secret 7
checks=$((checks + 1))
wait_for 15 release_has rel-a '.revision == 5' || fail "rel-a did not move to revision 5: $(release rel-a)"
delta=$(($(metric driftgate_helm_decodes_total) - decodes))
checks=$((checks + 1))
[ "$delta" -ge 1 ] && [ "$delta" -le 2 ] ||
    fail "an upgrade decoded $delta records (want 1 or 2: the new revision pending, then deployed)"
eq "records held after the upgrade" "$(metric driftgate_helm_records)" 3
checks=$((checks + 1))
release_has rel-b '.revision == 4' && release_has rel-c '.revision == 4' || fail "other releases moved"

# ---- 3. the connection breaks: the watch resumes, no relist ----------------------------------------
step "3. the connection to the API server cut and restored: watches resume from their resourceVersion"
lists_before=$(lists)
stop_proxy
checks=$((checks + 1))
wait_for 20 logged "Kubernetes API unreachable; serving the last good baselines" ||
    fail "driftgate did not notice the broken connection"
helm_rel rel-b secret 8
checks=$((checks + 1))
release_has rel-b '.revision == 4' || fail "rel-b moved while driftgate was cut off"
start_proxy || fail "the proxy did not restart"
checks=$((checks + 1))
wait_for 60 release_has rel-b '.revision == 5' || fail "rel-b's upgrade was not seen after reconnecting"
eq "resumed without a relist" "$(lists)" "$lists_before"
checks=$((checks + 1))
records_audit | jq -r 'select(.verb == "watch" and .objectRef.resource == "secrets") | .requestURI' |
    tail -n 1 | grep -Eq 'resourceVersion=[0-9]+' || fail "the resumed watch names no resourceVersion"

# ---- 4. the API server restarts: 410 Gone, relist ------------------------------------------------
step "4. kube-apiserver killed and restarted: its watch cache starts past driftgate's resourceVersion (410), relist"
lists_before=$(lists)
kubectl create configmap moves-the-revision -n default >/dev/null
stop_apiserver KILL
start_apiserver || { fail "kube-apiserver did not come back"; exit 1; }
checks=$((checks + 1))
wait_for 90 logged "watch expired (410 Gone); relisting" || fail "no relist on 410"
checks=$((checks + 1))
wait_for 30 test "$(lists)" -gt "$lists_before" || fail "driftgate_watch_lists_total did not grow"
helm_rel rel-c configmap 9
checks=$((checks + 1))
wait_for 30 release_has rel-c '.revision == 5' || fail "rel-c's upgrade after the relist was not seen"
eq "records held after the relist" "$(metric driftgate_helm_records)" 3

# ---- 5. a gzip bomb from a namespace editor ---------------------------------------------------------
step "5. a 512 MiB gzip bomb as a Helm record, by a namespace editor: logged, skipped, RSS bounded"
kubectl create namespace ns-eve >/dev/null
kubectl create role editor -n ns-eve --verb=get,list,watch,create,update,patch,delete \
    --resource=configmaps,secrets >/dev/null
kubectl create rolebinding eve -n ns-eve --role=editor --user=eve >/dev/null
python3 - "$work/bomb.json" <<'PY'
import base64, json, sys, zlib
z = zlib.compressobj(9, zlib.DEFLATED, 31)
head = b'{"name":"bomb","version":1,"info":{"status":"deployed"},"manifest":"'
parts = [z.compress(head)]
block = b" " * (1 << 20)
parts += [z.compress(block) for _ in range(512)]
parts += [z.compress(b'"}'), z.flush()]
cm = {"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "sh.helm.release.v1.bomb.v1", "namespace": "ns-eve",
                   "labels": {"owner": "helm", "name": "bomb", "status": "deployed", "version": "1"}},
      "data": {"release": base64.b64encode(b"".join(parts)).decode()}}
json.dump(cm, open(sys.argv[1], "w"))
PY
echo "   bomb: $(stat -c %s "$work/bomb.json") bytes stored, 512 MiB inflated"
hwm_before=$(hwm_mib) # the reference: the same driftgate before the bomb
run "eve creates the bomb" 0 -- kubectl --as=eve create -f "$work/bomb.json"
checks=$((checks + 1))
wait_for 20 logged "ns-eve/sh.helm.release.v1.bomb.v1: inflates to more than 33554432 bytes" ||
    fail "the bomb is not logged by name"
checks=$((checks + 1))
wait_for 10 test "$(metric driftgate_helm_records_skipped)" = 1 || fail "the bomb is not counted as skipped"
checks=$((checks + 1))
[ -z "$(release bomb)" ] || fail "the bomb became a release"
# Events: in the bomb's own release (a failed revision beside it, not in
# use), and elsewhere.
run "eve adds a failed revision" 0 -- kubectl --as=eve create configmap sh.helm.release.v1.bomb.v2 -n ns-eve \
    --from-literal=release=x
kubectl --as=eve label configmap sh.helm.release.v1.bomb.v2 -n ns-eve owner=helm name=bomb status=failed version=2 >/dev/null
helm_rel rel-a secret 6
checks=$((checks + 1))
wait_for 15 release_has rel-a '.revision == 6' || fail "rel-a did not move to revision 6"
eq "the bomb was inflated once" "$(grep -c 'sh.helm.release.v1.bomb.v1: inflates' "$work/driftgate.log")" 1
hwm=$(hwm_mib)
echo "   driftgate peak RSS (VmHWM): ${hwm} MiB (before the bomb: ${hwm_before} MiB)"
# The build says whether it is sanitized. (Not `ldd | grep -q libasan`:
# under pipefail, grep's early exit can kill ldd with SIGPIPE mid-output,
# and a loaded machine took an ASan build for a plain one 38 times in 300.)
if grep -qx 'DG_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "   (ASan build: its shadow memory and quarantine make RSS no measure; not checked)"
else
    checks=$((checks + 1))
    # Refused, the bomb costs no heap (it is measured, not kept), so the
    # peak barely moves from the reference, whatever came before it.
    [ $((hwm - hwm_before)) -lt 8 ] && [ "$hwm" -lt 128 ] ||
        fail "peak RSS ${hwm} MiB with the bomb, ${hwm_before} before it (want under 8 MiB more, under 128)"
fi

# ---- 6. the audit: a baseline written for autoscaling/v2beta2, read at v2 ---------------------------
step "6. the audit reads an autoscaling/v2beta2 baseline's HPA at the preferred v2"
kubectl create namespace legacy >/dev/null
"$build/driftctl" render --chart "$chart" --release legacy -n legacy -o "$work/legacy.yaml" 2>/dev/null
kubectl apply -n legacy -f "$work/legacy.yaml" >/dev/null
sed 's|^apiVersion: autoscaling/v2$|apiVersion: autoscaling/v2beta2|' "$work/legacy.yaml" >"$work/legacy-v2beta2.yaml"
has "the baseline says v2beta2" "$(cat "$work/legacy-v2beta2.yaml")" "apiVersion: autoscaling/v2beta2"
run "publish it" 0 -- "$build/driftctl" publish --baseline "$work/legacy-v2beta2.yaml" -n legacy \
    --release legacy --apply
checks=$((checks + 1))
wait_for 15 release_has legacy '.origin == "published"' || fail "the legacy baseline did not load"
legacy_vars() { gate /api/v1/variances | jq -c '[.variances[] | select(.object.namespace == "legacy")]'; }
sleep 5 # two audit passes
eq "nothing reported missing or drifted" "$(legacy_vars)" "[]"
kubectl patch hpa legacy-nginx -n legacy --type merge -p '{"spec":{"minReplicas":2}}' >/dev/null
legacy_floor() { legacy_vars | jq -e '.[] | select(.path == "spec.minReplicas" and .live == 2)'; }
checks=$((checks + 1))
wait_for 15 legacy_floor || fail "the audit did not read the live HPA: $(legacy_vars)"

# ---- 7. what the audit may no longer read keeps its last result ----------------------------------------
step "7. RBAC on HPAs revoked: unread, counted, the drift still reported"
kubectl get clusterrole driftgate -o json | jq 'del(.metadata.resourceVersion, .metadata.uid)' >"$work/role.json"
jq '.rules |= map(select(.apiGroups != ["autoscaling"]))' "$work/role.json" | kubectl replace -f - >/dev/null
unread() { test "$(metric driftgate_audit_unread_objects)" -ge 1; }
checks=$((checks + 1))
wait_for 20 unread || fail "driftgate_audit_unread_objects stayed $(metric driftgate_audit_unread_objects)"
sleep 3
checks=$((checks + 1))
legacy_floor >/dev/null || fail "an unread HPA was reported in sync: $(legacy_vars)"
kubectl replace -f "$work/role.json" >/dev/null
read_again() { test "$(metric driftgate_audit_unread_objects)" = 0; }
checks=$((checks + 1))
wait_for 30 read_again || fail "driftgate_audit_unread_objects did not return to 0"

# ---- 8. (KUBE_SLOW=1) a connection that hangs rather than breaks -----------------------------------
# An API server that failed over can leave a watch's TCP connection open
# and silent. The proxy is frozen (SIGSTOP): no FIN, no RST, the kernel still
# ACKs. Bookmarks arrive about once a minute on a healthy watch, so the
# low-speed limit (under 1 byte/s for 120 s) ends the watch and it resumes.
if [ "${KUBE_SLOW:-0}" = 1 ]; then
    step "8. the proxy frozen: each watch gives up on its silent connection within ~2 minutes"
    kill -STOP "$proxy_pid"
    stalled() { [ "$(grep -c 'Operation too slow' "$work/driftgate.log")" -ge 4 ]; }
    checks=$((checks + 1))
    wait_for 200 stalled || fail "a silent watch was not abandoned: $(grep -c 'Operation too slow' "$work/driftgate.log") of 4"
    kill -CONT "$proxy_pid"
    helm_rel rel-b secret 9
    checks=$((checks + 1))
    wait_for 90 release_has rel-b '.revision == 6' || fail "the watches did not come back: $(release rel-b)"
fi

# Stopped as Kubernetes stops it; under ASan a leak would make this non-zero.
kill -TERM "$gate_pid"
wait "$gate_pid" 2>/dev/null
eq "driftgate exits 0 on SIGTERM" "$?" 0
summary kube
