// `leadrl init-model`: writes a randomly initialised Hugging Face model directory
// (model/random_model.hpp), to smoke-test a recipe before real weights are at hand.
#include <cstdint>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "apps/command.hpp"
#include "model/random_model.hpp"

namespace {

namespace po = boost::program_options;

std::string preset_list() {
  std::string s;
  for (const auto& n : leadrl::model::random_model_preset_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

int run_init_model(int argc, char** argv) {
  const leadrl::model::random_model_spec d;
  po::options_description options(
      "usage: leadrl init-model --output DIR [--like NAME] [--arch qwen2|llama] [sizes]\n"
      "                         [--tokenizer PATH | --vocab-size N] [--seed S] [--dtype T]\n\n"
      "Writes config.json, generation_config.json and model.safetensors of a randomly\n"
      "initialised decoder into DIR, and copies the tokenizer's tokenizer.json and\n"
      "tokenizer_config.json there; vocab size and bos/eos/pad ids come from the tokenizer\n"
      "unless given. --like starts from a published model's shape (" +
      preset_list() +
      "); the size flags override it. The same arguments give identical weights.\n"
      "Exit status: 0 written, 1 a write failed, 2 bad usage or input.\n\noptions");
  options.add_options()("help,h", "this text")("output", po::value<std::string>()->required(),
                                               "the model directory to write")(
      "like", po::value<std::string>(), "start from a published model's shape")(
      "arch", po::value<std::string>(), "qwen2 (q/k/v biases) or llama (default qwen2)")(
      "hidden-size", po::value<std::int64_t>(), "hidden size (default 64)")(
      "layers", po::value<std::int64_t>(), "decoder layers (default 2)")(
      "heads", po::value<std::int64_t>(), "attention heads (default 4)")(
      "kv-heads", po::value<std::int64_t>(), "key/value heads (default 2)")(
      "intermediate-size", po::value<std::int64_t>(), "MLP width (default 128)")(
      "rope-theta", po::value<double>(), "rotary base (default 10000)")(
      "rms-norm-eps", po::value<double>(), "RMSNorm epsilon (default 1e-6)")(
      "max-positions", po::value<std::int64_t>(), "max_position_embeddings (default 4096)")(
      "tied", po::value<bool>(), "tie lm_head to the embeddings: true or false (default false)")(
      "vocab-size", po::value<std::int64_t>(),
      "vocabulary size (default: the tokenizer's; at least the tokenizer's)")(
      "tokenizer", po::value<std::string>(), "a tokenizer.json or the folder holding it")(
      "seed", po::value<std::uint64_t>()->default_value(0), "initialisation seed")(
      "dtype", po::value<std::string>()->default_value(d.dtype), "float32, bfloat16 or float16");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;

  leadrl::model::random_model_spec spec;
  if (vm.count("like")) {
    auto p = leadrl::model::random_model_preset(vm["like"].as<std::string>());
    if (!p) {
      std::cerr << "leadrl init-model: " << p.error().message() << "\n";
      return 2;
    }
    spec = *p;
  }
  auto set = [&](const char* key, auto& field) {
    using T = std::remove_reference_t<decltype(field)>;
    if (vm.count(key)) field = vm[key].as<T>();
  };
  set("arch", spec.arch);
  set("hidden-size", spec.hidden_size);
  set("layers", spec.num_layers);
  set("heads", spec.num_heads);
  set("kv-heads", spec.num_kv_heads);
  set("intermediate-size", spec.intermediate_size);
  set("rope-theta", spec.rope_theta);
  set("rms-norm-eps", spec.rms_norm_eps);
  set("max-positions", spec.max_position_embeddings);
  set("tied", spec.tie_word_embeddings);
  set("vocab-size", spec.vocab_size);
  set("tokenizer", spec.tokenizer);
  set("seed", spec.seed);
  set("dtype", spec.dtype);
  const std::string out = vm["output"].as<std::string>();
  auto config = leadrl::model::write_random_model(spec, out);
  if (!config) {
    std::cerr << "leadrl init-model: " << config.error().message() << "\n";
    return config.error().code() == leadrl::errc::invalid_input ? 2 : 1;
  }
  std::cout << "leadrl init-model: " << out << ": " << config->model_type << ", hidden "
            << config->hidden_size << ", " << config->num_hidden_layers << " layers, "
            << config->num_attention_heads << "/" << config->num_key_value_heads << " heads, vocab "
            << config->vocab_size << ", " << spec.dtype << ", seed " << spec.seed << "\n";
  return 0;
}

const leadrl::cli::command_registration reg{
    "init-model", "write a randomly initialised HF model directory", run_init_model};

}  // namespace
