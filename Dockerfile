# driftgate and driftctl, built the way the README builds them (CMake, the
# Debian packages scripts/deps.sh names), on a slim Debian runtime as a
# non-root user. docker build -t driftgate .
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
      libjansson-dev libyaml-dev zlib1g-dev libmicrohttpd-dev libgnutls28-dev \
      libcurl4-openssl-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDG_TESTS=OFF \
 && cmake --build build -j"$(nproc)" --target driftgate driftctl

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjansson4 libyaml-0-2 zlib1g \
      libmicrohttpd12 libgnutls30 libcurl4 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/driftgate /src/build/driftctl /usr/local/bin/
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/driftgate"]
CMD ["--in-cluster", "--tls-cert=/etc/driftgate/tls/tls.crt", "--tls-key=/etc/driftgate/tls/tls.key"]
