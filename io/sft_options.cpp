#include "io/sft_options.hpp"

#include <sstream>

#include "io/arith_task.hpp"
#include "io/option_table.hpp"

namespace leadrl::io {

namespace {

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
    if (section == "[data]" && line.rfind("arith_curriculum", 0) == 0) continue;  // RL only
    if (section == "[trainer]" || section == "[runtime]" || section == "[rollout]" ||
        section == "[algorithm]" || section == "[actor]") {
      continue;  // RL-only sections
    }
    out += line + "\n";
  }
  return out;
}

const option_table<sft_section>& sft_table() {
  static const option_table<sft_section> table = [] {
    using s = sft_section;
    option_table<s> t;
    t.add("sft.steps", &s::steps, "SFT optimizer steps (>= 1)", int_range(1));
    t.add("sft.batch_size", &s::batch_size, "SFT sequences per step (>= 1)", int_range(1));
    t.add("sft.lr", &s::lr, "SFT peak learning rate (> 0)", real_above(0));
    t.add("sft.warmup", &s::warmup, "SFT warmup steps (>= 0), then cosine decay", int_range(0));
    t.add("sft.min_lr_ratio", &s::min_lr_ratio, "SFT cosine floor as a share of sft.lr",
          real_range(0, 1, false, false));
    t.add("sft.weight_decay", &s::weight_decay, "SFT AdamW weight decay (>= 0)", real_at_least(0));
    t.add("sft.grad_clip", &s::grad_clip, "SFT gradient-norm clip (<= 0: off)", real_finite());
    t.add("sft.verbosity", &s::verbosity,
          "mean verbosity of the SFT corpus in [0, 1] (0.5: ~3.5x the minimal length)",
          real_range(0, 1, false, false));
    t.add("sft.spread", &s::spread, "per-response verbosity spread in [0, 1]",
          real_range(0, 1, false, false));
    t.add("sft.minimal_share", &s::minimal_share,
          "share of minimal step-by-step answers in the arith SFT corpus, [0, 1]",
          real_range(0, 1, false, false));
    t.add("sft.fused_share", &s::fused_share,
          "share of fused answers (k >= 2 consecutive steps on one line, or the answer "
          "alone) in the arith SFT corpus, [0, 1]; minimal_share + fused_share <= 1",
          real_range(0, 1, false, false));
    t.add("sft.seed", &s::seed, "SFT corpus and evaluation seed");
    t.add("sft.eval_every", &s::eval_every, "held-out evaluation every N steps (0: at the end)",
          int_range(0));
    t.add("sft.eval_problems", &s::eval_problems, "held-out test-split problems evaluated",
          int_range(1));
    t.add("sft.eval_temperature", &s::eval_temperature, "sampled evaluation temperature",
          real_above(0));
    t.add("sft.output_dir", &s::output_dir, "HF checkpoint directory written",
          [](const std::string& key, const std::string& dir) -> status {
            if (dir.empty()) return fail(key + ": expected a directory path, got ''");
            return status::success();
          });
    return t;
  }();
  return table;
}

}  // namespace

io::config_schema sft_schema() {
  io::config_schema s = train_schema();
  sft_table().declare(s);
  return s;
}

result<sft_options> read_sft_options(const io::config& cfg) {
  auto train = read_train_options(cfg);
  if (!train) return train.error();
  sft_options o;
  o.train = std::move(*train);
  LEADRL_TRY(sft_table().read(cfg, o.sft));
  const io::arith_answer_mix mix{o.sft.minimal_share, o.sft.fused_share};
  if (auto st = io::validate_arith_answer_mix(mix); !st) {
    return fail("sft.fused_share: expected sft.minimal_share + sft.fused_share <= 1, got " +
                std::to_string(mix.minimal) + " + " + std::to_string(mix.fused));
  }
  // The mixture keys and the digit cap at their default leave the fingerprint of the
  // all-verbose corpus as it was before they existed, so that its cached checkpoints stay
  // valid.
  // model.device is placement only (the same weights on any device), and model.dtype at
  // float32 is how every earlier checkpoint was trained.
  std::vector<std::string> at_default = {"model.device"};
  if (o.train.model.dtype == "float32") at_default.push_back("model.dtype");
  if (o.train.runtime.grad_reduce_dtype == "float32") {
    at_default.push_back("runtime.grad_reduce_dtype");
  }
  if (o.train.data.arith_max_digits == 0) at_default.push_back("data.arith_max_digits");
  if (o.sft.minimal_share == 0.0) at_default.push_back("sft.minimal_share");
  if (o.sft.fused_share == 0.0) at_default.push_back("sft.fused_share");
  o.fingerprint = fingerprint_of(config_text_without(o.train.config_text, at_default));
  return o;
}

result<sft_options> load_sft_options(const std::string& ini_path,
                                     const std::vector<std::string>& overrides) {
  auto cfg = io::load_config(sft_schema(), ini_path, overrides);
  if (!cfg) return cfg.error();
  return read_sft_options(*cfg);
}

}  // namespace leadrl::io
