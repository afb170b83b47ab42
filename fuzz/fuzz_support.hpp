// File: fuzz/fuzz_support.hpp
//
// Helpers shared by the libFuzzer targets: an invariant check that aborts (so libFuzzer
// records a crash), splitting an input into parts, and a per-process scratch folder in
// /dev/shm for readers that take a path (safetensors, HDF5, JSONL).
//
//   auto parts = leadrl::fuzz::split(input, "\x1f");   // "a\x1fb" -> {"a", "b"}
//   std::string path = leadrl::fuzz::write_scratch("model.safetensors", parts[0]);
#pragma once

#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace leadrl::fuzz {

/// Aborts when an invariant the target checks is false.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

/// `input` cut at every `sep`, at most `max_parts` parts (the last keeps the rest).
inline std::vector<std::string_view> split(std::string_view input, std::string_view sep,
                                           std::size_t max_parts = 16) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    std::size_t at = input.find(sep);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + sep.size());
  }
  parts.push_back(input);
  return parts;
}

/// This process's scratch folder, created on first use: <base>/leadrl_fuzz_<pid> with <base>
/// $LEADRL_FUZZ_SCRATCH (scripts/fuzz.sh sets it and removes it afterwards), else /dev/shm
/// (else /tmp). A folder per process, since fork mode runs several.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* env = std::getenv("LEADRL_FUZZ_SCRATCH");
    std::string base = env != nullptr && *env != '\0' ? env
                       : ::access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                          : "/tmp";
    std::string d = base + "/leadrl_fuzz_" + std::to_string(::getpid());
    ::mkdir(base.c_str(), 0700);  // may exist already
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) std::abort();
    return d;
  }();
  return dir;
}

/// Writes `bytes` to scratch_dir()/`name` (replacing it) and returns the path.
inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  std::string path = scratch_dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
  return path;
}

/// Removes scratch_dir()/`name` if present.
inline void remove_scratch(const std::string& name) {
  std::remove((scratch_dir() + "/" + name).c_str());
}

}  // namespace leadrl::fuzz
