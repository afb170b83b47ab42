// File: model/hf_export.hpp
//
// `leadrl export`: turns the policy of a snapshot (ARCHITECTURE.md §5) into a Hugging Face
// directory (config.json, model.safetensors, tokenizer files) that transformers, vLLM and
// model::load_decoder / model::load_tokenizer load. The model is the one the snapshot's
// `leadrl train` configuration (/meta config_text) describes: the random character-level
// decoder when model.path is empty, else the HF directory model.path names, whose
// config.json and tokenizer files are copied.
//
//   auto snap = io::read_valid_snapshot("run/snapshots/step_000120.h5");
//   if (snap) if (auto s = model::export_snapshot(*snap, "step_000120.h5", "out", {}); !s) ...
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"
#include "io/hf_config.hpp"
#include "io/snapshot.hpp"

namespace leadrl::model {

/// How export_snapshot writes.
struct export_options {
  /// "float32", "float16", "bfloat16", or empty: the parameters' dtype in the snapshot
  /// (float32 when they differ), so that a default export is lossless.
  std::string dtype;
};

/// The HF config of the model a snapshot's config text describes (see the file comment).
/// `source` names the snapshot in messages. Fails when the config text does not parse as
/// a `leadrl train` configuration, model.path names a directory that is gone, or its
/// config.json fails io::load_hf_config.
result<io::hf_config> snapshot_model_config(const io::snapshot& s, const std::string& source);

/// A snapshot's policy checked against its model and ready to be written.
class snapshot_export {
 public:
  /// Everything is checked here, before anything is written: fails, naming each tensor,
  /// when the snapshot's parameters differ from the model's (missing, unknown, wrong
  /// shape, a dtype other than F32/F16/BF16), when the dtype name is unknown, when
  /// model.path has no tokenizer.json, or as snapshot_model_config does.
  static result<snapshot_export> prepare(const io::snapshot& s, const std::string& source,
                                         const export_options& options);

  /// Writes `dir`/config.json (torch_dtype = the written dtype), the tokenizer files and
  /// `dir`/model.safetensors (HF names), creating `dir` if needed. Fails, naming the file,
  /// on an I/O error. model.safetensors is written last, under a temporary name and
  /// renamed, so a failed export never leaves a partial model.safetensors (a previous one
  /// stays as it was).
  status write(const std::string& dir) const;

 private:
  struct state;
  std::shared_ptr<const state> state_;
};

/// Copies the tokenizer files of HF model directory `model_dir` that exist there
/// (tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.json,
/// merges.txt, ..., and generation_config.json) into `dir`, overwriting; copies stay
/// writable by their owner. Fails, naming the file, when a copy fails (errc::io_failure).
status copy_tokenizer_files(const std::string& model_dir, const std::string& dir);

/// prepare() then write(): fails as either does.
status export_snapshot(const io::snapshot& s, const std::string& source, const std::string& dir,
                       const export_options& options);

}  // namespace leadrl::model
