// Encode throughput of the byte-level BPE tokenizer on the MATH training problems
// (shared/data/math/train.jsonl, field "problem"), cold (empty piece cache) and warm.
//
//   bench_tokenizer [TOKENIZER_PATH [TRAIN_JSONL]]
// Defaults: the deepseek-r1-distill-qwen tokenizer and the MATH train split under the
// shared folder ($LEADRL_SHARED, else <source>/../shared).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/bpe_tokenizer.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::string shared_root() {
  const char* env = std::getenv("LEADRL_SHARED");
  return (env != nullptr && *env != '\0') ? std::string(env)
                                          : std::string(LEADRL_SOURCE_DIR) + "/../shared";
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// CPU seconds of this thread: on a shared machine wall time also counts other processes.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct timing {
  double wall = 0;
  double cpu = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string tokenizer_path =
      argc > 1 ? argv[1] : shared_root() + "/data/tokenizers/deepseek-r1-distill-qwen";
  const std::string data_path = argc > 2 ? argv[2] : shared_root() + "/data/math/train.jsonl";

  std::ifstream in(data_path);
  if (!in) {
    std::cerr << "bench_tokenizer: " << data_path << ": cannot open file\n";
    return 2;
  }
  std::vector<std::string> problems;
  std::size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    const auto row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_object() && row.contains("problem") && row["problem"].is_string()) {
      problems.push_back(row["problem"]);
      bytes += problems.back().size();
    }
  }
  const double megabytes = static_cast<double>(bytes) / 1e6;

  auto start = clock_type::now();
  auto tok = leadrl::model::bpe_tokenizer::load(tokenizer_path);
  if (!tok) {
    std::cerr << "bench_tokenizer: " << tok.error().message() << "\n";
    return 2;
  }
  const double load_s = seconds_since(start);

  // One pass over all problems; returns its times and the number of tokens produced.
  auto pass = [&](std::size_t& tokens) {
    tokens = 0;
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    for (const auto& p : problems) tokens += tok->encode(p, false).size();
    return timing{seconds_since(t0), thread_cpu_seconds() - c0};
  };

  constexpr int repeats = 5;
  std::vector<timing> cold;
  std::vector<timing> warm;
  std::size_t tokens = 0;
  for (int r = 0; r < repeats; ++r) {
    tok->clear_cache();
    cold.push_back(pass(tokens));
    warm.push_back(pass(tokens));
  }
  // The median by wall time; CPU time of the same pass alongside.
  auto median = [](std::vector<timing> v) {
    std::sort(v.begin(), v.end(), [](const timing& a, const timing& b) { return a.wall < b.wall; });
    return v[v.size() / 2];
  };
  const timing cold_t = median(cold);
  const timing warm_t = median(warm);

  std::printf("bench_tokenizer: %s\n", tokenizer_path.c_str());
  std::printf("  corpus: %zu problems, %.3f MB, %zu tokens (%.2f bytes/token)\n", problems.size(),
              megabytes, tokens, static_cast<double>(bytes) / static_cast<double>(tokens));
  std::printf("  load tokenizer.json: %.2f s\n", load_s);
  for (const auto& [name, t] : {std::pair<const char*, timing>{"cold (empty cache)", cold_t},
                                std::pair<const char*, timing>{"warm (cached words)", warm_t}}) {
    std::printf(
        "  %-20s %.3f s/pass  %6.2f MB/s  %9.0f tokens/s   | CPU time: %6.2f MB/s  (median of %d, "
        "1 thread)\n",
        name, t.wall, megabytes / t.wall, static_cast<double>(tokens) / t.wall, megabytes / t.cpu,
        repeats);
  }
  std::printf("  piece cache entries after a pass: %zu\n", tok->cache_size());
  return 0;
}
