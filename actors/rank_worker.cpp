#include "actors/rank_worker.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "actors/step_logic.hpp"
#include "grading/arith_grade.hpp"
#include "io/arith_steps.hpp"
#include "io/arith_task.hpp"
#include "io/data_sampler.hpp"
#include "model/char_tokenizer.hpp"
#include "model/chat_template.hpp"
#include "model/checkpoint.hpp"
#include "model/decoder.hpp"
#include "model/device.hpp"
#include "model/generation_engine.hpp"
#include "model/learner_step.hpp"
#include "model/optimizer.hpp"
#include "model/policy_config.hpp"
#include "model/policy_loss.hpp"
#include "model/tensor_types.hpp"
#include "model/tokenizer.hpp"
#include "runtime/gradient_sync.hpp"
#include "runtime/thread_budget.hpp"

namespace leadrl::actors {

namespace {

using clock_type = std::chrono::steady_clock;

// The parameter_checksum a snapshot's counters hold: 2 = runtime::parameter_checksum (the
// device digest); absent = FNV-1a (runtime::parameter_checksum_fnv), before it.
constexpr std::int64_t k_checksum_scheme = 2;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// A world of one process: every collective is the identity.
class local_collectives final : public runtime::collectives {
 public:
  std::string backend() const override { return "local"; }
  status all_reduce_sum(void*, std::size_t, runtime::element_type) override { return {}; }
  status broadcast(void*, std::size_t, runtime::element_type, int) override { return {}; }
  status barrier() override { return {}; }
};

}  // namespace

std::unique_ptr<runtime::collectives> make_local_collectives() {
  return std::make_unique<local_collectives>();
}

result<io::problem_dataset> load_train_problems(const io::train_options& options) {
  if (options.data.task == "jsonl") {
    return io::load_problems(options.data.train_files, io::problem_fields{});
  }
  io::arith_task_options task;
  task.min_difficulty = static_cast<int>(options.data.arith_min_difficulty);
  task.max_difficulty = static_cast<int>(options.data.arith_max_difficulty);
  task.max_digits = static_cast<int>(options.data.arith_max_digits);
  auto problems = io::generate_arith_problems(task, io::arith_split::train, options.trainer.seed, 0,
                                              static_cast<std::size_t>(options.data.train_size));
  if (!problems) return problems.error().with_context("data.task=arith");
  return io::to_problem_dataset(*problems, "arith-train");
}

// One rollout in the rank-local store.
struct stored_rollout {
  std::int64_t prompt_id = 0;
  std::int32_t rollout_idx = 0;
  std::int64_t batch_position = 0;  // the prompt's position in the step's global batch
  std::vector<std::int64_t> prompt;
  std::vector<std::int64_t> response;
  std::vector<float> logprobs;  // behaviour log-probs of `response` (sample_result::logprobs)
  bool truncated = false;
};

// The rollouts of one step in the rank-local store, with what their generation cost.
struct step_rollouts {
  std::vector<stored_rollout> rows;
  std::int64_t policy_version = 0;  // the weights that generated them
  double gen_s = 0, grade_s = 0;
  std::int64_t gen_tokens = 0;
};

struct rank_worker::impl {
  io::train_options options;
  int rank = 0;
  int world_size = 1;
  runtime::collectives* coll = nullptr;
  io::problem_dataset data;                        // the prompts kept (see encode_prompts)
  std::vector<std::vector<std::int64_t>> prompts;  // model input of data.rows[i]
  std::vector<io::arith_problem> arith_problems;   // arith: data.rows[i] read back, for steps
  std::int64_t dropped_prompts = 0;
  std::shared_ptr<const model::tokenizer> tok;
  model::chat_template tmpl = model::chat_template::plain();
  bool arith = true;
  model::decoder policy{nullptr};
  model::decoder reference{nullptr};  // frozen initial policy, only when kl_loss_coef > 0
  std::unique_ptr<model::generation_engine> engine;
  std::unique_ptr<model::policy_optimizer> optimizer;
  model::lr_schedule schedule;
  model::policy_loss_config loss;
  std::vector<torch::Tensor> params;
  // Rollouts by step: the generator adds a step, the verifier grades it and the learner
  // takes it out. With rollout.staleness >= 1 the generator fills step t+1 while the
  // learner trains on step t (different threads), hence the lock; a step's rollouts are
  // written only before they are added.
  std::map<std::int64_t, std::shared_ptr<step_rollouts>> store;
  mutable std::mutex store_mutex;
  std::int64_t policy_version = 0;
  // rollout.staleness >= 1: the generator's own replica and engine, loaded with the weights
  // of each request's policy version from `published`, where the learner leaves a copy of
  // its weights after every update (and of the initial or resumed ones).
  model::decoder gen_policy{nullptr};
  std::unique_ptr<model::generation_engine> gen_engine;
  std::int64_t gen_version = -1;
  std::map<std::int64_t, std::vector<torch::Tensor>> published;
  std::mutex published_mutex;
  double gen_s = 0, grade_s = 0, train_s = 0;
  std::int64_t gen_tokens = 0;
  // Over the whole run, resumed attempts included (/ranks/<r> of a snapshot).
  double total_gen_s = 0, total_grade_s = 0, total_train_s = 0;
  std::int64_t total_gen_tokens = 0;
  // Test-only (LEADRL_INJECT_NONFINITE): steps at which this rank poisons its gradients.
  std::vector<std::int64_t> poisoned_steps;

  status build_model();
  status encode_prompts();
  std::shared_ptr<step_rollouts> rollouts_of(std::int64_t step) const;
  // rollout.staleness >= 1: a copy of the policy's weights as version `policy_version`.
  void publish_weights();
  // rollout.staleness >= 1: the generator's replica set to the published `version` (older
  // copies are dropped: requests come in step order). Fails when it was not published.
  status load_generation_weights(std::int64_t version);
  void dump_rollouts(const scored_rollouts& s, const step_rollouts& step,
                     const std::vector<std::string>& texts) const;
  // Rank 0: the line saying update `update` of `updates` of `step` was skipped, naming
  // the ranks that flagged non-finite values (none: only their mean was not finite).
  void report_skipped_update(std::int64_t step, std::int64_t update, std::int64_t updates,
                             const std::vector<int>& ranks) const;
  // Rows `rows` of `store` as one right-padded micro-batch; with `behaviour` the recorded
  // log-probs of the responses as its old log-probs.
  result<model::learner_micro_batch> micro_batch(const std::vector<stored_rollout>& store,
                                                 const std::vector<std::size_t>& rows,
                                                 const std::vector<double>& advantages,
                                                 bool behaviour);
};

status rank_worker::impl::build_model() {
  const auto& m = options.model;
  auto placement = model::placement(m.device, m.dtype);
  if (!placement) return placement.error();
  if (m.path.empty()) {
    tok = std::make_shared<model::char_tokenizer>();
    auto c = model::random_policy_config(options);
    if (!c) return c.error();
    // Every rank seeds the same generator, so the replicas start identical (initialised
    // on the CPU in float32, then moved: the same weights whatever the placement).
    torch::manual_seed(m.init_seed);
    policy = model::decoder(*c, *placement);
  } else {
    auto dec = model::load_decoder(m.path, *placement);
    if (!dec) return dec.error().with_context("model.path");
    policy = *dec;
    // A character-level checkpoint (e.g. from `leadrl sft`) carries its vocabulary as a
    // WordLevel tokenizer.json; template_for() keeps the plain prompt format for it.
    auto t = model::load_tokenizer(m.path);
    if (!t) return t.error().with_context("model.path tokenizer");
    tok = *t;
  }
  tmpl = model::template_for(*tok);
  if (options.actor.kl_loss_coef > 0) {
    reference = model::decoder(policy->config(), policy->options());
    torch::NoGradGuard ng;
    auto src = policy->named_parameters();
    for (auto& p : reference->named_parameters()) p.value().copy_(src[p.key()]);
    for (auto& p : reference->parameters()) p.set_requires_grad(false);
  }
  model::generation_params gp;
  gp.sampling.temperature = options.rollout.temperature;
  gp.sampling.top_p = options.rollout.top_p;
  gp.sampling.top_k = options.rollout.top_k;
  gp.max_new_tokens = options.data.max_response_length;
  gp.max_batch = options.rollout.max_batch;
  gp.eos_token_ids = {tok->eos_id()};
  if (auto s = model::validate(gp); !s) return s.error().with_context("rollout");
  engine = std::make_unique<model::generation_engine>(policy, gp);
  if (options.rollout.staleness > 0) {
    gen_policy = model::decoder(policy->config(), policy->options());
    for (auto& p : gen_policy->parameters()) p.set_requires_grad(false);
    gen_engine = std::make_unique<model::generation_engine>(gen_policy, gp);
  }

  model::optimizer_config oc;
  oc.lr = options.actor.lr;
  oc.weight_decay = options.actor.weight_decay;
  auto opt = model::policy_optimizer::create(policy->named_parameters(), oc);
  if (!opt) return opt.error().with_context("actor");
  optimizer = std::move(*opt);
  params = optimizer->parameters();
  schedule.base_lr = options.actor.lr;
  schedule.warmup_steps = options.actor.warmup;
  auto kind = model::parse_lr_schedule_kind(options.actor.lr_schedule);
  if (!kind) return kind.error().with_context("actor.lr_schedule");
  schedule.kind = *kind;
  const std::int64_t opt_steps_per_step =
      options.actor.ppo_epochs *
      (options.data.train_batch_size / options.actor.ppo_mini_batch_size);
  schedule.total_steps = options.trainer.total_steps * opt_steps_per_step;
  if (auto s = model::validate(schedule); !s) return s.error().with_context("actor");

  loss.clip_low = options.actor.clip_ratio_low;
  loss.clip_high = options.actor.clip_ratio_high;
  loss.entropy_coeff = options.actor.entropy_coeff;
  loss.kl_coef = options.actor.kl_loss_coef;
  auto kl = model::parse_kl_estimator(options.actor.kl_loss_type);
  if (!kl) return kl.error().with_context("actor.kl_loss_type");
  loss.kl_type = *kl;
  auto agg = model::parse_loss_aggregation(options.actor.loss_agg_mode);
  if (!agg) return agg.error().with_context("actor.loss_agg_mode");
  loss.aggregation = *agg;
  return model::validate(loss);
}

// Every prompt is encoded once; those longer than data.max_prompt_length are dropped
// (never cut, as verl's filter_overlong_prompts does) and the rest renumbered, so prompt
// ids are positions among the kept prompts on every rank alike.
status rank_worker::impl::encode_prompts() {
  const auto limit = static_cast<std::size_t>(options.data.max_prompt_length);
  std::vector<io::problem> kept;
  for (auto& row : data.rows) {
    bool cut = false;
    auto ids = model::encode_problem_prompt(*tok, tmpl, arith, row.prompt, limit, &cut);
    if (cut) {
      ++dropped_prompts;
      continue;
    }
    if (arith) {
      auto problem = io::parse_arith_prompt(row.prompt);
      if (!problem) return problem.error().with_context("data: training prompt " + row.id);
      arith_problems.push_back(std::move(*problem));
    }
    row.prompt_id = static_cast<std::int64_t>(kept.size());
    kept.push_back(std::move(row));
    prompts.push_back(std::move(ids));
  }
  data.rows = std::move(kept);
  if (static_cast<std::int64_t>(data.rows.size()) < options.data.train_batch_size) {
    return fail("data: " + std::to_string(data.rows.size()) + " training prompts of at most " +
                "data.max_prompt_length = " + std::to_string(limit) + " tokens (" +
                std::to_string(dropped_prompts) + " longer ones dropped), fewer than " +
                "data.train_batch_size = " + std::to_string(options.data.train_batch_size));
  }
  return {};
}

std::shared_ptr<step_rollouts> rank_worker::impl::rollouts_of(std::int64_t step) const {
  std::lock_guard<std::mutex> lock(store_mutex);
  const auto it = store.find(step);
  return it == store.end() ? nullptr : it->second;
}

void rank_worker::impl::publish_weights() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> copy;
  for (const auto& p : policy->parameters()) copy.push_back(p.detach().clone());
  std::lock_guard<std::mutex> lock(published_mutex);
  published[policy_version] = std::move(copy);
}

status rank_worker::impl::load_generation_weights(std::int64_t version) {
  if (gen_version == version) return {};
  std::vector<torch::Tensor> weights;
  {
    std::lock_guard<std::mutex> lock(published_mutex);
    const auto it = published.find(version);
    if (it == published.end()) {
      return fail("the weights of policy version " + std::to_string(version) +
                  " were not published by the learner (it has " + std::to_string(policy_version) +
                  ")");
    }
    weights = it->second;
    published.erase(published.begin(), it);
  }
  torch::NoGradGuard no_grad;
  auto target = gen_policy->parameters();
  if (target.size() != weights.size()) {
    return fail("generation replica: " + std::to_string(target.size()) + " parameters, " +
                std::to_string(weights.size()) + " published");
  }
  for (std::size_t i = 0; i < target.size(); ++i) target[i].copy_(weights[i]);
  gen_version = version;
  return {};
}

rank_worker::rank_worker(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
rank_worker::~rank_worker() = default;

result<std::unique_ptr<rank_worker>> rank_worker::create(const io::train_options& options, int rank,
                                                         int world_size,
                                                         runtime::collectives& coll) {
  auto p = std::make_unique<impl>();
  p->options = options;
  p->rank = rank;
  p->world_size = world_size;
  p->coll = &coll;
  p->arith = options.data.task == "arith";
  auto data = load_train_problems(options);
  if (!data) return data.error();
  p->data = std::move(*data);
  if (auto s = p->build_model(); !s) return s.error();
  if (auto s = p->encode_prompts(); !s) return s.error();
  // Test-only fault injection, never set in real runs (actors/step_logic.hpp).
  if (const char* inject = std::getenv("LEADRL_INJECT_NONFINITE")) {
    auto points = parse_nonfinite_injection(inject);
    if (!points) return points.error();
    for (const auto& x : *points) {
      if (x.rank == rank) p->poisoned_steps.push_back(x.step);
    }
  }
  if (options.rollout.staleness > 0) p->publish_weights();
  return std::unique_ptr<rank_worker>(new rank_worker(std::move(p)));
}

std::int64_t rank_worker::num_prompts() const {
  return static_cast<std::int64_t>(impl_->data.rows.size());
}

std::vector<int> rank_worker::prompt_levels() const {
  std::vector<int> levels;
  if (!impl_->arith) return levels;
  for (const auto& row : impl_->data.rows) levels.push_back(row.difficulty);
  return levels;
}

std::int64_t rank_worker::dropped_prompts() const {
  return impl_->dropped_prompts;
}

status rank_worker::generate(const generate_request& request) {
  auto& w = *impl_;
  const auto t0 = clock_type::now();
  runtime::use_intra_op_budget();  // this thread's share of the CPUs
  model::generation_engine* engine = w.engine.get();
  if (w.options.rollout.staleness > 0) {
    if (auto s = w.load_generation_weights(request.policy_version); !s) {
      return s.error().with_context("generator, step " + std::to_string(request.step));
    }
    engine = w.gen_engine.get();
  }
  auto step = std::make_shared<step_rollouts>();
  step->policy_version = request.policy_version;
  auto& rows = step->rows;
  const auto shard_begin = shard_range(w.options.data.train_batch_size, w.world_size, w.rank).first;
  std::vector<model::generation_request> reqs;
  for (std::size_t j = 0; j < request.prompt_ids.size(); ++j) {
    const auto id = request.prompt_ids[j];
    if (id < 0 || id >= static_cast<std::int64_t>(w.data.rows.size())) {
      return fail("generate_request: prompt id " + std::to_string(id) + " outside [0, " +
                  std::to_string(w.data.rows.size()) + ")");
    }
    const auto& ids = w.prompts[static_cast<std::size_t>(id)];
    for (std::int32_t g = 0; g < request.group_size; ++g) {
      stored_rollout r;
      r.prompt_id = id;
      r.rollout_idx = g;
      r.batch_position = shard_begin + static_cast<std::int64_t>(j);
      r.prompt = ids;
      rows.push_back(std::move(r));
      reqs.push_back({ids, io::rollout_seed(w.options.trainer.seed, request.step, id, g)});
    }
  }
  auto out = engine->generate(reqs);
  if (!out) return out.error().with_context("generator, step " + std::to_string(request.step));
  for (std::size_t i = 0; i < out->size(); ++i) {
    rows[i].response = std::move((*out)[i].tokens);
    rows[i].logprobs = std::move((*out)[i].logprobs);
    rows[i].truncated = (*out)[i].reason == model::finish_reason::length;
    step->gen_tokens += static_cast<std::int64_t>(rows[i].response.size());
  }
  step->gen_s = seconds_since(t0);
  std::lock_guard<std::mutex> lock(w.store_mutex);
  w.gen_s = step->gen_s;
  w.gen_tokens = step->gen_tokens;
  w.total_gen_s += step->gen_s;
  w.total_gen_tokens += step->gen_tokens;
  w.store[request.step] = std::move(step);
  return {};
}

// trainer.rollout_data_dir: this rank's rollouts of the step as JSON lines. The dump is for
// inspection, so a failed write is reported and training goes on.
void rank_worker::impl::dump_rollouts(const scored_rollouts& s, const step_rollouts& step,
                                      const std::vector<std::string>& texts) const {
  namespace fs = std::filesystem;
  const fs::path dir = options.trainer.rollout_data_dir;
  char name[64];
  std::snprintf(name, sizeof name, "step_%06lld.rank%d.jsonl", static_cast<long long>(s.step),
                rank);
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  for (std::size_t i = 0; i < step.rows.size() && out; ++i) {
    const auto& r = step.rows[i];
    const auto& row = data.rows[static_cast<std::size_t>(r.prompt_id)];
    nlohmann::json j;
    j["step"] = s.step;
    j["prompt_id"] = r.prompt_id;
    j["rollout"] = r.rollout_idx;
    j["id"] = row.id;
    j["prompt"] = model::decode_ids(*tok, r.prompt, /*drop_eos=*/false);
    j["prompt_ids"] = r.prompt;
    j["response"] = texts[i];
    j["reference"] = row.answer;
    j["correct"] = s.correctness[i] > 0.5;
    j["format"] = s.format[i];
    j["length"] = s.lengths[i];
    j["truncated"] = r.truncated;
    j["policy_version"] = step.policy_version;
    // Sampled text need not be valid UTF-8: bad bytes become U+FFFD in the dump.
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  out.flush();
  if (!out) {
    std::cerr << "rank " << rank << ": trainer.rollout_data_dir: cannot write "
              << (dir / name).string() << "; training goes on" << std::endl;
  }
}

scored_rollouts rank_worker::grade(std::int64_t step) const {
  auto& w = *impl_;
  const auto t0 = clock_type::now();
  scored_rollouts s;
  s.step = step;
  s.rank = w.rank;
  std::vector<std::string> texts;
  const auto step_rows = w.rollouts_of(step);
  if (!step_rows) return s;  // nothing generated for this step: the controller's batch is short
  for (const auto& r : step_rows->rows) {
    const std::string text = model::decode_ids(*w.tok, r.response, /*drop_eos=*/true);
    const auto& answer = w.data.rows[static_cast<std::size_t>(r.prompt_id)].answer;
    const grading::grade_result g = grading::grade_task_answer(text, answer, w.arith);
    s.prompt_ids.push_back(r.prompt_id);
    s.rollout_idx.push_back(r.rollout_idx);
    s.lengths.push_back(static_cast<double>(std::max<std::size_t>(r.response.size(), 1)));
    s.correctness.push_back(g.correct ? 1.0 : 0.0);
    s.format.push_back(g.format);
    s.truncated.push_back(r.truncated ? 1 : 0);
    if (w.arith) {
      const auto& problem = w.arith_problems[static_cast<std::size_t>(r.prompt_id)];
      s.skipped.push_back(io::classify_arith_steps(text, problem).skipped() ? 1 : 0);
    }
    if (!w.options.trainer.rollout_data_dir.empty()) texts.push_back(text);
  }
  if (!w.options.trainer.rollout_data_dir.empty()) w.dump_rollouts(s, *step_rows, texts);
  step_rows->grade_s = seconds_since(t0);
  std::lock_guard<std::mutex> lock(w.store_mutex);
  w.grade_s = step_rows->grade_s;
  w.total_grade_s += w.grade_s;
  return s;
}

namespace {

// Test-only (LEADRL_INJECT_NONFINITE): a NaN in the first gradient entry of this rank.
void poison_gradients(const std::vector<torch::Tensor>& params) {
  if (params.empty() || params.front().numel() == 0) return;
  torch::NoGradGuard no_grad;
  auto& p = const_cast<torch::Tensor&>(params.front());
  if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
  p.mutable_grad().view({-1})[0].fill_(std::nan(""));
}

}  // namespace

void rank_worker::impl::report_skipped_update(std::int64_t step, std::int64_t update,
                                              std::int64_t updates,
                                              const std::vector<int>& ranks) const {
  if (rank != 0) return;  // every rank knows the same; rank 0 says it once
  std::string who;
  for (int r : ranks) who += (who.empty() ? "" : ",") + std::to_string(r);
  std::cerr << "leadrl train: step " << step << ", update " << update << "/" << updates << ": "
            << (ranks.empty()
                    ? std::string("the all-reduced gradient norm is not finite (each rank's "
                                  "own gradients were)")
                    : "non-finite loss or gradient on rank(s) " + who)
            << "; update skipped on every rank" << std::endl;
}

// Right-padded [B, T] prompt+response rows; loss on the response tokens (shifted layout).
result<model::learner_micro_batch> rank_worker::impl::micro_batch(
    const std::vector<stored_rollout>& store, const std::vector<std::size_t>& rows,
    const std::vector<double>& advantages, bool behaviour) {
  std::int64_t T = 2;
  for (auto i : rows) {
    T = std::max<std::int64_t>(
        T, static_cast<std::int64_t>(store[i].prompt.size() + store[i].response.size()));
  }
  const auto B = static_cast<std::int64_t>(rows.size());
  auto ids = torch::full({B, T}, static_cast<std::int64_t>(tok->pad_id()), torch::kInt64);
  auto mask = torch::zeros({B, T}, torch::kInt64);
  auto resp = torch::zeros({B, T - 1}, torch::kFloat32);
  auto adv = torch::zeros({B}, torch::kFloat32);
  auto ia = ids.accessor<std::int64_t, 2>();
  auto ma = mask.accessor<std::int64_t, 2>();
  auto ra = resp.accessor<float, 2>();
  auto old = behaviour ? torch::zeros({B, T - 1}, torch::kFloat32) : torch::Tensor();
  float* old_data = behaviour ? old.data_ptr<float>() : nullptr;  // contiguous [B, T-1]
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& r = store[rows[static_cast<std::size_t>(b)]];
    if (behaviour && r.logprobs.size() != r.response.size()) {
      return fail("rollout of prompt " + std::to_string(r.prompt_id) + ": " +
                  std::to_string(r.logprobs.size()) + " behaviour log-probs for " +
                  std::to_string(r.response.size()) + " response tokens");
    }
    std::int64_t t = 0;
    for (auto x : r.prompt) ia[b][t] = x, ma[b][t] = 1, ++t;
    for (std::size_t j = 0; j < r.response.size(); ++j) {
      ia[b][t] = r.response[j];
      ma[b][t] = 1;
      ra[b][t - 1] = 1.0f;  // entry t-1 predicts token t
      if (old_data) old_data[b * (T - 1) + t - 1] = r.logprobs[j];
      ++t;
    }
    adv[b] = static_cast<float>(advantages[rows[static_cast<std::size_t>(b)]]);
  }
  // Filled on the host, then moved in one copy each to where the policy computes.
  const torch::Device dev = policy->options().device;
  model::learner_micro_batch mb;
  mb.input_ids = ids.to(dev);
  mb.attention_mask = mask.to(dev);
  mb.response_mask = resp.to(dev);
  mb.advantages = adv.to(dev);
  if (old.defined()) mb.old_log_probs = old.to(dev);
  return mb;
}

result<trained> rank_worker::train(const step_plan& plan, bool with_checksum) {
  auto& w = *impl_;
  const auto t0 = clock_type::now();
  runtime::use_intra_op_budget();  // this thread's share of the CPUs
  const auto step_rows = w.rollouts_of(plan.step);
  if (!step_rows) {
    return fail("step_plan: step " + std::to_string(plan.step) +
                ", but the store holds no rollouts of that step");
  }
  const auto& store = step_rows->rows;
  if (plan.advantages.size() != store.size()) {
    return fail("step_plan: " + std::to_string(plan.advantages.size()) + " advantages for " +
                std::to_string(store.size()) + " stored rollouts");
  }
  // Synchronous steps take the old log-probs from a forward pass of the weights that
  // generated the rollouts (the same weights); overlapped ones (rollout.staleness >= 1)
  // the behaviour log-probs the generator recorded, since the weights have moved on.
  const bool behaviour = w.options.rollout.staleness > 0;
  const std::int64_t staleness = w.policy_version - step_rows->policy_version;
  const auto& a = w.options.actor;
  const std::int64_t num_mb = w.options.data.train_batch_size / a.ppo_mini_batch_size;
  const double temperature = w.options.rollout.temperature;

  // Rows of each global mini-batch held here, and the mini-batch's global denominators
  // (one all-reduce), so the loss does not depend on how prompts are spread over ranks.
  std::vector<std::vector<std::size_t>> mb_rows(static_cast<std::size_t>(num_mb));
  std::vector<double> counts(static_cast<std::size_t>(2 * num_mb), 0.0);
  for (std::size_t i = 0; i < store.size(); ++i) {
    const auto k = minibatch_of(store[i].batch_position, a.ppo_mini_batch_size);
    mb_rows[static_cast<std::size_t>(k)].push_back(i);
    counts[static_cast<std::size_t>(2 * k)] += static_cast<double>(store[i].response.size());
    counts[static_cast<std::size_t>(2 * k + 1)] += store[i].response.empty() ? 0.0 : 1.0;
  }
  if (auto s = w.coll->all_reduce_sum(counts.data(), counts.size(), runtime::element_type::f64);
      !s) {
    return s.error().with_context("learner: denominators");
  }

  // Old (and reference) log-probs of every local micro-batch before any update.
  struct prepared {
    model::learner_micro_batch batch;
    std::int64_t minibatch;
  };
  std::vector<prepared> micro;
  std::vector<std::int64_t> lengths(store.size());
  for (std::size_t i = 0; i < store.size(); ++i) {
    lengths[i] = static_cast<std::int64_t>(store[i].prompt.size() + store[i].response.size());
  }
  for (std::int64_t k = 0; k < num_mb; ++k) {
    for (const auto& chunk :
         cut_micro_batches(mb_rows[static_cast<std::size_t>(k)], lengths, a.ppo_micro_batch_size,
                           a.use_dynamic_bsz, a.ppo_max_token_len_per_gpu)) {
      auto mb = w.micro_batch(store, chunk, plan.advantages, behaviour);
      if (!mb) return mb.error().with_context("learner, step " + std::to_string(plan.step));
      if (!behaviour) {
        auto old = model::compute_log_probs(*w.policy, mb->input_ids, mb->attention_mask,
                                            temperature, mb->response_mask);
        if (!old) return old.error().with_context("learner: old log-probs");
        mb->old_log_probs = *old;
      }
      if (w.reference) {
        auto ref = model::compute_log_probs(*w.reference, mb->input_ids, mb->attention_mask,
                                            temperature, mb->response_mask);
        if (!ref) return ref.error().with_context("learner: reference log-probs");
        mb->ref_log_probs = *ref;
      }
      micro.push_back({std::move(*mb), k});
    }
  }

  model::policy_loss_metrics sum;
  double grad_norm = 0, lr = 0;
  std::int64_t opt_steps = 0, applied = 0;
  const double ws = static_cast<double>(w.world_size);
  const bool poison = std::find(w.poisoned_steps.begin(), w.poisoned_steps.end(), plan.step) !=
                      w.poisoned_steps.end();
  for (std::int64_t epoch = 0; epoch < a.ppo_epochs; ++epoch) {
    for (std::int64_t k = 0; k < num_mb; ++k) {
      // all_reduce_gradients averages over ranks: each rank's share is scaled by the world
      // size so that the mean is the mini-batch's loss gradient.
      model::loss_denominator den;
      den.tokens = counts[static_cast<std::size_t>(2 * k)] / ws;
      den.sequences = counts[static_cast<std::size_t>(2 * k + 1)] / ws;
      w.optimizer->zero_grad();
      model::policy_loss_metrics update;
      bool loss_nonfinite = false;
      for (const auto& p : micro) {
        if (p.minibatch != k) continue;
        auto m = model::accumulate_gradients(*w.policy, p.batch, w.loss, den, temperature);
        if (!m) return m.error().with_context("learner, step " + std::to_string(plan.step));
        m->tokens = 0;
        loss_nonfinite = loss_nonfinite || !std::isfinite(m->total_loss);
        update += *m;
      }
      if (poison) poison_gradients(w.params);
      // A non-finite loss or gradient on any rank skips this update on every rank: the
      // flags ride in the gradient all-reduce, so all ranks decide alike with no extra
      // collective. Parameters, AdamW moments, the optimizer step and so the lr schedule
      // position stay as they were.
      ++opt_steps;
      auto flagged = runtime::all_reduce_gradients_checked(
          *w.coll, w.params, w.rank, w.world_size, loss_nonfinite, runtime::default_bucket_bytes,
          runtime::gradient_bucket_type(w.options.runtime.grad_reduce_dtype));
      if (!flagged) return flagged.error().with_context("learner: gradient all-reduce");
      if (!flagged->empty()) {
        w.optimizer->zero_grad();
        w.report_skipped_update(plan.step, opt_steps, a.ppo_epochs * num_mb, *flagged);
        continue;
      }
      auto rep = model::apply_optimizer_step(*w.optimizer, w.schedule, a.grad_clip);
      if (!rep.applied) {  // finite on every rank, but not their mean (overflow)
        w.report_skipped_update(plan.step, opt_steps, a.ppo_epochs * num_mb, {});
        continue;
      }
      sum += update;
      grad_norm += rep.grad_norm;
      lr = rep.lr;
      ++applied;
    }
  }
  // The policy version counts learner steps, skipped updates included, so it stays the
  // step number on every rank and in snapshots; a step whose updates were all skipped
  // leaves version v's weights equal to version v-1's.
  ++w.policy_version;
  if (behaviour) w.publish_weights();
  {
    std::lock_guard<std::mutex> lock(w.store_mutex);
    w.store.erase(plan.step);
  }
  trained t;
  t.step = plan.step;
  t.rank = w.rank;
  t.policy_version = w.policy_version;
  if (with_checksum) t.parameter_checksum = runtime::parameter_checksum(w.params);
  // Means over the applied updates; a step with none applied has no loss (NaN, null in
  // the metrics log).
  const double n = applied > 0 ? static_cast<double>(applied) : std::nan("");
  // Shares of the mini-batch losses: they add up over ranks (shared denominators, scaled
  // by 1/world_size above, hence the factor back).
  t.metrics["actor/pg_loss"] = sum.pg_loss / n / ws;
  t.metrics["actor/pg_clipfrac"] = sum.pg_clipfrac / n / ws;
  t.metrics["actor/ppo_kl"] = sum.ppo_kl / n / ws;
  t.metrics["actor/entropy"] = sum.entropy / n / ws;
  t.metrics["actor/kl_loss"] = sum.kl_loss / n / ws;
  t.metrics["actor/total_loss"] = sum.total_loss / n / ws;
  t.metrics["optim/grad_norm"] = grad_norm / n;
  t.metrics["optim/lr"] =
      applied > 0 ? lr : model::learning_rate(w.schedule, w.optimizer->steps_taken());
  t.metrics["optim/steps"] = static_cast<double>(opt_steps);
  t.metrics["optim/skipped"] = static_cast<double>(opt_steps - applied);
  w.train_s = seconds_since(t0);
  w.total_train_s += w.train_s;
  t.metrics["timing/gen"] = step_rows->gen_s;
  t.metrics["timing/grade"] = step_rows->grade_s;
  t.metrics["timing/train"] = w.train_s;
  t.metrics["actor/generated_tokens"] = static_cast<double>(step_rows->gen_tokens);
  // Updates between the generating weights and those the update started from.
  t.metrics["rollout/staleness"] = static_cast<double>(staleness);
  return t;
}

namespace {

// A host copy of `t` with its dtype and shape.
result<io::tensor_blob> to_blob(const torch::Tensor& t, const std::string& name) {
  auto type = model::io_dtype(t.scalar_type());
  if (!type) return type.error().with_context(name);
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  io::tensor_blob b;
  b.type = *type;
  b.shape = c.sizes().vec();
  b.bytes.resize(c.nbytes());
  if (!b.bytes.empty()) std::memcpy(b.bytes.data(), c.data_ptr(), b.bytes.size());
  return b;
}

// A blob of `t`'s dtype and shape whose bytes a reader fills.
result<io::tensor_blob> blob_like(const torch::Tensor& t, const std::string& name) {
  auto type = model::io_dtype(t.scalar_type());
  if (!type) return type.error().with_context(name);
  io::tensor_blob b;
  b.type = *type;
  b.shape = t.sizes().vec();
  b.bytes.resize(static_cast<std::size_t>(t.numel()) * t.element_size());
  return b;
}

// A tensor viewing the blob's bytes (valid while the blob lives).
torch::Tensor view_of(io::tensor_blob& b) {
  return torch::from_blob(b.bytes.data(), b.shape,
                          torch::TensorOptions().dtype(model::torch_dtype(b.type)));
}

}  // namespace

result<io::learner_state> rank_worker::export_learner_state() const {
  const auto& w = *impl_;
  io::learner_state l;
  const auto& names = w.optimizer->names();
  // The master weights: float32 for a bfloat16 policy, so that a resume is exact.
  const auto& masters = w.optimizer->master_parameters();
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto b = to_blob(masters[i], names[i]);
    if (!b) return b.error();
    l.params.emplace(names[i], std::move(*b));
  }
  const std::int64_t steps = w.optimizer->steps_taken();
  for (auto& [name, state] : w.optimizer->export_state()) {
    if (state.step != steps) {
      return fail("optimizer state '" + name + "': " + std::to_string(state.step) +
                  " updates, the optimizer took " + std::to_string(steps) +
                  " steps; a snapshot stores one step count");
    }
    auto m = to_blob(state.exp_avg, name + " exp_avg");
    if (!m) return m.error();
    auto v = to_blob(state.exp_avg_sq, name + " exp_avg_sq");
    if (!v) return v.error();
    l.optimizer.emplace(name, io::adam_moments{std::move(*m), std::move(*v)});
  }
  l.optimizer_step = steps;
  l.lr_schedule_position = steps;
  return l;
}

status rank_worker::import_learner_state(const io::hdf5_file& file, std::int64_t policy_version) {
  auto& w = *impl_;
  const auto& names = w.optimizer->names();
  const auto& masters = w.optimizer->master_parameters();
  std::map<std::string, std::size_t> index;
  io::learner_state l;
  for (std::size_t i = 0; i < names.size(); ++i) {
    index.emplace(names[i], i);
    auto b = blob_like(masters[i], names[i]);
    if (!b) return b.error();
    l.params.emplace(names[i], std::move(*b));
  }
  // Parameters never updated have no optimizer state; take the file's names (each must be
  // a parameter of this replica).
  auto stored = file.list_children("/learner/optimizer");
  if (!stored) return stored.error();
  for (const std::string& name : *stored) {
    const auto it = index.find(name);
    if (it == index.end()) {
      return fail(file.path() + ": optimizer state of '" + name +
                  "', which is not a parameter of this model");
    }
    auto m = blob_like(masters[it->second], name);
    if (!m) return m.error();
    l.optimizer.emplace(name, io::adam_moments{*m, *m});
  }
  if (auto s = io::read_learner_state_into(file, l); !s) return s;
  if (l.lr_schedule_position != l.optimizer_step) {
    return fail(file.path() + ": lr_schedule_position " + std::to_string(l.lr_schedule_position) +
                " differs from optimizer_step " + std::to_string(l.optimizer_step) +
                "; this trainer's schedule follows the optimizer step");
  }
  model::named_optimizer_state opt;
  for (auto& [name, moments] : l.optimizer) {
    model::adamw_param_state e;
    e.step = l.optimizer_step;
    e.exp_avg = view_of(moments.exp_avg).clone();
    e.exp_avg_sq = view_of(moments.exp_avg_sq).clone();
    opt.emplace(name, std::move(e));
  }
  if (auto s = w.optimizer->import_state(opt, l.optimizer_step); !s) {
    return s.error().with_context(file.path());
  }
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, blob] : l.params) masters[index.at(name)].copy_(view_of(blob));
    w.optimizer->copy_masters_to_parameters();
  }
  w.policy_version = policy_version;
  if (w.options.rollout.staleness > 0) {
    {
      std::lock_guard<std::mutex> lock(w.published_mutex);
      w.published.clear();
    }
    w.gen_version = -1;
    w.publish_weights();
  }
  return status::success();
}

io::rank_state rank_worker::rank_counters() const {
  const auto& w = *impl_;
  io::rank_state r;
  r.int64_counters["policy_version"] = w.policy_version;
  r.int64_counters["optimizer_step"] = w.optimizer->steps_taken();
  r.int64_counters["parameter_checksum"] =
      static_cast<std::int64_t>(runtime::parameter_checksum(w.params));
  r.int64_counters["parameter_checksum_scheme"] = k_checksum_scheme;
  std::lock_guard<std::mutex> lock(w.store_mutex);  // the generator's and verifier's totals
  r.int64_counters["generated_tokens"] = w.total_gen_tokens;
  r.double_counters["generate_s"] = w.total_gen_s;
  r.double_counters["grade_s"] = w.total_grade_s;
  r.double_counters["train_s"] = w.total_train_s;
  return r;
}

status rank_worker::restore_rank_counters(const io::rank_state& state) {
  auto& w = *impl_;
  auto int64 = [&](const char* name) -> result<std::int64_t> {
    const auto it = state.int64_counters.find(name);
    if (it == state.int64_counters.end()) {
      return fail("rank " + std::to_string(w.rank) + " counters: '" + name + "' is missing");
    }
    return it->second;
  };
  auto real = [&](const char* name) -> result<double> {
    const auto it = state.double_counters.find(name);
    if (it == state.double_counters.end()) {
      return fail("rank " + std::to_string(w.rank) + " counters: '" + name + "' is missing");
    }
    return it->second;
  };
  // Snapshots without a scheme predate the device digest: their checksum is FNV-1a.
  const auto scheme = state.int64_counters.find("parameter_checksum_scheme");
  if (scheme != state.int64_counters.end() && scheme->second != k_checksum_scheme) {
    return fail("rank " + std::to_string(w.rank) + " counters: parameter_checksum_scheme " +
                std::to_string(scheme->second) + " is not one this leadrl knows (expected " +
                std::to_string(k_checksum_scheme) + ", or none for an older snapshot)");
  }
  const std::uint64_t checksum = scheme == state.int64_counters.end()
                                     ? runtime::parameter_checksum_fnv(w.params)
                                     : runtime::parameter_checksum(w.params);
  const std::pair<const char*, std::int64_t> expected[] = {
      {"policy_version", w.policy_version},
      {"optimizer_step", w.optimizer->steps_taken()},
      {"parameter_checksum", static_cast<std::int64_t>(checksum)}};
  for (const auto& [name, value] : expected) {
    auto stored = int64(name);
    if (!stored) return stored.error();
    if (*stored != value) {
      return fail("rank " + std::to_string(w.rank) + ": " + name + " after loading is " +
                  std::to_string(value) + ", the snapshot recorded " + std::to_string(*stored));
    }
  }
  auto tokens = int64("generated_tokens");
  if (!tokens) return tokens.error();
  auto gen = real("generate_s");
  if (!gen) return gen.error();
  auto grade = real("grade_s");
  if (!grade) return grade.error();
  auto train = real("train_s");
  if (!train) return train.error();
  w.total_gen_tokens = *tokens;
  w.total_gen_s = *gen;
  w.total_grade_s = *grade;
  w.total_train_s = *train;
  return status::success();
}

std::int64_t rank_worker::policy_version() const {
  return impl_->policy_version;
}

std::uint64_t rank_worker::parameter_checksum() const {
  return runtime::parameter_checksum(impl_->params);
}

std::vector<float> rank_worker::flat_parameters() const {
  std::vector<float> out;
  for (const auto& p : impl_->params) {
    // On the host before reading data_ptr: the policy may live on a GPU.
    auto c = p.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

double rank_worker::last_generate_s() const {
  return impl_->gen_s;
}
double rank_worker::last_grade_s() const {
  return impl_->grade_s;
}
double rank_worker::last_train_s() const {
  return impl_->train_s;
}
std::int64_t rank_worker::last_generated_tokens() const {
  return impl_->gen_tokens;
}

}  // namespace leadrl::actors
