#pragma once

#include <string>

#include "models/model.h"

namespace kedastral::models {

// The label a snapshot shows for `m`: "auto:<chosen>" for model auto once it has
// chosen (e.g. "auto:seasonal_naive"), "auto" before that, and the plain name()
// for every other model.
std::string ModelLabel(const Model& m);

}  // namespace kedastral::models
