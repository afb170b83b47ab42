#include "eval/step_gate.hpp"

#include <algorithm>
#include <cstdio>

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
                               const step_gate_verdict& verdict) {
  std::string out =
      "| level | answers | accuracy | mean tokens | full: n / share / acc | fused: n / share / "
      "acc | dropped: n / share / acc |\n|---|---|---|---|---|---|---|\n";
  for (const step_gate_level& l : levels) {
    const double n = static_cast<double>(std::max<std::size_t>(l.all.answers, 1));
    auto kind = [n](const step_gate_cell& c) {
      return std::to_string(c.answers) + " / " + fixed(static_cast<double>(c.answers) / n) + " / " +
             (c.answers == 0 ? std::string("-") : fixed(c.accuracy()));
    };
    out += "| " + std::to_string(l.level) + " | " + std::to_string(l.all.answers) + " | " +
           fixed(l.all.accuracy()) + " | " + fixed(l.tokens / n, 1) + " | " + kind(l.full) + " | " +
           kind(l.fused) + " | " + kind(l.dropped) + " |\n";
  }
  out += "\n";
  for (const step_gate_check& c : verdict.checks) {
    out +=
        std::string("- ") + (c.passed ? "pass" : "FAIL") + ": " + c.name + ": " + c.detail + "\n";
  }
  out += std::string("\ngate: ") + (verdict.passed ? "PASS" : "FAIL") + "\n";
  return out;
}

}  // namespace leadrl::eval
