// Times lead_step (spec/lead.md §2.2: L*, R_eff, group normalisation, PSI, whitening and
// metrics) on one core for a paper-sized step (128 prompts x 8 rollouts = 1,024) and a
// large one (2,048 x 8 = 16,384), in group mode and with the persistent length table.
// Prints the median and the 10th/90th percentiles in microseconds.
//
//   bench_lead_advantage [repetitions for 1,024 rollouts, default 2000]
#include <malloc.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "lead/lead_estimator.hpp"

namespace {

using leadrl::lead::lead_config;
using leadrl::lead::lead_state;
using leadrl::lead::length_target_mode;
using leadrl::lead::rollout_batch;

// Realistic step: every prompt has its own difficulty and typical length; lengths are
// log-normal around it, capped at the 8,000-token limit (a capped rollout is wrong).
rollout_batch make_batch(int prompts, int group, std::uint64_t seed, std::int64_t first_id) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> difficulty(0.0, 1.0);
  std::lognormal_distribution<double> typical(std::log(2500.0), 0.5);
  std::normal_distribution<double> spread(0.0, 0.35);
  rollout_batch b;
  const std::size_t n = static_cast<std::size_t>(prompts) * static_cast<std::size_t>(group);
  b.prompt_ids.reserve(n);
  b.lengths.reserve(n);
  b.correctness.reserve(n);
  for (int p = 0; p < prompts; ++p) {
    const double accuracy = difficulty(rng);
    const double center = typical(rng);
    for (int k = 0; k < group; ++k) {
      double len = std::round(center * std::exp(spread(rng)));
      len = std::clamp(len, 20.0, 8000.0);
      const bool correct = len < 8000.0 && std::bernoulli_distribution(accuracy)(rng);
      b.prompt_ids.push_back(first_id + p);
      b.lengths.push_back(len);
      b.correctness.push_back(correct ? 1.0 : 0.0);
    }
  }
  return b;
}

struct timing {
  double p10, median, p90;  // wall clock
  double cpu_median;        // this thread's CPU time (user + system), immune to preemption
};

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

timing time_steps(const rollout_batch& batch, const lead_config& config, int reps) {
  lead_state state;
  leadrl::lead::length_target_table table = leadrl::lead::make_length_target_table(config);
  const bool use_table = config.lstar_table == length_target_mode::table;
  std::vector<double> us, cpu;
  us.reserve(static_cast<std::size_t>(reps));
  cpu.reserve(static_cast<std::size_t>(reps));
  double sink = 0.0;
  for (int r = -reps / 10 - 1; r < reps; ++r) {  // the first 10% warm up
    const double c0 = thread_cpu_us();
    const auto t0 = std::chrono::steady_clock::now();
    auto res = leadrl::lead::lead_step(batch, config, state, use_table ? &table : nullptr);
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = thread_cpu_us();
    if (!res) {
      std::fprintf(stderr, "lead_step failed: %s\n", res.error().message().c_str());
      std::exit(1);
    }
    sink += res->advantages[0];
    if (r >= 0) {
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      cpu.push_back(c1 - c0);
    }
  }
  if (sink == 12345.678) std::puts("");  // keep the result alive
  std::sort(us.begin(), us.end());
  std::sort(cpu.begin(), cpu.end());
  const auto at = [](const std::vector<double>& v, double q) {
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
  };
  return {at(us, 0.1), at(us, 0.5), at(us, 0.9), at(cpu, 0.5)};
}

}  // namespace

int main(int argc, char** argv) {
  const int reps_small = argc > 1 ? std::max(10, std::atoi(argv[1])) : 2000;
  // One core: pin to the CPU we start on.
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpu = sched_getcpu();
  CPU_SET(cpu < 0 ? 0 : cpu, &set);
  const bool pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
  std::printf("lead_step timing, %s; wall median [p10, p90] and thread-CPU median, microseconds\n",
              pinned ? "pinned to one core" : "not pinned");

  // Pass 1 uses the allocator as it comes. At 16,384 rollouts each result vector is 128 KiB,
  // glibc's mmap/trim thresholds, so a bare process returns memory to the kernel after every
  // step and faults it back in: that cost is page faults, not arithmetic. Pass 2 raises the
  // thresholds, as in a long-running controller whose heap stays large.
  for (int pass = 1; pass <= 2; ++pass) {
    if (pass == 2) {
#ifdef __GLIBC__
      mallopt(M_TRIM_THRESHOLD, 256 << 20);
      mallopt(M_MMAP_THRESHOLD, 256 << 20);
      std::printf("-- glibc trim/mmap thresholds raised to 256 MiB\n");
#else
      break;
#endif
    } else {
      std::printf("-- default allocator settings\n");
    }
    struct size_case {
      int prompts;
      int reps;
    };
    for (const size_case sc :
         {size_case{128, reps_small}, size_case{2048, std::max(10, reps_small / 10)}}) {
      const rollout_batch batch = make_batch(sc.prompts, 8, 42, 0);
      for (auto mode : {length_target_mode::group, length_target_mode::table}) {
        lead_config config;
        config.lstar_table = mode;
        const timing t = time_steps(batch, config, sc.reps);
        std::printf(
            "%6zu rollouts (%4d prompts x 8), %-5s mode: wall %9.1f us [%.1f, %.1f], cpu %9.1f us"
            " (%d reps)\n",
            batch.size(), sc.prompts, leadrl::lead::to_string(mode), t.median, t.p10, t.p90,
            t.cpu_median, sc.reps);
      }
    }
  }
  return 0;
}
