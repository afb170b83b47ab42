// File: tests/support/policy_snapshot.hpp
//
// Test snapshots with a real policy in them: a random decoder of the model a
// `leadrl train` configuration describes, its parameters (and made-up Adam moments) as the
// snapshot's /learner, and a small controller state (length table, PSI, metrics). Used by
// the export round-trip tests and by the leadrl_test_snapshot program the CLI tests run.
//
//   auto options = io::load_train_options("", {"model.hidden_size=16"});
//   model::decoder dec = test::random_policy(*options, 7);
//   io::snapshot s = test::policy_snapshot(*options, *dec, /*step=*/3);
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "io/snapshot.hpp"
#include "io/train_options.hpp"
#include "model/decoder.hpp"
#include "model/policy_config.hpp"
#include "model/tensor_types.hpp"

namespace leadrl::test {

/// The bytes of `t` as a tensor_blob (any type model::io_dtype maps).
inline io::tensor_blob to_blob(const torch::Tensor& t) {
  io::tensor_blob b;
  const auto c = t.detach().contiguous().cpu();
  b.type = model::io_dtype(c.scalar_type()).value();
  b.shape.assign(c.sizes().begin(), c.sizes().end());
  b.bytes.resize(static_cast<std::size_t>(c.numel()) * c.element_size());
  std::memcpy(b.bytes.data(), c.data_ptr(), b.bytes.size());
  return b;
}

/// A random decoder of `options`' model (model::random_policy_config), initialised from `seed`.
inline model::decoder random_policy(const io::train_options& options, std::uint64_t seed,
                                    torch::Dtype dtype = torch::kFloat32) {
  torch::manual_seed(seed);
  return model::decoder(*model::random_policy_config(options),
                        model::decoder_options{dtype, torch::kCPU});
}

/// A snapshot at `step` of a run with `options` whose policy is `policy`: /learner holds
/// its parameters and Adam moments derived from them; the controller a 12-row length
/// table (L* of row i is 20 + 7 * ((5 * i) % 12), row 11 without an L*: NaN), PSI
/// weights {0.75, 0.25} and two metric columns of `step` rows.
inline io::snapshot policy_snapshot(const io::train_options& options,
                                    const model::decoder_impl& policy, std::int64_t step) {
  io::snapshot s;
  s.meta.step = step;
  s.meta.policy_version = step;
  s.meta.world_size = 1;
  s.meta.config_text = options.config_text;
  s.meta.seed = options.trainer.seed;
  s.meta.version = "test";
  s.meta.time = "2026-11-23T12:00:00Z";
  auto& table = s.controller.length_table;
  for (std::int64_t i = 0; i < 12; ++i) {
    table.prompt_id.push_back(100 + i);
    table.lstar.push_back(i == 11 ? std::nan("") : 20.0 + 7.0 * static_cast<double>((5 * i) % 12));
    table.n_correct.push_back(i % 4);
    table.last_step.push_back(i % 3);
    table.extra_double_columns["mean_length"].push_back(10.0 + static_cast<double>(i));
    table.extra_int64_columns["visits"].push_back(1 + i % 2);
  }
  table.string_settings["aggregator"] = "mean_correct";
  table.int64_settings["history"] = 32;
  s.controller.psi = {{0.75, 0.25}, true, step};
  s.controller.sampler = {0, step, {2, 0, 1}};
  for (std::int64_t k = 0; k < step; ++k) {
    s.controller.metrics_history["step"].push_back(static_cast<double>(k + 1));
    s.controller.metrics_history["reward/mean"].push_back(0.1 * static_cast<double>(k + 1));
  }
  for (const auto& p : policy.named_parameters()) {
    s.learner.params[p.key()] = to_blob(p.value());
    s.learner.optimizer[p.key()] = {to_blob(p.value() * 0.5), to_blob(p.value() * p.value())};
  }
  s.learner.optimizer_step = step;
  s.learner.lr_schedule_position = step;
  s.ranks.resize(1);
  s.ranks[0].int64_counters["policy_version"] = step;
  return s;
}

}  // namespace leadrl::test
