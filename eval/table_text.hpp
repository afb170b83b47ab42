// File: eval/table_text.hpp
//
// The cells of the evaluation tables as text: rounded numbers for people, numbers that read
// back exactly for files, and names escaped for CSV and markdown. Shared by the long table
// (eval/eval_report) and the paper's Table 1 layout (eval/paper_table).
//
//   eval::fixed(0.8125 * 100, 1);      // "81.2"
//   eval::csv_field("d,1");            // "\"d,1\""
#pragma once

#include <string>

namespace leadrl::eval {

/// `v` with `digits` decimals ("%.*f").
std::string fixed(double v, int digits);

/// Like fixed() with a leading '+' on values >= 0.
std::string signed_fixed(double v, int digits);

/// The shortest "%g" text that reads back (strtod) to the same double.
std::string exact(double v);

/// A CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.
std::string csv_field(const std::string& s);

/// A markdown table cell: '|' escaped, line breaks as spaces.
std::string md_cell(const std::string& s);

}  // namespace leadrl::eval
