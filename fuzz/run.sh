#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR SECONDS: run every fuzz target for SECONDS over a
# scratch copy of its corpus (fuzz/corpus/<target>, and for fuzz_decide and fuzz_http the
# shared real AdmissionReviews too; for fuzz_timeline the real audit events of
# tests/fixtures/timeline). A crash fails the run and leaves the
# input in fuzz/findings/ to become a regression case in fuzz/corpus.
set -euo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS}
secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${DG_SHARED_FIXTURES:-$root/../shared/fixtures/admission-reviews}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

for t in manifest path decide http json timeline kevent; do
    corpus="$work/$t"
    mkdir -p "$corpus" "$root/fuzz/findings"
    cp "$root/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
    case $t in
    manifest) cp "$root"/examples/*.yaml "$corpus/" ;;
    decide|http|json) cp "$root"/examples/reviews/*.json "$corpus/"
            [ -d "$shared" ] && cp "$shared"/*.json "$corpus/" ;;
    timeline) # real audit events: each alone, and the whole log
        split -l 1 "$root/tests/fixtures/timeline/e2e-audit.log" "$corpus/line-"
        cp "$root/tests/fixtures/timeline/e2e-audit.log" "$corpus/" ;;
    esac
    echo "fuzz_$t: ${secs}s over $(ls "$corpus" | wc -l) seeds"
    if ! "$build/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$root/fuzz/findings/$t-" -print_final_stats=0 "$corpus" \
        >"$work/$t.log" 2>&1; then
        echo "fuzz_$t FAILED; input saved under fuzz/findings/:" >&2
        tail -n 40 "$work/$t.log" >&2
        status=1
    else
        grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$work/$t.log" | tail -n 1 || true
    fi
done
exit $status
