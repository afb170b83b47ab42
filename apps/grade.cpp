// `leadrl grade`: grades a JSONL file of model responses with grading/grader, so that anyone
// can audit the reward on their own data.
//
// Input: one JSON object per line, {"response": "...", "reference": "..."}; the reference
// may also be a number or an array of strings (correct if any matches). Output: one JSON
// object per graded input line, {"line": N, "correct": bool, "extracted": string|null,
// "source": "...", "format": number}. A malformed line is reported on stderr as
// "IN:N: why" and written as {"line": N, "error": "why"} so that output stays auditable
// line by line; blank lines are skipped. A summary goes to stderr.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "grading/grader.hpp"

namespace {

namespace po = boost::program_options;
using nlohmann::json;

const char* source_name(leadrl::grading::answer_source s) {
  switch (s) {
    case leadrl::grading::answer_source::none:
      return "none";
    case leadrl::grading::answer_source::boxed:
      return "boxed";
    case leadrl::grading::answer_source::fbox:
      return "fbox";
    case leadrl::grading::answer_source::boxed_unbraced:
      return "boxed_unbraced";
    case leadrl::grading::answer_source::answer_phrase:
      return "answer_phrase";
    case leadrl::grading::answer_source::last_number:
      return "last_number";
  }
  return "none";
}

// The references of a record: a string, a number (written as JSON prints it) or an array of
// strings. Empty when the field is missing or of another type.
std::vector<std::string> references_of(const json& record, std::string& why) {
  std::vector<std::string> out;
  auto it = record.find("reference");
  if (it == record.end()) {
    why = "missing field \"reference\"";
    return out;
  }
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
  } else if (it->is_number()) {
    out.push_back(it->dump());
  } else if (it->is_array() && !it->empty()) {
    for (const auto& r : *it) {
      if (!r.is_string()) {
        why = "\"reference\" array: expected strings only";
        return {};
      }
      out.push_back(r.get<std::string>());
    }
  } else {
    why = "\"reference\": expected a string, a number or a non-empty array of strings";
  }
  return out;
}

int run_grade(int argc, char** argv) {
  std::string input;
  std::string output = "-";
  std::string fallback = "none";
  std::string format = "boxed";
  po::options_description options(
      "leadrl grade: grade model responses against reference answers (JSONL in, JSONL out)\n\n"
      "usage: leadrl grade --input IN.jsonl [--output OUT.jsonl] [options]\n\n"
      "Each input line is {\"response\": \"...\", \"reference\": \"...\"}; each output line is\n"
      "{\"line\": N, \"correct\": bool, \"extracted\": string|null, \"source\": how, \"format\": "
      "x}.\n"
      "Malformed lines are reported on stderr and written as {\"line\": N, \"error\": \"...\"}.\n\n"
      "options");
  options.add_options()("help,h", "this text")("input,i", po::value(&input),
                                               "input JSONL file (required)")(
      "output,o", po::value(&output)->default_value("-"), "output JSONL file, - for stdout")(
      "fallback", po::value(&fallback)->default_value("none"),
      "answer extraction without a box: none, phrase (\"The answer is ...\"), number (the "
      "last number), all")("format", po::value(&format)->default_value("boxed"),
                           "format score: none, boxed, strict (spec/lead.md §11.1)")(
      "reference-only",
      "compare only as the reference graders do (spec/lead.md §11.3 and §11.4(a)), without "
      "structural and numeric equivalence");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;
  if (input.empty()) {
    std::cerr << "leadrl grade: --input is required\n\n" << options << "\n";
    return 2;
  }
  leadrl::grading::grader_options grader;
  if (fallback == "phrase" || fallback == "all") grader.extraction.answer_phrase = true;
  if (fallback == "number" || fallback == "all") grader.extraction.last_number = true;
  if (fallback != "none" && fallback != "phrase" && fallback != "number" && fallback != "all") {
    std::cerr << "leadrl grade: --fallback: expected none, phrase, number or all, got '" << fallback
              << "'\n";
    return 2;
  }
  if (format == "none") {
    grader.format = leadrl::grading::format_mode::none;
  } else if (format == "boxed") {
    grader.format = leadrl::grading::format_mode::boxed;
  } else if (format == "strict") {
    grader.format = leadrl::grading::format_mode::strict;
  } else {
    std::cerr << "leadrl grade: --format: expected none, boxed or strict, got '" << format << "'\n";
    return 2;
  }
  grader.symbolic = vm.count("reference-only") == 0;

  std::ifstream in(input, std::ios::binary);
  if (!in) {
    std::cerr << "leadrl grade: cannot open input file '" << input << "'\n";
    return 2;
  }
  leadrl::cli::output_target target(output, "leadrl grade: cannot open output file");
  if (!target) return 2;
  std::ostream& out = target.stream();

  std::size_t line_number = 0;
  std::size_t graded = 0;
  std::size_t correct = 0;
  std::size_t malformed = 0;
  std::size_t blank = 0;
  std::string line;
  auto dump = [](const json& j) {
    // Responses may hold invalid UTF-8: replace it rather than fail.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      ++blank;
      continue;
    }
    std::string why;
    json record;
    try {
      record = json::parse(line);
    } catch (const json::parse_error& e) {
      why = std::string("not valid JSON (") + e.what() + ")";
    }
    std::vector<std::string> references;
    if (!why.empty()) {
      // reported below
    } else if (!record.is_object()) {
      why = "expected a JSON object";
    } else if (!record.contains("response") || !record["response"].is_string()) {
      why = "missing or non-string field \"response\"";
    } else {
      references = references_of(record, why);
    }
    if (!why.empty()) {
      ++malformed;
      std::cerr << input << ":" << line_number << ": " << why << "; line skipped\n";
      out << dump(json{{"line", line_number}, {"error", why}}) << "\n";
      continue;
    }
    const std::string& response = record["response"].get_ref<const std::string&>();
    leadrl::grading::grade_result best =
        leadrl::grading::grade_answer_any(response, references, grader);
    ++graded;
    if (best.correct) ++correct;
    json result = {{"line", line_number},
                   {"correct", best.correct},
                   {"extracted", best.has_answer ? json(best.extracted) : json(nullptr)},
                   {"source", source_name(best.source)},
                   {"format", best.format}};
    out << dump(result) << "\n";
  }
  out.flush();
  if (!out) {
    std::cerr << "leadrl grade: writing '" << output << "' failed\n";
    return 1;
  }
  double rate = graded ? 100.0 * static_cast<double>(correct) / static_cast<double>(graded) : 0.0;
  std::cerr << "leadrl grade: " << graded << " graded, " << correct << " correct (" << rate
            << "%), " << malformed << " malformed, " << blank << " blank lines skipped\n";
  return 0;
}

const leadrl::cli::command_registration registration{
    "grade", "grade JSONL responses against reference answers (grading/grader)", run_grade};

}  // namespace
