// libFuzzer target for the answer grader: extraction, normalisation, the expression
// compiler and the equivalence check on arbitrary bytes. Any crash, sanitizer report,
// escaping exception or broken invariant below is a bug. Run with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "grading/answer_extraction.hpp"
#include "grading/answer_normalization.hpp"
#include "grading/grader.hpp"
#include "grading/math_expression.hpp"

namespace {

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
  return true;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl::grading;
  if (size == 0) return 0;
  // First byte: option bits; the rest: "response \x1f reference".
  const std::uint8_t flags = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t sep = input.find('\x1f');
  std::string_view response = input.substr(0, sep);
  std::string_view reference =
      sep == std::string_view::npos ? std::string_view("42") : input.substr(sep + 1);

  auto boxed = extract_boxed(input);
  auto reference_box = extract_boxed_reference(input);
  if (reference_box) check(boxed.has_value());  // the extension never loses a reference box
  (void)extract_answer_phrase(input);
  (void)extract_last_number(input);

  grader_options options;
  options.extraction.answer_phrase = flags & 1;
  options.extraction.last_number = flags & 2;
  options.symbolic = !(flags & 4);
  options.format = (flags & 8) ? format_mode::strict : format_mode::boxed;
  grade_result r = grade_answer(response, reference, options);
  check(r.format >= 0.0 && r.format <= 1.0);
  check(!r.correct || r.has_answer);

  // Every non-blank answer is equivalent to itself.
  bool self = answers_equivalent(response, response, options.symbolic);
  check(self == !blank(response));
  (void)answers_equivalent(response, reference, options.symbolic);
  (void)answers_equivalent(reference, response, options.symbolic);

  (void)mathd_normalize(input);
  (void)fallback_equal(response, reference);
  (void)parse_python_float(input);
  (void)clean_answer(input);
  if (auto e = math_expression::parse(input)) {
    std::vector<std::complex<double>> values(e->variables().size(), {1.5, 0.0});
    (void)e->evaluate(values);
    (void)expressions_equivalent(*e, *e);
  }
  return 0;
}
