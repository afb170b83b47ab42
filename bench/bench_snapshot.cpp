// bench_snapshot: write, read and validate time and file size of HDF5 snapshots
// (ARCHITECTURE.md §5) for (a) the demo model size (~2M f32 parameters + Adam moments)
// and (b) a ~100M-parameter f32 model + moments.
//
//   bench_snapshot [DIR] [--small-only]
//
// DIR (default: a fresh directory under the system temp dir) receives the snapshots and
// is removed afterwards. Reads follow the writes, so they are served from the page cache:
// they measure HDF5 + checksum cost, not the disk.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "io/snapshot_store.hpp"

namespace {

namespace fs = std::filesystem;
using leadrl::io::dtype;
using leadrl::io::tensor_blob;

struct shape_spec {
  std::string name;
  std::vector<std::int64_t> shape;
};

// A decoder's parameter list with HF names: embed, per-layer attention and MLP, norms.
std::vector<shape_spec> decoder_shapes(std::int64_t vocab, std::int64_t d, std::int64_t ffn,
                                       int layers) {
  std::vector<shape_spec> out;
  out.push_back({"model.embed_tokens.weight", {vocab, d}});
  for (int l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "o_proj"}) {
      out.push_back({p + "self_attn." + proj + ".weight", {d, d}});
    }
    out.push_back({p + "mlp.gate_proj.weight", {ffn, d}});
    out.push_back({p + "mlp.up_proj.weight", {ffn, d}});
    out.push_back({p + "mlp.down_proj.weight", {d, ffn}});
    out.push_back({p + "input_layernorm.weight", {d}});
    out.push_back({p + "post_attention_layernorm.weight", {d}});
  }
  out.push_back({"model.norm.weight", {d}});
  return out;
}

// Incompressible-looking f32 values (a xorshift stream scaled to small weights).
tensor_blob random_f32(const std::vector<std::int64_t>& shape, std::uint64_t& state) {
  tensor_blob b{dtype::f32, shape, {}};
  const std::size_t n = b.element_count();
  b.bytes.resize(n * 4);
  for (std::size_t i = 0; i < n; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const float v = static_cast<float>(static_cast<std::int64_t>(state >> 40) - (1 << 23)) * 1e-9f;
    std::memcpy(b.bytes.data() + 4 * i, &v, 4);
  }
  return b;
}

leadrl::io::snapshot make_snapshot(const std::vector<shape_spec>& shapes, std::size_t& params) {
  leadrl::io::snapshot s;
  s.meta.step = 100;
  s.meta.world_size = 1;
  s.meta.config_text = "[algorithm]\nadv_estimator = lead\n";
  s.meta.version = "bench";
  s.meta.time = "2026-11-23T00:00:00Z";
  auto& table = s.controller.length_table;
  for (std::int64_t q = 0; q < 7500; ++q) {  // MATH train size
    table.prompt_id.push_back(q);
    table.lstar.push_back(200.0 + static_cast<double>(q % 977));
    table.n_correct.push_back(q % 9);
    table.last_step.push_back(q % 100);
  }
  s.controller.psi.ema_weights = {0.6, 0.4};
  s.controller.psi.initialized = true;
  s.ranks.resize(1);
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  params = 0;
  for (const shape_spec& spec : shapes) {
    s.learner.params[spec.name] = random_f32(spec.shape, state);
    leadrl::io::adam_moments m;
    m.exp_avg = random_f32(spec.shape, state);
    m.exp_avg_sq = random_f32(spec.shape, state);
    s.learner.optimizer[spec.name] = std::move(m);
    params += s.learner.params[spec.name].element_count();
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bool run_case(const char* label, const std::vector<shape_spec>& shapes, const fs::path& dir,
              int repetitions, int deflate_level) {
  std::size_t params = 0;
  const leadrl::io::snapshot s = make_snapshot(shapes, params);
  const double payload_mb = static_cast<double>(params) * 3 * 4 / 1e6;
  auto store = leadrl::io::snapshot_store::open((dir / label).string(), 1);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message().c_str());
    return false;
  }
  leadrl::io::hdf5_write_options options;
  options.deflate_level = deflate_level;
  // The resume path of a learner whose model is already built: tensors exist, the file
  // is read into them (no allocation, so no first-touch page faults in the timing).
  leadrl::io::learner_state existing = s.learner;
  std::vector<double> write_s, read_s, read_into_s, validate_s;
  std::uintmax_t file_bytes = 0;
  for (int rep = 0; rep < repetitions; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    auto path = store->write(s, options);  // includes fsync + rename + dir fsync
    write_s.push_back(seconds_since(t0));
    if (!path) {
      std::fprintf(stderr, "%s\n", path.error().message().c_str());
      return false;
    }
    file_bytes = fs::file_size(*path);
    t0 = std::chrono::steady_clock::now();
    auto back = leadrl::io::read_snapshot(*path);
    read_s.push_back(seconds_since(t0));
    if (!back || back->learner.params.size() != s.learner.params.size()) {
      std::fprintf(stderr, "read failed: %s\n",
                   back ? "parameter count differs" : back.error().message().c_str());
      return false;
    }
    back = leadrl::error("released");  // free the copy before the next measurement
    t0 = std::chrono::steady_clock::now();
    {
      auto file = leadrl::io::hdf5_file::open(*path);
      auto meta = file ? leadrl::io::read_snapshot_meta(*file) : file.error();
      auto controller = file ? leadrl::io::read_controller_state(*file) : file.error();
      auto learner = file ? leadrl::io::read_learner_state_into(*file, existing) : file.error();
      if (!meta || !controller || !learner) {
        std::fprintf(stderr, "read into existing tensors failed\n");
        return false;
      }
    }
    read_into_s.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    auto valid = leadrl::io::validate_snapshot(*path);
    validate_s.push_back(seconds_since(t0));
    if (!valid) {
      std::fprintf(stderr, "%s\n", valid.error().message().c_str());
      return false;
    }
  }
  const double w = median(write_s), r = median(read_s), ri = median(read_into_s),
               v = median(validate_s);
  std::printf(
      "%-18s params %11zu  tensors %4zu  payload %8.1f MB  file %8.1f MB  deflate %d  "
      "[median of %d]\n"
      "  write (tmp+fsync+rename) %7.3f s %7.1f MB/s | read_snapshot (allocating) %7.3f s "
      "%7.1f MB/s\n"
      "  read into existing tensors %7.3f s %7.1f MB/s | validate (every checksum) %7.3f s "
      "%7.1f MB/s\n",
      label, params, shapes.size() * 3, payload_mb, static_cast<double>(file_bytes) / 1e6,
      deflate_level, repetitions, w, payload_mb / w, r, payload_mb / r, ri, payload_mb / ri, v,
      payload_mb / v);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir =
      fs::temp_directory_path() / ("leadrl_bench_snapshot_" + std::to_string(::getpid()));
  bool small_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--small-only") {
      small_only = true;
    } else if (a == "--help" || a == "-h") {
      std::printf("usage: bench_snapshot [DIR] [--small-only]\n");
      return 0;
    } else {
      dir = fs::path(a) / ("leadrl_bench_snapshot_" + std::to_string(::getpid()));
    }
  }
  fs::create_directories(dir);
  std::printf("snapshot directory: %s (removed at exit)\n", dir.string().c_str());
  // (a) the demo model: ~2M parameters.
  const auto demo = decoder_shapes(128, 256, 896, 2);
  // (b) ~100M parameters (GPT-2-small-like width, 10 layers, 8k vocabulary).
  const auto large = decoder_shapes(8000, 768, 3072, 10);
  bool ok = run_case("demo_2M", demo, dir, 5, 0) && run_case("demo_2M_deflate1", demo, dir, 5, 1);
  if (ok && !small_only) ok = run_case("model_100M", large, dir, 2, 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return ok ? 0 : 1;
}
