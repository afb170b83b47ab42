// Byte-level BPE against the shared goldens (shared/data/tokenizers/*/golden.jsonl) and
// its behaviour on the real Qwen3 and DeepSeek-R1-Distill-Qwen tokenizer files.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/bpe_tokenizer.hpp"
#include "model/tokenizer.hpp"
#include "model/tokenizer_unicode.hpp"
#include "tests/support/shared_data.hpp"

namespace leadrl::model {
namespace {

using ids_t = std::vector<std::int32_t>;

// Loading a 11 MB tokenizer.json takes a moment; each is loaded once per test binary.
const bpe_tokenizer& shared_tokenizer(const std::string& name) {
  static std::map<std::string, bpe_tokenizer> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) {
    auto tok =
        bpe_tokenizer::load(test::shared_path("data/tokenizers/" + name + "/tokenizer.json"));
    if (!tok) throw std::runtime_error(tok.error().message());
    it = loaded.emplace(name, std::move(*tok)).first;
  }
  return it->second;
}

std::vector<nlohmann::json> golden_rows(const std::string& name) {
  const std::string path = test::shared_path("data/tokenizers/" + name + "/golden.jsonl");
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

std::string show(const ids_t& ids) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? "," : "") << ids[i];
  out << "]";
  return out.str();
}

// "" when equal, else where the first difference is and both sides.
std::string first_mismatch(const ids_t& got, const ids_t& want) {
  if (got == want) return "";
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  std::ostringstream out;
  out << "first mismatch at index " << i << ": got "
      << (i < got.size() ? std::to_string(got[i]) : std::string("<end>")) << ", want "
      << (i < want.size() ? std::to_string(want[i]) : std::string("<end>")) << "\n  got  "
      << show(got) << "\n  want " << show(want);
  return out.str();
}

class bpe_golden : public ::testing::TestWithParam<std::string> {};

TEST_P(bpe_golden, encode_and_decode_equal_every_row) {
  const bpe_tokenizer& tok = shared_tokenizer(GetParam());
  const auto rows = golden_rows(GetParam());
  ASSERT_EQ(rows.size(), 83u);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const std::string text = row.at("text");
    const ids_t ids = row.at("ids");
    const ids_t ids_add_special = row.at("ids_add_special");
    const std::string decoded = row.at("decoded");
    const std::string where =
        GetParam() + " golden row " + std::to_string(r) + " text " + nlohmann::json(text).dump();

    const std::string plain = first_mismatch(tok.encode(text, false), ids);
    if (!plain.empty()) ADD_FAILURE() << where << " (add_special=false): " << plain;
    const std::string special = first_mismatch(tok.encode(text, true), ids_add_special);
    if (!special.empty()) ADD_FAILURE() << where << " (add_special=true): " << special;
    EXPECT_EQ(tok.decode(ids), decoded) << where;
    const std::vector<std::string> tokens = row.at("tokens");
    ASSERT_EQ(tokens.size(), ids.size()) << where;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (tok.id_to_token(ids[i]) != tokens[i]) {
        ADD_FAILURE() << where << ": id_to_token(" << ids[i] << ") = " << tok.id_to_token(ids[i])
                      << ", want " << tokens[i];
        break;
      }
      EXPECT_EQ(tok.token_to_id(tokens[i]), ids[i]) << where;
    }
  }
}

TEST_P(bpe_golden, warm_cache_gives_the_same_ids) {
  const bpe_tokenizer& tok = shared_tokenizer(GetParam());
  const auto rows = golden_rows(GetParam());
  tok.clear_cache();
  EXPECT_EQ(tok.cache_size(), 0u);
  std::vector<ids_t> cold;
  for (const auto& row : rows) cold.push_back(tok.encode(row.at("text").get<std::string>(), true));
  EXPECT_GT(tok.cache_size(), 100u);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(tok.encode(rows[r].at("text").get<std::string>(), true), cold[r]) << "row " << r;
  }
}

TEST_P(bpe_golden, concurrent_encoding_matches_sequential) {
  const bpe_tokenizer& tok = shared_tokenizer(GetParam());
  const auto rows = golden_rows(GetParam());
  std::vector<std::string> texts;
  std::vector<ids_t> want;
  for (const auto& row : rows) {
    texts.push_back(row.at("text"));
    want.push_back(row.at("ids"));
  }
  tok.clear_cache();
  std::vector<std::vector<ids_t>> got(2);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        got[t].clear();
        for (const auto& text : texts) got[t].push_back(tok.encode(text, false));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

INSTANTIATE_TEST_SUITE_P(tokenizers, bpe_golden,
                         ::testing::Values("qwen3", "deepseek-r1-distill-qwen"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(bpe_tokenizer, special_ids_come_from_tokenizer_config) {
  const bpe_tokenizer& r1 = shared_tokenizer("deepseek-r1-distill-qwen");
  EXPECT_EQ(r1.bos_id(), 151646);
  EXPECT_EQ(r1.eos_id(), 151643);
  EXPECT_EQ(r1.pad_id(), 151643);
  EXPECT_EQ(r1.vocab_size(), 151665u);
  EXPECT_EQ(r1.special_prefix(), ids_t{151646});
  EXPECT_TRUE(r1.special_suffix().empty());
  EXPECT_TRUE(r1.is_special(151643));
  EXPECT_FALSE(r1.is_special(151644));  // <｜User｜> is added but not special
  EXPECT_EQ(r1.token_to_id("<｜User｜>"), 151644);

  const bpe_tokenizer& qwen = shared_tokenizer("qwen3");
  EXPECT_EQ(qwen.bos_id(), -1);
  EXPECT_EQ(qwen.eos_id(), 151645);  // <|im_end|>
  EXPECT_EQ(qwen.pad_id(), 151643);  // <|endoftext|>
  EXPECT_EQ(qwen.vocab_size(), 151669u);
  EXPECT_TRUE(qwen.special_prefix().empty());
}

TEST(bpe_tokenizer, invalid_utf8_is_encoded_as_replacement_characters) {
  const bpe_tokenizer& tok = shared_tokenizer("qwen3");
  // A stray continuation byte, a truncated 3-byte sequence, an overlong form, a surrogate.
  const std::string bad = "a\x80 b\xE2\x82 c\xC0\xAF d\xED\xA0\x80!";
  const std::string repaired =
      "a\xEF\xBF\xBD b\xEF\xBF\xBD c\xEF\xBF\xBD\xEF\xBF\xBD "
      "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!";
  const ids_t ids = tok.encode(bad, false);
  EXPECT_EQ(ids, tok.encode(repaired, false));
  EXPECT_EQ(tok.decode(ids), repaired);
  // Every single byte value alone must not crash and decodes to valid text.
  for (int b = 0; b < 256; ++b) {
    const ids_t one = tok.encode(std::string(1, static_cast<char>(b)), true);
    ASSERT_FALSE(one.empty()) << "byte " << b;
  }
}

TEST(bpe_tokenizer, decoding_a_cut_character_gives_replacement_not_bytes) {
  const bpe_tokenizer& tok = shared_tokenizer("qwen3");
  const ids_t rocket = tok.encode("🚀", false);
  ASSERT_EQ(rocket.size(), 1u);
  const ids_t family = tok.encode("👨‍👩‍👧‍👦", false);  // several byte-piece tokens
  ASSERT_GT(family.size(), 2u);
  // Some token of the family carries only part of a character's bytes; alone, its raw
  // bytes are ill-formed and decode() repairs them.
  bool found_partial = false;
  for (std::int32_t id : family) {
    const std::string raw = tok.decode_bytes({id});
    if (unicode::is_valid_utf8(raw)) continue;
    found_partial = true;
    const std::string text = tok.decode({id});
    EXPECT_TRUE(unicode::is_valid_utf8(text)) << "id " << id;
    EXPECT_NE(text.find("\xEF\xBF\xBD"), std::string::npos) << "id " << id;
  }
  EXPECT_TRUE(found_partial);
  EXPECT_EQ(tok.decode_bytes(family), "👨‍👩‍👧‍👦");
}

TEST(bpe_tokenizer, unknown_ids_are_skipped_in_decode) {
  const bpe_tokenizer& tok = shared_tokenizer("deepseek-r1-distill-qwen");
  const ids_t hello = tok.encode("Hello", false);
  ids_t with_junk = {-5, hello[0], 999999999, 151665};
  EXPECT_EQ(tok.decode(with_junk), "Hello");
  EXPECT_EQ(tok.id_to_token(-1), "");
  EXPECT_EQ(tok.token_to_id("no such token here"), -1);
}

TEST(bpe_tokenizer, long_words_merge_like_short_ones) {
  const bpe_tokenizer& tok = shared_tokenizer("qwen3");
  // 32 'a' is 4 tokens of 8 (golden row 57); 200,000 'a' must be 25,000 of them, and must
  // finish quickly (the merge loop is O(n log n), not a rescan per merge).
  const ids_t eight = tok.encode(std::string(8, 'a'), false);
  ASSERT_EQ(eight.size(), 1u);
  const ids_t many = tok.encode(std::string(200000, 'a'), false);
  EXPECT_EQ(many, ids_t(25000, eight[0]));
  // Long whitespace runs go through the split regex's look-ahead alternatives.
  const std::string spaces = std::string(100000, ' ') + "x" + std::string(50000, '\n');
  EXPECT_EQ(tok.decode(tok.encode(spaces, false)), spaces);
  // The decode of a long, mixed text round-trips.
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "x_" + std::to_string(i) + " = \\frac{" + "π" + "}{2}\n";
  EXPECT_EQ(tok.decode(tok.encode(text, false)), text);
}

TEST(bpe_tokenizer, added_tokens_are_matched_longest_first_in_raw_text) {
  const bpe_tokenizer& tok = shared_tokenizer("deepseek-r1-distill-qwen");
  // "<think>" and "</think>" are added tokens; text around them is BPE'd separately.
  const ids_t ids = tok.encode("a<think>b</think>c", false);
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids[1], 151648);
  EXPECT_EQ(ids[3], 151649);
  EXPECT_EQ(tok.decode(ids), "a<think>b</think>c");
  // A broken token is plain text.
  const ids_t broken = tok.encode("<think", false);
  for (std::int32_t id : broken) EXPECT_LT(id, 151643);
}

TEST(load_tokenizer, factory_loads_files_folders_and_char) {
  auto from_folder = load_tokenizer(test::shared_path("data/tokenizers/deepseek-r1-distill-qwen"));
  ASSERT_TRUE(from_folder) << from_folder.error().message();
  EXPECT_EQ((*from_folder)->encode("Hello world", true), (ids_t{151646, 9707, 1879}));
  EXPECT_EQ((*from_folder)->eos_id(), 151643);
  auto chars = load_tokenizer("char");
  ASSERT_TRUE(chars);
  EXPECT_EQ((*chars)->vocab_size(), 100u);
  auto missing = load_tokenizer("/nonexistent/dir/tokenizer.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/dir/tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::model
