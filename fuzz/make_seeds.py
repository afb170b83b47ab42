#!/usr/bin/env python3
"""Writes the seed corpus of one libFuzzer target into a folder, from real files.

    fuzz/make_seeds.py TARGET OUT_DIR [--shared DIR]

Seeds are small: a few rows of each JSONL file, tokenizers cut down to a few hundred
entries, safetensors files with a handful of tiny tensors, and the real files' headers.
They are generated on each run rather than committed. scripts/fuzz.sh calls this; the
snapshot and tokenizer targets also write seeds of their own (LEADRL_FUZZ_WRITE_SEEDS).
"""
import argparse
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(out, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def read(path, limit=None):
    with open(path, "rb") as f:
        return f.read() if limit is None else f.read(limit)


def first_lines(path, n):
    with open(path, "rb") as f:
        return b"".join(f.readline() for _ in range(n))


def safetensors_bytes(tensors, metadata=None, pad=True):
    """tensors: [(name, dtype, shape, raw bytes)] -> the file's bytes."""
    header, offset, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def seeds_safetensors(out, shared):
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.25)
    bf16 = bytes([0x80, 0x3F, 0x00, 0x40])
    i64 = struct.pack("<2q", 7, -1)
    small = [("model.norm.weight", "F32", [4], f32), ("lm_head.weight", "BF16", [1, 2], bf16),
             ("step", "I64", [2], i64), ("empty", "U8", [0], b""), ("scalar", "F64", [], struct.pack("<d", 1.5))]
    write(out, "single", b"FILE" + safetensors_bytes(small, {"format": "pt"}))
    write(out, "single_nometa", b"FILE" + safetensors_bytes(small[:2]))
    write(out, "single_unpadded", b"FILE" + safetensors_bytes(small[2:], pad=False))
    shard1 = safetensors_bytes(small[:2], {"format": "pt"})
    shard2 = safetensors_bytes(small[2:], {"format": "pt"})
    index = {"metadata": {"total_size": len(f32) + len(bf16) + len(i64) + 8},
             "weight_map": {n: "model-0000%d-of-00002.safetensors" % (1 if i < 2 else 2)
                            for i, (n, _, _, _) in enumerate(small)}}
    write(out, "sharded", b"INDEX" + json.dumps(index, indent=2).encode() + b"\n#SHARD#\n" + shard1 +
          b"\n#SHARD#\n" + shard2)
    # The real tiny model's header (its data section cut off) and the header alone with its
    # tensors scaled down to one element each, so that the file is complete.
    real = os.path.join(shared, "data/models/verl-tiny-llama-random/model.safetensors")
    if os.path.exists(real):
        head = read(real, 8)
        (n,) = struct.unpack("<Q", head)
        header = json.loads(read(real, 8 + n)[8:])
        write(out, "real_header_cut", b"FILE" + read(real, 8 + n + 64))
        tensors = []
        for name, e in header.items():
            if name == "__metadata__":
                continue
            size = {"F32": 4, "BF16": 2, "F16": 2, "I64": 8}.get(e["dtype"], 1)
            tensors.append((name, e["dtype"], [1] * len(e["shape"]), b"\x01" * size))
        write(out, "real_names", b"FILE" + safetensors_bytes(tensors, header.get("__metadata__")))


def tiny_tokenizer(path, keep=400):
    """A tokenizer.json of the same kinds as `path` with its vocabulary cut to `keep` ids."""
    t = json.loads(read(path))
    vocab = {k: v for k, v in t["model"]["vocab"].items() if v < keep}
    merges = []
    for m in t["model"]["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(m)
    t["model"]["vocab"] = vocab
    t["model"]["merges"] = merges
    remap = {}
    added = []
    for i, a in enumerate(t["added_tokens"][:8]):
        remap[a["id"]] = keep + i
        added.append(dict(a, id=keep + i))
    t["added_tokens"] = added
    pp = t.get("post_processor")
    if pp and pp.get("type") == "TemplateProcessing":
        for st in pp.get("special_tokens", {}).values():
            st["ids"] = [remap.get(i, keep) for i in st["ids"]]
    return json.dumps(t, ensure_ascii=False)


def tiny_tokenizer_config(path):
    c = json.loads(read(path))
    c.pop("chat_template", None)
    c.pop("added_tokens_decoder", None)
    return json.dumps(c, ensure_ascii=False)


def seeds_tokenizer(out, shared):
    text = "Hello world, 12 + 30 = 42.\n<think>\u00e9t\u00e9 \u4f60\u597d</think> \\boxed{42}"
    for name in ("deepseek-r1-distill-qwen", "qwen3"):
        folder = os.path.join(shared, "data/tokenizers", name)
        tok = os.path.join(folder, "tokenizer.json")
        if not os.path.exists(tok):
            continue
        small = tiny_tokenizer(tok)
        config = tiny_tokenizer_config(os.path.join(folder, "tokenizer_config.json"))
        write(out, name + "_tiny", small + "\x1f" + config + "\x1f" + text)
        write(out, name + "_tiny_noconfig", small)


def seeds_hf_config(out, shared):
    real = os.path.join(shared, "data/models/verl-tiny-llama-random/config.json")
    if os.path.exists(real):
        write(out, "tiny_llama", read(real))
    write(out, "qwen2", json.dumps({
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 32,
        "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 100, "max_position_embeddings": 128,
        "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
        "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": [2, 3],
        "rope_scaling": None, "hidden_act": "silu", "head_dim": 8}, indent=2))


def seeds_config(out, shared):
    configs = os.path.join(ROOT, "configs")
    overrides = ["algorithm.lead_beta=0.5", "--rollout.n=2", "trainer.total_steps=3",
                 "data.task=arith"]
    for name in sorted(os.listdir(configs)):
        if name.endswith(".ini"):
            write(out, name, read(os.path.join(configs, name)))
            write(out, name + "_overrides", read(os.path.join(configs, name)) + b"\x1f" +
                  "\n".join(overrides).encode())


def seeds_problems(out, shared):
    for rel in ("math/train.jsonl", "math/test.jsonl", "eval/aime24.jsonl", "eval/math500.jsonl",
                "eval/amc23.jsonl", "eval/olympiadbench.jsonl"):
        path = os.path.join(shared, "data", rel)
        if os.path.exists(path):
            rows = first_lines(path, 3)
            stem = rel.replace("/", "_")
            write(out, stem, b"\x00" + rows)      # answers required
            write(out, stem + "_opt", b"\x05" + rows)  # answers optional, problem field
    write(out, "sft", b"\x02" + json.dumps({"id": "a", "prompt": "1+1=", "answer": 2,
                                            "response": "2"}).encode() + b"\n")


def seeds_eval_files(out, shared):
    base = {"format": "leadrl-eval-results", "version": 1, "protocol": "paper",
            "sampling": {"temperature": 0.6, "top_p": 0.95, "max_new_tokens": 1024,
                         "max_batch": 64, "seed": 1},
            "limit": 0, "benchmarks": [{"name": "math500", "n": 4, "problems": 500}],
            "base": {"model": "base", "source": "this run",
                     "benchmarks": {"math500": {"n": 4, "problems": 500, "accuracy": 0.8,
                                                "mean_length": 3000.5, "truncated": 2}}},
            "models": []}
    write(out, "results", b"\x00" + json.dumps(base, indent=2).encode())
    write(out, "csv", b"\x01model,dataset,n,problems,pass_at_1,mean_length,aes,acc_delta,len_delta\n"
          b"base,math500,4,500,0.8,3000.5,,0,0\n\"lead, v2\",math500,4,500,0.79,2000,0.3,-0.01,-0.33\n")
    log = [{"step": 1, "critic/accuracy": 0.25, "lead/w_corr": 0.7, "timing/step": None},
           {"step": 2, "critic/accuracy": 0.31, "lead/w_corr": 0.71}]
    write(out, "run_log", b"\x02" + "\n".join(json.dumps(r) for r in log).encode() + b"\n")


def seeds_chat_template(out, shared):
    for i, spec in enumerate(["r1_distill", "chatml", "plain",
                              "<|im_start|>user\\n{prompt}<|im_end|>\\n<|im_start|>assistant\\n",
                              "\\tQ: {prompt}\\\\A:"]):
        write(out, "spec%d" % i, spec)


def seeds_snapshot(out, shared):
    path = os.path.join(ROOT, "tests/data/snapshot_v010_bbd5589_step1.h5")
    if os.path.exists(path):
        write(out, "v010_step1", read(path))


def seeds_grader(out, shared):
    for i, s in enumerate([b"\x00The answer is \\boxed{\\frac{1}{2}}.\x1f0.5",
                           b"\x01So $\\boxed{(-\\infty, 0) \\cup \\{1\\}}$\x1f(-\\infty,0)\\cup\\{1\\}",
                           b"\x02<think>x</think> The answer is $2\\sqrt{2}$.\x1f\\sqrt{8}",
                           b"\x00\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}\x1f(1,2)",
                           b"\x08\\boxed{x = 1 \\pm \\sqrt{3}}\x1f1+\\sqrt3, 1-\\sqrt3"]):
        write(out, "seed%d" % i, s)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("target")
    p.add_argument("out")
    p.add_argument("--shared", default=os.environ.get("LEADRL_SHARED", os.path.join(ROOT, "../shared")))
    a = p.parse_args()
    name = a.target[len("fuzz_"):] if a.target.startswith("fuzz_") else a.target
    fn = globals().get("seeds_" + name)
    if fn is None:
        sys.exit("make_seeds.py: no seeds for target " + a.target)
    os.makedirs(a.out, exist_ok=True)
    fn(a.out, a.shared)


if __name__ == "__main__":
    main()
