#include "io/hf_config.hpp"

#include <sys/stat.h>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/json_nesting.hpp"

namespace leadrl::io {
namespace {

using json = nlohmann::json;

std::string type_name(const json& v) {
  return v.type_name();
}

// Reads a positive integer key; `required` decides whether absence is an error.
result<std::optional<int64_t>> get_int(const json& j, const std::string& source,
                                       const std::string& key, bool required, bool positive) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return fail(source + ": missing required key '" + key + "'");
    return std::optional<int64_t>{};
  }
  if (!it->is_number_integer()) {
    return fail(source + ": key '" + key + "': expected an integer, got " + type_name(*it) + " " +
                it->dump());
  }
  int64_t v = it->get<int64_t>();
  if (positive && v <= 0) {
    return fail(source + ": key '" + key + "': expected an integer >= 1, got " + std::to_string(v));
  }
  if (!positive && v < 0) {
    return fail(source + ": key '" + key + "': expected an integer >= 0, got " + std::to_string(v));
  }
  return std::optional<int64_t>{v};
}

result<std::optional<double>> get_number(const json& j, const std::string& source,
                                         const std::string& key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<double>{};
  if (!it->is_number()) {
    return fail(source + ": key '" + key + "': expected a number, got " + type_name(*it));
  }
  return std::optional<double>{it->get<double>()};
}

result<std::optional<bool>> get_bool(const json& j, const std::string& source,
                                     const std::string& key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<bool>{};
  if (!it->is_boolean()) {
    return fail(source + ": key '" + key + "': expected true or false, got " + it->dump());
  }
  return std::optional<bool>{it->get<bool>()};
}

result<std::optional<std::string>> get_string(const json& j, const std::string& source,
                                              const std::string& key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) {
    return fail(source + ": key '" + key + "': expected a string, got " + it->dump());
  }
  return std::optional<std::string>{it->get<std::string>()};
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

status validate(const hf_config& c) {
  if (c.model_type != "qwen2" && c.model_type != "llama") {
    return fail("model_type: expected \"qwen2\" or \"llama\", got \"" + c.model_type + "\"");
  }
  const std::pair<const char*, int64_t> sizes[] = {
      {"hidden_size", c.hidden_size},
      {"intermediate_size", c.intermediate_size},
      {"num_hidden_layers", c.num_hidden_layers},
      {"num_attention_heads", c.num_attention_heads},
      {"num_key_value_heads", c.num_key_value_heads},
      {"head_dim", c.head_dim},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_position_embeddings}};
  // Upper bounds far above any released model's, so that a hostile or mistyped file is
  // refused here instead of sizing tensors from it.
  constexpr int64_t k_max_size = int64_t{1} << 24;
  for (const auto& [name, v] : sizes) {
    if (v <= 0 || v > k_max_size) {
      return fail(std::string(name) + ": expected an integer in [1, " + std::to_string(k_max_size) +
                  "], got " + std::to_string(v));
    }
  }
  // About the parameters the shapes imply (embeddings, head, attention and MLP); beyond
  // 2^40 (a trillion) no host here could hold them.
  const double h = static_cast<double>(c.hidden_size);
  const double params = 2.0 * static_cast<double>(c.vocab_size) * h +
                        static_cast<double>(c.num_hidden_layers) *
                            (4.0 * h * static_cast<double>(c.num_attention_heads * c.head_dim) +
                             3.0 * h * static_cast<double>(c.intermediate_size));
  if (params > static_cast<double>(int64_t{1} << 40)) {
    return fail("the sizes imply about " + std::to_string(static_cast<long long>(params / 1e9)) +
                " billion parameters; expected at most 2^40");
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return fail("num_key_value_heads: expected a divisor of num_attention_heads (" +
                std::to_string(c.num_attention_heads) + "), got " +
                std::to_string(c.num_key_value_heads));
  }
  if (c.head_dim % 2 != 0) {
    return fail("head_dim: expected an even number (RoPE rotates pairs), got " +
                std::to_string(c.head_dim));
  }
  if (!(c.rope_theta > 0)) return fail("rope_theta: expected a number > 0");
  if (!(c.rms_norm_eps > 0)) return fail("rms_norm_eps: expected a number > 0");
  if (c.hidden_act != "silu") {
    return fail("hidden_act: expected \"silu\", got \"" + c.hidden_act + "\"");
  }
  if (c.torch_dtype != "float32" && c.torch_dtype != "float16" && c.torch_dtype != "bfloat16") {
    return fail("torch_dtype: expected \"float32\", \"float16\" or \"bfloat16\", got \"" +
                c.torch_dtype + "\"");
  }
  return status::success();
}

result<hf_config> parse_hf_config(const std::string& json_text, const std::string& source) {
  // dump() below recurses once per nesting level.
  if (auto s = check_json_nesting(json_text, source); !s) return s.error();
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(source + ": not valid JSON");
  if (!j.is_object()) return fail(source + ": expected a JSON object, got " + type_name(j));

  hf_config c;
  c.original_json = j.dump();

  auto mt = get_string(j, source, "model_type");
  if (!mt) return mt.error();
  if (!mt->has_value()) return fail(source + ": missing required key 'model_type'");
  c.model_type = **mt;
  if (c.model_type != "qwen2" && c.model_type != "llama") {
    return fail(source + ": model_type: expected \"qwen2\" or \"llama\", got \"" + c.model_type +
                "\"");
  }

  if (auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return fail(source + ": key 'architectures': expected a list of strings");
    for (const auto& a : *it) {
      if (!a.is_string()) return fail(source + ": key 'architectures': expected a list of strings");
      c.architectures.push_back(a.get<std::string>());
    }
  }

  struct int_key {
    const char* name;
    int64_t* dst;
    bool required;
  };
  const int_key ints[] = {{"hidden_size", &c.hidden_size, true},
                          {"intermediate_size", &c.intermediate_size, true},
                          {"num_hidden_layers", &c.num_hidden_layers, true},
                          {"num_attention_heads", &c.num_attention_heads, true},
                          {"vocab_size", &c.vocab_size, true},
                          {"num_key_value_heads", &c.num_key_value_heads, false},
                          {"head_dim", &c.head_dim, false},
                          {"max_position_embeddings", &c.max_position_embeddings, false}};
  for (const auto& k : ints) {
    auto v = get_int(j, source, k.name, k.required, /*positive=*/true);
    if (!v) return v.error();
    if (v->has_value()) *k.dst = **v;
  }
  if (c.num_key_value_heads == 0) c.num_key_value_heads = c.num_attention_heads;
  if (c.head_dim == 0) {
    if (c.hidden_size % c.num_attention_heads != 0) {
      return fail(source + ": hidden_size (" + std::to_string(c.hidden_size) +
                  ") is not a multiple of num_attention_heads (" +
                  std::to_string(c.num_attention_heads) + ") and no head_dim is given");
    }
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.max_position_embeddings == 0) c.max_position_embeddings = 2048;

  if (auto v = get_number(j, source, "rope_theta"); !v) {
    return v.error();
  } else if (v->has_value()) {
    c.rope_theta = **v;
  }
  if (auto v = get_number(j, source, "rms_norm_eps"); !v) {
    return v.error();
  } else if (v->has_value()) {
    c.rms_norm_eps = **v;
  }
  if (auto v = get_bool(j, source, "tie_word_embeddings"); !v) {
    return v.error();
  } else {
    // Qwen2Config and LlamaConfig both default to untied embeddings.
    c.tie_word_embeddings = v->value_or(false);
  }
  if (c.model_type == "qwen2") {
    c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without.
  } else {
    auto ab = get_bool(j, source, "attention_bias");
    if (!ab) return ab.error();
    c.qkv_bias = c.o_bias = ab->value_or(false);
    auto mb = get_bool(j, source, "mlp_bias");
    if (!mb) return mb.error();
    c.mlp_bias = mb->value_or(false);
  }
  if (auto v = get_string(j, source, "hidden_act"); !v) {
    return v.error();
  } else if (v->has_value()) {
    c.hidden_act = **v;
  }
  if (auto v = get_string(j, source, "torch_dtype"); !v) {
    return v.error();
  } else if (v->has_value()) {
    c.torch_dtype = **v;
  }
  if (auto v = get_int(j, source, "bos_token_id", false, false); !v) {
    return v.error();
  } else {
    c.bos_token_id = *v;
  }
  if (auto v = get_int(j, source, "pad_token_id", false, false); !v) {
    return v.error();
  } else {
    c.pad_token_id = *v;
  }
  if (auto it = j.find("eos_token_id"); it != j.end() && !it->is_null()) {
    if (it->is_number_integer() && it->get<int64_t>() >= 0) {
      c.eos_token_ids.push_back(it->get<int64_t>());
    } else if (it->is_array()) {
      for (const auto& e : *it) {
        if (!e.is_number_integer() || e.get<int64_t>() < 0) {
          return fail(source +
                      ": key 'eos_token_id': expected an integer >= 0 or a list of them, got " +
                      it->dump());
        }
        c.eos_token_ids.push_back(e.get<int64_t>());
      }
    } else {
      return fail(source +
                  ": key 'eos_token_id': expected an integer >= 0 or a list of them, got " +
                  it->dump());
    }
  }
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null()) c.has_rope_scaling = true;

  if (auto s = validate(c); !s) return s.error().with_context(source);
  for (int64_t id : c.eos_token_ids) {
    if (id >= c.vocab_size) {
      return fail(source + ": eos_token_id " + std::to_string(id) + " is not below vocab_size " +
                  std::to_string(c.vocab_size));
    }
  }
  return c;
}

hf_config qwen2_config(int64_t hidden, int64_t intermediate, int64_t layers, int64_t heads,
                       int64_t kv_heads, int64_t vocab, int64_t max_positions) {
  hf_config c;
  c.model_type = "qwen2";
  c.architectures = {"Qwen2ForCausalLM"};
  c.hidden_size = hidden;
  c.intermediate_size = intermediate;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.num_key_value_heads = kv_heads;
  c.head_dim = heads > 0 ? hidden / heads : 0;
  c.vocab_size = vocab;
  c.max_position_embeddings = max_positions;
  c.qkv_bias = true;
  return c;
}

result<hf_config> load_hf_config(const std::string& path) {
  std::string file = is_directory(path) ? path + "/config.json" : path;
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(file + ": read error");
  return parse_hf_config(ss.str(), file);
}

std::string to_json_text(const hf_config& c) {
  json j = json::object();
  if (!c.original_json.empty()) {
    json orig = json::parse(c.original_json, nullptr, false);
    if (orig.is_object()) j = orig;
  }
  if (!c.architectures.empty()) {
    j["architectures"] = c.architectures;
  } else if (!j.contains("architectures")) {
    j["architectures"] = {c.model_type == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"};
  }
  j["model_type"] = c.model_type;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  if (j.contains("head_dim") || c.head_dim * c.num_attention_heads != c.hidden_size) {
    j["head_dim"] = c.head_dim;
  }
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rope_theta"] = c.rope_theta;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  if (c.model_type == "llama") {
    j["attention_bias"] = c.qkv_bias;
    j["mlp_bias"] = c.mlp_bias;
  }
  j["hidden_act"] = c.hidden_act;
  j["torch_dtype"] = c.torch_dtype;
  j["bos_token_id"] = c.bos_token_id ? json(*c.bos_token_id) : json(nullptr);
  if (c.eos_token_ids.size() == 1) {
    j["eos_token_id"] = c.eos_token_ids[0];
  } else if (c.eos_token_ids.empty()) {
    j["eos_token_id"] = nullptr;
  } else {
    j["eos_token_id"] = c.eos_token_ids;
  }
  if (c.pad_token_id) {
    j["pad_token_id"] = *c.pad_token_id;
  } else if (j.contains("pad_token_id")) {
    j["pad_token_id"] = nullptr;
  }
  if (!c.has_rope_scaling && !j.contains("rope_scaling")) j["rope_scaling"] = nullptr;
  return j.dump(2) + "\n";
}

status save_hf_config(const hf_config& config, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail(path + ": cannot open for writing");
  out << to_json_text(config);
  out.flush();
  if (!out) return fail(path + ": write error");
  return status::success();
}

}  // namespace leadrl::io
