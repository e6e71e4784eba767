// Fuzzes the KEDA external-scaler handlers' input checking: an arbitrary
// ScaledObjectRef (name, namespace, metadata), requested metric name and request time
// against a table with workloads in every state, through all three evaluations.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/snapshot_table.h"
#include "fixtures.h"
#include "io/scaler_logic.h"

namespace io = kedastral::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kedastral::SnapshotTable* table = [] {
    auto* t = new kedastral::SnapshotTable();  // leaked on purpose: lives for the whole run
    kedastral::fuzz::FillFixtureTable(*t);
    return t;
  }();
  FuzzedDataProvider in(data, size);
  const auto offset_s = in.ConsumeIntegralInRange<int64_t>(-86'400, 86'400);
  const auto now = kedastral::fuzz::FixtureStart() + std::chrono::seconds(offset_s);
  // Owned strings first; the ref views them (as grpc_server.cc views the protobuf).
  std::string name = in.ConsumeRandomLengthString(300);
  std::string ns = in.ConsumeRandomLengthString(300);
  std::string requested = in.ConsumeRandomLengthString(300);
  std::vector<std::pair<std::string, std::string>> meta;
  const size_t entries = in.ConsumeIntegralInRange<size_t>(0, 70);
  for (size_t i = 0; i < entries && in.remaining_bytes() > 0; ++i) {
    std::string key = in.ConsumeBool()
                          ? std::string(in.PickValueInArray(
                                {io::kWorkloadKey, io::kMetricNameKey, io::kLeadTimeKey}))
                          : in.ConsumeRandomLengthString(300);
    meta.emplace_back(std::move(key), in.ConsumeRandomLengthString(1100));
  }
  io::ScalerRef ref{.name = name, .ns = ns};
  for (const auto& [k, v] : meta) ref.metadata.emplace_back(k, v);

  const bool valid = io::ValidateRef(ref).has_value();
  auto spec = io::EvaluateMetricSpec(*table, ref);
  auto metrics = io::EvaluateMetrics(*table, ref, requested, now);
  auto active = io::EvaluateIsActive(*table, ref, now);
  // An invalid ref is refused by every method.
  if (!valid && (spec || metrics || active)) __builtin_trap();
  if (metrics && metrics->value < 0) __builtin_trap();
  if (auto entry = io::ResolveWorkload(*table, ref); entry && valid) {
    if (auto lead = io::LeadTimeFor(*entry->spec, ref)) {
      auto planned = io::PlannedReplicas(*entry, *lead, now);
      if (planned && *planned < 0) __builtin_trap();
      (void)io::ActiveAt(*entry, *lead, now);
    }
  }
  return 0;
}
