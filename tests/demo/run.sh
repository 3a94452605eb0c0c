#!/usr/bin/env bash
# tests/demo/run.sh SRCDIR: `make demo` as a newcomer runs it: it builds
# only driftctl (in a fresh build directory here), prints only the scenario
# (no make or cmake chatter), and every command it shows is the command it
# ran: each "$ ..." line, typed into a shell with driftctl on PATH, prints
# what the demo printed under it.
set -uo pipefail
src=${1:?usage: run.sh SRCDIR}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=tests/lib.sh
. "$src/tests/lib.sh"
cd "$src" || exit 1

# As from a terminal: not a sub-make of whatever runs this test.
run "make demo" 0 -- env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory demo \
    BUILD="$scratch/build" JOBS=2
printf '%s\n' "$out" >"$scratch/demo.out"
eq "make demo writes nothing to stderr" "$err" ""
for chatter in 'Entering directory' 'Leaving directory' 'Built target' 'Building C' 'Linking C' \
    '-- Configuring' '-- Build files' '% ]' 'make:' 'make['; do
    lacks "make demo: no build chatter" "$out" "$chatter"
done
has "make demo: the scenario" "$out" "4 active variances" "Decision:  deny (403 Forbidden)" \
    "demo: every step gave the expected answer."
desc="make demo built driftctl" check test -x "$scratch/build/driftctl"
desc="make demo built only driftctl (no driftgate)" refused test -e "$scratch/build/driftgate"
desc="make demo built no test or bench binary" refused test -e "$scratch/build/bench_judge"

# Every shown command, re-run by hand, prints what the demo printed.
awk -v dir="$scratch" '
    /^\$ / { n++; cmd = dir "/cmd." n; out = dir "/want." n; print substr($0, 3) > cmd; close(cmd); next }
    /^(\033\[1m)?== / || /^demo: / { out = ""; next }
    out != "" { print > out }
' "$scratch/demo.out"
shown=$(ls "$scratch"/cmd.* 2>/dev/null | wc -l)
eq "the demo shows its six commands" "$shown" 6
for c in "$scratch"/cmd.*; do
    i=${c##*.}
    PATH="$scratch/build:$PATH" bash -c "$(cat "$c")" >"$scratch/got.$i" 2>&1
    # the demo's output keeps a blank line before the next title
    checks=$((checks + 1))
    diff <(sed -e '$!b' -e '/^$/d' "$scratch/want.$i") "$scratch/got.$i" >"$scratch/diff.$i" ||
        fail "shown command differs from what ran: $(cat "$c"): $(cat "$scratch/diff.$i")"
done

# The walkthrough makes tls/ (a CA key) and baselines/ at the top: ignored.
for f in tls/ca.key tls/tls.key baselines/test-nginx.yaml; do
    desc="$f is ignored by git" check git check-ignore -q "$f"
done

summary demo
