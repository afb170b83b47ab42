// bench_eval: throughput of `leadrl eval` sampling and grading (eval/eval_run.hpp) with a
// random decoder of the shape a training config describes (default: the tiny arithmetic
// config), written as a Hugging Face folder and loaded back as `leadrl eval` loads it.
// Prints samples/s and generated tokens/s; a random model rarely stops early, so its
// answers run to the token limit (a trained model's are shorter and faster).
//
//   bench_eval [config=configs/arith_tiny_lead.ini] [problems=200] [n=8] [max_new=32]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "eval/eval_run.hpp"
#include "io/arith_task.hpp"
#include "io/train_options.hpp"
#include "model/char_tokenizer.hpp"
#include "model/checkpoint.hpp"
#include "model/decoder.hpp"
#include "model/policy_config.hpp"

int main(int argc, char** argv) {
  using namespace leadrl;
  const std::string config = argc > 1 ? argv[1] : "configs/arith_tiny_lead.ini";
  const std::size_t problems = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200;
  const long n = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 8;
  const long max_new = argc > 4 ? std::strtol(argv[4], nullptr, 10) : 32;
  auto opts = io::load_train_options(config, {});
  if (!opts) {
    std::fprintf(stderr, "bench_eval: %s\n", opts.error().message().c_str());
    return 2;
  }
  auto cfg = model::random_policy_config(*opts);
  if (!cfg) {
    std::fprintf(stderr, "bench_eval: %s\n", cfg.error().message().c_str());
    return 2;
  }
  const auto dir = std::filesystem::temp_directory_path() / "leadrl_bench_eval_model";
  std::filesystem::create_directories(dir);
  torch::manual_seed(1);
  model::decoder dec(*cfg);
  if (auto s = model::save_decoder(*dec, dir.string()); !s) return 1;
  if (auto s = model::save_char_tokenizer(dir.string()); !s) return 1;
  auto m = eval::eval_model::load("random", dir.string());
  if (!m) {
    std::fprintf(stderr, "bench_eval: %s\n", m.error().message().c_str());
    return 1;
  }
  auto p = io::generate_arith_problems({}, io::arith_split::test, 1, 0, problems);
  if (!p) return 1;
  const eval::eval_dataset data{"arith", io::to_problem_dataset(*p, "arith"), true};
  eval::eval_sampling s;
  s.samples_per_problem = n;
  s.max_new_tokens = max_new;
  s.max_batch = 64;
  std::printf(
      "model: hidden %lld, layers %lld, context %lld; %zu problems x n=%ld, max_new %ld, "
      "torch threads %d\n",
      static_cast<long long>(cfg->hidden_size), static_cast<long long>(cfg->num_hidden_layers),
      static_cast<long long>(cfg->max_position_embeddings), problems, n, max_new,
      torch::get_num_threads());
  for (int rep = 0; rep < 2; ++rep) {
    auto r = (*m)->evaluate(data, s);
    if (!r) {
      std::fprintf(stderr, "bench_eval: %s\n", r.error().message().c_str());
      return 1;
    }
    const auto& t = (*m)->last_throughput();
    std::printf(
        "run %d: %lld samples, %lld tokens (%lld cut) in %.2f s: %.1f samples/s, "
        "%.0f tokens/s\n",
        rep, static_cast<long long>(t.samples), static_cast<long long>(t.generated_tokens),
        static_cast<long long>(t.truncated), t.seconds, static_cast<double>(t.samples) / t.seconds,
        static_cast<double>(t.generated_tokens) / t.seconds);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
