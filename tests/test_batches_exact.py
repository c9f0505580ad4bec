"""Three batches give one run's articles, duplicate groups and stories, also when a later batch
brings a copy that becomes the canonical copy of an article the story clusterer has clustered for
good (issue 10): a copy of equal length that wins the tie by content, under the same article id
(identical text, another headline, outlet or date) or another one (one word of equal length changed).

The stories' settings are small (chunks of 4, a reorder window of 8) so that a few dozen articles
cluster chunks for good between batches, as 5,000 articles do with the defaults.  Batch ``A`` holds
the earliest articles (the three pairs' first copies among them), ``B`` the seed pages (undated: they
sort last) and a later article, ``C`` the pairs' second copies and the latest articles; ``B`` and
``C`` together are too few to cluster anything, so no order of the batches brings an article that
sorts before a chunk clustered for good.  After ``A`` the pairs' articles are clustered; where ``C``
comes later its copies win the ties: all three (a new headline, a new id, a date past every article
clustered), or, the first two pairs swapped, the third only."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config
from test_incremental import snapshot

BODY = ("Britain is heading the wrong way on immigration and on the economy, opposition leader Michael Howard "
        "said on {day}, in a speech to party members in the north of England. He said the government had lost "
        "control of the borders and of public spending, and that his party would set out its own plans within weeks. "
        "Ministers dismissed the speech as a list of complaints without a single costed proposal.")
LEVY = ("The harbour board raised the mooring levy by a fifth on {day}, after a year in which storms damaged "
        "the north quay and two of the cranes. Fishermen said the rise would cost a small boat more than a month of "
        "landings, and the board agreed to hear them again before the spring. The levy pays for the quay repairs.")
RAIL = ("The night train from the capital to the coast will run again from {day}, the rail company said, after "
        "three years in which the line was closed for repairs to the viaduct over the estuary. Tickets go on sale this "
        "week, and the first trains will stop at every town on the way, as they did before the line closed.")
EARLY, LATE = "2012-03-05", "2018-02-10"
# copies of equal text length: identical text under two headlines (the article keeps its id), one word
# of equal length changed (the id follows the winning copy), and identical copies dated years apart
# (the article keeps its id, but moves in the stream past every article clustered)
PAIRS = {"same": (BODY, ("Monday", "Monday"), ("UK heading wrong way - Howard", "UK heading wrong way, says Howard"),
                  (EARLY, EARLY)),
         "near": (LEVY, ("Monday", "Friday"), ("Harbour levy up a fifth - board", "Harbour levy up a fifth, says board"),
                  (EARLY, EARLY)),
         "moved": (RAIL, ("Monday", "Monday"), ("Night train to the coast returns",) * 2, (EARLY, LATE))}
FIELDS = ("id", "title", "text", "outlet", "date", "url")


def _cfg(close: bool) -> Config:
    cfg = Config(progress=False)
    cfg.steps.entities = False
    cfg.stories.chunk_size = 4
    cfg.stories.reorder_window = 8
    if not close:  # the pairs' story stays open: its member and centroid change, not a spilled row
        cfg.stories.close_days = 0
        cfg.stories.max_open_days = 0
    return cfg


def _record(path: Path, rec: dict) -> None:
    path.write_text(json.dumps({k: rec.get(k) for k in FIELDS}) + "\n")


def _batches(seeds_dir: Path, shared_data: Path, root: Path, swap: bool) -> tuple[Path, list[Path]]:
    """The inputs in one folder, and the same files (same relative paths) in batches A, B, C."""
    records = [json.loads(line) for line in (shared_data / "stories-giveme5w1h-dev" / "articles.jsonl").open()]
    dated = sorted((r for r in records if r.get("text") and r.get("date")), key=lambda r: (r["date"], r["id"]))
    early, late = dated[:12], dated[-3:]
    files: dict[str, list[tuple[str, object]]] = {"A": [], "B": [], "C": []}
    for n, r in enumerate(early):
        files["A"].append((f"r{n:02d}.jsonl", r))
    for n, r in enumerate(late[:1]):
        files["B"].append((f"s{n:02d}.jsonl", r))
    for n, r in enumerate(late[1:]):
        files["C"].append((f"t{n:02d}.jsonl", r))
    # two pairs of equal-length copies, dated before everything: one of identical text (the same
    # article id whichever wins), one with a word of equal length changed (the id follows the winner)
    for pair, (body, days, titles, dates) in PAIRS.items():
        assert len(body.format(day=days[0])) == len(body.format(day=days[1]))
        copies = [{"id": f"{pair}{i}", "title": titles[i], "text": body.format(day=days[i]), "outlet": f"wire{i}",
                   "date": dates[i], "url": None} for i in (0, 1)]
        if swap and pair != "moved":  # (the copy dated later, in A, would leave a pending article that
            copies.reverse()             # C moves back before the clustered ones: a late article)
        files["A"].append((f"{pair}-a.jsonl", copies[0]))
        files["C"].append((f"{pair}-c.jsonl", copies[1]))
    for p in sorted(seeds_dir.iterdir()):
        files["B"].append((p.name, p))
    src = root / "all" / "news"
    parts = []
    for name, entries in files.items():
        part = root / name / "news"
        for folder in (src, part):
            folder.mkdir(parents=True, exist_ok=True)
            for fname, what in entries:
                if isinstance(what, Path):
                    shutil.copy(what, folder / fname)
                else:
                    _record(folder / fname, what)
        parts.append(part)
    return src, parts


def _is_pair(title: str) -> bool:
    return any(title in titles for _, _, titles, _ in PAIRS.values())


# every order: in the first three, C comes after the pairs' articles are clustered for good
ORDERS = {"ABC": (0, 1, 2), "BAC": (1, 0, 2), "ACB": (0, 2, 1), "CBA": (2, 1, 0), "BCA": (1, 2, 0), "CAB": (2, 0, 1)}


@pytest.mark.parametrize("swap, close, orders", [
    (False, True, tuple(ORDERS)),  # batch C's copies win; the pairs' stories are closed by then
    (False, False, ("ABC", "BAC")),  # ... open (chunks never close stories)
    (True, True, ("ABC", "CBA")),  # the first two pairs swapped: batch A's copies win those
], ids=["c-copies-win-closed", "c-copies-win-open", "swapped-closed"])
def test_three_batches_in_any_order_give_one_runs_stories(seeds_dir, shared_data, tmp_path, swap, close, orders):
    src, parts = _batches(seeds_dir, shared_data, tmp_path, swap)
    cfg = _cfg(close)
    one = tmp_path / "one"
    newsfold.run([src], one, cfg)
    want = snapshot(one)
    pairs = {a["title"]: a for a in pq.read_table(one / "articles.parquet").to_pylist() if _is_pair(a["title"])}
    assert len(pairs) == 3 and all(a["n_copies"] == 2 for a in pairs.values())
    # which copy wins each tie, and so what batch C changes where it comes after A
    from_c = {t for t, a in pairs.items() if a["source"].split("/")[-1].startswith(tuple(f"{p}-c" for p in PAIRS))}
    assert from_c == (set(pairs) if not swap else {"Night train to the coast returns"})
    assert pairs["Night train to the coast returns"]["published"] == LATE
    assert len(want["stories"]) > 10
    for name in orders:
        order = ORDERS[name]
        out = tmp_path / f"inc-{name}"
        for i, b in enumerate(order):
            newsfold.run([parts[b]], out, cfg)
            if 0 in order[:i + 1] and 2 not in order[:i + 1]:  # C still to come: the pairs are clustered for good
                pending = set(pq.read_table(out / "current" / "state" / "stories" / "pending.parquet")
                              .column("article_id").to_pylist())
                now = snapshot(out, stories=False)["articles"]
                assert pending and not pending & {aid for aid, a in now.items() if _is_pair(a[0])}, name
        got = snapshot(out)
        for key in want:
            assert got[key] == want[key], (name, key)


# --- the clusterer's side: replace and drop, on a stream whose stories close -----------------------

def _infos(result) -> list[tuple]:
    return sorted((s.story_id, s.label, tuple(s.article_ids), tuple(s.outlets), s.first_seen, s.last_seen,
                   len(s.sentences)) for s in result.stories)


@pytest.mark.parametrize("close_days", [0, 5], ids=["open", "closed"])
@pytest.mark.parametrize("change", ["headline", "merged"])
def test_replace_and_drop_give_the_stream_one_run_makes(tmp_path, change, close_days):
    """A clustered article (its story's seed) gets another canonical copy: another id and headline
    (``replace``), or its group merges into another clustered article (``drop``).  After a save and a
    load, the document frequencies, the stories, their ids (after their new seed) and rows are those
    of one stream with the new article where the old one was (or without the old one)."""
    import dataclasses

    from newsfold.stages.stories import StoryConfig, StoryGrouper
    from newsfold.stages.stories.features import BLOCKS
    from test_stories import _event_articles

    cfg = StoryConfig(close_days=close_days, max_open_days=0 if close_days == 0 else 180.0)
    arts = _event_articles(6, 20)
    old = arts[0]
    if change == "headline":
        new = dataclasses.replace(old, article_id="e00-0b", title=old.title + " at last", outlet="O9")
        stream = [new if a is old else a for a in arts]
    else:
        new = arts[1]
        stream = arts[1:]
    one = StoryGrouper(cfg)
    one.add_many(stream, batch_size=3)
    g = StoryGrouper(cfg, spill=tmp_path / "spill")
    g.add_many(arts, batch_size=3)
    assert (old.article_id in g.state.closed.members) == bool(close_days)
    g.save(tmp_path / "s1")
    g = StoryGrouper.load(tmp_path / "s1", spill=tmp_path / "spill1")
    g.result()  # reports every change so far
    sid = g.replace(old, new)
    assert sid == one.state.story_of(new.article_id) != "s" + old.article_id
    g.save(tmp_path / "s2")
    g = StoryGrouper.load(tmp_path / "s2", spill=tmp_path / "spill2")
    assert g.state.n_docs == one.state.n_docs
    assert all(np.array_equal(g.state.df[b], one.state.df[b]) for b in BLOCKS)
    part = g.result(only=set())  # the changed story's rows, and the old story id among the replaced
    assert sid in {s.story_id for s in part.stories} and "s" + old.article_id in part.replaced
    g = StoryGrouper.load(tmp_path / "s2", spill=tmp_path / "spill3")
    want, got = one.result(), g.result()
    assert got.assignments == want.assignments
    assert _infos(got) == _infos(want)
