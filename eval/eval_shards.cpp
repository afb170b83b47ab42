#include "eval/eval_shards.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace leadrl::eval {

namespace {

// Fixed-width fields in host byte order: every rank of a job runs the same binary.
template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// Reads fields back in the order put() wrote them; `ok` turns false past the end.
class share_reader {
 public:
  explicit share_reader(const std::string& bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    T value{};
    if (!ok || bytes_.size() - at_ < sizeof value) {
      ok = false;
      return value;
    }
    std::memcpy(&value, bytes_.data() + at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  bool at_end() const { return at_ == bytes_.size(); }
  bool ok = true;

 private:
  const std::string& bytes_;
  std::size_t at_ = 0;
};

}  // namespace

std::string encode_share(const eval_samples& samples, const eval_throughput& throughput) {
  std::string out;
  put(out, static_cast<std::uint64_t>(samples.problem_ids.size()));
  put(out, static_cast<std::uint64_t>(samples.truncated));
  put(out, throughput.samples);
  put(out, throughput.generated_tokens);
  put(out, throughput.truncated);
  put(out, throughput.max_new_tokens);
  put(out, throughput.truncated_prompts);
  put(out, throughput.seconds);
  for (std::size_t i = 0; i < samples.problem_ids.size(); ++i) {
    put(out, samples.problem_ids[i]);
    put(out, samples.correctness[i]);
    put(out, samples.lengths[i]);
  }
  return out;
}

result<joined_shares> join_shares(const std::string& model, const std::string& dataset,
                                  const std::vector<std::string>& shares) {
  joined_shares whole;
  whole.samples.model = model;
  whole.samples.dataset = dataset;
  auto& t = whole.throughput;
  for (std::size_t rank = 0; rank < shares.size(); ++rank) {
    share_reader in(shares[rank]);
    const auto n = in.get<std::uint64_t>();
    whole.samples.truncated += static_cast<std::size_t>(in.get<std::uint64_t>());
    t.samples += in.get<std::int64_t>();
    t.generated_tokens += in.get<std::int64_t>();
    t.truncated += in.get<std::int64_t>();
    const auto max_new_tokens = in.get<std::int64_t>();
    t.truncated_prompts += in.get<std::int64_t>();
    t.seconds = std::max(t.seconds, in.get<double>());
    for (std::uint64_t i = 0; in.ok && i < n; ++i) {
      whole.samples.problem_ids.push_back(in.get<lead::prompt_id>());
      whole.samples.correctness.push_back(in.get<double>());
      whole.samples.lengths.push_back(in.get<double>());
    }
    const std::string who =
        "rank " + std::to_string(rank) + "'s share of " + model + " on " + dataset;
    if (!in.ok || !in.at_end()) return fail(who + ": not an encoded share");
    if (rank > 0 && max_new_tokens != t.max_new_tokens) {
      return fail(who + ": token limit " + std::to_string(max_new_tokens) + ", rank 0's " +
                  std::to_string(t.max_new_tokens));
    }
    t.max_new_tokens = max_new_tokens;
  }
  return whole;
}

}  // namespace leadrl::eval
