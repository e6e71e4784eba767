#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace kedastral {

// Broad kind of failure; callers branch on it (the HTTP and gRPC edges map it to
// their own status codes), the message says what happened for people.
enum class ErrorCode {
  kInvalidArgument,  // the caller's input is wrong (bad config, bad parameter)
  kNotFound,         // a named thing does not exist
  kUnavailable,      // a peer or the data is not there now; retrying may help
  kTimeout,          // a deadline passed
  kIo,               // reading a file or a socket failed
  kParse,            // a peer's answer could not be understood
  kInternal,         // a bug or an impossible state
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  static Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
  static Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Error Timeout(std::string m) { return {ErrorCode::kTimeout, std::move(m)}; }
  static Error Io(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
  static Error Parse(std::string m) { return {ErrorCode::kParse, std::move(m)}; }
  static Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
};

// The project's result type: a value or an Error. No exceptions cross module
// boundaries inside core/, models/ and loop/.
template <class T>
using Result = tl::expected<T, Error>;

// Shorthand for returning an error from a function that returns Result<T>.
inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace kedastral
