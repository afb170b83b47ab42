// File: tests/support/shared_data.hpp
//
// Where tests find the project's shared material (spec vectors, data): the folder
// named by LEADRL_SHARED, else ../shared beside the source root.
//
//   auto path = leadrl::test::shared_path("spec/vectors/lead_vectors.json");
//   nlohmann::json j = leadrl::test::read_json(path);
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace leadrl::test {

/// The shared folder: $LEADRL_SHARED, else <source root>/../shared.
std::string shared_root();

/// `relative` under shared_root().
std::string shared_path(const std::string& relative);

/// The value of environment variable `name`, else `fallback`.
std::string env_or(const char* name, const std::string& fallback);

/// Parses a JSON file; a missing or malformed file fails the calling test via an exception
/// whose message names the file.
nlohmann::json read_json(const std::string& path);

}  // namespace leadrl::test
