#include "lead/length_target.hpp"

#include <algorithm>
#include <string>

namespace leadrl::lead {

const char* to_string(length_aggregator a) {
  switch (a) {
    case length_aggregator::mean_correct:
      return "mean_correct";
    case length_aggregator::min_correct:
      return "min_correct";
    case length_aggregator::median_correct:
      return "median_correct";
    case length_aggregator::mean_all:
      return "mean_all";
  }
  return "?";
}

result<length_aggregator> parse_length_aggregator(std::string_view name) {
  for (auto a : {length_aggregator::mean_correct, length_aggregator::min_correct,
                 length_aggregator::median_correct, length_aggregator::mean_all}) {
    if (name == to_string(a)) return a;
  }
  return fail("aggregator: unknown name '" + std::string(name) +
              "'; expected one of mean_correct, min_correct, median_correct, mean_all");
}

bool aggregates_correct_only(length_aggregator a) {
  return a != length_aggregator::mean_all;
}

const char* to_string(lstar_source s) {
  switch (s) {
    case lstar_source::aggregated:
      return "aggregated";
    case lstar_source::carried:
      return "carried";
    case lstar_source::no_correct_fallback:
      return "no_correct_fallback";
  }
  return "?";
}

double clamp_length_target(double raw, const length_target_options& options) {
  // spec/lead.md §3: the bmax cut first, then the floor (so a floor above bmax wins).
  return std::max(std::min(raw, options.bmax), options.lstar_floor);
}

double aggregate_lengths(length_aggregator a, std::vector<double>& lengths) {
  const std::size_t m = lengths.size();
  switch (a) {
    case length_aggregator::mean_correct:
    case length_aggregator::mean_all: {
      double sum = 0.0;
      for (double l : lengths) sum += l;
      return sum / static_cast<double>(m);
    }
    case length_aggregator::min_correct:
      return *std::min_element(lengths.begin(), lengths.end());
    case length_aggregator::median_correct: {
      // Odd m: the middle element; even m: mean of elements m/2-1 and m/2 (ascending).
      auto mid = lengths.begin() + static_cast<std::ptrdiff_t>(m / 2);
      std::nth_element(lengths.begin(), mid, lengths.end());
      const double upper = *mid;
      if (m % 2 == 1) return upper;
      const double lower = *std::max_element(lengths.begin(), mid);
      return (lower + upper) / 2.0;
    }
  }
  return 0.0;
}

std::vector<length_target> group_length_targets(const std::vector<double>& lengths,
                                                const std::vector<bool>& is_correct,
                                                const group_index& groups,
                                                const length_target_options& options) {
  std::vector<length_target> out(groups.num_groups());
  const bool correct_only = aggregates_correct_only(options.aggregator);
  std::vector<double> values;
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    values.clear();
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (!correct_only || is_correct[*i]) values.push_back(lengths[*i]);
    }
    if (values.empty()) {
      // spec/lead.md §3: unsolved prompts get bmax, without the floor.
      out[g] = {options.bmax, lstar_source::no_correct_fallback};
    } else {
      out[g] = {clamp_length_target(aggregate_lengths(options.aggregator, values), options),
                lstar_source::aggregated};
    }
  }
  return out;
}

}  // namespace leadrl::lead
