// Keeps docs/configuration.md honest: its YAML examples load with the real parser,
// every key the parser reads is described there, every key its tables describe is one
// the parser reads, and every model the parser accepts is named. Also loads the
// kedastral.yaml files of deploy/ (the ConfigMaps' content).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/config.h"

namespace kedastral {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = KEDASTRAL_SOURCE_DIR;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Block {
  int line;  // of the opening fence
  std::string text;
};

// The fenced blocks whose info string is exactly `lang`.
std::vector<Block> FencedBlocks(const std::string& markdown, const std::string& lang) {
  std::vector<Block> out;
  std::istringstream in(markdown);
  std::string line;
  int n = 0;
  Block* open = nullptr;
  while (std::getline(in, line)) {
    ++n;
    if (open == nullptr && line == "```" + lang) {
      out.push_back({n, ""});
      open = &out.back();
    } else if (open != nullptr && line == "```") {
      open = nullptr;
    } else if (open != nullptr) {
      open->text += line + "\n";
    }
  }
  return out;
}

std::set<std::string> Matches(const std::string& text, const std::regex& re) {
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

// The keys config.cc reads: map.Get("key") and Read{Key,KeyChecked,Setting}(map, "key", ...).
std::set<std::string> ParserKeys() {
  const std::string code = Read(kSource / "src/core/config.cc");
  std::set<std::string> keys = Matches(code, std::regex(R"re(Get\("([A-Za-z]+)"\))re"));
  for (const std::string& k : Matches(
           code, std::regex(R"re(Read(?:Key|KeyChecked|Setting)\(\s*map,\s*"([A-Za-z]+)")re"))) {
    keys.insert(k);
  }
  return keys;
}

class ConfigurationDocTest : public ::testing::Test {
 protected:
  std::string doc_ = Read(kSource / "docs/configuration.md");
};

TEST_F(ConfigurationDocTest, EveryYamlExampleLoads) {
  const std::vector<Block> blocks = FencedBlocks(doc_, "yaml");
  ASSERT_GE(blocks.size(), 3u);
  for (const Block& b : blocks) {
    auto config = ParseConfig(b.text, "configuration.md example at line " + std::to_string(b.line),
                              (kSource / "examples").string());
    EXPECT_TRUE(config.has_value()) << config.error().message;
  }
}

TEST_F(ConfigurationDocTest, EveryKeyTheParserReadsIsDescribed) {
  const std::set<std::string> keys = ParserKeys();
  ASSERT_GT(keys.size(), 40u) << "the key extraction from config.cc broke";
  for (const std::string& key : keys) {
    EXPECT_NE(doc_.find("`" + key + "`"), std::string::npos) << "`" << key << "` is not described";
  }
}

TEST_F(ConfigurationDocTest, EveryKeyInTheTablesIsOneTheParserReads) {
  // Table rows start with the key(s): "| `targetPerPod` |" or "| `certFile`, `keyFile` |".
  const std::set<std::string> keys = ParserKeys();
  std::istringstream in(doc_);
  std::string line;
  int rows = 0;
  const std::regex key(R"(`([A-Za-z]+)`)");
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string first = line.substr(1, line.find('|', 1) - 1);
    for (const std::string& k : Matches(first, key)) {
      ++rows;
      EXPECT_TRUE(keys.contains(k)) << "the doc describes `" << k << "`, which the parser ignores";
    }
  }
  EXPECT_GT(rows, 40);
}

TEST_F(ConfigurationDocTest, EveryModelTheParserAcceptsIsNamed) {
  const std::string code = Read(kSource / "src/core/config.cc");
  std::smatch list;
  ASSERT_TRUE(std::regex_search(code, list, std::regex(R"(kKnownModels = \{([^}]*)\})")));
  const std::string body = list[1].str();
  const std::set<std::string> models = Matches(body, std::regex(R"re("([a-z_]+)")re"));
  ASSERT_FALSE(models.empty());
  for (const std::string& m : models) {
    EXPECT_NE(doc_.find("`" + m + "`"), std::string::npos) << "model `" << m << "` is not named";
  }
}

TEST(DeployConfigTest, EveryKustomizeConfigLoads) {
  int found = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kSource / "deploy/kustomize")) {
    if (entry.path().filename() != "kedastral.yaml") continue;
    ++found;
    auto config = LoadConfig(entry.path().string());
    EXPECT_TRUE(config.has_value()) << config.error().message;
  }
  EXPECT_EQ(found, 3) << "base, ha-redis and example each have a kedastral.yaml";
}

}  // namespace
}  // namespace kedastral
