# shellcheck shell=bash disable=SC2154
# bench/lib.sh: what the benchmark scripts share; sourced, never run.
# Each script sets $tmp (a scratch directory) and $pids (background
# processes to stop) before sourcing it.

bench_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}

# One CA and one EC P-256 serving pair for 127.0.0.1 and localhost, in
# $tmp/{ca,tls}.{crt,key}: every server a script measures uses the same.
bench_certs() {
    openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key"
    openssl req -x509 -new -key "$tmp/ca.key" -subj "/CN=bench CA" -days 1 -out "$tmp/ca.crt" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/tls.key"
    openssl req -new -key "$tmp/tls.key" -subj "/CN=localhost" -out "$tmp/tls.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tmp/ext"
    openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
        -days 1 -extfile "$tmp/ext" -out "$tmp/tls.crt" 2>/dev/null
}
