// File: model/tokenizer_unicode_data.hpp
//
// Unicode character data for NFC normalization, generated into
// tokenizer_unicode_data.cpp from the Unicode Character Database (version 14.0, the
// version PCRE2 10.42 uses for \p{..}). Only model/tokenizer_unicode.cpp reads it.
//
//   auto* e = std::lower_bound(compositions, compositions + compositions_size, key, less);
//   if (e != compositions + compositions_size && ...) return e->composite;
#pragma once

#include <cstddef>
#include <cstdint>

namespace leadrl::model::unicode_data {

/// A code point whose canonical combining class is not 0.
struct combining_class_entry {
  char32_t code_point;
  std::uint8_t combining_class;
};

/// A code point's full canonical decomposition: `length` code points at
/// `decomposition_pool[offset]`. Hangul syllables are decomposed algorithmically instead.
struct decomposition_entry {
  char32_t code_point;
  std::uint16_t offset;
  std::uint8_t length;
};

/// A primary composite: `first` followed by `second` composes to `composite` under NFC.
struct composition_entry {
  char32_t first;
  char32_t second;
  char32_t composite;
};

/// Sorted by code point.
extern const combining_class_entry combining_classes[];
extern const std::size_t combining_classes_size;
/// Sorted by code point.
extern const decomposition_entry decompositions[];
extern const std::size_t decompositions_size;
extern const char32_t decomposition_pool[];
/// Sorted by (first, second).
extern const composition_entry compositions[];
extern const std::size_t compositions_size;

}  // namespace leadrl::model::unicode_data
