// bench_decode: rollout generation throughput of the generation engine on CPU.
//
// Three random-weight Qwen2-shaped models: "demo" (the demo's SFT model of
// configs/arith_sft.ini: hidden 64, 3 layers, 4 heads, 2 KV heads, intermediate 192, the
// 100-id char vocabulary, ~0.16M parameters; 24-token prompts), "tiny" (~1.6M parameters,
// 64-token vocabulary) and "100m" (hidden 768, 12 layers, 12 heads, 2 KV heads,
// intermediate 2048, vocab 32000: ~110M parameters), at batch 1, 16 and 64.
// Each point runs in a fresh child process (this program re-executed with --point) so
// that its peak RSS (getrusage ru_maxrss) is its own. Threads: at::set_num_threads(N)
// with N = --threads (default 2, the CI machine's cores).
//
//   bench_decode                 # all points
//   bench_decode --point 100m 16 --threads 2
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/decoder.hpp"
#include "model/generation_engine.hpp"

namespace {

using namespace leadrl;

struct shape {
  const char* name;
  int64_t hidden, layers, heads, kv_heads, intermediate, vocab, prompt, new_tokens;
};

const shape shapes[] = {
    {"demo", 64, 3, 4, 2, 192, 100, 24, 64},
    {"tiny", 192, 4, 6, 2, 512, 64, 32, 64},
    {"100m", 768, 12, 12, 2, 2048, 32000, 16, 16},
};

io::hf_config config_of(const shape& s) {
  return io::qwen2_config(s.hidden, s.intermediate, s.layers, s.heads, s.kv_heads, s.vocab, 4096);
}

int run_point(const shape& s, int64_t batch, int threads) {
  at::set_num_threads(threads);
  torch::manual_seed(0);
  model::decoder dec(config_of(s));
  dec->eval();
  model::generation_params p;
  p.sampling = {1.0, 0, 1.0};
  p.max_new_tokens = s.new_tokens;
  p.max_batch = batch;  // no EOS: every rollout generates exactly new_tokens
  std::vector<model::generation_request> reqs;
  for (int64_t i = 0; i < batch; ++i) {
    std::vector<int64_t> prompt;
    for (int64_t j = 0; j < s.prompt; ++j) prompt.push_back((i * 31 + j * 7) % s.vocab);
    reqs.push_back({prompt, static_cast<uint64_t>(i)});
  }
  model::generation_engine engine(dec, p);
  // Warm-up on one short request (allocator, thread pool).
  {
    model::generation_params wp = p;
    wp.max_new_tokens = 2;
    model::generation_engine(dec, wp).generate({reqs[0]}).ok();
  }
  auto out = engine.generate(reqs);
  if (!out) {
    std::cerr << out.error().message() << "\n";
    return 1;
  }
  const auto& st = engine.last_stats();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "%-5s params=%6.2fM batch=%3lld prompt=%3lld new=%3lld  %9.1f tok/s  (%lld tokens in %.2f s, "
      "%lld forwards)  peak_rss=%.0f MB\n",
      s.name, model::parameter_count(*dec) / 1e6, static_cast<long long>(batch),
      static_cast<long long>(s.prompt), static_cast<long long>(s.new_tokens),
      st.generated_tokens / st.seconds, static_cast<long long>(st.generated_tokens), st.seconds,
      static_cast<long long>(st.forward_calls), ru.ru_maxrss / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  std::string point_model;
  int64_t point_batch = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--point" && i + 2 < argc) {
      point_model = argv[++i];
      point_batch = std::atoll(argv[++i]);
    } else {
      std::cerr << "usage: bench_decode [--threads N] [--point demo|tiny|100m BATCH]\n";
      return 2;
    }
  }
  if (!point_model.empty()) {
    for (const auto& s : shapes) {
      if (point_model == s.name) return run_point(s, point_batch, threads);
    }
    std::cerr << "unknown model " << point_model << "\n";
    return 2;
  }
  std::printf(
      "bench_decode: end-to-end generate() throughput (prefill included), float32 CPU, "
      "at::set_num_threads(%d), temperature 1, no EOS\n",
      threads);
  std::fflush(stdout);
  int rc = 0;
  for (const auto& s : shapes) {
    for (int64_t b : {1, 16, 64}) {
      std::string cmd = "/proc/self/exe";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%d", static_cast<int>(::getpid()));
      cmd = std::string("/proc/") + buf + "/exe --threads " + std::to_string(threads) +
            " --point " + s.name + " " + std::to_string(b);
      rc |= std::system(cmd.c_str());
      std::fflush(stdout);
    }
  }
  return rc == 0 ? 0 : 1;
}
