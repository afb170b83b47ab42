// `leadrl step-gate --model DIR`: the gate of issue 17's fair test (eval/step_gate.hpp).
// The model answers held-out problems of each difficulty level n times, sampled as
// `leadrl eval` samples (eval::eval_model; by default at the RL rollout's temperature 1,
// top-p 1: the answers RL would select among); the step counter (io/arith_steps.hpp)
// classifies every answer as full step-by-step, fused or dropped, and the table gives the
// accuracy of each kind per level against the pre-registered thresholds
// (docs/experiments/fair_test.md). Exit codes: 0 the gate passes, 1 it fails (or sampling
// failed), 2 bad usage or a model folder that cannot be loaded. One process: the answers
// are classified where they are generated (use --threads for the cores).
//
//   leadrl step-gate --model out/fair/sft_model --problems 100 -n 4 --out-md gate.md
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "eval/eval_run.hpp"
#include "eval/step_gate.hpp"
#include "io/arith_steps.hpp"
#include "io/arith_task.hpp"

namespace {

namespace po = boost::program_options;
using namespace leadrl;

int bad_usage(const std::string& option, const std::string& expected, const std::string& got) {
  return leadrl::cli::bad_usage("step-gate", option, expected, got);
}

// The command line as given (numbers as text: they are checked before anything loads).
struct gate_args {
  std::string model, out_md, out_json;
  bool readout = false;
  std::string problems = "100", n = "4", seed = "1", sample_seed = "1";
  std::string min_level = "1", max_level = "5", temperature = "1", top_p = "1";
  std::string max_new_tokens = "512", max_batch = "64", threads = "0", max_digits = "0";
};

// What the checked command line asks for.
struct gate_plan {
  std::uint64_t problems = 100;
  std::uint64_t problem_seed = 1;
  int min_level = 1;
  int max_level = 5;
  int max_digits = 0;
  eval::eval_sampling sampling;
  int threads = 0;
};

po::options_description gate_options(gate_args& a) {
  po::options_description o(
      "leadrl step-gate: accuracy of full, fused and dropped answers per difficulty level\n\n"
      "usage: leadrl step-gate --model DIR [options]\n\n"
      "Samples n answers to --problems held-out (test split) problems of each level, counts\n"
      "the necessary steps each answer writes (full: all of them; fused: fewer, with a line\n"
      "of two or more operations or the answer alone; dropped: fewer, steps just missing)\n"
      "and checks the pre-registered gate of docs/experiments/fair_test.md: fused answers\n"
      "accurate at level 1 (>= 0.90) and unreliable at levels 4 and 5 (<= 0.50), full\n"
      "answers >= 0.75 at every level, each figure over at least 30 answers. Exit 0 when\n"
      "the gate passes, 1 when it fails.\n\noptions");
  auto add = o.add_options();
  add("help,h", "this text");
  add("model", po::value(&a.model), "DIR: the model folder (e.g. leadrl sft's output)");
  add("problems", po::value(&a.problems)->default_value("100"),
      "test problems per level, 1..100000");
  add("samples,n", po::value(&a.n)->default_value("4"), "answers per problem, 1..1024");
  add("min-level", po::value(&a.min_level)->default_value("1"), "lowest level, 1..5");
  add("max-level", po::value(&a.max_level)->default_value("5"), "highest level, min..5");
  add("max-digits", po::value(&a.max_digits)->default_value("0"),
      "operand digits at most, 0..4 (0: each level's own; the SFT's data.arith_max_digits)");
  add("problem-seed", po::value(&a.seed)->default_value("1"), "problem seed");
  add("seed", po::value(&a.sample_seed)->default_value("1"), "sampling seed");
  add("temperature", po::value(&a.temperature)->default_value("1"),
      "sampling temperature, (0, 10] (default: the RL rollout's)");
  add("top-p", po::value(&a.top_p)->default_value("1"), "nucleus sampling mass, (0, 1]");
  add("max-new-tokens", po::value(&a.max_new_tokens)->default_value("512"),
      "tokens per answer at most (lowered to what the model's context allows)");
  add("max-batch", po::value(&a.max_batch)->default_value("64"),
      "sequences decoding together, 1..4096");
  add("threads", po::value(&a.threads)->default_value("0"),
      "CPU threads per operation, 0..1024 (0: torch's default)");
  add("out-md", po::value(&a.out_md), "also write the table and verdict to FILE");
  add("out-json", po::value(&a.out_json),
      "also write the settings, each level's figures and the verdict as JSON to FILE");
  add("readout", po::bool_switch(&a.readout),
      "measure only: no verdict, exit 0 (the fair test's readouts of a trained policy)");
  return o;
}

// Checks the model and the problems asked for; returns the exit code of a usage error, or -1.
int parse_problems(const gate_args& a, gate_plan& p) {
  if (a.model.empty()) return bad_usage("model", "a model folder", "");
  auto problems = cli::parse_count(a.problems, 1, 100000);
  if (!problems) return bad_usage("problems", "an integer in 1..100000", a.problems);
  auto min_level = cli::parse_count(a.min_level, 1, 5);
  if (!min_level) return bad_usage("min-level", "an integer in 1..5", a.min_level);
  auto max_level = cli::parse_count(a.max_level, *min_level, 5);
  if (!max_level) {
    return bad_usage("max-level", "an integer in " + std::to_string(*min_level) + "..5",
                     a.max_level);
  }
  auto seed = cli::parse_count(a.seed, 0, UINT64_MAX);
  if (!seed) return bad_usage("problem-seed", "an unsigned 64-bit integer", a.seed);
  auto threads = cli::parse_count(a.threads, 0, 1024);
  if (!threads) return bad_usage("threads", "an integer in 0..1024", a.threads);
  auto digits = cli::parse_count(a.max_digits, 0, io::arith_digits_limit);
  if (!digits) {
    return bad_usage("max-digits", "an integer in 0.." + std::to_string(io::arith_digits_limit),
                     a.max_digits);
  }
  p.max_digits = static_cast<int>(*digits);
  p.problems = *problems;
  p.problem_seed = *seed;
  p.min_level = static_cast<int>(*min_level);
  p.max_level = static_cast<int>(*max_level);
  p.threads = static_cast<int>(*threads);
  return -1;
}

// Checks the sampling settings; returns the exit code of a usage error, or -1.
int parse_sampling(const gate_args& a, eval::eval_sampling& s) {
  auto n = cli::parse_count(a.n, 1, 1024);
  if (!n) return bad_usage("samples", "an integer in 1..1024", a.n);
  auto sample_seed = cli::parse_count(a.sample_seed, 0, UINT64_MAX);
  if (!sample_seed) return bad_usage("seed", "an unsigned 64-bit integer", a.sample_seed);
  auto temperature = cli::parse_real(a.temperature, 0.0, 10.0);
  if (!temperature || *temperature <= 0.0) {
    return bad_usage("temperature", "a number in (0, 10]", a.temperature);
  }
  auto top_p = cli::parse_real(a.top_p, 0.0, 1.0);
  if (!top_p || *top_p <= 0.0) return bad_usage("top-p", "a number in (0, 1]", a.top_p);
  auto max_new = cli::parse_count(a.max_new_tokens, 1, 1000000);
  if (!max_new) return bad_usage("max-new-tokens", "an integer in 1..1000000", a.max_new_tokens);
  auto batch = cli::parse_count(a.max_batch, 1, 4096);
  if (!batch) return bad_usage("max-batch", "an integer in 1..4096", a.max_batch);
  s.samples_per_problem = static_cast<std::int64_t>(*n);
  s.temperature = *temperature;
  s.top_p = *top_p;
  s.max_new_tokens = static_cast<std::int64_t>(*max_new);
  s.max_batch = static_cast<std::int64_t>(*batch);
  s.seed = *sample_seed;
  s.keep_responses = true;
  return -1;
}

// Samples and classifies one level's answers; false (after a message) on failure.
bool evaluate_level(eval::eval_model& model, const gate_plan& p, int level,
                    eval::step_gate_level& out) {
  io::arith_task_options task;
  task.min_difficulty = level;
  task.max_difficulty = level;
  task.max_digits = p.max_digits;
  auto problems = io::generate_arith_problems(task, io::arith_split::test, p.problem_seed, 0,
                                              static_cast<std::size_t>(p.problems));
  if (!problems) {
    std::cerr << "leadrl step-gate: level " << level << ": " << problems.error().message() << "\n";
    return false;
  }
  const std::string name = "level" + std::to_string(level);
  const eval::eval_dataset data{name, io::to_problem_dataset(*problems, name), true, 0};
  auto samples = model.evaluate(data, p.sampling);
  if (!samples) {
    std::cerr << "leadrl step-gate: " << samples.error().message() << "\n";
    return false;
  }
  out.level = level;
  for (std::size_t i = 0; i < samples->responses.size(); ++i) {
    const auto& problem = (*problems)[static_cast<std::size_t>(samples->problem_ids[i])];
    const io::arith_step_report steps = io::classify_arith_steps(samples->responses[i], problem);
    eval::add_answer(out, steps.kind, samples->correctness[i] > 0.5, samples->lengths[i]);
    // The arithmetic models' character tokenizer: a token per character, plus the EOS that
    // the answer lengths count too.
    out.minimal_tokens += static_cast<double>(io::arith_minimal_response(problem).size() + 1);
  }
  const auto& t = model.last_throughput();
  std::cerr << "leadrl step-gate: level " << level << ": " << t.samples << " answers, "
            << t.generated_tokens << " tokens in " << t.seconds << " s"
            << (t.truncated > 0 ? ", " + std::to_string(t.truncated) + " cut by the token limit"
                                : std::string())
            << "\n";
  return true;
}

int run_step_gate(int argc, char** argv) {
  gate_args a;
  const po::options_description options = gate_options(a);
  po::variables_map vm;
  if (auto stop = cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;
  gate_plan plan;
  if (const int code = parse_problems(a, plan); code >= 0) return code;
  if (const int code = parse_sampling(a, plan.sampling); code >= 0) return code;
  eval::set_eval_threads(plan.threads);
  auto model = eval::eval_model::load("model", a.model);
  if (!model) {
    std::cerr << "leadrl step-gate: --model " << a.model << ": " << model.error().message() << "\n";
    return 2;
  }
  std::vector<eval::step_gate_level> levels;
  for (int level = plan.min_level; level <= plan.max_level; ++level) {
    levels.emplace_back();
    if (!evaluate_level(**model, plan, level, levels.back())) return 1;
  }
  const eval::step_gate_verdict verdict = eval::judge_step_gate(levels, {});
  const eval::step_gate_verdict* judged = a.readout ? nullptr : &verdict;
  std::string text =
      std::string(a.readout ? "step readout of " : "step gate of ") + a.model + ": " +
      std::to_string(plan.problems) + " test problems per level x " +
      std::to_string(plan.sampling.samples_per_problem) + " answers, temperature " +
      a.temperature + ", top-p " + a.top_p + ", problem seed " + a.seed + ", sampling seed " +
      a.sample_seed + "\n\n" + eval::step_gate_markdown(levels, judged);
  std::cout << text;
  if (!a.out_md.empty() && !cli::write_text_file(a.out_md, text, "leadrl step-gate")) return 1;
  if (!a.out_json.empty()) {
    const eval::step_gate_settings settings{a.model,
                                            plan.problems,
                                            plan.sampling.samples_per_problem,
                                            plan.sampling.temperature,
                                            plan.sampling.top_p,
                                            plan.problem_seed,
                                            plan.sampling.seed,
                                            plan.max_digits};
    if (!cli::write_text_file(a.out_json, eval::step_gate_json(settings, levels, judged),
                              "leadrl step-gate")) {
      return 1;
    }
  }
  return a.readout || verdict.passed ? 0 : 1;
}

const cli::command_registration registration{
    "step-gate", "accuracy of full / fused / dropped answers per level (issue 17's gate)",
    run_step_gate};

}  // namespace
