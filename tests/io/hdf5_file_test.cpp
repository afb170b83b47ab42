#include "io/hdf5_file.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "tests/support/temp_dir.hpp"

namespace leadrl::io {
namespace {

namespace fs = std::filesystem;

class hdf5_file_test : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }
  test::temp_dir dir_{"hdf5"};
};

std::uint64_t bits_of(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

double double_from_bits(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

using test::read_file_bytes;
using test::write_file_bytes;

// Flips one byte inside the only occurrence of `pattern` in the file; returns false if
// the pattern is absent or appears more than once.
bool flip_byte_inside(const std::string& p, const std::string& pattern, std::size_t offset) {
  std::string bytes = read_file_bytes(p);
  const std::size_t at = bytes.find(pattern);
  if (at == std::string::npos || bytes.find(pattern, at + 1) != std::string::npos) return false;
  bytes[at + offset] = static_cast<char>(bytes[at + offset] ^ 0x20);
  write_file_bytes(p, bytes);
  return true;
}

TEST_F(hdf5_file_test, scalars_round_trip_bit_identically) {
  const std::vector<double> specials = {-0.0,
                                        std::numeric_limits<double>::denorm_min(),
                                        std::numeric_limits<double>::max(),
                                        -std::numeric_limits<double>::infinity(),
                                        double_from_bits(0x7ff8dead0000beefULL),  // NaN payload
                                        0.1};
  {
    auto f = hdf5_file::create(path("s.h5"));
    ASSERT_TRUE(f) << f.error().message();
    for (std::size_t i = 0; i < specials.size(); ++i) {
      ASSERT_TRUE(f->write_double("/d/" + std::to_string(i), specials[i]));
    }
    ASSERT_TRUE(f->write_int64("/i/min", std::numeric_limits<std::int64_t>::min()));
    ASSERT_TRUE(f->write_int64("/i/max", std::numeric_limits<std::int64_t>::max()));
    ASSERT_TRUE(f->write_uint64("/u", std::numeric_limits<std::uint64_t>::max()));
    ASSERT_TRUE(f->write_bool("/b/yes", true));
    ASSERT_TRUE(f->write_bool("/b/no", false));
    ASSERT_TRUE(f->write_string("/s/utf8", "L*_q \xE2\x89\xA5 1 \xE2\x80\x94 \xC3\xBC\nline 2"));
    ASSERT_TRUE(f->write_string("/s/empty", ""));
    ASSERT_TRUE(f->close());
  }
  auto f = hdf5_file::open(path("s.h5"));
  ASSERT_TRUE(f) << f.error().message();
  for (std::size_t i = 0; i < specials.size(); ++i) {
    auto d = f->read_double("/d/" + std::to_string(i));
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(bits_of(*d), bits_of(specials[i])) << i;
  }
  EXPECT_EQ(*f->read_int64("/i/min"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(*f->read_int64("/i/max"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(*f->read_uint64("/u"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(*f->read_bool("/b/yes"));
  EXPECT_FALSE(*f->read_bool("/b/no"));
  EXPECT_EQ(*f->read_string("/s/utf8"), "L*_q \xE2\x89\xA5 1 \xE2\x80\x94 \xC3\xBC\nline 2");
  EXPECT_EQ(*f->read_string("/s/empty"), "");
  EXPECT_TRUE(f->verify_all_datasets());
}

TEST_F(hdf5_file_test, arrays_round_trip_including_empty_ones) {
  const std::vector<double> doubles = {1.5, -2.25, double_from_bits(0x7ff0000000000001ULL)};
  const std::vector<std::int64_t> ints = {7, -3, std::numeric_limits<std::int64_t>::min()};
  const std::vector<std::uint8_t> bytes = {0, 1, 255, 128};
  const std::vector<std::string> strings = {"model.embed_tokens.weight", "", "\xCF\x88"};
  {
    auto f = hdf5_file::create(path("a.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_doubles("/x/doubles", doubles));
    ASSERT_TRUE(f->write_int64s("/x/ints", ints));
    ASSERT_TRUE(f->write_bytes("/x/bytes", bytes));
    ASSERT_TRUE(f->write_strings("/x/strings", strings));
    ASSERT_TRUE(f->write_doubles("/x/no_doubles", {}));
    ASSERT_TRUE(f->write_strings("/x/no_strings", {}));
    ASSERT_TRUE(f->close());
  }
  auto f = hdf5_file::open(path("a.h5"));
  ASSERT_TRUE(f);
  auto d = f->read_doubles("/x/doubles");
  ASSERT_TRUE(d) << d.error().message();
  ASSERT_EQ(d->size(), doubles.size());
  EXPECT_EQ(std::memcmp(d->data(), doubles.data(), doubles.size() * sizeof(double)), 0);
  EXPECT_EQ(*f->read_int64s("/x/ints"), ints);
  EXPECT_EQ(*f->read_bytes("/x/bytes"), bytes);
  EXPECT_EQ(*f->read_strings("/x/strings"), strings);
  EXPECT_TRUE(f->read_doubles("/x/no_doubles")->empty());
  EXPECT_TRUE(f->read_strings("/x/no_strings")->empty());
  auto children = f->list_children("/x");
  ASSERT_TRUE(children);
  EXPECT_EQ(*children, (std::vector<std::string>{"bytes", "doubles", "ints", "no_doubles",
                                                 "no_strings", "strings"}));
  EXPECT_TRUE(f->verify_all_datasets());
}

TEST_F(hdf5_file_test, tensors_keep_dtype_shape_and_bits) {
  // Every BF16 and F16 bit pattern, including NaNs, infinities and subnormals.
  tensor_blob bf16{dtype::bf16, {256, 256}, {}};
  for (std::uint32_t v = 0; v < 65536; ++v) {
    bf16.bytes.push_back(static_cast<std::uint8_t>(v & 0xff));
    bf16.bytes.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  tensor_blob f16 = bf16;
  f16.type = dtype::f16;
  f16.shape = {65536};
  tensor_blob f32{dtype::f32, {2, 2}, {}};
  for (std::uint32_t bits : {0x7fc00001u, 0x80000000u, 0x00000001u, 0x3f800000u}) {
    for (int b = 0; b < 4; ++b) f32.bytes.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
  }
  tensor_blob scalar{dtype::f64, {}, std::vector<std::uint8_t>(8, 0x41)};
  tensor_blob empty{dtype::i32, {0, 4}, {}};
  tensor_blob i64{dtype::i64, {3}, std::vector<std::uint8_t>(24, 0xab)};
  tensor_blob u8{dtype::u8, {2, 1, 3}, {1, 2, 3, 4, 5, 6}};
  const std::vector<std::pair<std::string, tensor_blob>> tensors = {
      {"bf16", bf16},   {"f16", f16}, {"f32", f32}, {"scalar", scalar},
      {"empty", empty}, {"i64", i64}, {"u8", u8}};
  {
    auto f = hdf5_file::create(path("t.h5"));
    ASSERT_TRUE(f);
    for (const auto& [name, t] : tensors) {
      auto s = f->write_tensor("/t/" + name, t);
      ASSERT_TRUE(s) << name << ": " << s.error().message();
    }
    ASSERT_TRUE(f->close());
  }
  auto f = hdf5_file::open(path("t.h5"));
  ASSERT_TRUE(f);
  for (const auto& [name, t] : tensors) {
    auto r = f->read_tensor("/t/" + name);
    ASSERT_TRUE(r) << name << ": " << r.error().message();
    EXPECT_EQ(r->type, t.type) << name;
    EXPECT_EQ(r->shape, t.shape) << name;
    EXPECT_TRUE(r->bytes == t.bytes) << name;
  }
  auto listing = f->list_datasets("/t");
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->size(), tensors.size());
  EXPECT_EQ((*listing)[0].path, "/t/bf16");
  EXPECT_EQ((*listing)[0].element_type, "BF16");
  EXPECT_EQ((*listing)[0].shape, (std::vector<std::int64_t>{256, 256}));
  EXPECT_EQ(*f->read_string_attribute("/t/bf16", "dtype"), "BF16");
}

TEST_F(hdf5_file_test, a_tensor_reads_into_existing_memory_only_when_it_matches) {
  const tensor_blob w{dtype::bf16, {2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};
  {
    auto f = hdf5_file::create(path("into.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_tensor("/w", w));
    ASSERT_TRUE(f->close());
  }
  auto f = hdf5_file::open(path("into.h5"));
  ASSERT_TRUE(f);
  std::vector<std::uint8_t> target(12, 0);
  auto ok = f->read_tensor_into("/w", dtype::bf16, {2, 3}, target.data(), target.size());
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(target, w.bytes);
  std::vector<std::uint8_t> untouched(12, 0);
  auto shape = f->read_tensor_into("/w", dtype::bf16, {3, 2}, untouched.data(), 12);
  ASSERT_FALSE(shape);
  EXPECT_NE(shape.error().message().find("expected a tensor BF16 [3,2] (12 bytes), the file "
                                         "holds BF16 [2,3]"),
            std::string::npos)
      << shape.error().message();
  EXPECT_EQ(untouched, std::vector<std::uint8_t>(12, 0));
  EXPECT_FALSE(f->read_tensor_into("/w", dtype::f16, {2, 3}, untouched.data(), 12));
  EXPECT_FALSE(f->read_tensor_into("/w", dtype::bf16, {2, 3}, untouched.data(), 10));
}

TEST_F(hdf5_file_test, chunking_adds_little_to_the_file_size) {
  // Shapes whose rows do not divide a 1 MiB chunk evenly (an MLP weight and its transpose).
  {
    auto f = hdf5_file::create(path("big.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_tensor(
        "/w1", tensor_blob{dtype::f32, {3072, 768}, std::vector<std::uint8_t>(3072 * 768 * 4, 7)}));
    ASSERT_TRUE(f->write_tensor(
        "/w2", tensor_blob{dtype::f32, {768, 3072}, std::vector<std::uint8_t>(3072 * 768 * 4, 9)}));
    ASSERT_TRUE(f->close());
  }
  const double payload = 2.0 * 3072 * 768 * 4;
  EXPECT_LT(static_cast<double>(fs::file_size(path("big.h5"))), payload * 1.01);
}

TEST_F(hdf5_file_test, deflate_round_trips) {
  std::vector<double> values(100000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i % 17);
  {
    hdf5_write_options options;
    options.deflate_level = 4;
    auto f = hdf5_file::create(path("z.h5"), options);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_doubles("/v", values));
    ASSERT_TRUE(f->close());
  }
  EXPECT_LT(fs::file_size(path("z.h5")), values.size() * sizeof(double) / 4);
  auto f = hdf5_file::open(path("z.h5"));
  ASSERT_TRUE(f);
  EXPECT_EQ(*f->read_doubles("/v"), values);
}

TEST_F(hdf5_file_test, attributes_round_trip_and_are_listed) {
  {
    auto f = hdf5_file::create(path("attr.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->create_group("/g/h"));
    ASSERT_TRUE(f->create_group("/g/h"));  // existing group is fine
    ASSERT_TRUE(f->set_string_attribute("/", "format", "leadrl"));
    ASSERT_TRUE(f->set_int64_attribute("/g/h", "history", 32));
    ASSERT_TRUE(f->set_int64_attribute("/g/h", "history", 16));  // replaced
    ASSERT_TRUE(f->set_double_attribute("/g", "alpha", 0.25));
    ASSERT_TRUE(f->close());
  }
  auto f = hdf5_file::open(path("attr.h5"));
  ASSERT_TRUE(f);
  EXPECT_EQ(*f->read_string_attribute("/", "format"), "leadrl");
  EXPECT_EQ(*f->read_int64_attribute("/g/h", "history"), 16);
  EXPECT_EQ(*f->read_double_attribute("/g", "alpha"), 0.25);
  auto attrs = f->list_attributes("/g/h");
  ASSERT_TRUE(attrs);
  ASSERT_EQ(attrs->size(), 1u);
  EXPECT_EQ((*attrs)[0], (std::pair<std::string, std::string>{"history", "I64"}));
  auto wrong = f->read_string_attribute("/g", "alpha");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("expected a string attribute"), std::string::npos);
  EXPECT_FALSE(f->read_int64_attribute("/g", "missing"));
  EXPECT_TRUE(f->is_group("/g/h"));
  EXPECT_FALSE(f->exists("/g/h/nothing/deeper"));
}

TEST_F(hdf5_file_test, misuse_is_reported_as_values) {
  auto f = hdf5_file::create(path("m.h5"));
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_double("/x", 1.0));
  auto again = f->write_double("/x", 2.0);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("already exists"), std::string::npos);
  EXPECT_FALSE(f->write_double("relative/path", 1.0));
  EXPECT_FALSE(f->write_string("/nul", std::string("a\0b", 3)));
  auto bad_tensor = f->write_tensor("/t", tensor_blob{dtype::f32, {3}, {1, 2, 3}});
  ASSERT_FALSE(bad_tensor);
  EXPECT_NE(bad_tensor.error().message().find("needs 12 bytes, got 3"), std::string::npos);
  auto under_dataset = f->write_double("/x/child", 1.0);
  ASSERT_FALSE(under_dataset);
  EXPECT_NE(under_dataset.error().message().find("H5Dcreate2"), std::string::npos)
      << under_dataset.error().message();

  auto wrong_type = f->read_int64("/x");
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message().find("expected a scalar I64 dataset, found F64"),
            std::string::npos)
      << wrong_type.error().message();
  auto missing = f->read_doubles("/nothing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nothing: no such dataset"), std::string::npos);
  ASSERT_TRUE(f->close());
  EXPECT_FALSE(f->write_double("/y", 1.0));

  auto ro = hdf5_file::open(path("m.h5"));
  ASSERT_TRUE(ro);
  auto write_ro = ro->write_double("/y", 1.0);
  ASSERT_FALSE(write_ro);
  EXPECT_NE(write_ro.error().message().find("read-only"), std::string::npos);
}

TEST_F(hdf5_file_test, opening_a_missing_or_foreign_file_names_it) {
  auto missing = hdf5_file::open(path("absent.h5"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("absent.h5"), std::string::npos);
  EXPECT_NE(missing.error().message().find("H5Fopen"), std::string::npos);
  write_file_bytes(path("text.h5"), "not an HDF5 file at all");
  auto foreign = hdf5_file::open(path("text.h5"));
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message().find("text.h5"), std::string::npos);
  auto no_dir = hdf5_file::create(path("no/such/dir/x.h5"));
  ASSERT_FALSE(no_dir);
  EXPECT_NE(no_dir.error().message().find("H5Fcreate"), std::string::npos);
}

TEST_F(hdf5_file_test, a_flipped_data_byte_fails_the_fletcher32_check) {
  std::vector<std::uint8_t> data(4096);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::string pattern = "LEADRL-PATTERN-0123456789";
  std::copy(pattern.begin(), pattern.end(), data.begin() + 1000);
  {
    auto f = hdf5_file::create(path("c.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_bytes("/controller/blob", data));
    ASSERT_TRUE(f->write_doubles("/controller/other", {1.0, 2.0}));
    ASSERT_TRUE(f->close());
  }
  ASSERT_TRUE(flip_byte_inside(path("c.h5"), pattern, 10));
  auto f = hdf5_file::open(path("c.h5"));
  ASSERT_TRUE(f) << f.error().message();
  auto bytes = f->read_bytes("/controller/blob");
  ASSERT_FALSE(bytes);
  const std::string message = bytes.error().message();
  EXPECT_NE(message.find("/controller/blob"), std::string::npos) << message;
  EXPECT_NE(message.find("Fletcher32"), std::string::npos) << message;
  EXPECT_NE(message.find("H5Dread"), std::string::npos) << message;
  EXPECT_TRUE(f->read_doubles("/controller/other"));  // other datasets still read
  auto verified = f->verify_all_datasets();
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.error().message().find("/controller/blob"), std::string::npos);
}

TEST_F(hdf5_file_test, a_flipped_byte_in_string_text_fails_the_string_checksum) {
  const std::string text = "[algorithm]\nadv_estimator = lead\nMARKER-OF-CONFIG-TEXT\n";
  {
    auto f = hdf5_file::create(path("str.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_string("/meta/config_text", text));
    ASSERT_TRUE(f->close());
  }
  ASSERT_TRUE(flip_byte_inside(path("str.h5"), "MARKER-OF-CONFIG-TEXT", 3));
  auto f = hdf5_file::open(path("str.h5"));
  ASSERT_TRUE(f);
  auto s = f->read_string("/meta/config_text");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("/meta/config_text: string checksum mismatch"),
            std::string::npos)
      << s.error().message();
  EXPECT_FALSE(f->verify_all_datasets());
}

// Attribute reads go into one variable, so an attribute whose dataspace holds several
// elements (a corrupt or hostile file) is refused, not read past it.
TEST_F(hdf5_file_test, an_attribute_of_several_elements_is_refused) {
  {
    auto f = hdf5_file::create(path("attr.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_doubles("/a", {1.0}));
    ASSERT_TRUE(f->write_strings("/s", {"x", "y"}));
    ASSERT_TRUE(f->close());
  }
  {
    const hid_t file = H5Fopen(path("attr.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hsize_t two = 2;
    const std::int64_t values[2] = {7, 8};
    const hid_t space = H5Screate_simple(1, &two, nullptr);
    for (const char* object : {"/a", "/s"}) {
      const hid_t ds = H5Dopen2(file, object, H5P_DEFAULT);
      const char* name = std::string(object) == "/a" ? "n" : "leadrl_fnv1a64";
      if (H5Aexists(ds, name) > 0) H5Adelete(ds, name);
      const hid_t a = H5Acreate2(ds, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
      ASSERT_GE(H5Awrite(a, H5T_NATIVE_INT64, values), 0);
      H5Aclose(a);
      H5Dclose(ds);
    }
    H5Sclose(space);
    H5Fclose(file);
  }
  auto f = hdf5_file::open(path("attr.h5"));
  ASSERT_TRUE(f) << f.error().message();
  auto n = f->read_int64_attribute("/a", "n");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message().find("holds 2 elements; expected a single value"),
            std::string::npos)
      << n.error().message();
  auto s = f->read_strings("/s");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("holds 2 elements"), std::string::npos)
      << s.error().message();
}

// A dataset may declare an extent far beyond what the file stores (HDF5 allocates chunks
// lazily); readers refuse it before sizing a buffer from it instead of allocating terabytes.
TEST_F(hdf5_file_test, an_extent_larger_than_the_stored_data_is_refused_before_allocating) {
  {
    const hid_t file =
        H5Fcreate(path("big.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hsize_t dims = hsize_t{1} << 40;  // 8 TiB of doubles, none written
    const hsize_t chunk = 1024;
    const hid_t space = H5Screate_simple(1, &dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    H5Pset_fletcher32(dcpl);
    const hid_t ds =
        H5Dcreate2(file, "/big", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(ds, 0);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(file);
  }
  auto f = hdf5_file::open(path("big.h5"));
  ASSERT_TRUE(f) << f.error().message();
  auto values = f->read_doubles("/big");
  ASSERT_FALSE(values);
  EXPECT_NE(values.error().message().find("the extent [1099511627776] describes 8796093022208 "
                                          "bytes, but the file stores 0 bytes"),
            std::string::npos)
      << values.error().message();
  EXPECT_FALSE(f->read_tensor("/big"));
  auto verified = f->verify_all_datasets();
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.error().message().find("/big"), std::string::npos);
}

// A hard link may point back at an ancestor group; the recursive listing (and so
// verify_all_datasets, which every snapshot validation runs) must end with an error.
TEST_F(hdf5_file_test, a_group_cycle_ends_the_listing_with_an_error) {
  {
    auto f = hdf5_file::create(path("cycle.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write_doubles("/g/x", {1.0}));
    ASSERT_TRUE(f->close());
  }
  {
    const hid_t file = H5Fopen(path("cycle.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    ASSERT_GE(H5Lcreate_hard(file, "/", file, "/g/loop", H5P_DEFAULT, H5P_DEFAULT), 0);
    H5Fclose(file);
  }
  auto f = hdf5_file::open(path("cycle.h5"));
  ASSERT_TRUE(f) << f.error().message();
  auto list = f->list_datasets("/");
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message().find("groups nested deeper than 32 levels (a link cycle?)"),
            std::string::npos)
      << list.error().message();
  EXPECT_FALSE(f->verify_all_datasets());
}

}  // namespace
}  // namespace leadrl::io
