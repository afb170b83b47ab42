#include "io/safetensors.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/support/shared_data.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::io {
namespace {

// A file made of an explicit header text and `data_bytes` bytes of data.
std::string make_file(const std::string& header, size_t data_bytes) {
  std::string h = header;
  while (h.size() % 8) h += ' ';
  std::string out(8, '\0');
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + h + std::string(data_bytes, '\x01');
}

struct corrupt_case {
  const char* what;
  std::string bytes;
  std::vector<std::string> message_parts;  // all must appear in the error
};

class safetensors_test : public ::testing::Test {
 protected:
  test::temp_dir scratch_{"st"};
  const std::string dir_ = scratch_.str();
  std::vector<float> f32_{1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -0.125f};
  std::vector<uint16_t> bf16_{0x3f80, 0xbf80, 0x4000, 0x0000};
  std::vector<int64_t> i64_{1, -2, 3};

  std::vector<tensor_source> sources() {
    std::vector<tensor_source> s(3);
    s[0] = {"w.f32", st_dtype::F32, {2, 3}, f32_.data(), {}};
    s[1] = {"a.bf16", st_dtype::BF16, {4}, bf16_.data(), {}};
    s[2] = {"b.i64", st_dtype::I64, {3}, i64_.data(), {}};
    return s;
  }
};

TEST_F(safetensors_test, writes_sorted_names_with_padded_header_and_reads_back) {
  const std::string path = dir_ + "/x.safetensors";
  ASSERT_TRUE(write_safetensors(path, sources()).ok());
  const std::string bytes = test::read_file_bytes(path);
  uint64_t hl = 0;
  for (int i = 7; i >= 0; --i)
    hl = (hl << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  EXPECT_EQ(hl % 8, 0u);
  EXPECT_EQ(bytes.substr(8, 31), "{\"__metadata__\":{\"format\":\"pt\"}");

  auto f = safetensors_file::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message();
  ASSERT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->tensors()[0].name, "a.bf16");  // data order = sorted names
  EXPECT_EQ(f->tensors()[1].name, "b.i64");
  EXPECT_EQ(f->tensors()[2].name, "w.f32");
  EXPECT_EQ(f->metadata().at("format"), "pt");
  const tensor_info* w = f->find("w.f32");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(f->data(*w), f32_.data(), 24), 0);
  const tensor_info* b = f->find("b.i64");
  EXPECT_EQ(std::memcmp(f->data(*b), i64_.data(), 24), 0);
  EXPECT_EQ(f->find("nope"), nullptr);
}

TEST_F(safetensors_test, round_trip_of_the_shared_model_file_is_bit_identical) {
  const std::string src =
      leadrl::test::shared_path("data/models/verl-tiny-llama-random/model.safetensors");
  auto f = safetensors_file::open(src);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::vector<tensor_source> out;
  for (const auto& t : f->tensors()) out.push_back({t.name, t.dtype, t.shape, f->data(t), {}});
  const std::string path = dir_ + "/copy.safetensors";
  ASSERT_TRUE(write_safetensors(path, out, f->metadata()).ok());
  EXPECT_TRUE(test::read_file_bytes(path) == test::read_file_bytes(src))
      << "rewritten file differs from " << src;
}

TEST_F(safetensors_test, sharded_write_has_index_and_reads_back_identically) {
  // 8 + 24 + 24 bytes with a 30-byte limit: three shards.
  auto written = write_safetensors_dir(dir_, sources(), 30);
  ASSERT_TRUE(written.ok()) << written.error().message();
  ASSERT_EQ(written->size(), 4u);
  EXPECT_EQ((*written)[0], "model-00001-of-00003.safetensors");
  auto ck = safetensors_checkpoint::open_dir(dir_);
  ASSERT_TRUE(ck.ok()) << ck.error().message();
  EXPECT_EQ(ck->files().size(), 3u);
  EXPECT_EQ(ck->names(), (std::vector<std::string>{"a.bf16", "b.i64", "w.f32"}));
  auto [file, info] = ck->find("w.f32");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(std::memcmp(file->data(*info), f32_.data(), 24), 0);
  const std::string index = test::read_file_bytes(dir_ + "/model.safetensors.index.json");
  EXPECT_NE(index.find("\"total_size\": 56"), std::string::npos) << index;

  // Unsharded: a single model.safetensors, no index.
  const test::temp_dir d2_dir("st");
  const std::string d2 = d2_dir.str();
  auto one = write_safetensors_dir(d2, sources(), 0);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::vector<std::string>{"model.safetensors"});
  EXPECT_TRUE(safetensors_checkpoint::open_dir(d2).ok());
}

TEST_F(safetensors_test, index_naming_a_tensor_missing_from_its_shard_is_an_error) {
  ASSERT_TRUE(write_safetensors_dir(dir_, sources(), 30).ok());
  std::string index = test::read_file_bytes(dir_ + "/model.safetensors.index.json");
  const std::string from = "\"w.f32\"";
  index.replace(index.find(from), from.size(), "\"ghost\"");
  test::write_file_bytes(dir_ + "/model.safetensors.index.json", index);
  auto ck = safetensors_checkpoint::open_dir(dir_);
  ASSERT_FALSE(ck.ok());
  EXPECT_NE(ck.error().message().find("ghost"), std::string::npos) << ck.error().message();
}

TEST_F(safetensors_test, index_nested_too_deeply_is_refused) {
  // Non-string metadata values are kept as their dump(), which recurses once per level.
  ASSERT_TRUE(write_safetensors_dir(dir_, sources(), 30).ok());
  test::write_file_bytes(dir_ + "/model.safetensors.index.json",
                         "{\"metadata\":{\"x\":" + std::string(200000, '[') +
                             std::string(200000, ']') + "},\"weight_map\":{}}");
  auto ck = safetensors_checkpoint::open_dir(dir_);
  ASSERT_FALSE(ck.ok());
  EXPECT_NE(ck.error().message().find("model.safetensors.index.json: JSON nested deeper than 128"),
            std::string::npos)
      << ck.error().message();
}

TEST_F(safetensors_test, corrupt_files_give_errors_naming_file_tensor_and_expectation) {
  const std::string good = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  std::string huge_len(8, '\xff');
  std::string truncated = make_file(good, 8);
  truncated.resize(truncated.size() - 3);
  std::string short_header = make_file(good, 8).substr(0, 20);
  std::vector<corrupt_case> cases = {
      {"good file sanity", make_file(good, 8), {}},
      {"shorter than 8 bytes", std::string("\x01\x02", 2), {"at least 8"}},
      {"header length beyond file", huge_len + "{}", {"header length"}},
      {"header cut short", short_header, {"header length"}},
      {"truncated data", truncated, {"'t'", "data section"}},
      {"size lies about shape",
       make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
       {"'t'", "expected 3 x 4"}},
      {"offsets beyond data",
       make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
       {"'t'", "beyond the data section"}},
      {"offsets overlap",
       make_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                 8),
       {"overlap"}},
      {"gap between tensors",
       make_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                 12),
       {"'b'", "gap"}},
      {"begin after end",
       make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8),
       {"'t'", "begin is after end"}},
      {"unknown dtype",
       make_file("{\"t\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8),
       {"'t'", "unknown dtype \"F8_E4M3\""}},
      {"negative dim",
       make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8),
       {"'t'", "non-negative"}},
      {"missing data_offsets",
       make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8),
       {"'t'", "data_offsets"}},
      {"not json", make_file("{this is not json", 8), {"not a JSON object"}},
      {"not an object", make_file("[1,2]", 0), {"'{'"}},
      {"trailing bytes", make_file(good, 12), {"data section is 12 bytes"}},
      {"nested too deeply (error messages dump() values recursively)",
       make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":" + std::string(200000, '[') +
                     std::string(200000, ']') + ",\"data_offsets\":[0,8]}}",
                 8),
       {"header: JSON nested deeper than 128 levels"}},
      {"shape overflow",
       make_file(
           "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
           8),
       {"'t'", "overflows"}},
  };
  for (const auto& c : cases) {
    const std::string path = dir_ + "/bad.safetensors";
    test::write_file_bytes(path, c.bytes);
    auto f = safetensors_file::open(path);
    if (c.message_parts.empty()) {
      EXPECT_TRUE(f.ok()) << c.what << ": " << (f.ok() ? "" : f.error().message());
      continue;
    }
    ASSERT_FALSE(f.ok()) << c.what;
    const std::string& msg = f.error().message();
    EXPECT_NE(msg.find(path), std::string::npos) << c.what << ": " << msg;
    for (const auto& part : c.message_parts) {
      EXPECT_NE(msg.find(part), std::string::npos)
          << c.what << ": '" << part << "' not in: " << msg;
    }
  }
  auto missing = safetensors_file::open(dir_ + "/does_not_exist.safetensors");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("does_not_exist"), std::string::npos);
  auto no_dir = safetensors_checkpoint::open_dir(dir_ + "/nothing_here");
  EXPECT_FALSE(no_dir.ok());
}

TEST_F(safetensors_test, writer_rejects_duplicate_names_and_missing_data) {
  auto s = sources();
  s.push_back(s[0]);
  auto st = write_safetensors(dir_ + "/dup.safetensors", s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("'w.f32' given twice"), std::string::npos);
  std::vector<tensor_source> empty_src(1);
  empty_src[0] = {"x", st_dtype::F32, {1}, nullptr, {}};
  auto st2 = write_safetensors(dir_ + "/nodata.safetensors", empty_src);
  ASSERT_FALSE(st2.ok());
  EXPECT_NE(st2.error().message().find("neither data nor fill"), std::string::npos);
}

TEST_F(safetensors_test, fill_callbacks_write_the_same_bytes_as_data_pointers) {
  auto a = sources();
  auto b = sources();
  for (auto& t : b) {
    const void* p = t.data;
    const uint64_t n = t.nbytes();
    t.data = nullptr;
    t.fill = [p, n](void* dst) { std::memcpy(dst, p, n); };
  }
  ASSERT_TRUE(write_safetensors(dir_ + "/a.safetensors", a).ok());
  ASSERT_TRUE(write_safetensors(dir_ + "/b.safetensors", b).ok());
  EXPECT_TRUE(test::read_file_bytes(dir_ + "/a.safetensors") ==
              test::read_file_bytes(dir_ + "/b.safetensors"));
}

}  // namespace
}  // namespace leadrl::io
