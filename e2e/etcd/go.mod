// Wrapper module that builds etcd 3.5 (the server line the pinned
// kube-apiserver's etcd client v3.5.21 was released against).
module driftgate.invalid/e2e/etcd

go 1.24.0

tool go.etcd.io/etcd/server/v3

require go.etcd.io/etcd/server/v3 v3.5.21
