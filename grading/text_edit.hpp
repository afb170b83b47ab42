// File: grading/text_edit.hpp
//
// The in-place string substitution that the §11.4 normalisation and the grader's answer
// cleaning both apply many times in a row (the reference's str.replace).
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

}  // namespace leadrl::grading
