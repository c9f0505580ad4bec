"""MinHash signatures per second: the numpy path against the torch path (stages/dedup/torch_hash.py).

    python bench/gpu.py [--n 20000] [--words 400] [--repeat 3] [--slot-bits 8]

On N generated texts (Zipf-distributed words, ~``--words`` words each, a few non-Latin ones), the
same ``MinHasher`` settings (the defaults: 512 slots of 8 bits, 5-word shingles) are run on numpy
(``device="cpu"``), on torch on the CPU (``device="torch-cpu"``) and, when torch sees CUDA, on torch
on CUDA (``device="cuda"``, after one warm-up batch).  Each path's best of ``--repeat`` runs is
printed as wall seconds, CPU seconds of the process (steadier on a shared machine), signatures/s
and the ratio to numpy, and its slots are checked to be identical to numpy's.
Tokenization runs on the CPU in every path, so it bounds what a device can gain; ``tokenize``
prints its share.  Needs torch (CPU wheels are enough).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def generate(n: int, words: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(50_000)] + ["Über", "straße", "Москва", "北京", "ΑΘΗΝΑ"])
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    lens = np.maximum(1, rng.normal(words, words / 3, n).astype(int))
    ids = rng.choice(len(vocab), size=int(lens.sum()), p=p)
    out, at = [], 0
    for m in lens.tolist():
        out.append(" ".join(vocab[ids[at: at + m]].tolist()))
        at += m
    return out


def best(fn, repeat: int) -> tuple[float, float, np.ndarray]:
    """The best wall seconds, the best CPU seconds of this process, and the result."""
    times, cpu, res = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        res = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(times), min(cpu), res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--slot-bits", type=int, default=8)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)

    from newsfold.config import DedupConfig
    from newsfold.stages.dedup import torch_hash
    from newsfold.stages.dedup.minhash import MinHasher
    from newsfold.stages.dedup.tokenize import tokenize

    if not torch_hash.torch_available():
        print("torch is not installed: nothing to compare (pip install torch)")
        return 1
    import torch

    texts = generate(args.n, args.words)
    mb = sum(map(len, texts)) / 1e6
    cfg = DedupConfig(slot_bits=args.slot_bits)
    print(f"{args.n} texts, {mb:.1f} MB, ~{args.words} words each; {cfg.num_perm} slots x {cfg.slot_bits} bits, "
          f"{cfg.shingle}-word shingles; torch {torch.__version__}, {torch.get_num_threads()} CPU threads; best of {args.repeat}")

    base = MinHasher(cfg, device="cpu")
    t_np, c_np, want = best(lambda: base.signatures(texts), args.repeat)
    chunk = base._chunk_bytes * 16  # the torch path's chunk
    def tok_only():
        i = 0
        while i < len(texts):
            j, size = i, 0
            while j < len(texts) and (size < chunk or j == i):
                size += len(texts[j]) + 1
                j += 1
            tokenize(texts[i:j])
            i = j
    t_tok, c_tok, _ = best(tok_only, args.repeat)
    rows = [{"path": "numpy (cpu)", "seconds": t_np, "cpu_seconds": c_np, "sigs_per_s": args.n / t_np, "ratio": 1.0,
             "identical": True}]
    paths = [("torch (cpu)", "torch-cpu")]
    if torch_hash.cuda_available():
        paths.append((f"torch (cuda: {torch.cuda.get_device_name(0)})", "cuda"))
    for name, device in paths:
        h = MinHasher(cfg, device=device)
        h.signatures(texts[:200])  # warm-up (CUDA context, kernels)
        def run():
            out = h.signatures(texts)
            if device == "cuda":
                torch.cuda.synchronize()
            return out
        t, c, got = best(run, args.repeat)
        rows.append({"path": name, "seconds": t, "cpu_seconds": c, "sigs_per_s": args.n / t, "ratio": t_np / t,
                     "identical": bool(np.array_equal(got, want))})
    print(f"{'path':<40} {'wall s':>8} {'CPU s':>8} {'sigs/s':>10} {'x numpy':>8}  identical")
    for r in rows:
        print(f"{r['path']:<40} {r['seconds']:8.2f} {r['cpu_seconds']:8.2f} {r['sigs_per_s']:10,.0f} {r['ratio']:8.2f}"
              f"  {r['identical']}")
    print(f"tokenize alone (CPU, every path): {t_tok:.2f} s wall, {c_tok:.2f} s CPU = {c_tok / c_np:.0%} of the numpy "
          "path's CPU time")
    if not torch_hash.cuda_available():
        print("no CUDA device here: the GPU figures could not be measured in this run "
              "(run this script where torch.cuda.is_available() for them)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"n": args.n, "words": args.words, "slot_bits": args.slot_bits, "tokenize_s": t_tok,
                       "tokenize_cpu_s": c_tok,
                       "cuda": torch_hash.cuda_available(), "rows": rows}, f, indent=2)
    return 0 if all(r["identical"] for r in rows) else 2


if __name__ == "__main__":
    sys.exit(main())
