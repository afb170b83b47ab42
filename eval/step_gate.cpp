#include "eval/step_gate.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace leadrl::eval {
namespace {

std::string fixed(double x, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string measured(const step_gate_cell& c) {
  return fixed(c.accuracy()) + " (" + std::to_string(c.correct) + " of " +
         std::to_string(c.answers) + ")";
}

const step_gate_level* find_level(const std::vector<step_gate_level>& levels, int level) {
  const auto it = std::find_if(levels.begin(), levels.end(),
                               [level](const step_gate_level& l) { return l.level == level; });
  return it == levels.end() ? nullptr : &*it;
}

// One accuracy check of `kind` at `level`: at least `bound` (above) or at most it.
step_gate_check check_cell(const std::vector<step_gate_level>& levels, int level, const char* kind,
                           step_gate_cell step_gate_level::*cell, bool above, double bound,
                           std::size_t min_answers) {
  step_gate_check c;
  c.name = std::string(kind) + " accuracy at level " + std::to_string(level) +
           (above ? " >= " : " <= ") + fixed(bound);
  const step_gate_level* l = find_level(levels, level);
  if (l == nullptr) {
    c.detail = "level not evaluated";
    return c;
  }
  const step_gate_cell& v = l->*cell;
  c.detail = measured(v);
  if (v.answers < min_answers) {
    c.detail += ": too few answers (< " + std::to_string(min_answers) + ")";
    return c;
  }
  c.passed = above ? v.accuracy() >= bound : v.accuracy() <= bound;
  return c;
}

nlohmann::json cell_json(const step_gate_cell& c) {
  nlohmann::json j{{"answers", c.answers}, {"correct", c.correct}, {"accuracy", nullptr}};
  if (c.answers > 0) j["accuracy"] = c.accuracy();
  return j;
}

nlohmann::json level_json(const step_gate_level& l) {
  const double n = static_cast<double>(std::max<std::size_t>(l.all.answers, 1));
  const step_gate_cell skipped{l.fused.answers + l.dropped.answers,
                               l.fused.correct + l.dropped.correct};
  nlohmann::json j = cell_json(l.all);
  j["level"] = l.level;
  j["mean_tokens"] = l.tokens / n;
  j["minimal_tokens"] = nullptr;
  j["length_ratio"] = nullptr;
  if (l.minimal_tokens > 0) {
    j["minimal_tokens"] = l.minimal_tokens / n;
    j["length_ratio"] = l.tokens / l.minimal_tokens;
  }
  j["skip_rate"] = static_cast<double>(skipped.answers) / n;
  j["full"] = cell_json(l.full);
  j["fused"] = cell_json(l.fused);
  j["dropped"] = cell_json(l.dropped);
  j["skipped"] = cell_json(skipped);
  return j;
}

}  // namespace

double step_gate_cell::accuracy() const {
  return answers == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(answers);
}

void add_answer(step_gate_level& level, io::arith_step_kind kind, bool correct, double tokens) {
  step_gate_cell& cell = kind == io::arith_step_kind::full    ? level.full
                         : kind == io::arith_step_kind::fused ? level.fused
                                                              : level.dropped;
  for (step_gate_cell* c : {&level.all, &cell}) {
    ++c->answers;
    c->correct += correct ? 1 : 0;
  }
  level.tokens += tokens;
}

step_gate_verdict judge_step_gate(const std::vector<step_gate_level>& levels,
                                  const step_gate_thresholds& t) {
  step_gate_verdict v;
  v.checks.push_back(check_cell(levels, t.easy_level, "fused", &step_gate_level::fused, true,
                                t.fused_easy_min, t.min_answers));
  for (int level : t.hard_levels) {
    v.checks.push_back(check_cell(levels, level, "fused", &step_gate_level::fused, false,
                                  t.fused_hard_max, t.min_answers));
  }
  for (const step_gate_level& l : levels) {
    v.checks.push_back(check_cell(levels, l.level, "full step-by-step", &step_gate_level::full,
                                  true, t.full_min, t.min_answers));
  }
  v.passed = !levels.empty() && std::all_of(v.checks.begin(), v.checks.end(),
                                            [](const step_gate_check& c) { return c.passed; });
  return v;
}

std::string step_gate_markdown(const std::vector<step_gate_level>& levels,
                               const step_gate_verdict* verdict) {
  std::string out =
      "| level | answers | accuracy | mean tokens | over minimal | full: n / share / acc | fused: n / "
      "share / acc | dropped: n / share / acc |\n|---|---|---|---|---|---|---|---|\n";
  for (const step_gate_level& l : levels) {
    const double n = static_cast<double>(std::max<std::size_t>(l.all.answers, 1));
    auto kind = [n](const step_gate_cell& c) {
      return std::to_string(c.answers) + " / " + fixed(static_cast<double>(c.answers) / n) + " / " +
             (c.answers == 0 ? std::string("-") : fixed(c.accuracy()));
    };
    out += "| " + std::to_string(l.level) + " | " + std::to_string(l.all.answers) + " | " +
           fixed(l.all.accuracy()) + " | " + fixed(l.tokens / n, 1) + " | " +
           (l.minimal_tokens > 0 ? fixed(l.tokens / l.minimal_tokens) : std::string("-")) + " | " +
           kind(l.full) + " | " +
           kind(l.fused) + " | " + kind(l.dropped) + " |\n";
  }
  out += "\n";
  if (!verdict) return out;
  for (const step_gate_check& c : verdict->checks) {
    out +=
        std::string("- ") + (c.passed ? "pass" : "FAIL") + ": " + c.name + ": " + c.detail + "\n";
  }
  out += std::string("\ngate: ") + (verdict->passed ? "PASS" : "FAIL") + "\n";
  return out;
}

std::string step_gate_json(const step_gate_settings& settings,
                           const std::vector<step_gate_level>& levels,
                           const step_gate_verdict* verdict) {
  nlohmann::json j{{"model", settings.model},
                   {"problems_per_level", settings.problems_per_level},
                   {"samples_per_problem", settings.samples_per_problem},
                   {"temperature", settings.temperature},
                   {"top_p", settings.top_p},
                   {"problem_seed", settings.problem_seed},
                   {"sample_seed", settings.sample_seed},
                   {"max_digits", settings.max_digits},
                   {"levels", nlohmann::json::array()},
                   {"gate", nullptr}};
  for (const step_gate_level& l : levels) j["levels"].push_back(level_json(l));
  if (verdict) {
    nlohmann::json checks = nlohmann::json::array();
    for (const step_gate_check& c : verdict->checks) {
      checks.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    }
    j["gate"] = {{"passed", verdict->passed}, {"checks", checks}};
  }
  return j.dump(1) + "\n";
}

}  // namespace leadrl::eval
