// File: tests/eval/fair_samples.hpp
//
// Synthetic fair-test inputs shared by the fair_inputs, fair_report and fair_charts tests:
// readout.json text in the exact format of `leadrl step-gate --out-json`, the same readouts
// built in memory, and an experiment with every arm and no run yet.
//
//   std::string text = eval::test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25);
//   eval::fair_readout r = eval::test::readout({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25);
#pragma once

#include <array>
#include <string>

#include "eval/fair_inputs.hpp"

namespace leadrl::eval::test {

using level_figures = std::array<double, fair_level_count>;

/// One entry of "levels": 1600 answers, `pass` correct, `tokens` mean tokens over a minimal
/// 10 tokens, `skip` of them skipped (half of which correct), the rest full.
inline std::string level_text(int level, double pass, double tokens, double skip) {
  const std::string n = std::to_string(level);
  const int skipped = static_cast<int>(1600 * skip);
  const std::string skipped_acc = skipped == 0 ? "null" : "0.5";
  return "{\"level\":" + n +
         ",\"answers\":1600,\"correct\":" + std::to_string(static_cast<int>(1600 * pass)) +
         ",\"accuracy\":" + std::to_string(pass) + ",\"mean_tokens\":" + std::to_string(tokens) +
         ",\"minimal_tokens\":10.0,\"length_ratio\":" + std::to_string(tokens / 10.0) +
         ",\"skip_rate\":" + std::to_string(skip) +
         ",\"full\":{\"answers\":" + std::to_string(1600 - skipped) +
         ",\"correct\":1000,\"accuracy\":0.75},"
         "\"fused\":{\"answers\":" +
         std::to_string(skipped) + ",\"correct\":" + std::to_string(skipped / 2) +
         ",\"accuracy\":" + skipped_acc +
         "},\"dropped\":{\"answers\":0,\"correct\":0,\"accuracy\":null},"
         "\"skipped\":{\"answers\":" +
         std::to_string(skipped) + ",\"correct\":" + std::to_string(skipped / 2) +
         ",\"accuracy\":" + skipped_acc + "}}";
}

/// A whole readout.json with the given pass@1 per level, the same mean tokens and skip
/// rate at every level.
inline std::string readout_text(const level_figures& pass, double tokens, double skip) {
  std::string levels;
  for (int d = 1; d <= fair_level_count; ++d) {
    levels +=
        (d > 1 ? "," : "") + level_text(d, pass[static_cast<std::size_t>(d - 1)], tokens, skip);
  }
  return "{\"model\":\"m\",\"problems_per_level\":200,\"samples_per_problem\":8,"
         "\"temperature\":0.8,\"top_p\":0.9,\"problem_seed\":1,\"sample_seed\":1,"
         "\"max_digits\":1,\"levels\":[" +
         levels +
         "],\"gate\":{\"passed\":false,\"checks\":[{\"name\":\"x\",\"passed\":true,"
         "\"detail\":\"y\"}]}}";
}

/// The same readout built in memory (protocol: 200 x 8, temperature 0.8, top-p 0.9, seeds
/// 1 and 1, max digits 1).
inline fair_readout readout(const level_figures& pass, double tokens, double skip) {
  fair_readout r;
  r.source = "memory";
  r.protocol = {200, 8, 0.8, 0.9, 1, 1, 1.0};
  for (int d = 1; d <= fair_level_count; ++d) {
    fair_level& l = r.levels[static_cast<std::size_t>(d - 1)];
    l.level = d;
    l.pass_at_1 = pass[static_cast<std::size_t>(d - 1)];
    l.mean_tokens = tokens;
    l.minimal_tokens = 10.0;
    l.length_ratio = tokens / 10.0;
    l.skip_rate = skip;
    l.full = {1000, 750, 0.75};
    if (skip > 0) l.skipped = {100, 50, 0.5};
  }
  return r;
}

/// A run of `seed` with a readout of pass@1 `pass` at every level.
inline fair_run run_with(int seed, double pass, double tokens, double skip) {
  fair_run r;
  r.seed = seed;
  r.readout = readout({pass, pass, pass, pass, pass}, tokens, skip);
  return r;
}

/// Inputs with every pre-registered arm and no runs, and a base of pass@1 0.5, 40 tokens.
inline fair_inputs empty_experiment() {
  fair_inputs in;
  in.dir = "synthetic";
  in.base = readout({0.5, 0.5, 0.5, 0.5, 0.5}, 40.0, 0.25);
  for (const fair_arm_spec& spec : fair_arms()) in.arms.push_back({spec, {}});
  return in;
}

/// The arm `name` of `in` (which must have it).
inline fair_arm& arm_of(fair_inputs& in, const std::string& name) {
  for (fair_arm& a : in.arms) {
    if (a.spec.name == name) return a;
  }
  return in.arms.front();
}

}  // namespace leadrl::eval::test
