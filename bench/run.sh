#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: `driftctl diff` on a generated 10,000-object
# release against its live snapshot, timed against the floor measured in
# the same run: libyaml's parser alone over the same two files.
# Prints the medians, the ratio and peak memory, and records them in
# bench/RESULTS.md.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_OBJECTS:-10000}
reps=${BENCH_REPS:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

"$build/bench_gen" "$n" "$tmp/baseline.yaml" "$tmp/live.yaml"

# Wall seconds, CPU seconds and peak RSS (KiB) of one run of "$@".
measure() {
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >/dev/null 2>&1 || [ $? -eq 2 ]
    tail -n 1 "$tmp/t" | awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

: >"$tmp/floor"; : >"$tmp/diff"
for _ in $(seq "$reps"); do
    measure "$build/bench_yaml_floor" "$tmp/baseline.yaml" "$tmp/live.yaml" >>"$tmp/floor"
    measure "$build/driftctl" diff --baseline "$tmp/baseline.yaml" --live "$tmp/live.yaml" \
        -n bench -o json >>"$tmp/diff"
done
variances=$("$build/driftctl" diff --baseline "$tmp/baseline.yaml" --live "$tmp/live.yaml" \
    -n bench -o json | grep -c '"path"' || true)
fw=$(cut -d' ' -f1 "$tmp/floor" | median); fc=$(cut -d' ' -f2 "$tmp/floor" | median)
fm=$(cut -d' ' -f3 "$tmp/floor" | median)
dw=$(cut -d' ' -f1 "$tmp/diff" | median); dc=$(cut -d' ' -f2 "$tmp/diff" | median)
dm=$(cut -d' ' -f3 "$tmp/diff" | median)
ratio=$(awk -v a="$dw" -v b="$fw" 'BEGIN {printf "%.2f", a / b}')
cratio=$(awk -v a="$dc" -v b="$fc" 'BEGIN {printf "%.2f", a / b}')
bsz=$(du -k "$tmp/baseline.yaml" | cut -f1); lsz=$(du -k "$tmp/live.yaml" | cut -f1)

cat <<REPORT
driftctl diff, $n objects (baseline ${bsz} KiB, live ${lsz} KiB), $variances variances; median of $reps
  floor (libyaml parse only): wall ${fw}s  cpu ${fc}s  peak ${fm} KiB
  driftctl diff:              wall ${dw}s  cpu ${dc}s  peak ${dm} KiB
  ratio to the floor:         wall ${ratio}x  cpu ${cratio}x
REPORT

results="$root/bench/RESULTS.md"
row="| $(date -u +%Y-%m-%d) | $n | ${fw} s | ${dw} s | **${ratio}x** | ${cratio}x | $((dm / 1024)) MiB | $(nproc) CPU |"
if [ -f "$results" ] && grep -q '^<!-- diff-rows -->' "$results"; then
    awk -v row="$row" '{print} /^<!-- diff-rows -->/{print row}' "$results" >"$tmp/r" && cp "$tmp/r" "$results"
    echo "recorded in bench/RESULTS.md"
fi
