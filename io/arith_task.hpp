// File: io/arith_task.hpp
//
// The built-in arithmetic reasoning task of the laptop demo (issue 8): chains of 2 to 6
// integer operands joined by + - and (one-digit) *, with graded difficulty, generated
// deterministically from (seed, split, index) by splitmix64 so that every platform and
// library version sees the same problems. A prompt is `Q:37+85-19=?\n`; the minimal
// solution writes one binary operation per line, left to right (a product is computed
// when its term is reached), then the answer line:
//
//   37+85=122
//   122-19=103
//   A:103
//
// The SFT corpus adds random verbosity on top of the minimal solution (re-checks, restated
// steps, restated remainders, detours that are computed and discarded, a closing summary),
// always arithmetically correct, so that a model trained on it overthinks by a controllable
// factor. Train and test splits are a partition of the problem TEXT (a fixed hash of the
// expression), so no problem is in both, whatever the seeds. All text is printable ASCII
// and newline: the vocabulary of the character tokenizer. The checker is grading/arith_grade.hpp.
//
//   auto p = io::generate_arith_problem({}, io::arith_split::train, /*seed=*/7, /*index=*/0);
//   std::string sft_text = p->prompt + io::arith_response(*p, {0.5}, /*sample=*/0);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "io/problem_dataset.hpp"

namespace leadrl::io {

/// The two disjoint halves of the problem space.
enum class arith_split { train, test };

/// "train" or "test".
const char* arith_split_name(arith_split split);

/// Parses "train" / "test". Error: any other text (named in the message).
result<arith_split> parse_arith_split(std::string_view text);

/// One difficulty level: how many operands, how many digits each operand has, and how
/// often an operator is a multiplication. The right factor of a product is always a single
/// digit 2-9 and products never chain (a*b*c does not occur), so each product is one
/// learnable step.
struct arith_level {
  int operands = 2;                   ///< 2..8
  int min_digits = 1;                 ///< 1..4
  int max_digits = 2;                 ///< min_digits..4
  double multiply_probability = 0.0;  ///< [0, 1]
};

/// Most digits an operand may have (arith_level's digit range, arith_task_options::max_digits).
constexpr int arith_digits_limit = 4;

/// The default five levels, difficulty 1..5: 2..6 operands, 1-2 digits at levels 1-2 and two
/// digits above, multiplication from level 3 on.
std::vector<arith_level> default_arith_levels();

/// Task settings; validate_arith_options() checks them.
struct arith_task_options {
  std::vector<arith_level> levels = default_arith_levels();  ///< difficulty d is levels[d-1]
  int min_difficulty = 1;  ///< problems draw their difficulty uniformly in [min, max]
  int max_difficulty = 5;
  /// Caps the digits of every level's operands (the right factor of a product is one digit
  /// anyway): 0 keeps each level's own range, 1..4 lowers min_digits and max_digits above it
  /// to this. 1 gives one-digit operands at every level.
  int max_digits = 0;
  /// Share of the problem space (per mille) that belongs to the test split: 1..999.
  int test_per_mille = 100;
  /// Whether subtraction may make a running value negative. Off by default: every number the
  /// model reads or writes is then a non-negative integer (fewer things to learn).
  bool allow_negative = false;
  /// Upper bound on prompt + response characters (the model's context, without BOS/EOS):
  /// problems whose minimal solution does not fit are never drawn, and verbose responses
  /// are made less verbose until they fit.
  std::size_t max_chars = 320;
};

/// Checks the options. Errors name the field and the expected range, e.g.
/// "levels[2].operands: expected 2..8, got 1".
status validate_arith_options(const arith_task_options& options);

/// One necessary step: `lhs op rhs = value`, with op one of + - *.
struct arith_step {
  std::int64_t lhs = 0;
  char op = '+';
  std::int64_t rhs = 0;
  std::int64_t value = 0;
};

/// One problem.
struct arith_problem {
  std::string id;  ///< "arith-train-s7-17": split, seed, index
  arith_split split = arith_split::train;
  std::uint64_t seed = 0;
  std::uint64_t index = 0;
  int difficulty = 1;
  std::vector<std::int64_t> operands;  ///< in reading order
  std::string operators;               ///< operators[i] joins operands[i] and operands[i+1]
  std::string expression;              ///< "37+85-19"
  std::string prompt;                  ///< "Q:37+85-19=?\n"
  std::int64_t answer = 0;
};

/// The canonical problem text of a prompt-less expression: "37+85-19" -> split by a fixed
/// hash (independent of any seed) into train or test.
arith_split arith_split_of(std::string_view expression, int test_per_mille);

/// The problem at (split, seed, index). Deterministic: the same arguments give the same
/// problem on every platform. Candidates are drawn until one lies in `split` and its minimal
/// solution fits options.max_chars. Errors: invalid options; no candidate found in 10,000
/// draws (max_chars too small for the levels).
result<arith_problem> generate_arith_problem(const arith_task_options& options, arith_split split,
                                             std::uint64_t seed, std::uint64_t index);

/// Problems at indices first..first+count-1. Errors as generate_arith_problem.
result<std::vector<arith_problem>> generate_arith_problems(const arith_task_options& options,
                                                           arith_split split, std::uint64_t seed,
                                                           std::uint64_t first, std::size_t count);

/// The necessary steps of a problem, one binary operation each, in solving order.
std::vector<arith_step> arith_solution_steps(const arith_problem& problem);

/// "37+85=122" for a step.
std::string format_arith_step(const arith_step& step);

/// The shortest correct response: the necessary steps, one a line, then "A:<answer>"
/// (no trailing newline; the EOS is the model's).
std::string arith_minimal_response(const arith_problem& problem);

/// How verbose the SFT responses are.
struct arith_verbosity {
  /// Mean verbosity in [0, 1]: 0 is always the minimal response; with the default levels
  /// and max_chars 320, responses are on average about 2.2x as long as the minimal one at
  /// 0.25, 3.5x at 0.5 and 4.5x at 1 (bench_arith_task prints the table per difficulty).
  double verbosity = 0.5;
  /// Each response draws its own verbosity uniformly in
  /// [verbosity * (1 - spread), verbosity * (1 + spread)], clipped to [0, 1], so that one
  /// prompt's responses vary in length (the variation RL selects from). [0, 1].
  double spread = 0.5;
};

/// Checks the verbosity settings. Errors name the field: "verbosity: expected a number in
/// [0, 1], got 1.5".
status validate_arith_verbosity(const arith_verbosity& verbosity);

/// A correct response with random verbosity: the minimal response's lines, in order, with
/// redundant lines between them (re-checks such as "check 122-85=37 ok", restated steps,
/// the remaining expression "now 122-19", detours "try 85+19=104, not needed", a closing
/// "so 37+85-19=103"). Deterministic in (problem, verbosity, sample); `sample` numbers the
/// responses of one problem. Verbosity settings outside their ranges are clamped; the
/// response keeps prompt + response within `max_chars` when the minimal one fits.
std::string arith_response(const arith_problem& problem, const arith_verbosity& verbosity,
                           std::uint64_t sample, std::size_t max_chars = 320);

/// The kinds of correct answer the SFT corpus mixes (issue 17): verbose step-by-step
/// (arith_response), minimal step-by-step (arith_minimal_response) and fused, where one line
/// writes k >= 2 consecutive steps at once (arith_fused_response).
enum class arith_answer_kind { verbose, minimal, fused };

/// "verbose", "minimal" or "fused".
const char* arith_answer_kind_name(arith_answer_kind kind);

/// The SFT corpus mixture: each response draws its kind with these shares, the same at
/// every difficulty; the rest (1 - minimal - fused) is verbose. The default (0, 0) is the
/// all-verbose corpus of issue 8.
struct arith_answer_mix {
  double minimal = 0.0;  ///< share of minimal step-by-step answers, [0, 1]
  double fused = 0.0;    ///< share of fused answers, [0, 1]; minimal + fused <= 1
};

/// Checks the shares. Errors name the field: "fused: expected a number in [0, 1], got 2",
/// "fused: minimal + fused must be <= 1, got 0.6 + 0.5".
status validate_arith_answer_mix(const arith_answer_mix& mix);

/// Whether steps first..first+count-1 (count >= 1, within the solution) can be written as
/// one line: the last of them writes the running value, not a product that the next step
/// adds (a product is only ever fused together with the step that adds it).
bool arith_fusable(const arith_problem& problem, std::size_t first, std::size_t count);

/// The minimal response with steps first..first+count-1 written as one line: the part of
/// the remaining expression they reduce, then '=' and its value ("37+85-19=103"); when they
/// are all the steps, the answer line alone ("A:103"). Requires arith_fusable(problem,
/// first, count); returns the minimal response otherwise.
std::string arith_fused_response(const arith_problem& problem, std::size_t first,
                                 std::size_t count);

/// One SFT response of the mixture: its kind drawn from `mix` by (problem, sample) on a
/// stream of its own; verbose answers are arith_response(problem, verbosity, sample,
/// max_chars); fused answers fuse k consecutive steps, k uniform in 2..all (a product's step
/// joins the next one, see arith_fusable), the first step uniform among the places k fits;
/// with one step the fused answer is the answer alone. With the default mix no kind is drawn
/// and the result is arith_response(problem, verbosity, sample, max_chars), byte for byte.
/// `kind`, when given, receives the kind drawn. Every response is correct.
std::string arith_mixed_response(const arith_problem& problem, const arith_verbosity& verbosity,
                                 const arith_answer_mix& mix, std::uint64_t sample,
                                 std::size_t max_chars = 320, arith_answer_kind* kind = nullptr);

/// Reads a prompt "Q:<expression>=?" (trailing newline optional) or a bare expression back
/// into operands and operators and computes its answer with the task's rules (* before
/// + and -). The verifier can thus grade from the prompt alone. Errors: anything that is not
/// 2..16 non-negative integers of at most 9 digits joined by + - *, naming the offset.
result<arith_problem> parse_arith_prompt(std::string_view prompt);

/// The io::problem rows of a generated set (prompt_id = position, answer as decimal text),
/// for the controller's data path. `name` becomes the dataset name.
problem_dataset to_problem_dataset(const std::vector<arith_problem>& problems, std::string name);

}  // namespace leadrl::io
