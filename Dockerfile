# Kedastral's image: built on Debian 12 with the project's own setup script, run on
# debian:12-slim with only the shared libraries the binary links (tests/deploy checks
# the list below against `ldd` of the built binary), as a non-root user.
#   docker build -t kedastral:0.1.0 .
#   docker run --rm -p 8081:8081 -p 50051:50051 kedastral:0.1.0   # serves the bundled demo

FROM debian:12 AS build
WORKDIR /src
# The packages first, so that source changes do not reinstall them.
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DKEDASTRAL_BUILD_TESTS=OFF -DKEDASTRAL_BUILD_BENCH=OFF \
 && cmake --build /build --target kedastral \
 && strip /build/kedastral \
 && /build/kedastral version

FROM debian:12-slim AS runtime
# One package per line: tests/deploy/deploy_test.sh reads this list.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 \
      libc-ares2 \
      libc6 \
      libgcc-s1 \
      libgrpc++1.51 \
      libgrpc29 \
      libhiredis0.14 \
      libprometheus-cpp-core1.0 \
      libprotobuf32 \
      libre2-9 \
      libssl3 \
      libstdc++6 \
      libyaml-cpp0.7 \
      zlib1g \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 65532 kedastral \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin kedastral
COPY --from=build /build/kedastral /usr/bin/kedastral
# The demo series the default config replays, and that config at the fixed path (in a
# cluster the ConfigMap is mounted over /etc/kedastral).
COPY examples/demo.csv /usr/share/kedastral/demo.csv
COPY deploy/kustomize/base/kedastral.yaml /etc/kedastral/kedastral.yaml
USER 65532:65532
EXPOSE 8081 50051
ENTRYPOINT ["/usr/bin/kedastral"]
CMD ["serve", "--config", "/etc/kedastral/kedastral.yaml"]
