#include "io/pages.h"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/config.h"
#include "core/snapshot.h"

namespace kedastral::io {
namespace {

constexpr Duration kMinute{60'000};
constexpr Duration kHour{3'600'000};

// Plot area inside the chart (room for the axes, their labels and the legend).
constexpr double kLeft = 72, kRight = 64, kTop = 44, kBottom = 56;
constexpr double kPlotW = kChartWidth - kLeft - kRight;
constexpr double kPlotH = kChartHeight - kTop - kBottom;

// Colours of the series, shared by the chart and its legend.
constexpr const char* kActualColour = "#1f2937";
constexpr const char* kForecastColour = "#2563eb";
constexpr const char* kBandColour = "#93c5fd";
constexpr const char* kEarlierColour = "#f59e0b";
constexpr const char* kReplicasColour = "#059669";
constexpr const char* kLeadColour = "#fde68a";

// Shared by both pages: a system font stack (nothing fetched) and a quiet palette.
constexpr const char* kCss = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
margin:0;color:#111827;background:#f3f4f6}
header{background:#111827;color:#f9fafb;padding:10px 24px;display:flex;align-items:baseline;gap:16px}
header a{color:#93c5fd;text-decoration:none}header h1{font-size:20px;margin:0}
main{padding:16px 24px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);padding:16px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left;white-space:nowrap}
th{color:#6b7280;font-weight:600;font-size:11px;text-transform:uppercase;letter-spacing:.03em;
white-space:normal;vertical-align:bottom}
.scroll{overflow-x:auto}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.ok{background:#d1fae5;color:#065f46}.stale{background:#fef3c7;color:#92400e}
.error{background:#fee2e2;color:#991b1b}.waiting{background:#e5e7eb;color:#374151}
.shadow{background:#ede9fe;color:#5b21b6}.active{background:#dbeafe;color:#1e40af}
.err{color:#991b1b;white-space:normal;max-width:420px}
.stats{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}
.stat{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);padding:10px 16px;min-width:120px}
.stat .label{font-size:12px;color:#6b7280;text-transform:uppercase;letter-spacing:.03em}
.stat .value{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.muted{color:#6b7280;font-size:13px}
svg text{font-family:inherit}
)css";

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// "HH:MM" in UTC.
std::string ClockTime(TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss<Duration> hms(t - day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()));
  return buf;
}

// "42s", "3m 5s", "2h 10m": a person's reading of an age.
std::string HumanDuration(Duration d) {
  long s = static_cast<long>(d.count() / 1000);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) + "m";
}

// For a query parameter value: everything but unreserved characters as %XX.
std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string_view ModeName(WorkloadMode mode) {
  return mode == WorkloadMode::kShadow ? "shadow" : "active";
}

// One word for a workload's state, also its badge's CSS class.
std::string_view Status(const SnapshotTable::Entry& e, TimePoint now) {
  const Snapshot* s = e.snapshot.get();
  if (s == nullptr) return "waiting";
  if (!s->last_error.empty()) return "error";
  if (!s->has_forecast()) return "waiting";
  if (IsStale(s, *e.spec, now)) return "stale";
  return "ok";
}

std::string Badge(std::string_view cls, std::string_view text) {
  return "<span class=\"badge " + std::string(cls) + "\">" + HtmlEscape(text) + "</span>";
}

// Self-refresh period: the fastest workload's interval, within 5..60 s.
long RefreshSeconds(const std::vector<SnapshotTable::Entry>& entries) {
  Duration fastest{60'000};
  for (const auto& e : entries) fastest = std::min(fastest, e.spec->interval);
  return std::clamp<long>(static_cast<long>(fastest.count() / 1000), 5, 60);
}

std::string PageStart(std::string_view title, long refresh_seconds) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  h += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(refresh_seconds) + "\">";
  h += "<title>" + HtmlEscape(title) + "</title><style>" + std::string(kCss) + "</style></head>";
  h += "<body><header><h1>Kedastral</h1><a href=\"/\">workloads</a>";
  h += "<a href=\"/forecast\">JSON</a><a href=\"/metrics\">metrics</a></header><main>";
  return h;
}

std::string PageEnd(TimePoint now, long refresh_seconds) {
  return "<p class=\"muted\">Rendered " + HtmlEscape(FormatRfc3339(now)) + "; refreshes every " +
         std::to_string(refresh_seconds) + " s. Times in UTC.</p></main></body></html>\n";
}

// Value of `v` at the step containing `at` (step 0 before the start), if any.
std::optional<double> ValueAt(const Snapshot& s, const std::vector<double>& v, TimePoint at) {
  if (v.empty() || s.step.count() <= 0) return std::nullopt;
  const size_t k = at < s.start ? 0 : static_cast<size_t>((at - s.start) / s.step);
  if (k >= v.size()) return std::nullopt;
  return v[k];
}

// Planned replicas for the step containing `at`, step 0 before the forecast starts (it
// starts one step after the newest actual, so "now" usually precedes it); -1 past its end.
int ReplicasNow(const Snapshot& s, TimePoint at) {
  if (!s.replicas.empty() && at < s.start) return s.replicas[0];
  return ReplicasAt(s, at);
}

const std::vector<double>* P90(const Snapshot& s) {
  for (const QuantileSeries& q : s.quantiles) {
    if (std::fabs(q.level - 0.9) < 1e-9) return &q.values;
  }
  return nullptr;
}

const AccuracyStats* Window(const Snapshot& s, Duration w) {
  for (const AccuracyStats& a : s.accuracy) {
    if (a.window == w) return &a;
  }
  return nullptr;
}

std::string Percent(double fraction) {
  return std::isnan(fraction) ? FormatNumber(fraction) : FormatNumber(100 * fraction) + "%";
}

// A "nice" tick spacing (1, 2 or 5 times a power of ten) for about `ticks` ticks up
// to `max`.
double NiceStep(double max, int ticks) {
  const double raw = max / ticks;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

// Maps times and values onto the plot area.
struct Scale {
  TimePoint x0, x1;
  double y_max, r_max;
  double X(TimePoint t) const {
    return kLeft + kPlotW * static_cast<double>((t - x0).count()) /
                       static_cast<double>((x1 - x0).count());
  }
  double Y(double v) const { return kTop + kPlotH - kPlotH * v / y_max; }
  double R(double r) const { return kTop + kPlotH - kPlotH * r / r_max; }
};

std::string Pt(double x, double y) { return Fixed(x, 1) + "," + Fixed(y, 1); }

// A polyline through the series' points that fall in (or next to) the x range.
std::string LinePath(const Scale& sc, TimePoint start, Duration step,
                     const std::vector<double>& v) {
  std::string d;
  for (size_t i = 0; i < v.size(); ++i) {
    const TimePoint t = start + step * static_cast<long>(i);
    if (t < sc.x0 - step || t > sc.x1 + step || !std::isfinite(v[i])) continue;
    d += (d.empty() ? "M" : " L") + Pt(sc.X(t), sc.Y(v[i]));
  }
  return d;
}

void Line(std::string& svg, double x1, double y1, double x2, double y2, std::string_view attrs) {
  svg += "<line x1=\"" + Fixed(x1, 1) + "\" y1=\"" + Fixed(y1, 1) + "\" x2=\"" + Fixed(x2, 1) +
         "\" y2=\"" + Fixed(y2, 1) + "\" " + std::string(attrs) + "/>";
}

void Text(std::string& svg, double x, double y, std::string_view attrs, std::string_view text) {
  svg += "<text x=\"" + Fixed(x, 1) + "\" y=\"" + Fixed(y, 1) + "\" " + std::string(attrs) + ">" +
         HtmlEscape(text) + "</text>";
}

std::string AccuracyTable(const Snapshot& s) {
  std::string h = "<table id=\"accuracy\"><tr><th>window</th><th class=\"num\">scored steps</th>";
  h += "<th class=\"num\">MASE</th><th class=\"num\">MAPE</th><th class=\"num\">p90 coverage</th>";
  h += "<th class=\"num\">underprovisioned</th></tr>";
  for (const AccuracyStats& a : s.accuracy) {
    h += "<tr><td>" + HtmlEscape(FormatDuration(a.window)) + "</td>";
    h += "<td class=\"num\">" + std::to_string(a.points) + "</td>";
    h += "<td class=\"num mase\">" + FormatNumber(a.mase) + "</td>";
    h += "<td class=\"num mape\">" +
         (std::isnan(a.mape) ? FormatNumber(a.mape) : FormatNumber(a.mape) + "%") + "</td>";
    h += "<td class=\"num coverage\">" + Percent(a.p90_coverage) + "</td>";
    h += "<td class=\"num under\">" + FormatNumber(a.underprovision_seconds) + " s</td></tr>";
  }
  h += "</table><p class=\"muted\">Each step is scored against the forecast in effect when its "
       "actual value arrived. MASE scale: " +
       HtmlEscape(s.mase_scale.empty() ? "n/a" : s.mase_scale) +
       " error of the history. Underprovisioned: seconds in which the actual value exceeded the "
       "planned replicas &times; targetPerPod. Total since tracking began: " +
       FormatNumber(s.underprovision_seconds_total) + " s.</p>";
  return h;
}

std::string Stat(std::string_view id, std::string_view label, const std::string& value) {
  return "<div class=\"stat\"><div class=\"label\">" + HtmlEscape(label) +
         "</div><div class=\"value\" id=\"" + std::string(id) + "\">" + value + "</div></div>";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "\u2013";
  if (!std::isfinite(v)) return v > 0 ? "\u221e" : "-\u221e";
  const double a = std::fabs(v);
  std::string s = Fixed(v, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string RenderForecastChart(const WorkloadSpec& spec, const Snapshot& s, TimePoint now) {
  const TimePoint f_end = s.start + s.step * static_cast<long>(s.values.size());
  Scale sc;
  sc.x0 = std::min(now, s.start) - kChartHistory;
  sc.x1 = std::max({f_end, now + spec.lead_time, sc.x0 + kMinute});

  // Value axis: up to the largest value drawn, with a little room.
  const std::vector<double>* p90 = P90(s);
  double top = 0;
  auto grow = [&](TimePoint start, Duration step, const std::vector<double>& v) {
    for (size_t i = 0; i < v.size(); ++i) {
      const TimePoint t = start + step * static_cast<long>(i);
      if (t >= sc.x0 && t <= sc.x1 && std::isfinite(v[i])) top = std::max(top, v[i]);
    }
  };
  grow(s.actuals.start, s.actuals.step, s.actuals.values);
  grow(s.start, s.step, s.values);
  if (p90 != nullptr) grow(s.start, s.step, *p90);
  for (const PastForecast& f : s.earlier_forecasts) grow(f.p50.start, f.p50.step, f.p50.values);
  if (top <= 0) top = 1;
  const double y_step = NiceStep(top * 1.05, 5);
  sc.y_max = std::ceil(top * 1.05 / y_step) * y_step;

  int r_top = 1;
  for (int r : s.replicas) r_top = std::max(r_top, r);
  const double r_step = std::max(1.0, std::round(NiceStep(r_top * 1.1, 5)));
  sc.r_max = std::max(r_step, std::ceil(r_top * 1.1 / r_step) * r_step);

  std::string svg = "<svg id=\"forecast-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(kChartWidth) + " " + std::to_string(kChartHeight) +
                    "\" width=\"100%\" role=\"img\" font-size=\"12\">";
  svg += "<title>" + HtmlEscape(spec.name) + ": actual values, forecast and planned replicas</title>";
  svg += "<defs><clipPath id=\"plot\"><rect x=\"" + Fixed(kLeft, 0) + "\" y=\"" + Fixed(kTop, 0) +
         "\" width=\"" + Fixed(kPlotW, 0) + "\" height=\"" + Fixed(kPlotH, 0) +
         "\"/></clipPath></defs>";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(kChartWidth) + "\" height=\"" +
         std::to_string(kChartHeight) + "\" fill=\"#ffffff\"/>";

  // Lead-time window: what KEDA is answered from right now.
  const double lx0 = sc.X(now), lx1 = std::min(sc.X(now + spec.lead_time), kLeft + kPlotW);
  svg += "<rect class=\"lead-window\" x=\"" + Fixed(lx0, 1) + "\" y=\"" + Fixed(kTop, 1) +
         "\" width=\"" + Fixed(std::max(0.0, lx1 - lx0), 1) + "\" height=\"" + Fixed(kPlotH, 1) +
         "\" fill=\"" + kLeadColour + "\" fill-opacity=\"0.45\"/>";
  Text(svg, lx0 + 4, kTop + 14, "class=\"lead-label\" fill=\"#92400e\"",
       "lead time " + FormatDuration(spec.lead_time));

  // Grid and value axis (left).
  for (double v = 0; v <= sc.y_max + y_step / 2; v += y_step) {
    Line(svg, kLeft, sc.Y(v), kLeft + kPlotW, sc.Y(v), "stroke=\"#e5e7eb\"");
    Text(svg, kLeft - 8, sc.Y(v) + 4, "class=\"y-tick\" text-anchor=\"end\" fill=\"#374151\"",
         FormatNumber(v));
  }
  // Replica axis (right).
  for (double r = 0; r <= sc.r_max + r_step / 2; r += r_step) {
    Text(svg, kLeft + kPlotW + 8, sc.R(r) + 4, "class=\"y2-tick\" fill=\"" +
         std::string(kReplicasColour) + "\"", FormatNumber(r));
  }
  // Time axis: the first spacing that gives at most 9 labels, on round clock times.
  const Duration spacings[] = {kMinute * 5, kMinute * 10, kMinute * 15, kMinute * 30,
                               kHour,       kHour * 2,    kHour * 3,    kHour * 6};
  Duration tick = spacings[std::size(spacings) - 1];
  for (Duration d : spacings) {
    if ((sc.x1 - sc.x0) / d <= 9) {
      tick = d;
      break;
    }
  }
  const Duration since = sc.x0.time_since_epoch();
  for (TimePoint t = TimePoint(since - since % tick) + tick; t <= sc.x1; t += tick) {
    Line(svg, sc.X(t), kTop, sc.X(t), kTop + kPlotH, "stroke=\"#f3f4f6\"");
    Line(svg, sc.X(t), kTop + kPlotH, sc.X(t), kTop + kPlotH + 5, "stroke=\"#6b7280\"");
    Text(svg, sc.X(t), kTop + kPlotH + 19, "class=\"x-tick\" text-anchor=\"middle\" fill=\"#374151\"",
         ClockTime(t));
  }
  Line(svg, kLeft, kTop + kPlotH, kLeft + kPlotW, kTop + kPlotH, "stroke=\"#6b7280\"");
  Line(svg, kLeft, kTop, kLeft, kTop + kPlotH, "stroke=\"#6b7280\"");
  Line(svg, kLeft + kPlotW, kTop, kLeft + kPlotW, kTop + kPlotH, "stroke=\"#6b7280\"");

  // Axis titles, with units.
  Text(svg, kLeft + kPlotW / 2, kChartHeight - 8,
       "class=\"axis-title\" text-anchor=\"middle\" fill=\"#374151\"", "time (UTC)");
  const std::string y_title =
      "demand (query units; " + FormatNumber(spec.capacity.target_per_pod) + " per pod)";
  svg += "<text class=\"axis-title\" transform=\"translate(16 " + Fixed(kTop + kPlotH / 2, 1) +
         ") rotate(-90)\" text-anchor=\"middle\" fill=\"#374151\">" + HtmlEscape(y_title) +
         "</text>";
  svg += "<text class=\"axis-title\" transform=\"translate(" + Fixed(kChartWidth - 14.0, 1) + " " +
         Fixed(kTop + kPlotH / 2, 1) + ") rotate(90)\" text-anchor=\"middle\" fill=\"" +
         kReplicasColour + "\">replicas</text>";

  svg += "<g clip-path=\"url(#plot)\">";
  // p50..p90 band: along p90, then back along p50.
  if (p90 != nullptr && p90->size() == s.values.size() && !s.values.empty()) {
    std::string d;
    for (size_t i = 0; i < p90->size(); ++i) {
      d += (i == 0 ? "M" : " L") + Pt(sc.X(s.start + s.step * static_cast<long>(i)), sc.Y((*p90)[i]));
    }
    for (size_t i = s.values.size(); i-- > 0;) {
      d += " L" + Pt(sc.X(s.start + s.step * static_cast<long>(i)), sc.Y(s.values[i]));
    }
    svg += "<path class=\"p90-band\" d=\"" + d + " Z\" fill=\"" + kBandColour +
           "\" fill-opacity=\"0.45\" stroke=\"none\"/>";
  }
  // Earlier forecasts, older ones fainter.
  const size_t n_earlier = s.earlier_forecasts.size();
  for (size_t i = 0; i < n_earlier; ++i) {
    const PastForecast& f = s.earlier_forecasts[i];
    const std::string d = LinePath(sc, f.p50.start, f.p50.step, f.p50.values);
    if (d.empty()) continue;
    const double opacity = 0.35 + 0.5 * static_cast<double>(i + 1) / static_cast<double>(n_earlier);
    svg += "<path class=\"earlier-forecast\" data-generated=\"" +
           HtmlEscape(FormatRfc3339(f.generated_at)) + "\" d=\"" + d + "\" fill=\"none\" stroke=\"" +
           kEarlierColour + "\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\" stroke-opacity=\"" +
           Fixed(opacity, 2) + "\"><title>forecast made at " + ClockTime(f.generated_at) +
           "</title></path>";
  }
  // Actual values.
  const std::string actual = LinePath(sc, s.actuals.start, s.actuals.step, s.actuals.values);
  if (!actual.empty()) {
    svg += "<path class=\"actual\" d=\"" + actual + "\" fill=\"none\" stroke=\"" + kActualColour +
           "\" stroke-width=\"1.8\"/>";
  }
  // Current p50.
  svg += "<path class=\"forecast-p50\" d=\"" + LinePath(sc, s.start, s.step, s.values) +
         "\" fill=\"none\" stroke=\"" + kForecastColour + "\" stroke-width=\"2.2\"/>";
  // Planned replicas: a step line, each value held over its step.
  if (!s.replicas.empty()) {
    std::string d;
    for (size_t i = 0; i < s.replicas.size(); ++i) {
      const double x0 = sc.X(s.start + s.step * static_cast<long>(i));
      const double x1 = sc.X(s.start + s.step * static_cast<long>(i + 1));
      const double y = sc.R(s.replicas[i]);
      d += (i == 0 ? "M" : " L") + Pt(x0, y) + " L" + Pt(x1, y);
    }
    svg += "<path class=\"replicas\" d=\"" + d + "\" fill=\"none\" stroke=\"" + kReplicasColour +
           "\" stroke-width=\"2\"/>";
  }
  svg += "</g>";

  // Now.
  Line(svg, sc.X(now), kTop - 4, sc.X(now), kTop + kPlotH,
       "class=\"now\" stroke=\"#dc2626\" stroke-width=\"1.2\"");
  Text(svg, sc.X(now), kTop - 8, "text-anchor=\"middle\" fill=\"#dc2626\"", "now " + ClockTime(now));

  // Legend, across the top.
  struct Key {
    const char* label;
    const char* colour;
    const char* dash;
    double width;
  };
  const Key keys[] = {{"actual", kActualColour, "", 1.8},
                      {"forecast p50", kForecastColour, "", 2.2},
                      {"p50\u2013p90", kBandColour, "", 8},
                      {"earlier forecasts", kEarlierColour, "5 3", 1.5},
                      {"planned replicas (right axis)", kReplicasColour, "", 2}};
  double x = kLeft;
  svg += "<g class=\"legend\">";
  for (const Key& k : keys) {
    Line(svg, x, 16, x + 22, 16,
         std::string("stroke=\"") + k.colour + "\" stroke-width=\"" + Fixed(k.width, 1) + "\"" +
             (*k.dash ? std::string(" stroke-dasharray=\"") + k.dash + "\"" : std::string()));
    Text(svg, x + 28, 20, "fill=\"#374151\"", k.label);
    x += 40 + 7.0 * static_cast<double>(std::string_view(k.label).size());
  }
  svg += "</g></svg>";
  return svg;
}

std::string RenderIndexPage(const std::vector<SnapshotTable::Entry>& entries, TimePoint now) {
  const long refresh = RefreshSeconds(entries);
  std::string h = PageStart("Kedastral: workloads", refresh);
  h += "<div class=\"card scroll\"><table id=\"workloads\"><tr><th>workload</th><th>status</th>"
       "<th>mode</th><th>model</th><th class=\"num\">forecast age</th>"
       "<th class=\"num\">replicas now</th><th class=\"num\">planned over lead time</th>"
       "<th class=\"num\">MASE 1h</th><th class=\"num\">MAPE 1h</th>"
       "<th class=\"num\">p90 coverage 1h</th><th class=\"num\">under-provisioned 24h</th>"
       "<th>last error</th></tr>";
  for (const SnapshotTable::Entry& e : entries) {
    const WorkloadSpec& spec = *e.spec;
    const Snapshot* s = e.snapshot.get();
    const bool has = s != nullptr && s->has_forecast();
    const std::string_view status = Status(e, now);
    std::string name = HtmlEscape(spec.name);
    h += "<tr class=\"workload\" data-name=\"" + name + "\"><td><a href=\"/ui/workload?name=" +
         HtmlEscape(UrlEncode(spec.name)) + "\">" + name + "</a>";
    if (!spec.ns.empty()) h += " <span class=\"muted\">" + HtmlEscape(spec.ns) + "</span>";
    h += "</td><td>" + Badge(status, status) + "</td>";
    h += "<td>" + Badge(ModeName(spec.mode), ModeName(spec.mode)) + "</td>";
    h += "<td>" + (has ? HtmlEscape(s->model) : std::string("\u2013")) + "</td>";
    h += "<td class=\"num\">" + (has ? HumanDuration(ForecastAge(*s, now)) : "\u2013") + "</td>";
    const int current = has ? ReplicasNow(*s, now) : -1;
    const int planned = has ? MaxReplicasInWindow(*s, now, spec.lead_time) : -1;
    h += "<td class=\"num\">" + (current >= 0 ? std::to_string(current) : "\u2013") + "</td>";
    h += "<td class=\"num planned\">" + (planned >= 0 ? std::to_string(planned) : "\u2013");
    if (spec.mode == WorkloadMode::kShadow && planned >= 0) {
      h += " <span class=\"muted\">(KEDA gets 0)</span>";
    }
    h += "</td>";
    const AccuracyStats* hour = s != nullptr ? Window(*s, kHour) : nullptr;
    const AccuracyStats* day = s != nullptr ? Window(*s, kHour * 24) : nullptr;
    const double nan = AccuracyStats::kNaN;
    h += "<td class=\"num\">" + FormatNumber(hour ? hour->mase : nan) + "</td>";
    h += "<td class=\"num\">" +
         (hour && !std::isnan(hour->mape) ? FormatNumber(hour->mape) + "%" : FormatNumber(nan)) +
         "</td>";
    h += "<td class=\"num\">" + Percent(hour ? hour->p90_coverage : nan) + "</td>";
    h += "<td class=\"num\">" +
         (day && day->points > 0 ? FormatNumber(day->underprovision_seconds) + " s"
                                 : FormatNumber(nan)) +
         "</td>";
    h += "<td class=\"err\">" +
         (s != nullptr && !s->last_error.empty() ? HtmlEscape(s->last_error) : std::string()) +
         "</td></tr>";
  }
  h += "</table></div>";
  if (entries.empty()) h += "<p>No workloads configured.</p>";
  h += PageEnd(now, refresh);
  return h;
}

std::string RenderWorkloadPage(const SnapshotTable::Entry& e, TimePoint now) {
  const WorkloadSpec& spec = *e.spec;
  const Snapshot* s = e.snapshot.get();
  const long refresh = RefreshSeconds({e});
  std::string h = PageStart("Kedastral: " + spec.name, refresh);
  const std::string_view status = Status(e, now);
  h += "<h2 id=\"workload-name\">" + HtmlEscape(spec.name) + " " + Badge(status, status) + " " +
       Badge(ModeName(spec.mode), ModeName(spec.mode)) + "</h2>";
  h += "<p class=\"muted\">query <code>" + HtmlEscape(spec.query) + "</code> from source <code>" +
       HtmlEscape(spec.source) + "</code>; step " + HtmlEscape(FormatDuration(spec.step)) +
       ", horizon " + HtmlEscape(FormatDuration(spec.horizon)) + ", lead time " +
       HtmlEscape(FormatDuration(spec.lead_time)) + ", " + FormatNumber(spec.capacity.target_per_pod) +
       " per pod" +
       (s != nullptr && s->has_forecast() ? "; model <b id=\"model\">" + HtmlEscape(s->model) + "</b>"
                                          : std::string()) +
       ".</p>";
  if (s != nullptr && !s->last_error.empty()) {
    h += "<div class=\"card err\" id=\"last-error\">Last cycle failed (" +
         std::to_string(s->consecutive_failures) + " in a row): " + HtmlEscape(s->last_error) +
         "</div>";
  }
  if (s == nullptr || !s->has_forecast()) {
    h += "<div class=\"card\">No forecast yet.</div>";
    h += PageEnd(now, refresh);
    return h;
  }
  const int planned = MaxReplicasInWindow(*s, now, spec.lead_time);
  const int current = ReplicasNow(*s, now);
  const std::optional<double> p50 = ValueAt(*s, s->values, now);
  const std::vector<double>* p90v = P90(*s);
  const std::optional<double> p90 = p90v ? ValueAt(*s, *p90v, now) : std::nullopt;
  const double nan = AccuracyStats::kNaN;
  h += "<div class=\"stats\">";
  h += Stat("desired-replicas", "planned (lead time)",
            planned >= 0 ? std::to_string(planned) : "\u2013");
  h += Stat("replicas-now", "replicas now", current >= 0 ? std::to_string(current) : "\u2013");
  h += Stat("keda-value", "KEDA gets",
            spec.mode == WorkloadMode::kShadow ? "0" : (planned >= 0 ? std::to_string(planned) : "\u2013"));
  h += Stat("p50-now", "forecast p50 now", FormatNumber(p50.value_or(nan)));
  h += Stat("p90-now", "forecast p90 now", FormatNumber(p90.value_or(nan)));
  h += Stat("actual-now", "latest actual",
            FormatNumber(s->actuals.empty() ? nan : s->actuals.values.back()));
  h += Stat("forecast-age", "forecast age", HumanDuration(ForecastAge(*s, now)));
  h += "</div>";
  h += "<div class=\"card\">" + RenderForecastChart(spec, *s, now) + "</div>";
  h += "<div class=\"card\"><h3>Accuracy</h3>" + AccuracyTable(*s) + "</div>";
  h += PageEnd(now, refresh);
  return h;
}

}  // namespace kedastral::io
