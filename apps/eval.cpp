// `leadrl eval`: evaluates one or more models (Hugging Face folders, e.g. from `leadrl sft`
// or a training run) on the held-out split of the built-in arithmetic task, on JSONL
// problem sets, or with a named protocol (`--protocol paper`: the LEAD paper's five
// benchmarks, each with its own n): n sampled answers per problem at temperature 0.8,
// top-p 0.9, pass@1 over the n samples, mean response length in tokens, and the
// Accuracy-Efficiency Score against a base model — evaluated in the same run or read from
// an earlier run's results file — per dataset and averaged. eval/eval_run samples and
// grades, eval/eval_report builds the table, eval/paper_table lays it out as the paper's
// Table 1, eval/results_file writes and reads the JSON results.
//
// Under mpirun each rank answers its contiguous share of every dataset's problems (every
// rank loads every model) and rank 0 joins the shares and writes the tables; each answer's
// random stream depends only on (seed, problem, sample) and the generation engine's output
// not on what decodes beside it, so the results are bit-identical to one rank's.
//
//   leadrl eval --model base=runs/sft --protocol paper --max-new-tokens 8192 --out-json base.json
//   scripts/mpirun.sh -np 2 leadrl eval --model base=runs/sft --task arith --threads 1
//   leadrl eval --model lead=runs/lead/final --protocol paper --max-new-tokens 8192
//               --base-results base.json --out-md table.md   (one line)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "eval/eval_progress.hpp"
#include "eval/eval_protocol.hpp"
#include "eval/eval_report.hpp"
#include "eval/eval_run.hpp"
#include "eval/eval_shards.hpp"
#include "eval/paper_table.hpp"
#include "eval/results_file.hpp"
#include "eval/table_text.hpp"
#include "io/arith_task.hpp"
#include "io/problem_dataset.hpp"
#include "model/device.hpp"
#include "runtime/mpi_world.hpp"

namespace {

namespace po = boost::program_options;
using namespace leadrl;

// The command line as given (numbers as text: they are checked before anything loads).
struct eval_args {
  std::vector<std::string> model_specs, jsonl_specs, tasks;
  std::string base, base_results, protocol, data_dir;
  std::string out_md, out_csv, out_table_csv, out_json;
  std::string count_text = "100", seed_text = "1", min_d_text = "1", max_d_text = "5";
  std::string max_digits_text = "0";
  std::string n_text = "8", temp_text = "0.8", top_p_text = "0.9", max_new_text = "1024";
  std::string batch_text = "64", sample_seed_text = "1", limit_text = "0", threads_text = "0";
  std::string device = "cpu", dtype = "float32";
};

// What the checked command line asks for.
struct eval_plan {
  std::vector<std::pair<std::string, std::string>> models;  // name, folder
  std::vector<eval::eval_dataset> datasets;
  eval::eval_sampling sampling;
  eval::eval_settings settings;
  std::optional<eval::base_results_file> base_file;  // --base-results
  std::string base;                                  // else: the base model's name
  int threads = 0;
  model::decoder_options placement;  // --device, --dtype
};

using exit_code = std::optional<int>;  // set: stop with this code

int bad_usage(const std::string& option, const std::string& expected, const std::string& got) {
  return leadrl::cli::bad_usage("eval", option, expected, got);
}

// "NAME=VALUE" with both parts non-empty.
bool split_named(const std::string& text, std::pair<std::string, std::string>& out) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) return false;
  out = {text.substr(0, eq), text.substr(eq + 1)};
  return true;
}

const char* const eval_help =
    "leadrl eval: pass@1, mean response length and AES of models on held-out problems\n\n"
    "usage: leadrl eval --model NAME=DIR [--model NAME=DIR ...]\n"
    "                   (--protocol paper [--data-dir DIR] | [--task arith] [--jsonl NAME=FILE "
    "...])\n"
    "                   [--base NAME | --base-results FILE] [options]\n\n"
    "Each model answers every problem n times (sampled, each answer from its own seeded\n"
    "stream); pass@1 is the mean over problems of the fraction correct, the length is the\n"
    "mean number of generated tokens (EOS included, as training logs count it), and AES\n"
    "(O1-Pruner's score, weights 1/3/5; no accuracy change when both accuracies are 0)\n"
    "compares each model with the base model on the same dataset.\n\n"
    "--protocol paper evaluates the LEAD paper's five benchmarks, DIR/<name>.jsonl:\n"
    "math500 and olympiadbench at n=3, aime24, aime25 and amc23 at n=10, temperature 0.8,\n"
    "top-p 0.9; DIR defaults to $LEADRL_SHARED/data/eval, else ../shared/data/eval. The\n"
    "protocol fixes n, temperature and top-p: giving -n, --temperature or --top-p with it\n"
    "is refused (use --jsonl NAME=FILE for other settings). --max-new-tokens is the budget.\n"
    "Without a protocol the defaults follow the spec's evaluation notes (spec/lead.md,\n"
    "section 14 item 18: temperature 0.8, top-p 0.9; n = 8 is this tool's choice).\n"
    "Arithmetic problems come from the test split of the built-in task and are graded\n"
    "exactly; JSONL sets are graded with the MATH grader and prompted through the\n"
    "R1-distill chat template for BPE models.\n\n"
    "Output: on stdout (and --out-md) the paper's Table 1 layout (one line per model,\n"
    "Acc / Len / AES per benchmark and averaged), then the per-dataset details; --out-csv\n"
    "the details as CSV (leadrl plot --eval reads it), --out-table-csv the Table 1 layout\n"
    "as CSV, --out-json everything (settings, n, problems, accuracy, length, truncated\n"
    "answers, AES, deltas, averages), which --base-results reads back in a later run.\n"
    "Progress goes to stderr: a bar with tokens/s and ETA on a terminal, else a line every\n"
    "10 s; each model x dataset ends with a throughput line.\n\n"
    "Under mpirun (scripts/mpirun.sh -np N leadrl eval ...; --threads 1 suits one core per\n"
    "rank) each rank answers its share of every dataset's problems and rank 0 writes the\n"
    "outputs, which are identical to one rank's; the progress bar shows rank 0's share.\n\n"
    "options";

// Models, base and datasets.
void add_input_options(po::options_description& o, eval_args& a) {
  auto add = o.add_options();
  add("help,h", "this text");
  add("model", po::value(&a.model_specs),
      "NAME=DIR: a model folder (config.json, *.safetensors, tokenizer.json); repeat for "
      "several models");
  add("base", po::value(&a.base),
      "NAME of the base model for AES and deltas (default: the first --model)");
  add("base-results", po::value(&a.base_results),
      "FILE: compare with the base in a results file of an earlier leadrl eval --out-json "
      "(needs every evaluated dataset) instead of a --model of this run");
  add("protocol", po::value(&a.protocol), "a named protocol: paper (see above)");
  add("data-dir", po::value(&a.data_dir),
      "--protocol: the folder of the benchmark files (default: $LEADRL_SHARED/data/eval, "
      "else ../shared/data/eval)");
  add("task", po::value(&a.tasks), "a built-in task to evaluate on: arith");
  add("arith-count", po::value(&a.count_text)->default_value("100"),
      "arith: number of test problems, 1..1000000");
  add("arith-seed", po::value(&a.seed_text)->default_value("1"), "arith: problem seed");
  add("arith-min-difficulty", po::value(&a.min_d_text)->default_value("1"),
      "arith: lowest difficulty, 1..5");
  add("arith-max-difficulty", po::value(&a.max_d_text)->default_value("5"),
      "arith: highest difficulty, min..5");
  add("arith-max-digits", po::value(&a.max_digits_text)->default_value("0"),
      "arith task: operand digits at most, 0..4 (0: each level's own; the training run's "
      "data.arith_max_digits)");
  add("jsonl", po::value(&a.jsonl_specs),
      "NAME=FILE: a JSONL problem set (id, problem or prompt, answer); repeat for several");
  add("limit", po::value(&a.limit_text)->default_value("0"),
      "JSONL and protocol sets: only the first N problems of each (0: all)");
}

// Sampling, threads and output files.
void add_run_options(po::options_description& o, eval_args& a) {
  auto add = o.add_options();
  add("samples,n", po::value(&a.n_text)->default_value("8"), "answers per problem, 1..1024");
  add("temperature", po::value(&a.temp_text)->default_value("0.8"),
      "sampling temperature, 0..10 (0: greedy)");
  add("top-p", po::value(&a.top_p_text)->default_value("0.9"), "nucleus sampling mass, (0, 1]");
  add("max-new-tokens", po::value(&a.max_new_text)->default_value("1024"),
      "tokens per answer at most (lowered to what the model's context allows), 1..1000000");
  add("max-batch", po::value(&a.batch_text)->default_value("64"),
      "sequences decoding together, 1..4096");
  add("seed", po::value(&a.sample_seed_text)->default_value("1"), "sampling seed");
  add("threads", po::value(&a.threads_text)->default_value("0"),
      "CPU threads per operation, 0..1024 (0: torch's default; tiny models are fastest with 1)");
  add("device", po::value(&a.device)->default_value("cpu"),
      "where the models run: cpu, cuda (this rank's GPU: one rank per GPU) or cuda:N");
  add("dtype", po::value(&a.dtype)->default_value("float32"), "float32 or bfloat16");
  add("out-md", po::value(&a.out_md), "also write the markdown tables to FILE");
  add("out-csv", po::value(&a.out_csv),
      "write the per-dataset table as CSV to FILE (leadrl plot --eval reads it)");
  add("out-table-csv", po::value(&a.out_table_csv), "write the Table 1 layout as CSV to FILE");
  add("out-json", po::value(&a.out_json),
      "write the results as JSON to FILE (--base-results reads it)");
}

// A protocol fixes n, temperature and top-p: a value given for one of them is refused
// rather than silently overridden or ignored.
exit_code refuse_fixed_settings(const po::variables_map& vm, const eval::eval_protocol& protocol) {
  for (const char* fixed : {"samples", "temperature", "top-p"}) {
    if (vm[fixed].defaulted()) continue;
    return bad_usage(fixed,
                     "no value with --protocol " + protocol.name + ", which fixes n (" +
                         eval::describe_sets(protocol) +
                         "), temperature and top-p (use --jsonl NAME=FILE for other settings)",
                     vm[fixed].as<std::string>());
  }
  return std::nullopt;
}

// Sampling settings from the command line, or the protocol's.
exit_code parse_sampling(const eval_args& a, const po::variables_map& vm,
                         const eval::eval_protocol* protocol, eval_plan& plan) {
  auto n = cli::parse_count(a.n_text, 1, 1024);
  if (!n) return bad_usage("samples", "an integer in 1..1024", a.n_text);
  auto temp = cli::parse_real(a.temp_text, 0.0, 10.0);
  if (!temp) return bad_usage("temperature", "a number in [0, 10]", a.temp_text);
  auto top_p = cli::parse_real(a.top_p_text, 0.0, 1.0);
  if (!top_p || *top_p <= 0.0) return bad_usage("top-p", "a number in (0, 1]", a.top_p_text);
  auto max_new = cli::parse_count(a.max_new_text, 1, 1000000);
  if (!max_new) return bad_usage("max-new-tokens", "an integer in 1..1000000", a.max_new_text);
  auto batch = cli::parse_count(a.batch_text, 1, 4096);
  if (!batch) return bad_usage("max-batch", "an integer in 1..4096", a.batch_text);
  auto seed = cli::parse_count(a.sample_seed_text, 0, UINT64_MAX);
  if (!seed) return bad_usage("seed", "an unsigned 64-bit integer", a.sample_seed_text);
  auto threads = cli::parse_count(a.threads_text, 0, 1024);
  if (!threads) return bad_usage("threads", "an integer in 0..1024", a.threads_text);
  auto limit = cli::parse_count(a.limit_text, 0, UINT64_MAX);
  if (!limit) return bad_usage("limit", "a non-negative integer", a.limit_text);
  if (protocol) {
    if (auto stop = refuse_fixed_settings(vm, *protocol)) return stop;
  }
  auto& sp = plan.sampling;
  sp.samples_per_problem = static_cast<std::int64_t>(*n);
  sp.temperature = protocol ? protocol->temperature : *temp;
  sp.top_p = protocol ? protocol->top_p : *top_p;
  sp.max_new_tokens = static_cast<std::int64_t>(*max_new);
  sp.max_batch = static_cast<std::int64_t>(*batch);
  sp.seed = *seed;
  plan.settings = {protocol ? protocol->name : "custom",
                   sp.temperature,
                   sp.top_p,
                   sp.max_new_tokens,
                   sp.max_batch,
                   sp.seed,
                   *limit};
  plan.threads = static_cast<int>(*threads);
  return std::nullopt;
}

exit_code parse_models(const eval_args& a, eval_plan& plan) {
  for (const auto& spec : a.model_specs) {
    std::pair<std::string, std::string> m;
    if (!split_named(spec, m)) return bad_usage("model", "NAME=DIR", spec);
    for (const auto& other : plan.models) {
      if (other.first == m.first) return bad_usage("model", "distinct model names", spec);
    }
    plan.models.push_back(m);
  }
  if (plan.models.empty()) return bad_usage("model", "at least one NAME=DIR", "");
  auto where = model::placement(a.device, a.dtype);
  if (!where) {
    std::cerr << "leadrl eval: --device " << a.device << " --dtype " << a.dtype << ": "
              << where.error().message() << "\n";
    return 2;
  }
  plan.placement = *where;
  return std::nullopt;
}

exit_code add_arith(const eval_args& a, eval_plan& plan) {
  io::arith_task_options task;
  const std::uint64_t levels = task.levels.size();
  auto count = cli::parse_count(a.count_text, 1, 1000000);
  if (!count) return bad_usage("arith-count", "an integer in 1..1000000", a.count_text);
  auto seed = cli::parse_count(a.seed_text, 0, UINT64_MAX);
  if (!seed) return bad_usage("arith-seed", "an unsigned 64-bit integer", a.seed_text);
  auto lo = cli::parse_count(a.min_d_text, 1, levels);
  if (!lo) {
    return bad_usage("arith-min-difficulty", "an integer in 1.." + std::to_string(levels),
                     a.min_d_text);
  }
  auto hi = cli::parse_count(a.max_d_text, *lo, levels);
  if (!hi) {
    return bad_usage("arith-max-difficulty",
                     "an integer in " + std::to_string(*lo) + ".." + std::to_string(levels),
                     a.max_d_text);
  }
  auto digits = cli::parse_count(a.max_digits_text, 0, io::arith_digits_limit);
  if (!digits) {
    return bad_usage("arith-max-digits",
                     "an integer in 0.." + std::to_string(io::arith_digits_limit),
                     a.max_digits_text);
  }
  task.min_difficulty = static_cast<int>(*lo);
  task.max_difficulty = static_cast<int>(*hi);
  task.max_digits = static_cast<int>(*digits);
  auto problems = io::generate_arith_problems(task, io::arith_split::test, *seed, 0,
                                              static_cast<std::size_t>(*count));
  if (!problems) {
    std::cerr << "leadrl eval: arith task: " << problems.error().message() << "\n";
    return 2;
  }
  plan.datasets.push_back({"arith", io::to_problem_dataset(*problems, "arith"), true});
  return std::nullopt;
}

exit_code add_custom_sets(const eval_args& a, eval_plan& plan) {
  for (const auto& t : a.tasks) {
    if (t != "arith") return bad_usage("task", "arith", t);
    if (auto stop = add_arith(a, plan)) return stop;
  }
  for (const auto& spec : a.jsonl_specs) {
    std::pair<std::string, std::string> d;
    if (!split_named(spec, d)) return bad_usage("jsonl", "NAME=FILE", spec);
    auto ds = io::load_problems(d.second, io::problem_fields{});
    if (!ds) {
      std::cerr << "leadrl eval: --jsonl " << spec << ": " << ds.error().message() << "\n";
      return 2;
    }
    const auto limit = plan.settings.limit;
    if (limit > 0 && ds->rows.size() > limit) ds->rows.resize(static_cast<std::size_t>(limit));
    plan.datasets.push_back({d.first, std::move(*ds), false});
  }
  if (plan.datasets.empty()) return bad_usage("task/--jsonl", "at least one dataset", "");
  for (std::size_t i = 0; i < plan.datasets.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (plan.datasets[i].name == plan.datasets[j].name) {
        return bad_usage("jsonl", "distinct dataset names", plan.datasets[i].name);
      }
    }
  }
  return std::nullopt;
}

exit_code add_datasets(const eval_args& a, const eval::eval_protocol* protocol, eval_plan& plan) {
  if (!protocol) {
    if (!a.data_dir.empty()) return bad_usage("data-dir", "--protocol with it", a.data_dir);
    return add_custom_sets(a, plan);
  }
  if (!a.tasks.empty() || !a.jsonl_specs.empty()) {
    return bad_usage(a.tasks.empty() ? "jsonl" : "task",
                     "no dataset besides --protocol " + protocol->name + "'s own",
                     a.tasks.empty() ? a.jsonl_specs.front() : a.tasks.front());
  }
  const std::string dir = a.data_dir.empty() ? eval::default_eval_data_dir() : a.data_dir;
  auto sets = eval::load_protocol_sets(*protocol, dir, plan.settings.limit);
  if (!sets) {
    std::cerr << "leadrl eval: --protocol " << protocol->name << ": " << sets.error().message()
              << " (--data-dir DIR points at other copies)\n";
    return 2;
  }
  plan.datasets = std::move(*sets);
  return std::nullopt;
}

std::vector<std::string> dataset_names(const eval_plan& plan) {
  std::vector<std::string> names;
  for (const auto& d : plan.datasets) names.push_back(d.name);
  return names;
}

// The base: --base-results (read and checked against the datasets now, before any model
// loads) or a --model of this run.
exit_code choose_base(const eval_args& a, eval_plan& plan) {
  if (a.base_results.empty()) {
    plan.base = a.base.empty() ? plan.models.front().first : a.base;
    for (const auto& m : plan.models) {
      if (m.first == plan.base) return std::nullopt;
    }
    return bad_usage("base", "the NAME of one --model", plan.base);
  }
  if (!a.base.empty()) return bad_usage("base", "no --base with --base-results", a.base);
  auto file = eval::load_base_results(a.base_results);
  if (!file) {
    std::cerr << "leadrl eval: --base-results: " << file.error().message() << "\n";
    return 2;
  }
  if (auto rows = eval::base_rows(file->base, dataset_names(plan)); !rows) {
    std::cerr << "leadrl eval: --base-results: " << rows.error().message()
              << " (expected results for every evaluated dataset)\n";
    return 2;
  }
  plan.base_file = std::move(*file);
  return std::nullopt;
}

exit_code make_plan(int argc, char** argv, eval_args& a, eval_plan& plan) {
  po::options_description options(eval_help);
  add_input_options(options, a);
  add_run_options(options, a);
  po::variables_map vm;
  if (auto stop = cli::parse_command_line(argc, argv, options, {}, vm)) return stop;
  const eval::eval_protocol* protocol = nullptr;
  if (!a.protocol.empty()) {
    protocol = eval::find_protocol(a.protocol);
    if (!protocol) return bad_usage("protocol", "paper", a.protocol);
  }
  if (auto stop = parse_sampling(a, vm, protocol, plan)) return stop;
  if (auto stop = parse_models(a, plan)) return stop;
  if (auto stop = add_datasets(a, protocol, plan)) return stop;
  return choose_base(a, plan);
}

void print_throughput(const std::string& model, const std::string& dataset,
                      const eval::eval_throughput& t) {
  const double s = t.seconds > 0 ? t.seconds : 1.0;
  std::cerr << "eval " << model << " on " << dataset << ": " << t.samples << " samples, "
            << t.generated_tokens << " tokens in " << t.seconds << " s ("
            << static_cast<double>(t.samples) / s << " samples/s, "
            << static_cast<double>(t.generated_tokens) / s << " tokens/s); " << t.truncated
            << " cut at " << t.max_new_tokens << " new tokens";
  if (t.truncated_prompts > 0) {
    std::cerr << "; warning: " << t.truncated_prompts
              << " prompts longer than the model's context kept only their end";
  }
  std::cerr << "\n";
}

// One model on one dataset: this rank's share, then (over several ranks) every share
// joined in rank order. A failure ends the job: the other ranks would wait for this one.
eval::eval_samples evaluate_dataset(const runtime::mpi_world& w, eval::eval_model& m,
                                    const eval::eval_dataset& d, const eval_plan& plan,
                                    eval::progress_printer& bar) {
  const auto n =
      d.samples_per_problem > 0 ? d.samples_per_problem : plan.sampling.samples_per_problem;
  const std::string label = "eval " + m.name() + " on " + d.name + " (n=" + std::to_string(n) + ")";
  eval::eval_progress_callback progress;
  if (w.rank() == 0) progress = [&](const eval::eval_progress& p) { bar.update(label, p); };
  const auto share = rank_share(d.problems.rows.size(), w.rank(), w.size());
  auto s = m.evaluate(d, plan.sampling, progress, share);
  bar.clear();
  if (!s) w.abort(1, "leadrl eval: " + s.error().message());
  if (w.size() == 1) {
    print_throughput(m.name(), d.name, m.last_throughput());
    return std::move(*s);
  }
  // Shares are equal in size: a rank that needs its own time again plus 10 minutes more
  // than this one is taken for hung.
  const auto timeout =
      std::chrono::minutes(10) +
      std::chrono::milliseconds(static_cast<long long>(m.last_throughput().seconds * 1000.0));
  auto all = w.all_gather(eval::encode_share(*s, m.last_throughput()), timeout);
  if (!all) w.abort(1, "leadrl eval: " + all.error().message());
  auto whole = eval::join_shares(m.name(), d.name, *all);
  if (!whole) w.abort(1, "leadrl eval: " + whole.error().message());
  if (w.rank() == 0) print_throughput(m.name(), d.name, whole->throughput);
  return std::move(whole->samples);
}

// Samples and grades every model on every dataset, with progress on stderr (rank 0's).
exit_code evaluate_all(const runtime::mpi_world& w, const eval_plan& plan,
                       std::vector<eval::eval_samples>& runs) {
  eval::set_eval_threads(plan.threads);
  eval::progress_printer bar(std::cerr, w.rank() == 0 && isatty(STDERR_FILENO) == 1);
  for (const auto& [name, dir] : plan.models) {
    auto m = eval::eval_model::load(name, dir, plan.placement);
    if (!m) {
      std::cerr << "leadrl eval: --model " << name << "=" << dir << ": " << m.error().message()
                << "\n";
    }
    if (const int code = w.agreed_exit_code(m ? -1 : 2, "leadrl eval"); code >= 0) return code;
    for (const auto& d : plan.datasets) runs.push_back(evaluate_dataset(w, **m, d, plan, bar));
  }
  return std::nullopt;
}

// The line above the tables: what the columns are and what they were measured with.
std::string table_caption(const eval_plan& plan, const eval::base_results& base) {
  const auto& st = plan.settings;
  std::string text =
      "Acc: pass@1 (%), Len: mean response length (tokens), AES and deltas against "
      "base model '" +
      base.model + "' (" + (base.source.empty() ? "this run" : "results file " + base.source) +
      "); temperature " + eval::exact(st.temperature) + ", top-p " + eval::exact(st.top_p) +
      ", at most " + std::to_string(st.max_new_tokens) + " new tokens, seed " +
      std::to_string(st.seed);
  if (st.limit > 0) text += ", first " + std::to_string(st.limit) + " problems per set";
  return text + ".\n\n";
}

// The lines of the Table 1 layout: a base read from a file first, then every model.
result<std::vector<eval::eval_row>> paper_lines(const eval_plan& plan,
                                                const std::vector<eval::eval_row>& rows,
                                                const eval::base_results& base) {
  std::vector<eval::eval_row> lines = rows;
  if (!plan.base_file) return lines;
  auto own = eval::base_rows(base, dataset_names(plan));
  if (!own) return own.error();
  for (auto& r : *own) r.model += " (base results)";
  lines.insert(lines.begin(), own->begin(), own->end());
  return lines;
}

int write_outputs(const eval_args& a, const eval_plan& plan,
                  const std::vector<eval::eval_samples>& runs) {
  auto rows = plan.base_file ? eval::eval_table(runs, plan.base_file->base)
                             : eval::eval_table(runs, plan.base);
  if (!rows) {
    std::cerr << "leadrl eval: " << rows.error().message() << "\n";
    return 1;
  }
  const auto base = plan.base_file ? plan.base_file->base : eval::evaluated_base(*rows, plan.base);
  if (plan.base_file) {
    for (const auto& note : eval::base_differences(*plan.base_file, *rows, plan.settings)) {
      std::cerr << "note: " << note << "\n";
    }
  }
  auto lines = paper_lines(plan, *rows, base);
  if (!lines) {
    std::cerr << "leadrl eval: " << lines.error().message() << "\n";
    return 1;
  }
  const std::string md = table_caption(plan, base) + eval::paper_table_markdown(*lines) + "\n" +
                         eval::eval_markdown(*rows);
  std::cout << md;
  const std::string who = "leadrl eval";
  bool ok = a.out_md.empty() || cli::write_text_file(a.out_md, md, who);
  ok = ok && (a.out_csv.empty() || cli::write_text_file(a.out_csv, eval::eval_csv(*rows), who));
  ok = ok && (a.out_table_csv.empty() ||
              cli::write_text_file(a.out_table_csv, eval::paper_table_csv(*lines), who));
  ok =
      ok && (a.out_json.empty() ||
             cli::write_text_file(a.out_json, eval::results_json(*rows, base, plan.settings), who));
  return ok ? 0 : 1;
}

int run_eval(int argc, char** argv) {
  eval_args a;
  eval_plan plan;
  if (auto stop = make_plan(argc, argv, a, plan)) return *stop;
  auto world = runtime::mpi_world::init(&argc, &argv);
  if (!world) {
    std::cerr << "leadrl eval: " << (world.error().message()) << "\n";
    return 1;
  }
  std::vector<eval::eval_samples> runs;
  if (auto stop = evaluate_all(**world, plan, runs)) return *stop;
  return (*world)->rank() == 0 ? write_outputs(a, plan, runs) : 0;
}

const cli::command_registration reg{
    "eval", "pass@1, response length and AES of models on held-out problems", run_eval};

}  // namespace
