// File: grading/answer_normalization.hpp
//
// The two string-level answer comparisons of the reference graders: the "mathd"
// normalisation of spec/lead.md §11.4(a) and the simple fallback comparison of §11.3, plus
// the Python float() syntax the fallback relies on. Pure functions over bytes; never throw.
//
//   bool same = leadrl::grading::mathd_normalize("\\dfrac12") ==
//   leadrl::grading::mathd_normalize("0.5"); bool also = leadrl::grading::fallback_equal("1,000",
//   "1000");
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace leadrl::grading {

/// spec/lead.md §11.4(a) steps 1-19, exactly: where a step of 3-19 would fail (units
/// `\text{ ` occurring twice, `\sqrt` or `\frac` at the very end) the result is the string
/// as it stood after steps 1-2.
std::string mathd_normalize(std::string_view answer);

/// Parses `text` with Python's float() grammar (surrounding whitespace, sign, digits with
/// single underscores between them, `.5`, `1e3`, `inf`, `infinity`, `nan`, any case);
/// nullopt when it is not one.
std::optional<double> parse_python_float(std::string_view text);

/// How fallback_normalize treats commas.
enum class comma_policy {
  delete_all,      ///< spec/lead.md §11.3 literally: "1, 2" becomes "12"
  thousands_only,  ///< delete commas only when the whole string is one number written with
                   ///< thousands separators ("1,000" -> "1000"); lists keep their commas
};

/// spec/lead.md §11.3 normalisation: trim, lower-case, delete whitespace and commas (per
/// `commas`).
std::string fallback_normalize(std::string_view answer,
                               comma_policy commas = comma_policy::thousands_only);

/// spec/lead.md §11.3 comparison: normalised strings equal, or both parse as Python floats
/// within 1e-6. With comma_policy::thousands_only (the default) a list such as "1, 2" is not
/// equal to "12", which the literal reference rule would accept.
bool fallback_equal(std::string_view given, std::string_view truth,
                    comma_policy commas = comma_policy::thousands_only);

/// True when `s` (trimmed) is one decimal number written with thousands separators:
/// `-?\d{1,3}(,\d{3})+(\.\d+)?`.
bool is_thousands_number(std::string_view s);

}  // namespace leadrl::grading
