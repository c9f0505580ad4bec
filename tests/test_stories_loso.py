"""The leave-one-set-out choice of story settings (`bench/stories_loso.py`), on made-up score tables."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
loso_bench = pytest.importorskip("stories_loso")


def _table(rows: dict[str, dict[str, tuple[float, float]]]) -> dict:
    """{set: {setting json: scores}} from {set: {threshold: (b3 f1, b3 p)}} (split_ratio 0.5)."""
    return {name: {json.dumps({"split_ratio": 0.5, "threshold": t}, sort_keys=True):
                   {"b3_f1": f, "b3_p": p, "pair_f1": f} for t, (f, p) in per.items()}
            for name, per in rows.items()}


def test_each_set_is_scored_with_the_setting_chosen_without_it():
    table = _table({
        "a": {0.1: (0.90, 1.0), 0.2: (0.80, 1.0)},
        "b": {0.1: (0.70, 1.0), 0.2: (0.75, 1.0)},
        "c": {0.1: (0.62, 1.0), 0.2: (0.70, 1.0)},
    })
    out = loso_bench.loso(table)
    # left out, a is scored at 0.2 (b and c prefer it), though 0.1 is a's own best
    assert out["a"]["setting"]["threshold"] == 0.2 and out["a"]["b3_f1"] == 0.80
    assert out["a"]["in_sample_best_b3_f1"] == 0.90
    assert out["b"]["setting"]["threshold"] == 0.1  # a and c: mean 0.76 against 0.75
    assert out["c"]["setting"]["threshold"] == 0.1 and out["c"]["b3_f1"] == 0.62
    assert out["_all"]["setting"]["threshold"] == 0.2  # all three: 0.75 against 0.74


def test_topic_sets_only_constrain_purity():
    table = _table({
        "stories-giveme5w1h-dev": {0.1: (0.95, 1.0), 0.2: (0.90, 1.0)},
        "wikiref220": {0.1: (0.99, 0.80), 0.2: (0.50, 0.99)},  # 0.1 merges topics: not allowed
    })
    assert json.loads(loso_bench.choose(table, list(table)))["threshold"] == 0.2
    # without the topic set the event set decides alone; the topic set's F1 never counts
    assert json.loads(loso_bench.choose(table, ["stories-giveme5w1h-dev"]))["threshold"] == 0.1


def test_ties_go_to_the_setting_that_does_least():
    keys = [{"split_ratio": s, "threshold": 0.13} for s in (0.5, 0.7)]
    table = {"x": {json.dumps(k, sort_keys=True): {"b3_f1": 0.9, "b3_p": 1.0, "pair_f1": 0.9} for k in keys}}
    assert json.loads(loso_bench.choose(table, ["x"]))["split_ratio"] == 0.5
