#include "model/checkpoint.hpp"

#include <sys/stat.h>
#include <cstring>
#include <set>

#include "io/hf_config.hpp"
#include "io/safetensors.hpp"
#include "model/tensor_types.hpp"

namespace leadrl::model {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  const size_t shown = std::min<size_t>(names.size(), 20);
  for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

}  // namespace

status load_weights(decoder_impl& model, const std::string& dir) {
  auto ckpt = io::safetensors_checkpoint::open_dir(dir);
  if (!ckpt) return ckpt.error();
  auto params = model.named_parameters();
  const bool tied = model.config().tie_word_embeddings;

  std::vector<std::string> unknown;
  for (const auto& name : ckpt->names()) {
    if (params.contains(name)) continue;
    if (tied && name == "lm_head.weight") continue;
    if (ends_with(name, ".rotary_emb.inv_freq")) continue;
    unknown.push_back(name);
  }
  std::vector<std::string> missing;
  for (const auto& p : params) {
    if (ckpt->find(p.key()).first == nullptr) missing.push_back(p.key());
  }
  if (!unknown.empty() || !missing.empty()) {
    std::string msg = dir + ": checkpoint does not match the " + model.config().model_type +
                      " decoder of config.json";
    if (!missing.empty()) msg += "; missing tensors: " + join_names(missing);
    if (!unknown.empty()) msg += "; unknown tensors: " + join_names(unknown);
    return fail(msg);
  }

  torch::NoGradGuard no_grad;
  for (auto& p : params) {
    auto [file, info] = ckpt->find(p.key());
    const std::string where = file->path() + ": tensor '" + p.key() + "'";
    std::vector<int64_t> want(p.value().sizes().begin(), p.value().sizes().end());
    if (info->shape != want) {
      return fail(where + ": shape " + io::shape_text(info->shape) + "; expected " +
                  io::shape_text(want) + " from config.json");
    }
    auto src_dtype = weight_dtype(info->dtype);
    if (!src_dtype) return src_dtype.error().with_context(where);
    // Copy the mapped bytes into an owned tensor first: the mapping is read-only and
    // may not be aligned for the element type.
    auto staging = torch::empty(want, torch::TensorOptions().dtype(*src_dtype));
    std::memcpy(staging.data_ptr(), file->data(*info), info->nbytes());
    p.value().copy_(staging);
  }
  return status::success();
}

result<decoder> load_decoder(const std::string& dir, decoder_options options) {
  auto config = io::load_hf_config(dir);
  if (!config) return config.error();
  decoder model(*config, options);
  if (auto s = load_weights(*model, dir); !s) return s.error();
  return model;
}

status save_decoder(const decoder_impl& model, const std::string& dir, save_options options) {
  io::hf_config config = model.config();
  const std::string dtype_name = options.dtype.empty() ? config.torch_dtype : options.dtype;
  auto dtype = dtype_from_name(dtype_name);
  if (!dtype) return dtype.error().with_context("save_decoder");
  ::mkdir(dir.c_str(), 0755);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(dir + ": cannot create the output directory");
  }
  config.torch_dtype = dtype_name;
  if (auto s = io::save_hf_config(config, dir + "/config.json"); !s) return s;

  std::vector<io::tensor_source> sources;
  for (const auto& p : model.named_parameters()) {
    io::tensor_source src;
    src.name = p.key();
    src.dtype = st_weight_dtype(*dtype);
    src.shape.assign(p.value().sizes().begin(), p.value().sizes().end());
    torch::Tensor t = p.value();
    const torch::Dtype target = *dtype;
    // Converted one tensor at a time while writing, so saving needs no second copy of
    // the model.
    src.fill = [t, target](void* dst) {
      auto c = t.detach().to(torch::kCPU).to(target).contiguous();
      std::memcpy(dst, c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
    };
    sources.push_back(std::move(src));
  }
  auto written = io::write_safetensors_dir(dir, std::move(sources), options.max_shard_bytes);
  if (!written) return written.error();
  return status::success();
}

}  // namespace leadrl::model
