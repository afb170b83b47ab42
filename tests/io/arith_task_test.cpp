#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "grading/arith_grade.hpp"
#include "io/arith_task.hpp"

namespace leadrl::io {
using grading::arith_grade;
using grading::count_arith_steps;
using grading::parse_arith_integer;

namespace {

// An evaluator written independently of the task's: scan the text, multiply within a
// term, add or subtract terms. Also returns the operand count.
std::int64_t evaluate_text(const std::string& expr, int* operand_count = nullptr) {
  std::int64_t total = 0;
  std::int64_t term = 0;
  std::int64_t number = 0;
  char pending_sum = '+';
  char pending = '+';  // the operator before `number`
  int count = 0;
  auto flush_number = [&] {
    ++count;
    if (pending == '*') {
      term *= number;
    } else {
      term = number;
      pending_sum = pending;
    }
  };
  for (std::size_t i = 0; i <= expr.size(); ++i) {
    const char c = i < expr.size() ? expr[i] : '\0';
    if (c >= '0' && c <= '9') {
      number = number * 10 + (c - '0');
      continue;
    }
    flush_number();
    // At a + or - (or the end) the term is complete unless a * follows.
    if (c != '*') total += pending_sum == '-' ? -term : term;
    pending = c;
    number = 0;
  }
  if (operand_count) *operand_count = count;
  return total;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  for (;;) {
    std::size_t end = text.find('\n', begin);
    out.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return out;
    begin = end + 1;
  }
}

bool is_line_subsequence(const std::vector<std::string>& small,
                         const std::vector<std::string>& big) {
  std::size_t j = 0;
  for (const std::string& line : big) {
    if (j < small.size() && line == small[j]) ++j;
  }
  return j == small.size();
}

bool printable_or_newline(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\n' || (u >= 0x20 && u <= 0x7E);
  });
}

std::vector<arith_problem> make(arith_split split, std::uint64_t seed, std::size_t count,
                                const arith_task_options& options = {}) {
  auto r = generate_arith_problems(options, split, seed, 0, count);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : std::vector<arith_problem>{};
}

const std::vector<double> all_verbosities = {0.0, 0.1, 0.25, 0.5, 0.75, 1.0};

TEST(ArithTask, SameSeedSameProblemsOtherSeedOthers) {
  const auto a = make(arith_split::train, 7, 500);
  const auto b = make(arith_split::train, 7, 500);
  const auto c = make(arith_split::train, 8, 500);
  ASSERT_EQ(a.size(), 500u);
  int same_as_other_seed = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    EXPECT_EQ(a[i].difficulty, b[i].difficulty);
    EXPECT_EQ(arith_response(a[i], {0.5, 0.5}, 3), arith_response(b[i], {0.5, 0.5}, 3));
    if (a[i].prompt == c[i].prompt) ++same_as_other_seed;
  }
  EXPECT_LT(same_as_other_seed, 10);
  // A problem depends only on its own index: a window starting later sees the same rows.
  auto later = generate_arith_problems({}, arith_split::train, 7, 100, 5);
  ASSERT_TRUE(later.ok());
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ((*later)[i].prompt, a[100 + i].prompt);
  EXPECT_EQ(a[17].id, "arith-train-s7-17");
}

TEST(ArithTask, GoldenProblemsPinTheGenerator) {
  // Pinned so that a change to the RNG or the draw order (which would silently change
  // every dataset and cached checkpoint) shows up here. Recorded from this implementation.
  const auto p = make(arith_split::train, 1, 3);
  ASSERT_EQ(p.size(), 3u);
  std::string all;
  for (const auto& q : p) all += q.prompt;
  EXPECT_EQ(all, "Q:86+95+14*4-68+35=?\nQ:84-1-54=?\nQ:64+3+28=?\n");
}

TEST(ArithTask, SplitsNeverShareAProblemWhateverTheSeeds) {
  arith_task_options options;
  std::set<std::string> train;
  std::set<std::string> test;
  for (std::uint64_t seed : {1, 2, 3}) {
    for (const auto& p : make(arith_split::train, seed, 2000, options)) {
      EXPECT_EQ(arith_split_of(p.expression, options.test_per_mille), arith_split::train);
      train.insert(p.expression);
    }
    for (const auto& p : make(arith_split::test, seed, 2000, options)) {
      EXPECT_EQ(p.split, arith_split::test);
      EXPECT_EQ(arith_split_of(p.expression, options.test_per_mille), arith_split::test);
      test.insert(p.expression);
    }
  }
  for (const std::string& e : test) EXPECT_EQ(train.count(e), 0u) << e;
  // Difficulty 1 has a small space: the sets above overlap within a split, which proves the
  // check is not vacuous only if the train set does contain repeats.
  EXPECT_LT(train.size(), 6000u);
  // The partition puts about test_per_mille of all problem texts into test.
  int in_test = 0;
  for (int a = 1; a < 100; ++a) {
    for (int b = 1; b < 100; ++b) {
      const std::string e = std::to_string(a) + "+" + std::to_string(b);
      if (arith_split_of(e, 100) == arith_split::test) ++in_test;
    }
  }
  EXPECT_GT(in_test, 9801 * 8 / 100);
  EXPECT_LT(in_test, 9801 * 12 / 100);
}

TEST(ArithTask, ProblemsFollowTheirLevelAndAnswersAreRight) {
  arith_task_options options;
  std::map<int, int> per_difficulty;
  std::map<int, int> with_product;
  for (arith_split split : {arith_split::train, arith_split::test}) {
    for (const auto& p : make(split, 11, 3000, options)) {
      ++per_difficulty[p.difficulty];
      const arith_level& level = options.levels[static_cast<std::size_t>(p.difficulty - 1)];
      int count = 0;
      EXPECT_EQ(evaluate_text(p.expression, &count), p.answer) << p.expression;
      EXPECT_EQ(count, level.operands) << p.expression;
      EXPECT_EQ(p.prompt, "Q:" + p.expression + "=?\n");
      ASSERT_EQ(p.operands.size(), static_cast<std::size_t>(level.operands));
      for (std::size_t i = 0; i < p.operands.size(); ++i) {
        if (i > 0 && p.operators[i - 1] == '*') {
          EXPECT_GE(p.operands[i], 2);
          EXPECT_LE(p.operands[i], 9);
          if (i > 1) {
            EXPECT_NE(p.operators[i - 2], '*') << "chained product " << p.expression;
          }
        } else {
          const auto digits = std::to_string(p.operands[i]).size();
          EXPECT_GE(digits, static_cast<std::size_t>(level.min_digits)) << p.expression;
          EXPECT_LE(digits, static_cast<std::size_t>(level.max_digits)) << p.expression;
        }
      }
      if (p.operators.find('*') != std::string::npos) ++with_product[p.difficulty];
      // No running value is negative (allow_negative is off by default).
      for (const arith_step& s : arith_solution_steps(p)) {
        EXPECT_GE(s.value, 0) << p.expression;
      }
      EXPECT_LE(p.prompt.size() + arith_minimal_response(p).size(), options.max_chars);
      EXPECT_TRUE(printable_or_newline(p.prompt));
    }
  }
  ASSERT_EQ(per_difficulty.size(), 5u);
  for (const auto& [d, n] : per_difficulty) EXPECT_GT(n, 6000 / 5 * 8 / 10) << d;
  EXPECT_EQ(with_product[1] + with_product[2], 0);
  EXPECT_GT(with_product[5], with_product[3]);
}

TEST(ArithTask, NegativesWhenAllowed) {
  arith_task_options options;
  options.allow_negative = true;
  options.min_difficulty = options.max_difficulty = 5;
  int negative = 0;
  for (const auto& p : make(arith_split::train, 3, 500, options)) {
    EXPECT_EQ(evaluate_text(p.expression), p.answer) << p.expression;
    if (p.answer < 0) ++negative;
    EXPECT_TRUE(arith_grade(arith_response(p, {1.0, 0.0}, 0), std::to_string(p.answer)).correct)
        << p.expression;
    EXPECT_EQ(count_arith_steps(arith_response(p, {1.0, 0.0}, 0)).wrong, 0) << p.expression;
  }
  EXPECT_GT(negative, 10);
}

TEST(ArithTask, MinimalResponseIsOneBinaryOperationPerLine) {
  for (const auto& p : make(arith_split::train, 5, 1000)) {
    const std::string minimal = arith_minimal_response(p);
    const auto lines = lines_of(minimal);
    // operands - 1 steps and the answer line.
    ASSERT_EQ(lines.size(), p.operands.size()) << minimal;
    EXPECT_EQ(lines.back(), "A:" + std::to_string(p.answer));
    for (std::size_t k = 0; k + 1 < lines.size(); ++k) {
      const std::string& l = lines[k];
      const auto eq = l.find('=');
      ASSERT_NE(eq, std::string::npos) << l;
      int count = 0;
      EXPECT_EQ(evaluate_text(l.substr(0, eq), &count), std::stoll(l.substr(eq + 1))) << l;
      EXPECT_EQ(count, 2) << l;
    }
    const auto steps = count_arith_steps(minimal);
    EXPECT_EQ(steps.steps, static_cast<int>(p.operands.size()) - 1);
    EXPECT_EQ(steps.wrong, 0);
    // The chain ends at the answer.
    EXPECT_EQ(arith_solution_steps(p).back().value, p.answer);
  }
}

TEST(ArithTask, EveryResponseAtEveryVerbosityIsGradedCorrect) {
  arith_task_options options;
  for (arith_split split : {arith_split::train, arith_split::test}) {
    for (const auto& p : make(split, 21, 400, options)) {
      const std::string minimal = arith_minimal_response(p);
      const auto minimal_lines = lines_of(minimal);
      for (double v : all_verbosities) {
        for (std::uint64_t sample = 0; sample < 3; ++sample) {
          const std::string r = arith_response(p, {v, 0.5}, sample, options.max_chars);
          const auto g = arith_grade(r, std::to_string(p.answer));
          ASSERT_TRUE(g.correct) << p.prompt << r;
          EXPECT_EQ(g.format, 1.0) << r;
          EXPECT_EQ(g.extracted, std::to_string(p.answer));
          EXPECT_TRUE(printable_or_newline(r)) << r;
          EXPECT_LE(p.prompt.size() + r.size(), options.max_chars) << r;
          EXPECT_TRUE(is_line_subsequence(minimal_lines, lines_of(r))) << minimal << "\n--\n" << r;
          EXPECT_GE(r.size(), minimal.size());
          const auto steps = count_arith_steps(r);
          EXPECT_EQ(steps.wrong, 0) << r;
          EXPECT_GE(steps.steps, static_cast<int>(p.operands.size()) - 1);
          // Restated remainders and summaries still evaluate to the answer.
          for (const std::string& l : lines_of(r)) {
            if (l.rfind("now ", 0) == 0) {
              EXPECT_EQ(evaluate_text(l.substr(4)), p.answer) << l << "\n" << r;
            } else if (l.rfind("we need ", 0) == 0) {
              EXPECT_EQ(l.substr(8), p.expression);
            } else if (l.rfind("so ", 0) == 0) {
              EXPECT_EQ(l, "so " + p.expression + "=" + std::to_string(p.answer));
            }
          }
          // Detours compute something the solution does not need.
          for (const std::string& l : lines_of(r)) {
            if (l.rfind("try ", 0) != 0 && l.rfind("what if ", 0) != 0) continue;
            const std::size_t from = l.find(' ', l[0] == 't' ? 0 : 5) + 1;
            const std::size_t to = l.find_first_of(",?");
            const std::string calc = l.substr(from, to - from);
            EXPECT_EQ(std::count(minimal_lines.begin(), minimal_lines.end(), calc), 0) << r;
          }
          if (v == 0.0) {
            EXPECT_EQ(r, minimal);
          }
        }
      }
    }
  }
}

TEST(ArithTask, VerbosityMakesResponsesSeveralTimesLonger) {
  const auto problems = make(arith_split::train, 9, 1000);
  std::vector<double> factors;
  for (double v : all_verbosities) {
    double minimal = 0;
    double verbose = 0;
    for (const auto& p : problems) {
      minimal += static_cast<double>(arith_minimal_response(p).size());
      verbose += static_cast<double>(arith_response(p, {v, 0.5}, 0).size());
    }
    factors.push_back(verbose / minimal);
  }
  EXPECT_DOUBLE_EQ(factors[0], 1.0);
  for (std::size_t i = 1; i < factors.size(); ++i) EXPECT_GT(factors[i], factors[i - 1]);
  // The default verbosity overthinks by about 3x, full verbosity by about 5x (the cap on
  // max_chars trims the longest).
  EXPECT_GT(factors[3], 2.5);
  EXPECT_LT(factors[3], 4.0);
  EXPECT_GT(factors[5], 4.0);
  EXPECT_LT(factors[5], 6.5);
  // The responses of one prompt vary in length: the variation RL selects from.
  const auto& p = problems[0];
  std::set<std::size_t> lengths;
  for (std::uint64_t s = 0; s < 16; ++s) lengths.insert(arith_response(p, {0.5, 0.5}, s).size());
  EXPECT_GT(lengths.size(), 4u);
}

TEST(ArithTask, HarderProblemsNeedMoreSteps) {
  std::map<int, std::pair<double, int>> steps;
  for (const auto& p : make(arith_split::train, 4, 2000)) {
    steps[p.difficulty].first += static_cast<double>(arith_solution_steps(p).size());
    steps[p.difficulty].second += 1;
  }
  double previous = 0;
  for (const auto& [d, s] : steps) {
    const double mean = s.first / s.second;
    EXPECT_GT(mean, previous) << d;
    EXPECT_DOUBLE_EQ(mean, static_cast<double>(d)) << "difficulty d has d+1 operands";
    previous = mean;
  }
}

TEST(ArithTask, TightMaxCharsShortensVerboseResponses) {
  arith_task_options options;
  options.max_chars = 120;
  for (const auto& p : make(arith_split::train, 2, 300, options)) {
    const std::string r = arith_response(p, {1.0, 0.0}, 0, options.max_chars);
    EXPECT_LE(p.prompt.size() + r.size(), 120u);
    EXPECT_TRUE(arith_grade(r, p.answer).correct);
  }
  options.max_chars = 20;
  options.min_difficulty = 5;
  auto none = generate_arith_problem(options, arith_split::train, 1, 0);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("max_chars"), std::string::npos);
}

TEST(ArithTask, PromptsParseBackToTheSameProblem) {
  for (const auto& p : make(arith_split::test, 6, 500)) {
    auto q = parse_arith_prompt(p.prompt);
    ASSERT_TRUE(q.ok()) << q.error().message();
    EXPECT_EQ(q->operands, p.operands);
    EXPECT_EQ(q->operators, p.operators);
    EXPECT_EQ(q->answer, p.answer);
    EXPECT_EQ(arith_minimal_response(*q), arith_minimal_response(p));
  }
  auto chained = parse_arith_prompt("Q:2*3*4-5=?");
  ASSERT_TRUE(chained.ok());
  EXPECT_EQ(chained->answer, 19);
  EXPECT_EQ(arith_minimal_response(*chained), "2*3=6\n6*4=24\n24-5=19\nA:19");
  auto product_later = parse_arith_prompt("10-2*3+4*5");
  ASSERT_TRUE(product_later.ok());
  EXPECT_EQ(arith_minimal_response(*product_later), "2*3=6\n10-6=4\n4*5=20\n4+20=24\nA:24");
  EXPECT_TRUE(arith_grade(arith_response(*product_later, {1.0, 0.0}, 0), 24).correct);

  for (const char* bad : {"", "Q:=?", "Q:12+=?\n", "Q:12/3=?", "Q:7=?", "Q:1+2=?x",
                          "Q:1234567890+1=?", "Q:999999999*999999999*999999999=?"}) {
    auto r = parse_arith_prompt(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("prompt"), std::string::npos);
    }
  }
  auto where = parse_arith_prompt("Q:12+x=?");
  ASSERT_FALSE(where.ok());
  EXPECT_NE(where.error().message().find("offset 5"), std::string::npos) << where.error().message();
}

TEST(ArithTask, BadOptionsAreNamed) {
  auto message = [](arith_task_options o) {
    status s = validate_arith_options(o);
    return s.ok() ? std::string() : s.error().message();
  };
  arith_task_options o;
  EXPECT_EQ(message(o), "");
  o.levels[2].operands = 1;
  EXPECT_NE(message(o).find("levels[2].operands"), std::string::npos) << message(o);
  o = {};
  o.levels[0].max_digits = 5;
  EXPECT_NE(message(o).find("levels[0].max_digits"), std::string::npos);
  o = {};
  o.levels[1].multiply_probability = -0.1;
  EXPECT_NE(message(o).find("multiply_probability"), std::string::npos);
  o = {};
  o.max_difficulty = 6;
  EXPECT_NE(message(o).find("max_difficulty"), std::string::npos);
  o = {};
  o.min_difficulty = 0;
  EXPECT_NE(message(o).find("min_difficulty"), std::string::npos);
  o = {};
  o.test_per_mille = 1000;
  EXPECT_NE(message(o).find("test_per_mille"), std::string::npos);
  o = {};
  o.levels.clear();
  EXPECT_NE(message(o).find("levels"), std::string::npos);
  o = {};
  o.max_digits = 5;
  EXPECT_NE(message(o).find("max_digits: expected 0..4"), std::string::npos) << message(o);
  o.max_digits = -1;
  EXPECT_NE(message(o).find("max_digits"), std::string::npos);
  o = {};
  o.test_per_mille = 0;
  EXPECT_FALSE(generate_arith_problem(o, arith_split::train, 1, 0).ok());

  EXPECT_TRUE(validate_arith_verbosity({0.5, 0.5}).ok());
  EXPECT_FALSE(validate_arith_verbosity({1.5, 0.5}).ok());
  EXPECT_FALSE(validate_arith_verbosity({0.5, -1.0}).ok());
  EXPECT_NE(validate_arith_verbosity({-0.1, 0.5}).error().message().find("verbosity"),
            std::string::npos);

  EXPECT_EQ(*parse_arith_split("test"), arith_split::test);
  auto bad = parse_arith_split("valid");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("'valid'"), std::string::npos);
}

TEST(ArithTask, ConvertsToAProblemDataset) {
  const auto p = make(arith_split::test, 3, 10);
  const problem_dataset ds = to_problem_dataset(p, "arith_test");
  ASSERT_EQ(ds.rows.size(), 10u);
  EXPECT_EQ(ds.name, "arith_test");
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(ds.rows[i].prompt_id, static_cast<std::int64_t>(i));
    EXPECT_EQ(ds.rows[i].prompt, p[i].prompt);
    EXPECT_EQ(ds.rows[i].answer, std::to_string(p[i].answer));
    EXPECT_EQ(ds.rows[i].id, p[i].id);
    EXPECT_EQ(ds.rows[i].difficulty, p[i].difficulty);
  }
}

TEST(ArithTask, MaxDigitsCapsTheOperandsOfEveryLevel) {
  arith_task_options o;
  o.min_difficulty = 1;
  o.max_difficulty = 5;
  o.max_digits = 1;
  auto p = generate_arith_problems(o, arith_split::train, 7, 0, 500);
  ASSERT_TRUE(p.ok()) << p.error().message();
  std::set<int> levels;
  for (const auto& q : *p) {
    levels.insert(q.difficulty);
    EXPECT_EQ(q.operands.size(), static_cast<std::size_t>(q.difficulty + 1)) << q.expression;
    for (auto x : q.operands) EXPECT_TRUE(x >= 1 && x <= 9) << q.expression;
  }
  EXPECT_EQ(levels.size(), 5u);
  // The default (0) keeps each level's own digits: levels 3-5 have two-digit operands.
  o.max_digits = 0;
  o.min_difficulty = 3;
  auto two = generate_arith_problems(o, arith_split::train, 7, 0, 50);
  ASSERT_TRUE(two.ok());
  bool any_two_digit = false;
  for (const auto& q : *two) any_two_digit = any_two_digit || q.operands.front() >= 10;
  EXPECT_TRUE(any_two_digit);
}

// --- the checker -------------------------------------------------------------------------

// arith_grade(response, answer) says `correct`, with format score `format`.
void expect_grade(const std::string& response, const std::string& answer, bool correct,
                  double format) {
  const auto g = arith_grade(response, answer);
  EXPECT_EQ(g.correct, correct) << response;
  EXPECT_EQ(g.format, format) << response;
}

TEST(ArithGrade, ReadsTheLastAnswerLine) {
  auto g = arith_grade("37+85=122\n122-19=103\nA:103", "103");
  EXPECT_TRUE(g.correct);
  EXPECT_TRUE(g.has_answer);
  EXPECT_EQ(g.extracted, "103");
  EXPECT_EQ(g.format, 1.0);
  EXPECT_EQ(g.source, grading::answer_source::answer_phrase);

  EXPECT_FALSE(arith_grade("37+85=122\nA:104", "103").correct);
  // The last answer line counts; two answer lines are not the taught format.
  expect_grade("A:5\nA:103", "103", true, 0.0);
  g = arith_grade("A:103\nA:5", "103");
  EXPECT_FALSE(g.correct);
  EXPECT_EQ(g.extracted, "5");
  // Trailing blank lines are fine; text after the answer is not the format.
  EXPECT_EQ(arith_grade("A:103\n\n", "103").format, 1.0);
  expect_grade("A:103\nmore thinking", "103", true, 0.0);
  // Spaces and non-canonical integers: the value counts, the format does not.
  expect_grade("A: 103 ", "103", true, 0.0);
  expect_grade("A:0103", "103", true, 0.0);
  expect_grade("x\nA:-7", "-7", true, 1.0);
  expect_grade("A:-0", "0", true, 0.0);
  // Not an answer line: "A:" must open the line.
  g = arith_grade("so A:103", "103");
  EXPECT_FALSE(g.correct);
  EXPECT_FALSE(g.has_answer);
  EXPECT_EQ(g.source, grading::answer_source::none);
  EXPECT_EQ(g.format, 0.0);
  // Not an integer.
  for (const char* r : {"A:", "A:103.0", "A:1e2", "A:10 3", "A:--5", "A:12x", "A:+"}) {
    EXPECT_FALSE(arith_grade(r, "103").correct) << r;
  }
  EXPECT_FALSE(arith_grade("A:", "0").has_answer);
  // A direct answer is not punished by a rule: only by the model's inability to compute it.
  EXPECT_TRUE(arith_grade("A:103", "103").correct);
  // Non-ASCII bytes spoil the format, not the answer.
  expect_grade("\xff\xfe\nA:103", "103", true, 0.0);
  // References that are not integers make nothing correct; the int overload agrees.
  EXPECT_FALSE(arith_grade("A:103", "abc").correct);
  EXPECT_EQ(arith_grade("A:103", "abc").extracted, "103");
  EXPECT_FALSE(arith_grade("A:", "").correct);
  EXPECT_TRUE(arith_grade("A:103", std::int64_t{103}).correct);
  EXPECT_TRUE(arith_grade("A:103", " 103 ").correct);
}

TEST(ArithGrade, IntegersParseStrictlyWithinRange) {
  EXPECT_EQ(parse_arith_integer("42"), 42);
  EXPECT_EQ(parse_arith_integer(" -42 "), -42);
  EXPECT_EQ(parse_arith_integer("+7"), 7);
  EXPECT_EQ(parse_arith_integer("000000000000000000000012"), 12);
  EXPECT_EQ(parse_arith_integer("999999999999999999"), 999999999999999999);
  EXPECT_FALSE(parse_arith_integer("1000000000000000000"));  // 19 digits
  EXPECT_FALSE(parse_arith_integer(""));
  EXPECT_FALSE(parse_arith_integer("-"));
  EXPECT_FALSE(parse_arith_integer("1 2"));
  EXPECT_FALSE(parse_arith_integer("0x10"));
}

TEST(ArithGrade, TruncatedResponsesAreNeverCorrect) {
  for (const auto& p : make(arith_split::train, 13, 100)) {
    const std::string r = arith_response(p, {0.5, 0.5}, 1);
    const std::size_t answer_digits = r.rfind("A:") + 3;
    for (std::size_t n = 0; n < r.size(); ++n) {
      const auto g = arith_grade(r.substr(0, n), p.answer);
      EXPECT_FALSE(g.correct) << r.substr(0, n);
      // Well-formed only once the cut falls inside the answer's digits ("A:10" of "A:103").
      if (n < answer_digits) {
        EXPECT_EQ(g.format, 0.0) << r.substr(0, n);
      }
    }
    EXPECT_TRUE(arith_grade(r, p.answer).correct);
  }
}

TEST(ArithGrade, GarbageNeverThrowsAndIsNeverCorrectByAccident) {
  std::uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned>(state >> 33);
  };
  const std::string alphabet = "A:0123456789\n-+*/= ?Q";
  int answered = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text(next() % 200, '\0');
    const bool bytes = trial % 2 == 0;
    for (char& c : text) {
      c = bytes ? static_cast<char>(next() & 0xFF) : alphabet[next() % alphabet.size()];
    }
    grading::grade_result g;
    EXPECT_NO_THROW(g = arith_grade(text, "12345678"));
    EXPECT_NO_THROW(count_arith_steps(text));
    if (g.has_answer) ++answered;
    // An 8-digit answer does not appear by chance.
    EXPECT_FALSE(g.correct) << text;
  }
  EXPECT_GT(answered, 100);  // the alphabet trials do produce answer lines
  // Long input, long lines, NUL bytes, huge numbers.
  std::string huge(200000, '9');
  EXPECT_FALSE(arith_grade("A:" + huge, "9").correct);
  EXPECT_EQ(count_arith_steps(huge + "+" + huge + "=" + huge).steps, 0);
  EXPECT_FALSE(arith_grade(std::string("A:1\0", 4), "1").correct);
}

TEST(ArithGrade, CountsWrongSteps) {
  auto c = count_arith_steps(
      "37+85=122\ncheck 122-85=37 ok\ntry 85+19=104, not needed\n"
      "122-19=100\nwhat if 8*6=48? no\n48/6=8\nso 37+85-19=103\nA:100");
  EXPECT_EQ(c.steps, 6);
  EXPECT_EQ(c.wrong, 1);
  c = count_arith_steps("-48+63=15\n5-9=-4\n7/0=1\n");
  EXPECT_EQ(c.steps, 3);
  EXPECT_EQ(c.wrong, 1);
}

}  // namespace
}  // namespace leadrl::io
