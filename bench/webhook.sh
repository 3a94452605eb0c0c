#!/usr/bin/env bash
# bench/webhook.sh BUILD_DIR: driftgate against its floor, in one run.
# The floor is nginx answering every POST with the very bytes driftgate
# answers for that payload, over TLS with the same certificate: no parsing,
# no judging. The peer is the cheapest Go webhook (bench/gopeer: typed
# structs, unstructured maps, one field compared), built here with the Go
# toolchain e2e/ uses. Each server is pinned to the same core (CPU 0) and
# wrk to another (CPU 1); wrk drives each with the same payloads,
# connections and keep-alive. Then h2load holds 1,000 requests/s on driftgate for the
# server-side latency, and driftgate runs with 1,000 releases loaded for
# its memory. Prints the table and records it in bench/RESULTS.md.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNS:-16}
nrel=${BENCH_RELEASES:-1000}
tmp=$(mktemp -d)
pids=()
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
trap bench_cleanup EXIT
for t in wrk h2load nginx jq openssl go taskset; do
    command -v "$t" >/dev/null || { echo "bench: needs $t (scripts/deps.sh installs it)" >&2; exit 1; }
done
ctl=$build/driftctl
ex=$root/examples
# One core for the server under test, another for the load generator.
srv_cpu=0 load_cpu=$(($(nproc) > 1 ? 1 : 0))
# taskset execs the program: $! of a pinned server is the server's pid.
on_srv=(taskset -c "$srv_cpu") on_load=(taskset -c "$load_cpu")
gopeer=${DRIFTGATE_CACHE:-$HOME/.cache/driftgate}/bin/gopeer
(cd "$root/bench/gopeer" && go build -o "$gopeer" .)

# ---- certificates: one CA, one EC P-256 serving pair, used by both servers -------
bench_certs

# ---- payloads -------------------------------------------------------------------------
# A real HPA UPDATE (kubectl patch of the floor, as the API server sends it).
jq -c . "$ex/reviews/hpa-floor-4.json" >"$tmp/hpa.json"
# A Deployment UPDATE carrying what long-lived Deployments carry: managedFields
# from several managers and kubectl's last-applied-configuration annotation.
jq -c '
  def grow: .metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] =
              (del(.metadata.managedFields, .status) | tojson)
          | .metadata.managedFields as $mf
          | .metadata.managedFields = [range(0; 7) as $i | $mf[] |
              .manager = "\(.manager)-\($i)"];
  .request.object |= grow | .request.oldObject |= grow' \
    "$ex/reviews/image-warn.json" >"$tmp/deploy.json"
# A 1 MiB ConfigMap UPDATE: two versions of a 512 KiB value.
python3 - "$tmp/cm.json" <<'PY'
import json, sys
def cm(v):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "big", "namespace": "sandbox-nginx", "resourceVersion": v},
            "data": {"blob": ("%s-" % v) * (512 * 1024 // (len(v) + 1))}}
r = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
     "request": {"uid": "c0ffee00-0000-4000-8000-000000000001",
                 "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
                 "resource": {"group": "", "version": "v1", "resource": "configmaps"},
                 "name": "big", "namespace": "sandbox-nginx", "operation": "UPDATE",
                 "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters"]},
                 "object": cm("2"), "oldObject": cm("1"), "dryRun": False}}
open(sys.argv[1], "w").write(json.dumps(r, separators=(",", ":")))
PY
payloads=(hpa deploy cm)

# ---- 1,000 releases: the example chart's render under 1,000 names ---------------
mkdir -p "$tmp/baselines"
for i in $(seq 1 "$nrel"); do
    name=rel-$i
    [ "$i" = 1 ] && name=test-nginx
    sed "s/test-nginx/$name/g" "$ex/release-baseline.yaml" >"$tmp/render.yaml"
    "$ctl" publish --baseline "$tmp/render.yaml" -n sandbox-nginx --source helm-template \
        -o "$tmp/baselines/$name.yaml"
done

# ---- servers ------------------------------------------------------------------------------
port=$((20000 + RANDOM % 20000))
gport=$port nport=$((port + 1)) cport=$((port + 2)) pport=$((port + 3))
"${on_srv[@]}" "$build/driftgate" --threads 1 --listen "127.0.0.1:$gport" --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" \
    --metrics-listen "" --console-listen "127.0.0.1:$cport" \
    --baseline-dir "$tmp/baselines" 2>>"$tmp/driftgate.log" &
gpid=$!
pids+=("$gpid")
gate() { curl -sS --cacert "$tmp/ca.crt" "https://localhost:$gport$1" "${@:2}"; }
for _ in $(seq 200); do gate /readyz >/dev/null 2>&1 && break; sleep 0.05; done
gate /readyz >/dev/null
loaded=$(curl -sS "http://127.0.0.1:$cport/api/v1/releases" | jq '.releases | length')
idle_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$gpid/status")

locations=""
for p in "${payloads[@]}"; do
    gate /validate -H 'Content-Type: application/json' --data-binary "@$tmp/$p.json" >"$tmp/$p.resp"
    jq -e '.response.uid' "$tmp/$p.resp" >/dev/null
    if grep -q "[\$']" "$tmp/$p.resp"; then echo "bench: $p response has \$ or ' (nginx return)" >&2; exit 1; fi
    locations+="location = /$p { default_type application/json; return 200 '$(cat "$tmp/$p.resp")'; }
"
done
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_max_body_size 8m;
    client_body_temp_path $tmp/nginx;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$nport ssl;
        ssl_certificate $tmp/tls.crt;
        ssl_certificate_key $tmp/tls.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        $locations
    }
}
CONF
"${on_srv[@]}" nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" &
pids+=($!)
GOMAXPROCS=1 "${on_srv[@]}" "$gopeer" --listen "127.0.0.1:$pport" --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" \
    2>>"$tmp/gopeer.log" &
pids+=($!)
for _ in $(seq 100); do curl -s --cacert "$tmp/ca.crt" "https://localhost:$pport/validate" -d x >/dev/null 2>&1 && break; sleep 0.05; done
# The peer must judge the HPA floor as driftgate does, or the row compares nothing.
curl -sS --cacert "$tmp/ca.crt" "https://localhost:$pport/validate" --data-binary "@$tmp/hpa.json" |
    jq -e '.response.allowed == false and .response.uid != null' >/dev/null
for _ in $(seq 100); do curl -s --cacert "$tmp/ca.crt" "https://localhost:$nport/hpa" -d x >/dev/null 2>&1 && break; sleep 0.05; done

# ---- throughput: wrk, same payload, same connections, keep-alive ------------------------
cat >"$tmp/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()
done = function(s, lat)
    local e = s.errors
    io.write(string.format("RESULT %.1f %.3f %.3f %d\n", s.requests / (s.duration / 1e6),
        lat:percentile(50) / 1000, lat:percentile(99) / 1000,
        e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
run_wrk() { # URL BODY -> "rps p50ms p99ms errors"
    BODY=$2 "${on_load[@]}" wrk -t 1 -c "$conns" -d "${secs}s" --timeout 10s -s "$tmp/post.lua" "$1" |
        awk '/^RESULT/ {print $2, $3, $4, $5}'
}
declare -A res
for p in "${payloads[@]}"; do
    BODY=$tmp/$p.json wrk -t 1 -c "$conns" -d 2s -s "$tmp/post.lua" "https://127.0.0.1:$nport/$p" >/dev/null
    BODY=$tmp/$p.json wrk -t 1 -c "$conns" -d 2s -s "$tmp/post.lua" "https://127.0.0.1:$gport/validate" >/dev/null
    BODY=$tmp/$p.json wrk -t 1 -c "$conns" -d 2s -s "$tmp/post.lua" "https://127.0.0.1:$pport/validate" >/dev/null
    res[$p.nginx]=$(run_wrk "https://127.0.0.1:$nport/$p" "$tmp/$p.json")
    res[$p.gate]=$(run_wrk "https://127.0.0.1:$gport/validate" "$tmp/$p.json")
    res[$p.go]=$(run_wrk "https://127.0.0.1:$pport/validate" "$tmp/$p.json")
done
# driftgate's transport alone: the same body to a route that answers 405
# without judging (libmicrohttpd + GnuTLS, body read, Status written).
transport=$(run_wrk "https://127.0.0.1:$gport/healthz" "$tmp/hpa.json")
nginx_hwm=0
for p in $(pgrep -f "nginx -p $tmp/nginx" || true) $(pgrep -P "$(cat "$tmp/nginx/nginx.pid")" || true); do
    nginx_hwm=$((nginx_hwm + $(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
done

# ---- the handler alone: dg_api_handle() in a loop, no network -----------------------------
declare -A alone
for p in "${payloads[@]}"; do
    alone[$p]=$("$build/bench_judge" "$tmp/baselines" "$tmp/$p.json" "$([ "$p" = cm ] && echo 200 || echo 20000)" | awk '{print $1}')
done

# ---- server-side latency at a fixed 1,000 requests/s ------------------------------------
: >"$tmp/driftgate.log"
"${on_load[@]}" h2load --h1 -c 4 --rps 250 -D "$secs" -d "$tmp/hpa.json" -H 'Content-Type: application/json' \
    "https://127.0.0.1:$gport/validate" >"$tmp/h2load.out"
rated=$(awk '/finished in/ {printf "%.0f", $4}' "$tmp/h2load.out")
rated_ok=$(awk '/^requests:/ {print $8}' "$tmp/h2load.out")
pct() { awk -v q="$1" '{a[NR] = $1} END {i = int(NR * q); if (i < 1) i = 1; printf "%.3f", a[i]}' "$tmp/lat"; }
jq -Rr 'fromjson? | select(.msg == "admission decision") | .latency_ms' "$tmp/driftgate.log" |
    sort -g >"$tmp/lat"
srv_n=$(wc -l <"$tmp/lat") srv_p50=$(pct 0.5) srv_p99=$(pct 0.99) srv_max=$(pct 1)
gate_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$gpid/status")

# ---- report -----------------------------------------------------------------------------------
size() { awk -v b="$(wc -c <"$1")" 'BEGIN {printf b < 1048576 ? "%.1f KB" : "%.2f MiB", b < 1048576 ? b / 1000 : b / 1048576}'; }
label() { case $1 in hpa) echo "HPA UPDATE";; deploy) echo "Deployment UPDATE, managedFields";; cm) echo "ConfigMap UPDATE";; esac; }
rows=""
echo "driftgate vs nginx (fixed response), ${secs}s each, $conns connections, keep-alive, TLS; $(nproc) CPUs"
printf '%-34s %12s %12s %8s %10s %8s %16s %16s %10s\n' payload "nginx req/s" "gate req/s" ratio "go req/s" "gate/go" "nginx p50/p99" "gate p50/p99" handler
for p in "${payloads[@]}"; do
    read -r nr n50 n99 ne <<<"${res[$p.nginx]}"
    read -r gr g50 g99 ge <<<"${res[$p.gate]}"
    read -r pr _ _ pe <<<"${res[$p.go]}"
    if [ "$ne" != 0 ] || [ "$ge" != 0 ] || [ "$pe" != 0 ]; then
        echo "bench: errors: nginx $ne, driftgate $ge, go $pe ($p)" >&2; exit 1
    fi
    ratio=$(awk -v a="$gr" -v b="$nr" 'BEGIN {printf "%.2f", a / b}')
    gratio=$(awk -v a="$gr" -v b="$pr" 'BEGIN {printf "%.2f", a / b}')
    printf '%-34s %12.0f %12.0f %7sx %10.0f %7sx %16s %16s %7s us\n' "$(label "$p") ($(size "$tmp/$p.json"))" "$nr" "$gr" "$ratio" \
        "$pr" "$gratio" "$n50/$n99 ms" "$g50/$g99 ms" "${alone[$p]}"
    rows+="| $(date -u +%Y-%m-%d) | $(label "$p") | $(size "$tmp/$p.json") | $(printf %.0f "$nr") | $(printf %.0f "$gr") | **${ratio}x** | $(printf %.0f "$pr") | **${gratio}x** | $n50 / $n99 ms | $g50 / $g99 ms | ${alone[$p]} µs | 1 core each |
"
done
read -r tr t50 t99 _ <<<"$transport"
read -r nr _ <<<"${res[hpa.nginx]}"
tratio=$(awk -v a="$tr" -v b="$nr" 'BEGIN {printf "%.2f", a / b}')
printf '%-34s %12s %12.0f %7sx %16s %16s\n' "transport only (HPA body, 405)" "" "$tr" "$tratio" "" "$t50/$t99 ms"
rows+="| $(date -u +%Y-%m-%d) | transport only: HPA body to a 405 route | $(size "$tmp/hpa.json") | $(printf %.0f "$nr") | $(printf %.0f "$tr") | ${tratio}x | | | | $t50 / $t99 ms | | 1 core each |
"
cat <<REPORT
server side at $rated req/s offered (h2load, 4 connections; $rated_ok succeeded): $srv_n decisions,
  p50 ${srv_p50} ms, p99 ${srv_p99} ms, max ${srv_max} ms (latency_ms of each decision log line)
memory: $loaded releases loaded: RSS ${idle_kib} KiB idle; driftgate peak ${gate_hwm} KiB, nginx peak ${nginx_hwm} KiB (all processes)
REPORT

results="$root/bench/RESULTS.md"
if [ -f "$results" ] && grep -q '^<!-- webhook-rows -->' "$results"; then
    srow="| $(date -u +%Y-%m-%d) | $rated req/s | $srv_n | $srv_p50 ms | **$srv_p99 ms** | $srv_max ms | $loaded | $((idle_kib / 1024)) MiB | $((gate_hwm / 1024)) MiB | $((nginx_hwm / 1024)) MiB |"
    awk -v rows="$rows" -v srow="$srow" '{print} /^<!-- webhook-rows -->/ {printf "%s", rows}
        /^<!-- server-rows -->/ {print srow}' "$results" >"$tmp/r" && cp "$tmp/r" "$results"
    echo "recorded in bench/RESULTS.md"
fi
