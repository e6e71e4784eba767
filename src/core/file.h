#pragma once

#include <string>

#include "core/result.h"

namespace kedastral {

// The whole content of a file. Errors are kIo and name the path ("path: No such file
// or directory", "path: is a directory").
Result<std::string> ReadFile(const std::string& path);

}  // namespace kedastral
