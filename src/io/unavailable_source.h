#pragma once

#include "loop/source.h"

namespace kedastral::io {

// Stands in for a source that could not be set up (e.g. a replay file that is
// missing): every fetch fails with the setup error, so each workload using it shows
// the reason on its snapshot and in /forecast, while the others run normally.
class UnavailableSource : public loop::Source {
 public:
  explicit UnavailableSource(Error error) : error_(std::move(error)) {}

  boost::asio::awaitable<Result<Series>> Fetch(loop::FetchRequest) override {
    co_return Fail(error_);
  }

 private:
  Error error_;
};

}  // namespace kedastral::io
