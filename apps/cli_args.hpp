// File: apps/cli_args.hpp
//
// Strict parsing of numeric command-line values shared by the subcommands: the whole text
// must be the number and lie in the given range (boost's own unsigned parsing would wrap
// "-1" around), so that a bad value is reported and exits 2 instead of running with it;
// and writing an output file (or stdout) with a message on failure.
//
//   auto n = leadrl::cli::parse_count(text, 1, 64);          // nullopt: report, exit 2
//   auto t = leadrl::cli::parse_real(text, 0.0, 10.0);
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace leadrl::cli {

/// A decimal integer (digits only, at most 20) in [lo, hi]; nullopt otherwise (also on
/// overflow).
inline std::optional<std::uint64_t> parse_count(const std::string& text, std::uint64_t lo,
                                                std::uint64_t hi) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(v, 10u, &v) ||
        __builtin_add_overflow(v, static_cast<std::uint64_t>(c - '0'), &v)) {
      return std::nullopt;
    }
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

/// A finite decimal number (strtod syntax, the whole text) in [lo, hi]; nullopt otherwise.
inline std::optional<double> parse_real(const std::string& text, double lo, double hi) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v) || v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
}

/// Reports a bad command-line value of `leadrl <command>` ("leadrl eval: --samples:
/// expected an integer in 1..1024, got 'x' (see leadrl eval --help)") and returns exit
/// code 2.
inline int bad_usage(const std::string& command, const std::string& option,
                     const std::string& expected, const std::string& got) {
  std::cerr << "leadrl " << command << ": --" << option << ": expected " << expected << ", got '"
            << got << "' (see leadrl " << command << " --help)\n";
  return 2;
}

/// Writes `text` to `path` (replacing it). On failure prints "<who>: cannot write <path>"
/// to stderr and returns false.
inline bool write_text_file(const std::string& path, const std::string& text,
                            const std::string& who) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) {
    std::cerr << who << ": cannot write " << path << "\n";
    return false;
  }
  return true;
}

/// Where a command writes its rows: std::cout for "-", else the file `path`, replaced.
class output_target {
 public:
  /// Opens `path` unless it is "-". On failure prints "<what> '<path>' for writing" to
  /// stderr and is false.
  output_target(const std::string& path, const std::string& what) : to_stdout_(path == "-") {
    if (to_stdout_) return;
    file_.open(path, std::ios::binary | std::ios::trunc);
    if (!file_) std::cerr << what << " '" << path << "' for writing\n";
  }
  explicit operator bool() const { return to_stdout_ || file_.is_open(); }
  std::ostream& stream() { return to_stdout_ ? std::cout : file_; }

 private:
  bool to_stdout_;
  std::ofstream file_;
};

/// The CONFIG and the overrides of `leadrl train|sft CONFIG [--key=value | key=value ...]`.
struct config_args {
  std::string config_path;
  std::vector<std::string> overrides;

  /// Takes one argument that the command did not handle itself: the first one that is not
  /// an override (an override contains '=' or starts with "--") is the CONFIG, every
  /// other one an override (a second CONFIG is then reported as a malformed override).
  void take(const std::string& arg) {
    const bool is_override = arg.find('=') != std::string::npos || arg.rfind("--", 0) == 0;
    if (!is_override && config_path.empty()) {
      config_path = arg;
    } else {
      overrides.push_back(arg);
    }
  }

  /// False, with "<who>: a CONFIG file is required (see --help)" on stderr, when no CONFIG
  /// was given.
  bool has_config(const std::string& who) const {
    if (!config_path.empty()) return true;
    std::cerr << who << ": a CONFIG file is required (see --help)\n";
    return false;
  }
};

}  // namespace leadrl::cli
