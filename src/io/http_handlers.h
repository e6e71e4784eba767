#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace kedastral {
class SnapshotTable;
}  // namespace kedastral

namespace kedastral::io {

class Metrics;

// The HTTP API as a pure function: no sockets, no Beast types. http_server.cc feeds
// it parsed requests and writes out what it returns; tests call it directly.
//
// Routes (GET, and HEAD with the same headers and an empty body):
//   /forecast/current?workload=W  one workload's forecast and plan (JSON), with "accuracy"
//                                 {windows: [{windowSeconds, points, mase, mapePercent,
//                                 p90Coverage, underprovisionSeconds}], maseScale,
//                                 underprovisionSecondsTotal} once the loop has scored any
//   /forecast                     every configured workload, in config order (JSON)
//   /healthz                      "ok" while the process runs
//   /readyz                       200 once every workload has a snapshot, else 503
//   /metrics                      Prometheus text format
//   /                             HTML: every workload at a glance (see pages.h)
//   /ui/workload?name=W           HTML: one workload's chart, numbers and accuracy; errors
//                                 (400, 404) are HTML pages too
// Errors are JSON {"error": "...", "status": N}: 400 bad query, 404 unknown path or
// workload, 405 other methods (with an Allow header), 503 no forecast yet.

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ... (case-sensitive, as on the wire)
  std::string target;  // origin-form request target: path plus optional "?query"
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  // Extra headers (e.g. Allow). For HEAD this carries Content-Length: the length the
  // GET body would have had, since `body` is empty.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Answers one request from the table's current state at `now`. Never throws for
// bad input (that becomes a 4xx response); only allocation failure can throw.
HttpResponse HandleRequest(const HttpRequest& req, const SnapshotTable& table,
                           const Metrics& metrics, TimePoint now);

// The metrics label for a request target: the matched route ("/forecast/current",
// "/forecast", "/healthz", "/readyz", "/metrics", "/", "/ui/workload") or "other". Never the raw path, so
// the label set stays bounded whatever clients send.
std::string_view RouteLabel(std::string_view target);

// Decodes %XX escapes (either hex case); with `plus_as_space`, '+' becomes ' ' as in
// application/x-www-form-urlencoded query strings. Fails with kInvalidArgument on a
// '%' not followed by two hex digits.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space);

// Splits a query string ("a=1&b=x%20y", without the '?') into decoded name/value
// pairs in order; "a" alone gives ("a", ""), empty parts are skipped. Fails with
// kInvalidArgument when any part has a malformed escape.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

}  // namespace kedastral::io
