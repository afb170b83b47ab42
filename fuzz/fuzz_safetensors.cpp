// libFuzzer target for safetensors readers: io::safetensors_checkpoint::open_file on one
// fuzzed file, or open_dir on a folder with a fuzzed model.safetensors.index.json and two
// fuzzed shards. Every tensor a checkpoint accepts is read byte by byte (a declared
// offset beyond the mapping faults).
// Input: "FILE" bytes, or "INDEX" index.json "\n#SHARD#\n" shard 1 "\n#SHARD#\n" shard 2,
// the shards named model-00001-of-00002.safetensors and model-00002-of-00002.safetensors.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "io/safetensors.hpp"

namespace {

void read_all(const leadrl::io::safetensors_checkpoint& c) {
  unsigned sum = 0;
  for (const std::string& name : c.names()) {
    auto [file, info] = c.find(name);
    leadrl::fuzz::check(file != nullptr && info != nullptr, "names() are found");
    const unsigned char* p = file->data(*info);
    for (std::uint64_t i = 0; i < info->nbytes(); ++i) sum += p[i];
    leadrl::fuzz::check(info->nbytes() == info->numel() * leadrl::io::dtype_size(info->dtype),
                        "bytes = numel x dtype size");
  }
  volatile unsigned keep = sum;
  (void)keep;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string shard1 = "model-00001-of-00002.safetensors";
  const std::string shard2 = "model-00002-of-00002.safetensors";
  if (input.substr(0, 5) == "INDEX") {
    auto parts = fuzz::split(input.substr(5), "\n#SHARD#\n", 3);
    fuzz::write_scratch("model.safetensors.index.json", parts[0]);
    fuzz::write_scratch(shard1, parts.size() > 1 ? parts[1] : std::string_view());
    fuzz::write_scratch(shard2, parts.size() > 2 ? parts[2] : std::string_view());
    auto c = io::safetensors_checkpoint::open_dir(fuzz::scratch_dir());
    if (c) read_all(*c);
    return 0;
  }
  if (input.substr(0, 4) == "FILE") input.remove_prefix(4);
  const std::string path = fuzz::write_scratch("model.safetensors", input);
  auto c = io::safetensors_checkpoint::open_file(path);
  if (c) read_all(*c);
  return 0;
}
