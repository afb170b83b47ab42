#include "model/char_tokenizer.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "model/tokenizer_unicode.hpp"

namespace leadrl::model {

namespace {

constexpr std::array<std::string_view, 4> control_tokens = {"<pad>", "<bos>", "<eos>", "<unk>"};

// The id of one ASCII byte, or -1.
std::int32_t char_id(unsigned char c) {
  if (c == '\n') return char_tokenizer::newline;
  if (c >= 0x20 && c <= 0x7E) return char_tokenizer::first_printable + (c - 0x20);
  return -1;
}

// The control token written at text[pos], or -1.
std::int32_t control_at(std::string_view text, std::size_t pos) {
  if (text[pos] != '<') return -1;
  for (std::size_t i = 0; i < control_tokens.size(); ++i) {
    if (text.compare(pos, control_tokens[i].size(), control_tokens[i]) == 0)
      return static_cast<std::int32_t>(i);
  }
  return -1;
}

// Encodes text; on the first character outside the vocabulary either emits unk (when
// `bad` is null) or stores its offset and length there and stops.
void encode_into(std::string_view text, std::vector<std::int32_t>& out,
                 std::pair<std::size_t, std::size_t>* bad) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::int32_t control = control_at(text, pos);
    if (control >= 0) {
      out.push_back(control);
      pos += control_tokens[static_cast<std::size_t>(control)].size();
      continue;
    }
    const std::int32_t id = char_id(static_cast<unsigned char>(text[pos]));
    if (id >= 0) {
      out.push_back(id);
      ++pos;
      continue;
    }
    // One unknown code point (or one ill-formed byte) is one <unk>.
    char32_t cp = 0;
    std::size_t len = unicode::decode_utf8(text, pos, cp);
    if (len == 0) len = 1;
    if (bad != nullptr) {
      *bad = {pos, len};
      return;
    }
    out.push_back(char_tokenizer::unk);
    pos += len;
  }
}

}  // namespace

std::vector<std::int32_t> char_tokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() + 1);
  if (add_special) ids.push_back(bos);
  encode_into(text, ids, nullptr);
  return ids;
}

result<std::vector<std::int32_t>> char_tokenizer::try_encode(std::string_view text,
                                                             bool add_special) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() + 1);
  if (add_special) ids.push_back(bos);
  std::pair<std::size_t, std::size_t> bad{std::string_view::npos, 0};
  encode_into(text, ids, &bad);
  if (bad.first != std::string_view::npos) {
    std::string shown;
    for (std::size_t k = 0; k < bad.second; ++k) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02X", static_cast<unsigned char>(text[bad.first + k]));
      shown += hex;
    }
    return fail("text byte offset " + std::to_string(bad.first) + ": character " + shown +
                " is not in the character vocabulary (expected newline or printable ASCII)");
  }
  return ids;
}

std::string char_tokenizer::decode(const std::vector<std::int32_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (std::int32_t id : ids) out += id_to_token(id);
  return out;
}

std::int32_t char_tokenizer::token_to_id(std::string_view token) const {
  for (std::size_t i = 0; i < control_tokens.size(); ++i) {
    if (token == control_tokens[i]) return static_cast<std::int32_t>(i);
  }
  if (token.size() == 1) return char_id(static_cast<unsigned char>(token[0]));
  return -1;
}

std::string char_tokenizer::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= size) return "";
  if (id < newline) return std::string(control_tokens[static_cast<std::size_t>(id)]);
  if (id == newline) return "\n";
  return std::string(1, static_cast<char>(0x20 + (id - first_printable)));
}

}  // namespace leadrl::model

namespace leadrl::model {

namespace {

using json = nlohmann::json;

json char_vocab_json() {
  const char_tokenizer tok;
  json vocab = json::object();
  for (std::int32_t id = 0; id < static_cast<std::int32_t>(char_tokenizer::size); ++id) {
    vocab[tok.id_to_token(id)] = id;
  }
  return vocab;
}

status write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return fail(path + ": cannot write the file");
  return {};
}

}  // namespace

std::string char_tokenizer::hf_tokenizer_json() {
  json added = json::array();
  for (std::size_t i = 0; i < control_tokens.size(); ++i) {
    added.push_back({{"id", i},
                     {"content", std::string(control_tokens[i])},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  const json bos_piece = {{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}};
  json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = added;
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Split"},
                        {"pattern", {{"Regex", "(?s)."}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  j["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", json::array({bos_piece, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"pair",
       json::array({bos_piece,
                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                    {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
      {"special_tokens", {{"<bos>", {{"id", "<bos>"}, {"ids", {bos}}, {"tokens", {"<bos>"}}}}}}};
  j["decoder"] = {{"type", "Fuse"}};
  j["model"] = {{"type", "WordLevel"}, {"vocab", char_vocab_json()}, {"unk_token", "<unk>"}};
  return j.dump(1);
}

std::string char_tokenizer::hf_tokenizer_config_json() {
  json j = {{"bos_token", "<bos>"},
            {"eos_token", "<eos>"},
            {"pad_token", "<pad>"},
            {"unk_token", "<unk>"},
            {"add_bos_token", true},
            {"add_eos_token", false},
            {"model_max_length", 4096},
            {"tokenizer_class", "PreTrainedTokenizerFast"}};
  return j.dump(1);
}

bool char_tokenizer::is_hf_tokenizer_json(std::string_view tokenizer_json) {
  const json j = json::parse(tokenizer_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("model")) return false;
  const json& m = j["model"];
  const auto type = m.is_object() ? m.find("type") : m.end();
  return type != m.end() && *type == "WordLevel" && m.contains("vocab") &&
         m["vocab"] == char_vocab_json();
}

status save_char_tokenizer(const std::string& dir) {
  if (auto s = write_text(dir + "/tokenizer.json", char_tokenizer::hf_tokenizer_json()); !s)
    return s;
  return write_text(dir + "/tokenizer_config.json", char_tokenizer::hf_tokenizer_config_json());
}

}  // namespace leadrl::model
