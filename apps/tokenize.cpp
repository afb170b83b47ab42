// `leadrl tokenize`: JSONL {"text"} in, JSONL {"ids"} out, with a tokenizer.json (or the
// built-in character tokenizer).
#include <fstream>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "apps/command.hpp"
#include "model/tokenizer.hpp"
#include "model/tokenizer_jsonl.hpp"

namespace {

namespace po = boost::program_options;

int run_tokenize(int argc, char** argv) {
  po::options_description options(
      "usage: leadrl tokenize --tokenizer PATH --input IN.jsonl --output OUT.jsonl "
      "[--add-special]\n\n"
      "Encodes the \"text\" field of every line of IN.jsonl and writes {\"ids\": [...]} lines.\n"
      "Malformed lines are reported on stderr with their line number and skipped.\n"
      "Exit status: 0 done (even with skipped lines), 1 output write error,\n"
      "2 bad usage or a missing/unreadable tokenizer or input file.\n\noptions");
  std::string tokenizer_path;
  std::string input_path;
  std::string output_path;
  options.add_options()("help,h", "this text")(
      "tokenizer", po::value(&tokenizer_path)->required(),
      "a tokenizer.json, the folder holding it, or \"char\" (the built-in task tokenizer)")(
      "input", po::value(&input_path)->required(), "JSONL file with a string \"text\" per line")(
      "output", po::value(&output_path)->required(), "JSONL file to write")(
      "add-special", po::bool_switch(), "apply post-processing (e.g. the R1-distill BOS)");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;

  auto tok = leadrl::model::load_tokenizer(tokenizer_path);
  if (!tok) {
    std::cerr << "leadrl tokenize: --tokenizer " << tok.error().message() << "\n";
    return 2;
  }
  std::ifstream in(input_path, std::ios::binary);
  if (!in) {
    std::cerr << "leadrl tokenize: --input " << input_path
              << ": cannot open file (expected a readable JSONL file)\n";
    return 2;
  }
  std::ofstream out(output_path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "leadrl tokenize: --output " << output_path
              << ": cannot create file (expected a writable path)\n";
    return 2;
  }
  const auto report = leadrl::model::tokenize_jsonl(**tok, in, out, vm["add-special"].as<bool>());
  for (const auto& problem : report.problems) {
    std::cerr << input_path << ":" << problem << "; line skipped\n";
  }
  out.flush();
  if (!out) {
    std::cerr << "leadrl tokenize: --output " << output_path << ": write failed\n";
    return 1;
  }
  std::cerr << "leadrl tokenize: " << report.written << " lines written to " << output_path << ", "
            << report.skipped << " skipped\n";
  return 0;
}

const leadrl::cli::command_registration registration{
    "tokenize", "encode JSONL {\"text\"} lines to {\"ids\"} with a tokenizer", run_tokenize};

}  // namespace
