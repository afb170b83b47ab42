// bench_checksum: time of runtime::parameter_checksum (the digest computed where the
// parameters live) and of the FNV-1a form it replaced (a copy to the host, then a byte
// loop), over the parameters of a Hugging Face model directory (e.g. one written by
// `leadrl init-model --like R1-Distill-Qwen-1.5B`) on any device and dtype.
//
//   bench_checksum --model DIR [--device cpu|cuda|cuda:N] [--dtype float32|bfloat16]
//                  [--repeats N]
//
// Prints one line per form (parameters, bytes, the median seconds of N calls, GB/s) and a
// last line with both times and their ratio.
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/checkpoint.hpp"
#include "model/device.hpp"
#include "runtime/gradient_sync.hpp"

namespace {

int usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_checksum: %s\nusage: bench_checksum --model DIR [--device cpu|cuda|cuda:N] "
               "[--dtype float32|bfloat16] [--repeats N]\n",
               why.c_str());
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
  std::string model_dir, device = "cpu", dtype = "float32";
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage("missing the value of " + a);
    const std::string v = argv[++i];
    if (a == "--model") {
      model_dir = v;
    } else if (a == "--device") {
      device = v;
    } else if (a == "--dtype") {
      dtype = v;
    } else if (a == "--repeats") {
      repeats = std::atoi(v.c_str());
      if (repeats < 1) return usage("--repeats: expected an integer >= 1, got '" + v + "'");
    } else {
      return usage("unknown option " + a);
    }
  }
  if (model_dir.empty()) return usage("--model DIR is required");
  auto where = leadrl::model::placement(device, dtype);
  if (!where) return usage(where.error().message());
  auto dec = leadrl::model::load_decoder(model_dir, *where);
  if (!dec) return usage("--model " + model_dir + ": " + dec.error().message());
  const std::vector<torch::Tensor> params = (*dec)->parameters();
  std::int64_t count = 0, bytes = 0;
  for (const auto& t : params) {
    count += t.numel();
    bytes += t.numel() * static_cast<std::int64_t>(t.element_size());
  }
  auto sync = [&] {
    if (where->device.is_cuda()) torch::cuda::synchronize();
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
    std::printf("%-6s dtype=%s device=%s params=%.1fM bytes=%.0fMB  %.4f s  %.2f GB/s\n", name,
                dtype.c_str(), device.c_str(), count / 1e6, bytes / 1e6, s, bytes / s / 1e9);
  }
  std::fprintf(stderr, "(sink %016llx)\n", static_cast<unsigned long long>(sink));
  std::printf("digest %.4f s, fnv1a %.4f s: %.1fx\n", digest, fnv, fnv / digest);
  return 0;
}
