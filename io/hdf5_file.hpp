// File: io/hdf5_file.hpp
//
// A thin, checked wrapper over the HDF5 C++ API (serial 1.10): groups by path, 1-D and
// scalar datasets of double / int64 / uint64 / uint8 / bool / UTF-8 strings, N-D tensor
// blobs with their dtype kept, and attributes. Every HDF5 call goes through one check
// that turns H5::Exception into a leadrl::error naming the call, the file, the object
// and a hint; HDF5's own error printing is silenced (ARCHITECTURE.md §8).
//
// Integrity (ARCHITECTURE.md §5): every numeric and tensor dataset is chunked with the
// Fletcher32 filter, so a changed byte in its data fails the read with an error naming
// the dataset. HDF5 refuses filters on variable-length strings, whose text lives in the
// global heap anyway, so string datasets are stored contiguous and carry a
// `leadrl_fnv1a64` checksum attribute over their text that every read verifies. Files use
// the 1.10 format, whose metadata (superblock, object headers, chunk indexes) HDF5
// checksums itself.
// Scalars are stored as 1-element 1-D datasets (a 0-d dataspace cannot be chunked).
//
//   auto f = io::hdf5_file::create("run.h5");
//   if (f) { auto s = f->write_doubles("/controller/length_table/lstar", {412.0, 88.5}); }
//
// Not thread-safe: use one hdf5_file from one thread at a time (Debian's serial HDF5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "io/tensor_blob.hpp"

namespace leadrl::io {

/// True once HDF5 failed to close a file this process created (a full disk or an I/O
/// error while writing it out). HDF5 1.10 cannot recover from that: the file cannot be
/// closed again, later files of the process may fail, and its own cleanup at exit may
/// crash. A process that sees this must stop writing HDF5 and end (see actors/controller).
bool hdf5_writes_unusable();

/// How new datasets are stored.
struct hdf5_write_options {
  /// zlib level 1..9 applied before the checksum; 0 leaves data uncompressed.
  int deflate_level = 0;
  /// Target bytes per chunk; a chunk is the unit of checksum and of I/O.
  std::size_t chunk_bytes = std::size_t{1} << 20;
};

/// Name, element type and shape of one dataset, for listings such as `leadrl inspect`.
struct hdf5_dataset_info {
  std::string path;                 ///< absolute, e.g. "/learner/params/lm_head.weight"
  std::string element_type;         ///< "F64", "I64", "U64", "U8", "STR", or a tensor dtype
  std::vector<std::int64_t> shape;  ///< dataspace dimensions (1-element for scalars)
};

/// An open HDF5 file. Paths are absolute ("/a/b/c"); writing a dataset creates its
/// missing parent groups. Moving is allowed; the file closes on destruction.
class hdf5_file {
 public:
  /// Creates (truncating) `path` for writing.
  /// Fails when the file cannot be created (missing directory, permissions).
  static result<hdf5_file> create(const std::string& path, hdf5_write_options options = {});
  /// Opens an existing file read-only.
  /// Fails when it does not exist, is not HDF5, or is truncated (HDF5 checks the EOF).
  static result<hdf5_file> open(const std::string& path);

  hdf5_file(hdf5_file&&) noexcept;
  hdf5_file& operator=(hdf5_file&&) noexcept;
  ~hdf5_file();

  /// Flushes and closes; later calls on this object fail. Fails when HDF5 cannot flush.
  status close();
  const std::string& path() const;

  // --- structure ---------------------------------------------------------------
  /// Creates a group and its missing parents; an existing group is fine.
  /// Fails on a read-only file or when a component of the path is a dataset.
  status create_group(const std::string& group_path);
  /// True when every component of `object_path` exists (a missing parent is `false`).
  bool exists(const std::string& object_path) const;
  /// True when `object_path` exists and is a group.
  bool is_group(const std::string& object_path) const;
  /// Names of the direct children of a group, in name order.
  /// Fails when `group_path` is missing or not a group.
  result<std::vector<std::string>> list_children(const std::string& group_path) const;
  /// Every dataset below `group_path` (recursively), in name order, with type and shape.
  /// Fails when a group cannot be read.
  result<std::vector<hdf5_dataset_info>> list_datasets(const std::string& group_path = "/") const;
  /// Reads every dataset below "/" in full, so that each chunk's Fletcher32 checksum and
  /// each string checksum is verified. Fails with the first dataset that does not read.
  status verify_all_datasets() const;

  // --- writes (each fails on a read-only file, an existing path, or a bad argument) ---
  status write_double(const std::string& path, double value);
  status write_int64(const std::string& path, std::int64_t value);
  status write_uint64(const std::string& path, std::uint64_t value);
  /// Stored as uint8 0/1.
  status write_bool(const std::string& path, bool value);
  /// Stored as a variable-length UTF-8 string. Fails for text containing a NUL byte.
  status write_string(const std::string& path, std::string_view value);
  status write_doubles(const std::string& path, const std::vector<double>& values);
  status write_int64s(const std::string& path, const std::vector<std::int64_t>& values);
  status write_bytes(const std::string& path, const std::vector<std::uint8_t>& values);
  /// A 1-D array of variable-length UTF-8 strings. Fails for an element with a NUL byte.
  status write_strings(const std::string& path, const std::vector<std::string>& values);
  /// An N-D tensor with a `dtype` attribute; F16/BF16 are stored as uint16 so their bits
  /// round-trip exactly. Fails when the blob's byte count does not match its shape.
  status write_tensor(const std::string& path, const tensor_blob& tensor);
  /// As above, from bytes owned elsewhere (no copy). `byte_count` must match the shape.
  status write_tensor(const std::string& path, dtype type, const std::vector<std::int64_t>& shape,
                      const void* data, std::size_t byte_count);

  // --- reads (each fails when the path is missing, the stored type or rank differs
  //     from the one asked for, or the data fails its checksum) -----------------------
  result<double> read_double(const std::string& path) const;
  result<std::int64_t> read_int64(const std::string& path) const;
  result<std::uint64_t> read_uint64(const std::string& path) const;
  /// Also fails when the stored byte is neither 0 nor 1.
  result<bool> read_bool(const std::string& path) const;
  result<std::string> read_string(const std::string& path) const;
  result<std::vector<double>> read_doubles(const std::string& path) const;
  result<std::vector<std::int64_t>> read_int64s(const std::string& path) const;
  result<std::vector<std::uint8_t>> read_bytes(const std::string& path) const;
  result<std::vector<std::string>> read_strings(const std::string& path) const;
  /// Reads a tensor; its dtype comes from the `dtype` attribute, or from the stored type
  /// for float32/float64/int32/int64/uint8 datasets written by other tools.
  result<tensor_blob> read_tensor(const std::string& path) const;
  /// Reads a tensor into memory owned elsewhere (e.g. an existing parameter on resume),
  /// without allocating. Also fails, naming both, when the stored dtype or shape differs
  /// from `type`/`shape` or `byte_count` does not match them.
  status read_tensor_into(const std::string& path, dtype type,
                          const std::vector<std::int64_t>& shape, void* data,
                          std::size_t byte_count) const;

  // --- attributes on a group or dataset (an existing attribute is replaced) ---
  status set_string_attribute(const std::string& object_path, const std::string& name,
                              std::string_view value);
  status set_int64_attribute(const std::string& object_path, const std::string& name,
                             std::int64_t value);
  status set_double_attribute(const std::string& object_path, const std::string& name,
                              double value);
  /// Names and types ("STR", "I64", "F64", ...) of the attributes of a group or dataset,
  /// in name order. Fails when the object is missing.
  result<std::vector<std::pair<std::string, std::string>>> list_attributes(
      const std::string& object_path) const;
  /// True when the object exists and has the attribute.
  bool has_attribute(const std::string& object_path, const std::string& name) const;
  /// Each fails when the object or attribute is missing or has another type.
  result<std::string> read_string_attribute(const std::string& object_path,
                                            const std::string& name) const;
  result<std::int64_t> read_int64_attribute(const std::string& object_path,
                                            const std::string& name) const;
  result<double> read_double_attribute(const std::string& object_path,
                                       const std::string& name) const;

 private:
  struct impl;
  explicit hdf5_file(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace leadrl::io
