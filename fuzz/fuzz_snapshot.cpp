// libFuzzer target for HDF5 snapshots: the fuzzed bytes as snapshots/step_000001.h5, read
// the way `leadrl train --resume` and `leadrl inspect` do (io::read_valid_snapshot: open,
// every checksum, /meta, then io::read_snapshot; then the inspect report), plus the
// dataset listing of io::hdf5_file. Seeds are mutated valid snapshots: scripts/fuzz.sh
// copies tests/data's and has this program write small ones (LEADRL_FUZZ_WRITE_SEEDS=DIR).
// A crash inside libhdf5 itself on a hostile file is HDF5's bug, recorded in
// docs/fuzzing.md; sizes our code reads before allocating are bounded here.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "io/hdf5_file.hpp"
#include "io/snapshot.hpp"
#include "io/snapshot_report.hpp"

namespace {

using namespace leadrl;

io::tensor_blob f32_tensor(std::vector<std::int64_t> shape, float start) {
  io::tensor_blob t;
  t.type = io::dtype::f32;
  t.shape = std::move(shape);
  std::vector<float> v(t.element_count());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
  t.bytes.resize(v.size() * sizeof(float));
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

// Small valid snapshots (a few KB, so that mutations reach every part) written to `dir`.
void write_seeds(const std::string& dir) {
  io::snapshot s;
  s.meta.step = 1;
  s.meta.world_size = 1;
  s.meta.config_text = "[trainer]\ntotal_steps = 2\n";
  s.meta.seed = 42;
  s.meta.version = "0.1.0";
  s.meta.time = "2026-01-01T00:00:00Z";
  s.controller.sampler = {0, 2, {1, 0, 2}};
  s.controller.length_table.prompt_id = {0, 1};
  s.controller.length_table.lstar = {12.5, 30.0};
  s.controller.length_table.n_correct = {1, 3};
  s.controller.length_table.last_step = {1, 1};
  s.controller.length_table.string_settings["aggregator"] = "min";
  s.controller.psi = {{0.7, 0.3}, true, 1};
  s.controller.metrics_history["lead/w_corr"] = {0.7};
  io::snapshot bare = s;
  s.learner.params["model.norm.weight"] = f32_tensor({4}, 1.0f);
  s.learner.optimizer["model.norm.weight"] = {f32_tensor({4}, 0.0f), f32_tensor({4}, 0.5f)};
  s.learner.optimizer_step = 1;
  s.ranks.resize(1);
  s.ranks[0].int64_counters["rollouts"] = 8;
  s.ranks[0].double_counters["busy_seconds"] = 0.25;
  for (auto& [name, snap] : {std::pair<std::string, const io::snapshot*>{"small", &s},
                             std::pair<std::string, const io::snapshot*>{"bare", &bare}}) {
    const std::string path = dir + "/seed_snapshot_" + name + ".h5";
    if (auto st = io::write_snapshot(path, *snap); !st) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), st.error().message().c_str());
      std::exit(1);
    }
  }
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("LEADRL_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = fuzz::write_scratch("step_000001.h5", bytes);
  if (auto s = io::read_valid_snapshot(path)) {
    io::snapshot_report_options options;
    options.whole_table = true;
    (void)io::format_snapshot_report(io::snapshot_report(*s, options), options);
  }
  if (auto f = io::hdf5_file::open(path)) {
    if (auto list = f->list_datasets("/")) {
      for (const auto& d : *list) (void)f->read_strings(d.path);
    }
  }
  return 0;
}
