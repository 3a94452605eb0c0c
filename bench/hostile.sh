#!/usr/bin/env bash
# bench/hostile.sh BUILD_DIR: driftgate's memory and latency under hostile
# input, each row against a reference measured in the same run: peak RSS
# (VmHWM) against the same driftgate's idle peak, latency against the same
# /validate on an idle server. Rows: four concurrent 8 MiB bodies of "[]"
# (the JSON node cap and the in-flight body budget), and 4,200 idle TCP
# connections from one address while another address is served (the
# per-address connection limit). Records the table in bench/RESULTS.md.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
ex=$root/examples
tmp=$(mktemp -d)
pids=()
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
trap bench_cleanup EXIT

bench_certs
mkdir -p "$tmp/baselines"
"$build/driftctl" publish --baseline "$ex/release-baseline.yaml" --release test-nginx -n sandbox-nginx \
    -o "$tmp/baselines/test-nginx.yaml"
# 8 MiB of "[]" in an AdmissionReview: ~2.8 million empty arrays.
python3 - "$tmp/brackets.json" <<'PY'
import sys
head = '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":['
tail = ']}}'
n = (8 * 1024 * 1024 - len(head) - len(tail)) // 3
open(sys.argv[1], "w").write(head + ",".join(["[]"] * n) + tail)
PY

port=$((20000 + RANDOM % 20000))
start() { # start a fresh driftgate; sets $gpid
    port=$((port + 1))
    "$build/driftgate" --listen "127.0.0.1:$port" --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" \
        --metrics-listen "" --console-listen "" --shutdown-delay 0 --threads 2 \
        --baseline-dir "$tmp/baselines" 2>>"$tmp/driftgate.log" &
    gpid=$!
    pids+=("$gpid")
    for _ in $(seq 100); do curl -s --cacert "$tmp/ca.crt" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.05; done
    echo "bench: driftgate did not start" >&2; exit 1
}
hwm() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$gpid/status"; }
validate_ms() { # the median of 9 /validate round trips from 127.0.0.1, in ms
    for _ in $(seq 9); do
        curl -s -o /dev/null -w '%{time_total}\n' --cacert "$tmp/ca.crt" -H 'Content-Type: application/json' \
            --data-binary @"$ex/reviews/hpa-floor-4.json" "https://127.0.0.1:$port/validate"
    done | sort -n | awk 'NR == 5 {printf "%.1f", $1 * 1000}'
}
stop() { kill "$gpid"; wait "$gpid" 2>/dev/null || true; }

# ---- four concurrent 8 MiB bodies of "[]" -------------------------------------------------
start
validate_ms >/dev/null
idle=$(hwm)
codes=$(for _ in 1 2 3 4; do
    curl -s -o /dev/null -w '%{http_code}\n' --cacert "$tmp/ca.crt" -H 'Content-Type: application/json' \
        --data-binary @"$tmp/brackets.json" "https://127.0.0.1:$port/validate" &
done; wait)
brackets=$(hwm)
brackets_codes=$(printf '%s\n' "$codes" | sort | uniq -c | awk '{printf "%s%sx%s", (NR > 1 ? " " : ""), $1, $2}')
stop

# ---- 4,200 idle connections from 127.0.0.3 while 127.0.0.1 is served ---------------------
start
ref_ms=$(validate_ms)
python3 - "$port" "$tmp/idle.ready" <<'PY' &
import socket, sys, time
held = []
for _ in range(4200):
    s = socket.socket()
    s.bind(("127.0.0.3", 0))
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
        held.append(s)
    except OSError:
        s.close()
open(sys.argv[2], "w").write("%d\n" % len(held))
time.sleep(8)
PY
idler=$!
pids+=("$idler")
for _ in $(seq 200); do [ -s "$tmp/idle.ready" ] && break; sleep 0.05; done
idle_ms=$(validate_ms)
idle_hwm=$(hwm)
kill "$idler" 2>/dev/null || true
stop

row1="| $(date +%F) | 4 concurrent 8 MiB bodies of \`[]\` | ${idle} MiB idle | ${brackets} MiB peak | answers: ${brackets_codes} | $(nproc) CPU |"
row2="| $(date +%F) | 4,200 idle connections from one address | ${ref_ms} ms /validate, idle server | ${idle_ms} ms /validate from another address, ${idle_hwm} MiB peak | | $(nproc) CPU |"
printf '%s\n%s\n' "$row1" "$row2"
if grep -q '^<!-- hostile-rows -->' "$root/bench/RESULTS.md"; then
    awk -v a="$row1" -v b="$row2" '{print} /^<!-- hostile-rows -->/ {print a; print b}' \
        "$root/bench/RESULTS.md" >"$tmp/r" && cp "$tmp/r" "$root/bench/RESULTS.md"
fi
