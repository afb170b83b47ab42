// File: model/policy_config.hpp
//
// The Hugging Face config of the random policy that model.* describes when model.path is
// empty: a Qwen2-shaped decoder over the character vocabulary. `leadrl train` and
// `leadrl sft` build it; exports write it.
//
//   auto c = model::random_policy_config(options);  // options: io::train_options
//   model::decoder policy(*c, seed);
#pragma once

#include "base/result.hpp"
#include "io/hf_config.hpp"
#include "io/train_options.hpp"

namespace leadrl::model {

/// The config of the random decoder that model.* describes when model.path is empty (a
/// Qwen2-shaped model over the character vocabulary, context max_prompt_length +
/// max_response_length + 8), as `leadrl train` builds it and exports write it. Fails when
/// the sizes do not make a valid config (e.g. hidden_size not a multiple of num_heads).
result<io::hf_config> random_policy_config(const io::train_options& options);

}  // namespace leadrl::model
