#include "model/random_model.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/checkpoint.hpp"
#include "model/decoder.hpp"
#include "model/tokenizer.hpp"

namespace leadrl::model {
namespace {

namespace fs = std::filesystem;

struct preset {
  const char* name;
  random_model_spec spec;
};

random_model_spec shape(const char* arch, std::int64_t hidden, std::int64_t layers,
                        std::int64_t heads, std::int64_t kv_heads, std::int64_t intermediate,
                        std::int64_t vocab, double rope_theta, bool tied,
                        std::int64_t max_positions) {
  random_model_spec s;
  s.arch = arch;
  s.hidden_size = hidden;
  s.num_layers = layers;
  s.num_heads = heads;
  s.num_kv_heads = kv_heads;
  s.intermediate_size = intermediate;
  s.vocab_size = vocab;
  s.rope_theta = rope_theta;
  s.tie_word_embeddings = tied;
  s.max_position_embeddings = max_positions;
  return s;
}

// The sizes of each model's published config.json.
const std::vector<preset>& presets() {
  static const std::vector<preset> p{
      {"R1-Distill-Qwen-1.5B",
       shape("qwen2", 1536, 28, 12, 2, 8960, 151936, 10000.0, false, 131072)},
      {"R1-Distill-Qwen-7B",
       shape("qwen2", 3584, 28, 28, 4, 18944, 152064, 10000.0, false, 131072)},
      {"Qwen2.5-0.5B", shape("qwen2", 896, 24, 14, 2, 4864, 151936, 1000000.0, true, 32768)},
      {"Qwen2.5-1.5B", shape("qwen2", 1536, 28, 12, 2, 8960, 151936, 1000000.0, true, 131072)},
  };
  return p;
}

status at_least_one(const char* field, std::int64_t v) {
  if (v < 1)
    return fail(std::string(field) + ": expected an integer >= 1, got " + std::to_string(v));
  return status::success();
}

status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return fail(path.string() + ": cannot write", errc::io_failure);
  return status::success();
}

}  // namespace

const std::vector<std::string>& random_model_preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& p : presets()) n.emplace_back(p.name);
    return n;
  }();
  return names;
}

result<random_model_spec> random_model_preset(const std::string& name) {
  std::string known;
  for (const auto& p : presets()) {
    if (name == p.name) return p.spec;
    known += (known.empty() ? "" : ", ") + std::string(p.name);
  }
  return fail("--like: unknown model '" + name + "'; expected one of " + known);
}

result<io::hf_config> random_model_config(const random_model_spec& spec) {
  if (spec.arch != "qwen2" && spec.arch != "llama") {
    return fail("--arch: expected qwen2 or llama, got '" + spec.arch + "'");
  }
  if (spec.dtype != "float32" && spec.dtype != "bfloat16" && spec.dtype != "float16") {
    return fail("--dtype: expected float32, bfloat16 or float16, got '" + spec.dtype + "'");
  }
  for (auto [field, v] : {std::pair<const char*, std::int64_t>{"--hidden-size", spec.hidden_size},
                          {"--layers", spec.num_layers},
                          {"--heads", spec.num_heads},
                          {"--kv-heads", spec.num_kv_heads},
                          {"--intermediate-size", spec.intermediate_size},
                          {"--max-positions", spec.max_position_embeddings}}) {
    LEADRL_TRY(at_least_one(field, v));
  }
  if (spec.hidden_size % spec.num_heads != 0) {
    return fail("--heads: expected a divisor of --hidden-size (" +
                std::to_string(spec.hidden_size) + "), got " + std::to_string(spec.num_heads));
  }
  if (spec.num_heads % spec.num_kv_heads != 0) {
    return fail("--kv-heads: expected a divisor of --heads (" + std::to_string(spec.num_heads) +
                "), got " + std::to_string(spec.num_kv_heads));
  }
  if (!(spec.rope_theta > 0) || !(spec.rms_norm_eps > 0)) {
    return fail("--rope-theta and --rms-norm-eps: expected numbers > 0");
  }
  io::hf_config c =
      io::qwen2_config(spec.hidden_size, spec.intermediate_size, spec.num_layers, spec.num_heads,
                       spec.num_kv_heads, spec.vocab_size, spec.max_position_embeddings);
  if (spec.arch == "llama") {
    c.model_type = "llama";
    c.architectures = {"LlamaForCausalLM"};
    c.qkv_bias = false;
  }
  c.rope_theta = spec.rope_theta;
  c.rms_norm_eps = spec.rms_norm_eps;
  c.tie_word_embeddings = spec.tie_word_embeddings;
  c.torch_dtype = spec.dtype;
  if (!spec.tokenizer.empty()) {
    auto tok = load_tokenizer(spec.tokenizer);
    if (!tok) return tok.error().with_context("--tokenizer");
    const auto n = static_cast<std::int64_t>((*tok)->vocab_size());
    if (c.vocab_size == 0) c.vocab_size = n;
    if (c.vocab_size < n) {
      return fail("--vocab-size: expected at least the tokenizer's " + std::to_string(n) +
                  " tokens, got " + std::to_string(c.vocab_size));
    }
    if ((*tok)->bos_id() >= 0) c.bos_token_id = (*tok)->bos_id();
    if ((*tok)->eos_id() >= 0) c.eos_token_ids = {(*tok)->eos_id()};
    if ((*tok)->pad_id() >= 0) c.pad_token_id = (*tok)->pad_id();
  }
  if (c.vocab_size < 1) {
    return fail("--vocab-size: expected an integer >= 1 (or --tokenizer to take it from), got " +
                std::to_string(c.vocab_size));
  }
  LEADRL_TRY(io::validate(c));
  return c;
}

result<io::hf_config> write_random_model(const random_model_spec& spec, const std::string& dir) {
  auto config = random_model_config(spec);
  if (!config) return config.error();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return fail("--output " + dir + ": cannot create the directory (" + ec.message() + ")",
                errc::io_failure);
  }
  torch::manual_seed(spec.seed);
  decoder model(*config);
  save_options save;
  save.dtype = spec.dtype;
  if (auto st = save_decoder(*model, dir, save); !st) {
    return fail(st.error().message(), errc::io_failure);  // the config was checked above
  }

  nlohmann::json gen = nlohmann::json::object();
  if (config->bos_token_id) gen["bos_token_id"] = *config->bos_token_id;
  if (!config->eos_token_ids.empty()) gen["eos_token_id"] = config->eos_token_ids.front();
  if (config->pad_token_id) gen["pad_token_id"] = *config->pad_token_id;
  LEADRL_TRY(write_text(fs::path(dir) / "generation_config.json", gen.dump(2) + "\n"));

  if (!spec.tokenizer.empty()) {
    const fs::path src = fs::is_directory(spec.tokenizer)
                             ? fs::path(spec.tokenizer) / "tokenizer.json"
                             : fs::path(spec.tokenizer);
    for (const fs::path& f : {src, src.parent_path() / "tokenizer_config.json"}) {
      if (!fs::exists(f)) continue;
      const fs::path to = fs::path(dir) / f.filename();
      fs::copy_file(f, to, fs::copy_options::overwrite_existing, ec);
      // A copy of a read-only original (a shared data folder) stays writable for its owner.
      if (!ec) fs::permissions(to, fs::perms::owner_write, fs::perm_options::add, ec);
      if (ec) {
        return fail("--output " + dir + ": cannot copy " + f.string() + " (" + ec.message() + ")",
                    errc::io_failure);
      }
    }
  }
  return config;
}

}  // namespace leadrl::model
