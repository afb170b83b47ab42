// `leadrl task`: writes problems of the built-in arithmetic reasoning task
// (io/arith_task.hpp) with a solution per problem as JSONL, so that a person can look at
// the data the demo trains and evaluates on, and so that other tools can read it.
//
// Output: one JSON object per line, {"id", "prompt", "answer", "difficulty", "response",
// "minimal"}; with --samples K > 1 each problem gets K lines with "sample": 0..K-1 (the
// responses of one prompt differ in verbosity). "answer" is the decimal text the checker
// compares with. A summary (mean minimal and response lengths) goes to stderr.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "grading/arith_grade.hpp"
#include "io/arith_task.hpp"

namespace {

namespace po = boost::program_options;
using nlohmann::json;

using leadrl::cli::parse_count;

std::optional<double> parse_unit_interval(const std::string& text) {
  return leadrl::cli::parse_real(text, 0.0, 1.0);
}

int bad_usage(const std::string& option, const std::string& expected, const std::string& got) {
  return leadrl::cli::bad_usage("task", option, expected, got);
}

int run_task(int argc, char** argv) {
  std::string split_text = "train";
  std::string count_text = "100";
  std::string first_text = "0";
  std::string seed_text = "1";
  std::string samples_text = "1";
  std::string verbosity_text = "0.5";
  std::string spread_text = "0.5";
  std::string minimal_share_text = "0";
  std::string fused_share_text = "0";
  std::string min_difficulty_text = "1";
  std::string max_difficulty_text = "5";
  std::string max_chars_text = "320";
  std::string max_digits_text = "0";
  std::string output = "-";
  po::options_description options(
      "leadrl task: write problems of the built-in arithmetic reasoning task as JSONL\n\n"
      "usage: leadrl task [--split train|test] [--count N] [--seed S] [--verbosity V]\n"
      "                   [--output FILE.jsonl] [options]\n\n"
      "Each line is {\"id\", \"prompt\", \"answer\", \"difficulty\", \"response\", "
      "\"minimal\"}:\n"
      "the prompt \"Q:37+85-19=?\\n\", a correct step-by-step response at the requested\n"
      "verbosity (0 = the minimal one: one operation per line, then \"A:<answer>\") and the\n"
      "minimal response. Problem i of (split, seed) is the same on every machine; the train\n"
      "and test splits never share a problem.\n\n"
      "options");
  options.add_options()("help,h", "this text")(
      "split", po::value(&split_text)->default_value("train"), "train or test")(
      "count,n", po::value(&count_text)->default_value("100"), "number of problems, 1..10000000")(
      "first", po::value(&first_text)->default_value("0"), "index of the first problem")(
      "seed", po::value(&seed_text)->default_value("1"), "generator seed (unsigned 64-bit)")(
      "verbosity,v", po::value(&verbosity_text)->default_value("0.5"),
      "mean verbosity of the responses in [0, 1]: 0 minimal, 0.5 about 3.5x as long, 1 about "
      "4.5x")("spread", po::value(&spread_text)->default_value("0.5"),
              "per-response verbosity spread in [0, 1] (uniform in v*(1-spread)..v*(1+spread))")(
      "minimal-share", po::value(&minimal_share_text)->default_value("0"),
      "share of minimal step-by-step responses in [0, 1] (issue 17's mixture)")(
      "fused-share", po::value(&fused_share_text)->default_value("0"),
      "share of fused responses in [0, 1] (k >= 2 steps on one line, or the answer alone); "
      "with either share > 0 each row gets \"kind\": verbose, minimal or fused")(
      "samples", po::value(&samples_text)->default_value("1"),
      "responses per problem, 1..64 (one line each)")(
      "min-difficulty", po::value(&min_difficulty_text)->default_value("1"),
      "lowest difficulty, 1..5 (difficulty d has d+1 operands)")(
      "max-difficulty", po::value(&max_difficulty_text)->default_value("5"),
      "highest difficulty, min-difficulty..5")(
      "max-digits", po::value(&max_digits_text)->default_value("0"),
      "operand digits at most, 0..4 (0: each level's own; the fair test uses 1)")(
      "max-chars", po::value(&max_chars_text)->default_value("320"),
      "upper bound on prompt + response characters, 16..100000")(
      "allow-negative", "let subtraction make running values negative")(
      "output,o", po::value(&output)->default_value("-"), "output JSONL file, - for stdout");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;

  auto split = leadrl::io::parse_arith_split(split_text);
  if (!split) return bad_usage("split", "train or test", split_text);
  auto count = parse_count(count_text, 1, 10000000);
  if (!count) return bad_usage("count", "an integer in 1..10000000", count_text);
  auto first = parse_count(first_text, 0, UINT64_MAX / 2);
  if (!first) return bad_usage("first", "a non-negative integer", first_text);
  auto seed = parse_count(seed_text, 0, UINT64_MAX);
  if (!seed) return bad_usage("seed", "an unsigned 64-bit integer", seed_text);
  auto samples = parse_count(samples_text, 1, 64);
  if (!samples) return bad_usage("samples", "an integer in 1..64", samples_text);
  auto verbosity = parse_unit_interval(verbosity_text);
  if (!verbosity) return bad_usage("verbosity", "a number in [0, 1]", verbosity_text);
  auto spread = parse_unit_interval(spread_text);
  if (!spread) return bad_usage("spread", "a number in [0, 1]", spread_text);
  auto minimal_share = parse_unit_interval(minimal_share_text);
  if (!minimal_share) return bad_usage("minimal-share", "a number in [0, 1]", minimal_share_text);
  auto fused_share = parse_unit_interval(fused_share_text);
  if (!fused_share) return bad_usage("fused-share", "a number in [0, 1]", fused_share_text);
  const leadrl::io::arith_answer_mix mix{*minimal_share, *fused_share};
  if (!leadrl::io::validate_arith_answer_mix(mix)) {
    return bad_usage("fused-share", "minimal-share + fused-share <= 1", fused_share_text);
  }
  const bool mixed = mix.minimal > 0.0 || mix.fused > 0.0;
  leadrl::io::arith_task_options task;
  const std::uint64_t levels = task.levels.size();
  auto min_difficulty = parse_count(min_difficulty_text, 1, levels);
  if (!min_difficulty) {
    return bad_usage("min-difficulty", "an integer in 1.." + std::to_string(levels),
                     min_difficulty_text);
  }
  auto max_difficulty = parse_count(max_difficulty_text, *min_difficulty, levels);
  if (!max_difficulty) {
    return bad_usage(
        "max-difficulty",
        "an integer in " + std::to_string(*min_difficulty) + ".." + std::to_string(levels),
        max_difficulty_text);
  }
  auto max_chars = parse_count(max_chars_text, 16, 100000);
  if (!max_chars) return bad_usage("max-chars", "an integer in 16..100000", max_chars_text);
  task.min_difficulty = static_cast<int>(*min_difficulty);
  task.max_difficulty = static_cast<int>(*max_difficulty);
  task.max_chars = static_cast<std::size_t>(*max_chars);
  auto max_digits = parse_count(max_digits_text, 0, leadrl::io::arith_digits_limit);
  if (!max_digits) return bad_usage("max-digits",
                     "an integer in 0.." + std::to_string(leadrl::io::arith_digits_limit),
                     max_digits_text);
  task.max_digits = static_cast<int>(*max_digits);
  task.allow_negative = vm.count("allow-negative") > 0;
  const leadrl::io::arith_verbosity verbose{*verbosity, *spread};

  leadrl::cli::output_target target(output, "leadrl task: --output: cannot open");
  if (!target) return 2;
  std::ostream& out = target.stream();

  double minimal_chars = 0;
  double response_chars = 0;
  std::size_t rows = 0;
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto problem = leadrl::io::generate_arith_problem(task, *split, *seed, *first + i);
    if (!problem) {
      // Only a max-chars too small for the chosen difficulties gets here.
      std::cerr << "leadrl task: --max-chars " << task.max_chars
                << " is too small for these difficulties (" << problem.error().message() << ")\n";
      return 2;
    }
    const std::string minimal = leadrl::io::arith_minimal_response(*problem);
    for (std::uint64_t k = 0; k < *samples; ++k) {
      leadrl::io::arith_answer_kind kind{};
      const std::string response =
          leadrl::io::arith_mixed_response(*problem, verbose, mix, k, task.max_chars, &kind);
      // Every row is checked before it is written: the data is correct by construction,
      // and this keeps it so.
      if (!leadrl::grading::arith_grade(response, problem->answer).correct) {
        std::cerr << "leadrl task: internal error: response to " << problem->id
                  << " graded incorrect\n";
        return 1;
      }
      json row = {{"id", problem->id},
                  {"prompt", problem->prompt},
                  {"answer", std::to_string(problem->answer)},
                  {"difficulty", problem->difficulty},
                  {"response", response},
                  {"minimal", minimal}};
      if (*samples > 1) row["sample"] = k;
      if (mixed) row["kind"] = leadrl::io::arith_answer_kind_name(kind);
      out << row.dump() << "\n";
      minimal_chars += static_cast<double>(minimal.size());
      response_chars += static_cast<double>(response.size());
      ++rows;
    }
  }
  out.flush();
  if (!out) {
    std::cerr << "leadrl task: writing '" << output << "' failed\n";
    return 1;
  }
  const double n = static_cast<double>(rows);
  std::cerr << "leadrl task: " << rows << " rows (" << leadrl::io::arith_split_name(*split)
            << ", seed " << *seed << "), mean minimal response " << minimal_chars / n
            << " chars, mean response " << response_chars / n << " chars ("
            << (minimal_chars > 0 ? response_chars / minimal_chars : 0.0) << "x)\n";
  return 0;
}

const leadrl::cli::command_registration registration{
    "task", "write problems of the built-in arithmetic task with solutions (JSONL)", run_task};

}  // namespace
