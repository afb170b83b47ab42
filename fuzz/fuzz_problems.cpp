// libFuzzer target for JSONL problem datasets (training sets, eval sets, SFT data):
// io::load_problems on a fuzzed file. The first byte picks the field options.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "io/problem_dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl;
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string path = fuzz::write_scratch("problems.jsonl", text);
  io::problem_fields fields;
  fields.answer_required = !(flags & 1);
  fields.response_required = flags & 2;
  if (flags & 4) fields.prompt_field = "problem";
  auto ds = io::load_problems(path, fields);
  if (!ds) return 0;
  fuzz::check(!ds->rows.empty(), "a loaded dataset has rows");
  for (std::size_t i = 0; i < ds->rows.size(); ++i) {
    fuzz::check(ds->rows[i].prompt_id == static_cast<std::int64_t>(i), "prompt_id is the row");
  }
  return 0;
}
