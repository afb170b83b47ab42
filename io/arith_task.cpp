#include "io/arith_task.hpp"

#include <algorithm>
#include <utility>

#include "base/fnv1a.hpp"
#include "base/splitmix64.hpp"

namespace leadrl::io {
namespace {

// Stream tags: each use of randomness has its own splitmix64 stream, so that changing how
// responses are drawn never changes which problems are drawn.
constexpr std::uint64_t tag_difficulty = 0x6469666669637479ULL;   // "difficty"
constexpr std::uint64_t tag_candidate = 0x63616e6469646174ULL;    // "candidat"
constexpr std::uint64_t tag_response = 0x726573706f6e7365ULL;     // "response"
constexpr std::uint64_t tag_answer_kind = 0x616e736b696e6421ULL;  // "anskind!"
// The split partition hashes the problem text with this fixed salt and never with a seed:
// the partition is a property of the problem, so splits are disjoint across seeds.
constexpr std::uint64_t split_salt = 0x73706c6974746573ULL;  // "splittes"
constexpr int max_candidate_draws = 10000;

// One splitmix64 step (base/splitmix64.hpp); the class below is the stream.
constexpr std::uint64_t mix64(std::uint64_t z) {
  return leadrl::splitmix64(z);
}

// splitmix64: the same sequence on every platform and library version (std::
// distributions differ between standard libraries, so none are used).
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) : stream_(seed) {}
  std::uint64_t next() { return stream_.next(); }
  /// Uniform in [0, n), n >= 1, without modulo bias.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % n;
  }
  /// Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  /// Uniform in [0, 1) with 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }

 private:
  splitmix64_stream stream_;
};

std::uint64_t stream_seed(std::uint64_t seed, arith_split split, std::uint64_t index,
                          std::uint64_t tag, std::uint64_t sub = 0) {
  std::uint64_t h = mix64(seed ^ tag);
  h = mix64(h ^ (split == arith_split::train ? 0x7472ULL : 0x7465ULL));
  h = mix64(h ^ index);
  return mix64(h ^ sub);
}

std::int64_t pow10(int digits) {
  std::int64_t p = 1;
  for (int i = 0; i < digits; ++i) p *= 10;
  return p;
}

std::string join_expression(const std::vector<std::int64_t>& operands,
                            const std::string& operators) {
  std::string s = std::to_string(operands[0]);
  for (std::size_t i = 0; i < operators.size(); ++i) {
    s += operators[i];
    s += std::to_string(operands[i + 1]);
  }
  return s;
}

// A term of the expression: operands first..last joined by '*' (a single operand when
// first == last), and the sign it enters the sum with.
struct term_span {
  std::size_t first;
  std::size_t last;
  char sign;
};

std::vector<term_span> terms_of(const std::string& operators) {
  std::vector<term_span> terms;
  term_span t{0, 0, '+'};
  for (std::size_t i = 0; i < operators.size(); ++i) {
    if (operators[i] == '*') {
      t.last = i + 1;
    } else {
      terms.push_back(t);
      t = term_span{i + 1, i + 1, operators[i]};
    }
  }
  terms.push_back(t);
  return terms;
}

// One candidate problem of `level`: operators first (products never chain), then operands,
// then the signs of the terms (a '-' only where the running value stays >= 0 unless
// negatives are allowed).
void draw_candidate(const arith_level& level, bool allow_negative, splitmix64& rng,
                    std::vector<std::int64_t>& operands, std::string& operators) {
  const auto n = static_cast<std::size_t>(level.operands);
  operators.assign(n - 1, '+');
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const bool after_product = i > 0 && operators[i - 1] == '*';
    if (!after_product && rng.chance(level.multiply_probability)) operators[i] = '*';
  }
  operands.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && operators[i - 1] == '*') {
      operands[i] = rng.between(2, 9);  // one-digit right factor: one learnable step
    } else {
      const int digits = static_cast<int>(rng.between(level.min_digits, level.max_digits));
      operands[i] = rng.between(digits == 1 ? 1 : pow10(digits - 1), pow10(digits) - 1);
    }
  }
  std::int64_t running = 0;
  for (const term_span& t : terms_of(operators)) {
    std::int64_t value = 1;
    for (std::size_t k = t.first; k <= t.last; ++k) value *= operands[k];
    if (t.first == 0) {
      running = value;
      continue;
    }
    char sign = '+';
    if ((allow_negative || running >= value) && rng.chance(0.5)) sign = '-';
    operators[t.first - 1] = sign;
    running += sign == '-' ? -value : value;
  }
}

// Fills expression, prompt, answer of a problem from operands and operators. Returns false
// when a value overflows int64 (only parsed prompts can get there).
bool complete_problem(arith_problem& p) {
  p.expression = join_expression(p.operands, p.operators);
  p.prompt = "Q:" + p.expression + "=?\n";
  std::int64_t running = 0;
  for (const term_span& t : terms_of(p.operators)) {
    std::int64_t value = p.operands[t.first];
    for (std::size_t k = t.first + 1; k <= t.last; ++k) {
      if (__builtin_mul_overflow(value, p.operands[k], &value)) return false;
    }
    if (t.first == 0) {
      running = value;
    } else if (t.sign == '-' ? __builtin_sub_overflow(running, value, &running)
                             : __builtin_add_overflow(running, value, &running)) {
      return false;
    }
  }
  p.answer = running;
  return true;
}

std::string inverse_check(const arith_step& s) {
  // Undo the step: for a+b=c check c-b=a, for a-b=c check c+b=a, for a*b=c check c/b=a.
  const char inverse = s.op == '+' ? '-' : s.op == '-' ? '+' : '/';
  return std::to_string(s.value) + inverse + std::to_string(s.rhs) + "=" + std::to_string(s.lhs);
}

// The values and operators left after the first `done` steps. Replays the solving order of
// arith_solution_steps on the token list: a product in the first term, else a product in
// the second term, else the sum of the first two terms. `merged_at`, when given, receives
// where each applied step merged: 0 (into the running value) or 1 (a product in the second
// term, which the next step adds).
struct reduction {
  std::vector<std::int64_t> values;
  std::string ops;
};

reduction reduce_steps(const arith_problem& p, const std::vector<arith_step>& steps,
                       std::size_t done, std::vector<std::size_t>* merged_at = nullptr) {
  reduction r{p.operands, p.operators};
  for (std::size_t applied = 0; applied < done && !r.ops.empty(); ++applied) {
    std::size_t at = 0;
    if (r.ops[0] != '*' && r.ops.size() >= 2 && r.ops[1] == '*') at = 1;
    r.values[at] = steps[applied].value;
    r.values.erase(r.values.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    r.ops.erase(at, 1);
    if (merged_at) merged_at->push_back(at);
  }
  return r;
}

// The remaining expression after the first `done` steps, e.g. "122-19+44".
std::string remaining_expression(const arith_problem& p, const std::vector<arith_step>& steps,
                                 std::size_t done) {
  const reduction r = reduce_steps(p, steps, done);
  return join_expression(r.values, r.ops);
}

}  // namespace

const char* arith_split_name(arith_split split) {
  return split == arith_split::train ? "train" : "test";
}

result<arith_split> parse_arith_split(std::string_view text) {
  if (text == "train") return arith_split::train;
  if (text == "test") return arith_split::test;
  return fail("split: expected 'train' or 'test', got '" + std::string(text) + "'");
}

std::vector<arith_level> default_arith_levels() {
  return {
      {2, 1, 2, 0.0}, {3, 1, 2, 0.0}, {4, 2, 2, 0.1}, {5, 2, 2, 0.15}, {6, 2, 2, 0.2},
  };
}

status validate_arith_options(const arith_task_options& o) {
  if (o.levels.empty()) return fail("levels: expected at least one level, got none");
  for (std::size_t i = 0; i < o.levels.size(); ++i) {
    const arith_level& l = o.levels[i];
    const std::string at = "levels[" + std::to_string(i) + "].";
    if (l.operands < 2 || l.operands > 8) {
      return fail(at + "operands: expected 2..8, got " + std::to_string(l.operands));
    }
    if (l.min_digits < 1 || l.min_digits > 4) {
      return fail(at + "min_digits: expected 1..4, got " + std::to_string(l.min_digits));
    }
    if (l.max_digits < l.min_digits || l.max_digits > 4) {
      return fail(at + "max_digits: expected " + std::to_string(l.min_digits) + "..4, got " +
                  std::to_string(l.max_digits));
    }
    if (!(l.multiply_probability >= 0.0 && l.multiply_probability <= 1.0)) {
      return fail(at + "multiply_probability: expected a number in [0, 1], got " +
                  std::to_string(l.multiply_probability));
    }
  }
  if (o.max_digits < 0 || o.max_digits > arith_digits_limit) {
    return fail("max_digits: expected 0.." + std::to_string(arith_digits_limit) +
                " (0: each level's own), got " +
                std::to_string(o.max_digits));
  }
  const int n = static_cast<int>(o.levels.size());
  if (o.min_difficulty < 1 || o.min_difficulty > n) {
    return fail("min_difficulty: expected 1.." + std::to_string(n) + ", got " +
                std::to_string(o.min_difficulty));
  }
  if (o.max_difficulty < o.min_difficulty || o.max_difficulty > n) {
    return fail("max_difficulty: expected " + std::to_string(o.min_difficulty) + ".." +
                std::to_string(n) + ", got " + std::to_string(o.max_difficulty));
  }
  if (o.test_per_mille < 1 || o.test_per_mille > 999) {
    return fail("test_per_mille: expected 1..999, got " + std::to_string(o.test_per_mille));
  }
  if (o.max_chars < 16) {
    return fail("max_chars: expected at least 16, got " + std::to_string(o.max_chars));
  }
  return status::success();
}

arith_split arith_split_of(std::string_view expression, int test_per_mille) {
  // FNV-1a over the text, then a splitmix64 finaliser for well-spread low digits.
  const std::uint64_t h = mix64(fnv1a64(expression) ^ split_salt);
  return static_cast<int>(h % 1000) < test_per_mille ? arith_split::test : arith_split::train;
}

result<arith_problem> generate_arith_problem(const arith_task_options& options, arith_split split,
                                             std::uint64_t seed, std::uint64_t index) {
  if (status s = validate_arith_options(options); !s) return s.error();
  splitmix64 pick(stream_seed(seed, split, index, tag_difficulty));
  const int difficulty =
      static_cast<int>(pick.between(options.min_difficulty, options.max_difficulty));
  arith_level level = options.levels[static_cast<std::size_t>(difficulty - 1)];
  if (options.max_digits > 0) {
    level.min_digits = std::min(level.min_digits, options.max_digits);
    level.max_digits = std::min(level.max_digits, options.max_digits);
  }
  arith_problem p;
  p.split = split;
  p.seed = seed;
  p.index = index;
  p.difficulty = difficulty;
  p.id = std::string("arith-") + arith_split_name(split) + "-s" + std::to_string(seed) + "-" +
         std::to_string(index);
  splitmix64 rng(stream_seed(seed, split, index, tag_candidate));
  for (int draw = 0; draw < max_candidate_draws; ++draw) {
    draw_candidate(level, options.allow_negative, rng, p.operands, p.operators);
    if (!complete_problem(p)) continue;
    if (arith_split_of(p.expression, options.test_per_mille) != split) continue;
    if (p.prompt.size() + arith_minimal_response(p).size() > options.max_chars) continue;
    return p;
  }
  return fail("max_chars: no problem of difficulty " + std::to_string(difficulty) + " fits in " +
              std::to_string(options.max_chars) + " characters (" +
              std::to_string(max_candidate_draws) + " draws)");
}

result<std::vector<arith_problem>> generate_arith_problems(const arith_task_options& options,
                                                           arith_split split, std::uint64_t seed,
                                                           std::uint64_t first, std::size_t count) {
  std::vector<arith_problem> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto p = generate_arith_problem(options, split, seed, first + i);
    if (!p) return p.error();
    out.push_back(std::move(*p));
  }
  return out;
}

std::vector<arith_step> arith_solution_steps(const arith_problem& p) {
  std::vector<arith_step> steps;
  if (p.operands.empty() || p.operators.size() + 1 != p.operands.size()) return steps;
  std::int64_t running = 0;
  for (const term_span& t : terms_of(p.operators)) {
    std::int64_t value = p.operands[t.first];
    for (std::size_t k = t.first + 1; k <= t.last; ++k) {
      arith_step s{value, '*', p.operands[k], 0};
      __builtin_mul_overflow(s.lhs, s.rhs, &s.value);
      steps.push_back(s);
      value = s.value;
    }
    if (t.first == 0) {
      running = value;
      continue;
    }
    arith_step s{running, t.sign, value, 0};
    if (t.sign == '-') {
      __builtin_sub_overflow(s.lhs, s.rhs, &s.value);
    } else {
      __builtin_add_overflow(s.lhs, s.rhs, &s.value);
    }
    steps.push_back(s);
    running = s.value;
  }
  return steps;
}

std::string format_arith_step(const arith_step& s) {
  return std::to_string(s.lhs) + s.op + std::to_string(s.rhs) + "=" + std::to_string(s.value);
}

std::string arith_minimal_response(const arith_problem& problem) {
  std::string out;
  for (const arith_step& s : arith_solution_steps(problem)) {
    out += format_arith_step(s);
    out += '\n';
  }
  out += "A:" + std::to_string(problem.answer);
  return out;
}

status validate_arith_verbosity(const arith_verbosity& v) {
  if (!(v.verbosity >= 0.0 && v.verbosity <= 1.0)) {
    return fail("verbosity: expected a number in [0, 1], got " + std::to_string(v.verbosity));
  }
  if (!(v.spread >= 0.0 && v.spread <= 1.0)) {
    return fail("spread: expected a number in [0, 1], got " + std::to_string(v.spread));
  }
  return status::success();
}

namespace {

// The verbose response at per-response verbosity `s` in [0, 1]. Each redundant line is
// drawn with a probability proportional to s, so s = 0 gives exactly the minimal response.
std::string verbose_response(const arith_problem& p, double s, splitmix64 rng) {
  const std::vector<arith_step> steps = arith_solution_steps(p);
  std::string out;
  auto line = [&out](const std::string& text) {
    out += text;
    out += '\n';
  };
  if (rng.chance(0.8 * s)) line("we need " + p.expression);
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const arith_step& step = steps[k];
    if (p.operands.size() >= 2 && rng.chance(0.5 * s)) {
      // A detour: a correct computation on two neighbouring operands that the solution
      // does not need, then discarded.
      const std::size_t i = rng.below(p.operands.size() - 1);
      const std::int64_t a = p.operands[i];
      const std::int64_t b = p.operands[i + 1];
      bool minus = rng.chance(0.5);
      auto calc_of = [&](bool m) {
        const std::int64_t x = m ? std::max(a, b) : a;
        const std::int64_t y = m ? std::min(a, b) : b;
        return std::to_string(x) + (m ? "-" : "+") + std::to_string(y) + "=" +
               std::to_string(m ? x - y : x + y);
      };
      // A detour that happens to be a necessary step is not a detour: take the other sign.
      auto is_step = [&steps](const std::string& calc) {
        return std::any_of(steps.begin(), steps.end(),
                           [&calc](const arith_step& s) { return format_arith_step(s) == calc; });
      };
      if (is_step(calc_of(minus))) minus = !minus;
      const std::string calc = calc_of(minus);
      line(rng.chance(0.5) ? "try " + calc + ", not needed" : "what if " + calc + "? no");
    }
    line(format_arith_step(step));
    if (rng.chance(s)) {
      line("check " + inverse_check(step) + " ok");
      for (int again = 0; again < 2 && rng.chance(0.3 * s); ++again) {
        line("check again " + format_arith_step(step) + " ok");
      }
    }
    if (rng.chance(0.4 * s)) line("again " + format_arith_step(step));
    if (k + 1 < steps.size() && rng.chance(0.6 * s)) {
      line("now " + remaining_expression(p, steps, k + 1));
    }
  }
  if (rng.chance(0.8 * s)) line("so " + p.expression + "=" + std::to_string(p.answer));
  out += "A:" + std::to_string(p.answer);
  return out;
}

}  // namespace

std::string arith_response(const arith_problem& problem, const arith_verbosity& verbosity,
                           std::uint64_t sample, std::size_t max_chars) {
  const double v = std::clamp(verbosity.verbosity >= 0.0 ? verbosity.verbosity : 0.0, 0.0, 1.0);
  const double spread = std::clamp(verbosity.spread >= 0.0 ? verbosity.spread : 0.0, 0.0, 1.0);
  splitmix64 rng(stream_seed(problem.seed, problem.split, problem.index, tag_response, sample));
  const double lo = v * (1.0 - spread);
  const double hi = std::min(1.0, v * (1.0 + spread));
  double s = lo + (hi - lo) * rng.unit();
  // Too long for the context: halve the verbosity (same random stream) until it fits; at
  // s = 0 the response is the minimal one, which generation guaranteed to fit.
  for (;;) {
    std::string text = verbose_response(problem, s, rng);
    if (problem.prompt.size() + text.size() <= max_chars || s == 0.0) return text;
    s = s < 0.02 ? 0.0 : s * 0.5;
  }
}

const char* arith_answer_kind_name(arith_answer_kind kind) {
  switch (kind) {
    case arith_answer_kind::minimal:
      return "minimal";
    case arith_answer_kind::fused:
      return "fused";
    default:
      return "verbose";
  }
}

status validate_arith_answer_mix(const arith_answer_mix& mix) {
  if (!(mix.minimal >= 0.0 && mix.minimal <= 1.0)) {
    return fail("minimal: expected a number in [0, 1], got " + std::to_string(mix.minimal));
  }
  if (!(mix.fused >= 0.0 && mix.fused <= 1.0)) {
    return fail("fused: expected a number in [0, 1], got " + std::to_string(mix.fused));
  }
  if (mix.minimal + mix.fused > 1.0 + 1e-12) {
    return fail("fused: minimal + fused must be <= 1, got " + std::to_string(mix.minimal) + " + " +
                std::to_string(mix.fused));
  }
  return status::success();
}

bool arith_fusable(const arith_problem& problem, std::size_t first, std::size_t count) {
  const std::vector<arith_step> steps = arith_solution_steps(problem);
  if (count == 0 || first >= steps.size() || count > steps.size() - first) return false;
  std::vector<std::size_t> merged_at;
  reduce_steps(problem, steps, first + count, &merged_at);
  return merged_at.size() == first + count && merged_at.back() == 0;
}

std::string arith_fused_response(const arith_problem& problem, std::size_t first,
                                 std::size_t count) {
  const std::vector<arith_step> steps = arith_solution_steps(problem);
  const std::string answer = "A:" + std::to_string(problem.answer);
  if (!arith_fusable(problem, first, count)) return arith_minimal_response(problem);
  if (count == steps.size()) return answer;
  std::string out;
  for (std::size_t k = 0; k < first; ++k) out += format_arith_step(steps[k]) + '\n';
  // A step that merges into the running value ends a term, so the fused steps reduce
  // exactly the first count + 1 values of the remaining expression (a product is always
  // followed at once by the step that adds it).
  const reduction r = reduce_steps(problem, steps, first);
  const std::vector<std::int64_t> head(r.values.begin(),
                                       r.values.begin() + static_cast<std::ptrdiff_t>(count) + 1);
  out += join_expression(head, r.ops.substr(0, count)) + "=" +
         std::to_string(steps[first + count - 1].value) + '\n';
  for (std::size_t k = first + count; k < steps.size(); ++k) {
    out += format_arith_step(steps[k]) + '\n';
  }
  return out + answer;
}

std::string arith_mixed_response(const arith_problem& problem, const arith_verbosity& verbosity,
                                 const arith_answer_mix& mix, std::uint64_t sample,
                                 std::size_t max_chars, arith_answer_kind* kind) {
  auto verbose = [&] {
    if (kind) *kind = arith_answer_kind::verbose;
    return arith_response(problem, verbosity, sample, max_chars);
  };
  // The default mix draws nothing: the corpus of issue 8, byte for byte.
  if (!(mix.minimal > 0.0) && !(mix.fused > 0.0)) return verbose();
  splitmix64 rng(stream_seed(problem.seed, problem.split, problem.index, tag_answer_kind, sample));
  const double u = rng.unit();
  if (u >= mix.minimal + mix.fused) return verbose();
  if (u < mix.minimal) {
    if (kind) *kind = arith_answer_kind::minimal;
    return arith_minimal_response(problem);
  }
  if (kind) *kind = arith_answer_kind::fused;
  const std::size_t n = arith_solution_steps(problem).size();
  if (n <= 1) return "A:" + std::to_string(problem.answer);
  std::size_t count = static_cast<std::size_t>(rng.between(2, static_cast<std::int64_t>(n)));
  const std::size_t first = rng.below(n - count + 1);
  // A product's step is fused together with the step that adds it.
  if (!arith_fusable(problem, first, count)) ++count;
  return arith_fused_response(problem, first, count);
}

result<arith_problem> parse_arith_prompt(std::string_view prompt) {
  std::string_view text = prompt;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::size_t offset = 0;
  if (text.substr(0, 2) == "Q:") {
    text.remove_prefix(2);
    offset = 2;
  }
  if (text.size() >= 2 && text.substr(text.size() - 2) == "=?") text.remove_suffix(2);
  arith_problem p;
  std::size_t i = 0;
  for (;;) {
    const std::size_t start = i;
    std::int64_t value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (i - start == 9) {
        return fail("prompt offset " + std::to_string(offset + start) +
                    ": expected an operand of at most 9 digits");
      }
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start) {
      return fail("prompt offset " + std::to_string(offset + i) + ": expected a digit");
    }
    p.operands.push_back(value);
    if (i == text.size()) break;
    const char op = text[i];
    if (op != '+' && op != '-' && op != '*') {
      return fail("prompt offset " + std::to_string(offset + i) +
                  ": expected +, -, * or the end '=?'");
    }
    p.operators += op;
    ++i;
  }
  if (p.operands.size() < 2 || p.operands.size() > 16) {
    return fail("prompt: expected 2..16 operands, got " + std::to_string(p.operands.size()));
  }
  if (!complete_problem(p)) return fail("prompt: a value overflows a 64-bit integer");
  p.difficulty = static_cast<int>(p.operands.size()) - 1;
  p.id = p.expression;
  return p;
}

problem_dataset to_problem_dataset(const std::vector<arith_problem>& problems, std::string name) {
  problem_dataset ds;
  ds.name = std::move(name);
  ds.rows.reserve(problems.size());
  for (std::size_t i = 0; i < problems.size(); ++i) {
    problem row;
    row.prompt_id = static_cast<std::int64_t>(i);
    row.id = problems[i].id;
    row.prompt = problems[i].prompt;
    row.answer = std::to_string(problems[i].answer);
    row.difficulty = problems[i].difficulty;
    ds.rows.push_back(std::move(row));
  }
  return ds;
}

}  // namespace leadrl::io
