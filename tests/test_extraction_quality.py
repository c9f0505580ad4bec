"""Quality gate: cleaned article text against the hand-marked gold of big9-dev and fundus.

Floors are pinned a little below the scores measured with bench/extraction.py (see docs/benchmarks.md),
and above plain trafilatura's scores on the same pages (big9 F1 0.939, fundus F1 0.934), so a drop
in quality fails CI.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_extraction", REPO / "bench" / "extraction.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

# measured: big9 P 0.949 R 0.964 F1 0.954; fundus P 0.929 R 0.964 F1 0.941
FLOORS = {
    "big9": {"f1": 0.950, "precision": 0.944, "recall": 0.958},
    "fundus": {"f1": 0.937, "precision": 0.923, "recall": 0.958},
}
# per outlet on big9 (the outlets whose boilerplate repeats across pages): measured F1
BIG9_OUTLETS = {"arstechnica": 0.973, "bbc": 0.950, "cnn": 0.946, "forbes": 0.929, "foxnews": 0.973}
TRAFILATURA_BIG9 = {"arstechnica": 0.960, "bbc": 0.941, "cnn": 0.935, "forbes": 0.896, "foxnews": 0.963}


@pytest.mark.parametrize("name", ["big9", "fundus"])
def test_extraction_quality(name, shared_data, tmp_path):
    folder, pages = {"big9": bench.load_big9, "fundus": bench.load_fundus}[name](shared_data.parent)
    texts, _ = bench.run_newsfold(folder, pages, tmp_path / "out")
    scores = bench.score(pages, texts)
    for metric, floor in FLOORS[name].items():
        assert scores["all"][metric] >= floor, (name, metric, scores["all"][metric])
    if name == "big9":
        for outlet, measured in BIG9_OUTLETS.items():
            got = scores["outlets"][outlet]["f1"]
            assert got >= measured - 0.005, (outlet, got)
            assert got > TRAFILATURA_BIG9[outlet], (outlet, got, "must beat plain trafilatura")
