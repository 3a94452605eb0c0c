#!/usr/bin/env bash
# tests/certs/run.sh DRIFTGATE SRCDIR: certs/driftgate-certs makes what the
# API server needs (EC P-256, the Service's SANs, a caBundle), and a CA
# rollover done by its procedure fails no call to a running driftgate that
# is verified the way the API server verifies it.
set -uo pipefail
gate=${1:?usage: run.sh DRIFTGATE SRCDIR}
src=${2:?usage: run.sh DRIFTGATE SRCDIR}
certs=$src/certs/driftgate-certs
svc=driftgate.driftgate-system.svc
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null; [ "$fails" = 0 ] || cat "$tmp/gate.log" >&2; rm -rf "$tmp"' EXIT
scratch=$tmp
# shellcheck source=../lib.sh
. "$src/tests/lib.sh"

d=$tmp/tls
desc="init" check "$certs" init --dir "$d" --ip 127.0.0.1 2>/dev/null
text=$(openssl x509 -in "$d/tls.crt" -noout -text)
for want in "ASN1 OID: prime256v1" "DNS:$svc," "DNS:$svc.cluster.local" "IP Address:127.0.0.1" \
    "TLS Web Server Authentication"; do
    desc="serving certificate has '$want'" check grep -qF "$want" <<<"$text"
done
desc="CA is a CA" check grep -qF "CA:TRUE" <<<"$(openssl x509 -in "$d/ca.crt" -noout -text)"
desc="keys are private" check test "$(stat -c %a "$d/tls.key")" = 600
desc="caBundle decodes to the bundle" check cmp -s <("$certs" bundle --dir "$d" | base64 -d) "$d/ca-bundle.crt"
desc="check passes" check "$certs" check --dir "$d" >/dev/null
desc="check fails when expiry is near" refused "$certs" check --dir "$d" --renew-days 400 >/dev/null 2>&1
desc="init refuses to overwrite a CA" refused "$certs" init --dir "$d" 2>/dev/null
before=$(openssl x509 -in "$d/tls.crt" -noout -serial)
"$certs" rotate-serving --dir "$d" 2>/dev/null
desc="rotate-serving waits until due" check test "$before" = "$(openssl x509 -in "$d/tls.crt" -noout -serial)"
desc="rsa keys" check "$certs" init --dir "$tmp/rsa" --key rsa 2>/dev/null
desc="rsa key is RSA" check grep -qF "rsaEncryption" <<<"$(openssl x509 -in "$tmp/rsa/tls.crt" -noout -text)"
desc="a bad flag is named" check grep -qF "unknown flag '--nope'" <<<"$("$certs" init --nope 2>&1)"

# ---- a CA rollover under load ------------------------------------------------------------
port=$(free_ports 1)
"$gate" --listen "127.0.0.1:$port" --tls-cert "$d/tls.crt" --tls-key "$d/tls.key" --baseline-dir "$tmp" \
    --metrics-listen "" --console-listen "" 2>"$tmp/gate.log" &
pid=$!
for _ in $(seq 100); do
    curl -sf --cacert "$d/ca-bundle.crt" --resolve "$svc:$port:127.0.0.1" "https://$svc:$port/healthz" \
        >/dev/null 2>&1 && break
    sleep 0.05
done
# What the API server trusts: the published caBundle. It changes at once
# (by rename), as a ValidatingWebhookConfiguration update does.
publish() { cp "$d/ca-bundle.crt" "$tmp/published.new" && mv "$tmp/published.new" "$tmp/published.crt"; }
publish
load() { # calls until $tmp/stop exists; one line per failure
    while [ ! -e "$tmp/stop" ]; do
        cp "$tmp/published.crt" "$tmp/trust.crt"
        curl -sSf --cacert "$tmp/trust.crt" --resolve "$svc:$port:127.0.0.1" "https://$svc:$port/healthz" \
            >/dev/null 2>>"$tmp/failures"
        echo x >>"$tmp/calls"
    done
}
load &
loader=$!
sleep 0.5
"$certs" rotate-ca --dir "$d" 2>/dev/null
publish # 1. the bundle with both CAs
sleep 0.5
"$certs" rotate-serving --dir "$d" --force 2>/dev/null # 2. driftgate reloads the new pair
for _ in $(seq 100); do grep -q "serving certificate reloaded" "$tmp/gate.log" && break; sleep 0.1; done
"$certs" retire-ca --dir "$d" 2>/dev/null
publish # 3. the bundle with the new CA only
sleep 0.5
touch "$tmp/stop"
wait $loader
checks=$((checks + 1))
[ ! -s "$tmp/failures" ] || fail "$(wc -l <"$tmp/failures") of $(wc -l <"$tmp/calls") calls failed during the CA rollover: $(sort "$tmp/failures" | uniq -c)"
desc="calls were made during the rollover" check test "$(wc -l <"$tmp/calls")" -gt 10
desc="the new CA alone verifies driftgate now" check curl -sf --cacert "$d/ca.crt" \
    --resolve "$svc:$port:127.0.0.1" "https://$svc:$port/healthz" -o /dev/null
desc="the serving certificate kept its IP SAN" check grep -qF "IP Address:127.0.0.1" \
    <<<"$(openssl x509 -in "$d/tls.crt" -noout -text)"
desc="driftgate logged the reload" check grep -q "serving certificate reloaded" "$tmp/gate.log"

summary certs
