#include "eval/eval_protocol.hpp"

#include <cstdlib>
#include <filesystem>

namespace leadrl::eval {

const eval_protocol& paper_protocol() {
  // LEAD paper, evaluation setup: pass@1 over n samples, n = 3 on the two large sets and
  // n = 10 on the three small competition sets; T = 0.8, top-p = 0.9 (spec/lead.md §14.18).
  static const eval_protocol paper{
      "paper",
      {{"math500", 3}, {"olympiadbench", 3}, {"aime24", 10}, {"aime25", 10}, {"amc23", 10}},
      0.8,
      0.9};
  return paper;
}

const eval_protocol* find_protocol(const std::string& name) {
  return name == paper_protocol().name ? &paper_protocol() : nullptr;
}

std::string describe_sets(const eval_protocol& protocol) {
  std::string out;
  for (const auto& s : protocol.sets) {
    out += (out.empty() ? "" : ", ") + s.name + " n=" + std::to_string(s.samples_per_problem);
  }
  return out;
}

std::string default_eval_data_dir() {
  const char* shared = std::getenv("LEADRL_SHARED");
  const std::string root = shared && *shared ? shared : "../shared";
  return (std::filesystem::path(root) / "data" / "eval").string();
}

result<std::vector<eval_dataset>> load_protocol_sets(const eval_protocol& protocol,
                                                     const std::string& dir, std::uint64_t limit) {
  std::string expected;
  for (const auto& s : protocol.sets)
    expected += (expected.empty() ? "" : ", ") + s.name + ".jsonl";
  std::vector<eval_dataset> sets;
  for (const auto& s : protocol.sets) {
    auto problems = io::load_problems((std::filesystem::path(dir) / (s.name + ".jsonl")).string(),
                                      io::problem_fields{});
    if (!problems) {
      return problems.error().with_context("protocol '" + protocol.name + "' (expects " + expected +
                                           " in " + dir + ")");
    }
    if (limit > 0 && problems->rows.size() > limit) {
      problems->rows.resize(static_cast<std::size_t>(limit));
    }
    sets.push_back({s.name, std::move(*problems), false, s.samples_per_problem});
  }
  return sets;
}

}  // namespace leadrl::eval
