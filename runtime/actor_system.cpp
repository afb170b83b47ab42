#include "runtime/actor_system.hpp"

namespace leadrl::runtime {

void configure_actor_system(caf::actor_system_config& cfg, int threads) {
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  cfg.set("logger.console", caf::atom("none"));
  cfg.load<caf::io::middleman>();
}

result<std::vector<caf::actor>> connect_ranks(caf::actor_system& system, const mpi_world& world,
                                              const caf::actor& local) {
  auto port = system.middleman().publish(local, 0, nullptr, true);
  if (!port) {
    return fail("rank " + std::to_string(world.rank()) +
                ": publishing the actor failed: " + system.render(port.error()));
  }
  char name[MPI_MAX_PROCESSOR_NAME] = {0};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  const std::string me(name, static_cast<std::size_t>(len));
  // One collective carries "host port" for every rank.
  auto endpoints = world.all_gather(me + " " + std::to_string(*port));
  if (!endpoints) return endpoints.error();
  std::vector<caf::actor> peers(static_cast<std::size_t>(world.size()));
  for (int r = 0; r < world.size(); ++r) {
    if (r == world.rank()) {
      peers[static_cast<std::size_t>(r)] = local;
      continue;
    }
    const std::string& ep = (*endpoints)[static_cast<std::size_t>(r)];
    const auto space = ep.rfind(' ');
    const std::string host = ep.substr(0, space);
    const auto peer_port = static_cast<uint16_t>(std::stoi(ep.substr(space + 1)));
    const std::string dial = host == me ? "127.0.0.1" : host;
    auto handle = system.middleman().remote_actor(dial, peer_port);
    if (!handle) {
      return fail("rank " + std::to_string(world.rank()) + ": connecting to rank " +
                  std::to_string(r) + " at " + dial + ":" + std::to_string(peer_port) +
                  " failed: " + system.render(handle.error()) +
                  " (is the port reachable between the hosts?)");
    }
    peers[static_cast<std::size_t>(r)] = *handle;
  }
  return peers;
}

}  // namespace leadrl::runtime
