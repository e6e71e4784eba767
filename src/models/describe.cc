#include "models/describe.h"

#include "models/auto_model.h"

namespace kedastral::models {

std::string ModelLabel(const Model& m) {
  std::string label(m.name());
  if (const auto* automatic = dynamic_cast<const AutoModel*>(&m)) {
    if (!automatic->chosen().empty()) label.append(":").append(automatic->chosen());
  }
  return label;
}

}  // namespace kedastral::models
