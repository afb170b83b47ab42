// File: grading/text_edit.hpp
//
// The string edits that the §11.4 normalisation, the grader's answer cleaning and the
// relation canonicaliser apply many times in a row: plain substitution (the reference's
// str.replace), substitution of a LaTeX command, and trimming.
//
//   std::string s = "\\dfrac{1}{2}";
//   leadrl::grading::replace_all(s, "\\dfrac", "\\frac");  // s == "\\frac{1}{2}"
#pragma once

#include <string>
#include <string_view>

namespace leadrl::grading {

/// Replaces every occurrence of `from` in `s` by `to`, left to right and without
/// overlaps, as Python's str.replace does. An empty `from` leaves `s` unchanged.
void replace_all(std::string& s, std::string_view from, std::string_view to);

/// Replaces the command `\name` by `to` wherever it is not followed by a letter (so "\le"
/// is not the start of "\left"); with `eat_dot`, also a "." right after it (the invisible
/// "\left." delimiter).
void replace_command(std::string& s, std::string_view name, std::string_view to,
                     bool eat_dot = false);

/// `s` without leading and trailing white space (grading/char_class.hpp is_space_no_vt).
std::string_view trim(std::string_view s);

}  // namespace leadrl::grading
