// Loading tokenizer.json: failures named with the file and what was expected, the two
// spellings of merges, and the BPE merge order against a direct reference on small
// synthetic vocabularies.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/bpe_tokenizer.hpp"

#include "tests/support/temp_dir.hpp"

namespace leadrl::model {
namespace {

using json = nlohmann::json;
using ids_t = std::vector<std::int32_t>;

// The GPT-2 byte alphabet (printable bytes map to themselves, the rest to U+0100...).
std::vector<std::string> byte_strings() {
  std::vector<std::string> out(256);
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    const int cp = printable ? b : next++;
    std::string s;
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    out[static_cast<std::size_t>(b)] = s;
  }
  return out;
}

// A minimal byte-level tokenizer.json: 256 byte tokens (id = byte), extra tokens after.
json tiny_tokenizer(const std::vector<std::pair<std::string, std::string>>& merges,
                    bool merges_as_pairs) {
  json vocab = json::object();
  const auto bytes = byte_strings();
  for (int b = 0; b < 256; ++b) vocab[bytes[static_cast<std::size_t>(b)]] = b;
  json merge_list = json::array();
  int next_id = 256;
  for (const auto& [l, r] : merges) {
    if (!vocab.contains(l + r)) vocab[l + r] = next_id++;
    merge_list.push_back(merges_as_pairs ? json::array({l, r}) : json(l + " " + r));
  }
  return json{
      {"version", "1.0"},
      {"added_tokens", json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}, {"dropout", nullptr}}}};
}

std::string load_error(const std::string& path) {
  auto tok = bpe_tokenizer::load(path);
  return tok ? std::string("<loaded>") : tok.error().message();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(bpe_tokenizer_load, missing_file_names_the_file) {
  const std::string msg = load_error("/no/such/folder/tokenizer.json");
  EXPECT_TRUE(contains(msg, "/no/such/folder/tokenizer.json")) << msg;
  EXPECT_TRUE(contains(msg, "cannot open")) << msg;
}

TEST(bpe_tokenizer_load, malformed_json_names_the_file) {
  test::temp_dir dir("tokenizer");
  const std::string path = dir.write("tokenizer.json", "{\"model\": {\"type\": \"BPE\", ");
  const std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, path)) << msg;
  EXPECT_TRUE(contains(msg, "not valid JSON")) << msg;
}

TEST(bpe_tokenizer_load, unknown_model_type_says_what_was_expected) {
  test::temp_dir dir("tokenizer");
  json j = tiny_tokenizer({}, false);
  j["model"]["type"] = "WordPiece";
  const std::string path = dir.write("tokenizer.json", j.dump());
  const std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, path)) << msg;
  EXPECT_TRUE(contains(msg, "model.type: expected \"BPE\", got \"WordPiece\"")) << msg;
  j.erase("model");
  EXPECT_TRUE(contains(load_error(dir.write("tokenizer.json", j.dump())), "\"model\" object"));
}

TEST(bpe_tokenizer_load, bad_merges_and_vocab_are_named) {
  test::temp_dir dir("tokenizer");
  json j = tiny_tokenizer({{"a", "b"}}, false);
  j["model"]["merges"].push_back("a zz");
  EXPECT_TRUE(contains(load_error(dir.write("t1.json", j.dump())),
                       "model.merges[1]: token \"zz\" is not in model.vocab"));
  j = tiny_tokenizer({{"a", "b"}}, false);
  j["model"]["merges"].push_back("abc");
  EXPECT_TRUE(contains(load_error(dir.write("t2.json", j.dump())),
                       "model.merges[1]: expected \"left right\""));
  j = tiny_tokenizer({{"a", "b"}}, false);
  j["model"]["merges"].push_back(42);
  EXPECT_TRUE(
      contains(load_error(dir.write("t3.json", j.dump())), "model.merges[1]: expected a string"));
  j = tiny_tokenizer({{"a", "b"}}, false);
  j["model"]["vocab"].erase("ab");
  EXPECT_TRUE(contains(load_error(dir.write("t4.json", j.dump())),
                       "merged token \"ab\" is not in model.vocab"));
  j = tiny_tokenizer({}, false);
  j["model"]["vocab"].erase("a");
  EXPECT_TRUE(contains(load_error(dir.write("t5.json", j.dump())), "byte 97 ('a') is missing"));
  j = tiny_tokenizer({}, false);
  j["model"]["vocab"]["x"] = "seven";
  EXPECT_TRUE(contains(load_error(dir.write("t6.json", j.dump())), "model.vocab[\"x\"]"));
}

// Ids size the id tables, and post-processor ids are emitted by encode(): a few-entry file
// with an id of 2^31 - 1 asked for tables of 2^31 entries, and a post-processor id outside
// the vocabulary came out of encode() (both shown with fuzz_tokenizer on edited seeds).
TEST(bpe_tokenizer_load, ids_far_beyond_the_listed_tokens_are_refused) {
  json j = tiny_tokenizer({}, false);  // 256 byte tokens + 1: ids up to 2 * 257 + 1024
  j["model"]["vocab"]["far"] = 2147483647;
  auto far = bpe_tokenizer::from_json(j.dump(), "t.json");
  ASSERT_FALSE(far.ok());
  EXPECT_TRUE(contains(far.error().message(),
                       "model.vocab[\"far\"]: expected an integer id in [0, 1538]"))
      << far.error().message();
  j = tiny_tokenizer({}, false);
  j["model"]["vocab"]["near"] = 1500;  // a gap, as real files have before their added tokens
  EXPECT_TRUE(bpe_tokenizer::from_json(j.dump(), "t.json").ok());
  j = tiny_tokenizer({}, false);
  j["added_tokens"] = json::array({{{"id", 4000000000LL}, {"content", "<x>"}}});
  auto added = bpe_tokenizer::from_json(j.dump(), "t.json");
  ASSERT_FALSE(added.ok());
  EXPECT_TRUE(contains(added.error().message(), "added_tokens[0]: expected {\"id\": integer in"))
      << added.error().message();
  for (const json& bad_id : {json(-7), json(300), json(4000000000LL)}) {
    j = tiny_tokenizer({}, false);
    j["post_processor"] = {
        {"type", "TemplateProcessing"},
        {"single", json::array({{{"SpecialToken", {{"id", "<s>"}}}}, {{"Sequence", {{"id", "A"}}}}})},
        {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", json::array({bad_id})}}}}}};
    auto pp = bpe_tokenizer::from_json(j.dump(), "t.json");
    ASSERT_FALSE(pp.ok()) << bad_id;
    EXPECT_TRUE(contains(pp.error().message(), "ids: expected ids of the vocabulary, got " +
                                                   bad_id.dump()))
        << pp.error().message();
  }
}

// Found by fuzz_tokenizer: an optional key of another JSON type threw out of from_json.
TEST(bpe_tokenizer_load, a_key_of_the_wrong_json_type_is_an_error) {
  json j = tiny_tokenizer({}, false);
  j["added_tokens"] = json::array({{{"id", 300}, {"content", "<x>"}, {"special", "yes"}}});
  auto tok = bpe_tokenizer::from_json(j.dump(), "t.json");
  ASSERT_FALSE(tok.ok());
  EXPECT_TRUE(contains(tok.error().message(), "t.json: a key has the wrong JSON type"))
      << tok.error().message();
  j = tiny_tokenizer({}, false);
  j["model"]["ignore_merges"] = 3;
  EXPECT_FALSE(bpe_tokenizer::from_json(j.dump(), "t.json").ok());
}

TEST(bpe_tokenizer_load, unsupported_pipeline_parts_are_refused_by_name) {
  test::temp_dir dir("tokenizer");
  json j = tiny_tokenizer({}, false);
  j["normalizer"] = {{"type", "Lowercase"}};
  EXPECT_TRUE(
      contains(load_error(dir.write("n.json", j.dump())),
               "normalizer: expected null, NFC or a Sequence of those, got type 'Lowercase'"));
  j = tiny_tokenizer({}, false);
  j["pre_tokenizer"] = {{"type", "Split"},
                        {"pattern", {{"Regex", "(\\p{L}+"}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  const std::string regex_msg = load_error(dir.write("r.json", j.dump()));
  EXPECT_TRUE(contains(regex_msg, "not a valid regular expression")) << regex_msg;
  j = tiny_tokenizer({}, false);
  j["decoder"] = {{"type", "WordPiece"}};
  EXPECT_TRUE(contains(load_error(dir.write("d.json", j.dump())), "decoder: expected ByteLevel"));
  j = tiny_tokenizer({}, false);
  j["post_processor"] = {{"type", "RobertaProcessing"}};
  EXPECT_TRUE(contains(load_error(dir.write("p.json", j.dump())), "post_processor: expected"));
}

// Sequence normalizers and pre-tokenizers are read recursively, one call per level: a
// tokenizer.json of a million nested Sequences is refused before it is read.
TEST(bpe_tokenizer_load, json_nested_too_deeply_is_refused) {
  const std::size_t levels = 500000;
  std::string nested;
  for (std::size_t i = 0; i < levels; ++i) nested += R"({"type":"Sequence","normalizers":[)";
  for (std::size_t i = 0; i < levels; ++i) nested += "]}";
  std::string text = tiny_tokenizer({}, false).dump();
  text.insert(1, "\"normalizer\":" + nested + ",");
  auto tok = bpe_tokenizer::from_json(text, "deep/tokenizer.json");
  ASSERT_FALSE(tok.ok());
  EXPECT_TRUE(contains(tok.error().message(), "deep/tokenizer.json: JSON nested deeper than 128"))
      << tok.error().message().substr(0, 200);
  auto config = bpe_tokenizer::from_json(tiny_tokenizer({}, false).dump(), "t.json",
                                         "{\"x\":" + std::string(1000, '[') + "}");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(contains(config.error().message(), "tokenizer_config.json beside it: JSON nested"))
      << config.error().message();
}

TEST(bpe_tokenizer_load, malformed_tokenizer_config_beside_it_is_named) {
  test::temp_dir dir("tokenizer");
  const std::string path = dir.write("tokenizer.json", tiny_tokenizer({}, false).dump());
  const std::string config = dir.write("tokenizer_config.json", "{not json");
  const std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, config)) << msg;
  dir.write("tokenizer_config.json", R"({"eos_token": "<nope>"})");
  EXPECT_TRUE(
      contains(load_error(path), "eos_token \"<nope>\": expected a token of the vocabulary"));
}

TEST(bpe_tokenizer_load, merges_as_strings_or_pairs_encode_alike) {
  test::temp_dir dir("tokenizer");
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"a", "b"}, {"ab", "c"}, {"Ġ", "ab"}, {"c", "c"}};
  auto as_strings = bpe_tokenizer::from_json(tiny_tokenizer(merges, false).dump(), "strings");
  auto as_pairs = bpe_tokenizer::from_json(tiny_tokenizer(merges, true).dump(), "pairs");
  ASSERT_TRUE(as_strings) << as_strings.error().message();
  ASSERT_TRUE(as_pairs) << as_pairs.error().message();
  const std::string text = "abc ab cccab";
  const ids_t ids = as_strings->encode(text, false);
  EXPECT_EQ(ids, as_pairs->encode(text, false));
  // Vocabulary ids: bytes are themselves, then ab=256, abc=257, Ġab=258, cc=259. The text
  // is one piece (no split regex); "ccc" merges its leftmost pair first.
  EXPECT_EQ(ids, (ids_t{257, 258, ' ', 259, 'c', 256}));
  EXPECT_EQ(as_strings->decode(ids), text);
}

// Direct reference: repeatedly merge the lowest-ranked adjacent pair, leftmost first.
ids_t reference_bpe(const std::string& text,
                    const std::vector<std::pair<std::string, std::string>>& merges,
                    const bpe_tokenizer& tok) {
  const auto bytes = byte_strings();
  std::vector<std::string> symbols;
  for (char c : text) symbols.push_back(bytes[static_cast<unsigned char>(c)]);
  for (;;) {
    std::size_t best_rank = merges.size();
    std::size_t best_pos = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      for (std::size_t r = 0; r < best_rank; ++r) {
        if (merges[r].first == symbols[i] && merges[r].second == symbols[i + 1]) {
          best_rank = r;
          best_pos = i;
          break;
        }
      }
    }
    if (best_rank == merges.size()) break;
    symbols[best_pos] += symbols[best_pos + 1];
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best_pos) + 1);
  }
  ids_t ids;
  for (const auto& s : symbols) ids.push_back(tok.token_to_id(s));
  return ids;
}

TEST(bpe_tokenizer_load, merge_order_matches_the_direct_reference) {
  std::mt19937 rng(1234);
  for (int vocab_round = 0; vocab_round < 20; ++vocab_round) {
    // Random merges over tokens built from a, b, c; different pairs may build the same
    // string ("ab"+"c" and "a"+"bc"), which exercises stale candidates.
    std::vector<std::string> tokens = {"a", "b", "c"};
    std::vector<std::pair<std::string, std::string>> merges;
    for (int m = 0; m < 25; ++m) {
      const std::string l = tokens[rng() % tokens.size()];
      const std::string r = tokens[rng() % tokens.size()];
      bool duplicate = false;
      for (const auto& [ml, mr] : merges) duplicate |= (ml == l && mr == r);
      if (duplicate || (l + r).size() > 6) continue;
      merges.emplace_back(l, r);
      tokens.push_back(l + r);
    }
    auto tok = bpe_tokenizer::from_json(tiny_tokenizer(merges, vocab_round % 2 == 0).dump(), "t");
    ASSERT_TRUE(tok) << tok.error().message();
    for (int t = 0; t < 30; ++t) {
      std::string text;
      const std::size_t len = 1 + rng() % 40;
      for (std::size_t i = 0; i < len; ++i) text.push_back("abc"[rng() % 3]);
      ASSERT_EQ(tok->encode(text, false), reference_bpe(text, merges, *tok))
          << "text " << text << " vocab round " << vocab_round;
    }
  }
}

TEST(bpe_tokenizer_load, added_token_flags_lstrip_rstrip_single_word) {
  json j = tiny_tokenizer({}, false);
  j["added_tokens"] = json::array({{{"id", 304},
                                    {"content", "<R"},
                                    {"lstrip", false},
                                    {"rstrip", false},
                                    {"normalized", false},
                                    {"special", true},
                                    {"single_word", false}},
                                   {{"id", 300},
                                    {"content", "<L>"},
                                    {"lstrip", true},
                                    {"rstrip", false},
                                    {"normalized", false},
                                    {"special", true},
                                    {"single_word", false}},
                                   {{"id", 301},
                                    {"content", "<R>"},
                                    {"lstrip", false},
                                    {"rstrip", true},
                                    {"normalized", false},
                                    {"special", true},
                                    {"single_word", false}},
                                   {{"id", 302},
                                    {"content", "cat"},
                                    {"lstrip", false},
                                    {"rstrip", false},
                                    {"normalized", false},
                                    {"special", false},
                                    {"single_word", true}},
                                   {{"id", 303},
                                    {"content", "<RR>"},
                                    {"lstrip", false},
                                    {"rstrip", false},
                                    {"normalized", false},
                                    {"special", true},
                                    {"single_word", false}}});
  auto tok = bpe_tokenizer::from_json(j.dump(), "flags");
  ASSERT_TRUE(tok) << tok.error().message();
  EXPECT_EQ(tok->encode("x  <L>", false), (ids_t{'x', 300}));
  EXPECT_EQ(tok->encode("<R>  y", false), (ids_t{301, 'y'}));
  EXPECT_EQ(tok->encode("a cat", false), (ids_t{'a', ' ', 302}));  // ids of bytes are bytes
  EXPECT_EQ(tok->encode("cats", false).size(), 4u);     // inside a word: not the added token
  EXPECT_EQ(tok->encode("<RR>", false), (ids_t{303}));  // longest match wins over "<R"
  EXPECT_EQ(tok->encode("<Rx", false), (ids_t{304, 'x'}));
  EXPECT_TRUE(tok->is_special(300));
  EXPECT_FALSE(tok->is_special(302));
}

}  // namespace
}  // namespace leadrl::model
