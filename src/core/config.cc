#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <locale>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>
#include "core/file.h"

namespace kedastral {
namespace {

// Models a workload may name. The models library is growing; this is the one list to extend.
// The model names models::MakeModel accepts (core cannot depend on models;
// MakeModelTest.ConfigAcceptsExactlyTheseNames checks that the two lists agree).
constexpr std::array<std::string_view, 7> kKnownModels = {"arima", "auto", "baseline", "ets",
                                                         "mstl", "naive", "seasonal_naive"};

constexpr size_t kMaxNameLength = 253;  // Kubernetes object names
// History points one workload may keep (window / step): bounds memory and fitting time.
constexpr std::int64_t kMaxWindowPoints = 1'000'000;

template <class E>
using EnumNames = std::initializer_list<std::pair<std::string_view, E>>;

const EnumNames<Rounding> kRoundingNames = {
    {"ceil", Rounding::kCeil}, {"round", Rounding::kRound}, {"floor", Rounding::kFloor}};
const EnumNames<WorkloadMode> kModeNames = {{"active", WorkloadMode::kActive},
                                            {"shadow", WorkloadMode::kShadow}};
const EnumNames<Aggregate> kAggregateNames = {{"sum", Aggregate::kSum},
                                              {"avg", Aggregate::kAvg},
                                              {"max", Aggregate::kMax},
                                              {"min", Aggregate::kMin}};
const EnumNames<SourceType> kSourceTypeNames = {{"prometheus", SourceType::kPrometheus},
                                                {"replay", SourceType::kReplay}};
const EnumNames<HaMode> kHaModeNames = {{"leader", HaMode::kLeader},
                                        {"independent", HaMode::kIndependent}};
const EnumNames<LogLevel> kLogLevelNames = {{"debug", LogLevel::kDebug},
                                            {"info", LogLevel::kInfo},
                                            {"warn", LogLevel::kWarn},
                                            {"error", LogLevel::kError}};
const EnumNames<LogFormat> kLogFormatNames = {{"json", LogFormat::kJson},
                                              {"text", LogFormat::kText}};

// ---------------------------------------------------------------------------------------------
// Diagnostics: every problem, as `name:line:column: path: reason`.

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // yaml-cpp marks are 0-based; people count from 1. A null mark (an empty document) is 1:1.
  void Add(const YAML::Mark& mark, std::string_view path, std::string_view reason) {
    const int line = mark.is_null() ? 1 : mark.line + 1;
    const int column = mark.is_null() ? 1 : mark.column + 1;
    std::string text = file_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    text.append(path.empty() ? std::string_view("(document)") : path).append(": ").append(reason);
    entries_.push_back({line, column, std::move(text)});
  }

  bool empty() const { return entries_.empty(); }

  // In file order. A problem in `defaults` shows up once even when several workloads inherit it.
  std::string Join() const {
    std::vector<Entry> sorted = entries_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::set<std::string> seen;
    std::string out;
    for (const Entry& e : sorted) {
      if (!seen.insert(e.text).second) continue;
      if (!out.empty()) out += '\n';
      out += e.text;
    }
    return out;
  }

 private:
  struct Entry {
    int line;
    int column;
    std::string text;
  };
  std::string file_;
  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------------------------
// Cursor and MapReader: walking the document with a field path and a position to blame.

// One node of the document, with its field path ("workloads[2].capacity") and the position that
// problems with it are reported at.
struct Cursor {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
  Diagnostics* diag;

  void Error(std::string_view reason) const { diag->Add(mark, path, reason); }

  Cursor Field(std::string_view key, const YAML::Node& value, const YAML::Mark& at) const {
    return {value, path.empty() ? std::string(key) : path + "." + std::string(key), at, diag};
  }
};

std::string_view KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// Edit distance, for "did you mean" hints on unknown keys.
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Reads a mapping key by key. Whatever was never asked for is reported by Finish() as an unknown
// key, so a typo cannot silently fall back to a default. A null node (`server:` with nothing
// under it) reads as an empty mapping.
class MapReader {
 public:
  explicit MapReader(const Cursor& map) : map_(map) {
    if (map.node.IsNull() || !map.node.IsDefined()) return;
    if (!map.node.IsMap()) {
      map.Error("expected a mapping, got " + std::string(KindOf(map.node)));
      ok_ = false;
      return;
    }
    std::set<std::string> keys;
    for (auto it = map.node.begin(); it != map.node.end(); ++it) {
      // A copy: it->first lives in a temporary proxy that dies with this statement.
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        map_.Field("?", key, key.Mark())
            .Error("keys must be plain names, got " + std::string(KindOf(key)));
        continue;
      }
      const Cursor at = map_.Field(key.Scalar(), it->second, key.Mark());
      if (!keys.insert(key.Scalar()).second) {
        at.Error("duplicate key");
        continue;
      }
      entries_.push_back({key.Scalar(), key.Mark(), it->second});
    }
  }

  bool ok() const { return ok_; }

  // The value under `key`, positioned at the value (or at the key when the value is empty).
  std::optional<Cursor> Get(std::string_view key) {
    asked_.emplace_back(key);
    for (Entry& e : entries_) {
      if (e.key != key) continue;
      e.used = true;
      return map_.Field(key, e.value, ValueMark(e));
    }
    return std::nullopt;
  }

  // Every entry, for mappings whose keys are names the user chooses (sources, headers).
  std::vector<std::pair<std::string, Cursor>> All() {
    std::vector<std::pair<std::string, Cursor>> out;
    for (Entry& e : entries_) {
      e.used = true;
      out.emplace_back(e.key, map_.Field(e.key, e.value, ValueMark(e)));
    }
    return out;
  }

  // Where to report something missing from this mapping.
  const Cursor& cursor() const { return map_; }

  void Finish() const {
    for (const Entry& e : entries_) {
      if (e.used) continue;
      // yaml-cpp 0.7 reads "<<" as a plain key rather than merging the aliased mapping.
      std::string reason =
          e.key == "<<" ? "unknown key (YAML merge keys are not supported)" : "unknown key";
      const std::string* best = nullptr;
      size_t best_distance = 3;  // only close matches are worth suggesting
      for (const std::string& known : asked_) {
        const size_t d = Distance(e.key, known);
        if (d < best_distance) {
          best = &known;
          best_distance = d;
        }
      }
      if (best != nullptr) reason += " (did you mean \"" + *best + "\"?)";
      map_.Field(e.key, e.value, e.key_mark).Error(reason);
    }
  }

 private:
  struct Entry {
    std::string key;
    YAML::Mark key_mark;
    YAML::Node value;
    bool used = false;
  };

  // yaml-cpp places an empty value at the next token, which may be lines away; blame the key.
  static YAML::Mark ValueMark(const Entry& e) {
    return e.value.IsNull() || e.value.Mark().is_null() ? e.key_mark : e.value.Mark();
  }

  Cursor map_;
  bool ok_ = true;
  std::vector<Entry> entries_;
  std::vector<std::string> asked_;
};

// ---------------------------------------------------------------------------------------------
// Scalar readers: each reports its own problem and returns nullopt on failure.

std::optional<std::string> ReadScalar(const Cursor& c, std::string_view expected) {
  if (c.node.IsScalar()) return c.node.Scalar();
  c.Error("expected " + std::string(expected) + ", got " + std::string(KindOf(c.node)));
  return std::nullopt;
}

std::optional<std::string> ReadString(const Cursor& c) { return ReadScalar(c, "a string"); }

std::optional<bool> ReadBool(const Cursor& c) {
  auto text = ReadScalar(c, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  c.Error("expected true or false, got \"" + *text + "\"");
  return std::nullopt;
}

// A whole number of type T; out-of-range and malformed values are errors at c.
template <class T>
std::optional<T> ReadWhole(const Cursor& c) {
  auto text = ReadScalar(c, "a whole number");
  if (!text) return std::nullopt;
  T value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    c.Error("\"" + *text + "\" is out of range");
    return std::nullopt;
  }
  if (ec != std::errc() || ptr != end) {
    c.Error("expected a whole number, got \"" + *text + "\"");
    return std::nullopt;
  }
  return value;
}

std::optional<int> ReadInt(const Cursor& c) { return ReadWhole<int>(c); }
std::optional<long> ReadLong(const Cursor& c) { return ReadWhole<long>(c); }

std::optional<double> ReadNumber(const Cursor& c) {
  auto text = ReadScalar(c, "a number");
  if (!text) return std::nullopt;
  // from_chars is locale-independent, unlike strtod.
  double value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    c.Error("expected a number, got \"" + *text + "\"");
    return std::nullopt;
  }
  return value;
}

std::optional<Duration> ReadDuration(const Cursor& c) {
  auto text = ReadScalar(c, "a duration such as 30s or 1h30m");
  if (!text) return std::nullopt;
  auto d = ParseDuration(*text);
  if (!d) {
    c.Error(d.error().message);
    return std::nullopt;
  }
  return *d;
}

template <class E>
std::string JoinNames(EnumNames<E> names) {
  std::string out;
  for (const auto& [name, value] : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

template <class E>
std::optional<E> ReadEnum(const Cursor& c, EnumNames<E> names) {
  auto text = ReadScalar(c, "one of " + JoinNames(names));
  if (!text) return std::nullopt;
  for (const auto& [name, value] : names) {
    if (name == *text) return value;
  }
  c.Error("\"" + *text + "\" is not one of " + JoinNames(names));
  return std::nullopt;
}

std::optional<std::string> ReadHostPort(const Cursor& c) {
  auto text = ReadScalar(c, "host:port");
  if (!text) return std::nullopt;
  auto parsed = ParseHostPort(*text);
  if (!parsed) {
    c.Error(parsed.error().message);
    return std::nullopt;
  }
  return text;
}

// Reads `key` (if present) into `out` when `read` succeeds and `check` finds nothing wrong.
// `check` returns "" or the reason the value is not acceptable.
template <class T, class Reader, class Check>
void ReadKeyChecked(MapReader& map, std::string_view key, T* out, Reader read, Check check) {
  auto c = map.Get(key);
  if (!c) return;
  std::optional<T> value = read(*c);
  if (!value) return;
  if (std::string why = check(*value); !why.empty()) {
    c->Error(why);
    return;
  }
  *out = std::move(*value);
}

template <class T, class Reader>
void ReadKey(MapReader& map, std::string_view key, T* out, Reader read) {
  ReadKeyChecked(map, key, out, read, [](const T&) { return std::string(); });
}

// Reports that `key` is missing from the mapping at `parent`.
void Missing(const Cursor& parent, std::string_view key, std::string_view reason) {
  parent.Field(key, YAML::Node(), parent.mark).Error(reason);
}

// Numbers in messages, independent of the global locale.
std::string FormatNumber(double v) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << v;
  return out.str();
}

// Checks for ReadKeyChecked and ReadSetting: "" when fine, else the reason.
std::string PositiveDuration(const Duration& d) {
  return d.count() > 0 ? "" : "must be greater than 0s";
}

std::string NonEmpty(const std::string& s) { return s.empty() ? "must not be empty" : ""; }

template <class T>
std::string AnyValue(const T&) {
  return "";
}

template <class N>
auto AtLeast(N min) {
  return [min](const N& v) {
    return v >= min ? std::string() : "must be at least " + FormatNumber(min);
  };
}

template <class N>
auto GreaterThan(N min) {
  return [min](const N& v) {
    return v > min ? std::string() : "must be greater than " + FormatNumber(min);
  };
}

// ---------------------------------------------------------------------------------------------
// Layers: what `defaults` or one workload sets, remembered with where it was set, so that the
// merged WorkloadSpec can be checked and each problem blamed on the line that caused it.

enum class Layer { kBuiltin, kDefaults, kWorkload };

template <class T>
struct Setting {
  std::optional<T> value;
  YAML::Mark mark;
  bool invalid = false;  // present but rejected: already reported, skip checks that involve it
};

struct CapacityLayer {
  Setting<double> target_per_pod, headroom, quantile, up_max_factor, down_max_percent;
  Setting<int> min_replicas, max_replicas, prewarm_steps;
  Setting<Rounding> rounding;
};

struct TuningLayer {
  Setting<Duration> step, window, horizon, interval, lead_time, stale_after;
  Setting<std::string> model;
  Setting<Aggregate> aggregate;
  Setting<bool> expect_single_series;
  Setting<int> max_gap_steps;
  Setting<std::vector<Duration>> seasonality;  // empty vector: auto
  std::vector<YAML::Mark> seasonality_marks;   // one per period
  CapacityLayer capacity;
};

// Like ReadKeyChecked, into a Setting: a rejected value marks the setting invalid.
template <class T, class Reader, class Check>
void ReadSetting(MapReader& map, std::string_view key, Setting<T>* out, Reader read, Check check) {
  auto c = map.Get(key);
  if (!c) return;
  out->mark = c->mark;
  out->invalid = true;
  std::optional<T> value = read(*c);
  if (!value) return;
  if (std::string why = check(*value); !why.empty()) {
    c->Error(why);
    return;
  }
  out->value = std::move(*value);
  out->invalid = false;
}

std::optional<std::vector<Duration>> ReadSeasonality(const Cursor& c,
                                                     std::vector<YAML::Mark>* marks) {
  if (c.node.IsScalar()) {
    if (c.node.Scalar() == "auto") return std::vector<Duration>{};
    c.Error("expected auto or a list of periods such as [1d, 1w], got \"" + c.node.Scalar() + "\"");
    return std::nullopt;
  }
  if (!c.node.IsSequence()) {
    c.Error("expected auto or a list of periods such as [1d, 1w], got " +
            std::string(KindOf(c.node)));
    return std::nullopt;
  }
  if (c.node.size() == 0) {
    c.Error("list at least one period, or use auto");
    return std::nullopt;
  }
  std::vector<Duration> periods;
  bool ok = true;
  for (size_t i = 0; i < c.node.size(); ++i) {
    const YAML::Node item = c.node[i];
    const Cursor at{item, c.path + "[" + std::to_string(i) + "]",
                    item.Mark().is_null() ? c.mark : item.Mark(), c.diag};
    auto d = ReadDuration(at);
    if (d && d->count() <= 0) {
      at.Error("must be greater than 0s");
      d.reset();
    }
    ok = ok && d.has_value();
    if (d) {
      periods.push_back(*d);
      marks->push_back(at.mark);
    }
  }
  if (!ok) return std::nullopt;
  return periods;
}

void ReadCapacity(const Cursor& c, CapacityLayer* out) {
  MapReader map(c);
  ReadSetting(map, "targetPerPod", &out->target_per_pod, ReadNumber, GreaterThan(0.0));
  ReadSetting(map, "headroom", &out->headroom, ReadNumber, GreaterThan(0.0));
  ReadSetting(map, "quantile", &out->quantile, ReadNumber, [](const double& q) {
    return q >= 0.5 && q < 1 ? "" : "must be in [0.5, 1), got " + FormatNumber(q);
  });
  ReadSetting(map, "minReplicas", &out->min_replicas, ReadInt, AtLeast(0));
  ReadSetting(map, "maxReplicas", &out->max_replicas, ReadInt, AtLeast(1));
  ReadSetting(map, "upMaxFactor", &out->up_max_factor, ReadNumber, AtLeast(1.0));
  ReadSetting(map, "downMaxPercent", &out->down_max_percent, ReadNumber, [](const double& p) {
    return p >= 0 && p <= 100 ? "" : "must be in [0, 100], got " + FormatNumber(p);
  });
  ReadSetting(map, "prewarmSteps", &out->prewarm_steps, ReadInt, AtLeast(0));
  ReadSetting(
      map, "rounding", &out->rounding, [](const Cursor& v) { return ReadEnum(v, kRoundingNames); },
      AnyValue<Rounding>);
  map.Finish();
}

// The keys `defaults` and each workload share. Unknown keys are left for the caller's Finish().
void ReadTuning(MapReader& map, TuningLayer* out) {
  ReadSetting(map, "step", &out->step, ReadDuration, PositiveDuration);
  ReadSetting(map, "window", &out->window, ReadDuration, PositiveDuration);
  ReadSetting(map, "horizon", &out->horizon, ReadDuration, PositiveDuration);
  ReadSetting(map, "interval", &out->interval, ReadDuration, PositiveDuration);
  ReadSetting(map, "leadTime", &out->lead_time, ReadDuration, AnyValue<Duration>);
  ReadSetting(map, "staleAfter", &out->stale_after, ReadDuration, PositiveDuration);
  ReadSetting(map, "model", &out->model, ReadString, [](const std::string& m) {
    if (std::find(kKnownModels.begin(), kKnownModels.end(), m) != kKnownModels.end())
      return std::string();
    std::string known;
    for (std::string_view k : kKnownModels) known += (known.empty() ? "" : ", ") + std::string(k);
    return "unknown model \"" + m + "\" (known: " + known + ")";
  });
  ReadSetting(
      map, "seasonality", &out->seasonality,
      [out](const Cursor& c) { return ReadSeasonality(c, &out->seasonality_marks); },
      AnyValue<std::vector<Duration>>);
  ReadSetting(
      map, "aggregate", &out->aggregate,
      [](const Cursor& v) { return ReadEnum(v, kAggregateNames); }, AnyValue<Aggregate>);
  ReadSetting(map, "expectSingleSeries", &out->expect_single_series, ReadBool, AnyValue<bool>);
  ReadSetting(map, "maxGapSteps", &out->max_gap_steps, ReadInt, AtLeast(0));
  if (auto c = map.Get("capacity")) ReadCapacity(*c, &out->capacity);
}

// ---------------------------------------------------------------------------------------------
// Merging a workload over `defaults` and checking what involves several fields.

struct Origin {
  Layer layer = Layer::kBuiltin;
  YAML::Mark mark;
  bool invalid = false;
};

template <class T>
struct Resolved {
  T value;
  Origin origin;
};

// The workload's own value, else the one in `defaults`, else the built-in one.
template <class T>
Resolved<T> Resolve(const Setting<T>& own, const Setting<T>& inherited, T builtin) {
  if (own.value || own.invalid) {
    return {own.value.value_or(builtin), {Layer::kWorkload, own.mark, own.invalid}};
  }
  if (inherited.value || inherited.invalid) {
    return {inherited.value.value_or(builtin),
            {Layer::kDefaults, inherited.mark, inherited.invalid}};
  }
  return {builtin, {}};
}

// Reports a problem that involves several fields of one workload's merged spec at the most
// specific place that set one of them: in the workload if it set any, else in `defaults` (where
// Diagnostics folds the repeats from every workload that inherits it into one line).
class CrossChecker {
 public:
  explicit CrossChecker(const Cursor& workload) : workload_(workload) {}

  void Report(std::string_view key, const Origin& subject, std::initializer_list<Origin> others,
              std::string_view reason) const {
    std::vector<Origin> all = {subject};
    all.insert(all.end(), others.begin(), others.end());
    // A field already rejected would only produce a second, confusing message.
    if (std::any_of(all.begin(), all.end(), [](const Origin& o) { return o.invalid; })) return;
    const bool in_workload = std::any_of(
        all.begin(), all.end(), [](const Origin& o) { return o.layer == Layer::kWorkload; });
    const Layer layer = in_workload ? Layer::kWorkload : Layer::kDefaults;
    YAML::Mark mark = workload_.mark;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->layer == layer) mark = it->mark;  // the subject wins, else the first one listed
    }
    const std::string prefix = in_workload ? workload_.path + "." : "defaults.";
    workload_.diag->Add(mark, prefix + std::string(key), reason);
  }

 private:
  Cursor workload_;
};

Duration SaturatingTimes(Duration d, int factor) {
  constexpr auto kMax = std::numeric_limits<Duration::rep>::max();
  return d.count() > kMax / factor ? Duration(kMax) : d * factor;
}

// The workload's capacity: each key its own, else the defaults', else built in.
void MergeCapacity(const CapacityLayer& own, const CapacityLayer& defaults, CapacityPolicy* out) {
  const CapacityPolicy builtin;
  out->target_per_pod =
      Resolve(own.target_per_pod, defaults.target_per_pod, builtin.target_per_pod).value;
  out->headroom = Resolve(own.headroom, defaults.headroom, builtin.headroom).value;
  // No built-in quantile: without one the planner uses headroom.
  if (own.quantile.value) {
    out->quantile = own.quantile.value;
  } else if (!own.quantile.invalid) {
    out->quantile = defaults.quantile.value;
  }
  out->min_replicas = Resolve(own.min_replicas, defaults.min_replicas, builtin.min_replicas).value;
  out->max_replicas = Resolve(own.max_replicas, defaults.max_replicas, builtin.max_replicas).value;
  out->up_max_factor =
      Resolve(own.up_max_factor, defaults.up_max_factor, builtin.up_max_factor).value;
  out->down_max_percent =
      Resolve(own.down_max_percent, defaults.down_max_percent, builtin.down_max_percent).value;
  out->prewarm_steps =
      Resolve(own.prewarm_steps, defaults.prewarm_steps, builtin.prewarm_steps).value;
  out->rounding = Resolve(own.rounding, defaults.rounding, builtin.rounding).value;
}

// The workload's tuning and capacity: its own settings over `defaults` over the built-in ones.
void Merge(const TuningLayer& own, const TuningLayer& defaults, WorkloadSpec* spec) {
  const WorkloadSpec builtin;
  spec->step = Resolve(own.step, defaults.step, builtin.step).value;
  spec->window = Resolve(own.window, defaults.window, builtin.window).value;
  spec->horizon = Resolve(own.horizon, defaults.horizon, builtin.horizon).value;
  spec->interval = Resolve(own.interval, defaults.interval, builtin.interval).value;
  spec->lead_time = Resolve(own.lead_time, defaults.lead_time, builtin.lead_time).value;
  // The staleness default follows the interval actually in effect for this workload.
  spec->stale_after =
      Resolve(own.stale_after, defaults.stale_after, SaturatingTimes(spec->interval, 3)).value;
  spec->model = Resolve(own.model, defaults.model, builtin.model).value;
  spec->seasonality = Resolve(own.seasonality, defaults.seasonality, builtin.seasonality).value;
  spec->aggregate = Resolve(own.aggregate, defaults.aggregate, builtin.aggregate).value;
  spec->expect_single_series =
      Resolve(own.expect_single_series, defaults.expect_single_series,
              builtin.expect_single_series)
          .value;
  spec->max_gap_steps =
      Resolve(own.max_gap_steps, defaults.max_gap_steps, builtin.max_gap_steps).value;
  MergeCapacity(own.capacity, defaults.capacity, &spec->capacity);
}

// The rules that span fields, on the merged values, each blamed where CrossChecker says.
void CheckAcrossFields(const TuningLayer& own, const TuningLayer& defaults, const Cursor& at) {
  const WorkloadSpec builtin;
  const auto step = Resolve(own.step, defaults.step, builtin.step);
  const auto window = Resolve(own.window, defaults.window, builtin.window);
  const auto horizon = Resolve(own.horizon, defaults.horizon, builtin.horizon);
  const CrossChecker check(at);
  if (step.value > horizon.value) {
    check.Report("step", step.origin, {horizon.origin},
                 "step " + FormatDuration(step.value) + " is longer than horizon " +
                     FormatDuration(horizon.value));
  }
  if (window.value < step.value) {
    check.Report("window", window.origin, {step.origin},
                 "window " + FormatDuration(window.value) + " is shorter than step " +
                     FormatDuration(step.value));
  } else if (step.value.count() > 0 && window.value / step.value > kMaxWindowPoints) {
    check.Report("window", window.origin, {step.origin},
                 "window " + FormatDuration(window.value) + " holds " +
                     std::to_string(window.value / step.value) + " steps of " +
                     FormatDuration(step.value) + ", more than " +
                     std::to_string(kMaxWindowPoints));
  }

  const auto min_replicas = Resolve(own.capacity.min_replicas, defaults.capacity.min_replicas,
                                    builtin.capacity.min_replicas);
  const auto max_replicas = Resolve(own.capacity.max_replicas, defaults.capacity.max_replicas,
                                    builtin.capacity.max_replicas);
  if (min_replicas.value > max_replicas.value) {
    check.Report("capacity.minReplicas", min_replicas.origin, {max_replicas.origin},
                 "minReplicas " + std::to_string(min_replicas.value) + " is above maxReplicas " +
                     std::to_string(max_replicas.value));
  }

  const auto seasonality = Resolve(own.seasonality, defaults.seasonality, builtin.seasonality);
  const auto& marks = seasonality.origin.layer == Layer::kWorkload ? own.seasonality_marks
                                                                   : defaults.seasonality_marks;
  for (size_t i = 0; i < seasonality.value.size() && step.value.count() > 0; ++i) {
    const Duration period = seasonality.value[i];
    if (period % step.value == Duration::zero()) continue;
    Origin element = seasonality.origin;
    if (i < marks.size()) element.mark = marks[i];
    check.Report("seasonality[" + std::to_string(i) + "]", element, {step.origin},
                 "period " + FormatDuration(period) + " is not a multiple of step " +
                     FormatDuration(step.value));
  }
}

// ---------------------------------------------------------------------------------------------
// The sections of the file.

bool IsNameChar(char c, bool edge) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !edge && (c == '-' || c == '.' || c == '_');
}

// [a-z0-9]([-a-z0-9._]*[a-z0-9])?, at most 253 characters.
std::string CheckName(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxNameLength)
    return "longer than " + std::to_string(kMaxNameLength) + " characters";
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0 || i + 1 == name.size())) {
      return "\"" + name +
             "\" must be lower-case letters, digits, '-', '.' or '_', starting and ending with a "
             "letter or digit";
    }
  }
  return "";
}

std::string CheckUrl(const std::string& url) {
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) return "";
  return "\"" + url + "\" must start with http:// or https://";
}

// Keys only prometheus sources use: on a replay source they are a mistake worth reporting.
constexpr std::array<std::string_view, 16> kPrometheusOnlyKeys = {
    "url",          "bearerTokenFile",        "bearerToken",           "caFile",
    "certFile",     "keyFile",                "insecureSkipVerify",    "basicAuth",
    "headers",      "timeout",                "maxConcurrentQueries",  "maxResponseBytes",
    "retries",      "retryBackoff",           "circuitBreakerFailures", "circuitBreakerCooldown"};

class ConfigReader {
 public:
  ConfigReader(Diagnostics* diag, std::string base_dir)
      : diag_(diag), base_dir_(std::move(base_dir)) {}

  Config Read(const YAML::Node& root) {
    Config config;
    MapReader top(Cursor{root, "", root.Mark(), diag_});
    if (!top.ok()) return config;
    if (auto c = top.Get("server")) ReadServer(*c, &config.server);
    if (auto c = top.Get("log")) ReadLog(*c, &config.log);
    if (auto c = top.Get("defaults")) ReadDefaults(*c);
    if (auto c = top.Get("sources")) ReadSources(*c, &config.sources);
    if (auto c = top.Get("redis")) config.redis = ReadRedis(*c);
    auto workloads = top.Get("workloads");
    top.Finish();
    if (!workloads) {
      Cursor{root, "workloads", root.Mark(), diag_}.Error("at least one workload is required");
      return config;
    }
    ReadWorkloads(*workloads, config);
    return config;
  }

 private:
  void ReadServer(const Cursor& c, ServerSpec* out) {
    MapReader map(c);
    ReadKey(map, "http", &out->http, ReadHostPort);
    ReadKey(map, "grpc", &out->grpc, ReadHostPort);
    map.Finish();
  }

  void ReadLog(const Cursor& c, LogSpec* out) {
    MapReader map(c);
    ReadKey(map, "level", &out->level, [](const Cursor& v) { return ReadEnum(v, kLogLevelNames); });
    ReadKey(map, "format", &out->format,
            [](const Cursor& v) { return ReadEnum(v, kLogFormatNames); });
    map.Finish();
  }

  void ReadDefaults(const Cursor& c) {
    MapReader map(c);
    ReadTuning(map, &defaults_);
    map.Finish();
  }

  void ReadSources(const Cursor& c, std::vector<SourceSpec>* out) {
    MapReader map(c);
    for (auto& [name, at] : map.All()) {
      if (name.empty()) {
        at.Error("source names must not be empty");
        continue;
      }
      out->push_back(ReadSource(name, at));
    }
    map.Finish();
  }

  SourceSpec ReadSource(const std::string& name, const Cursor& c) {
    SourceSpec s;
    s.name = name;
    MapReader map(c);
    std::optional<SourceType> type;
    if (auto at = map.Get("type")) {
      type = ReadEnum(*at, kSourceTypeNames);
    } else if (map.ok()) {
      Missing(c, "type", "required (prometheus or replay)");
    }
    if (type) s.type = *type;
    ReadKeyChecked(map, "url", &s.url, ReadString, CheckUrl);
    ReadKeyChecked(map, "bearerTokenFile", &s.bearer_token_file, ReadString, NonEmpty);
    ReadKeyChecked(map, "bearerToken", &s.bearer_token, ReadString, NonEmpty);
    ReadKeyChecked(map, "caFile", &s.ca_file, ReadString, NonEmpty);
    ReadKeyChecked(map, "certFile", &s.cert_file, ReadString, NonEmpty);
    ReadKeyChecked(map, "keyFile", &s.key_file, ReadString, NonEmpty);
    ReadKey(map, "insecureSkipVerify", &s.insecure_skip_verify, ReadBool);
    if (auto at = map.Get("basicAuth")) ReadBasicAuth(*at, &s);
    if (auto at = map.Get("headers")) ReadHeaders(*at, &s.headers);
    ReadKeyChecked(map, "timeout", &s.timeout, ReadDuration, PositiveDuration);
    ReadKeyChecked(map, "maxConcurrentQueries", &s.max_concurrent_queries, ReadInt, AtLeast(1));
    ReadKeyChecked(map, "maxResponseBytes", &s.max_response_bytes, ReadLong, AtLeast(1024L));
    ReadKeyChecked(map, "retries", &s.retries, ReadInt, AtLeast(0));
    ReadKeyChecked(map, "retryBackoff", &s.retry_backoff, ReadDuration, PositiveDuration);
    ReadKeyChecked(map, "circuitBreakerFailures", &s.circuit_breaker_failures, ReadInt,
                   AtLeast(1));
    ReadKeyChecked(map, "circuitBreakerCooldown", &s.circuit_breaker_cooldown, ReadDuration,
                   PositiveDuration);
    ReadKeyChecked(map, "file", &s.file, ReadString, NonEmpty);
    map.Finish();
    if (map.ok()) CheckSource(map, type, &s);
    return s;
  }

  // Rules between a source's keys, and the keys each type requires or does not use.
  void CheckSource(MapReader& map, std::optional<SourceType> type, SourceSpec* s) const {
    const Cursor& c = map.cursor();
    const auto token = map.Get("bearerToken");
    if (token && map.Get("bearerTokenFile"))
      token->Error("set bearerToken or bearerTokenFile, not both");
    const auto cert = map.Get("certFile");
    const auto key = map.Get("keyFile");
    if (cert && !key) cert->Error("needs keyFile too");
    if (key && !cert) key->Error("needs certFile too");
    if (type == SourceType::kPrometheus) {
      if (!map.Get("url")) Missing(c, "url", "required for a prometheus source");
      if (auto file = map.Get("file")) file->Error("only replay sources read a file");
    } else if (type == SourceType::kReplay) {
      if (!map.Get("file")) Missing(c, "file", "required for a replay source");
      for (std::string_view k : kPrometheusOnlyKeys) {
        if (auto at = map.Get(k)) at->Error("only prometheus sources use " + std::string(k));
      }
      if (!s->file.empty()) s->file = ResolvePath(s->file);
    }
  }

  static void ReadBasicAuth(const Cursor& c, SourceSpec* s) {
    MapReader map(c);
    if (!map.ok()) return;
    if (!map.Get("username")) Missing(c, "username", "required");
    if (!map.Get("passwordFile")) Missing(c, "passwordFile", "required");
    ReadKeyChecked(map, "username", &s->basic_auth_user, ReadString, NonEmpty);
    ReadKeyChecked(map, "passwordFile", &s->basic_auth_password_file, ReadString, NonEmpty);
    map.Finish();
  }

  static void ReadHeaders(const Cursor& c, std::map<std::string, std::string>* out) {
    MapReader map(c);
    for (auto& [name, at] : map.All()) {
      if (auto value = ReadScalar(at, "a header value")) (*out)[name] = *value;
    }
    map.Finish();
  }

  std::string ResolvePath(const std::string& file) const {
    const std::filesystem::path p(file);
    if (p.is_absolute() || base_dir_.empty()) return file;
    return (std::filesystem::path(base_dir_) / p).lexically_normal().string();
  }

  std::optional<RedisSpec> ReadRedis(const Cursor& c) {
    MapReader map(c);
    if (!map.ok()) return std::nullopt;
    RedisSpec r;
    if (!map.Get("address")) Missing(c, "address", "required when redis is configured");
    ReadKey(map, "address", &r.address, ReadHostPort);
    ReadKeyChecked(map, "passwordFile", &r.password_file, ReadString, NonEmpty);
    ReadKeyChecked(map, "db", &r.db, ReadInt, AtLeast(0));
    ReadKeyChecked(map, "cluster", &r.cluster, ReadString, NonEmpty);
    ReadKey(map, "mode", &r.mode, [](const Cursor& v) { return ReadEnum(v, kHaModeNames); });
    ReadKeyChecked(map, "leaseTtl", &r.lease_ttl, ReadDuration, PositiveDuration);
    ReadKeyChecked(map, "snapshotTtl", &r.snapshot_ttl, ReadDuration, PositiveDuration);
    map.Finish();
    return r;
  }

  void ReadWorkloads(const Cursor& c, Config& config) {
    if (!c.node.IsSequence() && !c.node.IsNull()) {
      c.Error("expected a list of workloads, got " + std::string(KindOf(c.node)));
      return;
    }
    if (c.node.IsNull() || c.node.size() == 0) {
      c.Error("at least one workload is required");
      return;
    }
    std::map<std::string, int> first_line;  // workload name -> line it was first defined on
    for (size_t i = 0; i < c.node.size(); ++i) {
      const YAML::Node item = c.node[i];
      const Cursor at{item, c.path + "[" + std::to_string(i) + "]",
                      item.Mark().is_null() ? c.mark : item.Mark(), diag_};
      YAML::Mark name_mark = at.mark;
      auto spec = ReadWorkload(at, config, &name_mark);
      if (!spec) continue;
      if (!spec->name.empty()) {
        auto [it, added] = first_line.emplace(spec->name, name_mark.line + 1);
        if (!added) {
          at.Field("name", YAML::Node(), name_mark)
              .Error("duplicate workload name \"" + spec->name + "\" (first defined on line " +
                     std::to_string(it->second) + ")");
        }
      }
      config.workloads.push_back(std::move(spec));
    }
  }

  // One list item; `name_mark` receives where its name is written.
  std::shared_ptr<const WorkloadSpec> ReadWorkload(const Cursor& c, const Config& config,
                                                   YAML::Mark* name_mark) {
    MapReader map(c);
    if (!map.ok()) return nullptr;
    auto spec = std::make_shared<WorkloadSpec>();
    if (auto at = map.Get("name")) *name_mark = at->mark;
    if (!map.Get("name")) Missing(c, "name", "required");
    if (!map.Get("source")) Missing(c, "source", "required");
    ReadKeyChecked(map, "name", &spec->name, ReadString, CheckName);
    ReadKeyChecked(map, "namespace", &spec->ns, ReadString, NonEmpty);
    ReadKeyChecked(map, "source", &spec->source, ReadString, NonEmpty);
    ReadKeyChecked(map, "query", &spec->query, ReadString, NonEmpty);
    ReadKeyChecked(map, "metricName", &spec->metric_name, ReadString, NonEmpty);
    ReadKey(map, "mode", &spec->mode, [](const Cursor& v) { return ReadEnum(v, kModeNames); });
    TuningLayer own;
    ReadTuning(map, &own);
    map.Finish();

    if (spec->metric_name.empty() && !spec->name.empty())
      spec->metric_name = "kedastral-" + spec->name;
    if (!spec->source.empty()) CheckSourceReference(map, config, spec->source);
    Merge(own, defaults_, spec.get());
    CheckAcrossFields(own, defaults_, c);
    return spec;
  }

  // The workload's source must exist, and a prometheus source needs a query to run.
  static void CheckSourceReference(MapReader& map, const Config& config, const std::string& name) {
    const SourceSpec* source = config.FindSource(name);
    if (source == nullptr) {
      std::string known;
      for (const SourceSpec& s : config.sources) known += (known.empty() ? "" : ", ") + s.name;
      map.Get("source")->Error(
          "unknown source \"" + name + "\"" +
          (known.empty() ? " (no sources are defined)" : " (known: " + known + ")"));
      return;
    }
    if (source->type == SourceType::kPrometheus && !map.Get("query")) {
      Missing(map.cursor(), "query", "required: source \"" + name + "\" is prometheus");
    }
  }

  Diagnostics* diag_;
  std::string base_dir_;
  TuningLayer defaults_;
};

}  // namespace

size_t WorkloadSpec::HorizonSteps() const {
  if (step.count() <= 0) return 1;
  return std::max<size_t>(1, static_cast<size_t>(horizon / step));
}

const SourceSpec* Config::FindSource(std::string_view name) const {
  for (const SourceSpec& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<Config> ParseConfig(std::string_view yaml, const std::string& name,
                           const std::string& base_dir) {
  Diagnostics diag(name);
  Config config;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    config = ConfigReader(&diag, base_dir).Read(root);
  } catch (const YAML::Exception& e) {
    // Syntax errors (and anything yaml-cpp rejects later) carry the position they were found at.
    diag.Add(e.mark, "syntax error", e.msg);
  }
  if (!diag.empty()) return Fail(Error::InvalidArgument(diag.Join()));
  return config;
}

Result<Config> LoadConfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return Fail(text.error());
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  auto config = ParseConfig(*text, path, base_dir);
  if (config) config->path = path;
  return config;
}

Result<HostPort> ParseHostPort(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Fail(Error::InvalidArgument("invalid address \"" + std::string(text) +
                                       "\": " + std::string(why)));
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("missing :port");
    port = text.substr(close + 2);
    const bool v6 = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (!v6) return bad("expected an IPv6 address inside [ ]");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing :port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return bad("put IPv6 addresses in brackets, e.g. [::1]:8080");
    const bool name_ok = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
    if (!name_ok) return bad("host may hold only letters, digits, '-', '.' and '_'");
  }
  if (host.empty()) return bad("missing host");
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  return HostPort{std::string(host), static_cast<unsigned short>(value)};
}

std::string Summary(const Config& config) {
  const auto count = [](size_t n, std::string_view noun) {
    return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
  };
  std::string out = "ok: " + count(config.workloads.size(), "workload") + ", " +
                    count(config.sources.size(), "source") + ", ";
  if (config.redis) {
    out += "redis " + config.redis->address + " (" +
           (config.redis->mode == HaMode::kLeader ? "leader" : "independent") + ")";
  } else {
    out += "redis off";
  }
  out += ", http " + config.server.http + ", grpc " + config.server.grpc;
  return out;
}

}  // namespace kedastral
