#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/snapshot_table.h"
#include "core/time.h"

namespace kedastral::io {

// The inspection pages, as pure functions of table entries and the time: HTML with
// inline CSS and an inline SVG chart drawn here, so they work offline (no scripts,
// fonts or stylesheets from elsewhere). Every name and message that comes from the
// config or a source is HTML-escaped. Times are shown in UTC.
//
//   /                    RenderIndexPage: one row per workload: status, mode, model,
//                        forecast age, replicas planned now and over the lead time,
//                        1 h accuracy, 24 h underprovisioning, last error.
//   /ui/workload?name=W  RenderWorkloadPage: summary numbers, accuracy table and
//                        RenderForecastChart.
// Both refresh themselves (<meta http-equiv="refresh">) at the workloads' interval,
// clamped to 5..60 s.

// Chart geometry (SVG user units; the chart scales to the page width).
inline constexpr int kChartWidth = 1000;
inline constexpr int kChartHeight = 440;
// How much history the chart shows before now.
inline constexpr Duration kChartHistory{2 * 3'600'000L};

// &, <, >, " and ' as character references.
std::string HtmlEscape(std::string_view text);

// "1.5", "12.3", "1234": at most 3 significant decimals, trailing zeros dropped;
// "–" for NaN.
std::string FormatNumber(double v);

// The page at "/". Entries in config order.
std::string RenderIndexPage(const std::vector<SnapshotTable::Entry>& entries, TimePoint now);

// The page of one workload (the entry may have no snapshot yet).
std::string RenderWorkloadPage(const SnapshotTable::Entry& entry, TimePoint now);

// The chart of a workload with a forecast, as one <svg id="forecast-chart"> element:
// over [now - kChartHistory, forecast end]: actual values (path.actual), the current
// p50 (path.forecast-p50) with the p50..p90 band (path.p90-band), earlier forecasts
// (path.earlier-forecast), planned replicas as a step line on the right axis
// (path.replicas), the lead-time window from now (rect.lead-window), a now line,
// value and replica axes with ticks (text.y-tick, text.y2-tick), UTC time labels
// (text.x-tick) and axis titles.
std::string RenderForecastChart(const WorkloadSpec& spec, const Snapshot& s, TimePoint now);

}  // namespace kedastral::io
