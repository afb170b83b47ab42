// File: io/problem_dataset.hpp
//
// Question/answer datasets in JSONL (the MATH training split, MATH-500 and the
// evaluation sets of the shared data folder): one object per line with a text id, the
// user prompt and the reference answer. Row index is the prompt id that travels between
// actors and keys the length-target table.
//
//   auto ds = io::load_problems("../shared/data/math/train.jsonl", {});
//   const io::problem& p = ds->rows[17];   // p.prompt_id == 17
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::io {

/// One problem: its row index, its id in the file, the user prompt and the reference answer
/// (and, in SFT data, the target response).
struct problem {
  std::int64_t prompt_id = 0;
  std::string id;
  std::string prompt;
  std::string answer;    ///< "" when the row has none and answers are optional
  std::string response;  ///< "" unless the row has one
  int difficulty = 0;    ///< the built-in arithmetic task's level (1..5); 0 for other data
};

/// Which fields hold the prompt and the answer. When `prompt_field` is absent from a row,
/// the `problem_field` text followed by `instruction_suffix` is used (eval sets carry only
/// `problem`; the MATH split carries the ready `prompt`).
struct problem_fields {
  std::string id_field = "id";
  std::string prompt_field = "prompt";
  std::string problem_field = "problem";
  std::string answer_field = "answer";
  std::string response_field = "response";
  bool answer_required = true;     ///< false: rows without an answer get ""
  bool response_required = false;  ///< true: every row needs a response (SFT data)
  std::string instruction_suffix =
      " Let's think step by step and output the final answer within \\boxed{}.";
};

/// A loaded dataset; `name` is the file's stem (e.g. "math500").
struct problem_dataset {
  std::string name;
  std::vector<problem> rows;
};

/// Reads a JSONL file. Errors: missing/unreadable file; a line that is not a JSON object
/// or lacks a required answer or response or both prompt fields (named with its line
/// number); an empty file.
/// Answers that are JSON numbers are converted to their decimal text.
result<problem_dataset> load_problems(const std::string& path, const problem_fields& fields);

}  // namespace leadrl::io
