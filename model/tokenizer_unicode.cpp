#include "model/tokenizer_unicode.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/tokenizer_unicode_data.hpp"

namespace leadrl::model::unicode {

namespace {

// Hangul syllable arithmetic (The Unicode Standard, §3.12 "Conjoining Jamo Behavior").
constexpr char32_t hangul_s_base = 0xAC00;
constexpr char32_t hangul_l_base = 0x1100;
constexpr char32_t hangul_v_base = 0x1161;
constexpr char32_t hangul_t_base = 0x11A7;
constexpr char32_t hangul_l_count = 19;
constexpr char32_t hangul_v_count = 21;
constexpr char32_t hangul_t_count = 28;
constexpr char32_t hangul_n_count = hangul_v_count * hangul_t_count;
constexpr char32_t hangul_s_count = hangul_l_count * hangul_n_count;

bool is_continuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// Length of the maximal ill-formed subpart at `pos` (>= 1) when decode_utf8 fails there:
// the lead byte plus the continuation bytes that were still acceptable.
std::size_t ill_formed_length(std::string_view text, std::size_t pos) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  std::size_t need = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  std::size_t len = 1;
  for (std::size_t k = 0; k < need; ++k) {
    if (pos + len >= text.size()) return len;
    const auto b = static_cast<unsigned char>(text[pos + len]);
    if (k == 0 ? (b < lo || b > hi) : !is_continuation(b)) return len;
    ++len;
  }
  return len;  // unreachable for ill-formed input; kept total
}

const unicode_data::decomposition_entry* find_decomposition(char32_t cp) {
  const auto* begin = unicode_data::decompositions;
  const auto* end = begin + unicode_data::decompositions_size;
  const auto* it = std::lower_bound(
      begin, end, cp,
      [](const unicode_data::decomposition_entry& e, char32_t c) { return e.code_point < c; });
  return (it != end && it->code_point == cp) ? it : nullptr;
}

void decompose(char32_t cp, std::vector<char32_t>& out) {
  if (cp >= hangul_s_base && cp < hangul_s_base + hangul_s_count) {
    const char32_t s = cp - hangul_s_base;
    out.push_back(hangul_l_base + s / hangul_n_count);
    out.push_back(hangul_v_base + (s % hangul_n_count) / hangul_t_count);
    if (s % hangul_t_count != 0) out.push_back(hangul_t_base + s % hangul_t_count);
    return;
  }
  if (const auto* e = find_decomposition(cp)) {
    // The table holds full (recursive) decompositions.
    out.insert(out.end(), unicode_data::decomposition_pool + e->offset,
               unicode_data::decomposition_pool + e->offset + e->length);
    return;
  }
  out.push_back(cp);
}

// The primary composite of (a, b), or 0 when there is none.
char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= hangul_l_base && a < hangul_l_base + hangul_l_count && b >= hangul_v_base &&
      b < hangul_v_base + hangul_v_count) {
    return hangul_s_base +
           ((a - hangul_l_base) * hangul_v_count + (b - hangul_v_base)) * hangul_t_count;
  }
  if (a >= hangul_s_base && a < hangul_s_base + hangul_s_count &&
      (a - hangul_s_base) % hangul_t_count == 0 && b > hangul_t_base &&
      b < hangul_t_base + hangul_t_count) {
    return a + (b - hangul_t_base);
  }
  const auto* begin = unicode_data::compositions;
  const auto* end = begin + unicode_data::compositions_size;
  const auto* it = std::lower_bound(
      begin, end, std::make_pair(a, b),
      [](const unicode_data::composition_entry& e, const std::pair<char32_t, char32_t>& key) {
        return e.first < key.first || (e.first == key.first && e.second < key.second);
      });
  return (it != end && it->first == a && it->second == b) ? it->composite : 0;
}

}  // namespace

std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& code_point) {
  const std::size_t n = text.size();
  if (pos >= n) return 0;
  const auto b0 = static_cast<unsigned char>(text[pos]);
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  }
  const std::size_t len = ill_formed_length(text, pos);
  const std::size_t want = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  if (b0 < 0xC2 || b0 > 0xF4 || len != want) return 0;
  char32_t cp = b0 & (want == 2 ? 0x1F : want == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < want; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + k]) & 0x3F);
  }
  code_point = cp;
  return want;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view text) {
  std::size_t pos = 0;
  char32_t cp = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t len = decode_utf8(text, pos, cp);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0;
  char32_t cp = 0;
  while (pos < text.size()) {
    const std::size_t len = decode_utf8(text, pos, cp);
    if (len == 0) {
      append_utf8(out, replacement_character);
      pos += ill_formed_length(text, pos);
    } else {
      out.append(text.substr(pos, len));
      pos += len;
    }
  }
  return out;
}

int combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto* begin = unicode_data::combining_classes;
  const auto* end = begin + unicode_data::combining_classes_size;
  const auto* it = std::lower_bound(
      begin, end, cp,
      [](const unicode_data::combining_class_entry& e, char32_t c) { return e.code_point < c; });
  return (it != end && it->code_point == cp) ? it->combining_class : 0;
}

std::string nfc(std::string_view text) {
  // Every code point below U+0300 is a starter that neither decomposes nor composes
  // with a following starter, so such text is already NFC.
  bool trivial = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0xCC) {  // lead bytes of U+0300 and above
      trivial = false;
      break;
    }
  }
  if (trivial) return std::string(text);

  std::vector<char32_t> decomposed;
  decomposed.reserve(text.size());
  std::size_t pos = 0;
  char32_t cp = 0;
  while (pos < text.size()) {
    const std::size_t len = decode_utf8(text, pos, cp);
    if (len == 0) {  // callers pass valid UTF-8; stay total anyway
      cp = replacement_character;
      pos += ill_formed_length(text, pos);
    } else {
      pos += len;
    }
    decompose(cp, decomposed);
  }

  // Canonical ordering: stable sort of each run of non-starters by combining class.
  std::vector<int> classes(decomposed.size());
  for (std::size_t i = 0; i < decomposed.size(); ++i) classes[i] = combining_class(decomposed[i]);
  for (std::size_t i = 1; i < decomposed.size(); ++i) {
    for (std::size_t j = i; j > 0 && classes[j] != 0 && classes[j - 1] > classes[j]; --j) {
      std::swap(classes[j], classes[j - 1]);
      std::swap(decomposed[j], decomposed[j - 1]);
    }
  }

  // Canonical composition: a character combines with the last starter unless a
  // character between them has class 0 or a class >= its own (it is "blocked").
  std::vector<char32_t> composed;
  composed.reserve(decomposed.size());
  std::ptrdiff_t starter = -1;
  int last_class = 0;
  for (std::size_t i = 0; i < decomposed.size(); ++i) {
    const char32_t c = decomposed[i];
    const int cc = classes[i];
    if (starter >= 0) {
      const bool adjacent = static_cast<std::size_t>(starter) + 1 == composed.size();
      if (adjacent || (last_class != 0 && last_class < cc)) {
        if (const char32_t comp = compose_pair(composed[static_cast<std::size_t>(starter)], c)) {
          composed[static_cast<std::size_t>(starter)] = comp;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<std::ptrdiff_t>(composed.size());
    composed.push_back(c);
    last_class = cc;
  }

  std::string out;
  out.reserve(text.size());
  for (char32_t c : composed) append_utf8(out, c);
  return out;
}

}  // namespace leadrl::model::unicode
