#include "core/file.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace kedastral {

Result<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Fail(Error::Io(path + ": is a directory"));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Fail(Error::Io(path + ": " + std::generic_category().message(err != 0 ? err : EIO)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Fail(Error::Io(path + ": read failed"));
  return text.str();
}

}  // namespace kedastral
