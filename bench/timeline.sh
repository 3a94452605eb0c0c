#!/usr/bin/env bash
# bench/timeline.sh BUILD_DIR: `driftctl timeline` over a generated audit
# log (1 GiB by default; BENCH_TIMELINE_MB shrinks it), grown by
# bench_audit_gen from real events captured from e2e/run.sh
# (BENCH_TIMELINE_SEED, default tests/fixtures/timeline/e2e-audit.log),
# timed against the floor measured in the same run: bench_audit_floor,
# which reads the same file and parses each line with jansson, building
# nothing else. Memory must be flat: the timeline's peak RSS over the whole
# log against its peak over the first eighth of it. Prints the medians,
# the ratios and peak memory, and records them in bench/RESULTS.md.
# The log lives in /tmp and is deleted at the end.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mb=${BENCH_TIMELINE_MB:-1024}
reps=${BENCH_REPS:-3}
seed=${BENCH_TIMELINE_SEED:-$root/tests/fixtures/timeline/e2e-audit.log}
tmp=$(mktemp -d /tmp/driftgate-bench-timeline.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

"$build/bench_audit_gen" "$seed" "$mb" "$tmp/audit.log" >/dev/null
lines=$(wc -l <"$tmp/audit.log")
head -n "$((lines / 8))" "$tmp/audit.log" >"$tmp/eighth.log"

# Wall seconds, CPU seconds and peak RSS (KiB) of one run of "$@".
measure() {
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >/dev/null 2>&1
    tail -n 1 "$tmp/t" | awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
timeline=("$build/driftctl" timeline -n sandbox-nginx --release test-nginx -o json --audit-log)

: >"$tmp/floor"; : >"$tmp/tl"; : >"$tmp/parse"
for _ in $(seq "$reps"); do
    measure "$build/bench_audit_floor" "$tmp/audit.log" >>"$tmp/floor"
    measure "$build/bench_audit_floor" --libdrift "$tmp/audit.log" >>"$tmp/parse"
    measure "${timeline[@]}" "$tmp/audit.log" >>"$tmp/tl"
done
small=$(measure "${timeline[@]}" "$tmp/eighth.log" | cut -d' ' -f3)
events=$("${timeline[@]}" "$tmp/audit.log" | jq '.summary | "\(.events) events of \(.lines) lines, \(.malformed) malformed"' -r)
fw=$(cut -d' ' -f1 "$tmp/floor" | median); fc=$(cut -d' ' -f2 "$tmp/floor" | median)
fm=$(cut -d' ' -f3 "$tmp/floor" | median)
tw=$(cut -d' ' -f1 "$tmp/tl" | median); tc=$(cut -d' ' -f2 "$tmp/tl" | median)
tm=$(cut -d' ' -f3 "$tmp/tl" | median)
pw=$(cut -d' ' -f1 "$tmp/parse" | median)
ratio=$(awk -v a="$tw" -v b="$fw" 'BEGIN {printf "%.2f", a / b}')
cratio=$(awk -v a="$tc" -v b="$fc" 'BEGIN {printf "%.2f", a / b}')
size=$(du -m "$tmp/audit.log" | cut -f1)

cat <<REPORT
driftctl timeline, a ${size} MiB audit log of $lines lines ($events); median of $reps
  floor (getline + jansson json_loadb):  wall ${fw}s  cpu ${fc}s  peak ${fm} KiB
  libdrift's JSON reader alone:         wall ${pw}s
  driftctl timeline -o json:             wall ${tw}s  cpu ${tc}s  peak ${tm} KiB
  ratio to the floor:                    wall ${ratio}x  cpu ${cratio}x
  peak over the first eighth of the log: ${small} KiB (whole log: ${tm} KiB)
REPORT

# The contract: at most 2x the floor, and memory flat (the whole log
# within 10% + 1 MiB of an eighth of it).
ok=yes
awk -v r="$ratio" 'BEGIN {exit !(r <= 2.0)}' || { echo "bench: timeline is ${ratio}x the floor (at most 2x)" >&2; ok=no; }
awk -v a="$tm" -v b="$small" 'BEGIN {exit !(a <= b * 1.1 + 1024)}' ||
    { echo "bench: memory grew with the log: ${small} KiB -> ${tm} KiB" >&2; ok=no; }

results="$root/bench/RESULTS.md"
row="| $(date -u +%Y-%m-%d) | ${size} MiB from $(basename "$seed") | $lines | ${fw} s | ${pw} s | ${tw} s | **${ratio}x** | ${cratio}x | $((small / 1024)) / $((tm / 1024)) MiB | $(nproc) CPU |"
if [ -f "$results" ] && grep -q '^<!-- timeline-rows -->' "$results"; then
    awk -v row="$row" '{print} /^<!-- timeline-rows -->/{print row}' "$results" >"$tmp/r" && cp "$tmp/r" "$results"
    echo "recorded in bench/RESULTS.md"
fi
[ "$ok" = yes ]
