#include "io/config.hpp"

#include <algorithm>
#include <boost/any.hpp>
#include <fstream>
#include <iomanip>
#include <sstream>

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

std::string split_section(const std::string& name, std::string* key) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) {
    *key = name;
    return "";
  }
  *key = name.substr(dot + 1);
  return name.substr(0, dot);
}

// Boost reports problems in its own words; restate them with the key and the expectation.
leadrl::error describe(const po::error& e, const std::string& where) {
  if (const auto* u = dynamic_cast<const po::unknown_option*>(&e)) {
    return leadrl::error(where + ": unknown key '" + u->get_option_name() +
                         "' (see --help for the valid keys)");
  }
  if (const auto* v = dynamic_cast<const po::invalid_option_value*>(&e)) {
    return leadrl::error(where + ": " + v->what() +
                         " (expected a number, true/false or text as --help shows)");
  }
  return leadrl::error(where + ": " + e.what());
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
    if (opt->semantic()->apply_default(def)) def_text = "default " + value_text(def);
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

result<config> load_config(const config_schema& schema, const std::string& ini_path,
                           const std::vector<std::string>& overrides) {
  po::variables_map values;
  // Overrides first: po::store keeps the first value stored for a key.
  std::vector<std::string> args;
  for (const auto& o : overrides) {
    std::string a = o.rfind("--", 0) == 0 ? o.substr(2) : o;
    if (a.find('=') == std::string::npos) {
      return fail("override '" + o + "': expected key=value (e.g. algorithm.lead_alpha=1.0)");
    }
    args.push_back("--" + a);
  }
  try {
    po::store(
        po::command_line_parser(args)
            .options(schema.options())
            .style(po::command_line_style::allow_long | po::command_line_style::long_allow_adjacent)
            .run(),
        values);
  } catch (const po::error& e) {
    return describe(e, "command-line override");
  }
  if (!ini_path.empty()) {
    std::ifstream in(ini_path);
    if (!in)
      return fail("config file " + ini_path + ": cannot open (expected a readable INI file)");
    try {
      po::store(po::parse_config_file(in, schema.options(), /*allow_unregistered=*/false), values);
    } catch (const po::error& e) {
      return describe(e, "config file " + ini_path);
    }
  }
  try {
    po::notify(values);
  } catch (const po::error& e) {
    return describe(e, ini_path.empty() ? "configuration" : "config file " + ini_path);
  }
  return config(std::move(values));
}

std::string config_text_without(const std::string& text, const std::vector<std::string>& keys) {
  std::istringstream in(text);
  std::ostringstream out;
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.size() >= 2 && line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
    } else if (const auto eq = line.find(" = "); eq != std::string::npos) {
      const std::string key = line.substr(0, eq);
      const std::string dotted = section.empty() ? key : section + "." + key;
      if (std::find(keys.begin(), keys.end(), dotted) != keys.end()) continue;
    }
    out << line << "\n";
  }
  return out.str();
}

}  // namespace leadrl::io
