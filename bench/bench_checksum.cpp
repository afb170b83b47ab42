// bench_checksum: time of runtime::parameter_checksum (the digest computed where the
// parameters live) and of the FNV-1a form it replaced (a copy to the host, then a byte
// loop), on random parameters shaped like a decoder's.
//
//   bench_checksum [--preset tiny|100m|1.5b] [--dtype float32|bfloat16] [--device cpu|cuda]
//                  [--repeats N]
//
// Prints one line per form: parameters, bytes, the median seconds of N calls, GB/s.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/gradient_sync.hpp"

namespace {

struct preset {
  const char* name;
  std::int64_t vocab, hidden, ffn, layers;
};
constexpr preset k_presets[] = {
    {"tiny", 64, 64, 128, 2}, {"100m", 32000, 768, 2048, 12}, {"1.5b", 151936, 1536, 8960, 28}};

int usage(const char* why) {
  std::fprintf(stderr,
               "bench_checksum: %s\nusage: bench_checksum [--preset tiny|100m|1.5b] "
               "[--dtype float32|bfloat16] [--device cpu|cuda] [--repeats N]\n",
               why);
  return 2;
}

template <class F>
double median_seconds(int repeats, F&& f) {
  std::vector<double> s;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string preset_name = "100m", dtype = "float32", device = "cpu";
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing the value of " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--preset") {
      preset_name = v;
    } else if (a == "--dtype") {
      dtype = v;
    } else if (a == "--device") {
      device = v;
    } else if (a == "--repeats") {
      repeats = std::atoi(v.c_str());
      if (repeats < 1) return usage("--repeats: expected an integer >= 1");
    } else {
      return usage(("unknown option " + a).c_str());
    }
  }
  const preset* p = nullptr;
  for (const auto& q : k_presets) {
    if (preset_name == q.name) p = &q;
  }
  if (p == nullptr) return usage("--preset: expected tiny, 100m or 1.5b");
  if (dtype != "float32" && dtype != "bfloat16") return usage("--dtype: float32 or bfloat16");
  if (device != "cpu" && !(device == "cuda" && torch::cuda::is_available())) {
    return usage("--device: cpu, or cuda where a GPU is visible");
  }
  const auto opts = torch::TensorOptions()
                        .dtype(dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat32)
                        .device(device == "cuda" ? torch::Device(torch::kCUDA, 0) : torch::kCPU);
  torch::manual_seed(1);
  std::vector<torch::Tensor> params{torch::randn({p->vocab, p->hidden}, opts)};
  for (std::int64_t l = 0; l < p->layers; ++l) {
    for (int i = 0; i < 4; ++i) params.push_back(torch::randn({p->hidden, p->hidden}, opts));
    for (int i = 0; i < 3; ++i) params.push_back(torch::randn({p->ffn, p->hidden}, opts));
    for (int i = 0; i < 2; ++i) params.push_back(torch::randn({p->hidden}, opts));
  }
  std::int64_t count = 0, bytes = 0;
  for (const auto& t : params) {
    count += t.numel();
    bytes += t.numel() * t.element_size();
  }
  auto sync = [&] {
    if (device == "cuda") torch::cuda::synchronize();
  };
  std::uint64_t sink = 0;
  const double digest = median_seconds(repeats, [&] {
    sink ^= leadrl::runtime::parameter_checksum(params);
    sync();
  });
  const double fnv = median_seconds(repeats, [&] {
    sink ^= leadrl::runtime::parameter_checksum_fnv(params);
    sync();
  });
  for (const auto& [name, s] : {std::pair<const char*, double>{"digest", digest}, {"fnv1a", fnv}}) {
    std::printf("%-6s preset=%s dtype=%s device=%s params=%.1fM bytes=%.0fMB  %.4f s  %.2f GB/s\n",
                name, p->name, dtype.c_str(), device.c_str(), count / 1e6, bytes / 1e6, s,
                bytes / s / 1e9);
  }
  std::fprintf(stderr, "(sink %016llx)\n", static_cast<unsigned long long>(sink));
  std::printf("digest %.4f s, fnv1a %.4f s: %.1fx\n", digest, fnv, fnv / digest);
  return 0;
}
