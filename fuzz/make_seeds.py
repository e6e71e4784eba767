#!/usr/bin/env python3
"""Writes the hand-made seed corpora in fuzz/corpus/<target>/ (run from anywhere).

The HTTP and scaler seeds follow how FuzzedDataProvider splits an input: strings are
read from the front (ConsumeRandomLengthString ends a string at a backslash followed
by another character), integers and booleans from the back, last byte first.
The snapshot seeds are encoded with `protoc --encode` from proto/snapshot.proto.
"""
import os
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
ROOT = HERE.parent


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def back_int(value, nbytes):
    """Bytes that FuzzedDataProvider reads back (from the end) as `value`."""
    return bytes((value >> (8 * i)) & 0xFF for i in range(nbytes))


# --- config: the demo config, a Prometheus source with TLS and auth, broken YAML.
write("fuzz_config", "demo.yaml", (ROOT / "examples" / "demo.yaml").read_text())
write("fuzz_config", "prometheus.yaml", """server:
  http: "[::1]:8081"
  grpc: 0.0.0.0:50051
sources:
  prom:
    type: prometheus
    url: https://prometheus.monitoring:9090
    bearerTokenFile: /var/run/token
    caFile: /etc/ca.pem
    timeout: 10s
redis:
  address: redis:6379
  mode: leader
  leaseTtl: 15s
workloads:
  - name: api
    source: prom
    query: sum(rate(http_requests_total{job="api"}[1m]))
    step: 30s
    horizon: 1h
    seasonality: [1d, 7d]
    aggregate: max
    expectSingleSeries: true
    maxGapSteps: 3
    capacity: {targetPerPod: 50, minReplicas: 2, maxReplicas: 100}
""")
write("fuzz_config", "broken.yaml", "workloads:\n  - name: [unclosed\n  step: -1s\n")

# --- Prometheus query_range answers.
write("fuzz_prometheus_parse", "matrix.json",
      '{"status":"success","data":{"resultType":"matrix","result":['
      '{"metric":{"pod":"a"},"values":[[1800000000,"1.5"],[1800000060,"2"],[1800000120,"NaN"]]},'
      '{"metric":{"pod":"b"},"values":[[1800000000.5,"3"],[1800000060,"+Inf"]]}]}}')
write("fuzz_prometheus_parse", "error.json",
      '{"status":"error","errorType":"bad_data","error":"parse error at char 4"}')
write("fuzz_prometheus_parse", "vector.json",
      '{"status":"success","data":{"resultType":"vector","result":[]}}')
write("fuzz_prometheus_parse", "empty.json",
      '{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["x"]}')

# --- CSV files.
write("fuzz_csv", "rfc3339.csv",
      "timestamp,value\n2021-08-15T00:00:00Z,42.07\n2021-08-15T00:01:00Z,42.36\n"
      "2021-08-15T00:03:00+02:00,1e3\n")
write("fuzz_csv", "unix.csv", "# comment\n\n1629000000,1\n1629000060,2.5\n1629000125,-3\n")
write("fuzz_csv", "bad.csv", "t,v\n1629000060,1\n1629000000,nan\nx\n")

# --- HTTP: target from the front; then (from the back) now offset (3 bytes, 86490 =
# +90 s), "use a known method" (1 byte), which one (1 byte: 0 GET, 1 HEAD, 2 POST).
def http_seed(target, method_index):
    return target.encode() + bytes([method_index, 1]) + back_int(86_490, 3)


for i, target in enumerate([
        "/forecast/current?workload=checkout",
        "/forecast/current?workload=legacy&x=%41+b",
        "/forecast",
        "/readyz",
        "/metrics",
        "/",
        "/ui/workload?name=checkout",
        "/ui/workload?name=%3Cscript%3E",
        "/healthz?",
]):
    write("fuzz_http_handlers", f"get_{i}", http_seed(target, 0))
write("fuzz_http_handlers", "head_forecast", http_seed("/forecast", 1))
write("fuzz_http_handlers", "post_forecast", http_seed("/forecast", 2))


# --- Scaler: name, namespace, requested metric, then per metadata entry the key (only
# when not a known one) and the value, from the front; from the back the now offset
# (3 bytes), the number of entries (1 byte), then per entry "known key" and which one.
def scaler_seed(name, ns, metric, entries):
    front, back = b"", b""
    for s in (name, ns, metric):
        front += s.encode() + b"\\;"
    for key_index, key, value in entries:
        if key_index is None:
            front += key.encode() + b"\\;"
            back = bytes([0]) + back
        else:
            back = bytes([key_index, 1]) + back
        front += value.encode() + b"\\;"
    return front + back + bytes([len(entries)]) + back_int(86_490, 3)


write("fuzz_scaler_logic", "by_name", scaler_seed("checkout", "default", "", []))
write("fuzz_scaler_logic", "by_metadata",
      scaler_seed("so", "shop", "kedastral-checkout",
                  [(0, "", "checkout"), (2, "", "3m"), (1, "", "m")]))
write("fuzz_scaler_logic", "shadow", scaler_seed("batch", "", "", [(2, "", "0s")]))
write("fuzz_scaler_logic", "long_lead",
      scaler_seed("checkout", "", "", [(2, "", "9223372036854775807ms")]))
write("fuzz_scaler_logic", "namespaced", scaler_seed("search", "shop", "", [(None, "team", "x")]))

# --- Snapshots as peers publish them.
SNAPSHOT_TEXT = {
    "full": """workload: "checkout" metric: "sum(rate(x[1m]))" generated_at_ms: 1800000000000
start_ms: 1800000030000 step_ms: 60000 horizon_ms: 180000 p50: [1, 2, 3]
quantiles { level: 0.9 values: [2, 3, 4] } quantiles { level: 0.99 values: [3, 4, 5] }
replicas: [1, 2, 3] model: "ets" config_fingerprint: "abc" sequence: 7 leader_epoch: 3
publisher: "pod-a" accuracy { window_ms: 3600000 points: 60 mase: 0.5 mape: nan
p90_coverage: 0.9 } mase_scale: "naive1" underprovision_seconds_total: 12
actuals { start_ms: 1799999970000 step_ms: 60000 values: [1, 1] }
earlier_forecasts { generated_at_ms: 1799999940000 p50 { start_ms: 1799999940000 step_ms: 60000 values: [1] } }""",
    "error_only": """workload: "w" step_ms: 60000 last_error: "boom" last_error_at_ms: 1800000000000
consecutive_failures: 2 sequence: 1""",
    # Refused since the timestamp limits (UBSan finding in MaxReplicasInWindow).
    "far_past": """workload: "w" step_ms: 60000 start_ms: -9223372036854775807
generated_at_ms: -9223372036854775807 p50: [1] replicas: [1]""",
}
for name, text in SNAPSHOT_TEXT.items():
    data = subprocess.run(
        ["protoc", f"--proto_path={ROOT / 'proto'}", "--encode=kedastral.v1.Snapshot",
         "snapshot.proto"],
        input=text.encode(), check=True, capture_output=True).stdout
    write("fuzz_snapshot_codec", name, data)
