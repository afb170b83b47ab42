// Golden tests: every case and step of spec/vectors/lead_vectors.json (or the file named by
// $LEADRL_LEAD_VECTORS) through lead_step, checking every expected field at the file's
// double tolerance. Each case also runs with a length-target table: recording in group
// mode, and in table mode, where every uid is a first visit and must equal group mode.
#include "lead/lead_estimator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/shared_data.hpp"

namespace leadrl::lead {
namespace {

using nlohmann::json;

std::string vectors_path() {
  return test::env_or("LEADRL_LEAD_VECTORS", test::shared_path("spec/vectors/lead_vectors.json"));
}

// Loaded once; a load failure is kept as a message and fails every test that needs it.
struct vector_file {
  json doc;
  std::string error;
};

const vector_file& vectors() {
  static const vector_file file = [] {
    vector_file f;
    try {
      f.doc = test::read_json(vectors_path());
      if (!f.doc.contains("cases") || !f.doc["cases"].is_array() || f.doc["cases"].empty()) {
        f.error = vectors_path() + ": expected a non-empty 'cases' array";
      }
    } catch (const std::exception& e) {
      f.error = e.what();
    }
    return f;
  }();
  return file;
}

enum class table_use { none, record, table_mode };

struct run_param {
  std::string case_name;
  table_use table = table_use::none;
};

void PrintTo(const run_param& p, std::ostream* os) {
  *os << p.case_name
      << (p.table == table_use::none     ? ""
          : p.table == table_use::record ? " (table recording)"
                                         : " (table mode)");
}

std::string param_name(const testing::TestParamInfo<run_param>& info) {
  std::string name = info.param.case_name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  switch (info.param.table) {
    case table_use::none:
      return name;
    case table_use::record:
      return name + "_with_table_recording";
    case table_use::table_mode:
      return name + "_in_table_mode";
  }
  return name;
}

std::vector<run_param> all_runs() {
  std::vector<run_param> runs;
  const vector_file& f = vectors();
  if (!f.error.empty()) return {{"unreadable_vector_file", table_use::none}};
  for (auto use : {table_use::none, table_use::record, table_use::table_mode}) {
    for (const json& c : f.doc["cases"]) runs.push_back({c.value("name", "unnamed"), use});
  }
  return runs;
}

// Collects mismatches with their location: case, step, field[index or uid].
class checker {
 public:
  checker(std::string where, double abs_tol, double rel_tol)
      : where_(std::move(where)), abs_(abs_tol), rel_(rel_tol) {}

  void number(const std::string& field, double got, const json& expected) {
    if (!expected.is_number()) {
      fail(field, "expected value is not a number: " + expected.dump());
      return;
    }
    const double exp = expected.get<double>();
    if (!(std::fabs(got - exp) <= abs_ + rel_ * std::fabs(exp))) {
      std::ostringstream m;
      m.precision(17);
      m << "got " << got << ", expected " << exp << " (diff " << got - exp << ")";
      fail(field, m.str());
    }
  }

  void numbers(const std::string& field, const std::vector<double>& got, const json& expected) {
    if (!expected.is_array() || expected.size() != got.size()) {
      fail(field, "got " + std::to_string(got.size()) + " values, expected " + expected.dump());
      return;
    }
    for (std::size_t i = 0; i < got.size(); ++i) {
      number(field + "[" + std::to_string(i) + "]", got[i], expected[i]);
    }
  }

  void exact(const std::string& field, const std::string& got, const std::string& expected) {
    if (got != expected) fail(field, "got " + got + ", expected " + expected);
  }

  void fail(const std::string& field, const std::string& message) {
    ADD_FAILURE() << where_ << " field " << field << ": " << message;
  }

 private:
  std::string where_;
  double abs_;
  double rel_;
};

lead_config config_from(const json& j) {
  lead_config c;
  auto agg = parse_length_aggregator(j.at("aggregator").get<std::string>());
  auto mode = parse_efficiency_mode(j.at("lstar_mode").get<std::string>());
  EXPECT_TRUE(agg.ok() && mode.ok()) << j.dump();
  if (agg) c.aggregator = *agg;
  if (mode) c.lstar_mode = *mode;
  c.lstar_floor = j.at("lstar_floor").get<double>();
  c.bmax = j.at("bmax").get<double>();
  c.short_len = j.at("short_len").get<double>();
  c.alpha = j.at("alpha").get<double>();
  c.beta = j.at("beta").get<double>();
  c.epsilon = j.at("epsilon").get<double>();
  c.lambda_min = j.at("w_min").get<double>();
  if (!j.at("static_w_corr").is_null()) c.static_lambda_corr = j.at("static_w_corr").get<double>();
  c.grpo_epsilon = j.at("grpo_epsilon").get<double>();
  c.sigma_floor = j.at("sigma_floor").get<double>();
  c.whiten_epsilon = j.at("whiten_epsilon").get<double>();
  c.correct_threshold = j.at("correct_threshold").get<double>();
  return c;
}

lead_state state_from(const json& j) {
  lead_state s;
  if (!j.at("ema_weights").is_null()) {
    s.ema_weights =
        std::array<double, 2>{j["ema_weights"][0].get<double>(), j["ema_weights"][1].get<double>()};
  }
  s.initialized = j.at("initialized").get<bool>();
  s.step_count = j.at("step_count").get<std::int64_t>();
  return s;
}

void check_state(checker& ck, const std::string& field, const lead_state& got, const json& exp) {
  if (exp.at("ema_weights").is_null() != !got.ema_weights.has_value()) {
    ck.fail(field + ".ema_weights", "presence differs from " + exp["ema_weights"].dump());
  } else if (got.ema_weights) {
    ck.numbers(field + ".ema_weights", {(*got.ema_weights)[0], (*got.ema_weights)[1]},
               exp["ema_weights"]);
  }
  ck.exact(field + ".initialized", got.initialized ? "true" : "false",
           exp.at("initialized").get<bool>() ? "true" : "false");
  ck.exact(field + ".step_count", std::to_string(got.step_count),
           std::to_string(exp.at("step_count").get<std::int64_t>()));
}

void check_reward(checker& ck, const std::string& field, const psi_reward_stats& got,
                  const json& exp) {
  ck.number(field + ".mu", got.mu, exp.at("mu"));
  ck.number(field + ".sigma", got.sigma, exp.at("sigma"));
  ck.number(field + ".cv", got.cv, exp.at("cv"));
  ck.number(field + ".cv_norm", got.cv_norm, exp.at("cv_norm"));
  ck.number(field + ".potential", got.potential, exp.at("potential"));
  ck.number(field + ".D", got.D, exp.at("D"));
}

void check_group_stats(checker& ck, const std::string& field, const group_stats& got,
                       const json& exp) {
  ck.number(field + ".mean", got.mean, exp.at("mean"));
  ck.number(field + ".std", got.std, exp.at("std"));
  ck.exact(field + ".size", std::to_string(got.size),
           std::to_string(exp.at("size").get<std::size_t>()));
}

// Checks the per-uid object `exp` (keys in first-appearance order) against per-group values.
template <class F>
void per_uid(checker& ck, const std::string& field, const json& exp,
             const std::vector<std::string>& group_uids, F check_one) {
  if (!exp.is_object() || exp.size() != group_uids.size()) {
    ck.fail(field, "expected " + std::to_string(group_uids.size()) + " uids, got " + exp.dump());
    return;
  }
  for (std::size_t g = 0; g < group_uids.size(); ++g) {
    const std::string& uid = group_uids[g];
    if (!exp.contains(uid)) {
      ck.fail(field, "uid " + uid + " missing from expected");
      continue;
    }
    check_one(field + "[" + uid + "]", g, exp[uid]);
  }
}

class LeadVectors : public testing::TestWithParam<run_param> {};

TEST_P(LeadVectors, EveryStepMatchesEveryExpectedField) {
  const vector_file& f = vectors();
  ASSERT_TRUE(f.error.empty()) << f.error;
  const json* found = nullptr;
  for (const json& c : f.doc["cases"]) {
    if (c.value("name", "unnamed") == GetParam().case_name) found = &c;
  }
  ASSERT_NE(found, nullptr) << GetParam().case_name;
  const json& kase = *found;
  const json& tol = f.doc.at("tolerances").at("double_port");
  const double abs_tol = tol.at("abs").get<double>();
  const double rel_tol = tol.at("rel").get<double>();

  lead_config config = config_from(kase.at("config"));
  const table_use use = GetParam().table;
  if (use == table_use::table_mode) config.lstar_table = length_target_mode::table;
  ASSERT_TRUE(validate_config(config).ok());
  length_target_table table = make_length_target_table(config);
  length_target_table* table_ptr = use == table_use::none ? nullptr : &table;

  std::map<std::string, prompt_id> uid_to_id;  // by first appearance within the case
  std::vector<std::string> id_to_uid;
  lead_state state;
  const json& steps = kase.at("steps");
  ASSERT_FALSE(steps.empty());
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const json& step = steps[k];
    checker ck("case " + GetParam().case_name + " step " + std::to_string(k) + ":", abs_tol,
               rel_tol);
    if (k == 0) {
      state = state_from(step.at("state_in"));
    } else {
      check_state(ck, "state_in (chained)", state, step.at("state_in"));
    }

    const json& in = step.at("inputs");
    rollout_batch batch;
    for (const json& u : in.at("uids")) {
      const std::string uid = u.get<std::string>();
      auto [it, inserted] = uid_to_id.try_emplace(uid, static_cast<prompt_id>(id_to_uid.size()));
      if (inserted) id_to_uid.push_back(uid);
      batch.prompt_ids.push_back(it->second);
    }
    batch.lengths = in.at("lengths").get<std::vector<double>>();
    batch.correctness = in.at("correctness").get<std::vector<double>>();
    batch.format = in.at("format").get<std::vector<double>>();

    auto res = lead_step(batch, config, state, table_ptr);
    ASSERT_TRUE(res.ok()) << "case " << GetParam().case_name << " step " << k << ": "
                          << res.error().message();
    const lead_result& r = *res;
    const json& e = step.at("expected");

    std::vector<std::string> group_uids;
    for (prompt_id p : r.groups.prompts)
      group_uids.push_back(id_to_uid[static_cast<std::size_t>(p)]);

    const json& exp_correct = e.at("is_correct");
    if (exp_correct.size() != r.is_correct.size()) {
      ck.fail("is_correct", "size " + std::to_string(r.is_correct.size()) + " vs " +
                                std::to_string(exp_correct.size()));
    } else {
      for (std::size_t i = 0; i < r.is_correct.size(); ++i) {
        ck.exact("is_correct[" + std::to_string(i) + "]", r.is_correct[i] ? "true" : "false",
                 exp_correct[i].get<bool>() ? "true" : "false");
      }
    }
    // Per-uid objects are looked up by uid (nlohmann::json does not keep key order).
    per_uid(ck, "lstar", e.at("lstar"), group_uids,
            [&](const std::string& fld, std::size_t g, const json& x) {
              ck.number(fld, r.lstar[g].lstar, x);
            });
    per_uid(ck, "lstar_source", e.at("lstar_source"), group_uids,
            [&](const std::string& fld, std::size_t g, const json& x) {
              ck.exact(fld, to_string(r.lstar[g].source), x.get<std::string>());
            });
    ck.numbers("r_eff", r.r_eff, e.at("r_eff"));
    ck.numbers("adv_corr", r.adv_corr, e.at("adv_corr"));
    ck.numbers("adv_eff", r.adv_eff, e.at("adv_eff"));
    per_uid(ck, "grpo_group_stats", e.at("grpo_group_stats"), group_uids,
            [&](const std::string& fld, std::size_t g, const json& x) {
              check_group_stats(ck, fld + ".corr", r.corr_group_stats[g], x.at("corr"));
              check_group_stats(ck, fld + ".eff", r.eff_group_stats[g], x.at("eff"));
            });
    per_uid(ck, "psi_group_stats", e.at("psi_group_stats"), group_uids,
            [&](const std::string& fld, std::size_t g, const json& x) {
              const psi_group_stats& s = r.psi.groups[g];
              ck.number(fld + ".corr_mean", s.corr_mean, x.at("corr_mean"));
              ck.number(fld + ".corr_var_biased", s.corr_var_biased, x.at("corr_var_biased"));
              ck.exact(fld + ".eff_n_correct", std::to_string(s.eff_n_correct),
                       std::to_string(x.at("eff_n_correct").get<std::size_t>()));
              if (s.eff_n_correct == 0) {
                if (!x.at("eff_mean").is_null() || !x.at("eff_var_biased").is_null()) {
                  ck.fail(fld, "no correct rollout, expected eff_* null, got " + x.dump());
                }
              } else {
                ck.number(fld + ".eff_mean", s.eff_mean, x.at("eff_mean"));
                ck.number(fld + ".eff_var_biased", s.eff_var_biased, x.at("eff_var_biased"));
              }
            });
    check_reward(ck, "psi.corr", r.psi.corr, e.at("psi").at("corr"));
    check_reward(ck, "psi.eff", r.psi.eff, e.at("psi").at("eff"));
    ck.numbers("target_weights", {r.psi.target[0], r.psi.target[1]}, e.at("target_weights"));
    if (e.at("ema_prev_used").is_null() != !r.psi.ema_prev_used.has_value()) {
      ck.fail("ema_prev_used", "presence differs from " + e["ema_prev_used"].dump());
    } else if (r.psi.ema_prev_used) {
      ck.numbers("ema_prev_used", {(*r.psi.ema_prev_used)[0], (*r.psi.ema_prev_used)[1]},
                 e["ema_prev_used"]);
    }
    ck.number("w_corr", r.psi.w_corr, e.at("w_corr"));
    ck.number("w_eff", r.psi.w_eff, e.at("w_eff"));
    ck.numbers("adv_combined", r.adv_combined, e.at("adv_combined"));
    const json& w = e.at("whitening");
    ck.number("whitening.token_count", r.whitening.token_count, w.at("token_count"));
    ck.number("whitening.mean", r.whitening.mean, w.at("mean"));
    ck.number("whitening.var_unbiased", r.whitening.var, w.at("var_unbiased"));
    ck.number("whitening.inv_std", r.whitening.inv_std, w.at("inv_std"));
    ck.numbers("adv_final", r.advantages, e.at("adv_final"));
    check_state(ck, "state_out", state, e.at("state_out"));

    const json& metrics = e.at("metrics");
    for (auto it = metrics.begin(); it != metrics.end(); ++it) {
      auto got = r.metrics.find(it.key());
      if (got == r.metrics.end()) {
        ck.fail("metrics[" + it.key() + "]", "missing");
      } else {
        ck.number("metrics[" + it.key() + "]", got->second, it.value());
      }
    }
    for (const auto& [name, value] : r.metrics) {
      const bool table_extra =
          name == "lead/lstar_table_prompts" || name == "lead/lstar_carried_prompts";
      if (!metrics.contains(name) && !(table_ptr != nullptr && table_extra)) {
        ck.fail("metrics[" + name + "]", "not expected (value " + std::to_string(value) + ")");
      }
    }
    if (table_ptr != nullptr) {
      // Every prompt of the step is now in the table with the L*_q that was applied.
      for (std::size_t g = 0; g < r.groups.num_groups(); ++g) {
        const auto& rows = table.rows();
        bool found_row = false;
        for (std::size_t row = 0; row < rows.size(); ++row) {
          if (rows.prompt_ids[row] != r.groups.prompts[g]) continue;
          found_row = true;
          ck.number("table.lstar[" + group_uids[g] + "]", rows.lstar[row],
                    e["lstar"][group_uids[g]]);
          ck.exact("table.last_step[" + group_uids[g] + "]", std::to_string(rows.last_step[row]),
                   std::to_string(state.step_count));
        }
        if (!found_row) ck.fail("table", "uid " + group_uids[g] + " not recorded");
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(LeadVectorFile, LeadVectors, testing::ValuesIn(all_runs()), param_name);

TEST(LeadVectorFile, HasTheDocumentedCases) {
  const vector_file& f = vectors();
  ASSERT_TRUE(f.error.empty()) << f.error;
  // The default file carries 20 cases / 22 steps (spec/lead.md §0); another file of the same
  // schema only needs at least one.
  std::size_t steps = 0;
  for (const json& c : f.doc["cases"]) steps += c.at("steps").size();
  EXPECT_GE(steps, f.doc["cases"].size());
  if (vectors_path() == test::shared_path("spec/vectors/lead_vectors.json")) {
    EXPECT_EQ(f.doc["cases"].size(), 20u);
    EXPECT_EQ(steps, 22u);
  }
}

}  // namespace
}  // namespace leadrl::lead
