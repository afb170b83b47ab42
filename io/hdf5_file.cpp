#include "io/hdf5_file.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "base/fnv1a.hpp"

namespace leadrl::io {

namespace {

constexpr const char* k_string_checksum_attribute = "leadrl_fnv1a64";
constexpr const char* k_dtype_attribute = "dtype";
// Present (= 0) on tensors whose logical shape is 0-d; they are stored as [1].
constexpr const char* k_tensor_rank_attribute = "tensor_rank";

constexpr const char* k_hint_read =
    "the file may be truncated or corrupt; an older snapshot may still be valid";
constexpr const char* k_hint_write = "check free disk space and that the path is writable";

herr_t collect_error_description(unsigned, const H5E_error2_t* e, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (e != nullptr && e->desc != nullptr && e->desc[0] != '\0') {
    std::string d = e->desc;
    if (std::find(out->begin(), out->end(), d) == out->end()) out->push_back(std::move(d));
  }
  return 0;
}

// What HDF5 said about the first failure inside the current `checked` block. It has to be
// captured when the failing call returns: the destructors of H5::DataSet & co. that run
// while the exception unwinds call into HDF5, which clears the error stack.
thread_local std::string first_error_details;

// Installed as HDF5's automatic error handler instead of its printer: it records the
// most specific descriptions on the stack (innermost first), e.g. "data error detected by
// Fletcher32 checksum; filter returned failure during read", and prints nothing.
herr_t record_error_stack(hid_t stack, void*) {
  if (!first_error_details.empty()) return 0;
  std::vector<std::string> descriptions;
  // The walk cannot be checked through itself; a failed walk leaves the list empty.
  (void)H5Ewalk2(stack, H5E_WALK_UPWARD, collect_error_description, &descriptions);
  const std::size_t shown = std::min<std::size_t>(descriptions.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) first_error_details += "; ";
    first_error_details += descriptions[i];
  }
  return 0;
}

void install_error_recorder() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Errors reach callers as leadrl::error values, never as stderr noise. If this
    // fails, HDF5 keeps printing but every failure is still returned as a value.
    (void)H5Eset_auto2(H5E_DEFAULT, record_error_stack, nullptr);
  });
}

// Runs `body(call)`, where body sets `call` to the name of the HDF5 function it is about
// to invoke; an H5::Exception becomes an error naming that call, the file, the object and
// the hint (ARCHITECTURE.md §8).
template <class Body>
status checked(const std::string& file, const std::string& object, const char* hint, Body&& body) {
  const char* call = "HDF5";
  first_error_details.clear();
  try {
    body(call);
    return status::success();
  } catch (const H5::Exception& e) {
    std::string details = first_error_details;
    first_error_details.clear();
    if (details.empty()) details = e.getDetailMsg();
    return fail(file + ": " + object + ": " + call + " failed: " + details + " (hint: " + hint +
                ")");
  }
}

// C API calls signal failure by a negative return; turn that into the exception the
// C++ API would throw so `checked` reports it the same way.
template <class T>
T c_check(T r, const char* function) {
  if (r < 0) throw H5::Exception(function, "returned a failure code");
  return r;
}

std::uint64_t fnv1a64_strings(const std::vector<std::string>& values) {
  std::uint64_t h = k_leadrl_checksum_offset;
  for (const std::string& s : values) {
    // The length goes in first (8 bytes, little-endian) so that {"ab","c"} and {"a","bc"}
    // differ.
    const std::uint64_t n = s.size();
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
    h = fnv1a64(s, fnv1a64_bytes(length, sizeof length, h));
  }
  return h;
}

H5::StrType utf8_vlen_string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

// Storage (file) and memory types of a tensor dtype; 16-bit floats are stored as uint16 bits.
struct h5_types {
  const H5::PredType& file;
  const H5::PredType& memory;
};

h5_types h5_types_of(dtype t) {
  using P = H5::PredType;
  switch (t) {
    case dtype::f32:
      return {P::IEEE_F32LE, P::NATIVE_FLOAT};
    case dtype::f16:
    case dtype::bf16:
      return {P::STD_U16LE, P::NATIVE_UINT16};
    case dtype::f64:
      return {P::IEEE_F64LE, P::NATIVE_DOUBLE};
    case dtype::i64:
      return {P::STD_I64LE, P::NATIVE_INT64};
    case dtype::i32:
      return {P::STD_I32LE, P::NATIVE_INT32};
    case dtype::u8:
      break;
  }
  return {P::STD_U8LE, P::NATIVE_UINT8};
}

// What a stored element type is, in the names this file uses in messages and listings.
struct stored_type {
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t size = 0;
  bool is_signed = false;
  bool is_vlen_string = false;

  std::string name() const {
    if (type_class == H5T_FLOAT) return "F" + std::to_string(size * 8);
    if (type_class == H5T_INTEGER) return (is_signed ? "I" : "U") + std::to_string(size * 8);
    if (type_class == H5T_STRING) return is_vlen_string ? "STR" : "FIXED_STR";
    return "OTHER";
  }
};

stored_type describe(const H5::DataSet& ds, const char*& call) {
  stored_type s;
  call = "H5Dget_type";
  H5::DataType t = ds.getDataType();
  call = "H5Tget_class";
  s.type_class = t.getClass();
  call = "H5Tget_size";
  s.size = t.getSize();
  if (s.type_class == H5T_INTEGER) {
    call = "H5Tget_sign";
    s.is_signed = ds.getIntType().getSign() == H5T_SGN_2;
  } else if (s.type_class == H5T_STRING) {
    call = "H5Tis_variable_str";
    s.is_vlen_string = ds.getStrType().isVariableStr();
  }
  return s;
}

// Throws unless attribute `a` holds exactly one element. Every attribute read here goes into
// one variable, and H5Aread writes as many elements as the attribute's dataspace holds: a
// corrupt file would have it write past that variable.
void require_one_element(const H5::Attribute& a, const char*& call) {
  call = "H5Aget_space";
  const hssize_t n = a.getSpace().getSimpleExtentNpoints();
  if (n != 1) {
    call = "H5Aread";
    throw H5::AttributeIException("H5Aread", "the attribute holds " + std::to_string(n) +
                                                 " elements; expected a single value");
  }
}

// Reads attribute `name` of `ds` into `value` (as `type`) when it exists; whether it does.
template <class T>
bool read_attribute_if_present(const H5::DataSet& ds, const char* name, const H5::DataType& type,
                               T& value, const char*& call) {
  call = "H5Aexists";
  if (!ds.attrExists(name)) return false;
  call = "H5Aopen";
  H5::Attribute a = ds.openAttribute(name);
  require_one_element(a, call);
  call = "H5Aread";
  if constexpr (std::is_same_v<T, std::string>) {
    a.read(type, value);
  } else {
    a.read(type, &value);
  }
  return true;
}

std::vector<hsize_t> dims_of(const H5::DataSet& ds, const char*& call) {
  call = "H5Dget_space";
  H5::DataSpace space = ds.getSpace();
  call = "H5Sget_simple_extent_ndims";
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) {
    call = "H5Sget_simple_extent_dims";
    space.getSimpleExtentDims(dims.data());
  }
  return dims;
}

std::size_t element_count(const std::vector<hsize_t>& dims) {
  std::size_t n = 1;
  for (hsize_t d : dims) n *= static_cast<std::size_t>(d);
  return n;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  return io::shape_text(std::vector<std::int64_t>(dims.begin(), dims.end()));
}

// Whether dataset `ds` passes its data through the deflate filter.
bool is_deflated(const H5::DataSet& ds, const char*& call) {
  call = "H5Dget_create_plist";
  const H5::DSetCreatPropList dcpl = ds.getCreatePlist();
  call = "H5Pget_nfilters";
  const int n = dcpl.getNfilters();
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t cd_count = 0;
    call = "H5Pget_filter2";
    if (H5Pget_filter2(dcpl.getId(), static_cast<unsigned>(i), &flags, &cd_count, nullptr, 0,
                       nullptr, &config) == H5Z_FILTER_DEFLATE) {
      return true;
    }
  }
  return false;
}

// Throws unless the extent `dims` of dataset `ds` describes no more bytes than `file` can
// hold for it; called before any buffer is sized from an extent, so that a corrupt or hostile
// dataspace (a dataset of terabytes in a file of kilobytes) is refused instead of allocated.
// The bound is the dataset's storage in the file, at most the file's size, times 1032 when
// the data is deflated (deflate's largest ratio). Dimensions must fit a tensor shape (int64).
void check_extent(const H5::H5File& file, const H5::DataSet& ds, const std::vector<hsize_t>& dims,
                  const char*& call) {
  call = "H5Dget_type";
  std::uint64_t bytes = ds.getDataType().getSize();
  bool overflow = false;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(INT64_MAX)) overflow = true;
    if (d != 0 && bytes > UINT64_MAX / d) overflow = true;
    bytes *= d;
  }
  if (bytes == 0 && !overflow) return;
  call = "H5Dget_storage_size";
  std::uint64_t stored = ds.getStorageSize();
  call = "H5Fget_filesize";
  stored = std::min<std::uint64_t>(stored, file.getFileSize());
  const std::uint64_t limit = is_deflated(ds, call) ? stored * 1032 : stored;
  if (overflow || bytes > limit) {
    call = "H5Dread";
    throw H5::DataSetIException(
        "H5Dread", "the extent " + shape_text(dims) + " describes " +
                       (overflow ? std::string("more than 2^64") : std::to_string(bytes)) +
                       " bytes, but the file stores " + std::to_string(stored) +
                       " bytes for it (corrupt file?)");
  }
}

// Chunk dimensions of at most about `target_bytes`: trailing dimensions whole while they
// fit, then an equal split of the next one; leading dimensions take 1. Zero-length dimensions
// take 1 (they are made extendible, which a chunk larger than the extent needs).
std::vector<hsize_t> chunk_dims_for(const std::vector<hsize_t>& dims, std::size_t element_size,
                                    std::size_t target_bytes) {
  std::vector<hsize_t> chunk(dims.size(), 1);
  std::size_t bytes = element_size;
  for (std::size_t k = dims.size(); k-- > 0;) {
    const hsize_t d = std::max<hsize_t>(dims[k], 1);
    if (bytes * d <= target_bytes) {
      chunk[k] = d;
      bytes *= d;
      continue;
    }
    // Split this dimension into equal parts: HDF5 stores an edge chunk at full size, so
    // ceil(d / n) wastes at most one row per chunk where the largest fit could waste
    // almost a whole chunk.
    const hsize_t most = std::max<hsize_t>(1, target_bytes / bytes);
    const hsize_t parts = (d + most - 1) / most;
    chunk[k] = (d + parts - 1) / parts;
    break;
  }
  return chunk;
}

bool valid_object_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (path == "/") return true;
  if (path.back() == '/') return false;
  return path.find("//") == std::string::npos;
}

std::string bad_path_message(const std::string& file, const std::string& path) {
  return file + ": object path '" + path +
         "': expected an absolute HDF5 path like /group/name (no empty components)";
}

}  // namespace

namespace {
std::atomic<bool> g_writes_unusable{false};
}  // namespace

bool hdf5_writes_unusable() {
  return g_writes_unusable.load();
}

struct hdf5_file::impl {
  std::string path;
  // On the heap so that a file HDF5 failed to close can be abandoned (see close()).
  std::unique_ptr<H5::H5File> file;
  hdf5_write_options options;
  bool writable = false;
  bool open = false;

  status require_open(const std::string& object) const {
    if (!open) return fail(path + ": " + object + ": the file is closed");
    return status::success();
  }

  status require_writable(const std::string& object) const {
    if (auto s = require_open(object); !s) return s;
    if (!writable) return fail(path + ": " + object + ": the file was opened read-only");
    return status::success();
  }

  bool exists(const std::string& object) const {
    if (!open || !valid_object_path(object)) return false;
    if (object == "/") return true;
    bool found = true;
    // H5Lexists fails rather than answering false when a parent is missing, so each
    // prefix is tested in turn.
    status s = checked(path, object, k_hint_read, [&](const char*& call) {
      std::size_t pos = 0;
      while (found) {
        pos = object.find('/', pos + 1);
        const std::string prefix = object.substr(0, pos);
        call = "H5Lexists";
        found = c_check(H5Lexists(file->getId(), prefix.c_str(), H5P_DEFAULT), "H5Lexists") > 0;
        if (pos == std::string::npos) break;
      }
    });
    return s.ok() && found;
  }

  // Fails unless the file is open and `object` is a valid path to an existing object.
  status require_dataset_path(const std::string& object) const {
    if (auto s = require_open(object); !s) return s;
    if (!valid_object_path(object)) return fail(bad_path_message(path, object));
    if (!exists(object)) return fail(path + ": " + object + ": no such dataset");
    return status::success();
  }

  // A dataset opened with its stored type and shape.
  struct opened_dataset {
    H5::DataSet ds;
    stored_type type;
    std::vector<hsize_t> dims;
  };

  // The dataset at `object`; nullopt when `object` is a group.
  std::optional<opened_dataset> open_dataset(const std::string& object, const char*& call) const {
    if (object_type(object, call) != H5O_TYPE_DATASET) return std::nullopt;
    call = "H5Dopen2";
    opened_dataset d{file->openDataSet(object), {}, {}};
    d.type = describe(d.ds, call);
    d.dims = dims_of(d.ds, call);
    check_extent(*file, d.ds, d.dims, call);
    return d;
  }

  // Opens the dataset at `object` and runs `read(dataset, call, mismatch)`, which sets
  // `mismatch` to refuse what it finds. Fails as require_dataset_path does, with
  // `group_message` when `object` is a group, when an HDF5 call fails, or with the
  // refusal after the file and object names.
  template <class Read>
  status read_dataset(const std::string& object, const char* group_message, Read&& read) const {
    if (auto s = require_dataset_path(object); !s) return s;
    std::string mismatch;
    status s = checked(path, object, k_hint_read, [&](const char*& call) {
      auto opened = open_dataset(object, call);
      if (!opened) {
        mismatch = group_message;
        return;
      }
      read(*opened, call, mismatch);
    });
    if (!s) return s;
    if (!mismatch.empty()) return fail(path + ": " + object + ": " + mismatch);
    return status::success();
  }

  H5O_type_t object_type(const std::string& object, const char*& call) const {
    call = "H5Oget_info_by_name";
    return file->childObjType(object);
  }

  // Runs `f` with the group or dataset at `object` opened as an H5::H5Object.
  template <class F>
  void with_object(const std::string& object, const char*& call, F&& f) const {
    const H5O_type_t t = object_type(object, call);
    if (t == H5O_TYPE_GROUP) {
      call = "H5Gopen2";
      H5::Group g = file->openGroup(object);
      f(static_cast<H5::H5Object&>(g));
    } else if (t == H5O_TYPE_DATASET) {
      call = "H5Dopen2";
      H5::DataSet d = file->openDataSet(object);
      f(static_cast<H5::H5Object&>(d));
    } else {
      throw H5::Exception("H5Oopen", "object is neither a group nor a dataset");
    }
  }

  status require_new_dataset(const std::string& object) const {
    if (auto s = require_writable(object); !s) return s;
    if (!valid_object_path(object) || object == "/") return fail(bad_path_message(path, object));
    if (exists(object)) {
      return fail(path + ": " + object + ": already exists (snapshot datasets are written once)");
    }
    return status::success();
  }

  // Creates a chunked, Fletcher32-checksummed dataset (and missing parent groups) and
  // writes `data`, laid out as `mem_type` elements, into it.
  status write_dataset(const std::string& object, const H5::DataType& file_type,
                       const H5::DataType& mem_type, const std::vector<hsize_t>& dims,
                       const void* data, std::size_t element_size, bool allow_compression,
                       const std::vector<std::pair<std::string, std::string>>& string_attrs,
                       const std::vector<std::pair<std::string, std::int64_t>>& int_attrs,
                       const std::uint64_t* string_checksum) {
    if (auto s = require_new_dataset(object); !s) return s;
    // HDF5 refuses filters on variable-length data ("not suitable for filters"), so string
    // datasets are stored contiguous and protected by their own checksum attribute.
    const bool filtered = string_checksum == nullptr;
    return checked(path, object, k_hint_write, [&](const char*& call) {
      std::vector<hsize_t> maxdims = dims;
      call = "H5Pcreate(H5P_DATASET_CREATE)";
      H5::DSetCreatPropList dcpl;
      if (filtered) {
        for (hsize_t& m : maxdims) {
          if (m == 0) m = H5S_UNLIMITED;
        }
        const std::vector<hsize_t> chunk =
            chunk_dims_for(dims, element_size, std::max<std::size_t>(options.chunk_bytes, 1));
        call = "H5Pset_chunk";
        dcpl.setChunk(static_cast<int>(chunk.size()), chunk.data());
        if (allow_compression && options.deflate_level > 0) {
          call = "H5Pset_shuffle";
          dcpl.setShuffle();
          call = "H5Pset_deflate";
          dcpl.setDeflate(std::min(options.deflate_level, 9));
        }
        // Last in the pipeline: the checksum covers the bytes as stored on disk.
        call = "H5Pset_fletcher32";
        dcpl.setFletcher32();
      }
      call = "H5Screate_simple";
      H5::DataSpace space(static_cast<int>(dims.size()), dims.data(), maxdims.data());
      call = "H5Pset_create_intermediate_group";
      H5::LinkCreatPropList lcpl;
      lcpl.setCreateIntermediateGroup(true);
      call = "H5Dcreate2";
      H5::DataSet ds =
          file->createDataSet(object, file_type, space, dcpl, H5::DSetAccPropList::DEFAULT, lcpl);
      if (element_count(dims) > 0) {
        call = "H5Dwrite";
        ds.write(data, mem_type);
      }
      H5::DataSpace scalar(H5S_SCALAR);
      for (const auto& [name, value] : string_attrs) {
        const H5::StrType st = utf8_vlen_string_type();
        call = "H5Acreate2";
        H5::Attribute a = ds.createAttribute(name, st, scalar);
        call = "H5Awrite";
        a.write(st, H5std_string(value));
      }
      for (const auto& [name, value] : int_attrs) {
        call = "H5Acreate2";
        H5::Attribute a = ds.createAttribute(name, H5::PredType::STD_I64LE, scalar);
        call = "H5Awrite";
        a.write(H5::PredType::NATIVE_INT64, &value);
      }
      if (string_checksum != nullptr) {
        call = "H5Acreate2";
        H5::Attribute a =
            ds.createAttribute(k_string_checksum_attribute, H5::PredType::STD_U64LE, scalar);
        call = "H5Awrite";
        a.write(H5::PredType::NATIVE_UINT64, string_checksum);
      }
    });
  }

  // Reads a numeric dataset of the given stored class/size/sign as a flat vector.
  // `want_scalar` additionally requires exactly one element (rank 0 or 1).
  template <class T>
  result<std::vector<T>> read_numeric(const std::string& object, H5T_class_t want_class,
                                      bool want_signed, const H5::PredType& mem_type,
                                      const char* want_name, bool want_scalar) const {
    std::vector<T> out;
    status s = read_dataset(
        object, "expected a dataset, found a group",
        [&](const opened_dataset& d, const char*& call, std::string& mismatch) {
          const auto& [ds, st, dims] = d;
          const bool type_ok = st.type_class == want_class && st.size == sizeof(T) &&
                               (want_class != H5T_INTEGER || st.is_signed == want_signed);
          const bool rank_ok =
              want_scalar ? (element_count(dims) == 1 && dims.size() <= 1) : dims.size() == 1;
          if (!type_ok || !rank_ok) {
            mismatch = std::string("expected ") + (want_scalar ? "a scalar " : "a 1-D ") +
                       want_name + " dataset, found " + st.name() + " of shape " + shape_text(dims);
            return;
          }
          out.resize(element_count(dims));
          if (!out.empty()) {
            call = "H5Dread";
            ds.read(out.data(), mem_type);
          }
        });
    if (!s) return s.error();
    return out;
  }

  result<std::vector<std::string>> read_string_array(const std::string& object,
                                                     bool want_scalar) const {
    std::vector<std::string> out;
    bool has_checksum = false;
    std::uint64_t stored_checksum = 0;
    status s = read_dataset(
        object, "expected a dataset, found a group",
        [&](const opened_dataset& d, const char*& call, std::string& mismatch) {
          const auto& [ds, st, dims] = d;
          const bool rank_ok =
              want_scalar ? (element_count(dims) == 1 && dims.size() <= 1) : dims.size() == 1;
          if (!st.is_vlen_string || !rank_ok) {
            mismatch = std::string("expected ") + (want_scalar ? "a scalar" : "a 1-D") +
                       " variable-length string dataset, found " + st.name() + " of shape " +
                       shape_text(dims);
            return;
          }
          has_checksum = read_attribute_if_present(
              ds, k_string_checksum_attribute, H5::PredType::NATIVE_UINT64, stored_checksum, call);
          const std::size_t n = element_count(dims);
          if (n == 0) return;
          const H5::StrType mem = utf8_vlen_string_type();
          std::vector<char*> buffer(n, nullptr);
          call = "H5Dread";
          ds.read(buffer.data(), mem);
          out.reserve(n);
          for (char* p : buffer) out.emplace_back(p == nullptr ? "" : p);
          call = "H5Dget_space";
          H5::DataSpace space = ds.getSpace();
          call = "H5Dvlen_reclaim";
          H5::DataSet::vlenReclaim(buffer.data(), mem, space);
        });
    if (!s) return s.error();
    if (has_checksum) {
      const std::uint64_t computed = fnv1a64_strings(out);
      if (computed != stored_checksum) {
        return fail(path + ": " + object +
                    ": string checksum mismatch (the text changed after it was written; " +
                    "hint: " + k_hint_read + ")");
      }
    }
    return out;
  }

  // Replaces attribute `name` on `object` with what `create_and_write(obj, call)` makes.
  template <class F>
  status set_attribute(const std::string& object, const std::string& name, F&& create_and_write) {
    if (auto s = require_writable(object); !s) return s;
    if (!exists(object))
      return fail(path + ": " + object + ": no such object for attribute " + name);
    return checked(path, object + "@" + name, k_hint_write, [&](const char*& call) {
      with_object(object, call, [&](H5::H5Object& obj) {
        call = "H5Aexists";
        if (obj.attrExists(name)) {
          call = "H5Adelete";
          obj.removeAttr(name);
        }
        create_and_write(obj, call);
      });
    });
  }

  bool has_attribute(const std::string& object, const std::string& name) const {
    if (!exists(object)) return false;
    bool found = false;
    status s = checked(path, object + "@" + name, k_hint_read, [&](const char*& call) {
      with_object(object, call, [&](H5::H5Object& obj) {
        call = "H5Aexists";
        found = obj.attrExists(name);
      });
    });
    return s.ok() && found;
  }

  // Opens attribute `name` of `object`, checks its class and hands it to `read(a, call)`.
  template <class F>
  status read_attribute(const std::string& object, const std::string& name, H5T_class_t want_class,
                        const char* want_name, F&& read) const {
    if (auto s = require_open(object); !s) return s;
    if (!has_attribute(object, name)) {
      return fail(path + ": " + object + ": no attribute '" + name + "'");
    }
    bool class_ok = true;
    status s = checked(path, object + "@" + name, k_hint_read, [&](const char*& call) {
      with_object(object, call, [&](H5::H5Object& obj) {
        call = "H5Aopen";
        H5::Attribute a = obj.openAttribute(name);
        call = "H5Aget_type";
        class_ok = a.getTypeClass() == want_class;
        if (class_ok) {
          require_one_element(a, call);
          read(a, call);
        }
      });
    });
    if (!s) return s;
    if (!class_ok) {
      return fail(path + ": " + object + "@" + name + ": expected " + want_name + " attribute");
    }
    return status::success();
  }

  // Reads the tensor at `object`: learns its dtype and shape, asks `destination(type, shape,
  // byte_count, refusal)` where the bytes go (it sets `refusal` to refuse), then reads.
  template <class Destination>
  status read_tensor_with(const std::string& object, Destination&& destination) const {
    return read_dataset(
        object, "expected a tensor dataset, found a group",
        [&](const opened_dataset& d, const char*& call, std::string& mismatch) {
          const auto& [ds, st, dims] = d;
          std::string dtype_text;
          if (!read_attribute_if_present(ds, k_dtype_attribute, utf8_vlen_string_type(), dtype_text,
                                         call)) {
            if (st.type_class == H5T_FLOAT && (st.size == 4 || st.size == 8)) {
              dtype_text = st.size == 4 ? "F32" : "F64";
            } else if (st.type_class == H5T_INTEGER && st.is_signed &&
                       (st.size == 4 || st.size == 8)) {
              dtype_text = st.size == 4 ? "I32" : "I64";
            } else if (st.type_class == H5T_INTEGER && !st.is_signed && st.size == 1) {
              dtype_text = "U8";
            } else {
              mismatch =
                  "no dtype attribute, and stored type " + st.name() + " names no tensor dtype";
              return;
            }
          }
          auto t = parse_tensor_dtype(dtype_text);
          if (!t) {
            mismatch = "dtype attribute: " + t.error().message();
            return;
          }
          const H5T_class_t want_class =
              (*t == dtype::f32 || *t == dtype::f64) ? H5T_FLOAT : H5T_INTEGER;
          if (st.type_class != want_class || st.size != dtype_size(*t)) {
            mismatch =
                "dtype attribute says " + dtype_text + " but the stored type is " + st.name();
            return;
          }
          std::int64_t r = -1;
          const bool rank0 = read_attribute_if_present(ds, k_tensor_rank_attribute,
                                                       H5::PredType::NATIVE_INT64, r, call) &&
                             r == 0 && element_count(dims) == 1;
          std::vector<std::int64_t> shape;
          if (!rank0) {
            for (hsize_t d : dims) shape.push_back(static_cast<std::int64_t>(d));
          }
          const std::size_t byte_count = element_count(dims) * dtype_size(*t);
          void* data = destination(*t, shape, byte_count, mismatch);
          if (!mismatch.empty() || byte_count == 0) return;
          call = "H5Dread";
          ds.read(data, h5_types_of(*t).memory);
        });
  }

  status write_strings(const std::string& object, const std::vector<std::string>& values) {
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i].find('\0') != std::string::npos) {
        return fail(path + ": " + object + "[" + std::to_string(i) +
                    "]: expected text without NUL bytes (HDF5 strings end at NUL)");
      }
      pointers.push_back(values[i].c_str());
    }
    const std::uint64_t checksum = fnv1a64_strings(values);
    const H5::StrType st = utf8_vlen_string_type();
    return write_dataset(object, st, st, {values.size()}, pointers.data(), sizeof(char*), false, {},
                         {}, &checksum);
  }
};

hdf5_file::hdf5_file(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
hdf5_file::hdf5_file(hdf5_file&&) noexcept = default;
hdf5_file& hdf5_file::operator=(hdf5_file&&) noexcept = default;
hdf5_file::~hdf5_file() {
  if (impl_ && impl_->open) (void)close();
}

result<hdf5_file> hdf5_file::create(const std::string& path, hdf5_write_options options) {
  install_error_recorder();
  auto p = std::make_unique<impl>();
  p->path = path;
  p->options = options;
  status s = checked(path, "/", k_hint_write, [&](const char*& call) {
    call = "H5Pcreate(H5P_FILE_ACCESS)";
    H5::FileAccPropList fapl;
    // The 1.10 format checksums object headers and chunk indexes; h5py and h5dump built
    // on HDF5 >= 1.10 read it.
    call = "H5Pset_libver_bounds";
    fapl.setLibverBounds(H5F_LIBVER_V110, H5F_LIBVER_V110);
    call = "H5Fcreate";
    p->file =
        std::make_unique<H5::H5File>(path, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, fapl);
  });
  if (!s) return s.error();
  p->writable = true;
  p->open = true;
  return hdf5_file(std::move(p));
}

result<hdf5_file> hdf5_file::open(const std::string& path) {
  install_error_recorder();
  auto p = std::make_unique<impl>();
  p->path = path;
  status s = checked(path, "/", k_hint_read, [&](const char*& call) {
    call = "H5Fopen";
    p->file = std::make_unique<H5::H5File>(path, H5F_ACC_RDONLY);
  });
  if (!s) return s.error();
  p->open = true;
  return hdf5_file(std::move(p));
}

status hdf5_file::close() {
  if (!impl_ || !impl_->open) return status::success();
  impl_->open = false;
  const char* hint = impl_->writable ? k_hint_write : k_hint_read;
  return checked(impl_->path, "/", hint, [&](const char*& call) {
    // A handle left open would keep the file open after H5Fclose, and a
    // renamed snapshot could then still change; treat it as a failure.
    call = "H5Fget_obj_count";
    const ssize_t open_objects = c_check(
        H5Fget_obj_count(impl_->file->getId(), H5F_OBJ_ALL | H5F_OBJ_LOCAL), "H5Fget_obj_count");
    if (open_objects > 1) {
      throw H5::Exception("H5Fclose",
                          std::to_string(open_objects - 1) + " objects of the file are still open");
    }
    call = "H5Fclose";
    try {
      impl_->file->close();
    } catch (const H5::Exception&) {
      // HDF5 1.10 cannot close again a file whose H5Fclose failed (a full disk, an I/O
      // error): a second H5Fclose, which H5File's destructor would make, crashes. The
      // object is abandoned instead (a small leak), and no HDF5 write is trusted again.
      (void)impl_->file.release();
      g_writes_unusable.store(true);
      throw;
    }
  });
}

const std::string& hdf5_file::path() const {
  return impl_->path;
}

status hdf5_file::create_group(const std::string& group_path) {
  if (auto s = impl_->require_writable(group_path); !s) return s;
  if (!valid_object_path(group_path)) return fail(bad_path_message(impl_->path, group_path));
  if (group_path == "/" || is_group(group_path)) return status::success();
  if (impl_->exists(group_path)) {
    return fail(impl_->path + ": " + group_path + ": exists and is not a group");
  }
  return checked(impl_->path, group_path, k_hint_write, [&](const char*& call) {
    call = "H5Pset_create_intermediate_group";
    H5::LinkCreatPropList lcpl;
    lcpl.setCreateIntermediateGroup(true);
    call = "H5Gcreate2";
    const hid_t g = c_check(H5Gcreate2(impl_->file->getId(), group_path.c_str(), lcpl.getId(),
                                       H5P_DEFAULT, H5P_DEFAULT),
                            "H5Gcreate2");
    call = "H5Gclose";
    c_check(H5Gclose(g), "H5Gclose");
  });
}

bool hdf5_file::exists(const std::string& object_path) const {
  return impl_ && impl_->exists(object_path);
}

bool hdf5_file::is_group(const std::string& object_path) const {
  if (!exists(object_path)) return false;
  bool group = false;
  status s = checked(impl_->path, object_path, k_hint_read, [&](const char*& call) {
    group = impl_->object_type(object_path, call) == H5O_TYPE_GROUP;
  });
  return s.ok() && group;
}

result<std::vector<std::string>> hdf5_file::list_children(const std::string& group_path) const {
  if (auto s = impl_->require_open(group_path); !s) return s.error();
  if (!is_group(group_path)) return fail(impl_->path + ": " + group_path + ": no such group");
  std::vector<std::string> names;
  status s = checked(impl_->path, group_path, k_hint_read, [&](const char*& call) {
    call = "H5Gopen2";
    H5::Group g = impl_->file->openGroup(group_path);
    call = "H5Gget_info";
    const hsize_t n = g.getNumObjs();
    for (hsize_t i = 0; i < n; ++i) {
      call = "H5Lget_name_by_idx";
      names.push_back(g.getObjnameByIdx(i));
    }
  });
  if (!s) return s.error();
  std::sort(names.begin(), names.end());
  return names;
}

result<std::vector<hdf5_dataset_info>> hdf5_file::list_datasets(
    const std::string& group_path) const {
  // Hard links may form a cycle (a group linked below itself) in a corrupt or hostile file,
  // and the walk below would then recurse forever. Snapshots nest 4 levels.
  constexpr std::ptrdiff_t max_depth = 32;
  if (std::count(group_path.begin(), group_path.end(), '/') > max_depth) {
    return fail(impl_->path + ": " + group_path.substr(0, 200) + "...: groups nested deeper than " +
                std::to_string(max_depth) + " levels (a link cycle?)");
  }
  auto children = list_children(group_path);
  if (!children) return children.error();
  std::vector<hdf5_dataset_info> out;
  for (const std::string& name : *children) {
    const std::string child = group_path == "/" ? "/" + name : group_path + "/" + name;
    if (is_group(child)) {
      auto below = list_datasets(child);
      if (!below) return below.error();
      out.insert(out.end(), below->begin(), below->end());
      continue;
    }
    hdf5_dataset_info info;
    info.path = child;
    status s = checked(impl_->path, child, k_hint_read, [&](const char*& call) {
      if (impl_->object_type(child, call) != H5O_TYPE_DATASET) return;
      call = "H5Dopen2";
      H5::DataSet ds = impl_->file->openDataSet(child);
      info.element_type = describe(ds, call).name();
      read_attribute_if_present(ds, k_dtype_attribute, utf8_vlen_string_type(), info.element_type,
                                call);
      for (hsize_t d : dims_of(ds, call)) info.shape.push_back(static_cast<std::int64_t>(d));
    });
    if (!s) return s.error();
    if (!info.element_type.empty()) out.push_back(std::move(info));
  }
  return out;
}

status hdf5_file::verify_all_datasets() const {
  auto datasets = list_datasets("/");
  if (!datasets) return datasets.error();
  std::vector<unsigned char> buffer;
  for (const hdf5_dataset_info& info : *datasets) {
    if (info.element_type == "STR") {
      auto strings = impl_->read_string_array(info.path, false);
      if (!strings) return strings.error();
      continue;
    }
    status s = checked(impl_->path, info.path, k_hint_read, [&](const char*& call) {
      call = "H5Dopen2";
      H5::DataSet ds = impl_->file->openDataSet(info.path);
      call = "H5Dget_type";
      H5::DataType t = ds.getDataType();
      const std::vector<hsize_t> dims = dims_of(ds, call);
      check_extent(*impl_->file, ds, dims, call);
      const std::size_t n = element_count(dims) * t.getSize();
      if (n == 0) return;
      buffer.resize(n);
      call = "H5Dread";
      ds.read(buffer.data(), t);
    });
    if (!s) return s;
  }
  return status::success();
}

status hdf5_file::write_double(const std::string& path, double value) {
  return impl_->write_dataset(path, H5::PredType::IEEE_F64LE, H5::PredType::NATIVE_DOUBLE, {1},
                              &value, sizeof value, false, {}, {}, nullptr);
}

status hdf5_file::write_int64(const std::string& path, std::int64_t value) {
  return impl_->write_dataset(path, H5::PredType::STD_I64LE, H5::PredType::NATIVE_INT64, {1},
                              &value, sizeof value, false, {}, {}, nullptr);
}

status hdf5_file::write_uint64(const std::string& path, std::uint64_t value) {
  return impl_->write_dataset(path, H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64, {1},
                              &value, sizeof value, false, {}, {}, nullptr);
}

status hdf5_file::write_bool(const std::string& path, bool value) {
  const std::uint8_t byte = value ? 1 : 0;
  return impl_->write_dataset(path, H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, {1}, &byte,
                              1, false, {}, {}, nullptr);
}

status hdf5_file::write_string(const std::string& path, std::string_view value) {
  return impl_->write_strings(path, {std::string(value)});
}

status hdf5_file::write_doubles(const std::string& path, const std::vector<double>& values) {
  return impl_->write_dataset(path, H5::PredType::IEEE_F64LE, H5::PredType::NATIVE_DOUBLE,
                              {values.size()}, values.data(), sizeof(double), true, {}, {},
                              nullptr);
}

status hdf5_file::write_int64s(const std::string& path, const std::vector<std::int64_t>& values) {
  return impl_->write_dataset(path, H5::PredType::STD_I64LE, H5::PredType::NATIVE_INT64,
                              {values.size()}, values.data(), sizeof(std::int64_t), true, {}, {},
                              nullptr);
}

status hdf5_file::write_bytes(const std::string& path, const std::vector<std::uint8_t>& values) {
  return impl_->write_dataset(path, H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8,
                              {values.size()}, values.data(), 1, true, {}, {}, nullptr);
}

status hdf5_file::write_strings(const std::string& path, const std::vector<std::string>& values) {
  return impl_->write_strings(path, values);
}

status hdf5_file::write_tensor(const std::string& path, const tensor_blob& tensor) {
  return write_tensor(path, tensor.type, tensor.shape, tensor.bytes.data(), tensor.bytes.size());
}

status hdf5_file::write_tensor(const std::string& path, dtype type,
                               const std::vector<std::int64_t>& shape, const void* data,
                               std::size_t byte_count) {
  std::vector<hsize_t> dims;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return fail(impl_->path + ": " + path + ": shape[" + std::to_string(i) +
                  "]: expected a size >= 0, got " + std::to_string(shape[i]));
    }
    dims.push_back(static_cast<hsize_t>(shape[i]));
  }
  const std::size_t expected = element_count(dims) * dtype_size(type);
  if (byte_count != expected) {
    return fail(impl_->path + ": " + path + ": a " + std::string(dtype_name(type)) +
                " tensor of shape " + shape_text(dims) + " needs " + std::to_string(expected) +
                " bytes, got " + std::to_string(byte_count));
  }
  std::vector<std::pair<std::string, std::int64_t>> int_attrs;
  if (dims.empty()) {
    dims.push_back(1);
    int_attrs.emplace_back(k_tensor_rank_attribute, 0);
  }
  return impl_->write_dataset(
      path, h5_types_of(type).file, h5_types_of(type).memory, dims, data, dtype_size(type), true,
      {{k_dtype_attribute, std::string(dtype_name(type))}}, int_attrs, nullptr);
}

result<double> hdf5_file::read_double(const std::string& path) const {
  auto v =
      impl_->read_numeric<double>(path, H5T_FLOAT, true, H5::PredType::NATIVE_DOUBLE, "F64", true);
  if (!v) return v.error();
  return v->front();
}

result<std::int64_t> hdf5_file::read_int64(const std::string& path) const {
  auto v = impl_->read_numeric<std::int64_t>(path, H5T_INTEGER, true, H5::PredType::NATIVE_INT64,
                                             "I64", true);
  if (!v) return v.error();
  return v->front();
}

result<std::uint64_t> hdf5_file::read_uint64(const std::string& path) const {
  auto v = impl_->read_numeric<std::uint64_t>(path, H5T_INTEGER, false, H5::PredType::NATIVE_UINT64,
                                              "U64", true);
  if (!v) return v.error();
  return v->front();
}

result<bool> hdf5_file::read_bool(const std::string& path) const {
  auto v = impl_->read_numeric<std::uint8_t>(path, H5T_INTEGER, false, H5::PredType::NATIVE_UINT8,
                                             "U8", true);
  if (!v) return v.error();
  if (v->front() > 1) {
    return fail(impl_->path + ": " + path + ": expected a boolean 0 or 1, got " +
                std::to_string(v->front()));
  }
  return v->front() == 1;
}

result<std::string> hdf5_file::read_string(const std::string& path) const {
  auto v = impl_->read_string_array(path, true);
  if (!v) return v.error();
  return v->front();
}

result<std::vector<double>> hdf5_file::read_doubles(const std::string& path) const {
  return impl_->read_numeric<double>(path, H5T_FLOAT, true, H5::PredType::NATIVE_DOUBLE, "F64",
                                     false);
}

result<std::vector<std::int64_t>> hdf5_file::read_int64s(const std::string& path) const {
  return impl_->read_numeric<std::int64_t>(path, H5T_INTEGER, true, H5::PredType::NATIVE_INT64,
                                           "I64", false);
}

result<std::vector<std::uint8_t>> hdf5_file::read_bytes(const std::string& path) const {
  return impl_->read_numeric<std::uint8_t>(path, H5T_INTEGER, false, H5::PredType::NATIVE_UINT8,
                                           "U8", false);
}

result<std::vector<std::string>> hdf5_file::read_strings(const std::string& path) const {
  return impl_->read_string_array(path, false);
}

namespace {

std::string tensor_description(dtype t, const std::vector<std::int64_t>& shape) {
  return std::string(dtype_name(t)) + " " + io::shape_text(shape);
}

}  // namespace

result<tensor_blob> hdf5_file::read_tensor(const std::string& path) const {
  tensor_blob out;
  status s = impl_->read_tensor_with(path,
                                     [&](dtype t, const std::vector<std::int64_t>& shape,
                                         std::size_t byte_count, std::string&) -> void* {
                                       out.type = t;
                                       out.shape = shape;
                                       out.bytes.resize(byte_count);
                                       return out.bytes.data();
                                     });
  if (!s) return s.error();
  return out;
}

status hdf5_file::read_tensor_into(const std::string& path, dtype type,
                                   const std::vector<std::int64_t>& shape, void* data,
                                   std::size_t byte_count) const {
  return impl_->read_tensor_with(
      path,
      [&](dtype stored, const std::vector<std::int64_t>& stored_shape, std::size_t stored_bytes,
          std::string& refusal) -> void* {
        if (stored != type || stored_shape != shape || stored_bytes != byte_count) {
          refusal = "expected a tensor " + tensor_description(type, shape) + " (" +
                    std::to_string(byte_count) + " bytes), the file holds " +
                    tensor_description(stored, stored_shape);
          return nullptr;
        }
        return data;
      });
}

status hdf5_file::set_string_attribute(const std::string& object_path, const std::string& name,
                                       std::string_view value) {
  return impl_->set_attribute(object_path, name, [&](H5::H5Object& obj, const char*& call) {
    const H5::StrType st = utf8_vlen_string_type();
    call = "H5Acreate2";
    H5::Attribute a = obj.createAttribute(name, st, H5::DataSpace(H5S_SCALAR));
    call = "H5Awrite";
    a.write(st, H5std_string(value));
  });
}

status hdf5_file::set_int64_attribute(const std::string& object_path, const std::string& name,
                                      std::int64_t value) {
  return impl_->set_attribute(object_path, name, [&](H5::H5Object& obj, const char*& call) {
    call = "H5Acreate2";
    H5::Attribute a = obj.createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR));
    call = "H5Awrite";
    a.write(H5::PredType::NATIVE_INT64, &value);
  });
}

status hdf5_file::set_double_attribute(const std::string& object_path, const std::string& name,
                                       double value) {
  return impl_->set_attribute(object_path, name, [&](H5::H5Object& obj, const char*& call) {
    call = "H5Acreate2";
    H5::Attribute a =
        obj.createAttribute(name, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
    call = "H5Awrite";
    a.write(H5::PredType::NATIVE_DOUBLE, &value);
  });
}

result<std::vector<std::pair<std::string, std::string>>> hdf5_file::list_attributes(
    const std::string& object_path) const {
  if (auto s = impl_->require_open(object_path); !s) return s.error();
  if (!impl_->exists(object_path)) {
    return fail(impl_->path + ": " + object_path + ": no such object");
  }
  std::vector<std::pair<std::string, std::string>> out;
  status s = checked(impl_->path, object_path, k_hint_read, [&](const char*& call) {
    impl_->with_object(object_path, call, [&](H5::H5Object& obj) {
      call = "H5Oget_info";
      const int n = obj.getNumAttrs();
      for (int i = 0; i < n; ++i) {
        call = "H5Aopen_by_idx";
        H5::Attribute a = obj.openAttribute(static_cast<unsigned>(i));
        stored_type st;
        call = "H5Aget_type";
        H5::DataType t = a.getDataType();
        st.type_class = t.getClass();
        st.size = t.getSize();
        if (st.type_class == H5T_INTEGER) {
          call = "H5Tget_sign";
          st.is_signed = a.getIntType().getSign() == H5T_SGN_2;
        } else if (st.type_class == H5T_STRING) {
          call = "H5Tis_variable_str";
          st.is_vlen_string = a.getStrType().isVariableStr();
        }
        call = "H5Aget_name";
        out.emplace_back(a.getName(), st.name());
      }
    });
  });
  if (!s) return s.error();
  std::sort(out.begin(), out.end());
  return out;
}

bool hdf5_file::has_attribute(const std::string& object_path, const std::string& name) const {
  return impl_ && impl_->has_attribute(object_path, name);
}

result<std::string> hdf5_file::read_string_attribute(const std::string& object_path,
                                                     const std::string& name) const {
  std::string out;
  status s = impl_->read_attribute(object_path, name, H5T_STRING, "a string",
                                   [&](H5::Attribute& a, const char*& call) {
                                     call = "H5Aread";
                                     a.read(a.getStrType(), out);
                                   });
  if (!s) return s.error();
  return out;
}

result<std::int64_t> hdf5_file::read_int64_attribute(const std::string& object_path,
                                                     const std::string& name) const {
  std::int64_t out = 0;
  status s = impl_->read_attribute(object_path, name, H5T_INTEGER, "an integer",
                                   [&](H5::Attribute& a, const char*& call) {
                                     call = "H5Aread";
                                     a.read(H5::PredType::NATIVE_INT64, &out);
                                   });
  if (!s) return s.error();
  return out;
}

result<double> hdf5_file::read_double_attribute(const std::string& object_path,
                                                const std::string& name) const {
  double out = 0;
  status s = impl_->read_attribute(object_path, name, H5T_FLOAT, "a floating-point",
                                   [&](H5::Attribute& a, const char*& call) {
                                     call = "H5Aread";
                                     a.read(H5::PredType::NATIVE_DOUBLE, &out);
                                   });
  if (!s) return s.error();
  return out;
}

}  // namespace leadrl::io
