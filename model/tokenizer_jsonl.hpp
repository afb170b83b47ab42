// File: model/tokenizer_jsonl.hpp
//
// Batch tokenization of JSONL files, the work behind `leadrl tokenize`: each input line
// {"text": ...} becomes an output line {"ids": [...]}; malformed lines are reported with
// their line number and skipped, so one bad row does not lose a long file.
//
//   auto report = leadrl::model::tokenize_jsonl(*tok, in, out, /*add_special=*/false);
//   for (const auto& p : report.problems) std::cerr << "in.jsonl:" << p << "\n";
#pragma once

#include <cstddef>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "model/tokenizer.hpp"

namespace leadrl::model {

/// What tokenize_jsonl did.
struct tokenize_jsonl_report {
  std::size_t written = 0;  ///< lines written to the output
  std::size_t skipped = 0;  ///< malformed input lines (blank lines are ignored, not counted)
  /// One message per skipped line: "LINE: what was wrong (expected ...)".
  std::vector<std::string> problems;
};

/// Reads JSONL from `in`; for each line that is a JSON object with a string field "text"
/// writes {"ids": [...]} (encode(text, add_special)) to `out`. Lines that are not JSON, not
/// objects, or lack a string "text" are skipped and described in the report. Blank lines
/// are ignored. Never throws for bad input.
tokenize_jsonl_report tokenize_jsonl(const tokenizer& tok, std::istream& in, std::ostream& out,
                                     bool add_special);

}  // namespace leadrl::model
