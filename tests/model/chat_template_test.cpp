// Chat templates: the rendered training prompt of shared/data/README.md, token for token.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "model/bpe_tokenizer.hpp"
#include "model/chat_template.hpp"
#include "tests/support/shared_data.hpp"

namespace leadrl::model {
namespace {

using ids_t = std::vector<std::int32_t>;

nlohmann::json jsonl_row(const std::string& relative, std::size_t index) {
  std::ifstream in(test::shared_path(relative));
  if (!in) throw std::runtime_error("cannot open " + test::shared_path(relative));
  std::string line;
  for (std::size_t i = 0; std::getline(in, line); ++i) {
    if (i == index) return nlohmann::json::parse(line);
  }
  throw std::runtime_error(relative + ": fewer rows than expected");
}

const bpe_tokenizer& tokenizer_named(const std::string& name) {
  static std::map<std::string, bpe_tokenizer> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) {
    auto tok = bpe_tokenizer::load(test::shared_path("data/tokenizers/" + name));
    if (!tok) throw std::runtime_error(tok.error().message());
    it = loaded.emplace(name, std::move(*tok)).first;
  }
  return it->second;
}

TEST(chat_template, r1_distill_renders_the_readme_prompt) {
  const auto tmpl = chat_template::r1_distill();
  EXPECT_EQ(tmpl.render("What is 1+1?"),
            "<｜begin▁of▁sentence｜><｜User｜>What is 1+1?<｜Assistant｜><think>\n");
}

TEST(chat_template, math_train_prompt_encodes_like_the_golden) {
  const auto row = jsonl_row("data/math/train.jsonl", 0);
  const std::string prompt = row.at("prompt");
  ASSERT_EQ(prompt, row.at("problem").get<std::string>() +
                        " Let's think step by step and output the final answer within \\boxed{}.");
  // Golden row 82 of each tokenizer is this very prompt rendered by the model's template.
  struct model_case {
    std::string tokenizer;
    chat_template tmpl;
  };
  for (const auto& c : {model_case{"deepseek-r1-distill-qwen", chat_template::r1_distill()},
                        model_case{"qwen3", chat_template::chatml()}}) {
    const auto golden = jsonl_row("data/tokenizers/" + c.tokenizer + "/golden.jsonl", 82);
    EXPECT_EQ(c.tmpl.render(prompt), golden.at("text").get<std::string>()) << c.tokenizer;
    EXPECT_EQ(encode_prompt(tokenizer_named(c.tokenizer), c.tmpl, prompt),
              golden.at("ids").get<ids_t>())
        << c.tokenizer;
  }
}

TEST(chat_template, r1_prompt_starts_with_bos_and_holds_the_role_tokens) {
  const auto& tok = tokenizer_named("deepseek-r1-distill-qwen");
  const std::string prompt = jsonl_row("data/math/train.jsonl", 1).at("prompt");
  const ids_t ids = encode_prompt(tok, chat_template::r1_distill(), prompt);
  ASSERT_GT(ids.size(), 5u);
  EXPECT_EQ(ids[0], 151646);  // <｜begin▁of▁sentence｜>, written by the template
  EXPECT_EQ(ids[1], 151644);  // <｜User｜>
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 151646), 1);          // no second BOS
  const auto assistant = std::find(ids.begin(), ids.end(), 151645);  // <｜Assistant｜>
  ASSERT_NE(assistant, ids.end());
  EXPECT_EQ(ids.end() - assistant, 3);  // then <think> and "\n"
  EXPECT_EQ(ids[ids.size() - 2], 151648);
  EXPECT_EQ(ids.back(), tok.encode("\n", false).at(0));
  EXPECT_EQ(tok.decode(ids), chat_template::r1_distill().render(prompt));
}

TEST(chat_template, configured_strings_need_exactly_one_prompt) {
  auto custom = chat_template::from_spec("Question: {prompt}\\nAnswer:");
  ASSERT_TRUE(custom) << custom.error().message();
  EXPECT_EQ(custom->render("2+2?"), "Question: 2+2?\nAnswer:");
  EXPECT_EQ(custom->text(), "Question: {prompt}\nAnswer:");
  auto named = chat_template::from_spec("r1_distill");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->render("x"), chat_template::r1_distill().render("x"));
  EXPECT_EQ(chat_template::from_spec("plain")->render("x"), "x");
  auto none = chat_template::from_spec("no placeholder");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("{prompt} exactly once"), std::string::npos);
  EXPECT_FALSE(chat_template::from_spec("{prompt}{prompt}"));
  auto escape = chat_template::from_spec("{prompt}\\q");
  ASSERT_FALSE(escape);
  EXPECT_NE(escape.error().message().find("unknown escape at offset 8"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::model
