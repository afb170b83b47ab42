// `leadrl score`: per-token log-probabilities of JSONL rows under a model directory
// (model/scoring.hpp).
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "apps/command.hpp"
#include "model/checkpoint.hpp"
#include "model/device.hpp"
#include "model/scoring.hpp"
#include "model/tokenizer.hpp"

namespace {

namespace po = boost::program_options;
using nlohmann::json;

// One input line: the ids to score and, for a prompt/response row, where the response
// starts; or the reason the line is skipped.
struct score_row {
  std::vector<std::int64_t> ids;
  std::optional<std::size_t> response_from;
  std::string error;
  std::size_t line = 0;  ///< in the input file, 1-based
};

score_row parse_row(const std::string& line, const leadrl::model::tokenizer* tok,
                    const leadrl::model::chat_template& tmpl) {
  score_row row;
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    row.error = "expected a JSON object";
  } else if (j.contains("ids")) {
    const json& ids = j.at("ids");
    if (!ids.is_array()) {
      row.error = "\"ids\": expected an array of token ids";
      return row;
    }
    for (const json& v : ids) {
      if (!v.is_number_integer()) {
        row.error = "\"ids\": expected integers";
        break;
      }
      row.ids.push_back(v.get<std::int64_t>());
    }
  } else if (j.contains("prompt") && j.contains("response") && j.at("prompt").is_string() &&
             j.at("response").is_string()) {
    if (tok == nullptr) {
      row.error = "prompt/response rows need a tokenizer in the model directory";
    } else {
      auto pr = leadrl::model::prompt_response_ids(*tok, tmpl, j.at("prompt").get<std::string>(),
                                                   j.at("response").get<std::string>());
      if (pr.ids.size() == pr.prompt_tokens) row.error = "\"response\": encodes to no tokens";
      if (pr.prompt_tokens == 0) row.error = "\"prompt\": encodes to no tokens";
      row.ids = std::move(pr.ids);
      row.response_from = pr.prompt_tokens;
    }
  } else {
    row.error = "expected {\"ids\": [...]} or {\"prompt\": \"...\", \"response\": \"...\"}";
  }
  return row;
}

json result_line(const score_row& row, const std::vector<float>& logprobs) {
  json out;
  if (!row.response_from) {
    out["logprobs"] = logprobs;
    return out;
  }
  // logprobs[k] scores ids[k + 1]: the response's tokens are k + 1 >= response_from.
  std::vector<float> r(logprobs.begin() + static_cast<std::ptrdiff_t>(*row.response_from - 1),
                       logprobs.end());
  double sum = 0;
  for (float v : r) sum += v;
  out["logprobs"] = r;
  out["sum"] = sum;
  out["count"] = r.size();
  out["mean"] = r.empty() ? 0.0 : sum / static_cast<double>(r.size());
  out["prompt_tokens"] = *row.response_from;
  return out;
}

int run_score(int argc, char** argv) {
  po::options_description options(
      "usage: leadrl score --model DIR --input IN.jsonl [--output OUT.jsonl] [--batch N]\n"
      "                    [--dtype float32|bfloat16] [--device cpu|cuda|cuda:N]\n"
      "                    [--template NAME|STRING]\n\n"
      "Writes one JSON line per input line. {\"ids\": [i0, ..., in]} gets {\"logprobs\":\n"
      "[log p(i1|i0), ..., log p(in|i0..in-1)]}. {\"prompt\": P, \"response\": R} renders P\n"
      "with the chat template (default: the R1-distill template for a BPE tokenizer, plain\n"
      "for a character-level one), appends R's tokens, and gets the response tokens'\n"
      "log-probs with their sum, mean and count. A malformed line gets {\"line\": N,\n"
      "\"error\": ...} and a message on stderr. Log-softmax is taken in float32.\n"
      "Exit status: 0 done (even with bad lines), 1 a write failed, 2 bad usage, a model\n"
      "or input that cannot be read.\n\noptions");
  options.add_options()("help,h", "this text")("model", po::value<std::string>()->required(),
                                               "Hugging Face model directory")(
      "input", po::value<std::string>()->required(), "JSONL rows to score")(
      "output", po::value<std::string>()->default_value("-"), "JSONL output (- = stdout)")(
      "batch", po::value<std::int64_t>()->default_value(8), "rows per forward pass")(
      "dtype", po::value<std::string>()->default_value("float32"), "float32 or bfloat16")(
      "device", po::value<std::string>()->default_value("cpu"), "cpu, cuda or cuda:N")(
      "template", po::value<std::string>(), "chat template name or string with {prompt}");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;
  const std::string dir = vm["model"].as<std::string>();
  const std::string dtype = vm["dtype"].as<std::string>();
  if (dtype != "float32" && dtype != "bfloat16") {
    std::cerr << "leadrl score: --dtype: expected float32 or bfloat16, got '" << dtype << "'\n";
    return 2;
  }
  const std::int64_t batch = vm["batch"].as<std::int64_t>();
  if (batch < 1) {
    std::cerr << "leadrl score: --batch: expected an integer >= 1, got " << batch << "\n";
    return 2;
  }
  leadrl::model::decoder_options dopt;
  dopt.dtype = dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
  auto device = leadrl::model::resolve_device(vm["device"].as<std::string>(),
                                              leadrl::model::local_rank_from_env());
  if (!device) {
    std::cerr << "leadrl score: --device: " << device.error().message() << "\n";
    return 2;
  }
  dopt.device = *device;
  auto model = leadrl::model::load_decoder(dir, dopt);
  if (!model) {
    std::cerr << "leadrl score: --model " << dir << ": " << model.error().message() << "\n";
    return 2;
  }
  std::shared_ptr<const leadrl::model::tokenizer> tok;
  if (auto t = leadrl::model::load_tokenizer(dir); t) tok = *t;
  auto tmpl = leadrl::model::chat_template::plain();
  if (vm.count("template")) {
    auto t = leadrl::model::chat_template::from_spec(vm["template"].as<std::string>());
    if (!t) {
      std::cerr << "leadrl score: --template: " << t.error().message() << "\n";
      return 2;
    }
    tmpl = *t;
  } else if (tok) {
    tmpl = leadrl::model::template_for(*tok);
  }
  const std::string in_path = vm["input"].as<std::string>();
  std::ifstream in(in_path, std::ios::binary);
  if (!in) {
    std::cerr << "leadrl score: --input " << in_path
              << ": cannot open file (expected a readable JSONL file)\n";
    return 2;
  }
  std::vector<score_row> rows;
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    rows.push_back(parse_row(line, tok.get(), tmpl));
    rows.back().line = line_no;
  }
  std::vector<std::vector<std::int64_t>> to_score;
  for (auto& r : rows) {
    if (!r.error.empty()) continue;
    if (auto s = leadrl::model::check_score_row(r.ids, (*model)->config().vocab_size); !s) {
      r.error = s.error().message();
    } else {
      to_score.push_back(r.ids);
    }
  }
  auto scores = leadrl::model::score_sequences(**model, to_score, batch);
  if (!scores) {
    std::cerr << "leadrl score: " << scores.error().message() << "\n";
    return 2;
  }
  const std::string out_path = vm["output"].as<std::string>();
  std::ofstream file;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "leadrl score: --output " << out_path << ": cannot create file\n";
      return 2;
    }
  }
  std::ostream& out = out_path == "-" ? std::cout : file;
  std::size_t next = 0, bad = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].error.empty()) {
      ++bad;
      std::cerr << in_path << ":" << rows[i].line << ": " << rows[i].error << "; skipped\n";
      out << json{{"line", rows[i].line}, {"error", rows[i].error}}.dump() << "\n";
      continue;
    }
    out << result_line(rows[i], (*scores)[next++]).dump() << "\n";
  }
  out.flush();
  if (!out) {
    std::cerr << "leadrl score: --output " << out_path << ": write failed\n";
    return 1;
  }
  std::cerr << "leadrl score: " << next << " rows scored, " << bad << " skipped\n";
  return 0;
}

const leadrl::cli::command_registration reg{
    "score", "per-token log-probabilities of JSONL rows under a model", run_score};

}  // namespace
