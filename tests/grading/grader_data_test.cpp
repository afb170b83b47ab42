// The grader on the project's data: MATH-500 solutions against their answers, every eval
// answer against itself in several presentations, and MATH-500 answers against each other
// (false positives). Reads ../shared through leadrl::test::shared_path.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "grading/answer_extraction.hpp"
#include "grading/grader.hpp"
#include "tests/support/shared_data.hpp"

namespace {

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

// Spaces around brackets, operators and separators (never between a backslash and the
// character it escapes, so commands and \{ stay intact).
std::string with_added_spaces(const std::string& s) {
  std::string out = "  ";
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool escaped = i > 0 && s[i - 1] == '\\';
    bool spaced = std::string(",+-=(){}[]^_").find(c) != std::string::npos;
    if (spaced && !escaped) {
      out += ' ';
      out += c;
      out += ' ';
    } else if (c == '\\' && i + 1 < s.size() &&
               std::string("{}").find(s[i + 1]) != std::string::npos) {
      out += ' ';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "  ";
}

TEST(grader_data, math500_solutions_agree_with_their_answers) {
  auto rows = read_jsonl(leadrl::test::shared_path("data/math/test.jsonl"));
  ASSERT_EQ(rows.size(), 500u);
  std::size_t agree = 0;
  for (const auto& row : rows) {
    std::string solution = row.at("solution").get<std::string>();
    std::string answer = row.at("answer").get<std::string>();
    auto result = leadrl::grading::grade_answer(solution, answer);
    if (result.correct) {
      ++agree;
    } else {
      std::cout << "disagreement " << row.at("id").get<std::string>() << ": extracted \""
                << result.extracted << "\" vs answer \"" << answer << "\"\n";
    }
  }
  double rate = static_cast<double>(agree) / static_cast<double>(rows.size());
  std::cout << "MATH-500 solution/answer agreement: " << agree << "/" << rows.size() << " ("
            << rate * 100.0 << "%)\n";
  EXPECT_GE(rate, 0.995);
}

TEST(grader_data, math500_solutions_without_their_box_still_agree_via_fallbacks) {
  // Harder: the final \boxed{X} of each solution is replaced by "The answer is $X$." and
  // graded with the answer-phrase fallback.
  auto rows = read_jsonl(leadrl::test::shared_path("data/math/test.jsonl"));
  leadrl::grading::grader_options options;
  options.extraction.answer_phrase = true;
  std::size_t agree = 0;
  for (const auto& row : rows) {
    std::string solution = row.at("solution").get<std::string>();
    std::string answer = row.at("answer").get<std::string>();
    std::size_t p = solution.rfind("\\boxed{");
    ASSERT_NE(p, std::string::npos);
    std::string rewritten = solution.substr(0, p) + "\nThe answer is $" + answer + "$.\n";
    auto result = leadrl::grading::grade_answer(rewritten, answer, options);
    if (result.correct) {
      ++agree;
    } else {
      std::cout << "phrase disagreement " << row.at("id").get<std::string>() << ": extracted \""
                << result.extracted << "\"\n";
    }
  }
  EXPECT_EQ(agree, rows.size());
}

TEST(grader_data, every_eval_answer_matches_itself_in_every_presentation) {
  const char* files[] = {"data/eval/math500.jsonl", "data/eval/aime24.jsonl",
                         "data/eval/aime25.jsonl", "data/eval/amc23.jsonl",
                         "data/eval/olympiadbench.jsonl"};
  leadrl::grading::grader_options options;
  options.extraction.answer_phrase = true;
  std::size_t total = 0;
  std::size_t correct = 0;
  for (const char* file : files) {
    auto rows = read_jsonl(leadrl::test::shared_path(file));
    ASSERT_FALSE(rows.empty()) << file;
    for (const auto& row : rows) {
      std::string answer = row.at("answer").get<std::string>();
      const std::string responses[] = {
          "Some reasoning. So the result is \\boxed{" + answer + "}.",
          "Some reasoning.\nThe answer is $" + answer + "$.",
          "Thus \\boxed{" + with_added_spaces(answer) + "}",
          "Final: \\boxed {" + answer + "}",
      };
      for (const auto& response : responses) {
        ++total;
        auto result = leadrl::grading::grade_answer(response, answer, options);
        if (result.correct) {
          ++correct;
        } else {
          ADD_FAILURE() << file << " " << row.at("id").get<std::string>() << ": response \""
                        << response << "\" extracted \"" << result.extracted
                        << "\" not equivalent to \"" << answer << "\"";
        }
      }
    }
  }
  std::cout << "eval self-grading: " << correct << "/" << total << "\n";
  EXPECT_EQ(correct, total);
}

TEST(grader_data, distinct_math500_answers_are_equivalent_only_when_equal) {
  // Every pair of different answer strings from MATH-500 graded against each other. Each
  // accepted pair was checked by hand: it is the same value written differently (units,
  // degrees, "x =", thousands separator, order of a solution list, spacing).
  auto rows = read_jsonl(leadrl::test::shared_path("data/eval/math500.jsonl"));
  std::vector<std::string> answers;
  for (const auto& row : rows) {
    std::string a = row.at("answer").get<std::string>();
    if (std::find(answers.begin(), answers.end(), a) == answers.end()) answers.push_back(a);
  }
  std::set<std::pair<std::string, std::string>> accepted;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    for (std::size_t j = 0; j < answers.size(); ++j) {
      if (i == j || !leadrl::grading::answers_equivalent(answers[i], answers[j])) continue;
      EXPECT_TRUE(leadrl::grading::answers_equivalent(answers[j], answers[i]))
          << "not symmetric: " << answers[i] << " / " << answers[j];
      accepted.insert(std::minmax(answers[i], answers[j]));
    }
  }
  const std::set<std::pair<std::string, std::string>> expected = {
      std::minmax<std::string>("90^\\circ", "90"),
      std::minmax<std::string>("120^\\circ", "120"),
      std::minmax<std::string>("30^\\circ", "30"),
      std::minmax<std::string>("36", "36^\\circ"),
      std::minmax<std::string>("36", "\\$36"),
      std::minmax<std::string>("36^\\circ", "\\$36"),
      std::minmax<std::string>("5", "x=5"),
      std::minmax<std::string>("1,-2", "-2,1"),
      std::minmax<std::string>("\\frac{1}{4}", "\\frac14"),
      std::minmax<std::string>("10,\\!080", "10080"),
      std::minmax<std::string>("15", "15\\mbox{ cm}^2"),
      std::minmax<std::string>("2 \\sqrt{5}", "2\\sqrt{5}"),
  };
  for (const auto& [a, b] : accepted) std::cout << "accepted: \"" << a << "\" ~ \"" << b << "\"\n";
  std::cout << answers.size() << " distinct answers, " << accepted.size()
            << " unordered pairs accepted\n";
  EXPECT_EQ(accepted, expected);
}

}  // namespace
