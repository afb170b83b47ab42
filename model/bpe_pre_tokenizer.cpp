#include "model/bpe_pre_tokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace leadrl::model {

struct regex_splitter::compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~compiled() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

result<regex_splitter> regex_splitter::compile(std::string_view pattern, bool literal) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  const uint32_t options = literal ? (PCRE2_LITERAL | PCRE2_UTF) : (PCRE2_UTF | PCRE2_UCP);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(error_code, buffer, sizeof(buffer));
    return fail("split pattern '" + std::string(pattern) + "': not a valid regular expression (" +
                reinterpret_cast<const char*>(buffer) + " at offset " +
                std::to_string(error_offset) + ")");
  }
  auto c = std::make_shared<compiled>();
  c->code = code;
  // The JIT is several times faster; without it (some platforms) the interpreter is used.
  c->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return regex_splitter(std::move(c), std::string(pattern));
}

void regex_splitter::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  if (text.empty()) return;
  // Match data is mutable, so each thread has its own; only the whole-match offsets are
  // needed (pcre2_match returns 0 when capture groups do not fit, still setting those).
  thread_local const std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> match(
      pcre2_match_data_create(1, nullptr), pcre2_match_data_free);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t start = 0;    // where the next search begins
  std::size_t emitted = 0;  // end of the last piece appended
  while (start < text.size()) {
    int rc = pcre2_match(code_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, match.get(),
                         nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && code_->jit) {
      // JIT stack exhausted on a pathological input: the interpreter has no such limit.
      rc = pcre2_match(code_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                       match.get(), nullptr);
    }
    if (rc < 0) break;  // no further match (or an engine limit): the rest is one piece
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
    const std::size_t match_begin = ovector[0];
    std::size_t match_end = ovector[1];
    if (match_end == match_begin) {
      // An empty match carries no text; step over one character so the loop advances.
      match_end = match_begin + 1;
      while (match_end < text.size() &&
             (static_cast<unsigned char>(text[match_end]) & 0xC0) == 0x80)
        ++match_end;
      start = match_end;
      continue;
    }
    if (match_begin > emitted) pieces.push_back(text.substr(emitted, match_begin - emitted));
    pieces.push_back(text.substr(match_begin, match_end - match_begin));
    emitted = match_end;
    start = match_end;
  }
  if (emitted < text.size()) pieces.push_back(text.substr(emitted));
}

}  // namespace leadrl::model
