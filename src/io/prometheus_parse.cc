#include "io/prometheus_parse.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace kedastral::io {
namespace {

namespace json = boost::json;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

Error FromPrometheus(std::string_view type, std::string_view message) {
  std::string text = "prometheus error " + std::string(type) + ": " + std::string(message);
  if (type == "bad_data") return Error::InvalidArgument(std::move(text));
  if (type == "timeout") return Error::Timeout(std::move(text));
  return Error::Unavailable(std::move(text));
}

std::string_view StringOr(const json::object& o, std::string_view key, std::string_view fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return fallback;
  return v->get_string();
}

// Prometheus writes sample values as strings: "1.5", "NaN", "+Inf", "-Inf".
bool ParseSampleValue(std::string_view text, double* out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Timestamps are seconds as a JSON number, possibly with a fraction (".5").
bool ParseTimestamp(const json::value& v, TimePoint* out) {
  double seconds = 0;
  if (v.is_double()) {
    seconds = v.get_double();
  } else if (v.is_int64()) {
    seconds = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    seconds = static_cast<double>(v.get_uint64());
  } else {
    return false;
  }
  if (!std::isfinite(seconds)) return false;
  *out = TimePoint(Duration(std::llround(seconds * 1000.0)));
  return true;
}

// Folds one series' finite samples into the running per-step aggregate.
class Folder {
 public:
  Folder(Aggregate aggregate, size_t points)
      : aggregate_(aggregate), acc_(points, 0.0), count_(points, 0) {}

  void Add(size_t i, double v) {
    if (count_[i] == 0) {
      acc_[i] = v;
    } else if (aggregate_ == Aggregate::kMax) {
      acc_[i] = std::max(acc_[i], v);
    } else if (aggregate_ == Aggregate::kMin) {
      acc_[i] = std::min(acc_[i], v);
    } else {
      acc_[i] += v;  // sum and avg
    }
    ++count_[i];
  }

  std::vector<double> Take() {
    for (size_t i = 0; i < acc_.size(); ++i) {
      if (count_[i] == 0) {
        acc_[i] = kMissing;
      } else if (aggregate_ == Aggregate::kAvg) {
        acc_[i] /= static_cast<double>(count_[i]);
      }
    }
    return std::move(acc_);
  }

 private:
  Aggregate aggregate_;
  std::vector<double> acc_;
  std::vector<unsigned> count_;
};

}  // namespace

Result<void> ParsePrometheusError(std::string_view body) {
  json::error_code ec;
  json::monotonic_resource mr;
  const json::value root = json::parse(body, ec, &mr);
  if (ec || !root.is_object()) return {};
  const json::object& o = root.get_object();
  if (StringOr(o, "status", "") != "error") return {};
  return Fail(FromPrometheus(StringOr(o, "errorType", "unknown"), StringOr(o, "error", "")));
}

Result<QueryRangeData> ParseQueryRange(std::string_view body, TimePoint start, Duration step,
                                       size_t points, const FoldOptions& opts) {
  if (step.count() <= 0) return Fail(Error::InvalidArgument("step must be positive"));
  json::error_code ec;
  json::monotonic_resource mr;  // one arena for the whole document: no per-node allocations
  const json::value root = json::parse(body, ec, &mr);
  if (ec) return Fail(Error::Parse("query_range answer is not JSON: " + ec.message()));
  if (!root.is_object()) return Fail(Error::Parse("query_range answer is not a JSON object"));
  const json::object& top = root.get_object();
  const std::string_view status = StringOr(top, "status", "");
  if (status == "error") {
    return Fail(FromPrometheus(StringOr(top, "errorType", "unknown"), StringOr(top, "error", "")));
  }
  if (status != "success") return Fail(Error::Parse("query_range answer has no status success"));
  const json::value* data = top.if_contains("data");
  if (data == nullptr || !data->is_object())
    return Fail(Error::Parse("query_range answer has no data object"));
  const std::string_view type = StringOr(data->get_object(), "resultType", "");
  if (type != "matrix") {
    return Fail(Error::InvalidArgument("query_range answered resultType \"" + std::string(type) +
                                       "\", expected matrix"));
  }
  const json::value* result = data->get_object().if_contains("result");
  if (result == nullptr || !result->is_array())
    return Fail(Error::Parse("query_range answer has no result array"));
  const json::array& series = result->get_array();
  if (opts.expect_single_series && series.size() > 1) {
    return Fail(Error::InvalidArgument(
        "the query returned " + std::to_string(series.size()) +
        " series and the workload sets expectSingleSeries (aggregate it in the query, e.g. sum())"));
  }

  QueryRangeData out;
  out.series_count = series.size();
  Folder folder(opts.aggregate, points);
  for (const json::value& s : series) {
    const json::value* values = s.is_object() ? s.get_object().if_contains("values") : nullptr;
    if (values == nullptr) continue;  // a series with only histograms carries no "values"
    if (!values->is_array()) return Fail(Error::Parse("a series' values is not an array"));
    for (const json::value& sample : values->get_array()) {
      const json::array* pair = sample.if_array();
      TimePoint t;
      double v = 0;
      if (pair == nullptr || pair->size() != 2 || !ParseTimestamp((*pair)[0], &t) ||
          !(*pair)[1].is_string() || !ParseSampleValue((*pair)[1].get_string(), &v)) {
        return Fail(Error::Parse("malformed sample " + json::serialize(sample)));
      }
      ++out.samples;
      const Duration offset = t - start;
      if (offset.count() < 0 || offset % step != Duration::zero() ||
          static_cast<size_t>(offset / step) >= points) {
        ++out.off_grid;
        continue;
      }
      if (!std::isfinite(v)) {
        ++out.non_finite;
        continue;
      }
      folder.Add(static_cast<size_t>(offset / step), v);
    }
  }
  out.series.start = start;
  out.series.step = step;
  out.series.values = folder.Take();
  return out;
}

}  // namespace kedastral::io
