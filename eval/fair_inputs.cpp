#include "eval/fair_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/json_nesting.hpp"
#include "base/number_text.hpp"

namespace leadrl::eval {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::string key_path(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string got(const json& obj, const std::string& key) {
  const auto it = obj.find(key);
  return it == obj.end() ? "nothing" : it->dump();
}

// obj[key] as a finite number in [lo, hi] (above lo when `above_lo`).
result<double> number_at(const json& obj, const std::string& where, const std::string& key,
                         double lo, double hi, const std::string& expected, bool above_lo = false) {
  const auto it = obj.find(key);
  const bool is_number = it != obj.end() && it->is_number() && std::isfinite(it->get<double>());
  const double v = is_number ? it->get<double>() : 0.0;
  if (!is_number || v < lo || (above_lo && v <= lo) || v > hi) {
    return fail("key '" + key_path(where, key) + "': expected " + expected + ", got " +
                got(obj, key));
  }
  return v;
}

// obj[key] as a count (a non-negative JSON integer).
result<std::size_t> count_at(const json& obj, const std::string& where, const std::string& key) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned()) {
    return fail("key '" + key_path(where, key) + "': expected a non-negative integer, got " +
                got(obj, key));
  }
  return it->get<std::size_t>();
}

// One kind's answers: {"answers": n, "correct": c, "accuracy": a or null}.
result<fair_kind_cell> kind_at(const json& level, const std::string& where,
                               const std::string& key) {
  const auto it = level.find(key);
  const std::string at = key_path(where, key);
  if (it == level.end() || !it->is_object()) {
    return fail("key '" + at + "': expected an object of answers, correct and accuracy, got " +
                got(level, key));
  }
  fair_kind_cell cell;
  auto answers = count_at(*it, at, "answers");
  if (!answers) return answers.error();
  auto correct = count_at(*it, at, "correct");
  if (!correct) return correct.error();
  cell.answers = *answers;
  cell.correct = *correct;
  const auto acc = it->find("accuracy");
  if (acc != it->end() && acc->is_null()) return cell;
  auto accuracy = number_at(*it, at, "accuracy", 0.0, 1.0, "a fraction in [0, 1] or null");
  if (!accuracy) return accuracy.error();
  cell.accuracy = *accuracy;
  return cell;
}

// The per-level figures of one entry of "levels" (its number already read).
status read_level_figures(const json& l, const std::string& where, fair_level& out) {
  const double huge = HUGE_VAL;
  auto pass = number_at(l, where, "accuracy", 0.0, 1.0, "a fraction in [0, 1]");
  if (!pass) return pass.error();
  auto tokens = number_at(l, where, "mean_tokens", 0.0, huge, "a number of tokens >= 0");
  if (!tokens) return tokens.error();
  auto minimal = number_at(l, where, "minimal_tokens", 0.0, huge, "a number of tokens > 0", true);
  if (!minimal) return minimal.error();
  auto ratio = number_at(l, where, "length_ratio", 0.0, huge, "a number >= 0");
  if (!ratio) return ratio.error();
  auto skip = number_at(l, where, "skip_rate", 0.0, 1.0, "a fraction in [0, 1]");
  if (!skip) return skip.error();
  auto full = kind_at(l, where, "full");
  if (!full) return full.error();
  auto skipped = kind_at(l, where, "skipped");
  if (!skipped) return skipped.error();
  out.pass_at_1 = *pass;
  out.mean_tokens = *tokens;
  out.minimal_tokens = *minimal;
  out.length_ratio = *ratio;
  out.skip_rate = *skip;
  out.full = *full;
  out.skipped = *skipped;
  return status::success();
}

// "levels": each of 1..5 exactly once.
status read_levels(const json& j, fair_readout& out) {
  const auto it = j.find("levels");
  if (it == j.end() || !it->is_array()) {
    return fail("key 'levels': expected an array of the levels 1..5, got " + got(j, "levels"));
  }
  std::array<bool, fair_level_count> seen{};
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& l = (*it)[i];
    const std::string where = "levels[" + std::to_string(i) + "]";
    if (!l.is_object()) return fail("key '" + where + "': expected an object, got " + l.dump());
    auto level = number_at(l, where, "level", 1.0, fair_level_count, "an integer in 1..5");
    if (level && std::floor(*level) != *level) {
      level =
          fail("key '" + where + ".level': expected an integer in 1..5, got " + got(l, "level"));
    }
    if (!level) return level.error();
    const int d = static_cast<int>(*level);
    if (seen[static_cast<std::size_t>(d - 1)]) {
      return fail("key '" + where + ".level': level " + std::to_string(d) + " appears twice");
    }
    seen[static_cast<std::size_t>(d - 1)] = true;
    fair_level& dst = out.levels[static_cast<std::size_t>(d - 1)];
    dst.level = d;
    LEADRL_TRY(read_level_figures(l, where, dst));
  }
  for (int d = 1; d <= fair_level_count; ++d) {
    if (!seen[static_cast<std::size_t>(d - 1)]) {
      return fail("key 'levels': expected each of the levels 1..5, level " + std::to_string(d) +
                  " is missing");
    }
  }
  return status::success();
}

status read_protocol(const json& j, fair_protocol& p) {
  const double huge = HUGE_VAL;
  const std::pair<const char*, double*> fields[] = {{"problems_per_level", &p.problems_per_level},
                                                    {"samples_per_problem", &p.samples_per_problem},
                                                    {"temperature", &p.temperature},
                                                    {"top_p", &p.top_p},
                                                    {"problem_seed", &p.problem_seed},
                                                    {"sample_seed", &p.sample_seed}};
  for (const auto& [key, dst] : fields) {
    auto v = number_at(j, "", key, 0.0, huge, "a number >= 0");
    if (!v) return v.error();
    *dst = *v;
  }
  if (j.contains("max_digits")) {
    auto v = number_at(j, "", "max_digits", 0.0, huge, "a number >= 0");
    if (!v) return v.error();
    p.max_digits = *v;
  }
  return status::success();
}

result<std::string> read_text(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(path + ": cannot open (expected " + what + ")");
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) return fail(path + ": cannot read (expected " + what + ")");
  return s.str();
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The names of the subdirectories of `dir`, sorted (none when it cannot be listed).
std::vector<std::string> subdirectories(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// "seed<s>" -> s (1..1,000,000), else nullopt.
std::optional<int> seed_of(const std::string& name) {
  if (name.size() < 5 || name.size() > 11 || name.compare(0, 4, "seed") != 0) return std::nullopt;
  long s = 0;
  for (std::size_t i = 4; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    s = s * 10 + (name[i] - '0');
  }
  if (s < 1 || s > 1000000) return std::nullopt;
  return static_cast<int>(s);
}

// The seeds of one arm directory; fails on a file that is present and bad.
status read_arm(const fs::path& arm_dir, bool finished_only, std::int64_t max_seed, fair_arm& arm,
                std::vector<std::string>& warnings) {
  for (const std::string& name : subdirectories(arm_dir)) {
    const auto seed = seed_of(name);
    const fs::path seed_dir = arm_dir / name;
    if (!seed) {
      warnings.push_back(seed_dir.string() + ": not a seed folder (expected seed<N>), ignored");
      continue;
    }
    if (max_seed > 0 && *seed > max_seed) continue;
    fair_run run;
    run.seed = *seed;
    if (finished_only && !is_file(seed_dir / "readout.json")) {
      warnings.push_back(seed_dir.string() + ": no readout.json (not finished), ignored");
      continue;
    }
    if (is_file(seed_dir / "readout.json")) {
      auto r = load_fair_readout((seed_dir / "readout.json").string());
      if (!r) return r.error();
      run.readout = std::move(*r);
    }
    if (is_file(seed_dir / "train.jsonl")) {
      auto log = io::load_run_log((seed_dir / "train.jsonl").string());
      if (!log) return log.error();
      run.log = std::move(*log);
    }
    if (!run.readout && !run.log) {
      warnings.push_back(seed_dir.string() + ": neither readout.json nor train.jsonl, ignored");
      continue;
    }
    arm.runs.push_back(std::move(run));
  }
  std::sort(arm.runs.begin(), arm.runs.end(),
            [](const fair_run& a, const fair_run& b) { return a.seed < b.seed; });
  return status::success();
}

}  // namespace

bool fair_protocol::operator==(const fair_protocol& o) const {
  return problems_per_level == o.problems_per_level &&
         samples_per_problem == o.samples_per_problem && temperature == o.temperature &&
         top_p == o.top_p && problem_seed == o.problem_seed && sample_seed == o.sample_seed &&
         max_digits == o.max_digits;
}

std::string fair_protocol::describe() const {
  std::string s = shortest_text(problems_per_level) + " problems x " +
                  shortest_text(samples_per_problem) + " answers per level, temperature " +
                  shortest_text(temperature) + ", top-p " + shortest_text(top_p) +
                  ", problem seed " + shortest_text(problem_seed) + ", sampling seed " +
                  shortest_text(sample_seed);
  if (max_digits) s += ", max digits " + shortest_text(*max_digits);
  return s;
}

result<fair_readout> parse_fair_readout(std::string_view text, const std::string& source) {
  const std::string what = " (expected a readout written by leadrl step-gate --out-json)";
  if (auto s = check_json_nesting(text, source); !s) return s.error();
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(source + what + ": not JSON");
  if (!j.is_object()) return fail(source + what + ": expected a JSON object");
  fair_readout out;
  out.source = source;
  if (auto s = read_protocol(j, out.protocol); !s) return s.error().with_context(source + what);
  if (auto s = read_levels(j, out); !s) return s.error().with_context(source + what);
  return out;
}

result<fair_readout> load_fair_readout(const std::string& path) {
  auto text = read_text(path, "a readout written by leadrl step-gate --out-json");
  if (!text) return text.error();
  return parse_fair_readout(*text, path);
}

const std::vector<fair_arm_spec>& fair_arms() {
  static const std::vector<fair_arm_spec> arms = {
      {"grpo"},
      {"arora_0.1"},
      {"arora_0.2"},
      {"arora_0.4"},
      {"kimi"},
      {"lead_max_sym"},
      {"lead_max_asym"},
      {"lead_upper_only"},
      {"lead_static_0.3"},
      {"lead_static_0.5"},
      {"lead_static_0.7"},
      {"lead_static_0.9"},
      {"lead_table", /*exploratory=*/true},
      {"curriculum_lead", false, /*curriculum=*/true},
      {"curriculum_static_0.5", false, /*curriculum=*/true},
  };
  return arms;
}

std::string fair_arm_label(const fair_arm_spec& spec) {
  return spec.exploratory ? spec.name + " (exploratory)" : spec.name;
}

const fair_arm* find_arm(const fair_inputs& in, const std::string& name) {
  for (const fair_arm& a : in.arms) {
    if (a.spec.name == name) return &a;
  }
  return nullptr;
}

result<fair_inputs> load_fair_inputs(const std::string& dir, bool finished_only,
                                     std::int64_t max_seed) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return fail(dir +
                ": not a directory (expected the fair test's output folder, with "
                "base/readout.json and runs/<arm>/seed<N>/)");
  }
  fair_inputs in;
  in.dir = dir;
  auto base = load_fair_readout((fs::path(dir) / "base" / "readout.json").string());
  if (!base) return base.error();
  in.base = std::move(*base);
  const fs::path runs = fs::path(dir) / "runs";
  for (const std::string& name : subdirectories(runs)) {
    const auto& specs = fair_arms();
    const bool known = std::any_of(specs.begin(), specs.end(),
                                   [&](const fair_arm_spec& s) { return s.name == name; });
    if (!known)
      in.warnings.push_back((runs / name).string() + ": not an arm of the fair test, ignored");
  }
  for (const fair_arm_spec& spec : fair_arms()) {
    fair_arm arm{spec, {}};
    if (fs::is_directory(runs / spec.name, ec))
      LEADRL_TRY(read_arm(runs / spec.name, finished_only, max_seed, arm, in.warnings));
    in.arms.push_back(std::move(arm));
  }
  return in;
}

}  // namespace leadrl::eval
