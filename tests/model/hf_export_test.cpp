#include "model/hf_export.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "io/safetensors.hpp"
#include "io/snapshot_report.hpp"
#include "io/train_options.hpp"
#include "model/char_tokenizer.hpp"
#include "model/checkpoint.hpp"
#include "model/tokenizer.hpp"
#include "tests/support/policy_snapshot.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::model {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> k_small = {"model.hidden_size=16", "model.num_heads=2",
                                          "model.num_kv_heads=1", "model.intermediate_size=24",
                                          "model.num_layers=2"};

class snapshot_export_test : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }

  // Writes `s` as a snapshot file and reads it back validated, as `leadrl export` does.
  io::snapshot through_file(const io::snapshot& s) {
    const std::string file =
        path("step_" + std::to_string(1000000 + s.meta.step).substr(1) + ".h5");
    EXPECT_TRUE(io::write_snapshot(file, s));
    auto read = io::read_valid_snapshot(file);
    EXPECT_TRUE(read) << read.error().message();
    return *read;
  }
  test::temp_dir dir_{"export"};
};

torch::Tensor logits_of(model::decoder_impl& m) {
  torch::NoGradGuard no_grad;
  const auto ids = torch::tensor({{1, 22, 23, 15, 30, 4}, {1, 40, 41, 42, 43, 2}}, torch::kInt64);
  return m.forward(ids, model::default_positions(2, 6));
}

TEST_F(snapshot_export_test, the_random_policy_round_trips_bit_identically) {
  auto options = io::load_train_options("", k_small);
  ASSERT_TRUE(options) << options.error().message();
  auto policy = test::random_policy(*options, 5);
  const io::snapshot s = through_file(test::policy_snapshot(*options, *policy, 3));

  ASSERT_TRUE(export_snapshot(s, "step_000003.h5", path("hf"), {}));
  for (const char* f :
       {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
    EXPECT_TRUE(fs::is_regular_file(path("hf") + "/" + f)) << f;
  }
  auto loaded = model::load_decoder(path("hf"));
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ((*loaded)->config().num_hidden_layers, 2);
  EXPECT_EQ((*loaded)->config().torch_dtype, "float32");
  const auto want = policy->named_parameters();
  const auto got = (*loaded)->named_parameters();
  ASSERT_EQ(got.size(), want.size());
  for (const auto& p : want) {
    ASSERT_TRUE(got.contains(p.key())) << p.key();
    EXPECT_TRUE(torch::equal(got[p.key()], p.value())) << p.key();
  }
  EXPECT_TRUE(torch::equal(logits_of(**loaded), logits_of(*policy)));

  auto tok = model::load_tokenizer(path("hf"));
  ASSERT_TRUE(tok) << tok.error().message();
  const model::char_tokenizer chars;
  EXPECT_EQ((*tok)->vocab_size(), chars.vocab_size());
  EXPECT_EQ((*tok)->encode("12+30=42\n", true), chars.encode("12+30=42\n", true));
  EXPECT_EQ((*tok)->eos_id(), chars.eos_id());
}

TEST_F(snapshot_export_test, a_dtype_conversion_rounds_as_torch_does) {
  auto options = io::load_train_options("", k_small);
  ASSERT_TRUE(options);
  auto policy = test::random_policy(*options, 6);
  const io::snapshot s = through_file(test::policy_snapshot(*options, *policy, 2));
  export_options bf16;
  bf16.dtype = "bfloat16";
  ASSERT_TRUE(export_snapshot(s, "s", path("bf16"), bf16));
  auto file = io::safetensors_file::open(path("bf16") + "/model.safetensors");
  ASSERT_TRUE(file);
  for (const auto& t : file->tensors()) EXPECT_EQ(t.dtype, io::st_dtype::BF16) << t.name;
  model::decoder_options as_bf16{torch::kBFloat16, torch::kCPU};
  auto loaded = model::load_decoder(path("bf16"), as_bf16);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ((*loaded)->config().torch_dtype, "bfloat16");
  for (const auto& p : policy->named_parameters()) {
    EXPECT_TRUE(
        torch::equal((*loaded)->named_parameters()[p.key()], p.value().to(torch::kBFloat16)))
        << p.key();
  }
}

TEST_F(snapshot_export_test, an_hf_model_path_has_its_config_and_tokenizer_copied) {
  // A model directory as `leadrl train model.path=...` would use it.
  auto base_options = io::load_train_options("", k_small);
  ASSERT_TRUE(base_options);
  auto base = test::random_policy(*base_options, 7);
  ASSERT_TRUE(model::save_decoder(*base, path("base")));
  ASSERT_TRUE(model::save_char_tokenizer(path("base")));
  std::ofstream(path("base") + "/generation_config.json") << "{\"do_sample\": true}\n";

  auto options = io::load_train_options("", {"model.path=" + path("base")});
  ASSERT_TRUE(options) << options.error().message();
  auto trained = test::random_policy(*base_options, 8);  // "after training": other weights
  const io::snapshot s = through_file(test::policy_snapshot(*options, *trained, 4));
  ASSERT_TRUE(export_snapshot(s, "s", path("out"), {}));
  EXPECT_TRUE(fs::is_regular_file(path("out") + "/generation_config.json"));
  auto loaded = model::load_decoder(path("out"));
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_TRUE(torch::equal(logits_of(**loaded), logits_of(*trained)));
  EXPECT_FALSE(torch::equal(logits_of(**loaded), logits_of(*base)));
  ASSERT_TRUE(model::load_tokenizer(path("out")));

  // The model directory gone: refused, naming it.
  fs::remove_all(path("base"));
  auto gone = snapshot_export::prepare(s, "step_000004.h5", {});
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message().find("model.path"), std::string::npos) << gone.error().message();
  EXPECT_NE(gone.error().message().find(path("base")), std::string::npos) << gone.error().message();
}

TEST_F(snapshot_export_test, a_failed_write_leaves_the_previous_model_file_as_it_was) {
  auto options = io::load_train_options("", k_small);
  ASSERT_TRUE(options);
  auto first = test::random_policy(*options, 10);
  ASSERT_TRUE(export_snapshot(test::policy_snapshot(*options, *first, 1), "s", path("hf"), {}));
  // The temporary file cannot be created (a directory is in its place): the write fails.
  fs::create_directories(path("hf") + "/model.safetensors.tmp");
  auto second = test::random_policy(*options, 11);
  auto r = export_snapshot(test::policy_snapshot(*options, *second, 2), "s", path("hf"), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("model.safetensors"), std::string::npos)
      << r.error().message();
  fs::remove_all(path("hf") + "/model.safetensors.tmp");
  auto loaded = model::load_decoder(path("hf"));
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_TRUE(torch::equal(logits_of(**loaded), logits_of(*first)));
}

TEST_F(snapshot_export_test, parameters_that_do_not_fit_the_model_are_named_before_writing) {
  auto options = io::load_train_options("", k_small);
  ASSERT_TRUE(options);
  auto policy = test::random_policy(*options, 9);
  io::snapshot s = test::policy_snapshot(*options, *policy, 1);
  s.learner.params.erase("model.norm.weight");
  s.learner.params["model.layers.0.mlp.up_proj.weight"].shape = {12, 32};  // was 24 x 16
  s.learner.params["model.extra.weight"] =
      s.learner.params["model.layers.1.input_layernorm.weight"];
  auto r = export_snapshot(s, "step_000001.h5", path("never"), {});
  ASSERT_FALSE(r);
  const std::string m = r.error().message();
  for (const char* part :
       {"step_000001.h5", "missing tensors: model.norm.weight",
        "model.layers.0.mlp.up_proj.weight has shape [12,32], the config gives [24,16]",
        "does not have: model.extra.weight"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
  EXPECT_FALSE(fs::exists(path("never")));  // nothing written

  export_options bad;
  bad.dtype = "int8";
  auto d = snapshot_export::prepare(test::policy_snapshot(*options, *policy, 1), "s", bad);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("int8"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::model
