#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/config.h"

namespace kedastral::log {

// Process-wide logger writing one line per event to stderr, as JSON lines
// ({"time":...,"level":...,"msg":...,"workload":...,<fields>}) or as text.
// Thread-safe: each line is written with a single write(2).

// A key and an already formatted value; numbers and strings both pass as text
// (JSON output quotes strings and leaves numbers and booleans bare).
struct Field {
  std::string key;
  std::string value;
  bool quoted = true;
  Field(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  Field(std::string k, const char* v) : key(std::move(k)), value(v) {}
  Field(std::string k, std::string_view v) : key(std::move(k)), value(v) {}
  Field(std::string k, double v);
  Field(std::string k, long long v);
  Field(std::string k, int v) : Field(std::move(k), static_cast<long long>(v)) {}
  Field(std::string k, long v) : Field(std::move(k), static_cast<long long>(v)) {}
  Field(std::string k, unsigned long v) : Field(std::move(k), static_cast<long long>(v)) {}
  Field(std::string k, bool v) : key(std::move(k)), value(v ? "true" : "false"), quoted(false) {}
};

void Configure(LogLevel level, LogFormat format);
bool Enabled(LogLevel level);

void Write(LogLevel level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) { Write(LogLevel::kDebug, msg, f); }
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) { Write(LogLevel::kInfo, msg, f); }
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) { Write(LogLevel::kWarn, msg, f); }
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) { Write(LogLevel::kError, msg, f); }

}  // namespace kedastral::log
