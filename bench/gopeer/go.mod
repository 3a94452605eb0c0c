module driftgate.io/bench/gopeer

go 1.22
