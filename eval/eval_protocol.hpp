// File: eval/eval_protocol.hpp
//
// Named evaluation protocols for `leadrl eval --protocol NAME`: which benchmark files to
// read from a data folder and how many answers to sample per problem on each, with the
// sampling settings that go with them. "paper" is the LEAD paper's: MATH-500 and
// OlympiadBench at n = 3, AIME24, AIME25 and AMC23 at n = 10, temperature 0.8, top-p 0.9
// (the response budget stays a flag), read from the shared folder's data/eval/*.jsonl.
//
//   const eval::eval_protocol* p = eval::find_protocol("paper");
//   auto sets = eval::load_protocol_sets(*p, eval::default_eval_data_dir(), /*limit=*/0);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "eval/eval_run.hpp"

namespace leadrl::eval {

/// One benchmark of a protocol: the file DIR/<name>.jsonl and its n.
struct protocol_set {
  std::string name;
  std::int64_t samples_per_problem = 1;
};

/// A fixed evaluation recipe.
struct eval_protocol {
  std::string name;
  std::vector<protocol_set> sets;
  double temperature = 0.8;
  double top_p = 0.9;
};

/// The paper's protocol (see the file comment).
const eval_protocol& paper_protocol();

/// The protocol called `name`; nullptr when there is none ("paper" is the only one).
const eval_protocol* find_protocol(const std::string& name);

/// "math500 n=3, olympiadbench n=3, ...": a protocol's sets for messages and help.
std::string describe_sets(const eval_protocol& protocol);

/// Where protocol sets are read from by default: $LEADRL_SHARED/data/eval when
/// LEADRL_SHARED is set, else ../shared/data/eval (the shared folder beside the
/// repository, as the README's commands run from its root).
std::string default_eval_data_dir();

/// Reads DIR/<name>.jsonl for every set of `protocol` (MATH-style rows: id, problem or
/// prompt, answer; io::load_problems), keeping the first `limit` problems of each
/// (0: all), each dataset carrying its set's n. Fails, naming the file and the files the
/// protocol expects in `dir`, when one is missing or malformed.
result<std::vector<eval_dataset>> load_protocol_sets(const eval_protocol& protocol,
                                                     const std::string& dir, std::uint64_t limit);

}  // namespace leadrl::eval
