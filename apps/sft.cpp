// `leadrl sft CONFIG [key=value ...] [--force]`: supervised fine-tuning of the tiny
// character-level decoder on the verbose corpus of the built-in arithmetic task (issue 8),
// writing a Hugging Face checkpoint directory (config.json, model.safetensors, the
// character tokenizer.json) that `leadrl train model.path=DIR` starts RL from.
//
// The model is the one `leadrl train` would build from the same model.* and data.* options
// (model::random_policy_config), or model.path when set. Progress (step, loss, lr,
// tokens/s, ETA) goes to stderr about 25 times a run, with held-out pass@1 (sampled and
// greedy) every sft.eval_every steps and at the end. A checkpoint made from the same
// configuration is reused (sft_config.ini in the directory records it) unless --force is
// given. Exit codes: 0 done or cached, 1 failure while training or writing, 2 bad usage
// or configuration (the message names the key).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "io/sft_options.hpp"
#include "io/train_options.hpp"
#include "model/char_tokenizer.hpp"
#include "model/checkpoint.hpp"
#include "model/policy_config.hpp"
#include "model/sft.hpp"

namespace {

namespace fs = std::filesystem;
constexpr const char* stamp_name = "sft_config.ini";

void print_usage(std::ostream& out) {
  out << "leadrl sft: supervised fine-tuning of the tiny decoder on the arithmetic task\n\n"
         "usage: leadrl sft CONFIG.ini [--force] [--key=value | key=value ...]\n\n"
         "Writes an HF checkpoint to sft.output_dir; skips the work when that directory\n"
         "already holds a checkpoint made from the same configuration (unless --force).\n"
         "Options (default in parentheses); the sft.* section is SFT's own, model.* and\n"
         "data.* are shared with `leadrl train`:\n";
  leadrl::io::sft_schema().print_help(out);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
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
  if (options->train.data.task != "arith") {
    std::cerr << "leadrl sft: data.task: expected arith (the built-in task), got '"
              << options->train.data.task << "'\n";
    return 2;
  }
  const auto& so = options->sft;
  const fs::path out_dir = so.output_dir;
  const fs::path stamp = out_dir / stamp_name;
  if (!force && fs::is_regular_file(stamp) && fs::is_regular_file(out_dir / "config.json") &&
      read_text(stamp) == options->fingerprint) {
    std::cerr << "leadrl sft: " << out_dir.string()
              << " already holds a checkpoint of this configuration; skipped (--force retrains)\n";
    return 0;
  }

  {
    // Made before training, so that an unwritable directory fails in a second, not after it.
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec || !fs::is_directory(out_dir)) {
      std::cerr << "leadrl sft: sft.output_dir: cannot create '" << out_dir.string() << "' ("
                << (ec ? ec.message() : "not a directory") << ")\n";
      return 2;
    }
  }
  leadrl::model::decoder model{nullptr};
  if (!options->train.model.path.empty()) {
    auto loaded = leadrl::model::load_decoder(options->train.model.path);
    if (!loaded) {
      std::cerr << "leadrl sft: model.path: " << loaded.error().message() << "\n";
      return 2;
    }
    model = *loaded;
  } else {
    auto config = leadrl::model::random_policy_config(options->train);
    if (!config) {
      std::cerr << "leadrl sft: " << config.error().message() << "\n";
      return 2;
    }
    torch::manual_seed(options->train.model.init_seed);
    model = leadrl::model::decoder(*config);
  }

  leadrl::model::arith_sft_settings s;
  s.task.min_difficulty = static_cast<int>(options->train.data.arith_min_difficulty);
  s.task.max_difficulty = static_cast<int>(options->train.data.arith_max_difficulty);
  s.verbosity = {so.verbosity, so.spread};
  s.steps = so.steps;
  s.batch_size = so.batch_size;
  s.lr = so.lr;
  s.warmup_steps = so.warmup;
  s.min_lr_ratio = so.min_lr_ratio;
  s.weight_decay = so.weight_decay;
  s.grad_clip = so.grad_clip;
  s.seed = so.seed;
  s.max_response_tokens = options->train.data.max_response_length;
  s.eval_every = so.eval_every;
  s.eval_problems = so.eval_problems;
  s.eval_temperature = so.eval_temperature;
  s.progress_every = std::max<std::int64_t>(1, so.steps / 25);
  if (auto st = leadrl::model::validate(s); !st) {
    std::cerr << "leadrl sft: " << st.error().message() << "\n";
    return 2;
  }
  std::cerr << "leadrl sft: " << leadrl::model::parameter_count(*model) << " parameters, "
            << so.steps << " steps of " << so.batch_size << " sequences, difficulty "
            << s.task.min_difficulty << ".." << s.task.max_difficulty << ", verbosity "
            << so.verbosity << "\n";
  const auto start = std::chrono::steady_clock::now();
  auto report = leadrl::model::run_arith_sft(model, s, [&](const leadrl::model::sft_progress& p) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto eta = static_cast<long>(
        elapsed / static_cast<double>(p.step) * static_cast<double>(so.steps - p.step) + 0.5);
    char line[320];
    int n = std::snprintf(line, sizeof line,
                          "sft step %lld/%lld | loss %.4f | lr %.2e | %.0f tok/s | ETA %ldm%02lds",
                          static_cast<long long>(p.step), static_cast<long long>(so.steps), p.loss,
                          p.lr, p.tokens_per_s, eta / 60, eta % 60);
    if (p.has_eval && n > 0 && static_cast<std::size_t>(n) < sizeof line) {
      std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n),
                    " | held-out pass@1 %.3f (T=%.1f) %.3f (greedy) | mean length %.1f tokens",
                    p.eval.accuracy, so.eval_temperature, p.eval.greedy_accuracy,
                    p.eval.mean_length);
    }
    std::cerr << line << std::endl;
  });
  if (!report) {
    std::cerr << "leadrl sft: " << report.error().message() << "\n";
    return 1;
  }
  if (auto st = leadrl::model::save_decoder(*model, out_dir.string()); !st) {
    std::cerr << "leadrl sft: sft.output_dir: " << st.error().message() << "\n";
    return 1;
  }
  if (auto st = leadrl::model::save_char_tokenizer(out_dir.string()); !st) {
    std::cerr << "leadrl sft: sft.output_dir: " << st.error().message() << "\n";
    return 1;
  }
  {
    std::ofstream f(stamp, std::ios::binary | std::ios::trunc);
    f << options->fingerprint;
    if (!f) {
      std::cerr << "leadrl sft: cannot write " << stamp.string() << "\n";
      return 1;
    }
  }
  std::printf(
      "sft: %s written (%.0f s, held-out pass@1 %.3f at T=%.1f, %.3f greedy, mean length %.1f "
      "tokens)\n",
      out_dir.string().c_str(), report->seconds, report->eval.accuracy, so.eval_temperature,
      report->eval.greedy_accuracy, report->eval.mean_length);
  return 0;
}

const leadrl::cli::command_registration reg{"sft", "supervised fine-tuning on the arithmetic task",
                                            run_sft};

}  // namespace
