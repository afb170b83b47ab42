// File: model/tokenizer_unicode.hpp
//
// The UTF-8 and Unicode pieces a tokenizer needs: validation with replacement of
// invalid bytes, code point decoding/encoding, and NFC normalization (Unicode 14.0).
//
//   std::string clean = leadrl::model::unicode::sanitize_utf8(raw_bytes);
//   std::string normalized = leadrl::model::unicode::nfc(clean);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace leadrl::model::unicode {

/// The replacement character U+FFFD, written for invalid input.
inline constexpr char32_t replacement_character = 0xFFFD;

/// Decodes the code point starting at `text[pos]`. Returns the number of bytes it
/// takes (1-4) and stores it in `code_point`, or returns 0 when the bytes at `pos` are
/// not well-formed UTF-8 (overlong forms, surrogates and values above U+10FFFF included).
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& code_point);

/// Appends the UTF-8 form of `code_point` (which must be a Unicode scalar value).
void append_utf8(std::string& out, char32_t code_point);

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

/// `text` with every maximal ill-formed subsequence replaced by one U+FFFD, the
/// Unicode-recommended practice that Python's errors="replace" and Rust's
/// from_utf8_lossy also follow. Well-formed input comes back unchanged.
std::string sanitize_utf8(std::string_view text);

/// The canonical composition (NFC) of well-formed UTF-8 `text`. Text whose code points
/// are all below U+0300 is returned as is without table look-ups (it is always NFC).
std::string nfc(std::string_view text);

/// The canonical combining class of `code_point` (0 for starters).
int combining_class(char32_t code_point);

}  // namespace leadrl::model::unicode
