// File: grading/char_class.hpp
//
// The ASCII character classes the grader reads answers with: digits, letters, white space
// and case folding. Locale-free and constexpr, unlike <cctype>, so a grade never depends on
// the process locale and bytes over 0x7F (UTF-8) are never letters, digits or spaces.
// Two white-space sets exist on purpose: the §11.3 extraction and the grader's cleaning
// treat '\v' as text (is_space_no_vt), the normalisation strips it (is_space).
//
//   using namespace leadrl::grading;
//   static_assert(is_digit('7') && !is_letter('7') && to_lower('Q') == 'q');
#pragma once

namespace leadrl::grading {

/// '0'..'9'.
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// 'a'..'z' or 'A'..'Z'.
constexpr bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// A letter or a digit (std::isalnum in the "C" locale).
constexpr bool is_alnum(char c) {
  return is_letter(c) || is_digit(c);
}

/// Space or tab (std::isblank in the "C" locale).
constexpr bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

/// ' ', '\t', '\n', '\v', '\f', '\r' (std::isspace in the "C" locale).
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/// ' ', '\t', '\n', '\f', '\r': is_space without the vertical tab.
constexpr bool is_space_no_vt(char c) {
  return is_space(c) && c != '\v';
}

/// 'A'..'Z' mapped to 'a'..'z'; every other byte unchanged.
constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace leadrl::grading
