#include "runtime/actor_system.hpp"

#include <cstdint>
#include <memory>
#include <mutex>

namespace leadrl::runtime {

void configure_actor_system(caf::actor_system_config& cfg, int threads) {
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  cfg.set("logger.console", caf::atom("none"));
  cfg.load<caf::io::middleman>();
}

namespace {

using hello_atom = caf::atom_constant<caf::atom("hello")>;

// The handles learned so far, filled by the registrar (CAF thread) and read by the caller
// after a collective.
struct known_peers {
  std::mutex mutex;
  std::vector<caf::actor> handles;
};

// Published for the duration of connect_ranks: a higher rank introduces its actor with
// (hello, rank, actor) and receives this rank's actor in reply.
caf::behavior registrar(caf::event_based_actor*, std::shared_ptr<known_peers> known,
                        caf::actor local) {
  return {[known, local](hello_atom, std::int32_t rank, const caf::actor& peer) -> caf::actor {
    std::lock_guard<std::mutex> lock(known->mutex);
    if (rank >= 0 && static_cast<std::size_t>(rank) < known->handles.size())
      known->handles[static_cast<std::size_t>(rank)] = peer;
    return local;
  }};
}

}  // namespace

result<std::vector<caf::actor>> connect_ranks(caf::actor_system& system, const mpi_world& world,
                                              const caf::actor& local,
                                              std::chrono::milliseconds timeout) {
  const int me = world.rank();
  const std::string who = "rank " + std::to_string(me);
  auto known = std::make_shared<known_peers>();
  known->handles.resize(static_cast<std::size_t>(world.size()));
  known->handles[static_cast<std::size_t>(me)] = local;
  auto reg = system.spawn(registrar, known, local);
  auto port = system.middleman().publish(reg, 0, nullptr, true);
  if (!port) {
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
    return fail(who + ": publishing the actor failed: " + system.render(port.error()));
  }
  char name[MPI_MAX_PROCESSOR_NAME] = {0};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  const std::string host_name(name, static_cast<std::size_t>(len));
  // One collective carries "host port" for every rank.
  auto endpoints = world.all_gather(host_name + " " + std::to_string(*port), timeout);
  if (!endpoints) return endpoints.error();
  // Each pair of ranks is joined by exactly one connection, dialled by the higher rank:
  // two nodes dialling each other at once leave CAF's two ends free to pick different
  // connections, and a message sent on the one the peer dropped is lost.
  std::string failure;
  for (int r = 0; r < me && failure.empty(); ++r) {
    const std::string& ep = (*endpoints)[static_cast<std::size_t>(r)];
    const auto space = ep.rfind(' ');
    const std::string host = ep.substr(0, space);
    const auto peer_port = static_cast<uint16_t>(std::stoi(ep.substr(space + 1)));
    const std::string dial = host == host_name ? "127.0.0.1" : host;
    const std::string where = "connecting to rank " + std::to_string(r) + " at " + dial + ":" +
                              std::to_string(peer_port) + " failed: ";
    auto handle = system.middleman().remote_actor(dial, peer_port);
    if (!handle) {
      failure =
          where + system.render(handle.error()) + " (is the port reachable between the hosts?)";
      break;
    }
    caf::scoped_actor self{system};
    self->request(*handle, std::chrono::seconds(60), hello_atom::value,
                  static_cast<std::int32_t>(me), local)
        .receive(
            [&](const caf::actor& peer) {
              std::lock_guard<std::mutex> lock(known->mutex);
              known->handles[static_cast<std::size_t>(r)] = peer;
            },
            [&](const caf::error& e) { failure = where + system.render(e); });
  }
  // After this collective every rank has dialled all lower ranks, so every registrar has
  // heard from all higher ranks. A failure on one rank is reported by every rank.
  auto outcomes = world.all_gather(failure, timeout);
  system.middleman().unpublish(reg, *port);
  caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  if (!outcomes) return outcomes.error();
  for (int r = 0; r < world.size(); ++r) {
    const auto& f = (*outcomes)[static_cast<std::size_t>(r)];
    if (!f.empty()) return fail("rank " + std::to_string(r) + ": " + f, errc::peer_gone);
  }
  std::lock_guard<std::mutex> lock(known->mutex);
  for (int r = 0; r < world.size(); ++r) {
    if (!known->handles[static_cast<std::size_t>(r)]) {
      return fail(who + ": rank " + std::to_string(r) + " never introduced its actor",
                  errc::peer_gone);
    }
  }
  return known->handles;
}

void shutdown_deadline::arm(std::chrono::milliseconds limit, std::function<void()> on_expiry) {
  if (watcher_.joinable()) return;
  watcher_ = std::thread([this, limit, f = std::move(on_expiry)] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, limit, [this] { return disarmed_; })) f();
  });
}

shutdown_deadline::~shutdown_deadline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disarmed_ = true;
  }
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace leadrl::runtime
