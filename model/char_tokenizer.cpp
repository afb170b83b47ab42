#include "model/char_tokenizer.hpp"

#include <array>
#include <cstdio>
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
