#include "model/bpe_tokenizer.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <queue>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/json_nesting.hpp"
#include "model/bpe_pre_tokenizer.hpp"
#include "model/tokenizer_unicode.hpp"

namespace leadrl::model {

namespace {

using json = nlohmann::json;

// The GPT-2 byte-level alphabet: printable bytes stand for themselves, the other 68
// bytes are shifted to U+0100.. so that every byte is a visible vocabulary character.
struct byte_alphabet {
  std::array<char32_t, 256> to_char{};
  std::unordered_map<char32_t, unsigned char> to_byte;

  byte_alphabet() {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_char[static_cast<std::size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
      to_byte[to_char[static_cast<std::size_t>(b)]] = static_cast<unsigned char>(b);
    }
  }
};

const byte_alphabet& alphabet() {
  static const byte_alphabet a;
  return a;
}

// The bytes a vocabulary string stands for. As the ByteLevel decoder does, a string with
// a character outside the byte alphabet (e.g. "<｜User｜>") stands for its own UTF-8.
std::string vocabulary_bytes(const std::string& token) {
  std::string out;
  out.reserve(token.size());
  std::size_t pos = 0;
  char32_t cp = 0;
  const auto& to_byte = alphabet().to_byte;
  while (pos < token.size()) {
    const std::size_t len = unicode::decode_utf8(token, pos, cp);
    if (len == 0) return token;
    const auto it = to_byte.find(cp);
    if (it == to_byte.end()) return token;
    out.push_back(static_cast<char>(it->second));
    pos += len;
  }
  return out;
}

// The vocabulary string of raw bytes (inverse of vocabulary_bytes for byte-level text).
std::string byte_level_string(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    unicode::append_utf8(out, alphabet().to_char[static_cast<unsigned char>(c)]);
  }
  return out;
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_ascii_word(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' ||
         u >= 0x80;
}

std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}

result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path + ": cannot open file (expected a readable tokenizer file)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return fail(path + ": read error");
  return buffer.str();
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

std::string type_of(const json& j) {
  if (j.is_object() && j.contains("type") && j["type"].is_string()) return j["type"];
  return "";
}

// The content of a tokenizer_config.json token entry: a string, {"content": ...} or null.
std::optional<std::string> config_token(const json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

namespace detail {

struct bpe_state {
  struct merge {
    std::int32_t rank;
    std::int32_t merged;
  };

  std::string source;
  // Ids index the tables below, sized to the largest id: ids above this bound (set from the
  // file's entry count) are refused, so that a tokenizer.json of a few entries cannot ask
  // for tables of 2^31 entries (found with fuzz_tokenizer inputs).
  std::int64_t max_id = 0;
  std::unordered_map<std::string, std::int32_t> vocabulary;  // vocabulary string -> id
  std::vector<std::string> id_strings;                       // id -> vocabulary string
  std::vector<std::string> id_bytes;                         // id -> bytes it decodes to
  std::vector<bool> id_special;
  std::unordered_map<std::uint64_t, merge> merges;
  std::array<std::int32_t, 256> byte_ids{};
  bool ignore_merges = false;
  bool normalize_nfc = false;
  std::optional<regex_splitter> splitter;
  std::vector<added_token> added;
  // Indices into `added` by first byte, longest content first (leftmost-longest match).
  std::array<std::vector<std::size_t>, 256> added_by_first_byte;
  bool any_normalized_added = false;
  std::vector<std::int32_t> prefix;
  std::vector<std::int32_t> suffix;
  std::int32_t bos = -1;
  std::int32_t eos = -1;
  std::int32_t pad = -1;

  mutable std::shared_mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<std::int32_t>> cache;

  std::int32_t id_of(const std::string& token) const {
    const auto it = vocabulary.find(token);
    return it == vocabulary.end() ? -1 : it->second;
  }

  void set_id(std::int32_t id, const std::string& token, bool special) {
    const auto n = static_cast<std::size_t>(id) + 1;
    if (id_strings.size() < n) {
      id_strings.resize(n);
      id_bytes.resize(n);
      id_special.resize(n, false);
    }
    const auto i = static_cast<std::size_t>(id);
    id_strings[i] = token;
    id_bytes[i] = vocabulary_bytes(token);
    id_special[i] = special;
  }

  // BPE of one piece: start from its bytes and apply the lowest-ranked merge present,
  // leftmost first, until none applies. A doubly linked list of symbols plus a heap of
  // candidate pairs makes this O(n log n) in the piece length; stale heap entries are
  // recognised because the pair at their position no longer merges into their result.
  void merge_piece(std::string_view piece, std::vector<std::int32_t>& out) const {
    if (ignore_merges) {
      const std::int32_t whole = id_of(byte_level_string(piece));
      if (whole >= 0) {
        out.push_back(whole);
        return;
      }
    }
    const std::size_t n = piece.size();
    if (n == 1) {
      out.push_back(byte_ids[static_cast<unsigned char>(piece[0])]);
      return;
    }
    struct symbol {
      std::int32_t id;
      std::int32_t prev;
      std::int32_t next;
      bool alive;
    };
    struct candidate {
      std::int32_t rank;
      std::int32_t pos;
      std::int32_t merged;
      bool operator>(const candidate& o) const {
        return rank != o.rank ? rank > o.rank : pos > o.pos;
      }
    };
    std::vector<symbol> symbols(n);
    for (std::size_t i = 0; i < n; ++i) {
      symbols[i] =
          symbol{byte_ids[static_cast<unsigned char>(piece[i])], static_cast<std::int32_t>(i) - 1,
                 i + 1 < n ? static_cast<std::int32_t>(i + 1) : -1, true};
    }
    std::vector<candidate> storage;
    storage.reserve(n);
    std::priority_queue<candidate, std::vector<candidate>, std::greater<candidate>> queue(
        std::greater<candidate>(), std::move(storage));
    auto push_pair = [&](std::int32_t pos) {
      if (pos < 0) return;
      const symbol& left = symbols[static_cast<std::size_t>(pos)];
      if (left.next < 0) return;
      const auto it =
          merges.find(pair_key(left.id, symbols[static_cast<std::size_t>(left.next)].id));
      if (it != merges.end()) queue.push(candidate{it->second.rank, pos, it->second.merged});
    };
    for (std::size_t i = 0; i + 1 < n; ++i) push_pair(static_cast<std::int32_t>(i));
    while (!queue.empty()) {
      const candidate top = queue.top();
      queue.pop();
      symbol& left = symbols[static_cast<std::size_t>(top.pos)];
      if (!left.alive || left.next < 0) continue;
      symbol& right = symbols[static_cast<std::size_t>(left.next)];
      const auto it = merges.find(pair_key(left.id, right.id));
      if (it == merges.end() || it->second.merged != top.merged) continue;
      left.id = top.merged;
      right.alive = false;
      left.next = right.next;
      if (right.next >= 0) symbols[static_cast<std::size_t>(right.next)].prev = top.pos;
      push_pair(left.prev);
      push_pair(top.pos);
    }
    for (std::int32_t i = 0; i >= 0; i = symbols[static_cast<std::size_t>(i)].next) {
      out.push_back(symbols[static_cast<std::size_t>(i)].id);
    }
  }

  // Pre-tokenizes and merges text that contains no added token. Cached pieces are
  // looked up under one shared lock per call and new ones inserted under one exclusive
  // lock, so threads encoding at once rarely wait on each other.
  void encode_plain(std::string_view text, std::vector<std::int32_t>& out) const {
    if (text.empty()) return;
    constexpr std::size_t max_cached_length = 256;
    std::vector<std::string_view> pieces;
    if (splitter) {
      splitter->split(text, pieces);
    } else {
      pieces.push_back(text);
    }
    struct miss {
      std::string_view piece;
      std::size_t begin;
      std::size_t end;
    };
    std::vector<miss> misses;
    std::string key;
    {
      std::shared_lock lock(cache_mutex);
      for (std::string_view piece : pieces) {
        const bool cacheable = piece.size() <= max_cached_length;
        if (cacheable) {
          key.assign(piece);
          const auto it = cache.find(key);
          if (it != cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            continue;
          }
        }
        const std::size_t begin = out.size();
        merge_piece(piece, out);
        if (cacheable) misses.push_back(miss{piece, begin, out.size()});
      }
    }
    if (misses.empty()) return;
    std::unique_lock lock(cache_mutex);
    for (const miss& m : misses) {
      if (cache.size() >= bpe_tokenizer::cache_capacity) break;
      cache.emplace(std::string(m.piece),
                    std::vector<std::int32_t>(out.begin() + static_cast<std::ptrdiff_t>(m.begin),
                                              out.begin() + static_cast<std::ptrdiff_t>(m.end)));
    }
  }

  // Normalizes `text`, then cuts out added tokens marked normalized, then BPE.
  void encode_normalized(std::string_view text, std::vector<std::int32_t>& out) const {
    if (text.empty()) return;
    const std::string normalized = normalize_nfc ? unicode::nfc(text) : std::string(text);
    if (any_normalized_added) {
      split_added(normalized, /*normalized_pass=*/true, out);
    } else {
      encode_plain(normalized, out);
    }
  }

  bool match_at(const added_token& t, std::string_view text, std::size_t pos) const {
    if (text.compare(pos, t.content.size(), t.content) != 0) return false;
    if (t.single_word) {
      const std::size_t end = pos + t.content.size();
      if (pos > 0 && is_ascii_word(text[pos - 1])) return false;
      if (end < text.size() && is_ascii_word(text[end])) return false;
    }
    return true;
  }

  // Cuts the added tokens of one kind (raw-text or normalized) out of `text`, leftmost
  // match first and, among matches at one position, the longest; the stretches between
  // them go on to normalization (raw pass) or to BPE (normalized pass).
  void split_added(std::string_view text, bool normalized_pass,
                   std::vector<std::int32_t>& out) const {
    std::size_t segment_begin = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const added_token* found = nullptr;
      for (std::size_t index : added_by_first_byte[static_cast<unsigned char>(text[pos])]) {
        const added_token& t = added[index];
        if (t.normalized != normalized_pass) continue;
        if (match_at(t, text, pos)) {
          found = &t;
          break;
        }
      }
      if (found == nullptr) {
        ++pos;
        continue;
      }
      std::size_t begin = pos;
      std::size_t end = pos + found->content.size();
      if (found->lstrip) {
        while (begin > segment_begin && is_ascii_space(text[begin - 1])) --begin;
      }
      if (found->rstrip) {
        while (end < text.size() && is_ascii_space(text[end])) ++end;
      }
      const std::string_view before = text.substr(segment_begin, begin - segment_begin);
      if (normalized_pass) {
        encode_plain(before, out);
      } else {
        encode_normalized(before, out);
      }
      out.push_back(found->id);
      segment_begin = end;
      pos = end;
    }
    const std::string_view rest = text.substr(segment_begin);
    if (normalized_pass) {
      encode_plain(rest, out);
    } else {
      encode_normalized(rest, out);
    }
  }
};

}  // namespace detail

namespace {

using state = detail::bpe_state;

status load_vocabulary(const json& model, state& s) {
  if (!model.contains("vocab") || !model["vocab"].is_object())
    return fail(s.source + ": model.vocab: expected an object of token -> id");
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
        id.get<std::int64_t>() > s.max_id)
      return fail(s.source + ": model.vocab[\"" + token +
                  "\"]: expected an integer id in [0, " + std::to_string(s.max_id) +
                  "] (ids stay near the number of tokens the file lists)");
    const auto value = id.get<std::int32_t>();
    s.vocabulary.emplace(token, value);
    s.set_id(value, token, false);
  }
  const auto& a = alphabet();
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    unicode::append_utf8(ch, a.to_char[static_cast<std::size_t>(b)]);
    const std::int32_t id = s.id_of(ch);
    if (id < 0) {
      return fail(s.source +
                  ": model.vocab: expected a byte-level vocabulary with a token for every "
                  "byte, but byte " +
                  std::to_string(b) + " ('" + ch + "') is missing");
    }
    s.byte_ids[static_cast<std::size_t>(b)] = id;
  }
  return status::success();
}

status load_merges(const json& model, state& s) {
  if (!model.contains("merges") || !model["merges"].is_array())
    return fail(s.source + ": model.merges: expected an array");
  const json& merges = model["merges"];
  s.merges.reserve(merges.size() * 2);
  std::string left;
  std::string right;
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    const std::string where = s.source + ": model.merges[" + std::to_string(i) + "]";
    if (m.is_string()) {
      const std::string& text = m.get_ref<const std::string&>();
      const std::size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
        return fail(where +
                    ": expected \"left right\" (two tokens separated by one space), got \"" + text +
                    "\"");
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      return fail(where + ": expected a string \"left right\" or a pair [left, right]");
    }
    const std::int32_t left_id = s.id_of(left);
    const std::int32_t right_id = s.id_of(right);
    const std::int32_t merged_id = s.id_of(left + right);
    if (left_id < 0 || right_id < 0)
      return fail(where + ": token \"" + (left_id < 0 ? left : right) + "\" is not in model.vocab");
    if (merged_id < 0)
      return fail(where + ": merged token \"" + left + right + "\" is not in model.vocab");
    // The first occurrence of a pair defines its rank.
    s.merges.emplace(pair_key(left_id, right_id),
                     state::merge{static_cast<std::int32_t>(i), merged_id});
  }
  return status::success();
}

status load_normalizer(const json& normalizer, state& s) {
  if (normalizer.is_null()) return status::success();
  const std::string type = type_of(normalizer);
  if (type == "NFC") {
    s.normalize_nfc = true;
    return status::success();
  }
  if (type == "Sequence" && normalizer.contains("normalizers") &&
      normalizer["normalizers"].is_array()) {
    for (const json& n : normalizer["normalizers"]) {
      if (auto st = load_normalizer(n, s); !st) return st;
    }
    return status::success();
  }
  return fail(s.source + ": normalizer: expected null, NFC or a Sequence of those, got type '" +
              type + "'");
}

// GPT-2's split pattern, implied by a ByteLevel pre-tokenizer with use_regex = true.
constexpr const char* gpt2_pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

status load_pre_tokenizer(const json& pre, state& s, bool& byte_level) {
  if (pre.is_null()) return status::success();
  const std::string type = type_of(pre);
  if (type == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].is_array()) {
    for (const json& p : pre["pretokenizers"]) {
      if (auto st = load_pre_tokenizer(p, s, byte_level); !st) return st;
    }
    return status::success();
  }
  if (type == "ByteLevel") {
    byte_level = true;
    if (pre.value("add_prefix_space", false))
      return fail(s.source +
                  ": pre_tokenizer ByteLevel: add_prefix_space = true is not supported "
                  "(expected false, as in the Qwen2 family)");
    if (pre.value("use_regex", true)) {
      if (s.splitter) {
        return fail(s.source + ": pre_tokenizer: expected at most one splitting step");
      }
      auto splitter = regex_splitter::compile(gpt2_pattern);
      if (!splitter) return splitter.error().with_context(s.source);
      s.splitter = std::move(*splitter);
    }
    return status::success();
  }
  if (type == "Split") {
    const std::string behavior = pre.value("behavior", "");
    if (behavior != "Isolated" || pre.value("invert", false))
      return fail(s.source +
                  ": pre_tokenizer Split: expected behavior \"Isolated\" and invert "
                  "false, got behavior \"" +
                  behavior + "\"");
    if (s.splitter) return fail(s.source + ": pre_tokenizer: expected at most one splitting step");
    const json pattern = pre.value("pattern", json());
    result<regex_splitter> splitter = fail("");
    if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string()) {
      splitter = regex_splitter::compile(pattern["Regex"].get<std::string>());
    } else if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string()) {
      splitter = regex_splitter::compile(pattern["String"].get<std::string>(), /*literal=*/true);
    } else {
      return fail(s.source +
                  ": pre_tokenizer Split: expected pattern {\"Regex\": ...} or "
                  "{\"String\": ...}");
    }
    if (!splitter) return splitter.error().with_context(s.source + ": pre_tokenizer Split");
    s.splitter = std::move(*splitter);
    return status::success();
  }
  return fail(s.source +
              ": pre_tokenizer: expected Split, ByteLevel or a Sequence of those, got "
              "type '" +
              type + "'");
}

status load_post_processor(const json& post, state& s) {
  if (post.is_null()) return status::success();
  const std::string type = type_of(post);
  if (type == "ByteLevel") return status::success();  // offsets only; no ids added
  if (type == "Sequence" && post.contains("processors") && post["processors"].is_array()) {
    for (const json& p : post["processors"]) {
      if (auto st = load_post_processor(p, s); !st) return st;
    }
    return status::success();
  }
  if (type == "TemplateProcessing") {
    if (!post.contains("single") || !post["single"].is_array())
      return fail(s.source + ": post_processor.single: expected an array");
    const json specials = post.value("special_tokens", json::object());
    bool seen_sequence = false;
    for (const json& item : post["single"]) {
      if (item.contains("Sequence")) {
        seen_sequence = true;
        continue;
      }
      if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id") ||
          !item["SpecialToken"]["id"].is_string())
        return fail(s.source + ": post_processor.single: expected Sequence or SpecialToken items");
      const std::string name = item["SpecialToken"]["id"];
      if (!specials.contains(name) || !specials[name].contains("ids") ||
          !specials[name]["ids"].is_array())
        return fail(s.source + ": post_processor.special_tokens: expected an entry \"" + name +
                    "\" with ids");
      for (const json& id : specials[name]["ids"]) {
        // Ids encode() emits: they must be tokens of the vocabulary.
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
            id.get<std::int64_t>() >= static_cast<std::int64_t>(s.id_strings.size()) ||
            s.id_strings[id.get<std::size_t>()].empty())
          return fail(s.source + ": post_processor.special_tokens[\"" + name +
                      "\"].ids: expected ids of the vocabulary, got " + id.dump());
        (seen_sequence ? s.suffix : s.prefix).push_back(id.get<std::int32_t>());
      }
    }
    return status::success();
  }
  return fail(s.source +
              ": post_processor: expected null, ByteLevel, TemplateProcessing or a "
              "Sequence of those, got type '" +
              type + "'");
}

status load_added_tokens(const json& root, state& s) {
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return status::success();
  if (!root["added_tokens"].is_array()) return fail(s.source + ": added_tokens: expected an array");
  const json& list = root["added_tokens"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& t = list[i];
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() ||
        t["id"].get<std::int64_t>() < 0 || t["id"].get<std::int64_t>() > s.max_id ||
        !t.contains("content") || !t["content"].is_string() ||
        t["content"].get_ref<const std::string&>().empty())
      return fail(s.source + ": added_tokens[" + std::to_string(i) +
                  "]: expected {\"id\": integer in [0, " + std::to_string(s.max_id) +
                  "], \"content\": non-empty string, ...}");
    added_token a;
    a.id = t["id"].get<std::int32_t>();
    a.content = t["content"].get<std::string>();
    a.special = t.value("special", false);
    a.lstrip = t.value("lstrip", false);
    a.rstrip = t.value("rstrip", false);
    a.normalized = t.value("normalized", !a.special);
    a.single_word = t.value("single_word", false);
    s.vocabulary[a.content] = a.id;
    s.set_id(a.id, a.content, a.special);
    if (a.normalized) s.any_normalized_added = true;
    s.added.push_back(std::move(a));
  }
  for (std::size_t i = 0; i < s.added.size(); ++i) {
    s.added_by_first_byte[static_cast<unsigned char>(s.added[i].content[0])].push_back(i);
  }
  for (auto& bucket : s.added_by_first_byte) {
    std::stable_sort(bucket.begin(), bucket.end(), [&](std::size_t a, std::size_t b) {
      return s.added[a].content.size() > s.added[b].content.size();
    });
  }
  return status::success();
}

status load_special_ids(const json& config, state& s) {
  auto resolve = [&](const char* key, std::int32_t& target) -> status {
    if (const auto name = config_token(config, key)) {
      const std::int32_t id = s.id_of(*name);
      if (id < 0)
        return fail(s.source + ": tokenizer_config.json " + key + " \"" + *name +
                    "\": expected a token of the vocabulary");
      target = id;
    }
    return status::success();
  };
  if (auto st = resolve("bos_token", s.bos); !st) return st;
  if (auto st = resolve("eos_token", s.eos); !st) return st;
  if (auto st = resolve("pad_token", s.pad); !st) return st;
  // Without a config: BOS is what the post-processor prepends; EOS the family's usual name.
  if (s.bos < 0 && !s.prefix.empty()) s.bos = s.prefix.front();
  if (s.eos < 0) {
    for (const char* name : {"<|endoftext|>", "<｜end▁of▁sentence｜>", "</s>", "<|end_of_text|>"}) {
      if ((s.eos = s.id_of(name)) >= 0) break;
    }
  }
  if (s.pad < 0) s.pad = s.eos;
  return status::success();
}

}  // namespace

result<bpe_tokenizer> bpe_tokenizer::from_json(std::string_view tokenizer_json,
                                               const std::string& source,
                                               std::string_view config_json) {
  // Copies of sub-objects and the Sequence readers below recurse once per nesting level.
  if (auto st = check_json_nesting(tokenizer_json, source); !st) return st.error();
  if (auto st = check_json_nesting(config_json, source + ": tokenizer_config.json beside it");
      !st)
    return st.error();
  // The readers below take optional keys with value(key, default), which throws when the
  // file gives the key another JSON type (found by fuzz_tokenizer: "special": "yes").
  try {
    return from_json_checked(tokenizer_json, source, config_json);
  } catch (const json::exception& e) {
    return fail(source + ": a key has the wrong JSON type (" + e.what() + ")");
  }
}

result<bpe_tokenizer> bpe_tokenizer::from_json_checked(std::string_view tokenizer_json,
                                                       const std::string& source,
                                                       std::string_view config_json) {
  const json root = json::parse(tokenizer_json.begin(), tokenizer_json.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (root.is_discarded()) return fail(source + ": not valid JSON (expected a tokenizer.json)");
  if (!root.is_object()) return fail(source + ": expected a JSON object (a tokenizer.json)");
  if (!root.contains("model") || !root["model"].is_object())
    return fail(source + ": expected a \"model\" object");
  const json& model = root["model"];
  const std::string model_type = type_of(model);
  if (model_type != "BPE")
    return fail(source + ": model.type: expected \"BPE\", got \"" + model_type + "\"");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty())
      return fail(source + ": model." + key + ": expected empty (byte-level BPE)");
  }
  if (model.contains("dropout") && model["dropout"].is_number() &&
      model["dropout"].get<double>() > 0)
    return fail(source + ": model.dropout: expected null or 0 (deterministic encoding)");

  auto s = std::make_unique<detail::bpe_state>();
  s->source = source;
  s->ignore_merges = model.value("ignore_merges", false);
  {
    const json& added = root.contains("added_tokens") ? root["added_tokens"] : json();
    const std::size_t entries = model.contains("vocab") ? model["vocab"].size() : 0;
    s->max_id = std::min<std::int64_t>(
        std::numeric_limits<std::int32_t>::max(),
        2 * static_cast<std::int64_t>(entries + (added.is_array() ? added.size() : 0)) + 1024);
  }
  if (auto st = load_vocabulary(model, *s); !st) return st.error();
  if (auto st = load_merges(model, *s); !st) return st.error();
  if (auto st = load_added_tokens(root, *s); !st) return st.error();
  if (auto st = load_normalizer(root.value("normalizer", json()), *s); !st) return st.error();
  bool byte_level = false;
  if (auto st = load_pre_tokenizer(root.value("pre_tokenizer", json()), *s, byte_level); !st)
    return st.error();
  const json decoder = root.value("decoder", json());
  const std::string decoder_type = type_of(decoder);
  if (!decoder.is_null() && decoder_type != "ByteLevel")
    return fail(source + ": decoder: expected ByteLevel or null, got type '" + decoder_type + "'");
  if (!byte_level && decoder_type != "ByteLevel")
    return fail(source + ": expected a byte-level BPE (a ByteLevel pre_tokenizer or decoder)");
  if (auto st = load_post_processor(root.value("post_processor", json()), *s); !st)
    return st.error();

  json config = json::object();
  if (!config_json.empty()) {
    config = json::parse(config_json.begin(), config_json.end(), nullptr, false);
    if (config.is_discarded() || !config.is_object())
      return fail(source + ": tokenizer_config.json beside it is not a valid JSON object");
  }
  if (auto st = load_special_ids(config, *s); !st) return st.error();
  return bpe_tokenizer(std::move(s));
}

result<bpe_tokenizer> bpe_tokenizer::load(const std::string& path) {
  std::string file = path;
  std::string folder;
  if (is_directory(path)) {
    folder = path;
    file = path + "/tokenizer.json";
  } else {
    const std::size_t slash = path.find_last_of('/');
    folder = slash == std::string::npos ? "." : path.substr(0, slash);
  }
  auto text = read_file(file);
  if (!text) return text.error();
  std::string config_text;
  const std::string config_path = folder + "/tokenizer_config.json";
  if (file_exists(config_path)) {
    auto config = read_file(config_path);
    if (!config) return config.error();
    config_text = std::move(*config);
    const json check = json::parse(config_text, nullptr, false);
    if (check.is_discarded() || !check.is_object())
      return fail(config_path + ": not a valid JSON object (expected a tokenizer_config.json)");
  }
  return from_json(*text, file, config_text);
}

bpe_tokenizer::bpe_tokenizer(std::unique_ptr<detail::bpe_state> s) : state_(std::move(s)) {}
bpe_tokenizer::bpe_tokenizer(bpe_tokenizer&&) noexcept = default;
bpe_tokenizer& bpe_tokenizer::operator=(bpe_tokenizer&&) noexcept = default;
bpe_tokenizer::~bpe_tokenizer() = default;

std::vector<std::int32_t> bpe_tokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special) ids.insert(ids.end(), state_->prefix.begin(), state_->prefix.end());
  if (unicode::is_valid_utf8(text)) {
    state_->split_added(text, /*normalized_pass=*/false, ids);
  } else {
    state_->split_added(unicode::sanitize_utf8(text), /*normalized_pass=*/false, ids);
  }
  if (add_special) ids.insert(ids.end(), state_->suffix.begin(), state_->suffix.end());
  return ids;
}

std::string bpe_tokenizer::decode_bytes(const std::vector<std::int32_t>& ids) const {
  std::string out;
  for (std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= state_->id_bytes.size()) continue;
    out += state_->id_bytes[static_cast<std::size_t>(id)];
  }
  return out;
}

std::string bpe_tokenizer::decode(const std::vector<std::int32_t>& ids) const {
  std::string bytes = decode_bytes(ids);
  if (unicode::is_valid_utf8(bytes)) return bytes;
  return unicode::sanitize_utf8(bytes);
}

std::int32_t bpe_tokenizer::eos_id() const {
  return state_->eos;
}
std::int32_t bpe_tokenizer::bos_id() const {
  return state_->bos;
}
std::int32_t bpe_tokenizer::pad_id() const {
  return state_->pad;
}
std::size_t bpe_tokenizer::vocab_size() const {
  return state_->id_strings.size();
}

std::int32_t bpe_tokenizer::token_to_id(std::string_view token) const {
  return state_->id_of(std::string(token));
}

std::string bpe_tokenizer::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= state_->id_strings.size()) return "";
  return state_->id_strings[static_cast<std::size_t>(id)];
}

const std::vector<std::int32_t>& bpe_tokenizer::special_prefix() const {
  return state_->prefix;
}
const std::vector<std::int32_t>& bpe_tokenizer::special_suffix() const {
  return state_->suffix;
}
const std::vector<added_token>& bpe_tokenizer::added_tokens() const {
  return state_->added;
}

bool bpe_tokenizer::is_special(std::int32_t id) const {
  return id >= 0 && static_cast<std::size_t>(id) < state_->id_special.size() &&
         state_->id_special[static_cast<std::size_t>(id)];
}

std::size_t bpe_tokenizer::cache_size() const {
  std::shared_lock lock(state_->cache_mutex);
  return state_->cache.size();
}

void bpe_tokenizer::clear_cache() const {
  std::unique_lock lock(state_->cache_mutex);
  state_->cache.clear();
}

}  // namespace leadrl::model
