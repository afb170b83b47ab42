// bench_grader: time per grade_answer call on typical responses and on hostile ones.
//
//   bench_grader [SHARED_DIR]     (default: $LEADRL_SHARED, else <source>/../shared)
//
// Typical: every MATH-500 solution graded against its answer (the solution stands in for a
// response), and a 4 kB synthetic chain of thought ending in an answer written differently
// from the reference (so the structural/numeric comparison runs). Worst cases: 200k-character
// responses, deep and unbalanced braces, long expressions, big lists, invalid UTF-8, NUL
// bytes. Prints, per call in microseconds, the thread CPU time (mean and max; immune to
// preemption on a shared host) and the wall-clock p50 / p99 / max.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grading/grader.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct sample_case {
  std::string name;
  std::string response;
  std::string reference;
  leadrl::grading::grader_options options;
};

struct timing {
  double cpu_mean_us = 0;  // thread CPU time per call: immune to preemption on a busy host
  double cpu_max_us = 0;
  double wall_p50_us = 0, wall_p99_us = 0, wall_max_us = 0;
};

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

timing time_calls(const std::vector<sample_case>& cases, int repeats, std::size_t& correct) {
  std::vector<double> wall;
  wall.reserve(cases.size() * static_cast<std::size_t>(repeats));
  correct = 0;
  timing t;
  double cpu_total = 0;
  for (int r = 0; r < repeats; ++r) {
    for (const auto& c : cases) {
      double c0 = thread_cpu_us();
      auto t0 = clock_type::now();
      auto result = leadrl::grading::grade_answer(c.response, c.reference, c.options);
      auto t1 = clock_type::now();
      double c1 = thread_cpu_us();
      wall.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      cpu_total += c1 - c0;
      t.cpu_max_us = std::max(t.cpu_max_us, c1 - c0);
      if (r == 0 && result.correct) ++correct;
    }
  }
  if (wall.empty()) return t;
  t.cpu_mean_us = cpu_total / static_cast<double>(wall.size());
  std::sort(wall.begin(), wall.end());
  t.wall_p50_us = wall[wall.size() / 2];
  t.wall_p99_us = wall[std::min(wall.size() - 1, wall.size() * 99 / 100)];
  t.wall_max_us = wall.back();
  return t;
}

std::string shared_dir(int argc, char** argv) {
  if (argc > 1) return argv[1];
  if (const char* env = std::getenv("LEADRL_SHARED")) return env;
  return std::string(LEADRL_SOURCE_DIR) + "/../shared";
}

std::string chain_of_thought(std::mt19937& rng, std::size_t length) {
  static const char* pieces[] = {"Let me think about this. ",
                                 "We have $x^2 + 3x = 10$, so ",
                                 "\\[ \\frac{a}{b} = \\sqrt{2} \\] ",
                                 "Wait, let me re-check. ",
                                 "Therefore $n = 12$ and ",
                                 "the sum is $1 + 2 + 3 = 6$. ",
                                 "Hmm, maybe \\(\\binom{5}{2}\\) works. "};
  std::string out;
  while (out.size() < length) out += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = shared_dir(argc, argv);
  std::ifstream in(shared + "/data/math/test.jsonl");
  if (!in) {
    std::cerr << "bench_grader: cannot open " << shared << "/data/math/test.jsonl\n";
    return 2;
  }
  std::vector<sample_case> math500;
  std::vector<std::string> answers;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    math500.push_back(
        {"math500", j.at("solution").get<std::string>(), j.at("answer").get<std::string>(), {}});
    answers.push_back(j.at("answer").get<std::string>());
  }

  // Synthetic responses: 4 kB of reasoning, then an answer in a different form.
  std::mt19937 rng(7);
  const std::pair<const char*, const char*> rewrites[] = {
      {"\\dfrac{1}{2}", "0.5"},
      {"2\\sqrt{2}", "\\sqrt{8}"},
      {"x = 5", "5"},
      {"(1, 2)", "\\left(1,2\\right)"},
      {"\\frac{x^2-1}{x-1}", "x+1"},
      {"90^\\circ", "90"},
      {"1,000", "1000"},
      {"3, 1, 2", "1,2,3"},
      {"\\frac{3\\pi}{4}", "\\frac34\\pi"},
      {"12", "1.2"},
  };
  std::vector<sample_case> synthetic;
  for (int k = 0; k < 500; ++k) {
    const auto& [given, truth] = rewrites[k % 10];
    synthetic.push_back(
        {"synthetic", chain_of_thought(rng, 4000) + " So \\boxed{" + given + "}.", truth, {}});
  }
  // Wrong answers against MATH-500 references (the full comparison chain runs and fails).
  std::vector<sample_case> wrong;
  for (std::size_t k = 0; k < answers.size(); ++k)
    wrong.push_back(
        {"wrong",
         chain_of_thought(rng, 2000) + "\\boxed{" + answers[(k + 1) % answers.size()] + "}",
         answers[k],
         {}});

  std::printf("%-44s %7s %9s %9s %9s %9s %9s\n", "case", "calls", "cpu_mean", "cpu_max", "wall_p50",
              "wall_p99", "wall_max");
  auto report = [](const std::string& name, const std::vector<sample_case>& cases, int repeats) {
    std::size_t correct = 0;
    timing t = time_calls(cases, repeats, correct);
    std::printf("%-44s %7zu %9.2f %9.2f %9.2f %9.2f %9.2f  (%zu/%zu correct)\n", name.c_str(),
                cases.size() * static_cast<std::size_t>(repeats), t.cpu_mean_us, t.cpu_max_us,
                t.wall_p50_us, t.wall_p99_us, t.wall_max_us, correct, cases.size());
    return t;
  };
  report("typical: MATH-500 solution vs answer", math500, 20);
  report("typical: 4kB CoT, answer in another form", synthetic, 20);
  report("typical: 2kB CoT, wrong answer", wrong, 20);

  // Worst cases.
  std::vector<sample_case> hostile;
  leadrl::grading::grader_options all;
  all.extraction.answer_phrase = true;
  all.extraction.last_number = true;
  auto add = [&](std::string name, std::string response, std::string reference,
                 leadrl::grading::grader_options options = {}) {
    hostile.push_back({std::move(name), std::move(response), std::move(reference), options});
  };
  std::string prose = chain_of_thought(rng, 200000);
  add("200k prose, no box", prose, "42");
  add("200k prose, no box, all fallbacks", prose, "42", all);
  add("200k prose + box", prose + "\\boxed{\\frac{1}{2}}", "0.5");
  add("200k digits, all fallbacks", std::string(200000, '7'), "7", all);
  add(
      "200k of \\boxed{",
      [] {
        std::string s;
        while (s.size() < 200000) s += "\\boxed{";
        return s;
      }(),
      "1");
  add("box of 100k nested braces",
      "\\boxed{" + std::string(100000, '{') + "1" + std::string(100000, '}') + "}", "1");
  add("unbalanced: box then 200k '{'", "\\boxed{" + std::string(200000, '{'), "1");
  add("box of 200k '}' after", "\\boxed{1}" + std::string(200000, '}'), "1");
  add("box of 1900 nested parens",
      "\\boxed{" + std::string(1900, '(') + "x" + std::string(1900, ')') + "}", "x");
  {
    std::string sum = "1";
    while (sum.size() < 3990) sum += "+1";
    add("box of a 4k-char sum", "\\boxed{" + sum + "}", std::to_string((sum.size() + 1) / 2));
  }
  {
    std::string poly = "x";
    while (poly.size() < 3980) poly += "+x^{2}y";
    add("box of a 4k-char polynomial", "\\boxed{" + poly + "}", "x+y");
  }
  {
    std::string a, b;
    for (int k = 1; k <= 64; ++k) {
      a += (k > 1 ? "," : "") + std::string("x^{") + std::to_string(k) + "}+y";
      b += (k > 1 ? "," : "") + std::string("x^{") + std::to_string(65 - k) + "}+y";
    }
    add("64-element lists, reversed order", "\\boxed{" + a + "}", b);
  }
  {
    std::string a, b;
    for (int k = 1; k <= 60; ++k) {
      a += (k > 1 ? "," : "") + std::string("\\binom{x}{60}+") + std::to_string(k);
      b += (k > 1 ? "," : "") + std::string("\\binom{x}{60}+") + std::to_string(k + 1);
    }
    add("60-element binomial lists, no match", "\\boxed{" + a + "}", b);
  }
  {
    std::string t;
    while (t.size() < 3900) t += "\\text{a}";
    add("box of 480 \\text{} wrappers", "\\boxed{" + t + "}", "a");
  }
  {
    std::string s;
    while (s.size() < 200000) s += "\\sqrt";
    add("box of 40k \\sqrt (mathd fixes)", "\\boxed{" + s + "}", "\\sqrt{2}");
  }
  {
    std::string bytes;
    std::mt19937 r(3);
    for (int k = 0; k < 200000; ++k) bytes += static_cast<char>(r() & 0xFF);
    add("200k random bytes", bytes, "1", all);
    add("200k random bytes in a box", "\\boxed{" + bytes + "}", "1");
  }
  {
    std::string tuples = "\\boxed{";
    for (int k = 0; k < 8; ++k) tuples += "(1,";
    tuples += "2";
    for (int k = 0; k < 8; ++k) tuples += ")";
    tuples += "}";
    add("tuples nested 8 deep", tuples, tuples.substr(7, tuples.size() - 8));
  }
  {
    std::string m = "\\begin{pmatrix}";
    for (int r = 0; r < 30; ++r) {
      for (int c = 0; c < 30; ++c) m += (c ? "&" : "") + std::to_string(r * c);
      m += "\\\\";
    }
    m += "\\end{pmatrix}";
    add("30x30 matrix", "\\boxed{" + m + "}", m);
  }
  double worst = 0;
  std::string worst_name;
  for (const auto& c : hostile) {
    timing t = report("worst: " + c.name, {c}, 10);
    if (t.cpu_mean_us > worst) {
      worst = t.cpu_mean_us;
      worst_name = c.name;
    }
  }
  std::printf("\nall times in microseconds per grade_answer call; cpu = thread CPU time\n");
  std::printf("slowest hostile case: %s, %.1f us CPU per call\n", worst_name.c_str(), worst);
  return 0;
}
