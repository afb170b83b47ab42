// File: io/arith_steps.hpp
//
// The step counter of the built-in arithmetic task (issue 17): how many of a problem's
// necessary steps (io::arith_solution_steps) a response writes, so that answers can be
// told apart as step-by-step ("full"), fused (the missing steps folded into a line with
// two or more operations, or into the answer line alone) or dropped (steps missing with no
// fused line). A step line is a bare line `a<op>b=c` with one operation (right or wrong:
// a model that slips in one step still writes it); lines that start with a word ("check
// ...", "again ...", "so 37+85-19=103", "try ...") are the verbose corpus's commentary and
// are not counted. Never throws; linear in the response length.
//
//   auto p = io::parse_arith_prompt("Q:37+85-19=?");
//   auto r = io::classify_arith_steps("37+85-19=103\nA:103", *p);  // r.kind == fused
#pragma once

#include <string_view>

#include "io/arith_task.hpp"

namespace leadrl::io {

/// How a response covers the necessary steps.
enum class arith_step_kind {
  full,     ///< at least as many step lines as necessary steps
  fused,    ///< fewer step lines, and a fused line or no line at all before the answer
  dropped,  ///< fewer step lines and no fused line, but at least one step line
};

/// "full", "fused" or "dropped".
const char* arith_step_kind_name(arith_step_kind kind);

/// What the counter found in one response.
struct arith_step_report {
  int needed = 0;       ///< necessary steps of the problem (the minimal solution's lines)
  int step_lines = 0;   ///< bare lines a<op>b=c with one operation, right or wrong
  int matched = 0;      ///< necessary steps written exactly (each counted once)
  int fused_lines = 0;  ///< bare lines e=c whose e has two or more operations
  arith_step_kind kind = arith_step_kind::full;
  /// Fewer step lines than necessary steps: fused or dropped (issue 17's "skip").
  bool skipped() const { return kind != arith_step_kind::full; }
};

/// Counts the step lines of `response` (up to its first answer line "A:...", or all of it
/// when there is none) against `problem`'s necessary steps and classifies it.
arith_step_report classify_arith_steps(std::string_view response, const arith_problem& problem);

}  // namespace leadrl::io
