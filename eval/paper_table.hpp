// File: eval/paper_table.hpp
//
// The paper's Table 1 layout of an evaluation: one line per model, and per benchmark a
// column group Acc (pass@1, %) / Len (mean response length, tokens) / AES, then an
// Average group (the unweighted mean over benchmarks of each) — as markdown for people
// and as CSV (one row per model, fractions as fractions) for spreadsheets. The input is
// the long table of eval/eval_report (its average rows give the Average group); a base
// read from a results file comes in as rows too (eval::base_rows).
//
//   auto rows = eval::eval_table(runs, "base");
//   std::cout << eval::paper_table_markdown(*rows);
#pragma once

#include <string>
#include <vector>

#include "eval/eval_report.hpp"

namespace leadrl::eval {

/// Markdown: header "| model | D (n=N) Acc | Len | AES | ... | Average Acc | Len | AES |"
/// for the datasets in order of first appearance (N: the largest n among their rows),
/// the Average group only when `rows` hold average rows; one line per model in order of
/// first appearance. Acc in % with 1 decimal, Len with 1, AES with 3; a missing cell or an
/// absent AES reads "n/a".
std::string paper_table_markdown(const std::vector<eval_row>& rows);

/// CSV with the header "model,D_n,D_acc,D_len,D_aes,...[,average_acc,average_len,
/// average_aes]" (D: each dataset name; accuracy as a fraction, numbers that read back
/// exactly; an absent AES or missing cell is an empty field).
std::string paper_table_csv(const std::vector<eval_row>& rows);

}  // namespace leadrl::eval
