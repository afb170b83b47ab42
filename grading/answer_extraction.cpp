#include "grading/answer_extraction.hpp"

#include <cstddef>

#include "grading/char_class.hpp"
#include "grading/text_edit.hpp"

namespace leadrl::grading {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Position of the `}` closing the `{` at `open`, counting every brace character as the
// reference does (spec/lead.md §11.3 step 3); npos when the text ends first.
std::size_t matching_brace(std::string_view text, std::size_t open) {
  long depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}') {
      if (--depth == 0) return i;
    }
  }
  return npos;
}

std::size_t last_of(std::string_view text, std::string_view needle) {
  return text.rfind(needle);
}

// Last position of `needle` (lower-case ASCII) in `text`, ignoring ASCII case.
std::size_t rfind_icase(std::string_view text, std::string_view needle) {
  if (needle.empty() || text.size() < needle.size()) return npos;
  for (std::size_t i = text.size() - needle.size() + 1; i-- > 0;) {
    std::size_t k = 0;
    while (k < needle.size() && to_lower(text[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return npos;
}

// The content of a span opening at `pos` with `open` and closing with `close`.
std::optional<std::string_view> delimited(std::string_view text, std::size_t pos,
                                          std::string_view open, std::string_view close) {
  if (text.substr(pos, open.size()) != open) return std::nullopt;
  std::size_t start = pos + open.size();
  std::size_t end = start;
  for (;;) {
    end = text.find(close, end);
    if (end == npos) return std::nullopt;
    // A `$` written as `\$` is a dollar sign, not the end of math mode.
    if (close == "$" && end > start && text[end - 1] == '\\') {
      ++end;
      continue;
    }
    break;
  }
  return text.substr(start, end - start);
}

std::string_view strip_sentence_end(std::string_view s) {
  s = trim(s);
  for (;;) {
    if (s.size() >= 2 && s.substr(s.size() - 2) == "**") {
      s.remove_suffix(2);
    } else if (!s.empty() && (s.back() == '.' || s.back() == '*')) {
      s.remove_suffix(1);
    } else {
      break;
    }
    s = trim(s);
  }
  return s;
}

}  // namespace

std::optional<std::string> extract_boxed_reference(std::string_view text) {
  std::size_t p = last_of(text, "\\boxed");
  if (p == npos) return std::nullopt;
  std::size_t close = matching_brace(text, p);
  if (close == npos) return std::nullopt;
  constexpr std::string_view prefix = "\\boxed{";
  std::string_view span = text.substr(p, close - p + 1);
  if (span.substr(0, prefix.size()) != prefix) return std::nullopt;
  return std::string(span.substr(prefix.size(), span.size() - prefix.size() - 1));
}

namespace {

// The content of the box command (of `name_length` characters) at `p`.
std::optional<std::string> box_at(std::string_view text, std::size_t p, std::size_t name_length) {
  std::size_t i = p + name_length;
  while (i < text.size() && is_blank(text[i])) ++i;
  if (i >= text.size()) return std::nullopt;
  if (text[i] == '{') {
    std::size_t close = matching_brace(text, i);
    if (close == npos) return std::nullopt;
    return std::string(text.substr(i + 1, close - i - 1));
  }
  // `\boxedfoo` is some other command; `\boxed 5` boxes the text up to the end of math mode.
  if (i == p + name_length && is_letter(text[i])) return std::nullopt;
  std::size_t end = i;
  while (end < text.size() && text[end] != '$' && text[end] != '\n') {
    if (text[end] == '\\' && end + 1 < text.size() &&
        (text[end + 1] == ']' || text[end + 1] == ')'))
      break;
    ++end;
  }
  std::string_view inner = strip_sentence_end(text.substr(i, end - i));
  if (inner.empty()) return std::nullopt;
  return std::string(inner);
}

}  // namespace

std::optional<std::string> extract_boxed(std::string_view text) {
  std::size_t boxed = last_of(text, "\\boxed");
  std::size_t fbox = last_of(text, "\\fbox");
  // The later of the two commands; if it yields nothing, the other one.
  bool fbox_first = fbox != npos && (boxed == npos || fbox > boxed);
  std::optional<std::string> out;
  if (fbox_first) {
    out = box_at(text, fbox, 5);
    if (!out && boxed != npos) out = box_at(text, boxed, 6);
  } else if (boxed != npos) {
    out = box_at(text, boxed, 6);
    if (!out && fbox != npos) out = box_at(text, fbox, 5);
  }
  return out;
}

std::optional<std::string> extract_answer_phrase(std::string_view text) {
  // One backward scan for "answer" (any case) followed by " is", ":", " =" or "**:".
  constexpr std::string_view word = "answer";
  std::size_t best_end = npos;
  for (std::size_t i = text.size() >= word.size() ? text.size() - word.size() + 1 : 0;
       i-- > 0 && best_end == npos;) {
    if (to_lower(text[i]) != 'a') continue;
    std::size_t k = 1;
    while (k < word.size() && to_lower(text[i + k]) == word[k]) ++k;
    if (k < word.size()) continue;
    std::string_view rest = text.substr(i + word.size());
    for (std::string_view suffix : {std::string_view(" is"), std::string_view(":"),
                                    std::string_view(" ="), std::string_view("**:")}) {
      if (rest.size() >= suffix.size() && rfind_icase(rest.substr(0, suffix.size()), suffix) == 0) {
        best_end = i + word.size() + suffix.size();
        break;
      }
    }
  }
  if (best_end == npos) return std::nullopt;
  std::size_t i = best_end;
  while (i < text.size() && (is_space_no_vt(text[i]) || text[i] == ':' || text[i] == '*')) ++i;
  std::optional<std::string_view> span;
  if (text.substr(i, 2) == "$$") {
    span = delimited(text, i, "$$", "$$");
  } else if (text.substr(i, 1) == "$") {
    span = delimited(text, i, "$", "$");
  } else if (text.substr(i, 2) == "\\(") {
    span = delimited(text, i, "\\(", "\\)");
  } else if (text.substr(i, 2) == "\\[") {
    span = delimited(text, i, "\\[", "\\]");
  }
  if (!span) {
    std::size_t end = i;
    while (end < text.size() && text[end] != '\n') {
      if (text[end] == '.' && (end + 1 == text.size() || is_space_no_vt(text[end + 1]))) break;
      ++end;
    }
    span = text.substr(i, end - i);
  }
  std::string_view answer = strip_sentence_end(*span);
  if (answer.empty()) return std::nullopt;
  return std::string(answer);
}

std::optional<std::string> extract_last_number(std::string_view text) {
  // Only the tail matters: scan the last 4096 characters, widened backwards so that the
  // window does not start inside a number (at most 64 more characters).
  std::size_t start = text.size() > 4096 ? text.size() - 4096 : 0;
  for (int k = 0; k < 64 && start > 0; ++k) {
    char c = text[start - 1];
    if (!is_digit(c) && c != ',' && c != '.' && c != '/' && c != '-') break;
    --start;
  }
  std::size_t i = start;
  std::optional<std::string> last;
  while (i < text.size()) {
    if (!is_digit(text[i]) || (i > start && (is_digit(text[i - 1]) || text[i - 1] == '.'))) {
      ++i;
      continue;
    }
    std::string number;
    if (i > 0 && text[i - 1] == '-' && (i < 2 || !is_alnum(text[i - 2]))) number.push_back('-');
    std::size_t j = i;
    while (j < text.size()) {
      if (is_digit(text[j])) {
        number.push_back(text[j++]);
      } else if (text[j] == ',' && j + 3 < text.size() && is_digit(text[j + 1]) &&
                 is_digit(text[j + 2]) && is_digit(text[j + 3]) &&
                 (j + 4 >= text.size() || !is_digit(text[j + 4]))) {
        ++j;  // a thousands separator: "1,000"
      } else {
        break;
      }
    }
    if (j + 1 < text.size() && (text[j] == '.' || text[j] == '/') && is_digit(text[j + 1])) {
      number.push_back(text[j++]);
      while (j < text.size() && is_digit(text[j])) number.push_back(text[j++]);
    }
    last = std::move(number);
    i = j;
  }
  return last;
}

extracted_answer extract_answer(std::string_view text, const extraction_options& options) {
  extracted_answer out;
  std::size_t b = text.rfind("\\boxed");
  std::size_t f = text.rfind("\\fbox");
  bool fbox_first = f != npos && (b == npos || f > b);
  struct candidate {
    std::size_t position;
    std::size_t name_length;
    bool is_fbox;
  };
  candidate order[2] = {{fbox_first ? f : b, fbox_first ? 5u : 6u, fbox_first},
                        {fbox_first ? b : f, fbox_first ? 6u : 5u, !fbox_first}};
  for (const candidate& c : order) {
    if (c.position == npos) continue;
    std::optional<std::string> boxed = box_at(text, c.position, c.name_length);
    if (!boxed) continue;
    if (trim(*boxed).empty()) break;  // an empty box (the prompt's \boxed{}) is no answer
    std::size_t after = c.position + c.name_length;
    while (after < text.size() && is_blank(text[after])) ++after;
    out.source = c.is_fbox                                     ? answer_source::fbox
                 : (after < text.size() && text[after] == '{') ? answer_source::boxed
                                                               : answer_source::boxed_unbraced;
    out.answer = std::move(boxed);
    return out;
  }
  if (options.answer_phrase) {
    if (auto a = extract_answer_phrase(text)) {
      out.answer = std::move(a);
      out.source = answer_source::answer_phrase;
      return out;
    }
  }
  if (options.last_number) {
    if (auto a = extract_last_number(text)) {
      out.answer = std::move(a);
      out.source = answer_source::last_number;
      return out;
    }
  }
  return out;
}

double format_score(std::string_view text, bool has_boxed_answer, format_mode mode, double weight) {
  switch (mode) {
    case format_mode::none:
      return 0.0;
    case format_mode::boxed:
      return has_boxed_answer ? weight : 0.0;
    case format_mode::strict: {
      double score = has_boxed_answer ? 0.5 : 0.0;
      std::size_t think_close = text.rfind("</think>");
      if (text.find("<think>") != npos && think_close != npos) {
        std::size_t box = text.rfind("\\boxed");
        score += (box == npos || think_close < box) ? 0.5 : 0.25;
      }
      return score * weight;
    }
  }
  return 0.0;
}

}  // namespace leadrl::grading
