// bench_device: decode and learner throughput of a Hugging Face model directory on any
// device and dtype (model.device / model.dtype values), for the GPU check of
// scripts/gpu/check.sh and its CPU rehearsal. One JSON object per line on stdout.
//
//   decode: generate() of BATCH sequences of PROMPT tokens (ids (i*31 + j*7) % vocab, the
//     same as scripts/gpu/bench_hf.py gives transformers) for exactly NEW tokens each
//     (temperature 1, no EOS), prefill included; tokens/s and the share of the HBM
//     roofline: each decode step must read every weight once and the batch's KV cache at
//     the mean context PROMPT + NEW/2, so tokens/s <= BATCH * HBM_GBPS / bytes_per_step.
//   learn: one PPO update (forward, policy loss, backward, clipping, AdamW with float32
//     masters for bfloat16) of BATCH rows x SEQ tokens, of which the last SEQ/2 carry loss;
//     tokens/s and MFU = (6 N + 6 L S d) * tokens/s / PEAK, N the matrix parameters (the
//     embedding lookup excluded, lm_head included), L layers, S SEQ, d hidden (causal
//     attention's score and value products, forward and backward).
//
//   --attention explicit takes the matmul/softmax attention instead of
//   scaled_dot_product_attention (the default where LibTorch has it); the JSON's
//   "attention" says which ran.
//
//   bench_device decode --model DIR --device cuda --dtype bfloat16 --batch 64,256
//                       --prompt 128 --new 256 --hbm-gbps 3350
//   bench_device learn --model DIR --device cuda --dtype bfloat16 --batch 4 --seq 1024
//                      --steps 3 --peak-tflops 989
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "model/checkpoint.hpp"
#include "model/device.hpp"
#include "model/generation_engine.hpp"
#include "model/learner_step.hpp"
#include "model/optimizer.hpp"

namespace {

using namespace leadrl;
using clock_type = std::chrono::steady_clock;

struct args {
  std::string mode, model, device = "cpu", dtype = "float32", attention = "sdpa";
  std::vector<int64_t> batches = {1};
  int64_t prompt = 128, new_tokens = 128, seq = 512;
  int steps = 3;
  double hbm_gbps = 0, peak_tflops = 0;
};

// The attention path the decoder takes: "sdpa" only where asked for and available.
const char* attention_path(const model::decoder_impl& dec) {
  return dec.options().sdpa && model::sdpa_available() ? "sdpa" : "explicit";
}

int usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_device: %s\n"
               "usage: bench_device decode|learn --model DIR [--device cpu|cuda|cuda:N]\n"
               "         [--dtype float32|bfloat16] [--batch N[,N...]] [--prompt P] [--new K]\n"
               "         [--seq S] [--steps N] [--hbm-gbps B] [--peak-tflops F]\n"
               "         [--attention sdpa|explicit]\n",
               why.c_str());
  return 2;
}

bool positive(const char* text, int64_t& out) {
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || v < 1) return false;
  out = v;
  return true;
}

bool positive_list(const std::string& text, std::vector<int64_t>& out) {
  out.clear();
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    int64_t v = 0;
    if (!positive(item.c_str(), v)) return false;
    out.push_back(v);
  }
  return !out.empty();
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string json_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The parameters that are matrix products per token: all but the embedding lookup (the
// lm_head matrix counts, also when it is the tied embedding).
double matmul_parameters(const model::decoder_impl& m) {
  double n = static_cast<double>(model::parameter_count(m));
  const auto& c = m.config();
  const double embed = static_cast<double>(c.vocab_size) * static_cast<double>(c.hidden_size);
  return c.tie_word_embeddings ? n : n - embed;
}

int decode(const args& a, model::decoder& dec, const torch::Device& device) {
  const auto& c = dec->config();
  const double bytes_per_value = dec->options().dtype == torch::kBFloat16 ? 2.0 : 4.0;
  const double weight_bytes = static_cast<double>(model::parameter_count(*dec)) * bytes_per_value;
  for (int64_t batch : a.batches) {
    model::generation_params p;
    p.sampling = {1.0, 0, 1.0};
    p.max_new_tokens = a.new_tokens;
    p.max_batch = batch;
    std::vector<model::generation_request> reqs;
    for (int64_t i = 0; i < batch; ++i) {
      std::vector<int64_t> ids;
      for (int64_t j = 0; j < a.prompt; ++j) ids.push_back((i * 31 + j * 7) % c.vocab_size);
      reqs.push_back({ids, static_cast<uint64_t>(i)});
    }
    {  // warm-up: allocator, kernels, thread pool
      model::generation_params wp = p;
      wp.max_new_tokens = 2;
      if (!model::generation_engine(dec, wp).generate({reqs[0]})) return 1;
    }
    model::generation_engine engine(dec, p);
    synchronize(device);
    const auto t0 = clock_type::now();
    auto out = engine.generate(reqs);
    synchronize(device);
    const double seconds = seconds_since(t0);
    if (!out) {
      std::fprintf(stderr, "bench_device: %s\n", out.error().message().c_str());
      return 1;
    }
    const double tokens = static_cast<double>(engine.last_stats().generated_tokens);
    const double context = static_cast<double>(a.prompt) + static_cast<double>(a.new_tokens) / 2;
    const double kv_bytes = 2.0 * static_cast<double>(c.num_hidden_layers) *
                            static_cast<double>(c.num_key_value_heads) *
                            static_cast<double>(c.head_dim) * context * static_cast<double>(batch) *
                            bytes_per_value;
    std::string roofline;
    if (a.hbm_gbps > 0) {
      const double bound =
          static_cast<double>(batch) * a.hbm_gbps * 1e9 / (weight_bytes + kv_bytes);
      roofline = ",\"hbm_gbps\":" + json_number(a.hbm_gbps) +
                 ",\"roofline_tokens_per_s\":" + json_number(bound) +
                 ",\"roofline_share\":" + json_number(tokens / seconds / bound);
    }
    std::printf(
        "{\"bench\":\"decode\",\"device\":\"%s\",\"dtype\":\"%s\",\"attention\":\"%s\","
        "\"params\":%.0f,\"batch\":%lld,"
        "\"prompt\":%lld,\"new\":%lld,\"tokens\":%.0f,\"seconds\":%s,\"tokens_per_s\":%s%s}\n",
        a.device.c_str(), a.dtype.c_str(), attention_path(*dec),
        static_cast<double>(model::parameter_count(*dec)), static_cast<long long>(batch),
        static_cast<long long>(a.prompt), static_cast<long long>(a.new_tokens), tokens,
        json_number(seconds).c_str(), json_number(tokens / seconds).c_str(), roofline.c_str());
    std::fflush(stdout);
  }
  return 0;
}

int learn(const args& a, model::decoder& dec, const torch::Device& device) {
  const auto& c = dec->config();
  const int64_t batch = a.batches.front();
  const int64_t seq = a.seq;
  if (seq < 4) return usage("--seq: expected at least 4 tokens");
  torch::manual_seed(0);
  model::learner_micro_batch mb;
  mb.input_ids = torch::randint(0, c.vocab_size, {batch, seq}, torch::kLong).to(device);
  mb.attention_mask = torch::ones({batch, seq}, torch::kLong).to(device);
  auto mask = torch::zeros({batch, seq - 1});
  mask.narrow(1, seq / 2 - 1, seq - seq / 2).fill_(1);
  mb.response_mask = mask.to(device);
  mb.advantages = torch::randn({batch}).to(device);
  {
    torch::NoGradGuard no_grad;
    auto old =
        model::compute_log_probs(*dec, mb.input_ids, mb.attention_mask, 1.0, mb.response_mask);
    if (!old) {
      std::fprintf(stderr, "bench_device: %s\n", old.error().message().c_str());
      return 1;
    }
    mb.old_log_probs = *old;
  }
  auto opt = model::policy_optimizer::create(dec->named_parameters(), {});
  if (!opt) {
    std::fprintf(stderr, "bench_device: %s\n", opt.error().message().c_str());
    return 1;
  }
  model::policy_loss_config cfg;
  model::lr_schedule sched;
  const auto den = model::count_denominator(mb.response_mask);
  double timed = 0;
  for (int s = 0; s <= a.steps; ++s) {  // step 0 warms up
    synchronize(device);
    const auto t0 = clock_type::now();
    auto m = model::accumulate_gradients(*dec, mb, cfg, den, 1.0);
    if (!m) {
      std::fprintf(stderr, "bench_device: %s\n", m.error().message().c_str());
      return 1;
    }
    model::apply_optimizer_step(**opt, sched, 1.0);
    (*opt)->zero_grad();
    synchronize(device);
    if (s > 0) timed += seconds_since(t0);
  }
  const double per_step = timed / a.steps;
  const double tokens_per_s = static_cast<double>(batch * seq) / per_step;
  const double flops_per_token = 6.0 * matmul_parameters(*dec) +
                                 6.0 * static_cast<double>(c.num_hidden_layers) *
                                     static_cast<double>(seq) * static_cast<double>(c.hidden_size);
  std::string mfu;
  if (a.peak_tflops > 0) {
    mfu = ",\"peak_tflops\":" + json_number(a.peak_tflops) +
          ",\"mfu\":" + json_number(flops_per_token * tokens_per_s / (a.peak_tflops * 1e12));
  }
  std::printf(
      "{\"bench\":\"learn\",\"device\":\"%s\",\"dtype\":\"%s\",\"attention\":\"%s\","
      "\"params\":%.0f,\"batch\":%lld,"
      "\"seq\":%lld,\"steps\":%d,\"seconds_per_step\":%s,\"tokens_per_s\":%s,"
      "\"tflops\":%s%s}\n",
      a.device.c_str(), a.dtype.c_str(), attention_path(*dec),
      static_cast<double>(model::parameter_count(*dec)), static_cast<long long>(batch),
      static_cast<long long>(seq), a.steps, json_number(per_step).c_str(),
      json_number(tokens_per_s).c_str(), json_number(flops_per_token * tokens_per_s / 1e12).c_str(),
      mfu.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  args a;
  if (argc < 2) return usage("expected decode or learn");
  a.mode = argv[1];
  if (a.mode != "decode" && a.mode != "learn")
    return usage("expected decode or learn, got " + a.mode);
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) return usage(k + ": expects a value");
    const char* v = argv[++i];
    int64_t n = 0;
    if (k == "--model") {
      a.model = v;
    } else if (k == "--device") {
      a.device = v;
    } else if (k == "--dtype") {
      a.dtype = v;
    } else if (k == "--attention") {
      a.attention = v;
      if (a.attention != "sdpa" && a.attention != "explicit") {
        return usage("--attention: expected sdpa or explicit, got '" + a.attention + "'");
      }
    } else if (k == "--batch") {
      if (!positive_list(v, a.batches)) return usage("--batch: expected N or N,N,... (N >= 1)");
    } else if (k == "--prompt" || k == "--new" || k == "--seq" || k == "--steps") {
      if (!positive(v, n)) return usage(k + ": expected an integer >= 1, got '" + v + "'");
      if (k == "--prompt") a.prompt = n;
      if (k == "--new") a.new_tokens = n;
      if (k == "--seq") a.seq = n;
      if (k == "--steps") a.steps = static_cast<int>(n);
    } else if (k == "--hbm-gbps" || k == "--peak-tflops") {
      const double x = std::atof(v);
      if (!(x > 0)) return usage(k + ": expected a number > 0, got '" + v + "'");
      (k == "--hbm-gbps" ? a.hbm_gbps : a.peak_tflops) = x;
    } else {
      return usage("unknown option " + k);
    }
  }
  if (a.model.empty()) return usage("--model DIR is required");
  auto where = model::placement(a.device, a.dtype);
  if (!where) return usage(where.error().message());
  where->sdpa = a.attention == "sdpa";
  auto dec = model::load_decoder(a.model, *where);
  if (!dec) return usage("--model " + a.model + ": " + dec.error().message());
  (*dec)->eval();
  return a.mode == "decode" ? decode(a, *dec, where->device) : learn(a, *dec, where->device);
}
