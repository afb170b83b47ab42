#!/usr/bin/env python3
"""Per-token log-prob agreement between leadrl and Hugging Face transformers.

Two steps around `leadrl score` (apps/score.cpp), so that leadrl runs from the shell
with the carried libraries and this script needs only json in the first step:

  compare_logprobs.py ids --model HF_DIR --out ids.jsonl
      writes {"ids": [...]} rows of random token ids below config.json's vocab_size
  leadrl score --model HF_DIR --input ids.jsonl --output lr_f32.jsonl --dtype float32
  leadrl score ... --dtype bfloat16 --output lr_bf16.jsonl
  compare_logprobs.py compare --model HF_DIR --ids ids.jsonl \
      --leadrl float32=lr_f32.jsonl --leadrl bfloat16=lr_bf16.jsonl [--device cuda]
      loads HF_DIR with AutoModelForCausalLM in each dtype, takes log-softmax in float32,
      and compares log p(ids[k+1] | ids[..k]) with leadrl's, token by token

Exit status of compare: 0 every dtype within its tolerance (float32 1e-4, bfloat16 2e-2,
max absolute difference), 1 a difference above it or a malformed input, 77 skipped
(no torch or transformers importable: the CPU rehearsal).
"""
import argparse
import json
import os
import random
import sys

TOLERANCE = {"float32": 1e-4, "bfloat16": 2e-2}


def make_ids(args):
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    vocab = int(config["vocab_size"])
    longest = int(config.get("max_position_embeddings", max(args.lengths)))
    rng = random.Random(args.seed)
    with open(args.out, "w") as out:
        for length in (min(n, longest) for n in args.lengths):
            out.write(json.dumps({"ids": [rng.randrange(vocab) for _ in range(length)]}) + "\n")
    print(f"{len(args.lengths)} rows of ids below vocab_size {vocab} in {args.out}")
    return 0


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def load_model(transformers, torch, path, dtype, device):
    kwargs = {"attn_implementation": "eager"}
    try:  # transformers >= 4.56 names it dtype; older releases torch_dtype
        model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs)
    except TypeError:
        model = transformers.AutoModelForCausalLM.from_pretrained(path, torch_dtype=dtype, **kwargs)
    # An older transformers may ignore the keyword: the dtype is set here either way.
    return model.to(device=device, dtype=dtype).eval()


def compare(args):
    try:
        import torch
        import transformers
    except ImportError as e:
        print(f"skipped: no transformers ({e})")
        return 77
    device = args.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {device}: torch sees no CUDA device")
        return 1
    # float32 means float32: no TF32 in the reference's matrix products.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")

    rows = [r["ids"] for r in read_jsonl(args.ids)]
    failed = False
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, {device}, "
          f"{len(rows)} rows, {sum(len(r) - 1 for r in rows)} scored tokens")
    print("| dtype | max abs diff | mean abs diff | tolerance | result |")
    print("| --- | --- | --- | --- | --- |")
    for spec in args.leadrl:
        dtype_name, _, path = spec.partition("=")
        if dtype_name not in TOLERANCE or not path:
            print(f"--leadrl {spec}: expected float32=FILE or bfloat16=FILE")
            return 1
        ours = [r.get("logprobs") for r in read_jsonl(path)]
        if len(ours) != len(rows) or any(o is None for o in ours):
            print(f"{path}: expected {len(rows)} rows with logprobs, got {len(ours)}")
            return 1
        model = load_model(transformers, torch, args.model, getattr(torch, dtype_name), device)
        worst, total, count = 0.0, 0.0, 0
        with torch.no_grad():
            for ids, lp in zip(rows, ours):
                x = torch.tensor([ids], device=device)
                logits = model(x).logits.float()
                ref = torch.log_softmax(logits[0, :-1], dim=-1).gather(1, x[0, 1:, None])[:, 0]
                if len(lp) != ref.numel():
                    print(f"{path}: a row of {len(ids)} ids has {len(lp)} log-probs, expected "
                          f"{ref.numel()}")
                    return 1
                diff = (ref.cpu().double() - torch.tensor(lp, dtype=torch.float64)).abs()
                worst = max(worst, diff.max().item())
                total += diff.sum().item()
                count += diff.numel()
        ok = worst <= TOLERANCE[dtype_name]
        failed |= not ok
        print(f"| {dtype_name} | {worst:.3g} | {total / count:.3g} | {TOLERANCE[dtype_name]:g} | "
              f"{'pass' if ok else 'FAIL'} |")
        del model
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ids", help="random id rows for leadrl score")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--lengths", type=int, nargs="+", default=[8, 17, 32, 48])
    p = sub.add_parser("compare", help="leadrl score output against transformers")
    p.add_argument("--model", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--leadrl", action="append", required=True, metavar="DTYPE=FILE")
    p.add_argument("--device", default="cpu")
    args = parser.parse_args()
    return make_ids(args) if args.command == "ids" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
