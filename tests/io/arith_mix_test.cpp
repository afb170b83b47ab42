// The SFT answer mixture (io::arith_mixed_response, issue 17) and the step counter
// (io/arith_steps.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "grading/arith_grade.hpp"
#include "io/arith_steps.hpp"
#include "io/arith_task.hpp"

namespace leadrl::io {
namespace {

arith_problem parsed(const char* prompt) {
  auto p = parse_arith_prompt(prompt);
  EXPECT_TRUE(p) << prompt;
  return *p;
}

std::vector<arith_problem> problems(int difficulty, std::size_t count) {
  arith_task_options o;
  o.min_difficulty = difficulty;
  o.max_difficulty = difficulty;
  auto ps = generate_arith_problems(o, arith_split::train, 3, 0, count);
  EXPECT_TRUE(ps);
  return *ps;
}

TEST(ArithMix, DefaultMixIsTheVerboseCorpusByteForByte) {
  arith_task_options o;
  auto ps = generate_arith_problems(o, arith_split::train, 7, 0, 200);
  ASSERT_TRUE(ps);
  for (const auto& p : *ps) {
    arith_answer_kind kind = arith_answer_kind::fused;
    EXPECT_EQ(arith_mixed_response(p, {0.5, 0.5}, {}, p.index, 120, &kind),
              arith_response(p, {0.5, 0.5}, p.index, 120));
    EXPECT_EQ(kind, arith_answer_kind::verbose);
  }
}

TEST(ArithMix, FusedLinesReduceTheRightPartOfTheExpression) {
  // 37+85-19+44: steps 37+85=122, 122-19=103, 103+44=147.
  const arith_problem p = parsed("Q:37+85-19+44=?");
  EXPECT_EQ(arith_fused_response(p, 0, 2), "37+85-19=103\n103+44=147\nA:147");
  EXPECT_EQ(arith_fused_response(p, 1, 2), "37+85=122\n122-19+44=147\nA:147");
  EXPECT_EQ(arith_fused_response(p, 0, 3), "A:147");
  // 37+8*3-5: steps 8*3=24 (a product in the second term), 37+24=61, 61-5=56. The
  // product's step cannot end a fused line; with the step that adds it, it can.
  const arith_problem q = parsed("Q:37+8*3-5=?");
  EXPECT_FALSE(arith_fusable(q, 0, 1));
  EXPECT_TRUE(arith_fusable(q, 0, 2));
  EXPECT_TRUE(arith_fusable(q, 1, 2));
  EXPECT_FALSE(arith_fusable(q, 2, 2));  // past the end
  EXPECT_EQ(arith_fused_response(q, 0, 2), "37+8*3=61\n61-5=56\nA:56");
  EXPECT_EQ(arith_fused_response(q, 1, 2), "8*3=24\n37+24-5=56\nA:56");
  // Not fusable: the minimal response.
  EXPECT_EQ(arith_fused_response(q, 0, 1), arith_minimal_response(q));
}

TEST(ArithMix, EveryMixedResponseIsCorrectAndFusedOnesWriteFewerSteps) {
  const arith_answer_mix mix{0.25, 0.25};
  for (int d = 1; d <= 5; ++d) {
    for (const auto& p : problems(d, 300)) {
      arith_answer_kind kind{};
      const std::string r = arith_mixed_response(p, {0.5, 0.5}, mix, p.index, 320, &kind);
      ASSERT_TRUE(grading::arith_grade(r, p.answer).correct) << p.prompt << r;
      ASSERT_EQ(grading::arith_grade(r, p.answer).format, 1.0) << r;
      // Every line that writes an equation computes it right (fused lines included:
      // they are checked by evaluating their left side as a prompt).
      const arith_step_report s = classify_arith_steps(r, p);
      if (kind == arith_answer_kind::minimal) {
        EXPECT_EQ(r, arith_minimal_response(p));
      }
      if (kind == arith_answer_kind::fused) {
        EXPECT_EQ(s.kind, arith_step_kind::fused) << r;
        EXPECT_LT(s.step_lines, s.needed) << r;
        EXPECT_LE(s.fused_lines, 1) << r;
        if (s.fused_lines == 1) {
          for (std::size_t b = 0; b < r.size();) {
            std::size_t e = r.find('\n', b);
            if (e == std::string::npos) e = r.size();
            const std::string line = r.substr(b, e - b);
            b = e + 1;
            const auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            auto lhs = parse_arith_prompt(line.substr(0, eq));
            if (!lhs || lhs->operands.size() < 3) continue;
            EXPECT_EQ(std::to_string(lhs->answer), line.substr(eq + 1)) << line;
          }
        }
      } else {
        EXPECT_EQ(s.kind, arith_step_kind::full) << r;
        EXPECT_EQ(s.matched, s.needed) << r;
      }
    }
  }
}

TEST(ArithMix, KindSharesDoNotDependOnDifficulty) {
  const arith_answer_mix mix{0.25, 0.25};
  for (int d = 1; d <= 5; ++d) {
    std::map<arith_answer_kind, int> counts;
    const auto ps = problems(d, 2000);
    for (const auto& p : ps) {
      arith_answer_kind kind{};
      arith_mixed_response(p, {0.5, 0.5}, mix, p.index, 320, &kind);
      ++counts[kind];
    }
    // 2000 draws: the standard error of a 25% share is ~1 point.
    EXPECT_NEAR(counts[arith_answer_kind::verbose] / 2000.0, 0.5, 0.04) << "level " << d;
    EXPECT_NEAR(counts[arith_answer_kind::minimal] / 2000.0, 0.25, 0.04) << "level " << d;
    EXPECT_NEAR(counts[arith_answer_kind::fused] / 2000.0, 0.25, 0.04) << "level " << d;
  }
}

TEST(ArithMix, FusedAnswersSpanEveryK) {
  // Level 5 has five steps: fused answers fuse 2..5 of them; 5 is the answer alone.
  std::map<int, int> by_written;
  for (const auto& p : problems(5, 600)) {
    arith_answer_kind kind{};
    const std::string r = arith_mixed_response(p, {0.5, 0.5}, {0.0, 1.0}, p.index, 320, &kind);
    ASSERT_EQ(kind, arith_answer_kind::fused);
    ++by_written[classify_arith_steps(r, p).step_lines];
  }
  // k = 2..5 leaves 3, 2, 1 or 0 step lines (a fused product takes one more step).
  for (int written = 0; written <= 3; ++written) EXPECT_GT(by_written[written], 30) << written;
  EXPECT_EQ(by_written.count(4), 0u);
  // One step (level 1): the fused answer is the answer alone.
  for (const auto& p : problems(1, 20)) {
    EXPECT_EQ(arith_mixed_response(p, {0.5, 0.5}, {0.0, 1.0}, 0, 320),
              "A:" + std::to_string(p.answer));
  }
}

TEST(ArithMix, BadSharesAreNamed) {
  EXPECT_FALSE(validate_arith_answer_mix({-0.1, 0.0}));
  EXPECT_NE(validate_arith_answer_mix({-0.1, 0.0}).error().message().find("minimal"),
            std::string::npos);
  EXPECT_NE(validate_arith_answer_mix({0.0, 1.5}).error().message().find("fused"),
            std::string::npos);
  EXPECT_NE(validate_arith_answer_mix({0.6, 0.5}).error().message().find("<= 1"),
            std::string::npos);
  EXPECT_FALSE(validate_arith_answer_mix({0.0, std::nan("")}));
  EXPECT_TRUE(validate_arith_answer_mix({0.5, 0.5}));
  EXPECT_TRUE(validate_arith_answer_mix({}));
}

TEST(ArithSteps, HandWrittenAnswers) {
  const arith_problem p = parsed("Q:37+85-19+44=?");  // 3 steps
  auto r = classify_arith_steps("37+85=122\n122-19=103\n103+44=147\nA:147", p);
  EXPECT_EQ(r.needed, 3);
  EXPECT_EQ(r.step_lines, 3);
  EXPECT_EQ(r.matched, 3);
  EXPECT_EQ(r.kind, arith_step_kind::full);
  EXPECT_FALSE(r.skipped());
  // The verbose corpus's commentary is not counted; the steps are.
  r = classify_arith_steps(
      "we need 37+85-19+44\ntry 85+19=104, not needed\n37+85=122\ncheck 122-85=37 ok\n"
      "again 37+85=122\nnow 122-19+44\n122-19=103\n103+44=147\nso 37+85-19+44=147\nA:147",
      p);
  EXPECT_EQ(r.step_lines, 3);
  EXPECT_EQ(r.fused_lines, 0);
  EXPECT_EQ(r.kind, arith_step_kind::full);
  // A wrong step is still a written step (the answer is wrong, the kind is full).
  r = classify_arith_steps("37+85=121\n121-19=102\n102+44=146\nA:146", p);
  EXPECT_EQ(r.step_lines, 3);
  EXPECT_EQ(r.matched, 0);
  EXPECT_EQ(r.kind, arith_step_kind::full);
  // Two steps on one line.
  r = classify_arith_steps("37+85-19=103\n103+44=147\nA:147", p);
  EXPECT_EQ(r.step_lines, 1);
  EXPECT_EQ(r.matched, 1);
  EXPECT_EQ(r.fused_lines, 1);
  EXPECT_EQ(r.kind, arith_step_kind::fused);
  EXPECT_TRUE(r.skipped());
  // The answer alone.
  r = classify_arith_steps("A:147", p);
  EXPECT_EQ(r.step_lines, 0);
  EXPECT_EQ(r.kind, arith_step_kind::fused);
  // A step left out with nothing in its place.
  r = classify_arith_steps("37+85=122\n122-19+44=147\n", p);  // fused, no answer line
  EXPECT_EQ(r.kind, arith_step_kind::fused);
  r = classify_arith_steps("37+85=122\n103+44=147\nA:147", p);
  EXPECT_EQ(r.step_lines, 2);
  EXPECT_EQ(r.kind, arith_step_kind::dropped);
  // Lines after the answer line do not count.
  r = classify_arith_steps("A:147\n37+85=122\n122-19=103\n103+44=147", p);
  EXPECT_EQ(r.step_lines, 0);
  // Negative running values and division lines parse; junk does not.
  const arith_problem n = parsed("Q:5-9+2=?");
  r = classify_arith_steps("5-9=-4\n-4+2=-2\nA:-2", n);
  EXPECT_EQ(r.step_lines, 2);
  EXPECT_EQ(r.matched, 2);
  r = classify_arith_steps("5-9=\n=4\n5--9=14\n5 - 9 = -4\n5-9=-4x\nA:-2", n);
  EXPECT_EQ(r.step_lines, 0);
  EXPECT_EQ(r.fused_lines, 0);
  // A repeated step line counts as a line but matches once.
  r = classify_arith_steps("5-9=-4\n5-9=-4\nA:-2", n);
  EXPECT_EQ(r.step_lines, 2);
  EXPECT_EQ(r.matched, 1);
  EXPECT_EQ(r.kind, arith_step_kind::full);
  EXPECT_STREQ(arith_step_kind_name(arith_step_kind::dropped), "dropped");
}

}  // namespace
}  // namespace leadrl::io
