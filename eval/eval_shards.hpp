// File: eval/eval_shards.hpp
//
// `leadrl eval` over several ranks: each rank answers its share of a dataset's problems
// (eval_model::evaluate with a share), sends its graded samples and totals as one byte
// string (runtime::mpi_world::all_gather moves strings), and the shares, joined in rank
// order, are the samples of a one-rank run in the same order.
//
//   auto all = world.all_gather(eval::encode_share(samples, model->last_throughput()));
//   auto whole = eval::join_shares("base", "arith", *all);   // whole->samples, ->throughput
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "eval/eval_report.hpp"
#include "eval/eval_run.hpp"

namespace leadrl::eval {

/// One rank's graded samples and totals as bytes (model and dataset names are left out:
/// every rank knows them).
std::string encode_share(const eval_samples& samples, const eval_throughput& throughput);

/// A whole model x dataset evaluation joined from its shares.
struct joined_shares {
  eval_samples samples;        ///< the shares' samples in rank order
  eval_throughput throughput;  ///< totals summed; seconds: the slowest share's
};

/// Joins the ranks' encode_share strings, given in rank order, as `model` on `dataset`.
/// Fails, naming the rank, on a string encode_share did not write or when the shares
/// disagree on the token limit.
result<joined_shares> join_shares(const std::string& model, const std::string& dataset,
                                  const std::vector<std::string>& shares);

}  // namespace leadrl::eval
