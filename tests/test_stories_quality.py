"""Quality gate for story grouping, out of sample.

Every story setting that ``bench/stories.py`` ranges over (``GRID``: threshold x split_ratio) is
chosen leaving one set out: for each set, the setting chosen on the *other* sets (the bench's
``leave_one_set_out.choices``) is run on it, and that score, the out-of-sample figure, is what the
floors here pin (a little under what the bench measures; see docs/stories.md).  The shipped default
is the choice on all the sets, and is gated in sample as well.  WikiRef220's groups are topics, not
events: it is gated on purity (a story must not span two topics) and on topics that hold many
events staying many stories.  The real sets fit in one chunk, so nothing closes in them: closing is
gated on a synthetic stream long enough to close stories.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from newsfold.stages.stories import StoryConfig, StoryGrouper
from storysets import load_story_set, load_wikiref

# set -> (the setting chosen without it, (pair F1 floor, BCubed F1 floor)).  Measured out of sample
# (bench/results/stories.json): giveme 95.5/96.7, ECB+ 85.2/90.1, Multi-News 73.5/87.1; the
# per-set oracles (best threshold per set, chosen on the gold) are TF-IDF 92.2/94.7, 82.2/87.9,
# 72.0/86.7 and MiniLM 93.5/95.7, 80.0/85.4, 67.3/84.3 (pair F1 / BCubed F1): every floor is above both.
OUT_OF_SAMPLE = {
    "stories-giveme5w1h-dev": ({"threshold": 0.13, "split_ratio": 0.8}, (0.95, 0.96)),
    "stories-ecbplus": ({"threshold": 0.13, "split_ratio": 0.5}, (0.845, 0.895)),
    "stories-multinews100": ({"threshold": 0.13, "split_ratio": 0.8}, (0.73, 0.87)),
}
# the shipped default (the choice on all sets: threshold 0.13, split_ratio 0.8) in sample:
# measured 95.5/96.7, 89.9/93.6, 73.5/87.1
IN_SAMPLE = {
    "stories-giveme5w1h-dev": (0.95, 0.96),
    "stories-ecbplus": (0.895, 0.93),
    "stories-multinews100": (0.73, 0.87),
}


def _f1s(gold: list[str], pred: list[str]) -> tuple[float, float, float]:
    """Pair F1, BCubed F1 and BCubed precision."""
    pairs = lambda labels: sum(v * (v - 1) // 2 for v in Counter(labels).values())  # noqa: E731
    tp, p, g = pairs(list(zip(gold, pred))), pairs(pred), pairs(gold)
    pp, pr = tp / p if p else 1.0, tp / g if g else 1.0
    gc, pc, jc = Counter(gold), Counter(pred), Counter(zip(gold, pred))
    bp = float(np.mean([jc[(x, y)] / pc[y] for x, y in zip(gold, pred)]))
    br = float(np.mean([jc[(x, y)] / gc[x] for x, y in zip(gold, pred)]))
    return 2 * pp * pr / (pp + pr), 2 * bp * br / (bp + br), bp


def _run(arts, config: StoryConfig) -> list[str]:
    grouper = StoryGrouper(config)
    grouper.add_many(arts)
    result = grouper.result(refine=True)
    return [result.assignments[a.article_id] for a in arts]


@pytest.mark.parametrize("name", sorted(OUT_OF_SAMPLE))
def test_stories_out_of_sample_floor(shared_data: Path, name: str):
    setting, (floor_pair, floor_b3) = OUT_OF_SAMPLE[name]
    arts, gold = load_story_set(shared_data / name)
    pair_f1, b3_f1, _ = _f1s(gold, _run(arts, StoryConfig(**setting)))
    assert pair_f1 >= floor_pair, f"{name} left out: pair F1 {pair_f1:.3f} fell below {floor_pair}"
    assert b3_f1 >= floor_b3, f"{name} left out: BCubed F1 {b3_f1:.3f} fell below {floor_b3}"


@pytest.mark.parametrize("name", sorted(IN_SAMPLE))
def test_stories_default_floor(shared_data: Path, name: str):
    arts, gold = load_story_set(shared_data / name)
    pair_f1, b3_f1, _ = _f1s(gold, _run(arts, StoryConfig()))
    floor_pair, floor_b3 = IN_SAMPLE[name]
    assert pair_f1 >= floor_pair, f"{name}: pair F1 {pair_f1:.3f} fell below {floor_pair}"
    assert b3_f1 >= floor_b3, f"{name}: BCubed F1 {b3_f1:.3f} fell below {floor_b3}"


def test_wikiref_topics_stay_pure_and_their_events_apart(shared_data: Path):
    """Stories never span topics (BCubed precision against topics, measured 0.987: the one story
    across two joins June 2012's Greek election and Greece's debt crisis), and a topic of many
    events over years (Michelle Obama, the Premier League; 14 stories each) is not one story."""
    arts, topics = load_wikiref(shared_data / "wikiref220")
    pred = _run(arts, StoryConfig())
    _, _, purity = _f1s(topics, pred)
    assert purity >= 0.97, f"stories span topics: BCubed precision {purity:.3f}"
    stories_of = defaultdict(set)
    for topic, story in zip(topics, pred):
        stories_of[topic].add(story)
    for topic in ("michelle.obama", "premier.league"):
        assert len(stories_of[topic]) >= 8, f"{topic}: its events fell into {len(stories_of[topic])} stories"


def test_stories_closing_on_a_stream_long_enough_to_close(shared_data: Path, tmp_path: Path):
    """Closing on a stream that closes stories (stale ones refined where in doubt, then spilled):
    10,000 synthetic articles over two years from ``bench/stories.py``'s generator (events made from
    the real sets' gold events, names made up).  Measured pair / BCubed F1 94.4 / 97.7; refining
    every closing story gave 93.9 / 96.9 and refining none 94.0 / 97.6 (docs/benchmarks.md, Stories)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import stories_scale as bench

    pairs = list(bench.synthetic_stream(10_000))
    arts, gold = [a for a, _ in pairs], [g for _, g in pairs]
    grouper = StoryGrouper(StoryConfig(), spill=tmp_path / "spill")
    grouper.add_many(iter(arts))
    assert len(grouper.state.closed.stories) > 1000  # the stream did close stories
    result = grouper.result(refine=True)
    pair_f1, b3_f1, _ = _f1s(gold, [result.assignments[a.article_id] for a in arts])
    assert pair_f1 >= 0.94, f"synthetic stream with closing: pair F1 {pair_f1:.3f} fell below 0.94"
    assert b3_f1 >= 0.975, f"synthetic stream with closing: BCubed F1 {b3_f1:.3f} fell below 0.975"
