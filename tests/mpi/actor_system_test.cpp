#include "runtime/actor_system.hpp"

#include <gtest/gtest.h>

#include "tests/mpi/mpi_test_env.hpp"

namespace leadrl::test {

/// A cross-rank message: it travels only if its type is registered on both ends.
struct ping_msg {
  std::int32_t from = 0;
  std::string text;
  std::vector<double> values;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping_msg& x) {
  return f(caf::meta::type_name("ping_msg"), x.from, x.text, x.values);
}

}  // namespace leadrl::test

CAF_BEGIN_TYPE_ID_BLOCK(leadrl_runtime_test, caf::first_custom_type_id + 900)
CAF_ADD_TYPE_ID(leadrl_runtime_test, (leadrl::test::ping_msg))
CAF_END_TYPE_ID_BLOCK(leadrl_runtime_test)

namespace leadrl::runtime {
namespace {

using test::g_world;
using test::ping_msg;

caf::behavior echo(caf::event_based_actor*, int rank) {
  return {[rank](ping_msg m) {
    m.text += " via " + std::to_string(rank);
    for (double& v : m.values) v *= 2;
    return m;
  }};
}

TEST(ActorSystem, EveryRankAnswersARegisteredMessageFromEveryRank) {
  caf::actor_system_config cfg;
  configure_actor_system(cfg, 1);
  cfg.add_message_types<caf::id_block::leadrl_runtime_test>();
  caf::actor_system system{cfg};
  auto local = system.spawn(echo, g_world->rank());
  auto peers = connect_ranks(system, *g_world, local);
  ASSERT_TRUE(peers.ok()) << peers.error().message();
  ASSERT_EQ(peers->size(), static_cast<std::size_t>(g_world->size()));
  // All to all: a rank reaches lower ranks over the connection it dialled and higher
  // ranks over the one they dialled.
  {
    caf::scoped_actor self{system};
    for (int r = 0; r < g_world->size(); ++r) {
      bool answered = false;
      self->request((*peers)[static_cast<std::size_t>(r)], std::chrono::seconds(20),
                    ping_msg{g_world->rank(), "hello", {1.5, -2.0}})
          .receive(
              [&](const ping_msg& reply) {
                answered = true;
                EXPECT_EQ(reply.text, "hello via " + std::to_string(r));
                EXPECT_EQ(reply.values, (std::vector<double>{3.0, -4.0}));
              },
              [&](const caf::error& e) {
                ADD_FAILURE() << "rank " << g_world->rank() << " -> " << r << ": "
                              << system.render(e);
              });
      EXPECT_TRUE(answered) << "rank " << r;
    }
  }
  // Every rank keeps its actor alive until every rank has heard from all of them.
  MPI_Barrier(MPI_COMM_WORLD);
  caf::anon_send_exit(local, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace leadrl::runtime
