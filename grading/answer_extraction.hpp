// File: grading/answer_extraction.hpp
//
// Finds the final answer in a model response: the last \boxed{...} (spec/lead.md §11.3,
// brace-matched, nested braces kept), extended with \fbox{...} and "\boxed 5", plus opt-in
// fallbacks for responses without a box ("The answer is ...", the last number). Also the
// format score of spec/lead.md §11.1. Byte-level and non-recursive: any input is safe.
//
//   auto a = leadrl::grading::extract_answer(response, {});
//   if (a.answer) use(*a.answer);  // a.source says how it was found
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace leadrl::grading {

/// Where an extracted answer came from.
enum class answer_source {
  none,            ///< nothing found
  boxed,           ///< \boxed{...} (or \boxed {...})
  fbox,            ///< \fbox{...}
  boxed_unbraced,  ///< "\boxed 5": up to the next `$`, newline or end
  answer_phrase,   ///< "The answer is ..." / "Answer: ..." (fallback)
  last_number,     ///< the last number in the text (fallback)
};

/// Which fallbacks apply when the text has no usable box. The default (none) matches the
/// reference reward: a response without a box gets no answer.
struct extraction_options {
  bool answer_phrase = false;  ///< accept "The answer is X" / "Final answer: X"
  bool last_number = false;    ///< accept the last number in the text
};

/// An extracted answer and how it was found.
struct extracted_answer {
  std::optional<std::string> answer;  ///< nullopt when nothing was found
  answer_source source = answer_source::none;
};

/// The content of the last \boxed or \fbox in `text` (whichever comes later), brace-matched
/// (`\boxed{...}` / `\boxed {...}`) or unbraced (`\boxed 5$` -> "5"). Returns nullopt when
/// the text has no box, or the last box is never closed (a truncated response).
std::optional<std::string> extract_boxed(std::string_view text);

/// Exactly spec/lead.md §11.3 steps 1-4: the last `\boxed` must be followed by `{` and be
/// closed; otherwise nullopt. `\boxed{}` yields "".
std::optional<std::string> extract_boxed_reference(std::string_view text);

/// The answer after the last "answer is" / "answer:" phrase (case-insensitive), read as a
/// `$...$`, `\(...\)`, `\[...\]` span or up to the end of the sentence; nullopt if none.
std::optional<std::string> extract_answer_phrase(std::string_view text);

/// The last number in `text` ("-3", "2.5", "1,000" -> "1000", "3/4"); nullopt if none.
std::optional<std::string> extract_last_number(std::string_view text);

/// The final answer: extract_boxed, then (when it finds nothing or an empty box) the enabled
/// fallbacks in the order answer phrase, last number.
extracted_answer extract_answer(std::string_view text, const extraction_options& options = {});

/// How the format score is computed (spec/lead.md §11.1).
enum class format_mode {
  none,    ///< always 0 (the reference default: DEEPSCALE_USE_FORMAT unset)
  boxed,   ///< `weight` when a box yielded an answer
  strict,  ///< 0.5 for a boxed answer, plus 0.5 (0.25) when the last </think> comes before
           ///< (after) the last \boxed, counted only when both <think> and </think> occur
};

/// The format score of `text` under `mode`, scaled by `weight`; `has_boxed_answer` says
/// whether a box yielded an answer.
double format_score(std::string_view text, bool has_boxed_answer, format_mode mode,
                    double weight = 1.0);

}  // namespace leadrl::grading
