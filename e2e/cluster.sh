# e2e/cluster.sh: a real control plane on loopback for the suites and
# benchmarks that need one (e2e/kube.sh, bench/kube-scale.sh): etcd and
# kube-apiserver from e2e/build.sh, their own CA, an admin client certificate
# in system:masters, an audit log written with deploy/audit-policy.yaml, and
# a kubeconfig for kubectl and helm. Source it after tests/lib.sh, with
# $root (the checkout), $work (a private directory) and a `pids` array
# (what to kill on exit) set; then call cluster_up (or cluster_pki, then
# cluster_start, to add to the PKI in between). $cluster_audit_policy
# replaces deploy/audit-policy.yaml; cluster_apiserver_args adds flags.
# shellcheck shell=bash

cp_bin=$("$root/e2e/build.sh") || { echo "e2e: the control plane did not build" >&2; exit 1; }
PATH="$("$root/scripts/tools.sh"):$PATH"
export PATH
unset KUBECONFIG HELM_DRIVER
pki=$work/pki
cluster_port=$(free_ports 6)
etcd_port=$cluster_port apiserver_port=$((cluster_port + 2))
apiserver_pid=
etcd_pid=
cluster_apiserver_args=()
# driftgate's ports: the webhook (HTTPS), /metrics, the console and /api/v1.
gate_port=$((cluster_port + 3)) metrics_port=$((cluster_port + 4)) console_port=$((cluster_port + 5))
gate_listen=(--listen "127.0.0.1:$gate_port" --metrics-listen "127.0.0.1:$metrics_port"
    --console-listen "127.0.0.1:$console_port")

sign() { # NAME SUBJECT EXT: a key and a certificate signed by the cluster's CA
    openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" &&
        openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null &&
        printf '%b' "$3" >"$pki/$1.ext" &&
        openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
            -days 1 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}

# A kubeconfig at FILE for the client pair NAME (made with sign).
kubeconfig_for() { # FILE NAME
    KUBECONFIG=$1 kubectl config set-cluster e2e --server="https://127.0.0.1:$apiserver_port" \
        --certificate-authority="$pki/ca.crt" --embed-certs >/dev/null &&
        KUBECONFIG=$1 kubectl config set-credentials "$2" --client-certificate="$pki/$2.crt" \
            --client-key="$pki/$2.key" --embed-certs >/dev/null &&
        KUBECONFIG=$1 kubectl config set-context e2e --cluster=e2e --user="$2" >/dev/null &&
        KUBECONFIG=$1 kubectl config use-context e2e >/dev/null
}

# driftgate's own identity (user "driftgate", so the audit log tells its
# requests apart) bound to the chart's ClusterRole, with Helm's Secret
# driver read; its kubeconfig is $work/driftgate.kubeconfig.
driftgate_user() {
    sign driftgate /CN=driftgate 'extendedKeyUsage=clientAuth\n' &&
        kubeconfig_for "$work/driftgate.kubeconfig" driftgate &&
        helm template driftgate "$root/deploy/chart/driftgate" --set helmSecrets=true \
            --show-only templates/rbac.yaml | kubectl apply -f - >/dev/null &&
        kubectl create clusterrolebinding driftgate-user --clusterrole=driftgate --user=driftgate >/dev/null
}

api() { curl -sS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$apiserver_port$1" "${@:2}"; }

start_apiserver() {
    "$cp_bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$apiserver_port" \
        --cert-dir="$work/apiserver" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
        --client-ca-file="$pki/ca.crt" --authorization-mode=RBAC \
        --service-account-issuer="https://127.0.0.1:$apiserver_port" \
        --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key" \
        --service-cluster-ip-range=10.0.0.0/24 --disable-admission-plugins=ServiceAccount \
        --audit-policy-file="${cluster_audit_policy:-$root/deploy/audit-policy.yaml}" \
        --audit-log-path="$work/audit.log" "${cluster_apiserver_args[@]}" \
        >>"$work/apiserver.log" 2>&1 &
    apiserver_pid=$!
    pids+=("$apiserver_pid")
    wait_for 60 api /readyz -f
}

stop_apiserver() { # [SIGNAL]: TERM (default) drains watches for up to a minute; KILL is a crash
    kill -"${1:-TERM}" "$apiserver_pid"
    wait "$apiserver_pid" 2>/dev/null
}

# whichever of driftgate's listeners serves PATH
gate() { # PATH [curl args]
    case $1 in
    /api/* | /console*) curl -sS "http://127.0.0.1:$console_port$1" "${@:2}" ;;
    /metrics) curl -sS "http://127.0.0.1:$metrics_port$1" "${@:2}" ;;
    *) curl -sS --cacert "$work/tls/ca-bundle.crt" "https://127.0.0.1:$gate_port$1" "${@:2}" ;;
    esac
}

# The cluster's CA, the API server's serving pair, an admin in system:masters.
cluster_pki() {
    mkdir -p "$pki"
    openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key"
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=driftgate e2e CA" -days 1 -out "$pki/ca.crt" 2>/dev/null
    sign apiserver /CN=kube-apiserver 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
    sign admin "/CN=e2e-admin/O=system:masters" 'extendedKeyUsage=clientAuth\n'
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
}

cluster_up() {
    cluster_pki && cluster_start
}

# Sets $cp_ready: how long the control plane took to become ready, in seconds.
cluster_start() {
    local t0
    t0=$(date +%s.%N)
    "$cp_bin/etcd" --name e2e --data-dir "$work/etcd" --unsafe-no-fsync \
        --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$((cluster_port + 1))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((cluster_port + 1))" \
        --initial-cluster "e2e=http://127.0.0.1:$((cluster_port + 1))" >"$work/etcd.log" 2>&1 &
    etcd_pid=$!
    pids+=("$etcd_pid")
    wait_for 20 curl -sf "http://127.0.0.1:$etcd_port/health" || { echo "etcd did not start" >&2; return 1; }
    start_apiserver || { echo "kube-apiserver did not become ready" >&2; return 1; }
    export KUBECONFIG=$work/kubeconfig
    kubeconfig_for "$KUBECONFIG" admin
    cp_ready=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
}
