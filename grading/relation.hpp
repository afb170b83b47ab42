// File: grading/relation.hpp
//
// Answers written as relations, in one canonical text so that equivalent spellings grade
// equal: ASCII and LaTeX operators (>=, \ge, \geq, \geqslant, \lt, \neq, ...) and sides in
// either order ("2 < x" is "x > 2"). A one-variable order relation becomes the interval
// of its solutions ("x > 2" is "(2,\infty)", "-2 \le x \le 7" is "[-2,7]"), and
// \mathbb{R} is "(-\infty,\infty)"; "x \neq 3" becomes "x\neq 3" with the variable first.
// Anything else (equations, relations between two variables or two constants,
// bracketed comparisons) comes back unchanged.
//
//   grading::canonical_relation("2 \\le x");  // "[2,\\infty)"
//   grading::canonical_relation("3 \\ne y");  // "y\\neq 3"
#pragma once

#include <string>
#include <string_view>

namespace leadrl::grading {

/// The canonical text of a cleaned answer (grading/grader.hpp clean_answer) that is a
/// relation, as described above; `answer` unchanged otherwise.
std::string canonical_relation(std::string_view answer);

}  // namespace leadrl::grading
