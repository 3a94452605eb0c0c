#!/usr/bin/env bash
# tests/install/run.sh BUILDDIR SRCDIR: `make install` (cmake --install, with
# PREFIX and DESTDIR) into a scratch directory, then everything it installed
# used as a user would: each binary run, `kubectl drift diff` through the
# real kubectl's plugin lookup, each man page rendered by man, and the
# completion scripts sourced in bash (and checked by zsh). The man pages and
# the completion must name every flag each command's --help lists.
set -uo pipefail
build=${1:?usage: run.sh BUILDDIR SRCDIR}
src=${2:?usage: run.sh BUILDDIR SRCDIR}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=tests/lib.sh
. "$src/tests/lib.sh"
cd "$src" || exit 1

# What `make install DESTDIR=... PREFIX=...` runs, and that it passes both on.
plan=$(make -n install DESTDIR=/stage PREFIX=/opt/x BUILD="$build" 2>/dev/null)
has "make install runs cmake --install with PREFIX and DESTDIR" "$plan" \
    'DESTDIR="/stage" cmake --install' '--prefix "/opt/x"'
stage=$scratch/stage
prefix=/opt/driftgate
run "cmake --install into DESTDIR" 0 -- env DESTDIR="$stage" cmake --install "$build" --prefix "$prefix"
root=$stage$prefix
for f in bin/driftctl bin/driftgate bin/driftgate-certs bin/kubectl-drift share/man/man1/driftctl.1 \
    share/man/man8/driftgate.8 share/bash-completion/completions/driftctl \
    share/zsh/site-functions/_driftctl; do
    desc="installed: $prefix/$f (under DESTDIR)" check test -e "$root/$f"
done
desc="nothing installed outside DESTDIR" refused test -e "$prefix"
eq "kubectl-drift is a relative link to driftctl" "$(readlink "$root/bin/kubectl-drift")" driftctl

# ---- each installed binary runs -------------------------------------------------------------
run "installed driftctl" 0 -- "$root/bin/driftctl" version
has "driftctl version" "$out" "driftctl 0.1.0"
run "installed driftgate" 0 -- "$root/bin/driftgate" --help
has "driftgate --help" "$out$err" "--tls-cert"
run "installed driftgate-certs" 0 -- "$root/bin/driftgate-certs" init --dir "$scratch/tls" --ip 127.0.0.1
desc="driftgate-certs made a serving pair" check test -s "$scratch/tls/tls.crt"
run "installed driftctl diff" 2 -- "$root/bin/driftctl" diff --baseline examples/release-baseline.yaml \
    --live examples/live-snapshot.yaml -n sandbox-nginx
has "installed driftctl diff" "$out" "4 active variances"

# ---- the kubectl plugin, found by the real kubectl on PATH ---------------------------------------
if command -v kubectl >/dev/null; then
    plugins=$(PATH="$root/bin:$PATH" kubectl plugin list 2>&1)
    has "kubectl plugin list" "$plugins" "$root/bin/kubectl-drift"
    run "kubectl drift diff" 2 -- env PATH="$root/bin:$PATH" kubectl drift diff \
        --baseline examples/release-baseline.yaml --live examples/live-snapshot.yaml -n sandbox-nginx
    has "kubectl drift diff" "$out" "hpa/test-nginx     spec.minReplicas" "4 active variances"
    run "kubectl drift simulate" 2 -- env PATH="$root/bin:$PATH" kubectl drift simulate \
        --review examples/reviews/hpa-floor-4.json --baseline examples/release-baseline.yaml \
        -n sandbox-nginx -o table
    has "kubectl drift simulate" "$out" "Decision:  deny (403 Forbidden)"
else
    fail "kubectl not on PATH (scripts/tools.sh): the plugin was not tried"
fi

# ---- man pages: rendered without a warning, every flag documented --------------------------------
for page in man1/driftctl.1 man8/driftgate.8; do
    f=$root/share/man/$page
    run "man -l $page" 0 -- env MANWIDTH=80 MAN_DISABLE_SECCOMP=1 man -l "$f"
    has "man -l $page" "$out" "NAME" "SYNOPSIS" "DESCRIPTION" "SEE ALSO"
    warnings=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
    eq "$page: groff -ww finds nothing to warn about" "$warnings" ""
done

# The flags a --help lists: the first column of lines that start (indented)
# with a flag ("  -n, --namespace NS  the ..." gives --namespace).
help_flags() {
    "$@" --help 2>&1 | grep -E '^ {1,4}-' | sed -E 's/^ +//; s/  .*//' |
        grep -oE -- '--[a-z][a-z-]*' | sort -u
}
# mentions NAME FILE NEEDLE: FILE holds NEEDLE (without printing it all).
mentions() { checks=$((checks + 1)); grep -qF -- "$3" "$2" || fail "$1"; }
roff() { printf '%s' "$1" | sed 's/-/\\-/g'; }
ctl_page=$root/share/man/man1/driftctl.1
gate_page=$root/share/man/man8/driftgate.8
bash_comp=$root/share/bash-completion/completions/driftctl
zsh_comp=$root/share/zsh/site-functions/_driftctl
for cmd in render publish capture diff status simulate reconcile timeline console policy; do
    flags=$(help_flags "$root/bin/driftctl" "$cmd")
    [ -n "$flags" ] || fail "driftctl $cmd --help lists no flags"
    # each command's block of the bash script: from "cmd)" to ";;" after esac
    awk -v c="        $cmd)" '$0 == c {p=1} p {print} p && /^            ;;$/ {exit}' "$bash_comp" >"$scratch/bash.$cmd"
    awk -v c="    $cmd)" '$0 == c {p=1} p {print} p && /^        ;;$/ {exit}' "$zsh_comp" >"$scratch/zsh.$cmd"
    for flag in $flags; do
        mentions "driftctl.1 documents $cmd $flag" "$ctl_page" "$(roff "$flag")"
        mentions "bash completion offers $cmd $flag" "$scratch/bash.$cmd" " $flag"
        mentions "zsh completion offers $cmd $flag" "$scratch/zsh.$cmd" "$flag"
    done
done
for flag in $(help_flags "$root/bin/driftgate"); do
    mentions "driftgate.8 documents $flag" "$gate_page" "$(roff "$flag")"
done
for cmd in render publish capture diff status simulate reconcile timeline console policy version completion; do
    mentions "driftctl.1 has a section for $cmd" "$ctl_page" ".SS $cmd"
done

# ---- completion: sourced in bash, asked as bash asks ------------------------------------------------
complete_words() { # WORDS...: what bash completion offers for the last word
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _driftctl; echo "${COMPREPLY[*]}"' \
        _ "$root/share/bash-completion/completions/driftctl" "$@"
}
eq "bash: commands" "$(complete_words driftctl si)" "simulate"
eq "bash: the completion command" "$(complete_words driftctl comp)" "completion"
eq "bash: diff flags" "$(complete_words driftctl diff --sa)" "--sarif-root"
eq "bash: diff formats" "$(complete_words driftctl diff -o '')" "table json yaml markdown sarif"
eq "bash: simulate formats" "$(complete_words driftctl simulate --output '')" "response table json"
eq "bash: timeline formats" "$(complete_words driftctl timeline -o '')" "table json"
eq "bash: files for --audit-log" "$(complete_words driftctl timeline --audit-log tests/fixtures/timeline/e2e-a)" \
    "tests/fixtures/timeline/e2e-audit.log"
eq "bash: patch types" "$(complete_words driftctl simulate --type '')" "merge json"
eq "bash: policy subcommands" "$(complete_words driftctl policy '')" "default kinds"
eq "bash: completion shells" "$(complete_words driftctl completion '')" "bash zsh"
eq "bash: files for --baseline" "$(complete_words driftctl diff --baseline examples/release-b)" \
    "examples/release-baseline.yaml"
eq "bash: kubectl-drift too" "$(bash -c 'source "$1"; complete -p kubectl-drift' _ \
    "$root/share/bash-completion/completions/driftctl")" "complete -F _driftctl kubectl-drift"
eq "the installed script is what driftctl completion bash prints" "$(cat "$bash_comp")" \
    "$("$root/bin/driftctl" completion bash)"
run "driftctl completion with no shell" 1 -- "$root/bin/driftctl" completion
has "completion usage error" "$err" "expected 'bash' or 'zsh'"
if command -v zsh >/dev/null; then
    desc="zsh reads _driftctl" check zsh -n "$zsh_comp"
    has "zsh: a compdef for both names" "$(head -1 "$zsh_comp")" \
        "#compdef driftctl kubectl-drift"
    # What zsh makes of the script: each command's description one word
    # (a quote in one split it), each flag one _arguments spec.
    zsh_ask() { # COMMAND: the commands' descriptions, or COMMAND's _arguments specs
        zsh -c '_arguments() { print -rl -- "$@"; }; _describe() { print -rl -- "${(P)2[@]}"; }
                source "$1"; words=(driftctl "$2"); CURRENT=$(( $# > 1 ? 3 : 2 )); _driftctl' _ "$zsh_comp" "$@"
    }
    eq "zsh: one description per command" "$(zsh_ask | cut -d: -f1 | tr '\n' ' ')" \
        "render publish capture diff status simulate timeline reconcile console policy version completion "
    has "zsh: a quote kept in a description" "$(zsh_ask)" \
        "timeline:a release's audit lifecycle, from the API server's audit log"
    for cmd in render publish capture diff status simulate reconcile timeline console policy; do
        specs=$(zsh_ask "$cmd")
        bad=$(grep -vE '^(\(-[a-z] --[a-z-]+\))?\*?--?[a-z-]+\[[^]]+\](::?[a-z-]+:.*)?$|^1:argument:\(.*\)$' <<<"$specs")
        eq "zsh: $cmd's specs are well formed" "$bad" ""
        case $cmd in # the tables behind a command: console's and --web's, policy kinds'
        console) want=$({ help_flags "$root/bin/driftctl" console; help_flags "$root/bin/driftctl" console --web; } | sort -u) ;;
        policy) want=$(help_flags "$root/bin/driftctl" policy kinds) ;;
        *) want=$(help_flags "$root/bin/driftctl" "$cmd") ;;
        esac
        eq "zsh: $cmd offers each flag once" "$(sed -E 's/^\([^)]*\)//; s/^\*//' <<<"$specs" | grep -oE -- '^--[a-z-]+' | sort | tr '\n' ' ')" \
            "$(tr '\n' ' ' <<<"$want")"
    done
    has "zsh: a quote kept in a flag's description" "$(zsh_ask render)" "--include-crds[the chart's CRDs too]"
    has "zsh: simulate's patch types" "$(zsh_ask simulate)" "--type[the patch type]:type:(merge json)"
    has "zsh: reconcile --apply's plan may be left out" "$(zsh_ask reconcile)" "--apply[apply the plan just made]::apply:_files"
else
    fail "zsh not installed (scripts/deps.sh installs it): _driftctl was not checked"
fi

summary install
