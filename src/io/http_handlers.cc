#include "io/http_handlers.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>

#include "core/config.h"
#include "core/snapshot.h"
#include "core/snapshot_table.h"
#include "io/metrics.h"
#include "io/pages.h"

namespace kedastral::io {
namespace {

namespace json = boost::json;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPlainText = "text/plain; charset=utf-8";
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4";
constexpr std::string_view kHtml = "text/html; charset=utf-8";

constexpr std::string_view kForecastCurrent = "/forecast/current";
constexpr std::string_view kForecast = "/forecast";
constexpr std::string_view kHealthz = "/healthz";
constexpr std::string_view kReadyz = "/readyz";
constexpr std::string_view kMetrics = "/metrics";
constexpr std::string_view kIndex = "/";
constexpr std::string_view kUiWorkload = "/ui/workload";

// Boost.JSON prints every double in exponent form (10.0 -> "1E1"); whole numbers read
// better as integers, and people read this API. Non-finite values have no JSON form.
json::value Number(double v) {
  if (!std::isfinite(v)) return nullptr;
  constexpr double kExact = 9007199254740992.0;  // 2^53: every integer below is exact
  if (v == std::floor(v) && std::fabs(v) < kExact) return static_cast<std::int64_t>(v);
  return v;
}

json::value Seconds(Duration d) {
  if (d.count() % 1000 == 0) return static_cast<std::int64_t>(d.count() / 1000);
  return static_cast<double>(d.count()) / 1000.0;
}

json::array NumberArray(const std::vector<double>& values) {
  json::array a;
  a.reserve(values.size());
  for (double v : values) a.push_back(Number(v));
  return a;
}

std::string_view ModeName(WorkloadMode mode) {
  return mode == WorkloadMode::kShadow ? "shadow" : "active";
}

HttpResponse Json(int status, const json::value& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::string(kJson);
  r.body = json::serialize(body);
  return r;
}

HttpResponse JsonError(int status, std::string_view message) {
  return Json(status, json::object{{"error", message}, {"status", status}});
}

// MaxReplicasInWindow says -1 when the forecast ended before `now`: there is no plan.
json::value DesiredReplicas(const Snapshot& s, const WorkloadSpec& spec, TimePoint now) {
  int replicas = MaxReplicasInWindow(s, now, spec.lead_time);
  if (replicas < 0) return nullptr;
  return replicas;
}

void AddLastError(json::object& o, const Snapshot& s) {
  o["lastError"] = s.last_error;
  o["lastErrorAt"] = FormatRfc3339(s.last_error_at);
  o["consecutiveFailures"] = s.consecutive_failures;
}

// The rolling accuracy, one object per window; undefined measures are null.
json::object Accuracy(const Snapshot& s) {
  json::array windows;
  for (const AccuracyStats& a : s.accuracy) {
    windows.push_back(json::object{{"windowSeconds", Seconds(a.window)},
                                   {"points", a.points},
                                   {"mase", Number(a.mase)},
                                   {"mapePercent", Number(a.mape)},
                                   {"p90Coverage", Number(a.p90_coverage)},
                                   {"underprovisionSeconds", Number(a.underprovision_seconds)}});
  }
  return json::object{{"windows", std::move(windows)},
                      {"maseScale", s.mase_scale},
                      {"underprovisionSecondsTotal", Number(s.underprovision_seconds_total)}};
}

json::object CurrentForecast(const SnapshotTable::Entry& e, TimePoint now) {
  const WorkloadSpec& spec = *e.spec;
  const Snapshot& s = *e.snapshot;
  json::object o;
  o["workload"] = spec.name;
  o["metric"] = s.metric;
  o["metricName"] = spec.metric_name;
  if (!spec.ns.empty()) o["namespace"] = spec.ns;
  o["mode"] = ModeName(spec.mode);
  o["generatedAt"] = FormatRfc3339(s.generated_at);
  o["start"] = FormatRfc3339(s.start);
  o["stepSeconds"] = Seconds(s.step);
  o["horizonSeconds"] = Seconds(s.horizon);
  o["values"] = NumberArray(s.values);
  json::object quantiles;
  for (const QuantileSeries& q : s.quantiles)
    quantiles[QuantileName(q.level)] = NumberArray(q.values);
  o["quantiles"] = std::move(quantiles);
  json::array replicas;
  replicas.reserve(s.replicas.size());
  for (int r : s.replicas) replicas.push_back(r);
  o["replicas"] = std::move(replicas);
  o["desiredReplicas"] = DesiredReplicas(s, spec, now);
  o["leadTimeSeconds"] = Seconds(spec.lead_time);
  o["model"] = s.model;
  o["stale"] = IsStale(&s, spec, now);
  o["ageSeconds"] = Seconds(ForecastAge(s, now));
  if (!s.accuracy.empty()) o["accuracy"] = Accuracy(s);
  if (!s.last_error.empty()) AddLastError(o, s);
  return o;
}

std::optional<std::string> FirstParam(
    const std::vector<std::pair<std::string, std::string>>& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

HttpResponse HandleForecastCurrent(std::string_view query, const SnapshotTable& table,
                                   TimePoint now) {
  auto params = ParseQuery(query);
  if (!params) return JsonError(400, params.error().message);
  std::optional<std::string> workload = FirstParam(*params, "workload");
  if (!workload || workload->empty()) return JsonError(400, "missing query parameter: workload");

  std::optional<SnapshotTable::Entry> e = table.Get(*workload);
  if (!e) return JsonError(404, "unknown workload: " + *workload);
  if (!e->snapshot || !e->snapshot->has_forecast()) {
    json::object o{{"error", "no forecast yet"}, {"status", 503}, {"workload", *workload}};
    if (e->snapshot && !e->snapshot->last_error.empty()) AddLastError(o, *e->snapshot);
    return Json(503, o);
  }
  return Json(200, CurrentForecast(*e, now));
}

HttpResponse HandleForecastList(const SnapshotTable& table, TimePoint now) {
  json::array list;
  for (const SnapshotTable::Entry& e : table.List()) {
    const WorkloadSpec& spec = *e.spec;
    const Snapshot* s = e.snapshot.get();
    bool has_forecast = s != nullptr && s->has_forecast();
    json::object o;
    o["name"] = spec.name;
    if (!spec.ns.empty()) o["namespace"] = spec.ns;
    o["mode"] = ModeName(spec.mode);
    o["model"] = has_forecast ? json::value(s->model) : json::value(nullptr);
    o["generatedAt"] =
        has_forecast ? json::value(FormatRfc3339(s->generated_at)) : json::value(nullptr);
    o["ageSeconds"] = has_forecast ? Seconds(ForecastAge(*s, now)) : json::value(nullptr);
    o["stale"] = IsStale(s, spec, now);
    o["desiredReplicas"] = has_forecast ? DesiredReplicas(*s, spec, now) : json::value(nullptr);
    o["lastError"] =
        s != nullptr && !s->last_error.empty() ? json::value(s->last_error) : json::value(nullptr);
    o["hasForecast"] = has_forecast;
    list.push_back(std::move(o));
  }
  return Json(200, json::object{{"workloads", std::move(list)}});
}

// Ready once every workload has been through at least one cycle (a forecast or a
// recorded error), so a rolling update does not route KEDA to an empty replica.
// Components' states (e.g. high availability) are shown as detail; they do not
// decide readiness: a standalone replica serves as well as a leader.
HttpResponse HandleReadyz(const SnapshotTable& table, const Metrics& metrics) {
  std::vector<SnapshotTable::Entry> entries = table.List();
  json::array pending;
  for (const SnapshotTable::Entry& e : entries) {
    if (!e.snapshot) pending.push_back(json::string(e.spec->name));
  }
  bool ready = pending.empty();
  json::object o{{"ready", ready}, {"workloads", entries.size()}};
  if (!ready) o["pending"] = std::move(pending);
  json::object components;
  for (const auto& [name, status] : metrics.ComponentStatus()) components[name] = status;
  if (!components.empty()) o["components"] = std::move(components);
  return Json(ready ? 200 : 503, o);
}

HttpResponse PlainText(int status, std::string_view content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::string(content_type);
  r.body = std::move(body);
  return r;
}

HttpResponse Html(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::string(kHtml);
  r.body = std::move(body);
  return r;
}

// Errors of the pages are pages too: a person reads them in a browser.
HttpResponse HtmlError(int status, std::string_view message) {
  return Html(status, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                          std::to_string(status) + "</title></head><body><p>" +
                          HtmlEscape(message) + "</p><p><a href=\"/\">all workloads</a></p>" +
                          "</body></html>\n");
}

HttpResponse HandleUiWorkload(std::string_view query, const SnapshotTable& table, TimePoint now) {
  auto params = ParseQuery(query);
  if (!params) return HtmlError(400, params.error().message);
  std::optional<std::string> name = FirstParam(*params, "name");
  if (!name || name->empty()) return HtmlError(400, "missing query parameter: name");
  std::optional<SnapshotTable::Entry> e = table.Get(*name);
  if (!e) return HtmlError(404, "unknown workload: " + *name);
  return Html(200, RenderWorkloadPage(*e, now));
}

// The GET answer for a known path; nullopt for an unknown one.
std::optional<HttpResponse> Route(std::string_view path, std::string_view query,
                                  const SnapshotTable& table, const Metrics& metrics,
                                  TimePoint now) {
  if (path == kForecastCurrent) return HandleForecastCurrent(query, table, now);
  if (path == kForecast) return HandleForecastList(table, now);
  if (path == kHealthz) return PlainText(200, kPlainText, "ok");
  if (path == kReadyz) return HandleReadyz(table, metrics);
  if (path == kMetrics) return PlainText(200, kPrometheusText, metrics.Serialize(now));
  if (path == kIndex) return Html(200, RenderIndexPage(table.List(), now));
  if (path == kUiWorkload) return HandleUiWorkload(query, table, now);
  return std::nullopt;
}

bool IsKnownPath(std::string_view path) {
  return path == kForecastCurrent || path == kForecast || path == kHealthz || path == kReadyz ||
         path == kMetrics || path == kIndex || path == kUiWorkload;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_as_space) {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    int hi = i + 1 < text.size() ? HexDigit(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Fail(
          Error::InvalidArgument("malformed percent escape at offset " + std::to_string(i)));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view raw_name = part.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    auto name = PercentDecode(raw_name, true);
    if (!name) return Fail(name.error());
    auto value = PercentDecode(raw_value, true);
    if (!value) return Fail(value.error());
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string_view RouteLabel(std::string_view target) {
  std::string_view path = SplitTarget(target).first;
  for (std::string_view known :
       {kForecastCurrent, kForecast, kHealthz, kReadyz, kMetrics, kIndex, kUiWorkload}) {
    if (path == known) return known;
  }
  return "other";
}

HttpResponse HandleRequest(const HttpRequest& req, const SnapshotTable& table,
                           const Metrics& metrics, TimePoint now) {
  auto [path, query] = SplitTarget(req.target);
  bool head = req.method == "HEAD";
  if (IsKnownPath(path) && req.method != "GET" && !head) {
    HttpResponse r = JsonError(405, "method not allowed: " + req.method);
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  std::optional<HttpResponse> routed = Route(path, query, table, metrics, now);
  HttpResponse r = routed ? std::move(*routed) : JsonError(404, "not found");
  if (head) {
    r.headers.emplace_back("Content-Length", std::to_string(r.body.size()));
    r.body.clear();
  }
  return r;
}

}  // namespace kedastral::io
