// File: io/safetensors.hpp
//
// The safetensors format (8-byte little-endian header length, JSON header
// {name: {dtype, shape, data_offsets}} with optional __metadata__, then raw
// little-endian tensor bytes), single-file and sharded via model.safetensors.index.json.
// Reading maps the file (no copy); every header entry is validated first. Writing
// produces the bytes the Hugging Face writer produces for the same tensors.
//
//   auto f = leadrl::io::safetensors_file::open("model.safetensors");
//   if (f) for (const auto& t : f->tensors()) std::cout << t.name << "\n";
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::io {

/// Element types of the format, named as in the header ("BF16", ...).
enum class st_dtype { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

/// Bytes per element.
size_t dtype_size(st_dtype dtype);
/// The header spelling ("BF16").
const char* dtype_name(st_dtype dtype);
/// Parses a header spelling; fails for anything not in st_dtype (e.g. "F8_E4M3").
result<st_dtype> parse_dtype(const std::string& name);

/// One header entry. Offsets are relative to the start of the data section.
struct tensor_info {
  std::string name;
  st_dtype dtype = st_dtype::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

/// A read-only, memory-mapped safetensors file whose header has been validated.
class safetensors_file {
 public:
  /// Maps and validates `path`. Fails (message names the file, the tensor and what was
  /// expected) when the file cannot be opened or mapped, is shorter than 8 bytes, the
  /// header length exceeds the file or 100 MB, the header is not a JSON object, an entry
  /// lacks dtype/shape/data_offsets or has the wrong JSON types, a dtype is unknown,
  /// data_offsets are not [begin <= end] inside the data section, end - begin differs
  /// from numel * dtype size, entries overlap or leave a gap, or the data section is
  /// longer or shorter than the entries cover (a truncated file).
  static result<safetensors_file> open(const std::string& path);

  const std::string& path() const { return path_; }
  /// Entries in data order.
  const std::vector<tensor_info>& tensors() const { return tensors_; }
  /// The entry called `name`, or nullptr.
  const tensor_info* find(const std::string& name) const;
  /// The __metadata__ map (string values only, as the format requires).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Pointer to the entry's bytes inside the mapping (valid while this object lives).
  const unsigned char* data(const tensor_info& info) const;

 private:
  struct mapping;
  std::string path_;
  std::shared_ptr<mapping> map_;
  std::vector<tensor_info> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
  uint64_t data_start_ = 0;
};

/// All tensors of a checkpoint directory: model.safetensors, or the shards listed by
/// model.safetensors.index.json.
class safetensors_checkpoint {
 public:
  /// Opens `dir`. With an index, every shard it names is opened and validated, every
  /// weight_map entry must be found in the shard it names, and every tensor of every
  /// shard must be in the weight_map. Fails when neither file exists, the index is not
  /// JSON of the expected shape, or any shard fails safetensors_file::open.
  static result<safetensors_checkpoint> open_dir(const std::string& dir);
  /// A single file as a checkpoint.
  static result<safetensors_checkpoint> open_file(const std::string& path);

  /// Every tensor name, sorted.
  std::vector<std::string> names() const;
  /// The file holding `name` and its entry, or {nullptr, nullptr}.
  std::pair<const safetensors_file*, const tensor_info*> find(const std::string& name) const;
  const std::vector<safetensors_file>& files() const { return files_; }
  /// The __metadata__ of the index (sharded) or of the single file.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::vector<safetensors_file> files_;
  std::map<std::string, std::pair<size_t, const tensor_info*>> where_;
  std::map<std::string, std::string> metadata_;
};

/// A tensor to write. Give either `data` (nbytes = numel * dtype size, kept alive for
/// the call) or `fill`, which writes exactly those bytes into the buffer it is handed;
/// `fill` lets callers convert one tensor at a time instead of holding a converted copy
/// of the whole model.
struct tensor_source {
  std::string name;
  st_dtype dtype = st_dtype::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  std::function<void(void* dst)> fill;
  uint64_t nbytes() const;
};

/// The header text for `tensors` in the order given, padded with spaces to a multiple of 8
/// bytes (the writer of the format's reference implementation does the same).
std::string safetensors_header(const std::vector<tensor_source>& tensors,
                               const std::map<std::string, std::string>& metadata);

/// Writes one file with tensors in sorted-name order (written to `path`.tmp and
/// renamed). Fails for duplicate or empty names, negative dims, a source with neither
/// data nor fill, or an I/O error (message names the file).
status write_safetensors(const std::string& path, std::vector<tensor_source> tensors,
                         const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

/// Writes `dir`/model.safetensors when everything fits in `max_shard_bytes` (0 = no
/// limit); otherwise shards model-0000i-of-0000n.safetensors in sorted-name order, a new
/// shard starting when the next tensor would exceed the limit, plus
/// model.safetensors.index.json {"metadata": {"total_size"}, "weight_map"}. Returns the
/// files written (names only). Fails as write_safetensors does.
result<std::vector<std::string>> write_safetensors_dir(
    const std::string& dir, std::vector<tensor_source> tensors, uint64_t max_shard_bytes = 0,
    const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace leadrl::io
