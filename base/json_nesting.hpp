// File: base/json_nesting.hpp
//
// A bound on how deeply the JSON of an untrusted file may nest, checked on the text before
// it is parsed. nlohmann::json parses and destroys deep documents without recursion, but
// dump() and every recursive walk over a parsed value recurse once per level, so a
// config.json or safetensors header of a million '[' overflows the stack. The files leadrl
// reads nest a few levels (tokenizer.json: 6), so 128 refuses only hostile or corrupt input.
//
//   if (auto s = leadrl::check_json_nesting(text, "model/config.json"); !s) return s.error();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace leadrl {

/// Nesting levels of arrays and objects a reader of untrusted JSON accepts.
inline constexpr std::size_t max_json_nesting = 128;

/// The deepest nesting of '[' and '{' in `text` outside string literals (escapes skipped),
/// counting stops once it passes `limit`. Malformed text is scanned as well as it goes: the
/// parser reports what is wrong with it.
inline std::size_t json_nesting_depth(std::string_view text, std::size_t limit = SIZE_MAX) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) break;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

/// Fails, naming `source`, when `text` nests deeper than `limit` levels.
inline status check_json_nesting(std::string_view text, const std::string& source,
                                 std::size_t limit = max_json_nesting) {
  if (json_nesting_depth(text, limit) > limit) {
    return fail(source + ": JSON nested deeper than " + std::to_string(limit) +
                 " levels (expected a few; corrupt or hostile file?)");
  }
  return status::success();
}

}  // namespace leadrl
