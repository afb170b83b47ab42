#include "tests/support/shared_data.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace leadrl::test {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

std::string shared_root() {
  return env_or("LEADRL_SHARED", std::string(LEADRL_SOURCE_DIR) + "/../shared");
}

std::string shared_path(const std::string& relative) {
  return shared_root() + "/" + relative;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot open " + path + " (set LEADRL_SHARED to the shared folder)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
}

}  // namespace leadrl::test
