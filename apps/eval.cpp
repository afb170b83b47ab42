// `leadrl eval`: evaluates one or more models (Hugging Face folders, e.g. from `leadrl sft`
// or a training run) on the held-out split of the built-in arithmetic task and/or JSONL
// problem sets, with the protocol of the spec's evaluation notes: n sampled answers per
// problem at temperature 0.8, top-p 0.9, pass@1 over the n samples, mean response length in
// tokens, and the Accuracy-Efficiency Score against a base model, per dataset and averaged
// (eval/eval_run.hpp samples and grades, eval/eval_report.hpp builds the table).
//
//   leadrl eval --model base=runs/sft --model lead=runs/lead/final --task arith
//               --arith-count 200 -n 8 --out-md eval.md --out-csv eval.csv   (one line)
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "eval/eval_report.hpp"
#include "eval/eval_run.hpp"
#include "io/arith_task.hpp"
#include "io/problem_dataset.hpp"

namespace {

namespace po = boost::program_options;
using namespace leadrl;

int bad_usage(const std::string& option, const std::string& expected, const std::string& got) {
  std::cerr << "leadrl eval: --" << option << ": expected " << expected << ", got '" << got
            << "' (see leadrl eval --help)\n";
  return 2;
}

// "NAME=VALUE" with both parts non-empty.
bool split_named(const std::string& text, std::pair<std::string, std::string>& out) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) return false;
  out = {text.substr(0, eq), text.substr(eq + 1)};
  return true;
}

int run_eval(int argc, char** argv) {
  std::vector<std::string> model_specs, jsonl_specs, tasks;
  std::string base, out_md, out_csv;
  std::string count_text = "100", seed_text = "1", min_d_text = "1", max_d_text = "5";
  std::string n_text = "8", temp_text = "0.8", top_p_text = "0.9", max_new_text = "1024";
  std::string batch_text = "64", sample_seed_text = "1", limit_text = "0", threads_text = "0";
  po::options_description options(
      "leadrl eval: pass@1, mean response length and AES of models on held-out problems\n\n"
      "usage: leadrl eval --model NAME=DIR [--model NAME=DIR ...] [--base NAME]\n"
      "                   [--task arith] [--jsonl NAME=FILE ...] [options]\n\n"
      "Each model answers every problem n times (sampled, each answer from its own seeded\n"
      "stream); pass@1 is the mean over problems of the fraction correct, the length is the\n"
      "mean number of generated tokens (EOS included, as training logs count it), and AES\n"
      "(O1-Pruner's score, weights 1/3/5) compares each model with the base model on the\n"
      "same dataset. The defaults follow the evaluation protocol recorded in the spec\n"
      "(spec/lead.md, section 14 item 18: temperature 0.8, top-p 0.9, several samples per\n"
      "problem; the spec gives no n, 8 is this tool's choice). Arithmetic problems come\n"
      "from the test split of the built-in task (never seen in training) and are graded\n"
      "exactly; JSONL sets (e.g. ../shared/data/eval/*.jsonl) are graded with the MATH\n"
      "grader and prompted through the R1-distill chat template for BPE models.\n"
      "The table goes to stdout (markdown); throughput per run goes to stderr.\n\n"
      "options");
  options.add_options()("help,h", "this text")(
      "model", po::value(&model_specs),
      "NAME=DIR: a model folder (config.json, "
      "*.safetensors, tokenizer.json); repeat for several models")(
      "base", po::value(&base),
      "NAME of the base model for AES and deltas (default: the "
      "first --model)")("task", po::value(&tasks), "a built-in task to evaluate on: arith")(
      "arith-count", po::value(&count_text)->default_value("100"),
      "arith: number of test problems, 1..1000000")(
      "arith-seed", po::value(&seed_text)->default_value("1"), "arith: problem seed")(
      "arith-min-difficulty", po::value(&min_d_text)->default_value("1"),
      "arith: lowest difficulty, 1..5")(
      "arith-max-difficulty", po::value(&max_d_text)->default_value("5"),
      "arith: highest difficulty, min..5")("jsonl", po::value(&jsonl_specs),
                                           "NAME=FILE: a JSONL problem set (id, problem or "
                                           "prompt, answer); repeat for several")(
      "limit", po::value(&limit_text)->default_value("0"),
      "JSONL sets: evaluate only the first N problems (0: all)")(
      "samples,n", po::value(&n_text)->default_value("8"), "answers per problem, 1..1024")(
      "temperature", po::value(&temp_text)->default_value("0.8"),
      "sampling temperature, 0..10 (0: greedy)")(
      "top-p", po::value(&top_p_text)->default_value("0.9"), "nucleus sampling mass, (0, 1]")(
      "max-new-tokens", po::value(&max_new_text)->default_value("1024"),
      "tokens per answer at most (lowered to what the model's context allows), 1..1000000")(
      "max-batch", po::value(&batch_text)->default_value("64"),
      "sequences decoding together, 1..4096")(
      "seed", po::value(&sample_seed_text)->default_value("1"), "sampling seed")(
      "threads", po::value(&threads_text)->default_value("0"),
      "CPU threads per operation, 0..1024 (0: torch's default; tiny models are fastest "
      "with 1)")("out-md", po::value(&out_md), "also write the markdown table to FILE")(
      "out-csv", po::value(&out_csv),
      "write the table as CSV to FILE (leadrl plot --eval "
      "reads it)");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;

  // Numbers first: nothing is loaded before the command line is known to be good.
  eval::eval_sampling sampling;
  auto n = cli::parse_count(n_text, 1, 1024);
  if (!n) return bad_usage("samples", "an integer in 1..1024", n_text);
  auto temp = cli::parse_real(temp_text, 0.0, 10.0);
  if (!temp) return bad_usage("temperature", "a number in [0, 10]", temp_text);
  auto top_p = cli::parse_real(top_p_text, 0.0, 1.0);
  if (!top_p || *top_p <= 0.0) return bad_usage("top-p", "a number in (0, 1]", top_p_text);
  auto max_new = cli::parse_count(max_new_text, 1, 1000000);
  if (!max_new) return bad_usage("max-new-tokens", "an integer in 1..1000000", max_new_text);
  auto batch = cli::parse_count(batch_text, 1, 4096);
  if (!batch) return bad_usage("max-batch", "an integer in 1..4096", batch_text);
  auto sample_seed = cli::parse_count(sample_seed_text, 0, UINT64_MAX);
  if (!sample_seed) return bad_usage("seed", "an unsigned 64-bit integer", sample_seed_text);
  auto threads = cli::parse_count(threads_text, 0, 1024);
  if (!threads) return bad_usage("threads", "an integer in 0..1024", threads_text);
  auto limit = cli::parse_count(limit_text, 0, UINT64_MAX);
  if (!limit) return bad_usage("limit", "a non-negative integer", limit_text);
  sampling.samples_per_problem = static_cast<std::int64_t>(*n);
  sampling.temperature = *temp;
  sampling.top_p = *top_p;
  sampling.max_new_tokens = static_cast<std::int64_t>(*max_new);
  sampling.max_batch = static_cast<std::int64_t>(*batch);
  sampling.seed = *sample_seed;

  std::vector<std::pair<std::string, std::string>> models;
  for (const auto& spec : model_specs) {
    std::pair<std::string, std::string> m;
    if (!split_named(spec, m)) return bad_usage("model", "NAME=DIR", spec);
    for (const auto& other : models) {
      if (other.first == m.first) return bad_usage("model", "distinct model names", spec);
    }
    models.push_back(m);
  }
  if (models.empty()) return bad_usage("model", "at least one NAME=DIR", "");
  if (base.empty()) base = models.front().first;
  bool base_known = false;
  for (const auto& m : models) base_known = base_known || m.first == base;
  if (!base_known) return bad_usage("base", "the NAME of one --model", base);

  std::vector<eval::eval_dataset> datasets;
  for (const auto& t : tasks) {
    if (t != "arith") return bad_usage("task", "arith", t);
    io::arith_task_options task;
    const std::uint64_t levels = task.levels.size();
    auto count = cli::parse_count(count_text, 1, 1000000);
    if (!count) return bad_usage("arith-count", "an integer in 1..1000000", count_text);
    auto seed = cli::parse_count(seed_text, 0, UINT64_MAX);
    if (!seed) return bad_usage("arith-seed", "an unsigned 64-bit integer", seed_text);
    auto lo = cli::parse_count(min_d_text, 1, levels);
    if (!lo) {
      return bad_usage("arith-min-difficulty", "an integer in 1.." + std::to_string(levels),
                       min_d_text);
    }
    auto hi = cli::parse_count(max_d_text, *lo, levels);
    if (!hi) {
      return bad_usage("arith-max-difficulty",
                       "an integer in " + std::to_string(*lo) + ".." + std::to_string(levels),
                       max_d_text);
    }
    task.min_difficulty = static_cast<int>(*lo);
    task.max_difficulty = static_cast<int>(*hi);
    auto problems = io::generate_arith_problems(task, io::arith_split::test, *seed, 0,
                                                static_cast<std::size_t>(*count));
    if (!problems) {
      std::cerr << "leadrl eval: arith task: " << problems.error().message() << "\n";
      return 2;
    }
    datasets.push_back({"arith", io::to_problem_dataset(*problems, "arith"), true});
  }
  for (const auto& spec : jsonl_specs) {
    std::pair<std::string, std::string> d;
    if (!split_named(spec, d)) return bad_usage("jsonl", "NAME=FILE", spec);
    auto ds = io::load_problems(d.second, io::problem_fields{});
    if (!ds) {
      std::cerr << "leadrl eval: --jsonl " << spec << ": " << ds.error().message() << "\n";
      return 2;
    }
    if (*limit > 0 && ds->rows.size() > *limit) ds->rows.resize(static_cast<std::size_t>(*limit));
    datasets.push_back({d.first, std::move(*ds), false});
  }
  if (datasets.empty()) return bad_usage("task/--jsonl", "at least one dataset", "");
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (datasets[i].name == datasets[j].name) {
        return bad_usage("jsonl", "distinct dataset names", datasets[i].name);
      }
    }
  }

  eval::set_eval_threads(static_cast<int>(*threads));
  std::vector<eval::eval_samples> runs;
  for (const auto& [name, dir] : models) {
    auto m = eval::eval_model::load(name, dir);
    if (!m) {
      std::cerr << "leadrl eval: --model " << name << "=" << dir << ": " << m.error().message()
                << "\n";
      return 2;
    }
    for (const auto& d : datasets) {
      auto s = (*m)->evaluate(d, sampling);
      if (!s) {
        std::cerr << "leadrl eval: " << s.error().message() << "\n";
        return 1;
      }
      const auto& t = (*m)->last_throughput();
      std::cerr << "eval " << name << " on " << d.name << ": " << t.samples << " samples, "
                << t.generated_tokens << " tokens in " << t.seconds << " s ("
                << (t.seconds > 0 ? static_cast<double>(t.samples) / t.seconds : 0.0)
                << " samples/s, "
                << (t.seconds > 0 ? static_cast<double>(t.generated_tokens) / t.seconds : 0.0)
                << " tokens/s); " << t.truncated << " cut at " << t.max_new_tokens << " new tokens";
      if (t.truncated_prompts > 0) {
        std::cerr << "; warning: " << t.truncated_prompts
                  << " prompts longer than the model's context kept only their end";
      }
      std::cerr << "\n";
      runs.push_back(std::move(*s));
    }
  }
  auto rows = eval::eval_table(runs, base);
  if (!rows) {
    std::cerr << "leadrl eval: " << rows.error().message() << "\n";
    return 1;
  }
  const std::string md = eval::eval_markdown(*rows);
  std::cout << md;
  if (!out_md.empty() && !cli::write_text_file(out_md, md, "leadrl eval")) return 1;
  if (!out_csv.empty() && !cli::write_text_file(out_csv, eval::eval_csv(*rows), "leadrl eval"))
    return 1;
  return 0;
}

const cli::command_registration reg{
    "eval", "pass@1, response length and AES of models on held-out problems", run_eval};

}  // namespace
