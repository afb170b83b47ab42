#!/usr/bin/python3
"""The learner step of bench_learner written as a PyTorch user would write it in eager mode,
to compare leadrl's learner with eager PyTorch on the same shapes and thread count.

The work per step matches bench/bench_learner.cpp: an HF-style Qwen2 decoder (RMSNorm,
rotary embeddings with theta 1e6, grouped-query attention with K/V repeated per head,
SwiGLU MLP), log-probs of the response tokens (only their rows go through lm_head, as
leadrl does), the PPO clipped loss with an entropy bonus
(0.001) and an MSE KL term (0.0005) against fixed reference log-probs, token-mean
aggregation, backward, gradient clipping at 1.0 and an AdamW step (lr 1e-6, weight decay
0.01). Weights are random; the first step warms up and is not timed.

    /usr/bin/python3 bench/eager_learner.py --model 100m --threads 1 --steps 2
    build/bench/bench_learner --model 100m --steps 2     # the same work in leadrl

Needs PyTorch (Debian: apt-get install python3-torch, the same 1.13.1 as the LibTorch
leadrl links). Prints one line per model in bench_learner's format. leadrl sets glibc's
malloc thresholds itself (base/allocator.hpp); for the same allocator behaviour here run
with GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296
(without it the small shapes spend most of their time faulting pages in).
"""
import argparse
import math
import resource
import time

import torch
import torch.nn.functional as F

MODELS = {
    # name: hidden, layers, heads, kv_heads, intermediate, vocab, tied, batch, seq, prompt, steps
    "demo": (64, 3, 4, 2, 192, 100, False, 64, 80, 24, 5),
    "tiny": (256, 4, 4, 2, 512, 64, False, 8, 128, 32, 5),
    "100m": (768, 12, 12, 2, 2048, 32000, True, 2, 256, 64, 2),
    "bpe": (64, 2, 4, 2, 128, 151936, False, 16, 140, 100, 5),
}


class RMSNorm(torch.nn.Module):
    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Layer(torch.nn.Module):
    def __init__(self, hidden, heads, kv_heads, inter):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.input_layernorm = RMSNorm(hidden)
        self.q_proj = torch.nn.Linear(hidden, hidden, bias=True)
        self.k_proj = torch.nn.Linear(hidden, kv_heads * self.head_dim, bias=True)
        self.v_proj = torch.nn.Linear(hidden, kv_heads * self.head_dim, bias=True)
        self.o_proj = torch.nn.Linear(hidden, hidden, bias=False)
        self.post_attention_layernorm = RMSNorm(hidden)
        self.gate_proj = torch.nn.Linear(hidden, inter, bias=False)
        self.up_proj = torch.nn.Linear(hidden, inter, bias=False)
        self.down_proj = torch.nn.Linear(inter, hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + mask
        attn = torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v
        x = x + self.o_proj(attn.transpose(1, 2).reshape(b, t, -1))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Decoder(torch.nn.Module):
    def __init__(self, hidden, layers, heads, kv_heads, inter, vocab, tied):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(vocab, hidden)
        self.layers = torch.nn.ModuleList(
            Layer(hidden, heads, kv_heads, inter) for _ in range(layers))
        self.norm = RMSNorm(hidden)
        self.lm_head = torch.nn.Linear(hidden, vocab, bias=False)
        if tied:
            self.lm_head.weight = self.embed_tokens.weight
        self.head_dim = hidden // heads

    def hidden(self, ids):
        t = ids.shape[1]
        inv = 1.0 / (1e6 ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        freqs = torch.outer(torch.arange(t).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x)


def log_probs_and_entropy(model, ids, rows):
    """Log-probs and entropies of the tokens at `rows`, flat indices into the [B, T-1]
    next-token grid: only the response tokens go through lm_head, as in leadrl."""
    h = model.hidden(ids)[:, :-1]
    logits = model.lm_head(h.reshape(-1, h.shape[-1]).index_select(0, rows)).float()
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, ids[:, 1:].reshape(-1)[rows, None]).squeeze(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    return logp, entropy


def run(name, threads, steps_override):
    hidden, layers, heads, kv, inter, vocab, tied, batch, seq, prompt, steps = MODELS[name]
    if steps_override > 0:
        steps = steps_override
    torch.manual_seed(0)
    model = Decoder(hidden, layers, heads, kv, inter, vocab, tied)
    params = sum(p.numel() for p in model.parameters())
    ids = torch.randint(0, vocab, (batch, seq))
    mask = torch.zeros(batch, seq - 1)
    mask[:, prompt - 1:] = 1
    rows = mask.reshape(-1).nonzero().squeeze(-1)
    adv = torch.randn(batch)[:, None].expand(batch, seq - 1).reshape(-1)[rows]
    t0 = time.perf_counter()
    with torch.no_grad():
        old_lp, _ = log_probs_and_entropy(model, ids, rows)
    lp_s = time.perf_counter() - t0
    ref_lp = old_lp
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6, weight_decay=0.01)
    fwd_bwd = opt_s = 0.0
    for s in range(steps + 1):
        t0 = time.perf_counter()
        logp, entropy = log_probs_and_entropy(model, ids, rows)
        ratio = torch.exp(logp - old_lp)
        pg = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2))
        kl = 0.5 * (logp - ref_lp).pow(2)
        per_token = pg - 0.001 * entropy + 0.0005 * kl
        loss = per_token.sum() / rows.numel()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t1 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        t2 = time.perf_counter()
        if s > 0:
            fwd_bwd += t1 - t0
            opt_s += t2 - t1
    per_step = (fwd_bwd + opt_s) / steps
    tokens = batch * seq
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"{name:<5} params {params / 1e6:6.1f}M  batch {batch:3d} x seq {seq:4d}  threads "
          f"{threads} | learner {tokens / per_step:9.0f} tok/s ({per_step:.3f} s/step: fwd+bwd "
          f"{fwd_bwd / steps:.3f}, optimizer {opt_s / steps:.3f}) | log-prob pass "
          f"{tokens / lp_s:9.0f} tok/s | peak RSS {rss:7.0f} MiB  [eager PyTorch "
          f"{torch.__version__}]")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="all", choices=["all", *MODELS])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=-1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for name in MODELS:
        if a.model in ("all", name):
            run(name, a.threads, a.steps)


if __name__ == "__main__":
    main()
