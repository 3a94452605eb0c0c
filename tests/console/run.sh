#!/usr/bin/env bash
# tests/console/run.sh DRIFTCTL SRCDIR: `driftctl console` as operators use it:
# typed at in a real pseudo-terminal (tests/console/typed.py: the context
# line, diff, simulate, Tab, the up arrow, help, reconcile's y/N, exit), and
# fed a script on stdin (no prompt; the exit status of the last failing
# command). Offline on a copy of examples/, online through the stand-in
# kubectl (tests/fake-kubectl) serving the drifted snapshot.
set -uo pipefail
ctl=$(realpath "${1:?usage: run.sh DRIFTCTL SRCDIR}")
src=$(realpath "${2:?usage: run.sh DRIFTCTL SRCDIR}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scratch=$tmp # for tests/lib.sh
export scratch
# shellcheck source=../lib.sh
. "$src/tests/lib.sh"

# piped WANT NAME ARGS... <<< SCRIPT: the console fed SCRIPT; $out, $err kept.
piped() {
    local want=$1 name=$2
    shift 2
    run "$name" "$want" -- env -C "$tmp/work" "$ctl" console "$@"
}
contains() { has "$@"; }

mkdir -p "$tmp/work" "$tmp/fake/bin"
cp -r "$src/examples/." "$tmp/work/"
cp "$src/tests/fake-kubectl" "$tmp/fake/bin/kubectl"
fake_reset() {
    rm -f "$tmp/fake/patched" "$tmp/fake/calls" "$tmp/fake/stdin"
    cp "$src/examples/live-snapshot.yaml" "$tmp/fake/live.yaml"
    cp "$src/examples/release-baseline.yaml" "$tmp/fake/after.yaml"
    FAKE_KUBECTL_DIR=$tmp/fake "$tmp/fake/bin/kubectl" fake-publish 3 "$src/examples/release-baseline.yaml"
}
files=(--baseline release-baseline.yaml --live live-snapshot.yaml -n sandbox-nginx)

# ---- without a terminal: one command a line ---------------------------------------------
piped 2 "piped: the status of the last failing command (diff found drift)" "${files[@]}" <<<'help
diff
help'
first=$(head -n 2 <<<"$out")
contains "piped: the context line first" "$first" "context: sandbox-nginx / test-nginx  workflow: helm-release-audit  state: variance-detected
shell="
lacks "piped: no prompt" "$out" "driftctl>"
lacks "piped: no banner" "$out" "operator console:"
contains "piped: diff ran" "$out" "4 active variances"
piped 0 "piped: nothing failed" "${files[@]}" <<<'help
simulate hpa/test-nginx --set spec.minReplicas=6'
contains "piped: simulate --set 6 is a reconcile" "$out" "Decision:  reconcile (allowed)"
piped 1 "piped: an unknown command last" "${files[@]}" <<<'diff
bogus'
contains "piped: the unknown command named" "$err" "unknown command 'bogus'"
piped 2 "piped: a denial last" "${files[@]}" <<<'bogus
simulate hpa/test-nginx --patch '"'"'{"spec":{"minReplicas":4}}'"'"''
contains "piped: --patch is denied too" "$out" "desired 6, requested 4"
piped 0 "piped: exit stops reading" "${files[@]}" <<<'exit
bogus'
piped 0 "piped: --help of a command does not end the console" "${files[@]}" <<<'diff --help
help simulate
help use'
contains "piped: help simulate shows --set" "$out" "--set PATH=VALUE"
contains "piped: help use" "$out" "use NAMESPACE/RELEASE"
piped 1 "piped: reconcile refuses on files" "${files[@]}" <<<'reconcile'
contains "piped: why" "$err" "this session reads files, not a cluster"
piped 2 "piped: plan is reconcile without --apply" "${files[@]}" <<<'plan'
contains "piped: the plan" "$out" "3 operations (3 patch) restore 4 variances"
piped 1 "piped: use needs NS/RELEASE" "${files[@]}" <<<'use nope'
piped 0 "piped: a quoted word" "${files[@]}" <<<"simulate hpa/test-nginx --patch '{\"spec\": {\"minReplicas\": 6}}'"
piped 1 "piped: an unmatched quote" "${files[@]}" <<<"simulate 'hpa"

# Offline without --live: status has nothing to read yet, and says how to get it.
piped 1 "piped: no live file yet" --baseline release-baseline.yaml -n sandbox-nginx <<<'diff'
contains "piped: run capture" "$err" "diff: no live yet: run capture"

# Online, through the stand-in kubectl: status, then reconcile --yes, then in-sync.
fake_reset
export FAKE_KUBECTL_DIR=$tmp/fake KUBECTL=$tmp/fake/bin/kubectl
piped 2 "piped online: reconcile --yes (the first status found drift)" --release test-nginx -n sandbox-nginx <<<'status
reconcile --yes
status'
contains "piped online: variance-detected first" "$(head -n 1 <<<"$out")" "state: variance-detected"
contains "piped online: the cluster" "$out" "cluster=fake-cluster"
contains "piped online: the context line turns in-sync" "$out" "state: in-sync"
contains "piped online: status after it" "$out" "State:            in-sync"
unset FAKE_KUBECTL_DIR KUBECTL

# ---- the flags ----------------------------------------------------------------------------
checks=$((checks + 1))
"$ctl" console </dev/null >/dev/null 2>"$tmp/err" && fail "console without a release or files: exit 0"
contains "console: what to give" "$(cat "$tmp/err")" "give --release NAME -n NS"
checks=$((checks + 1))
"$ctl" console --help >"$tmp/out" || fail "console --help: exit $?"
contains "console --help" "$(cat "$tmp/out")" "Usage: driftctl console"
checks=$((checks + 1))
"$ctl" console --web --listen 127.0.0.1:0 </dev/null >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] || fail "console --web in this build: exit 1"

# ---- in a terminal ------------------------------------------------------------------------
fake_reset
python3 "$src/tests/console/typed.py" "$ctl" "$src" "$tmp/work" "$tmp/fake" || fails=$((fails + 1))

echo "console: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
