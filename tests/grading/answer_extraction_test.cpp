// grading/answer_extraction: last-box extraction (spec/lead.md §11.3), its extensions and
// fallbacks, the format score (§11.1), and robustness on hostile input.
#include <gtest/gtest.h>

#include <string>

#include "grading/answer_extraction.hpp"
#include "grading/grader.hpp"

namespace {

using namespace leadrl::grading;

TEST(answer_extraction, reference_takes_the_last_box_with_nested_braces) {
  EXPECT_EQ(extract_boxed_reference("a \\boxed{1} b \\boxed{\\frac{1}{2}} c"), "\\frac{1}{2}");
  EXPECT_EQ(extract_boxed_reference("\\boxed{}"), "");
  EXPECT_EQ(extract_boxed_reference("\\boxed{\\{1,2\\}}"), "\\{1,2\\}");
}

TEST(answer_extraction, reference_rejects_unbraced_and_unclosed_boxes) {
  EXPECT_EQ(extract_boxed_reference("no box here"), std::nullopt);
  EXPECT_EQ(extract_boxed_reference("\\boxed 5$"), std::nullopt);
  EXPECT_EQ(extract_boxed_reference("\\boxed {5}"), std::nullopt);
  EXPECT_EQ(extract_boxed_reference("\\boxed{5"), std::nullopt);
  // The last box counts even when an earlier one was complete.
  EXPECT_EQ(extract_boxed_reference("\\boxed{4} then \\boxed{5"), std::nullopt);
}

TEST(answer_extraction, extended_extraction_accepts_fbox_spaces_and_unbraced) {
  EXPECT_EQ(extract_boxed("\\fbox{7}"), "7");
  EXPECT_EQ(extract_boxed("\\boxed{3} and later \\fbox{7}"), "7");
  EXPECT_EQ(extract_boxed("\\fbox{7} and later \\boxed{3}"), "3");
  EXPECT_EQ(extract_boxed("\\boxed {5}"), "5");
  EXPECT_EQ(extract_boxed("so $\\boxed 5$."), "5");
  EXPECT_EQ(extract_boxed("so \\boxed 12.\nNext"), "12");
  EXPECT_EQ(extract_boxed("\\[\\boxed 3\\]"), "3");
  EXPECT_EQ(extract_boxed("\\boxedfoo{3}"), std::nullopt);
  EXPECT_EQ(extract_boxed("\\boxed{5"), std::nullopt);
  EXPECT_EQ(extract_boxed("ends with \\boxed"), std::nullopt);
}

TEST(answer_extraction, answer_phrase_fallback) {
  EXPECT_EQ(extract_answer_phrase("so The answer is $\\frac{1}{2}$. Done"), "\\frac{1}{2}");
  EXPECT_EQ(extract_answer_phrase("Final Answer: 42"), "42");
  EXPECT_EQ(extract_answer_phrase("the answer is 17. Next line"), "17");
  EXPECT_EQ(extract_answer_phrase("the answer is \\(x+1\\)"), "x+1");
  EXPECT_EQ(extract_answer_phrase("**Answer:** 9"), "9");
  EXPECT_EQ(extract_answer_phrase("The answer is $\\$32$."), "\\$32");
  EXPECT_EQ(extract_answer_phrase("no phrase"), std::nullopt);
  EXPECT_EQ(extract_answer_phrase("the answer is"), std::nullopt);
}

TEST(answer_extraction, last_number_fallback) {
  EXPECT_EQ(extract_last_number("we get 3 apples and then 12 pears"), "12");
  EXPECT_EQ(extract_last_number("it is -4."), "-4");
  EXPECT_EQ(extract_last_number("total 1,000 dollars"), "1000");
  EXPECT_EQ(extract_last_number("the list 1, 2"), "2");
  EXPECT_EQ(extract_last_number("ratio 3/4"), "3/4");
  EXPECT_EQ(extract_last_number("pi is 3.14"), "3.14");
  EXPECT_EQ(extract_last_number("x-3"), "3");
  EXPECT_EQ(extract_last_number("none"), std::nullopt);
}

TEST(answer_extraction, fallbacks_apply_only_when_enabled_and_no_box_answers) {
  std::string text = "The answer is 6. Then 7";
  EXPECT_EQ(extract_answer(text).answer, std::nullopt);
  extraction_options phrase;
  phrase.answer_phrase = true;
  EXPECT_EQ(extract_answer(text, phrase).answer, "6");
  EXPECT_EQ(extract_answer(text, phrase).source, answer_source::answer_phrase);
  extraction_options number;
  number.last_number = true;
  EXPECT_EQ(extract_answer(text, number).answer, "7");
  // An empty box (the prompt's \boxed{}) does not stop the fallbacks.
  EXPECT_EQ(extract_answer("within \\boxed{}. The answer is 6", phrase).answer, "6");
  // A real box wins.
  auto boxed = extract_answer("The answer is 6. \\boxed{8}", phrase);
  EXPECT_EQ(boxed.answer, "8");
  EXPECT_EQ(boxed.source, answer_source::boxed);
  EXPECT_EQ(extract_answer("$\\boxed 8$").source, answer_source::boxed_unbraced);
  EXPECT_EQ(extract_answer("\\fbox{8}").source, answer_source::fbox);
}

TEST(answer_extraction, format_score_modes) {
  EXPECT_EQ(format_score("\\boxed{1}", true, format_mode::none), 0.0);
  EXPECT_EQ(format_score("\\boxed{1}", true, format_mode::boxed, 0.5), 0.5);
  EXPECT_EQ(format_score("x", false, format_mode::boxed), 0.0);
  EXPECT_EQ(format_score("\\boxed{1}", true, format_mode::strict), 0.5);
  EXPECT_EQ(format_score("<think>a</think> \\boxed{1}", true, format_mode::strict), 1.0);
  EXPECT_EQ(format_score("<think>a \\boxed{1}</think>", true, format_mode::strict), 0.75);
  EXPECT_EQ(format_score("<think>a</think> no box", false, format_mode::strict), 0.5);
}

// --- robustness: none of these may crash, throw or take long --------------------------

TEST(answer_extraction, survives_200k_character_responses) {
  std::string text(200000, 'a');
  EXPECT_EQ(extract_boxed(text), std::nullopt);
  text += "\\boxed{42}";
  EXPECT_EQ(extract_boxed(text), "42");
  extraction_options all{true, true};
  EXPECT_FALSE(extract_answer(std::string(200000, '9'), all).answer->empty());
  auto r = grade_answer(text, "42");
  EXPECT_TRUE(r.correct);
}

TEST(answer_extraction, survives_deeply_nested_and_unbalanced_braces) {
  std::string deep = "\\boxed{" + std::string(100000, '{') + "1" + std::string(100000, '}') + "}";
  auto inner = extract_boxed(deep);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->size(), 200001u);
  auto r = grade_answer(deep, "1");
  EXPECT_TRUE(r.has_answer);
  std::string open = "\\boxed{" + std::string(50000, '{');
  EXPECT_EQ(extract_boxed(open), std::nullopt);
  EXPECT_FALSE(grade_answer(open, "1").correct);
  std::string closers = "\\boxed{1}" + std::string(50000, '}');
  EXPECT_EQ(extract_boxed(closers), "1");
  std::string parens = "\\boxed{" + std::string(1900, '(') + "1" + std::string(1900, ')') + "}";
  EXPECT_TRUE(grade_answer(parens, "1").has_answer);
  EXPECT_FALSE(grade_answer(parens, "2").correct);
}

TEST(answer_extraction, survives_invalid_utf8_and_nul_bytes) {
  std::string bytes = "\xff\xfe\x80 \\boxed{\xc3\x28";
  bytes += '\0';
  bytes += "5}";
  auto inner = extract_boxed(bytes);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->size(), 4u);
  EXPECT_FALSE(grade_answer(bytes, "5").correct);
  std::string nul_answer = std::string("\\boxed{5}") + '\0';
  EXPECT_TRUE(grade_answer(nul_answer, "5").correct);
  std::string reference_with_nul("5\0", 2);
  EXPECT_NO_THROW(grade_answer("\\boxed{5}", reference_with_nul));
}

}  // namespace
