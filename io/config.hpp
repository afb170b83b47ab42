// File: io/config.hpp
//
// Run configuration: INI files read with Boost.Program_options, where section + key
// give a dotted name (`[algorithm] lead_alpha = 1.0` is `algorithm.lead_alpha`), and
// command-line overrides both as `--algorithm.lead_alpha=1.0` and verl-style
// `algorithm.lead_alpha=1.0`. Unknown keys, bad values and missing files are errors
// that name the key or file and what was expected (ARCHITECTURE.md §7).
//
//   io::config_schema schema;
//   schema.add<double>("algorithm.lead_alpha", 1.0, "PSI potential exponent");
//   auto cfg = io::load_config(schema, "run.ini", {"algorithm.lead_alpha=2"});
//   double a = cfg->get<double>("algorithm.lead_alpha");
//   auto again = io::load_config_text(schema, cfg->text(), "stored config");
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::io {

/// The options a command accepts: dotted name, type, default and description.
class config_schema {
 public:
  config_schema() : options_("options") {}

  /// Declares an option with a default; T is bool, std::int64_t, double or std::string.
  template <class T>
  config_schema& add(const std::string& name, const T& default_value, const std::string& help) {
    options_.add_options()(name.c_str(),
                           boost::program_options::value<T>()->default_value(default_value),
                           help.c_str());
    names_.push_back(name);
    return *this;
  }

  /// Declares a string option without a default (absent unless given).
  config_schema& add_optional_string(const std::string& name, const std::string& help);

  const boost::program_options::options_description& options() const { return options_; }
  const std::vector<std::string>& names() const { return names_; }
  /// Writes every option as `  name (default)  help`, grouped by section; a double
  /// default in its shortest exact text (0.003).
  void print_help(std::ostream& out) const;

 private:
  boost::program_options::options_description options_;
  std::vector<std::string> names_;
};

/// Parsed values of a schema. `text()` reproduces the effective configuration as INI,
/// so it can be stored in snapshots and logs.
class config {
 public:
  config() = default;
  explicit config(boost::program_options::variables_map values) : values_(std::move(values)) {}

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  /// The value of `name`; the name must be declared in the schema (a broken invariant otherwise).
  template <class T>
  T get(const std::string& name) const {
    return values_.at(name).as<T>();
  }
  /// The effective configuration as INI text, one section per dotted prefix.
  std::string text() const;

 private:
  boost::program_options::variables_map values_;
};

/// As load_config, with the INI read from `ini_text` (e.g. the config_text a snapshot
/// stores); `source` names it in error messages ("snapshot step_000120.h5 /meta").
/// Fails as load_config does, except that there is no file to open.
result<config> load_config_text(const config_schema& schema, const std::string& ini_text,
                                const std::string& source,
                                const std::vector<std::string>& overrides = {});

/// Reads `ini_path` (empty: no file) and applies `overrides` (each `--a.b=v` or `a.b=v`),
/// overrides taking precedence. Errors: missing or unreadable file; a line that is not
/// `key = value`; an unknown key (named with its section); a value that does not parse
/// as the option's type (named with the expected type); an override without `=`, or whose
/// value holds '#' or a line break (which the INI text of config::text() cannot hold).
/// Override values are trimmed of blanks as INI values are.
result<config> load_config(const config_schema& schema, const std::string& ini_path,
                           const std::vector<std::string>& overrides);

/// `text` (as config::text() writes it: `[section]` headers, `key = value` lines) without
/// the lines of the dotted keys in `keys` (e.g. "trainer.total_steps"); other lines are
/// kept as they are. Used to compare the configurations of two attempts of one run.
std::string config_text_without(const std::string& text, const std::vector<std::string>& keys);

/// The dotted keys that `current` has and `stored` lacks, whose line in `current` equals
/// their line in `defaults` (all three as config::text() writes them): options added by a
/// newer build, set to their default, which a configuration stored by an older build
/// cannot name and which, at their default, change nothing it computed.
std::vector<std::string> keys_added_at_default(const std::string& stored,
                                               const std::string& current,
                                               const std::string& defaults);

/// Range checks of typed option values, shared by the commands' option readers. The error
/// names the key, the expected range and the value: "sft.steps: expected an integer >= 1,
/// got 0". need_int's upper bound is optional; need_real's bounds are open or closed as
/// given, and `range` is the wording of the message ("a number in (0, 1]").
status need_int(const std::string& key, std::int64_t value, std::int64_t lo,
                std::int64_t hi = INT64_MAX);
status need_real(const std::string& key, double value, double lo, double hi, bool lo_open,
                 bool hi_open, const std::string& range);

}  // namespace leadrl::io
