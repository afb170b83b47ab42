// Learner throughput: tokens/s of one PPO/GRPO update (forward, policy loss, backward,
// gradient clipping and an AdamW step) on random-weight Qwen2-shaped decoders, plus the
// no-gradient log-prob pass the learner runs for old/reference log-probs, and peak RSS.
//
//   bench_learner                 # both models
//   bench_learner --model tiny --steps 5 --batch 8
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "model/decoder.hpp"
#include "model/learner_step.hpp"

namespace {

using namespace leadrl;
using clock_type = std::chrono::steady_clock;

struct bench_model {
  std::string name;
  io::hf_config config;
  int64_t batch;
  int64_t seq;
  int64_t prompt;  // leading tokens that carry no loss
  int steps;
};

io::hf_config qwen2_config(int64_t hidden, int64_t layers, int64_t heads, int64_t kv_heads,
                           int64_t intermediate, int64_t vocab, bool tied) {
  io::hf_config c = io::qwen2_config(hidden, intermediate, layers, heads, kv_heads, vocab, 4096);
  c.rope_theta = 1000000.0;
  c.tie_word_embeddings = tied;
  return c;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

int run(const bench_model& m) {
  if (auto s = io::validate(m.config); !s) {
    std::fprintf(stderr, "%s: %s\n", m.name.c_str(), s.error().message().c_str());
    return 1;
  }
  torch::manual_seed(0);
  model::decoder policy(m.config);
  const int64_t params = model::parameter_count(*policy);

  model::learner_micro_batch mb;
  mb.input_ids = torch::randint(0, m.config.vocab_size, {m.batch, m.seq}, torch::kLong);
  mb.attention_mask = torch::ones({m.batch, m.seq}, torch::kLong);
  auto mask = torch::zeros({m.batch, m.seq - 1});
  mask.narrow(1, m.prompt - 1, m.seq - m.prompt).fill_(1);
  mb.response_mask = mask;
  mb.advantages = torch::randn({m.batch});

  // Old log-probs: the no-gradient pass (timed on its own).
  const auto t_lp = clock_type::now();
  auto old_lp =
      model::compute_log_probs(*policy, mb.input_ids, mb.attention_mask, 1.0, mb.response_mask);
  const double lp_seconds = seconds_since(t_lp);
  if (!old_lp) {
    std::fprintf(stderr, "%s: %s\n", m.name.c_str(), old_lp.error().message().c_str());
    return 1;
  }
  mb.old_log_probs = *old_lp;
  mb.ref_log_probs = *old_lp;

  auto opt = model::policy_optimizer::create(policy->named_parameters(), {});
  if (!opt) {
    std::fprintf(stderr, "%s: %s\n", m.name.c_str(), opt.error().message().c_str());
    return 1;
  }
  model::policy_loss_config cfg;  // the paper's settings (spec/lead.md §10.2)
  cfg.entropy_coeff = 0.001;
  cfg.kl_coef = 0.0005;
  cfg.kl_type = model::kl_estimator::mse;
  model::lr_schedule sched;
  sched.base_lr = 1e-6;
  const auto den = model::count_denominator(mb.response_mask);

  double fwd_bwd = 0, step_s = 0;
  int timed = 0;
  for (int s = 0; s <= m.steps; ++s) {  // step 0 warms up and is not timed
    const auto t0 = clock_type::now();
    auto metrics = model::accumulate_gradients(*policy, mb, cfg, den, 1.0);
    if (!metrics) {
      std::fprintf(stderr, "%s: %s\n", m.name.c_str(), metrics.error().message().c_str());
      return 1;
    }
    const double t_fb = seconds_since(t0);
    const auto t1 = clock_type::now();
    model::apply_optimizer_step(**opt, sched, 1.0);
    const double t_opt = seconds_since(t1);
    if (s > 0) {
      fwd_bwd += t_fb;
      step_s += t_opt;
      ++timed;
    }
  }
  const double tokens = static_cast<double>(m.batch * m.seq);
  const double per_step = (fwd_bwd + step_s) / timed;
  std::printf(
      "%-5s params %6.1fM  batch %3lld x seq %4lld  threads %d | learner %9.0f tok/s "
      "(%.3f s/step: fwd+bwd %.3f, optimizer %.3f) | log-prob pass %9.0f tok/s | peak RSS "
      "%7.0f MiB\n",
      m.name.c_str(), params / 1e6, static_cast<long long>(m.batch), static_cast<long long>(m.seq),
      torch::get_num_threads(), tokens / per_step, per_step, fwd_bwd / timed, step_s / timed,
      tokens / lp_seconds, peak_rss_mib());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "all";
  int steps = -1;
  int64_t batch = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf(
          "usage: bench_learner [--model demo|tiny|100m|bpe|all] [--steps N] [--batch B]\n"
          "Learner tokens/s (forward + backward + AdamW) and peak RSS on random-weight models:\n"
          "  demo: the demo's SFT model (configs/arith_sft.ini): hidden 64, 3 layers, vocab\n"
          "        100, a micro-batch of 64 rows x 80 tokens of which 56 carry loss (~0.16M)\n"
          "  tiny: Qwen2-shaped, hidden 256, 4 layers, vocab 64, seq 128 (~2.4M params)\n"
          "  100m: hidden 768, 12 layers, 12 heads, 2 kv heads, intermediate 2048, vocab\n"
          "        32000, tied embeddings, seq 256 (~98M params)\n"
          "  bpe:  configs/math_tiny_lead.ini's model: hidden 64, 2 layers, vocab 151936,\n"
          "        untied, 16 x 140 tokens of which 40 carry loss (~19.5M params)\n");
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_learner: %s expects a value\n", a.c_str());
      return 2;
    }
    const char* v = argv[++i];
    if (a == "--model") {
      which = v;
    } else if (a == "--steps") {
      steps = std::atoi(v);
    } else if (a == "--batch") {
      batch = std::atoll(v);
    } else {
      std::fprintf(stderr, "bench_learner: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (which != "all" && which != "demo" && which != "tiny" && which != "100m" && which != "bpe") {
    std::fprintf(stderr, "bench_learner: --model expects demo, tiny, 100m, bpe or all, got %s\n",
                 which.c_str());
    return 2;
  }
  bench_model demo{"demo", qwen2_config(64, 3, 4, 2, 192, 100, false), 64, 80, 24, 5};
  bench_model tiny{"tiny", qwen2_config(256, 4, 4, 2, 512, 64, false), 8, 128, 32, 5};
  bench_model large{"100m", qwen2_config(768, 12, 12, 2, 2048, 32000, true), 2, 256, 64, 2};
  // The tiny BPE Qwen2 of configs/math_tiny_lead.ini: ~100 prompt and ~40 response tokens.
  bench_model bpe{"bpe", qwen2_config(64, 2, 4, 2, 128, 151936, false), 16, 140, 100, 5};
  for (bench_model* m : {&demo, &tiny, &large, &bpe}) {
    if (steps > 0) m->steps = steps;
    if (batch > 0) m->batch = batch;
  }
  int rc = 0;
  if (which == "all" || which == "demo") rc |= run(demo);
  if (which == "all" || which == "tiny") rc |= run(tiny);
  if (which == "all" || which == "100m") rc |= run(large);
  if (which == "all" || which == "bpe") rc |= run(bpe);
  return rc;
}
