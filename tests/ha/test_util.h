#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace kedastral::testing {

// Runs the io_context until `done()` holds or `timeout` passes; true when it held.
inline bool RunUntil(boost::asio::io_context& ioc, const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Runs one awaitable to completion on `ioc` (bounded) and returns its value.
template <class T>
std::optional<T> Await(boost::asio::io_context& ioc, boost::asio::awaitable<T> task,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  std::optional<T> out;
  boost::asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T value) {
    if (!e) out = std::move(value);
  });
  RunUntil(ioc, [&] { return out.has_value(); }, timeout);
  return out;
}

}  // namespace kedastral::testing
