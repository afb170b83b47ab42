#!/usr/bin/env python3
"""Checks the outputs of tests/cli/math_recipe.sh (the tiny MATH recipe at -np 2).

usage: check_math_run.py WORK_DIR GOLDEN_JSONL
Prints "ok ..." lines and exits 0, or names the first failed check and exits 1.
"""
import filecmp
import glob
import json
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def check_prompts(work, golden_path):
    golden = [g for g in lines(golden_path) if "LEAD MATH train row 0" in g["source"]]
    if len(golden) != 1:
        fail(f"{golden_path}: expected one golden chat-template row for MATH train row 0")
    g = golden[0]
    rollouts = [r for p in sorted(glob.glob(f"{work}/rollouts/*.jsonl")) for r in lines(p)]
    if len(rollouts) != 2 * 8 * 4:
        fail(f"expected 64 dumped rollouts (2 steps x 8 prompts x 4), got {len(rollouts)}")
    row0 = [r for r in rollouts if r["id"] == "math-train-00000"]
    if len(row0) != 8:
        fail(f"expected row 0 in both steps, 4 rollouts each; got {len(row0)} rollouts")
    for r in row0:
        if r["prompt_ids"] != g["ids"]:
            fail(f"row 0 prompt ids differ from the golden encoding: {r['prompt_ids'][:12]}...")
        if r["prompt"] != g["decoded"]:
            fail("row 0 prompt text differs from the golden chat-template text")
    print(f"ok prompts: row 0 rendered as the golden encoding ({len(g['ids'])} ids), "
          f"{len(rollouts)} rollouts dumped")
    return rollouts


def check_grades(work, rollouts):
    regraded = lines(f"{work}/regraded.jsonl")
    if len(regraded) != len(rollouts):
        fail(f"leadrl grade gave {len(regraded)} rows for {len(rollouts)} rollouts")
    for r, g in zip(rollouts, regraded):
        if not isinstance(r["response"], str) or (r["length"] > 1 and not r["response"]):
            fail(f"step {r['step']} prompt {r['prompt_id']}: no decoded response text")
        if g.get("correct") != r["correct"]:
            fail(f"step {r['step']} prompt {r['prompt_id']}: graded {r['correct']} in training, "
                 f"{g.get('correct')} by leadrl grade")
        if not (r["truncated"] and r["length"] == 16):
            fail(f"step {r['step']} prompt {r['prompt_id']}: expected a truncated 16-token "
                 f"response, got truncated={r['truncated']} length={r['length']}")
    print(f"ok grades: {len(rollouts)} decoded responses graded as leadrl grade does, all "
          "truncated at the 16-token budget")


def check_metrics(work):
    rows = lines(f"{work}/metrics.jsonl")
    if [r["step"] for r in rows] != [1, 2]:
        fail(f"expected metrics of steps 1 and 2, got {[r['step'] for r in rows]}")
    for r in rows:
        for key in ("lead/lstar_mean", "lead/w_corr", "lead/w_eff", "response_length/clip_ratio"):
            if not isinstance(r.get(key), (int, float)):
                fail(f"step {r['step']}: {key} not logged")
        if r["lead/lstar_mean"] != 16 or r["response_length/clip_ratio"] != 1:
            fail(f"step {r['step']}: expected L* = bmax = 16 and clip ratio 1 (nothing solved), "
                 f"got {r['lead/lstar_mean']} and {r['response_length/clip_ratio']}")
    print(f"ok metrics: L* {[r['lead/lstar_mean'] for r in rows]}, "
          f"w_corr {[round(r['lead/w_corr'], 4) for r in rows]}")


def check_resume_and_export(work):
    def checksum(log):
        m = re.search(r"final parameter checksum ([0-9a-f]+)", open(log).read())
        if not m:
            fail(f"{log}: no final checksum")
        return m.group(1)
    a, b = checksum(f"{work}/run.log"), checksum(f"{work}/resume.log")
    if a != b:
        fail(f"resumed run ended with checksum {b}, the uninterrupted one with {a}")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if not filecmp.cmp(f"{work}/model/{name}", f"{work}/export/{name}", shallow=False):
            fail(f"export/{name} differs from the model's")
    scored = lines(f"{work}/score_out.jsonl")
    if len(scored) != 1 or not scored[0].get("count") or scored[0].get("sum", 0) >= 0:
        fail(f"leadrl score on the export: unexpected {scored}")
    print(f"ok resume: checksum {a} both ways; export: tokenizer files unchanged, scores "
          f"{scored[0]['count']} response tokens")


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    work, golden = sys.argv[1], sys.argv[2]
    rollouts = check_prompts(work, golden)
    check_grades(work, rollouts)
    check_metrics(work)
    check_resume_and_export(work)


if __name__ == "__main__":
    main()
