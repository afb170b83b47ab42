// The character-level tokenizer of the built-in arithmetic tasks.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "model/char_tokenizer.hpp"
#include "model/tokenizer.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::model {
namespace {

using ids_t = std::vector<std::int32_t>;

TEST(char_tokenizer, vocabulary_is_fixed_and_every_entry_round_trips) {
  char_tokenizer tok;
  EXPECT_EQ(tok.vocab_size(), 100u);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  EXPECT_EQ(tok.token_to_id("0"), char_tokenizer::first_printable + ('0' - ' '));
  std::set<std::string> seen;
  for (std::int32_t id = 0; id < 100; ++id) {
    const std::string token = tok.id_to_token(id);
    ASSERT_FALSE(token.empty()) << id;
    EXPECT_TRUE(seen.insert(token).second) << "duplicate " << token;
    EXPECT_EQ(tok.token_to_id(token), id) << token;
    EXPECT_EQ(tok.encode(token, false), ids_t{id}) << token;
  }
  EXPECT_EQ(tok.id_to_token(100), "");
  EXPECT_EQ(tok.token_to_id("ab"), -1);
}

TEST(char_tokenizer, arithmetic_text_round_trips) {
  char_tokenizer tok;
  const std::string text =
      "Q: 12+30*(4-1)=?\nA: 30*3 = 90; 12 + 90 = 102. So the answer is \\boxed{102}.\n<eos>";
  const ids_t ids = tok.encode(text, true);
  ASSERT_EQ(ids.front(), tok.bos_id());
  EXPECT_EQ(ids.back(), tok.eos_id());  // the written control token is one id
  EXPECT_EQ(ids.size(), 1 + text.size() - 4);
  EXPECT_EQ(tok.decode(ids), "<bos>" + text);
  EXPECT_EQ(tok.decode(tok.encode(text, false)), text);
  auto checked = tok.try_encode(text, true);
  ASSERT_TRUE(checked) << checked.error().message();
  EXPECT_EQ(*checked, ids);
}

TEST(char_tokenizer, unknown_characters_become_unk_or_an_error) {
  char_tokenizer tok;
  // One <unk> per code point (é is two bytes) and per ill-formed byte; tab is unknown too.
  EXPECT_EQ(tok.encode("1é2", false),
            (ids_t{tok.token_to_id("1"), char_tokenizer::unk, tok.token_to_id("2")}));
  EXPECT_EQ(tok.encode("\xFF\t", false), (ids_t{char_tokenizer::unk, char_tokenizer::unk}));
  auto err = tok.try_encode("12 é", false);
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().message().find("byte offset 3"), std::string::npos)
      << err.error().message();
  EXPECT_NE(err.error().message().find("\\xC3\\xA9"), std::string::npos);
  EXPECT_EQ(tok.decode({5, -1, 1000, 6}), " !");  // unknown ids skipped
}

}  // namespace
}  // namespace leadrl::model

namespace leadrl::model {
namespace {

TEST(char_tokenizer, saved_hf_files_load_back_as_the_char_tokenizer) {
  const test::temp_dir scratch("char_tok");
  const auto& dir = scratch.path();
  ASSERT_TRUE(save_char_tokenizer(dir.string()).ok());
  for (const auto& spec : {dir.string(), (dir / "tokenizer.json").string()}) {
    auto tok = load_tokenizer(spec);
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    ASSERT_NE(dynamic_cast<const char_tokenizer*>(tok->get()), nullptr) << spec;
    const std::string text = "Q:37+85*3=?\nA:292";
    EXPECT_EQ((*tok)->encode(text, true), char_tokenizer{}.encode(text, true));
  }
  // The file is a WordLevel model over exactly the 100 entries, with the control tokens
  // as special added tokens and BOS prepended.
  const auto j = nlohmann::json::parse(char_tokenizer::hf_tokenizer_json());
  EXPECT_EQ(j["model"]["type"], "WordLevel");
  EXPECT_EQ(j["model"]["vocab"].size(), char_tokenizer::size);
  EXPECT_EQ(j["model"]["vocab"]["\n"], char_tokenizer::newline);
  EXPECT_EQ(j["model"]["vocab"]["~"], 99);
  EXPECT_EQ(j["added_tokens"].size(), 4u);
  EXPECT_EQ(j["post_processor"]["special_tokens"]["<bos>"]["ids"][0], char_tokenizer::bos);
  const auto cfg = nlohmann::json::parse(char_tokenizer::hf_tokenizer_config_json());
  EXPECT_EQ(cfg["eos_token"], "<eos>");
  // Another vocabulary is not taken for this one.
  auto other = j;
  other["model"]["vocab"].erase("~");
  EXPECT_FALSE(char_tokenizer::is_hf_tokenizer_json(other.dump()));
  EXPECT_FALSE(char_tokenizer::is_hf_tokenizer_json("not json"));
  EXPECT_TRUE(char_tokenizer::is_hf_tokenizer_json(j.dump()));
  // A missing folder is an error, not a crash.
  EXPECT_FALSE(save_char_tokenizer((dir / "missing" / "deeper").string()).ok());
}

}  // namespace
}  // namespace leadrl::model
