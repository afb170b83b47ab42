#include "model/device.hpp"

#include <algorithm>
#include <cstdlib>

namespace leadrl::model {
namespace {

// A non-negative decimal environment value, or `fallback`.
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return *end == '\0' && n >= 0 && n < 1 << 20 ? static_cast<int>(n) : fallback;
}

}  // namespace

local_rank_info local_rank_from_env() {
  local_rank_info l;
  l.rank = env_int("OMPI_COMM_WORLD_LOCAL_RANK", 0);
  l.size = std::max(env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1), l.rank + 1);
  return l;
}

result<torch::Device> resolve_device(const std::string& name, local_rank_info local, int gpus) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  const std::string what = "model.device=" + name;
  if (name != "cuda" && name.rfind("cuda:", 0) != 0) {
    return fail(what + ": expected cpu, cuda or cuda:N");
  }
  if (gpus <= 0) {
    return fail(what + ": no GPU is visible to this LibTorch (built without CUDA, or no device; " +
                "use model.device=cpu)");
  }
  if (name == "cuda") {
    if (local.size > gpus) {
      return fail(what + ": " + std::to_string(local.size) + " ranks on this node but " +
                  std::to_string(gpus) + " GPU(s); run one rank per GPU");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local.rank));
  }
  const std::string index = name.substr(5);
  if (index.empty() || index.size() > 4 ||
      index.find_first_not_of("0123456789") != std::string::npos) {
    return fail(what + ": expected cpu, cuda or cuda:N (N a GPU index)");
  }
  const int n = std::stoi(index);
  if (n >= gpus) {
    return fail(what + ": GPU " + index + " is not visible (" + std::to_string(gpus) +
                " GPU(s): cuda:0.." + std::to_string(gpus - 1) + ")");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(n));
}

result<torch::Device> resolve_device(const std::string& name, local_rank_info local) {
  const int gpus = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  return resolve_device(name, local, gpus);
}

result<torch::Dtype> compute_dtype(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  return fail("model.dtype: expected float32 or bfloat16, got '" + name + "'");
}

result<decoder_options> placement(const std::string& device, const std::string& dtype) {
  auto d = resolve_device(device, local_rank_from_env());
  if (!d) return d.error();
  auto t = compute_dtype(dtype);
  if (!t) return t.error();
  return decoder_options{*t, *d};
}

}  // namespace leadrl::model
