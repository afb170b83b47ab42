// File: grading/arith_grade.hpp
//
// The exact checker of the built-in arithmetic task (io/arith_task.hpp), with the same
// verdict type as the MATH grader (grading/grader.hpp) so that the verifier can hold either.
// The answer is the text after "A:" on the LAST line that starts with "A:"; it is correct
// when it reads as an integer equal to the reference. The format flag is 1 only for the
// shape the task teaches: exactly one answer line, it is the last non-blank line, its value
// is a canonical integer ("103", "-7", "0"), and every byte is printable ASCII or newline.
// Never throws; linear in the response length on any bytes.
//
//   grading::grade_result g = grading::arith_grade("37+85=122\n122-19=103\nA:103", "103");
//   double reward = g.correct ? 1.0 : 0.0;   // g.format == 1.0, g.extracted == "103"
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "grading/grader.hpp"

namespace leadrl::grading {

/// Grades a response against a reference answer given as decimal text (surrounding spaces
/// allowed). A reference that is not an integer of at most 18 digits makes every response
/// incorrect (no error: the verifier treats it as unanswerable). `source` is answer_phrase
/// when an answer line was found, none otherwise; `format` is 1.0 or 0.0 (above).
grading::grade_result arith_grade(std::string_view response, std::string_view reference);

/// As above with the reference as an integer.
grading::grade_result arith_grade(std::string_view response, std::int64_t reference);

/// The verdict of a task's grader: arith_grade for the built-in arithmetic task (`arith`),
/// grade_answer (the MATH grader, default options) for every other problem set.
grading::grade_result grade_task_answer(std::string_view response, std::string_view reference,
                                        bool arith);

/// Reads `text` (spaces around it allowed) as an integer: optional sign, 1 to 18 digits
/// (leading zeros allowed). nullopt for anything else. Never throws.
std::optional<std::int64_t> parse_arith_integer(std::string_view text);

/// Counts of the step lines of a response, for analysing what a model writes: lines of the
/// form `[word ]a<op>b=c[...]` with op in + - * /, and how many of them are arithmetically
/// wrong.
struct arith_step_count {
  int steps = 0;
  int wrong = 0;
};

/// Scans every line of `response` for an equation a<op>b=c (integers, optionally after a
/// leading word such as "check" and before a trailing word such as "ok"). Never throws.
arith_step_count count_arith_steps(std::string_view response);

}  // namespace leadrl::grading
