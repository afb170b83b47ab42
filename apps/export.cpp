// `leadrl export SNAPSHOT --hf DIR`: the policy of a snapshot as a Hugging Face directory
// (config.json, model.safetensors, tokenizer files) for transformers, vLLM or
// `leadrl train model.path=DIR` (model/hf_export.hpp).
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "apps/command.hpp"
#include "io/snapshot_report.hpp"
#include "model/hf_export.hpp"

namespace {

namespace po = boost::program_options;

int run_export(int argc, char** argv) {
  po::options_description options(
      "usage: leadrl export SNAPSHOT --hf DIR [--dtype float32|float16|bfloat16]\n\n"
      "Writes the snapshot's policy as a Hugging Face model directory. The model is the one\n"
      "the snapshot's configuration names (model.path, whose config.json and tokenizer\n"
      "files are copied, or the random character-level decoder).\n"
      "Exit status: 0 written, 1 a write failed, 2 bad usage, not a valid snapshot, or a\n"
      "snapshot that does not match its model.\n\noptions");
  std::string path, dir;
  leadrl::model::export_options export_options;
  options.add_options()("help,h", "this text")("snapshot", po::value(&path)->required(),
                                               "the snapshot file (step_NNNNNN.h5)")(
      "hf", po::value(&dir)->required(), "output directory (created if missing)")(
      "dtype", po::value(&export_options.dtype),
      "float32, float16 or bfloat16 (default: the dtype stored in the snapshot)");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {"snapshot"}, vm)) {
    return *stop;
  }
  auto snap = leadrl::io::read_valid_snapshot(path);
  if (!snap) {
    std::cerr << "leadrl export: " << snap.error().message() << "\n";
    return 2;
  }
  auto prepared = leadrl::model::snapshot_export::prepare(*snap, path, export_options);
  if (!prepared) {
    std::cerr << "leadrl export: " << prepared.error().message() << "\n";
    return 2;
  }
  if (auto st = prepared->write(dir); !st) {
    std::cerr << "leadrl export: " << st.error().message() << "\n";
    return 1;
  }
  std::cerr << "leadrl export: step " << snap->meta.step << " of " << path << " written to " << dir
            << " (" << snap->learner.params.size() << " tensors)\n";
  return 0;
}

const leadrl::cli::command_registration registration{
    "export", "write a snapshot's policy as a Hugging Face model directory", run_export};

}  // namespace
