#include "actors/messages.hpp"

#include <gtest/gtest.h>

#include "runtime/actor_system.hpp"
#include "tests/mpi/mpi_test_env.hpp"

namespace leadrl::actors {
namespace {

using test::g_world;

// Each rank answers a generate_request with a scored_rollouts and a step_plan with a
// trained: all four step-protocol types cross process boundaries in both directions.
caf::behavior fake_rank(caf::event_based_actor*, int rank) {
  return {[rank](const generate_request& g) {
            scored_rollouts s;
            s.step = g.step;
            s.rank = rank;
            for (auto p : g.prompt_ids) {
              for (int i = 0; i < g.group_size; ++i) {
                s.prompt_ids.push_back(p);
                s.rollout_idx.push_back(i);
                s.lengths.push_back(10.0 * rank + i + 1);
                s.correctness.push_back(i % 2);
                s.format.push_back(0.0);
                s.truncated.push_back(i == 0 ? 1 : 0);
              }
            }
            return s;
          },
          [rank](const step_plan& p) {
            trained t;
            t.step = p.step;
            t.rank = rank;
            t.policy_version = p.step + 1;
            t.parameter_checksum = 0xfeedbeefcafeULL;
            t.metrics["advantage_sum"] = 0;
            for (double a : p.advantages) t.metrics["advantage_sum"] += a;
            t.metrics["w_corr"] = p.w_corr;
            return t;
          }};
}

TEST(StepMessages, AllFourTypesCrossRanks) {
  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg, 1);
  cfg.add_message_types<caf::id_block::leadrl>();
  caf::actor_system system{cfg};
  auto local = system.spawn(fake_rank, g_world->rank());
  auto peers = runtime::connect_ranks(system, *g_world, local);
  ASSERT_TRUE(peers.ok()) << peers.error().message();
  if (g_world->rank() == 0) {
    caf::scoped_actor self{system};
    for (int r = 0; r < g_world->size(); ++r) {
      const auto& peer = (*peers)[static_cast<std::size_t>(r)];
      self->request(peer, std::chrono::seconds(20), generate_request{7, 3, {11, 42}, 4})
          .receive(
              [&](const scored_rollouts& s) {
                EXPECT_EQ(s.step, 7);
                EXPECT_EQ(s.rank, r);
                ASSERT_EQ(s.prompt_ids.size(), 8u);
                EXPECT_EQ(s.prompt_ids[5], 42);
                EXPECT_EQ(s.lengths[3], 10.0 * r + 4);
                EXPECT_EQ(s.truncated[0], 1);
              },
              [&](const caf::error& e) { ADD_FAILURE() << system.render(e); });
      self->request(peer, std::chrono::seconds(20),
                    step_plan{7, 0.6, 0.4, {11, 42}, {900.0, 1200.5}, {0.5, -1.0, 2.0}})
          .receive(
              [&](const trained& t) {
                EXPECT_EQ(t.rank, r);
                EXPECT_EQ(t.policy_version, 8);
                EXPECT_EQ(t.parameter_checksum, 0xfeedbeefcafeULL);
                EXPECT_DOUBLE_EQ(t.metrics.at("advantage_sum"), 1.5);
                EXPECT_DOUBLE_EQ(t.metrics.at("w_corr"), 0.6);
              },
              [&](const caf::error& e) { ADD_FAILURE() << system.render(e); });
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  caf::anon_send_exit(local, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace leadrl::actors
