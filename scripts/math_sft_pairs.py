#!/usr/bin/env python3
"""Writes the data of the MATH smoke run (scripts/math_smoke.sh) from a MATH training split.

Picks the first COUNT problems whose prompt has at most --max-prompt-chars characters and
whose answer is short (at most --max-answer-chars characters), and writes
  OUT_DIR/sft.jsonl    {"id", "prompt", "response", "answer"}: SFT pairs whose response is
                       an R1-style thought of 1-4 sentences, then the answer in \\boxed{}
                       (the chat template already opened <think>);
  OUT_DIR/rl.jsonl     {"id", "prompt", "answer"}: the same problems, as RL prompts.
The lengths differ per problem, so the RL run sees correct answers of several lengths.
Usage: math_sft_pairs.py TRAIN.jsonl OUT_DIR [--count N] [--max-prompt-chars C]
"""
import argparse
import json
import os
import sys

SENTENCES = [
    "Let me read the problem carefully.",
    "I will set up the computation step by step.",
    "Now I simplify the expression and check the result.",
    "Checking once more, the result is consistent.",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train")
    ap.add_argument("out_dir")
    ap.add_argument("--count", type=int, default=32)
    ap.add_argument("--max-prompt-chars", type=int, default=200)
    ap.add_argument("--max-answer-chars", type=int, default=6)
    a = ap.parse_args()
    if a.count < 1:
        sys.exit("math_sft_pairs.py: --count: expected >= 1")
    rows = []
    with open(a.train, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                r = json.loads(line)
                prompt, answer = r["prompt"], str(r["answer"])
            except (ValueError, KeyError, TypeError) as e:
                sys.exit(f"math_sft_pairs.py: {a.train} line {n}: expected a JSON object with "
                         f"prompt and answer ({e})")
            if len(prompt) <= a.max_prompt_chars and len(answer) <= a.max_answer_chars:
                rows.append({"id": r.get("id", str(n)), "prompt": prompt, "answer": answer})
            if len(rows) == a.count:
                break
    if len(rows) < a.count:
        sys.exit(f"math_sft_pairs.py: {a.train}: only {len(rows)} problems fit the limits, "
                 f"expected {a.count}")
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "sft.jsonl"), "w", encoding="utf-8") as sft, \
         open(os.path.join(a.out_dir, "rl.jsonl"), "w", encoding="utf-8") as rl:
        for i, r in enumerate(rows):
            thought = " ".join(SENTENCES[: 1 + i % len(SENTENCES)])
            response = f"{thought}\n</think>\n\nThe final answer is $\\boxed{{{r['answer']}}}$."
            sft.write(json.dumps(dict(r, response=response)) + "\n")
            rl.write(json.dumps(r) + "\n")
    print(f"math_sft_pairs.py: {len(rows)} problems -> {a.out_dir}/sft.jsonl, rl.jsonl")


if __name__ == "__main__":
    main()
