// `leadrl sft CONFIG [key=value ...] [--force]`: supervised fine-tuning, writing a Hugging
// Face checkpoint directory (config.json, model.safetensors, the tokenizer files) that
// `leadrl train model.path=DIR` starts RL from. Two corpora:
// - data.task=arith: the tiny character-level decoder on the verbose corpus of the built-in
//   arithmetic task (issue 8). The model is the one `leadrl train` would build from the
//   same model.* and data.* options (model::random_policy_config), or model.path when set.
// - data.task=jsonl: prompt/response pairs of data.train_files for the model at model.path
//   (required; e.g. a BPE Qwen2 from `leadrl init-model`), prompts rendered with its chat
//   template as `leadrl train` renders them; its tokenizer files are copied to the output.
// Progress (step, loss, lr, tokens/s, ETA) goes to stderr about 25 times a run, with
// pass@1 (sampled and greedy) every sft.eval_every steps and at the end. A checkpoint made
// from the same configuration (and, for jsonl, the same data file bytes) is reused
// (sft_config.ini in the directory records it) unless --force is given. Exit codes: 0 done
// or cached, 1 failure while training or writing, 2 bad usage, configuration or data
// (the message names the key or file).
// Under mpirun the run is data parallel (model::sft_ranks): every rank trains its share of
// each global batch of sft.batch_size sequences (shares differ by at most one sequence;
// the loss is weighted by the global batch's token count), gradients are all-reduced and
// every rank takes the same optimizer step, so N ranks train the model one rank trains,
// up to the order of floating-point sums; evaluations are split over the ranks with each
// problem's own seed, so their figures are the one-rank figures for the same model. The
// rank count is therefore not part of the configuration: a checkpoint made at one rank
// count is reused at another. Rank 0 checks the cache, prints and writes; an input error
// found by any rank ends every rank with code 2. sft.batch_size below the rank count is
// refused (exit 2).
//
//   scripts/mpirun.sh -np 2 build/leadrl sft configs/arith_sft.ini sft.output_dir=out/sft
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "base/fnv1a.hpp"
#include "io/problem_dataset.hpp"
#include "io/sft_options.hpp"
#include "io/train_options.hpp"
#include "model/char_tokenizer.hpp"
#include "model/chat_template.hpp"
#include "model/checkpoint.hpp"
#include "model/device.hpp"
#include "model/hf_export.hpp"
#include "model/policy_config.hpp"
#include "model/sft.hpp"
#include "model/tokenizer.hpp"
#include "runtime/collectives.hpp"
#include "runtime/gradient_sync.hpp"
#include "runtime/mpi_world.hpp"

namespace {

namespace fs = std::filesystem;
constexpr const char* stamp_name = "sft_config.ini";

void print_usage(std::ostream& out) {
  out << "leadrl sft: supervised fine-tuning (built-in arithmetic task or JSONL pairs)\n\n"
         "usage: leadrl sft CONFIG.ini [--force] [--key=value | key=value ...]\n\n"
         "Writes an HF checkpoint to sft.output_dir; skips the work when that directory\n"
         "already holds a checkpoint made from the same configuration (unless --force).\n"
         "data.task=arith trains the tiny character-level decoder on the arithmetic corpus.\n"
         "data.task=jsonl trains model.path (required) on data.train_files, one JSON object\n"
         "a line with \"prompt\" (or \"problem\", which gets the MATH instruction suffix),\n"
         "\"response\" and optionally \"answer\" (then pass@1 on those rows is reported);\n"
         "the prompt is rendered with the model's chat template and the response ends with\n"
         "the tokenizer's EOS. Pairs whose prompt exceeds data.max_prompt_length or whose\n"
         "response (EOS included) exceeds data.max_response_length tokens are dropped and\n"
         "counted. Options (default in parentheses); the sft.* section is SFT's own,\n"
         "model.* and data.* are shared with `leadrl train`:\n";
  leadrl::io::sft_schema().print_help(out);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// FNV-1a of a file's bytes, so that a changed data file is not served from the cache.
std::string content_stamp(const std::string& path) {
  const std::string bytes = read_text(path);
  const std::uint64_t h = leadrl::fnv1a64(bytes);
  char out[80];
  std::snprintf(out, sizeof out, "# data.train_files: %zu bytes, fnv1a %016llx\n", bytes.size(),
                static_cast<unsigned long long>(h));
  return out;
}

// The model to fine-tune: model.path, or the random decoder `leadrl train` would build.
leadrl::result<leadrl::model::decoder> build_model(const leadrl::io::sft_options& o) {
  auto placement = leadrl::model::placement(o.train.model.device, o.train.model.dtype);
  if (!placement) return placement.error();
  if (!o.train.model.path.empty()) {
    auto loaded = leadrl::model::load_decoder(o.train.model.path, *placement);
    if (!loaded) return loaded.error().with_context("model.path");
    return *loaded;
  }
  auto config = leadrl::model::random_policy_config(o.train);
  if (!config) return config.error();
  torch::manual_seed(o.train.model.init_seed);
  return leadrl::model::decoder(*config, *placement);
}

// sft.* and data.max_response_length as the settings every corpus shares.
void fill_settings(const leadrl::io::sft_options& o, leadrl::model::sft_settings& s) {
  const auto& so = o.sft;
  s.steps = so.steps;
  s.batch_size = so.batch_size;
  s.lr = so.lr;
  s.warmup_steps = so.warmup;
  s.min_lr_ratio = so.min_lr_ratio;
  s.weight_decay = so.weight_decay;
  s.grad_clip = so.grad_clip;
  s.seed = so.seed;
  s.max_response_tokens = o.train.data.max_response_length;
  s.eval_every = so.eval_every;
  s.eval_problems = so.eval_problems;
  s.eval_temperature = so.eval_temperature;
  s.progress_every = std::max<std::int64_t>(1, so.steps / 25);
}

// The stderr line of one progress report.
void print_progress(const leadrl::model::sft_progress& p, std::int64_t steps, double elapsed,
                    double eval_temperature, const char* eval_label) {
  const auto eta = static_cast<long>(
      elapsed / static_cast<double>(p.step) * static_cast<double>(steps - p.step) + 0.5);
  char line[320];
  int n = std::snprintf(line, sizeof line,
                        "sft step %lld/%lld | loss %.4f | lr %.2e | %.0f tok/s | ETA %ldm%02lds",
                        static_cast<long long>(p.step), static_cast<long long>(steps), p.loss, p.lr,
                        p.tokens_per_s, eta / 60, eta % 60);
  if (p.has_eval && n > 0 && static_cast<std::size_t>(n) < sizeof line) {
    std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n),
                  " | %s pass@1 %.3f (T=%.1f) %.3f (greedy) | mean length %.1f tokens", eval_label,
                  p.eval.accuracy, eval_temperature, p.eval.greedy_accuracy, p.eval.mean_length);
  }
  std::cerr << line << std::endl;
}

// What a corpus's run needs from the command: the model, where progress goes and the
// ranks (rank 0 prints).
struct sft_job {
  const leadrl::io::sft_options& options;
  leadrl::model::decoder model;
  std::function<void(const leadrl::model::sft_progress&)> progress;
  leadrl::model::sft_ranks ranks;
};

// A prepared run: settings and data checked (their errors are input errors, exit 2);
// calling it trains (its errors are failures while training, exit 1).
using sft_runner = std::function<leadrl::result<leadrl::model::sft_report>()>;

// " on N ranks" over several ranks, else "".
std::string on_ranks(const leadrl::model::sft_ranks& ranks) {
  return ranks.size > 1 ? " on " + std::to_string(ranks.size) + " ranks" : "";
}

// data.task=arith.
leadrl::result<sft_runner> prepare_arith(const sft_job& job) {
  const auto& o = job.options;
  leadrl::model::arith_sft_settings s;
  fill_settings(o, s);
  s.task.min_difficulty = static_cast<int>(o.train.data.arith_min_difficulty);
  s.task.max_difficulty = static_cast<int>(o.train.data.arith_max_difficulty);
  s.task.max_digits = static_cast<int>(o.train.data.arith_max_digits);
  s.verbosity = {o.sft.verbosity, o.sft.spread};
  s.mix = {o.sft.minimal_share, o.sft.fused_share};
  if (auto st = leadrl::model::validate(s); !st) return st.error();
  if (job.ranks.rank == 0) {
    std::cerr << "leadrl sft: " << leadrl::model::parameter_count(*job.model) << " parameters, "
              << s.steps << " steps of " << s.batch_size << " sequences" << on_ranks(job.ranks)
              << ", difficulty " << s.task.min_difficulty << ".." << s.task.max_difficulty
              << ", verbosity " << o.sft.verbosity;
    if (s.mix.minimal > 0.0 || s.mix.fused > 0.0) {
      std::cerr << ", answers " << 1.0 - s.mix.minimal - s.mix.fused << " verbose / "
                << s.mix.minimal << " minimal / " << s.mix.fused << " fused";
    }
    std::cerr << "\n";
  }
  return sft_runner(
      [&job, s] { return leadrl::model::run_arith_sft(job.model, s, job.progress, job.ranks); });
}

// data.task=jsonl: the corpus of data.train_files through model.path's tokenizer.
leadrl::result<sft_runner> prepare_jsonl(const sft_job& job, const leadrl::model::tokenizer& tok) {
  const auto& o = job.options;
  leadrl::io::problem_fields fields;
  fields.answer_required = false;
  fields.response_required = true;
  auto pairs = leadrl::io::load_problems(o.train.data.train_files, fields);
  if (!pairs) return pairs.error().with_context("data.train_files");
  auto corpus = leadrl::model::encode_sft_corpus(tok, leadrl::model::template_for(tok), *pairs,
                                                 o.train.data.max_prompt_length,
                                                 o.train.data.max_response_length);
  if (!corpus) return corpus.error();
  if (job.ranks.rank == 0) {
    std::cerr << "leadrl sft: " << o.train.data.train_files << ": " << corpus->examples.size()
              << " pairs";
    if (corpus->dropped > 0) {
      std::cerr << " (" << corpus->dropped
                << " longer than data.max_prompt_length = " << o.train.data.max_prompt_length
                << " / data.max_response_length = " << o.train.data.max_response_length
                << " tokens dropped)";
    }
    std::cerr << "; " << leadrl::model::parameter_count(*job.model) << " parameters, "
              << o.sft.steps << " steps of " << o.sft.batch_size << " sequences"
              << on_ranks(job.ranks) << "\n";
  }
  if (corpus->examples.empty()) {
    return leadrl::fail("data.train_files: " + o.train.data.train_files +
                        ": no pair fits the length limits");
  }
  leadrl::model::sft_settings s;
  fill_settings(o, s);
  if (auto st = leadrl::model::validate(s); !st) return st.error();
  auto data = std::make_shared<leadrl::model::sft_corpus>(std::move(*corpus));
  return sft_runner([&job, &tok, s, data] {
    return leadrl::model::run_jsonl_sft(job.model, tok, *data, s, job.progress, job.ranks);
  });
}

// Writes the checkpoint, the tokenizer and the stamp; false (after a message) on failure.
bool write_checkpoint(const leadrl::io::sft_options& o, const leadrl::model::decoder& model,
                      const fs::path& out_dir, const std::string& stamp) {
  auto tokenizer = o.train.data.task == "jsonl"
                       ? leadrl::model::copy_tokenizer_files(o.train.model.path, out_dir.string())
                       : leadrl::model::save_char_tokenizer(out_dir.string());
  if (!tokenizer) {
    std::cerr << "leadrl sft: sft.output_dir: " << tokenizer.error().message() << "\n";
    return false;
  }
  if (auto st = leadrl::model::save_decoder(*model, out_dir.string()); !st) {
    std::cerr << "leadrl sft: sft.output_dir: " << st.error().message() << "\n";
    return false;
  }
  std::ofstream f(out_dir / stamp_name, std::ios::binary | std::ios::trunc);
  f << stamp;
  f.close();
  if (!f) {
    std::cerr << "leadrl sft: cannot write " << (out_dir / stamp_name).string() << "\n";
    return false;
  }
  return true;
}

// Rank 0's look at sft.output_dir: 0 when it holds a checkpoint of this configuration
// (skipped), 2 when it cannot be made, -1 to train.
int check_output_dir(const fs::path& out_dir, const std::string& stamp, bool force) {
  if (!force && fs::is_regular_file(out_dir / stamp_name) &&
      fs::is_regular_file(out_dir / "config.json") && read_text(out_dir / stamp_name) == stamp) {
    std::cerr << "leadrl sft: " << out_dir.string()
              << " already holds a checkpoint of this configuration; skipped (--force retrains)\n";
    return 0;
  }
  // Made before training, so that an unwritable directory fails in a second, not after it.
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) {
    std::cerr << "leadrl sft: sft.output_dir: cannot create '" << out_dir.string() << "' ("
              << (ec ? ec.message() : "not a directory") << ")\n";
    return 2;
  }
  return -1;
}

// This rank's data-parallel hooks over `coll`.
leadrl::model::sft_ranks ranks_of(const leadrl::runtime::mpi_world& w,
                                  leadrl::runtime::collectives& coll,
                                  leadrl::runtime::element_type bucket_type) {
  leadrl::model::sft_ranks ranks;
  ranks.rank = w.rank();
  ranks.size = w.size();
  ranks.average_gradients = [&coll, size = w.size(),
                             bucket_type](const std::vector<torch::Tensor>& params) {
    return leadrl::runtime::all_reduce_gradients(
        coll, params, size, leadrl::runtime::default_bucket_bytes, bucket_type);
  };
  ranks.sum = [&coll](std::vector<double>& values) {
    return coll.all_reduce_sum(values.data(), values.size(), leadrl::runtime::element_type::f64);
  };
  return ranks;
}

// Rank 0's end of a run: the checkpoint and the summary line; the exit code.
int write_result(const leadrl::io::sft_options& options, const leadrl::model::decoder& model,
                 const leadrl::model::sft_report& report, const std::string& stamp) {
  const fs::path out_dir = options.sft.output_dir;
  if (!write_checkpoint(options, model, out_dir, stamp)) return 1;
  std::printf(
      "sft: %s written (%.0f s, %s pass@1 %.3f at T=%.1f, %.3f greedy, mean length %.1f "
      "tokens)\n",
      out_dir.string().c_str(), report.seconds,
      options.train.data.task == "jsonl" ? "train" : "held-out", report.eval.accuracy,
      options.sft.eval_temperature, report.eval.greedy_accuracy, report.eval.mean_length);
  return 0;
}

// The run after the options were read, on every rank of `w`.
int train_on_ranks(const leadrl::io::sft_options& options, bool force,
                   const leadrl::runtime::mpi_world& w) {
  const bool jsonl = options.train.data.task == "jsonl";
  const auto& so = options.sft;
  const fs::path out_dir = so.output_dir;
  const std::string stamp =
      options.fingerprint + (jsonl ? content_stamp(options.train.data.train_files) : "");
  if (w.size() > 1 && so.batch_size < w.size()) {
    std::cerr << "leadrl sft: sft.batch_size: expected at least one sequence per rank (>= "
              << w.size() << " at " << w.size() << " ranks), got " << so.batch_size << "\n";
    return 2;
  }
  // Rank 0 alone decides about the directory, so that the ranks cannot disagree.
  const int cached = w.agreed_exit_code(
      w.rank() == 0 ? check_output_dir(out_dir, stamp, force) : -1, "leadrl sft");
  if (cached >= 0) return cached;
  auto model = build_model(options);
  if (!model) std::cerr << "leadrl sft: " << model.error().message() << "\n";
  std::shared_ptr<const leadrl::model::tokenizer> tok;
  if (model && jsonl) {
    auto t = leadrl::model::load_tokenizer(options.train.model.path);
    if (t) {
      tok = *t;
    } else {
      std::cerr << "leadrl sft: model.path: " << t.error().message() << "\n";
    }
  }
  const auto timeout = std::chrono::milliseconds(
      static_cast<long long>(options.train.runtime.collective_timeout_s * 1000.0));
  auto coll = leadrl::runtime::make_mpi_collectives(w, timeout);
  const auto start = std::chrono::steady_clock::now();
  sft_job job{
      options, model ? *model : leadrl::model::decoder(nullptr),
      [&](const leadrl::model::sft_progress& p) {
        if (w.rank() != 0) return;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        // arith: held-out test problems; jsonl: the training pairs themselves.
        print_progress(p, so.steps, elapsed, so.eval_temperature, jsonl ? "train" : "held-out");
      },
      ranks_of(w, *coll,
               leadrl::runtime::gradient_bucket_type(options.train.runtime.grad_reduce_dtype))};
  leadrl::result<sft_runner> runner = leadrl::fail("no model or tokenizer");  // said above
  if (model && (tok || !jsonl)) {
    runner = jsonl ? prepare_jsonl(job, *tok) : prepare_arith(job);
    if (!runner) std::cerr << "leadrl sft: " << runner.error().message() << "\n";
  }
  if (const int code = w.agreed_exit_code(runner ? -1 : 2, "leadrl sft"); code >= 0) return code;
  auto report = (*runner)();
  if (!report) {
    // A rank that fails alone would leave the others waiting in a collective.
    if (w.size() > 1) w.abort(1, "leadrl sft: " + report.error().message());
    std::cerr << "leadrl sft: " << report.error().message() << "\n";
    return 1;
  }
  return w.rank() == 0 ? write_result(options, *model, *report, stamp) : 0;
}

int run_sft(int argc, char** argv) {
  leadrl::cli::config_args args;
  bool force = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      print_usage(std::cout);
      return 0;
    }
    if (a == "--force") {
      force = true;
      continue;
    }
    args.take(a);
  }
  if (!args.has_config("leadrl sft")) return 2;
  auto options = leadrl::io::load_sft_options(args.config_path, args.overrides);
  if (!options) {
    std::cerr << "leadrl sft: " << options.error().message() << "\n";
    return 2;
  }
  const bool jsonl = options->train.data.task == "jsonl";
  if (jsonl && options->train.model.path.empty()) {
    std::cerr << "leadrl sft: model.path: required with data.task=jsonl (a model folder with "
                 "its tokenizer, e.g. from `leadrl init-model`)\n";
    return 2;
  }
  if (jsonl && !fs::is_regular_file(options->train.data.train_files)) {
    std::cerr << "leadrl sft: data.train_files: '" << options->train.data.train_files
              << "' is not a file (expected JSONL prompt/response pairs)\n";
    return 2;
  }
  auto world = leadrl::runtime::mpi_world::init(&argc, &argv);
  if (!world) {
    std::cerr << "leadrl sft: " << world.error().message() << "\n";
    return 1;
  }
  return train_on_ranks(*options, force, **world);
}

const leadrl::cli::command_registration reg{
    "sft", "supervised fine-tuning (arithmetic task or JSONL prompt/response pairs)", run_sft};

}  // namespace
