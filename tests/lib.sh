# tests/lib.sh: the assertions the shell suites share (certs, deploy, e2e).
# Source it after setting $scratch to a private directory. Every assertion
# counts itself in $checks and says what it expected when it fails.
# shellcheck shell=bash
fails=0
checks=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# check CMD...: CMD succeeds; refused CMD...: it fails. $desc names the check.
check() { checks=$((checks + 1)); "$@" || fail "${desc:-$*}"; }
refused() { checks=$((checks + 1)); ! "$@" || fail "${desc:-$*}"; }

# has NAME TEXT NEEDLE...: TEXT contains every NEEDLE; lacks: not this one.
has() {
    local name=$1 text=$2 n
    shift 2
    for n in "$@"; do
        checks=$((checks + 1))
        grep -qF -- "$n" <<<"$text" || fail "$name: lacks '$n' in: $text"
    done
}
lacks() { checks=$((checks + 1)); ! grep -qF -- "$3" <<<"$2" || fail "$1: has '$3'"; }

eq() { checks=$((checks + 1)); [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

# run NAME STATUS -- CMD...: CMD exits STATUS ("nonzero": any refusal);
# its output is left in $out and $err.
run() {
    local name=$1 want=$2 got
    shift 3
    checks=$((checks + 1))
    "$@" >"$scratch/.out" 2>"$scratch/.err"
    got=$?
    out=$(cat "$scratch/.out")
    err=$(cat "$scratch/.err")
    if [ "$want" = nonzero ]; then
        [ "$got" -ne 0 ] || fail "$name: succeeded, want a refusal. stdout: $out"
    else
        [ "$got" -eq "$want" ] || fail "$name: exit $got, want $want. stderr: $err"
    fi
}

# wait_for SECONDS CMD...: until CMD (a command or function) succeeds.
wait_for() {
    local until=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$until" ] || return 1
        sleep 0.2
    done
}

# summary SUITE: the count line, and the suite's exit status.
summary() {
    echo "$1: $checks checks, $fails failed"
    [ "$fails" -eq 0 ]
}

# free_ports N: print the first of N consecutive loopback ports nobody
# listens on, below Linux's ephemeral range (32768 up), where outgoing
# connections take their ports: a random base there collided with another
# suite's client connections when several ran at once.
free_ports() {
    local n=$1 base p
    for _ in $(seq 50); do
        base=$((10000 + RANDOM % (22000 - n)))
        for ((p = base; p < base + n; p++)); do
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue 2
        done
        echo "$base"
        return
    done
    echo "no $n free ports on 127.0.0.1" >&2
    return 1
}
