#include "io/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/json_nesting.hpp"
#include "io/tensor_blob.hpp"  // shape_text

namespace leadrl::io {
namespace {

using json = nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we, before allocating.
constexpr uint64_t max_header_bytes = 100ull * 1000 * 1000;

struct dtype_entry {
  st_dtype dtype;
  const char* name;
  size_t size;
};
constexpr dtype_entry dtype_table[] = {
    {st_dtype::BOOL, "BOOL", 1}, {st_dtype::U8, "U8", 1},   {st_dtype::I8, "I8", 1},
    {st_dtype::I16, "I16", 2},   {st_dtype::U16, "U16", 2}, {st_dtype::F16, "F16", 2},
    {st_dtype::BF16, "BF16", 2}, {st_dtype::I32, "I32", 4}, {st_dtype::U32, "U32", 4},
    {st_dtype::F32, "F32", 4},   {st_dtype::F64, "F64", 8}, {st_dtype::I64, "I64", 8},
    {st_dtype::U64, "U64", 8}};

// a * b, failing on overflow.
bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > UINT64_MAX / a) return true;
  *out = a * b;
  return false;
}

std::string json_escape(const std::string& s) {
  return json(s).dump();
}

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

size_t dtype_size(st_dtype dtype) {
  for (const auto& e : dtype_table)
    if (e.dtype == dtype) return e.size;
  return 0;
}

const char* dtype_name(st_dtype dtype) {
  for (const auto& e : dtype_table)
    if (e.dtype == dtype) return e.name;
  return "?";
}

result<st_dtype> parse_dtype(const std::string& name) {
  for (const auto& e : dtype_table)
    if (name == e.name) return e.dtype;
  return fail(
      "unknown dtype \"" + name +
      "\" (expected one of BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)");
}

uint64_t tensor_info::numel() const {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

struct safetensors_file::mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~mapping() {
    if (addr != nullptr && addr != MAP_FAILED) ::munmap(addr, size);
  }
};

result<safetensors_file> safetensors_file::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(path + ": cannot stat: " + std::strerror(errno));
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) {
    ::close(fd);
    return fail(path + ": file is " + std::to_string(file_size) +
                " bytes; expected at least 8 (the header length)");
  }
  auto map = std::make_shared<mapping>();
  map->size = file_size;
  map->addr = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map->addr == MAP_FAILED) return fail(path + ": cannot map: " + std::strerror(errno));
  const auto* bytes = static_cast<const unsigned char*>(map->addr);

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > max_header_bytes) {
    return fail(path + ": header length " + std::to_string(header_len) +
                " exceeds the 100 MB limit of the format (corrupt file?)");
  }
  if (header_len > file_size - 8) {
    return fail(path + ": header length " + std::to_string(header_len) + " exceeds the " +
                std::to_string(file_size - 8) + " bytes after the length field (truncated file?)");
  }
  const char* hbegin = reinterpret_cast<const char*>(bytes + 8);
  if (header_len == 0 || hbegin[0] != '{') {
    return fail(path + ": header does not start with '{' (not a safetensors file?)");
  }
  // Error messages dump() the values they reject, which recurses once per nesting level.
  if (auto s = check_json_nesting(std::string_view(hbegin, header_len), path + ": header"); !s)
    return s.error();
  json header = json::parse(hbegin, hbegin + header_len, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return fail(path + ": header is not a JSON object");
  }

  safetensors_file f;
  f.path_ = path;
  f.map_ = map;
  f.data_start_ = 8 + header_len;
  const uint64_t data_size = file_size - f.data_start_;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& e = it.value();
    if (name == "__metadata__") {
      if (!e.is_object()) return fail(path + ": __metadata__: expected an object of strings");
      for (auto m = e.begin(); m != e.end(); ++m) {
        if (!m.value().is_string()) {
          return fail(path + ": __metadata__ key '" + m.key() + "': expected a string value");
        }
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = path + ": tensor '" + name + "'";
    if (!e.is_object()) return fail(where + ": expected an object {dtype, shape, data_offsets}");
    auto dt = e.find("dtype");
    auto sh = e.find("shape");
    auto off = e.find("data_offsets");
    if (dt == e.end() || !dt->is_string()) return fail(where + ": expected a string 'dtype'");
    if (sh == e.end() || !sh->is_array()) return fail(where + ": expected a list 'shape'");
    if (off == e.end() || !off->is_array() || off->size() != 2) {
      return fail(where + ": expected 'data_offsets' as [begin, end]");
    }
    tensor_info info;
    info.name = name;
    auto parsed = parse_dtype(dt->get<std::string>());
    if (!parsed) return parsed.error().with_context(where);
    info.dtype = *parsed;
    uint64_t numel = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) {
        return fail(where + ": shape " + sh->dump() + ": expected non-negative integers");
      }
      uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(INT64_MAX) || mul_overflows(numel, dim, &numel)) {
        return fail(where + ": shape " + sh->dump() + " overflows");
      }
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    for (const auto& o : *off) {
      if (!o.is_number_unsigned()) {
        return fail(where + ": data_offsets " + off->dump() + ": expected non-negative integers");
      }
    }
    info.begin = (*off)[0].get<uint64_t>();
    info.end = (*off)[1].get<uint64_t>();
    if (info.begin > info.end) {
      return fail(where + ": data_offsets " + off->dump() + ": begin is after end");
    }
    if (info.end > data_size) {
      return fail(where + ": data_offsets " + off->dump() + " end beyond the data section of " +
                  std::to_string(data_size) + " bytes (truncated file?)");
    }
    uint64_t expected = 0;
    if (mul_overflows(numel, dtype_size(info.dtype), &expected) || expected != info.nbytes()) {
      return fail(where + ": data_offsets " + off->dump() + " span " +
                  std::to_string(info.nbytes()) + " bytes; expected " + std::to_string(numel) +
                  " x " + std::to_string(dtype_size(info.dtype)) + " (" + dtype_name(info.dtype) +
                  ", shape " + shape_text(info.shape) + ")");
    }
    f.tensors_.push_back(std::move(info));
  }

  std::sort(f.tensors_.begin(), f.tensors_.end(), [](const tensor_info& a, const tensor_info& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  // The entries must tile the data section exactly: no overlap, no gap, nothing after.
  uint64_t cursor = 0;
  for (size_t i = 0; i < f.tensors_.size(); ++i) {
    const auto& t = f.tensors_[i];
    if (t.begin < cursor) {
      return fail(path + ": tensor '" + t.name + "': data_offsets [" + std::to_string(t.begin) +
                  "," + std::to_string(t.end) + "] overlap tensor '" + f.tensors_[i - 1].name +
                  "'");
    }
    if (t.begin > cursor) {
      return fail(path + ": tensor '" + t.name + "': data_offsets begin " +
                  std::to_string(t.begin) + "; expected " + std::to_string(cursor) +
                  " (gap after the previous tensor)");
    }
    cursor = t.end;
    f.index_[t.name] = i;
  }
  if (cursor != data_size) {
    return fail(path + ": data section is " + std::to_string(data_size) +
                " bytes but the header describes " + std::to_string(cursor));
  }
  return f;
}

const tensor_info* safetensors_file::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const unsigned char* safetensors_file::data(const tensor_info& info) const {
  return static_cast<const unsigned char*>(map_->addr) + data_start_ + info.begin;
}

result<safetensors_checkpoint> safetensors_checkpoint::open_file(const std::string& path) {
  auto f = safetensors_file::open(path);
  if (!f) return f.error();
  safetensors_checkpoint c;
  c.files_.push_back(std::move(*f));
  c.metadata_ = c.files_[0].metadata();
  for (const auto& t : c.files_[0].tensors()) c.where_[t.name] = {0, &t};
  return c;
}

result<safetensors_checkpoint> safetensors_checkpoint::open_dir(const std::string& dir) {
  const std::string index_path = dir + "/model.safetensors.index.json";
  const std::string single = dir + "/model.safetensors";
  if (!is_file(index_path)) {
    if (!is_file(single)) {
      return fail(dir + ": no model.safetensors or model.safetensors.index.json");
    }
    return open_file(single);
  }
  FILE* fp = std::fopen(index_path.c_str(), "rb");
  if (fp == nullptr) return fail(index_path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) text.append(buf, n);
  std::fclose(fp);
  if (auto s = check_json_nesting(text, index_path); !s) return s.error();
  json index = json::parse(text, nullptr, false);
  if (index.is_discarded() || !index.is_object()) return fail(index_path + ": not a JSON object");
  auto wm = index.find("weight_map");
  if (wm == index.end() || !wm->is_object()) {
    return fail(index_path + ": expected an object 'weight_map' {tensor: file}");
  }
  safetensors_checkpoint c;
  if (auto md = index.find("metadata"); md != index.end() && md->is_object()) {
    for (auto m = md->begin(); m != md->end(); ++m) {
      c.metadata_[m.key()] =
          m.value().is_string() ? m.value().get<std::string>() : m.value().dump();
    }
  }
  std::map<std::string, size_t> file_index;
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    if (!it.value().is_string()) {
      return fail(index_path + ": weight_map['" + it.key() + "']: expected a file name");
    }
    const std::string file = it.value().get<std::string>();
    if (file.find('/') != std::string::npos || file.empty()) {
      return fail(index_path + ": weight_map['" + it.key() + "']: expected a file name in " + dir +
                  ", got \"" + file + "\"");
    }
    if (!file_index.count(file)) {
      auto f = safetensors_file::open(dir + "/" + file);
      if (!f) return f.error().with_context(index_path);
      file_index[file] = c.files_.size();
      c.files_.push_back(std::move(*f));
    }
  }
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    const std::string file = it.value().get<std::string>();
    size_t fi = file_index[file];
    const tensor_info* t = c.files_[fi].find(it.key());
    if (t == nullptr) {
      return fail(index_path + ": tensor '" + it.key() + "' is mapped to " + file +
                  ", which does not contain it");
    }
    c.where_[it.key()] = {fi, t};
  }
  for (const auto& f : c.files_) {
    for (const auto& t : f.tensors()) {
      auto w = c.where_.find(t.name);
      if (w == c.where_.end() || &c.files_[w->second.first] != &f) {
        return fail(f.path() + ": tensor '" + t.name + "' is not mapped to this file in " +
                    index_path);
      }
    }
  }
  return c;
}

std::vector<std::string> safetensors_checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, w] : where_) out.push_back(name);
  return out;
}

std::pair<const safetensors_file*, const tensor_info*> safetensors_checkpoint::find(
    const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) return {nullptr, nullptr};
  return {&files_[it->second.first], it->second.second};
}

uint64_t tensor_source::nbytes() const {
  uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

std::string safetensors_header(const std::vector<tensor_source>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  // Compact JSON, __metadata__ first, entries in data order with keys dtype, shape,
  // data_offsets: byte-for-byte what the reference writer emits.
  std::string h = "{";
  bool first = true;
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    bool mfirst = true;
    for (const auto& [k, v] : metadata) {
      h += (mfirst ? "" : ",") + json_escape(k) + ":" + json_escape(v);
      mfirst = false;
    }
    h += "}";
    first = false;
  }
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const uint64_t n = t.nbytes();
    h += (first ? "" : ",") + json_escape(t.name) + ":{\"dtype\":\"" + dtype_name(t.dtype) +
         "\",\"shape\":" + shape_text(t.shape) + ",\"data_offsets\":[" + std::to_string(offset) +
         "," + std::to_string(offset + n) + "]}";
    offset += n;
    first = false;
  }
  h += "}";
  while (h.size() % 8 != 0) h += ' ';
  return h;
}

namespace {

status check_sources(std::vector<tensor_source>& tensors, const std::string& where) {
  std::sort(tensors.begin(), tensors.end(),
            [](const tensor_source& a, const tensor_source& b) { return a.name < b.name; });
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    if (t.name.empty()) return fail(where + ": a tensor has an empty name");
    if (t.name == "__metadata__") return fail(where + ": '__metadata__' is not a tensor name");
    if (i > 0 && tensors[i - 1].name == t.name) {
      return fail(where + ": tensor '" + t.name + "' given twice");
    }
    for (int64_t d : t.shape) {
      if (d < 0) return fail(where + ": tensor '" + t.name + "': negative dimension");
    }
    if (t.data == nullptr && !t.fill) {
      return fail(where + ": tensor '" + t.name + "': neither data nor fill given");
    }
  }
  return status::success();
}

status write_sorted(const std::string& path, const std::vector<tensor_source>& tensors,
                    const std::map<std::string, std::string>& metadata) {
  const std::string header = safetensors_header(tensors, metadata);
  const std::string tmp = path + ".tmp";
  FILE* fp = std::fopen(tmp.c_str(), "wb");
  if (fp == nullptr) return fail(path + ": cannot open for writing: " + std::strerror(errno));
  bool ok = true;
  unsigned char len[8];
  uint64_t hl = header.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((hl >> (8 * i)) & 0xff);
  ok = ok && std::fwrite(len, 1, 8, fp) == 8;
  ok = ok && std::fwrite(header.data(), 1, header.size(), fp) == header.size();
  std::vector<unsigned char> buffer;
  for (const auto& t : tensors) {
    if (!ok) break;
    const uint64_t n = t.nbytes();
    if (n == 0) continue;
    const void* src = t.data;
    if (src == nullptr) {
      buffer.resize(n);
      t.fill(buffer.data());
      src = buffer.data();
    }
    ok = std::fwrite(src, 1, n, fp) == n;
  }
  ok = (std::fflush(fp) == 0) && ok;
  ok = (::fsync(::fileno(fp)) == 0) && ok;
  ok = (std::fclose(fp) == 0) && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    return fail(path + ": write error: " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return fail(path + ": cannot rename from " + tmp + ": " + std::strerror(errno));
  }
  return status::success();
}

}  // namespace

status write_safetensors(const std::string& path, std::vector<tensor_source> tensors,
                         const std::map<std::string, std::string>& metadata) {
  if (auto s = check_sources(tensors, path); !s) return s;
  return write_sorted(path, tensors, metadata);
}

result<std::vector<std::string>> write_safetensors_dir(
    const std::string& dir, std::vector<tensor_source> tensors, uint64_t max_shard_bytes,
    const std::map<std::string, std::string>& metadata) {
  if (auto s = check_sources(tensors, dir); !s) return s.error();
  uint64_t total = 0;
  for (const auto& t : tensors) total += t.nbytes();
  const std::string index_path = dir + "/model.safetensors.index.json";
  if (max_shard_bytes == 0 || total <= max_shard_bytes) {
    if (auto s = write_sorted(dir + "/model.safetensors", tensors, metadata); !s) return s.error();
    std::remove(index_path.c_str());  // a stale index would shadow the single file
    return std::vector<std::string>{"model.safetensors"};
  }
  std::vector<std::vector<tensor_source>> shards(1);
  uint64_t current = 0;
  for (auto& t : tensors) {
    const uint64_t n = t.nbytes();
    if (!shards.back().empty() && current + n > max_shard_bytes) {
      shards.emplace_back();
      current = 0;
    }
    current += n;
    shards.back().push_back(std::move(t));
  }
  const size_t count = shards.size();
  auto shard_name = [count](size_t i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, count);
    return std::string(buf);
  };
  std::vector<std::string> written;
  json weight_map = json::object();
  for (size_t i = 0; i < count; ++i) {
    const std::string name = shard_name(i);
    if (auto s = write_sorted(dir + "/" + name, shards[i], metadata); !s) return s.error();
    for (const auto& t : shards[i]) weight_map[t.name] = name;
    written.push_back(name);
  }
  json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  FILE* fp = std::fopen(index_path.c_str(), "wb");
  if (fp == nullptr) return fail(index_path + ": cannot open for writing: " + std::strerror(errno));
  const std::string text = index.dump(2) + "\n";
  bool ok = std::fwrite(text.data(), 1, text.size(), fp) == text.size();
  ok = (std::fclose(fp) == 0) && ok;
  if (!ok) return fail(index_path + ": write error");
  written.push_back("model.safetensors.index.json");
  return written;
}

}  // namespace leadrl::io
