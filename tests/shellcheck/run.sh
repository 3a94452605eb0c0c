#!/usr/bin/env bash
# tests/shellcheck/run.sh SRCDIR: every script in scripts/ is clean under
# ShellCheck at its default severity (scripts/deps.sh installs it).
set -uo pipefail
src=${1:?usage: run.sh SRCDIR}
command -v shellcheck >/dev/null || { echo "FAIL: shellcheck not installed (scripts/deps.sh)" >&2; exit 1; }
fails=0 n=0
for f in "$src"/scripts/*.sh; do
    n=$((n + 1))
    shellcheck -x "$f" || { echo "FAIL: shellcheck $f" >&2; fails=$((fails + 1)); }
done
[ "$n" -gt 0 ] || { echo "FAIL: no scripts in $src/scripts" >&2; exit 1; }
echo "shellcheck: $n scripts, $fails failed"
[ "$fails" -eq 0 ]
