#include "io/config.hpp"

#include <algorithm>
#include <boost/any.hpp>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include "base/number_text.hpp"

namespace leadrl::io {
namespace po = boost::program_options;

namespace {

std::string value_text(const boost::any& v) {
  std::ostringstream out;
  if (const auto* b = boost::any_cast<bool>(&v)) {
    out << (*b ? "true" : "false");
  } else if (const auto* i = boost::any_cast<std::int64_t>(&v)) {
    out << *i;
  } else if (const auto* d = boost::any_cast<double>(&v)) {
    out << std::setprecision(17) << *d;
  } else if (const auto* s = boost::any_cast<std::string>(&v)) {
    out << *s;
  } else {
    out << "?";
  }
  return out.str();
}

// As value_text, with doubles as written (0.003, not 0.0030000000000000001): --help shows
// them to people, while text() keeps the 17-digit form that snapshots store and compare.
std::string help_text(const boost::any& v) {
  if (const auto* d = boost::any_cast<double>(&v)) return shortest_text(*d);
  return value_text(v);
}

std::string split_section(const std::string& name, std::string* key) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) {
    *key = name;
    return "";
  }
  *key = name.substr(dot + 1);
  return name.substr(0, dot);
}

// Reads the texts Boost substitutes into an option error's message (a protected member).
struct option_error_texts : po::error_with_option_name {
  static const std::map<std::string, std::string>& of(const po::error_with_option_name& e) {
    return e.*(&option_error_texts::m_substitutions);
  }
};

// e.what(), safe for any value text. Boost's what() replaces each placeholder (%value%,
// %option%, ...) until none is left, so a value or key that itself contains "%value%" never
// finishes (found by fuzz_config). A '%' in those texts is shown as the full-width '％',
// which cannot form a placeholder.
std::string option_error_text(const po::error& e) {
  const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
  if (named == nullptr) return e.what();
  po::error_with_option_name copy = *named;
  for (const auto& [name, text] : option_error_texts::of(*named)) {
    if (text.find('%') == std::string::npos) continue;
    std::string shown;
    for (char c : text) shown += c == '%' ? std::string("\xEF\xBC\x85") : std::string(1, c);
    copy.set_substitute(name, shown);
  }
  return copy.what();
}

// Boost reports problems in its own words; restate them with the key and the expectation.
leadrl::error describe(const po::error& e, const std::string& where) {
  if (const auto* u = dynamic_cast<const po::unknown_option*>(&e)) {
    return leadrl::error(where + ": unknown key '" + u->get_option_name() +
                         "' (see --help for the valid keys)");
  }
  if (dynamic_cast<const po::invalid_option_value*>(&e) != nullptr) {
    return leadrl::error(where + ": " + option_error_text(e) +
                         " (expected a number, true/false or text as --help shows)");
  }
  return leadrl::error(where + ": " + option_error_text(e));
}

}  // namespace

config_schema& config_schema::add_optional_string(const std::string& name,
                                                  const std::string& help) {
  options_.add_options()(name.c_str(), po::value<std::string>(), help.c_str());
  names_.push_back(name);
  return *this;
}

void config_schema::print_help(std::ostream& out) const {
  std::string current;
  for (const auto& opt : options_.options()) {
    std::string key;
    const std::string section = split_section(opt->long_name(), &key);
    if (section != current) {
      out << "\n[" << section << "]\n";
      current = section;
    }
    boost::any def;
    std::string def_text = "no default";
    if (opt->semantic()->apply_default(def)) def_text = "default " + help_text(def);
    out << "  --" << opt->long_name() << "  (" << def_text << ")\n      " << opt->description()
        << "\n";
  }
}

std::string config::text() const {
  std::map<std::string, std::map<std::string, std::string>> sections;
  for (const auto& [name, value] : values_) {
    std::string key;
    const std::string section = split_section(name, &key);
    sections[section][key] = value_text(value.value());
  }
  std::ostringstream out;
  for (const auto& [section, keys] : sections) {
    if (!section.empty()) out << "[" << section << "]\n";
    for (const auto& [k, v] : keys) out << k << " = " << v << "\n";
  }
  return out.str();
}

namespace {

// `s` without the blanks Boost's INI reader trims from values (" \t\r\n").
std::string trim_ini_blanks(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Overrides, then the INI text of `in` (when given) named `source` in errors, into `values`.
status parse_config(po::variables_map& values, const config_schema& schema, std::istream* in,
                    const std::string& source, const std::vector<std::string>& overrides) {
  // Overrides first: po::store keeps the first value stored for a key. They are split at
  // the first '=' here rather than by the command-line parser, so that an empty value
  // (trainer.log_jsonl=) is a value, not a missing argument.
  po::parsed_options parsed(&schema.options());
  for (const auto& o : overrides) {
    const std::string a = o.rfind("--", 0) == 0 ? o.substr(2) : o;
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("override '" + o + "': expected key=value (e.g. algorithm.lead_alpha=1.0)");
    }
    // As the INI reader does with its values: trimmed, and never holding '#' (a comment
    // there) or a line break. The effective configuration is kept as INI text (snapshots,
    // export), so a value INI cannot hold would read back as another value (found by
    // fuzz_config: an override value with a leading tab read back without it; one holding
    // '#' would read back cut there).
    const std::string value = trim_ini_blanks(a.substr(eq + 1));
    if (value.find_first_of("#\r\n") != std::string::npos) {
      return fail("override '" + o +
                  "': a value cannot hold '#' or a line break (the configuration is kept as "
                  "INI text, where '#' starts a comment)");
    }
    po::option opt(a.substr(0, eq), {value});
    opt.original_tokens = {o};
    parsed.options.push_back(std::move(opt));
  }
  try {
    po::store(parsed, values);
  } catch (const po::error& e) {
    return describe(e, "command-line override");
  }
  if (in != nullptr) {
    try {
      po::store(po::parse_config_file(*in, schema.options(), /*allow_unregistered=*/false), values);
    } catch (const po::error& e) {
      return describe(e, source);
    }
  }
  try {
    po::notify(values);
  } catch (const po::error& e) {
    return describe(e, in != nullptr ? source : "configuration");
  }
  return status::success();
}

}  // namespace

result<config> load_config_text(const config_schema& schema, const std::string& ini_text,
                                const std::string& source,
                                const std::vector<std::string>& overrides) {
  std::istringstream in(ini_text);
  po::variables_map values;
  if (auto s = parse_config(values, schema, &in, source, overrides); !s) return s.error();
  return config(std::move(values));
}

result<config> load_config(const config_schema& schema, const std::string& ini_path,
                           const std::vector<std::string>& overrides) {
  std::ifstream in;
  if (!ini_path.empty()) {
    in.open(ini_path);
    if (!in)
      return fail("config file " + ini_path + ": cannot open (expected a readable INI file)");
  }
  po::variables_map values;
  const auto s = parse_config(values, schema, ini_path.empty() ? nullptr : &in,
                              "config file " + ini_path, overrides);
  if (!s) return s.error();
  return config(std::move(values));
}

namespace {

// Calls visit(line, dotted_key) for every line of a config::text(), dotted_key being
// "section.key" for a `key = value` line and empty for headers and anything else.
template <class Visit>
void for_each_config_line(const std::string& text, Visit&& visit) {
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    std::string dotted;
    if (line.size() >= 2 && line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
    } else if (const auto eq = line.find(" = "); eq != std::string::npos) {
      const std::string key = line.substr(0, eq);
      dotted = section.empty() ? key : section + "." + key;
    }
    visit(line, dotted);
  }
}

// Dotted key -> its `key = value` line.
std::map<std::string, std::string> config_lines(const std::string& text) {
  std::map<std::string, std::string> out;
  for_each_config_line(text, [&](const std::string& line, const std::string& dotted) {
    if (!dotted.empty()) out[dotted] = line;
  });
  return out;
}

}  // namespace

std::string config_text_without(const std::string& text, const std::vector<std::string>& keys) {
  std::ostringstream out;
  for_each_config_line(text, [&](const std::string& line, const std::string& dotted) {
    if (dotted.empty() || std::find(keys.begin(), keys.end(), dotted) == keys.end()) {
      out << line << "\n";
    }
  });
  return out.str();
}

std::vector<std::string> keys_added_at_default(const std::string& stored,
                                               const std::string& current,
                                               const std::string& defaults) {
  const auto old_lines = config_lines(stored);
  const auto default_lines = config_lines(defaults);
  std::vector<std::string> out;
  for (const auto& [key, line] : config_lines(current)) {
    if (old_lines.count(key) != 0) continue;
    const auto d = default_lines.find(key);
    if (d != default_lines.end() && d->second == line) out.push_back(key);
  }
  return out;
}

status need_int(const std::string& key, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value < lo || value > hi) {
    std::string range = hi == INT64_MAX ? ">= " + std::to_string(lo)
                                        : std::to_string(lo) + ".." + std::to_string(hi);
    return fail(key + ": expected an integer " + range + ", got " + std::to_string(value));
  }
  return status::success();
}

status need_real(const std::string& key, double value, double lo, double hi, bool lo_open,
                 bool hi_open, const std::string& range) {
  const bool bad = !std::isfinite(value) || (lo_open ? value <= lo : value < lo) ||
                   (hi_open ? value >= hi : value > hi);
  if (bad) {
    std::ostringstream shown;
    shown << value;
    return fail(key + ": expected " + range + ", got " + shown.str());
  }
  return status::success();
}

}  // namespace leadrl::io
