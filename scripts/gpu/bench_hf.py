#!/usr/bin/env python3
"""transformers' generate on the model directory bench_device decodes, with the same
prompts: BATCH sequences of PROMPT tokens, id (i*31 + j*7) % vocab, exactly NEW new
tokens each (sampling at temperature 1, no top-k/top-p, min_new_tokens = NEW so that no
EOS ends a row early), prefill included. One JSON object per batch size on stdout, the
same keys as bench_device's decode lines. Exits 77 (skipped) without torch/transformers.

  bench_hf.py --model DIR --device cuda --dtype bfloat16 --batch 64,256 --prompt 128 --new 256
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bfloat16", choices=["float32", "bfloat16"])
    ap.add_argument("--batch", default="64")
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--new", type=int, default=128)
    a = ap.parse_args()
    try:
        import torch
        from transformers import AutoModelForCausalLM
    except ImportError as e:
        print(f"skipped: no torch/transformers ({e})")
        return 77
    dtype = torch.bfloat16 if a.dtype == "bfloat16" else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=dtype)
    except TypeError:  # transformers before the `dtype` keyword
        model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=dtype)
    model = model.to(a.device).eval()
    vocab = model.config.vocab_size
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)
    for batch in [int(b) for b in a.batch.split(",")]:
        ids = torch.tensor([[(i * 31 + j * 7) % vocab for j in range(a.prompt)] for i in range(batch)],
                           device=a.device)
        kwargs = dict(attention_mask=torch.ones_like(ids), do_sample=True, temperature=1.0, top_k=0,
                      top_p=1.0, pad_token_id=0)
        with torch.no_grad():
            model.generate(ids[:1], max_new_tokens=2, min_new_tokens=2, **kwargs)  # warm-up
            sync()
            t0 = time.perf_counter()
            out = model.generate(ids, max_new_tokens=a.new, min_new_tokens=a.new, **kwargs)
            sync()
            seconds = time.perf_counter() - t0
        tokens = (out.shape[1] - a.prompt) * batch
        print(json.dumps({"bench": "hf_generate", "device": a.device, "dtype": a.dtype, "batch": batch,
                          "prompt": a.prompt, "new": a.new, "tokens": tokens, "seconds": seconds,
                          "tokens_per_s": tokens / seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
