#include "eval/eval_run.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "grading/arith_grade.hpp"
#include "io/data_sampler.hpp"
#include "model/chat_template.hpp"
#include "model/checkpoint.hpp"
#include "model/decoder.hpp"
#include "model/generation_engine.hpp"
#include "model/tokenizer.hpp"

namespace leadrl::eval {

void set_eval_threads(int n) {
  if (n >= 1) torch::set_num_threads(n);
}

struct eval_model::impl {
  std::string name;
  model::decoder dec{nullptr};
  std::shared_ptr<const model::tokenizer> tok;
  eval_throughput last;
};

eval_model::eval_model(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
eval_model::~eval_model() = default;

const std::string& eval_model::name() const {
  return impl_->name;
}
const eval_throughput& eval_model::last_throughput() const {
  return impl_->last;
}

result<std::unique_ptr<eval_model>> eval_model::load(const std::string& name,
                                                     const std::string& dir,
                                                     const model::decoder_options& placement) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail("model '" + name + "': " + dir +
                " is not a folder (expected a Hugging Face "
                "model folder with config.json, *.safetensors and tokenizer.json)");
  }
  auto p = std::make_unique<impl>();
  p->name = name;
  auto dec = model::load_decoder(dir, placement);
  if (!dec) return dec.error().with_context("model '" + name + "' (" + dir + ")");
  p->dec = *dec;
  p->dec->eval();
  auto tok = model::load_tokenizer(dir);
  if (!tok) return tok.error().with_context("model '" + name + "' tokenizer (" + dir + ")");
  p->tok = *tok;
  if (p->tok->eos_id() < 0) {
    return fail("model '" + name + "' (" + dir + "): the tokenizer has no EOS token");
  }
  return std::unique_ptr<eval_model>(new eval_model(std::move(p)));
}

namespace {

// A dataset's prompts as token ids.
struct encoded_prompts {
  std::vector<std::vector<std::int64_t>> ids;
  std::size_t longest = 0;
  std::vector<bool> cut;  ///< per prompt: it lost its beginning
};

// Prompts cut from the left so that the answer keeps max_new_tokens or half the context,
// whichever is less.
result<encoded_prompts> encode_prompts(const model::tokenizer& tok, const eval_dataset& data,
                                       std::int64_t context, std::int64_t max_new_tokens) {
  const auto tmpl = model::template_for(tok);
  const std::int64_t answer_room = std::max<std::int64_t>(1, std::min(max_new_tokens, context / 2));
  const auto keep = static_cast<std::size_t>(std::max<std::int64_t>(context - answer_room, 1));
  encoded_prompts out;
  for (const auto& row : data.problems.rows) {
    bool cut = false;
    auto ids = model::encode_problem_prompt(tok, tmpl, data.arith, row.prompt, keep, &cut);
    out.cut.push_back(cut);
    if (ids.empty()) return fail("problem '" + row.id + "' encodes to no tokens");
    out.longest = std::max(out.longest, ids.size());
    out.ids.push_back(std::move(ids));
  }
  return out;
}

// The engine's settings: the budget lowered to what the context leaves after the longest
// prompt.
result<model::generation_params> generation_settings(const eval_sampling& sampling,
                                                     std::int64_t context, std::size_t longest,
                                                     std::int64_t eos) {
  model::generation_params gp;
  gp.sampling.temperature = sampling.temperature;
  gp.sampling.top_p = sampling.top_p;
  gp.max_new_tokens =
      std::min(sampling.max_new_tokens, context - static_cast<std::int64_t>(longest));
  gp.max_batch = sampling.max_batch;
  gp.eos_token_ids = {eos};
  if (gp.max_new_tokens < 1) {
    return fail("the model's context (" + std::to_string(context) +
                " tokens) leaves no room for an answer");
  }
  if (auto s = model::validate(gp); !s) return s.error();
  return gp;
}

// n requests per problem of `share`, each with its own rollout seed; their problems in
// `problem_ids`.
std::vector<model::generation_request> sample_requests(
    const std::vector<std::vector<std::int64_t>>& prompts, index_range share, std::int64_t n,
    std::uint64_t seed, std::vector<lead::prompt_id>& problem_ids) {
  std::vector<model::generation_request> reqs;
  for (std::size_t i = share.first; i < share.first + share.count; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    for (std::int64_t g = 0; g < n; ++g) {
      reqs.push_back({prompts[i], io::rollout_seed(seed, 0, id, static_cast<std::int32_t>(g))});
      problem_ids.push_back(id);
    }
  }
  return reqs;
}

// Grades every output against its problem's answer into `out`; counts tokens and cuts.
void grade_outputs(const model::tokenizer& tok, const eval_dataset& data,
                   const std::vector<model::generation_output>& gen, bool keep_responses,
                   eval_samples& out, eval_throughput& t) {
  for (std::size_t i = 0; i < gen.size(); ++i) {
    const auto& o = gen[i];
    const std::string text = model::decode_ids(tok, o.tokens, /*drop_eos=*/true);
    const auto& answer = data.problems.rows[static_cast<std::size_t>(out.problem_ids[i])].answer;
    const grading::grade_result g = grading::grade_task_answer(text, answer, data.arith);
    out.correctness.push_back(g.correct ? 1.0 : 0.0);
    out.lengths.push_back(static_cast<double>(std::max<std::size_t>(o.tokens.size(), 1)));
    t.generated_tokens += static_cast<std::int64_t>(o.tokens.size());
    t.truncated += o.reason == model::finish_reason::length ? 1 : 0;
    if (keep_responses) out.responses.push_back(text);
  }
  t.samples = static_cast<std::int64_t>(gen.size());
  out.truncated = static_cast<std::size_t>(t.truncated);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

result<eval_samples> eval_model::evaluate(const eval_dataset& data, const eval_sampling& sampling,
                                          const eval_progress_callback& progress,
                                          std::optional<index_range> share) {
  auto& m = *impl_;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string where = "model '" + m.name + "' on '" + data.name + "'";
  if (data.problems.rows.empty()) return fail(where + ": the dataset has no problems");
  const std::int64_t n =
      data.samples_per_problem > 0 ? data.samples_per_problem : sampling.samples_per_problem;
  if (n < 1) return fail(where + ": samples per problem must be >= 1");
  const std::size_t rows = data.problems.rows.size();
  const index_range mine = share.value_or(index_range{0, rows});
  if (mine.first > rows || mine.count > rows - mine.first) {
    return fail(where + ": problems " + std::to_string(mine.first) + " + " +
                std::to_string(mine.count) + " asked of " + std::to_string(rows));
  }
  const std::int64_t context = m.dec->config().max_position_embeddings;
  auto prompts = encode_prompts(*m.tok, data, context, sampling.max_new_tokens);
  if (!prompts) return prompts.error().with_context(where);
  auto gp = generation_settings(sampling, context, prompts->longest, m.tok->eos_id());
  if (!gp) return gp.error().with_context(where);

  eval_samples out;
  out.model = m.name;
  out.dataset = data.name;
  const auto reqs = sample_requests(prompts->ids, mine, n, sampling.seed, out.problem_ids);
  model::generation_engine engine(m.dec, *gp);
  model::generation_progress_callback on_step;
  if (progress) {
    on_step = [&](const model::generation_progress& g) {
      progress({g.finished, g.total, g.generated_tokens, seconds_since(t0),
                g.total * gp->max_new_tokens});
    };
  }
  auto gen =
      reqs.empty()
          ? result<std::vector<model::generation_output>>(std::vector<model::generation_output>{})
          : engine.generate(reqs, on_step);
  if (!gen) return gen.error().with_context(where);

  eval_throughput t;
  t.max_new_tokens = gp->max_new_tokens;
  const auto cut_begin = prompts->cut.begin() + static_cast<std::ptrdiff_t>(mine.first);
  t.truncated_prompts =
      std::count(cut_begin, cut_begin + static_cast<std::ptrdiff_t>(mine.count), true);
  grade_outputs(*m.tok, data, *gen, sampling.keep_responses, out, t);
  t.seconds = seconds_since(t0);
  m.last = t;
  return out;
}

}  // namespace leadrl::eval
