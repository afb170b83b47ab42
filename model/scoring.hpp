// File: model/scoring.hpp
//
// Per-token log-probabilities of given token sequences under a policy (`leadrl score`):
// row [i0, i1, ..., in] gives [log p(i1 | i0), ..., log p(in | i0..in-1)], computed in
// batches of right-padded rows through the learner's log-prob path (float32 log-softmax
// whatever the model dtype). Also the ids of a prompt rendered with a chat template
// followed by a response, and which of them are the response's.
//
//   auto lp = model::score_sequences(*policy, {{1, 5, 9, 2}}, 8);  // (*lp)[0].size() == 3
//   auto pr = model::prompt_response_ids(*tok, tmpl, "What is 2+2?", "4");
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/chat_template.hpp"
#include "model/decoder.hpp"
#include "model/tokenizer.hpp"

namespace leadrl::model {

/// Whether `ids` can be scored under a model of `vocab_size` tokens: at least 2 ids, each
/// in [0, vocab_size). Fails saying which does not hold.
status check_score_row(const std::vector<std::int64_t>& ids, std::int64_t vocab_size);

/// The next-token log-probs of every row, `batch` rows per forward pass. Fails, naming
/// the row, when a row fails check_score_row, or when `batch` < 1.
result<std::vector<std::vector<float>>> score_sequences(
    decoder_impl& model, const std::vector<std::vector<std::int64_t>>& rows, std::int64_t batch);

/// A prompt and its response as one id sequence: the prompt rendered with `tmpl` and
/// encoded (encode_prompt), then the response encoded without special tokens.
struct prompt_response {
  std::vector<std::int64_t> ids;
  std::size_t prompt_tokens = 0;  ///< ids[0 .. prompt_tokens) are the prompt's
};
prompt_response prompt_response_ids(const tokenizer& tok, const chat_template& tmpl,
                                    std::string_view prompt, std::string_view response);

}  // namespace leadrl::model
