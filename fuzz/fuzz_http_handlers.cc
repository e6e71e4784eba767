// Fuzzes the HTTP API's request handling: an arbitrary method and request target
// (as Beast would hand them over) against a table with workloads in every state, at
// a time around the fixture's forecasts. Also the query-string helpers on their own.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/snapshot_table.h"
#include "fixtures.h"
#include "io/http_handlers.h"
#include "io/metrics.h"

namespace {

struct World {
  World() : metrics(table) { kedastral::fuzz::FillFixtureTable(table); }
  kedastral::SnapshotTable table;
  kedastral::io::Metrics metrics;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();  // leaked on purpose: lives for the whole run
  FuzzedDataProvider in(data, size);
  const auto offset_s = in.ConsumeIntegralInRange<int64_t>(-86'400, 86'400);
  kedastral::io::HttpRequest req;
  req.method = in.ConsumeBool() ? std::string(in.PickValueInArray({"GET", "HEAD", "POST"}))
                                : in.ConsumeRandomLengthString(16);
  req.target = in.ConsumeRemainingBytesAsString();
  const auto now = kedastral::fuzz::FixtureStart() + std::chrono::seconds(offset_s);

  auto resp = kedastral::io::HandleRequest(req, world->table, world->metrics, now);
  if (resp.status < 100 || resp.status > 599) __builtin_trap();
  if (req.method == "HEAD" && !resp.body.empty()) __builtin_trap();
  (void)kedastral::io::RouteLabel(req.target);
  if (auto q = req.target.find('?'); q != std::string::npos) {
    (void)kedastral::io::ParseQuery(std::string_view(req.target).substr(q + 1));
  }
  (void)kedastral::io::PercentDecode(req.target, /*plus_as_space=*/true);
  return 0;
}
