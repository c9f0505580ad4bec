"""The canonical copy of a duplicate group depends on content only: not on the order pages arrive in,
nor on their file names; and three batches in any order give what one run gives."""
from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config

from test_incremental import batches, snapshot

BODY = ("Britain is heading the wrong way on immigration and on the economy, opposition leader Michael Howard "
        "said on {day}, in a speech to party members in the north of England. He said the government had lost "
        "control of the borders and of public spending, and that his party would set out its own plans within weeks. "
        "Ministers dismissed the speech as a list of complaints without a single costed proposal.")
TITLES = ("UK heading wrong way - Howard", "UK heading wrong way, says Howard")


def _cfg(stories: bool = False) -> Config:
    cfg = Config(progress=False)
    cfg.steps.entities = False
    cfg.steps.stories = stories
    return cfg


def _titles(out: Path) -> list[str]:
    return sorted(a["title"] for a in pq.read_table(out / "articles.parquet").to_pylist())


@pytest.mark.parametrize("days", [("Monday", "Monday"), ("Monday", "Friday")], ids=["exact", "near"])
def test_equal_length_copies_take_the_canonical_by_content_whatever_the_order_and_file_names(tmp_path, days):
    """Two copies of equal text length (identical text, or one word of equal length changed) with
    different headlines: every arrival order and naming gives the same article."""
    pages = [f"{t}\n\n{BODY.format(day=d)}\n" for t, d in zip(TITLES, days)]
    assert len(pages[0]) != len(pages[1]) and len(BODY.format(day=days[0])) == len(BODY.format(day=days[1]))
    results = []
    for names in (("a.txt", "b.txt"), ("b.txt", "a.txt")):
        for order in ((0, 1), (1, 0)):
            case = tmp_path / f"{names[0]}-{order[0]}"
            out = case / "out"
            for i in order:  # one batch per page, in this order
                batch = case / f"batch{i}" / "wire"
                batch.mkdir(parents=True)
                (batch / names[i]).write_text(pages[i])
                newsfold.run([batch], out, _cfg())
            one = case / "one"
            for i in (0, 1):
                (case / "all" / "wire").mkdir(parents=True, exist_ok=True)
                (case / "all" / "wire" / names[i]).write_text(pages[i])
            newsfold.run([case / "all" / "wire"], one, _cfg())
            arts = pq.read_table(out / "articles.parquet").to_pylist()
            assert len(arts) == 1 and arts[0]["n_copies"] == 2
            assert _titles(one) == _titles(out)
            results.append((arts[0]["article_id"], arts[0]["title"], arts[0]["text"]))
    assert len(set(results)) == 1, results


def _mixed_inputs(seeds_dir: Path, shared_data: Path, root: Path) -> Path:
    """The seed pages, real articles of a few events (JSONL, one file per record so batches split them),
    and copies of seed pages and records under other names (duplicates that arrive in other batches)."""
    src = root / "src"
    shutil.copytree(seeds_dir, src / "seeds")
    records = [json.loads(line) for line in (shared_data / "stories-giveme5w1h-dev" / "articles.jsonl").open()]
    chosen = [r for r in records if r["cluster"] in ("2", "43", "9") and r.get("text")]
    assert len(chosen) >= 6
    (src / "wire").mkdir()
    for n, r in enumerate(chosen):
        rec = {k: r[k] for k in ("id", "title", "text", "outlet", "date", "url")}
        (src / "wire" / f"r{n:02d}.jsonl").write_text(json.dumps(rec) + "\n")
    first = chosen[0]
    again = dict(first, id="copy", title=first["title"] + " (update)", url=None)
    (src / "wire" / "zz-copy.jsonl").write_text(json.dumps({k: again[k] for k in ("id", "title", "text", "outlet", "date", "url")}) + "\n")
    shutil.copy(seeds_dir / sorted(p.name for p in seeds_dir.iterdir())[0], src / "wire" / "a-seed-copy.txt")
    return src


def test_three_batches_in_any_order_equal_one_run(seeds_dir, shared_data, tmp_path):
    src = _mixed_inputs(seeds_dir, shared_data, tmp_path)
    one = tmp_path / "one"
    newsfold.run([src], one, _cfg(stories=True))
    expected = snapshot(one)
    assert len(expected["groups"]) < sum(len(g) for g in expected["groups"])  # there are duplicates to fold
    parts = batches(src, tmp_path / "split", 3)
    for order in itertools.permutations(range(3)):
        out = tmp_path / ("inc" + "".join(map(str, order)))
        for b in order:
            newsfold.run([parts[b]], out, _cfg(stories=True))
        assert snapshot(out) == expected, order
