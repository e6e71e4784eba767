// Fuzzes the config loader: arbitrary bytes as a YAML config file. ParseConfig must
// return a value or an error, never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto config = kedastral::ParseConfig(yaml, "fuzz.yaml", "base");
  if (config) {
    // A valid config must also summarise and look its sources up without trouble.
    (void)kedastral::Summary(*config);
    for (const auto& w : config->workloads) {
      if (w == nullptr) __builtin_trap();
      (void)config->FindSource(w->source);
      (void)w->HorizonSteps();
    }
  }
  return 0;
}
