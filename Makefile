# The two commands: `make demo` and `make test`. Everything else is a helper.
BUILD    ?= build
ASAN     ?= build-asan
FUZZB    ?= build-fuzz
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?=

PREFIX   ?= /usr/local
DESTDIR  ?=

.PHONY: all deps tools build demo install test test-unit test-asan fuzz bench e2e clean

all: build

deps:
	@scripts/deps.sh

tools: deps
	@scripts/tools.sh >/dev/null

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# driftctl, driftgate, driftgate-certs, kubectl-drift (the kubectl plugin),
# man pages and bash/zsh completion under $(PREFIX), staged under $(DESTDIR).
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# The seed scenario, offline, on the bundled example. Only driftctl is
# built, quietly: the build's output shows only if it fails.
demo: deps
	@mkdir -p $(BUILD)
	@{ cmake -S . -B $(BUILD) $(CMAKE_FLAGS) && cmake --build $(BUILD) --target driftctl -j $(JOBS); } \
	  >$(BUILD)/demo-build.log 2>&1 || { cat $(BUILD)/demo-build.log; exit 1; }
	@examples/demo.sh $(BUILD)/driftctl

# Every test: warnings as errors, the suite plain and under ASan+UBSan, a
# short run of each fuzz target over its corpus, and the real-cluster suite,
# plain and with the ASan+UBSan driftgate (a leak fails its SIGTERM exit).
test: deps tools
	@cmake -S . -B $(BUILD) -DDG_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@PATH="$$(scripts/tools.sh):$$PATH" ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan fuzz e2e
	@ASAN_OPTIONS=detect_leaks=1 e2e/run.sh $(ASAN)
	@ASAN_OPTIONS=detect_leaks=1 e2e/kube.sh $(ASAN)

test-asan:
	@cmake -S . -B $(ASAN) -DDG_WERROR=ON -DDG_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)
	@PATH="$$(scripts/tools.sh):$$PATH" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN) --output-on-failure -j $(JOBS)

fuzz:
	@CC=clang cmake -S . -B $(FUZZB) -DDG_FUZZ=ON -DDG_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZB) -j $(JOBS)
	@fuzz/run.sh $(FUZZB) $${FUZZ_SECONDS:-20}

bench: build
	@bench/run.sh $(BUILD)
	@bench/timeline.sh $(BUILD)
	@bench/webhook.sh $(BUILD)
	@bench/hostile.sh $(BUILD)

# The real-cluster suite: kube-apiserver and etcd built from their Go modules
# (cached in ~/.cache/driftgate; the first build takes minutes), real helm
# and kubectl, driftgate over TLS; then its Kubernetes source on its own.
e2e: tools
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@e2e/run.sh $(BUILD)
	@e2e/kube.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZB)
