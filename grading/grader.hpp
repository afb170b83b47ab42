// File: grading/grader.hpp
//
// The answer grader behind the correctness reward (spec/lead.md §11): extracts the final
// answer of a response (grading/answer_extraction.hpp) and decides whether it is equivalent to
// the reference answer. Correct when any of these says so (spec/lead.md §11.6, extended):
//   (i)   the §11.3 fallback comparison (string / Python float), with commas deleted only
//         from numbers written with thousands separators, so "1, 2" is not 12;
//   (ii)  equality after the "mathd" normalisation of §11.4(a);
//   (iii) structural + numeric equivalence: LaTeX cleaned of wrappers ($, \text, \left,
//         degrees, %, units, "x ="), split into ordered tuples / intervals (brackets kept),
//         unordered sets and lists, and elements compared as numbers or as functions of
//         their variables at deterministic random points (grading/math_expression.hpp).
// grade_answer never throws and bounds its work on any input (200k characters, deep
// braces, invalid UTF-8, NUL bytes): answers over 20,000 characters get comparison (i) only,
// over 4,000 characters (i) and (ii). Deliberate departures from the reference: list commas
// are kept (above), integers are compared exactly (not as doubles within 1e-6, which would
// equate 10^17 and 10^17 + 1), and an empty box is no answer (the prompt's `\boxed{}`).
//
//   auto r = leadrl::grading::grade_answer(response, "\\frac{1}{2}");
//   double reward = r.correct ? 1.0 : 0.0;
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "grading/answer_extraction.hpp"

namespace leadrl::grading {

/// Grader settings. The defaults are the training reward: boxed answers only, the extended
/// equivalence on, format score 1 for a boxed answer.
struct grader_options {
  extraction_options extraction;            ///< fallbacks for responses without a box
  format_mode format = format_mode::boxed;  ///< how grade_result::format is computed
  double format_weight = 1.0;               ///< scale of the format score
  bool symbolic = true;  ///< (iii) above; false keeps only the reference comparisons (i), (ii)
};

/// The verdict on one response.
struct grade_result {
  bool correct = false;     ///< the extracted answer is equivalent to the reference
  bool has_answer = false;  ///< an answer (non-empty) was extracted
  std::string extracted;    ///< the extracted answer ("" when none)
  answer_source source = answer_source::none;  ///< how it was extracted
  double format = 0.0;                         ///< the format score (grader_options::format)
};

/// Grades `response` against `reference`. A reference containing \boxed is reduced to its
/// last box first (kept whole when that box is empty). No answer, or an empty one, is
/// incorrect. Never throws.
grade_result grade_answer(std::string_view response, std::string_view reference,
                          const grader_options& options = {});

/// grade_answer against several acceptable references (spec/lead.md §11.3: correct if any
/// matches): the first correct verdict, else the verdict against the first reference. An
/// empty list grades as incorrect. Never throws.
grade_result grade_answer_any(std::string_view response, const std::vector<std::string>& references,
                              const grader_options& options = {});

/// Whether the answer `given` is equivalent to the reference answer `truth` (both already
/// extracted). `symbolic` enables comparison (iii). An empty `given` is never equivalent.
bool answers_equivalent(std::string_view given, std::string_view truth, bool symbolic = true);

/// The cleaned form used by comparison (iii): $, \!, \left/\right, \dfrac, degrees, %,
/// unit words and \text{...} wrappers removed or unwrapped, "or"/"and" turned into commas,
/// trailing full stops dropped. Inputs longer than 4000 characters are returned unchanged.
std::string clean_answer(std::string_view answer);

}  // namespace leadrl::grading
