#include "model/hf_export.hpp"
#include "model/policy_config.hpp"

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "io/config.hpp"
#include "io/train_options.hpp"
#include "model/char_tokenizer.hpp"
#include "model/checkpoint.hpp"
#include "model/decoder.hpp"
#include "model/tensor_types.hpp"

namespace leadrl::model {
namespace {

namespace fs = std::filesystem;

// Tokenizer files of a HF model directory, copied when present (tokenizer.json is required:
// model::load_tokenizer reads it), plus generation_config.json, which HF generation reads.
const char* const k_tokenizer_files[] = {"tokenizer.json",
                                         "tokenizer_config.json",
                                         "special_tokens_map.json",
                                         "added_tokens.json",
                                         "vocab.json",
                                         "merges.txt",
                                         "tokenizer.model",
                                         "generation_config.json"};

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// The parse of /meta config_text as `leadrl train` read it. data.task is forced to the
// built-in task: the training set is not needed to export (and may be gone).
result<io::train_options> snapshot_train_options(const io::snapshot& s, const std::string& source) {
  const std::string where = source + " /meta/config_text";
  auto cfg =
      io::load_config_text(io::train_schema(), s.meta.config_text, where, {"data.task=arith"});
  if (!cfg) return cfg.error();
  auto options = io::read_train_options(*cfg);
  if (!options) return options.error().with_context(where);
  return options;
}

// Every parameter of `model` against the snapshot: names both ways, shapes, dtypes.
status check_params(const io::learner_state& l, const model::decoder_impl& model,
                    const std::string& source) {
  std::vector<std::string> problems, missing, unknown;
  const auto params = model.named_parameters();
  for (const auto& p : params) {
    auto it = l.params.find(p.key());
    if (it == l.params.end()) {
      missing.push_back(p.key());
      continue;
    }
    const std::vector<std::int64_t> want(p.value().sizes().begin(), p.value().sizes().end());
    if (it->second.shape != want) {
      problems.push_back(p.key() + " has shape " + io::shape_text(it->second.shape) +
                         ", the config gives " + io::shape_text(want));
    }
    if (auto d = weight_dtype(it->second.type); !d) {
      problems.push_back(p.key() + ": " + d.error().message());
    } else if (auto c = it->second.check(); !c) {
      problems.push_back(p.key() + ": " + c.error().message());
    }
  }
  for (const auto& [name, blob] : l.params) {
    if (!params.contains(name)) unknown.push_back(name);
  }
  if (!missing.empty()) problems.push_back("missing tensors: " + join(missing));
  if (!unknown.empty()) problems.push_back("tensors the model does not have: " + join(unknown));
  if (problems.empty()) return status::success();
  return fail(source + ": the snapshot's parameters do not match the " + model.config().model_type +
              " model of its configuration: " + join(problems));
}

// The dtype the snapshot's parameters share (float32 when they differ or there are none).
io::dtype common_dtype(const io::learner_state& l) {
  std::set<io::dtype> kinds;
  for (const auto& [name, blob] : l.params) kinds.insert(blob.type);
  return kinds.size() == 1 ? *kinds.begin() : io::dtype::f32;
}

}  // namespace

result<io::hf_config> snapshot_model_config(const io::snapshot& s, const std::string& source) {
  auto options = snapshot_train_options(s, source);
  if (!options) return options.error();
  if (options->model.path.empty()) return random_policy_config(*options);
  auto config = io::load_hf_config(options->model.path);
  if (!config) return config.error().with_context(source + ": model.path");
  return config;
}

struct snapshot_export::state {
  model::decoder model{nullptr};
  std::string model_path;  // "" for the random character-level model
  std::string dtype;       // written dtype name
};

result<snapshot_export> snapshot_export::prepare(const io::snapshot& s, const std::string& source,
                                                 const export_options& options) {
  auto train = snapshot_train_options(s, source);
  if (!train) return train.error();
  auto config = snapshot_model_config(s, source);
  if (!config) return config.error();
  auto st = std::make_shared<state>();
  st->model_path = train->model.path;
  if (!st->model_path.empty() &&
      !fs::is_regular_file(fs::path(st->model_path) / "tokenizer.json")) {
    return fail(source + ": model.path " + st->model_path +
                " has no tokenizer.json to export with the model");
  }
  const io::dtype stored = common_dtype(s.learner);
  st->dtype = options.dtype.empty() ? dtype_config_name(stored) : options.dtype;
  if (st->dtype.empty()) st->dtype = "float32";  // check_params names the bad tensors
  if (auto d = model::dtype_from_name(st->dtype); !d) return d.error().with_context("--dtype");

  // The model in the snapshot's dtype, so that copying the stored bytes in is exact.
  torch::NoGradGuard no_grad;
  auto compute_dtype = weight_dtype(stored);
  if (!compute_dtype) compute_dtype = torch::kFloat32;  // check_params names the bad tensors
  st->model = model::decoder(*config, model::decoder_options{*compute_dtype, torch::kCPU});
  if (auto c = check_params(s.learner, *st->model, source); !c) return c.error();
  for (auto& p : st->model->named_parameters()) {
    const io::tensor_blob& blob = s.learner.params.at(p.key());
    auto staging = torch::empty(blob.shape, torch::TensorOptions().dtype(*weight_dtype(blob.type)));
    std::memcpy(staging.data_ptr(), blob.bytes.data(), blob.bytes.size());
    p.value().copy_(staging);
  }
  snapshot_export out;
  out.state_ = std::move(st);
  return out;
}

status snapshot_export::write(const std::string& dir) const {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) {
    return fail(dir + ": cannot create the export directory" +
                (ec ? " (" + ec.message() + ")" : ""));
  }
  // Tokenizer files first and model.safetensors (renamed into place) last, so a directory
  // with a model.safetensors holds a complete export.
  if (state_->model_path.empty()) {
    if (auto st = model::save_char_tokenizer(dir); !st) return st;
  } else if (auto st = copy_tokenizer_files(state_->model_path, dir); !st) {
    return st;
  }
  model::save_options save;
  save.dtype = state_->dtype;
  return model::save_decoder(*state_->model, dir, save);
}

status copy_tokenizer_files(const std::string& model_dir, const std::string& dir) {
  for (const char* name : k_tokenizer_files) {
    const fs::path from = fs::path(model_dir) / name;
    if (!fs::is_regular_file(from)) continue;
    const fs::path to = fs::path(dir) / name;
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    // A copy of a read-only original (a shared data folder) stays writable for its owner.
    if (!ec) fs::permissions(to, fs::perms::owner_write, fs::perm_options::add, ec);
    if (ec) {
      return fail(from.string() + ": cannot copy to " + dir + " (" + ec.message() + ")",
                  errc::io_failure);
    }
  }
  return status::success();
}

status export_snapshot(const io::snapshot& s, const std::string& source, const std::string& dir,
                       const export_options& options) {
  auto prepared = snapshot_export::prepare(s, source, options);
  if (!prepared) return prepared.error();
  return prepared->write(dir);
}

}  // namespace leadrl::model
