// libFuzzer target for the files evaluation and plotting read back: a results file's base
// (eval::read_base_results, `leadrl eval --base-results`), the CSV table
// (eval::parse_eval_csv) and a training metrics log (io::parse_run_log, `leadrl plot`).
// The first byte picks the reader; a CSV table that parses is written and read again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eval/eval_report.hpp"
#include "eval/results_file.hpp"
#include "fuzz/fuzz_support.hpp"
#include "io/run_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl;
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto base = eval::read_base_results(text, "fuzz results.json");
      if (base) fuzz::check(!base->base.rows.empty(), "a base has at least one benchmark");
      break;
    }
    case 1: {
      auto rows = eval::parse_eval_csv(text);
      if (rows) {
        auto again = eval::parse_eval_csv(eval::eval_csv(*rows));
        fuzz::check(again.ok() && again->size() == rows->size(), "eval_csv output reads back");
      }
      break;
    }
    default: {
      auto log = io::parse_run_log(text);
      if (log) fuzz::check(log->steps > 0, "a log has steps");
      break;
    }
  }
  return 0;
}
