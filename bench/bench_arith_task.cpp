// bench_arith_task: the figures of the built-in arithmetic task (io/arith_task.hpp) —
// per difficulty, the mean prompt length, the mean minimal response length and the mean
// verbose response length at several verbosities (the overthinking factor the SFT corpus
// teaches), the longest prompt + response, and the generation and grading throughput.
//
//   bench_arith_task [count=4000] [seed=1]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "grading/arith_grade.hpp"
#include "io/arith_task.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct sums {
  double n = 0, prompt = 0, minimal = 0, steps = 0;
  std::map<double, double> verbose;
  std::size_t longest = 0;  // prompt + response at the default verbosity
};

}  // namespace

int main(int argc, char** argv) {
  using namespace leadrl::io;
  const std::size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 4000;
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  const arith_task_options options;
  const std::vector<double> verbosities = {0.25, 0.5, 0.75, 1.0};

  auto t0 = clock_type::now();
  auto problems = generate_arith_problems(options, arith_split::train, seed, 0, count);
  const double generate_s = seconds_since(t0);
  if (!problems) {
    std::fprintf(stderr, "bench_arith_task: %s\n", problems.error().message().c_str());
    return 1;
  }
  std::map<int, sums> by_difficulty;
  std::vector<std::string> responses;
  t0 = clock_type::now();
  for (const auto& p : *problems) {
    sums& s = by_difficulty[p.difficulty];
    s.n += 1;
    s.prompt += static_cast<double>(p.prompt.size());
    s.minimal += static_cast<double>(arith_minimal_response(p).size());
    s.steps += static_cast<double>(arith_solution_steps(p).size());
    for (double v : verbosities) {
      std::string r = arith_response(p, {v, 0.5}, 0, options.max_chars);
      s.verbose[v] += static_cast<double>(r.size());
      if (v == 0.5) {
        s.longest = std::max(s.longest, p.prompt.size() + r.size());
        responses.push_back(std::move(r));
      }
    }
  }
  const double respond_s = seconds_since(t0);
  t0 = clock_type::now();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    if (leadrl::grading::arith_grade(responses[i], (*problems)[i].answer).correct) ++correct;
  }
  const double grade_s = seconds_since(t0);

  std::printf("arith task: %zu train problems, seed %llu, max_chars %zu, spread 0.5\n", count,
              static_cast<unsigned long long>(seed), options.max_chars);
  std::printf("%-4s %6s %6s %6s %8s", "diff", "n", "steps", "prompt", "minimal");
  for (double v : verbosities) std::printf("  v=%.2f (x)    ", v);
  std::printf(" longest@0.5\n");
  sums all;
  for (const auto& [d, s] : by_difficulty) {
    std::printf("%-4d %6.0f %6.2f %6.1f %8.1f", d, s.n, s.steps / s.n, s.prompt / s.n,
                s.minimal / s.n);
    for (double v : verbosities) {
      const double mean = s.verbose.at(v) / s.n;
      std::printf("  %6.1f (%4.2fx)", mean, mean / (s.minimal / s.n));
      all.verbose[v] += s.verbose.at(v);
    }
    std::printf(" %6zu\n", s.longest);
    all.n += s.n;
    all.prompt += s.prompt;
    all.minimal += s.minimal;
    all.steps += s.steps;
  }
  std::printf("%-4s %6.0f %6.2f %6.1f %8.1f", "all", all.n, all.steps / all.n, all.prompt / all.n,
              all.minimal / all.n);
  for (double v : verbosities) {
    const double mean = all.verbose.at(v) / all.n;
    std::printf("  %6.1f (%4.2fx)", mean, mean / (all.minimal / all.n));
  }
  std::printf("\n");
  std::printf(
      "generate: %.0f problems/s; respond: %.0f responses/s; grade: %.0f responses/s "
      "(%zu/%zu correct)\n",
      static_cast<double>(count) / generate_s,
      static_cast<double>(count * verbosities.size()) / respond_s,
      static_cast<double>(responses.size()) / grade_s, correct, responses.size());
  return correct == responses.size() ? 0 : 1;
}
