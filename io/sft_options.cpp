#include "io/sft_options.hpp"

#include <cmath>
#include <sstream>

namespace leadrl::io {

namespace {

using i64 = std::int64_t;
using io::need_int;
using io::need_real;

// The effective INI text without the lines that do not change the checkpoint.
std::string fingerprint_of(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string section;
  std::string out;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() == '[') section = line;
    if (section == "[sft]" &&
        (line.rfind("output_dir", 0) == 0 || line.rfind("eval_every", 0) == 0)) {
      continue;
    }
    if (section == "[trainer]" || section == "[runtime]" || section == "[rollout]" ||
        section == "[algorithm]" || section == "[actor]") {
      continue;  // RL-only sections
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

io::config_schema sft_schema() {
  io::config_schema s = train_schema();
  const sft_section d;
  s.add<i64>("sft.steps", d.steps, "SFT optimizer steps (>= 1)");
  s.add<i64>("sft.batch_size", d.batch_size, "SFT sequences per step (>= 1)");
  s.add<double>("sft.lr", d.lr, "SFT peak learning rate (> 0)");
  s.add<i64>("sft.warmup", d.warmup, "SFT warmup steps (>= 0), then cosine decay");
  s.add<double>("sft.min_lr_ratio", d.min_lr_ratio, "SFT cosine floor as a share of sft.lr");
  s.add<double>("sft.weight_decay", d.weight_decay, "SFT AdamW weight decay (>= 0)");
  s.add<double>("sft.grad_clip", d.grad_clip, "SFT gradient-norm clip (<= 0: off)");
  s.add<double>("sft.verbosity", d.verbosity,
                "mean verbosity of the SFT corpus in [0, 1] (0.5: ~3.5x the minimal length)");
  s.add<double>("sft.spread", d.spread, "per-response verbosity spread in [0, 1]");
  s.add<i64>("sft.seed", static_cast<i64>(d.seed), "SFT corpus and evaluation seed");
  s.add<i64>("sft.eval_every", d.eval_every, "held-out evaluation every N steps (0: at the end)");
  s.add<i64>("sft.eval_problems", d.eval_problems, "held-out test-split problems evaluated");
  s.add<double>("sft.eval_temperature", d.eval_temperature, "sampled evaluation temperature");
  s.add<std::string>("sft.output_dir", d.output_dir, "HF checkpoint directory written");
  return s;
}

result<sft_options> read_sft_options(const io::config& cfg) {
  auto train = read_train_options(cfg);
  if (!train) return train.error();
  sft_options o;
  o.train = std::move(*train);
  auto& s = o.sft;
  auto I = [&](const char* k) { return cfg.get<i64>(k); };
  auto D = [&](const char* k) { return cfg.get<double>(k); };
  s.steps = I("sft.steps");
  LEADRL_TRY(need_int("sft.steps", s.steps, 1));
  s.batch_size = I("sft.batch_size");
  LEADRL_TRY(need_int("sft.batch_size", s.batch_size, 1));
  s.lr = D("sft.lr");
  LEADRL_TRY(need_real("sft.lr", s.lr, 0, HUGE_VAL, true, false, "a number > 0"));
  s.warmup = I("sft.warmup");
  LEADRL_TRY(need_int("sft.warmup", s.warmup, 0));
  s.min_lr_ratio = D("sft.min_lr_ratio");
  LEADRL_TRY(
      need_real("sft.min_lr_ratio", s.min_lr_ratio, 0, 1, false, false, "a number in [0, 1]"));
  s.weight_decay = D("sft.weight_decay");
  LEADRL_TRY(
      need_real("sft.weight_decay", s.weight_decay, 0, HUGE_VAL, false, false, "a number >= 0"));
  s.grad_clip = D("sft.grad_clip");
  LEADRL_TRY(need_real("sft.grad_clip", s.grad_clip, -HUGE_VAL, HUGE_VAL, false, false,
                       "a finite number"));
  s.verbosity = D("sft.verbosity");
  LEADRL_TRY(need_real("sft.verbosity", s.verbosity, 0, 1, false, false, "a number in [0, 1]"));
  s.spread = D("sft.spread");
  LEADRL_TRY(need_real("sft.spread", s.spread, 0, 1, false, false, "a number in [0, 1]"));
  LEADRL_TRY(need_int("sft.seed", I("sft.seed"), 0));
  s.seed = static_cast<std::uint64_t>(I("sft.seed"));
  s.eval_every = I("sft.eval_every");
  LEADRL_TRY(need_int("sft.eval_every", s.eval_every, 0));
  s.eval_problems = I("sft.eval_problems");
  LEADRL_TRY(need_int("sft.eval_problems", s.eval_problems, 1));
  s.eval_temperature = D("sft.eval_temperature");
  LEADRL_TRY(need_real("sft.eval_temperature", s.eval_temperature, 0, HUGE_VAL, true, false,
                       "a number > 0"));
  s.output_dir = cfg.get<std::string>("sft.output_dir");
  if (s.output_dir.empty()) return fail("sft.output_dir: expected a directory path, got ''");
  o.fingerprint = fingerprint_of(o.train.config_text);
  return o;
}

result<sft_options> load_sft_options(const std::string& ini_path,
                                     const std::vector<std::string>& overrides) {
  auto cfg = io::load_config(sft_schema(), ini_path, overrides);
  if (!cfg) return cfg.error();
  return read_sft_options(*cfg);
}

}  // namespace leadrl::io
