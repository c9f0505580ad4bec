"""``compare`` (what a story's outlets share) equals the plain pair-by-pair comparison it replaced.

``compare`` compares each distinct shingle set once ("variants"); ``reference`` below compares
every pair of sentences of different articles, as the module did before.  Both must give the same
rows (groups, shared, shared_with) on hand-made cases and on every multi-article story of the real
story sets, with the default document-frequency cap and a tiny one (so the cap is hit)."""
from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest

from newsfold.stages.stories.compare import SentenceRow, compare, sentences
from newsfold.stages.stories.compare import _NORM_WORD  # noqa: PLC2701 - the very word rule compare uses

from storysets import load_story_set, load_wikiref


def shingles(sentence: str, n: int = 3) -> set[str]:
    words = _NORM_WORD.findall(sentence.lower().replace("’", "'"))
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i: i + n]) for i in range(len(words) - n + 1)}


def reference(members, min_similarity=0.8, min_words=6, max_df=200) -> list[SentenceRow]:
    rows = [SentenceRow(aid, outlet, no, s) for aid, outlet, sents in members for no, s in enumerate(sents)]
    if len(members) < 2:
        return rows
    sigs, owner = [], []
    for ai, (_, _, sents) in enumerate(members):
        for s in sents:
            sigs.append(shingles(s) if len(_NORM_WORD.findall(s)) >= min_words else set())
            owner.append(ai)
    postings = defaultdict(list)
    for i, sig in enumerate(sigs):
        for sh in sig:
            postings[sh].append(i)
    overlap = defaultdict(int)
    for lst in postings.values():
        if len(lst) < 2 or len(lst) > max_df:
            continue
        for x in range(len(lst)):
            for y in range(x + 1, len(lst)):
                if owner[lst[x]] != owner[lst[y]]:
                    overlap[(lst[x], lst[y])] += 1
    parent = list(range(len(rows)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for (i, j), n in sorted(overlap.items()):
        if n / min(len(sigs[i]), len(sigs[j])) >= min_similarity:
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    comps = defaultdict(list)
    for i in range(len(rows)):
        comps[find(i)].append(i)
    group_no = 0
    for root in sorted(comps):
        idx = comps[root]
        if len({owner[i] for i in idx}) < 2:
            continue
        keys = {i: rows[i].outlet or rows[i].article_id for i in idx}
        for i in idx:
            others = sorted({k for j, k in keys.items() if k != keys[i]})
            rows[i].group, rows[i].shared, rows[i].shared_with = group_no, bool(others), others
        group_no += 1
    return rows


def same(members, **kw) -> None:
    got = [dataclasses.astuple(r) for r in compare(members, **kw)]
    want = [dataclasses.astuple(r) for r in reference(members, **kw)]
    assert got == want


S1 = "The minister said the talks would resume in Geneva next week."
S2 = "Officials confirmed that the convoy reached the northern border at dawn."
S3 = "Nobody expected the river to rise so fast after the storm."
S4 = "İSTANBUL’S mayor met the governor’s aides on Tuesday."  # lower() adds a letter: counted as written


def test_repeated_sentences_link_across_articles_not_within_one():
    # u holds articles 0 and 1, v holds articles 0 and 2: every sentence is in one group
    members = [("a", "X", [S1, S2]), ("b", "Y", [S1]), ("c", "Z", [S2 + " Really."])]
    same(members)
    rows = compare(members)
    assert rows[0].group == rows[2].group and rows[0].shared_with == ["Y"]
    # a sentence an article repeats is shared each time another article holds it
    members = [("a", "X", [S1, S3, S1]), ("b", "Y", [S1 + " Again."])]
    same(members)
    assert [r.shared for r in compare(members)] == [True, False, True, True]
    members = [("a", "X", [S4, "Short one here."]), ("b", "Y", [S4.upper(), "Short one here."])]
    same(members)
    same(members, min_words=3)
    # a sentence repeated inside one article only is not shared
    members = [("a", "X", [S3, S3]), ("b", "Y", [S1])]
    same(members)
    assert not any(r.shared for r in compare(members))
    # two articles of one outlet share nothing with each other, but the group holds them
    members = [("a", "X", [S1]), ("b", "X", [S1]), ("c", None, [S1, S3])]
    same(members)
    rows = compare(members)
    assert rows[0].shared_with == ["c"] and rows[2].shared_with == ["X"]


@pytest.mark.parametrize("max_df", [200, 3])
def test_compare_equals_pairwise_on_real_stories(shared_data, max_df):
    checked = shared = 0
    for name in ("stories-giveme5w1h-dev", "stories-ecbplus", "stories-multinews100", "wikiref220"):
        arts, gold = load_wikiref(shared_data / name) if name == "wikiref220" else load_story_set(shared_data / name)
        by = defaultdict(list)
        for a, g in zip(arts, gold):
            by[g].append(a)
        for g, group in sorted(by.items()):
            # each article twice (a copy under another id and outlet): repeated sentences across articles
            members = [(a.article_id, a.outlet, sentences(a.text or "")) for a in group[:6]]
            members += [(m[0] + "-copy", "copy", m[2]) for m in members[:2]]
            same(members, max_df=max_df)
            checked += 1
            shared += sum(r.shared for r in compare(members, max_df=max_df))
    assert checked > 100 and shared > 500


def test_compare_equals_pairwise_on_random_stories():
    """Stories drawn from a few sentences and their variants (a clause added or cut), repeated
    across and within articles and outlets, with caps that cut some shingles: every way two
    variants can be held by the same or other articles."""
    import random

    rng = random.Random(5)
    base = [S1, S2, S3, S4]
    pool = base + [s[:-1] + ", officials said." for s in base] + [" ".join(s.split()[2:]) for s in base]
    for trial in range(300):
        members = []
        for k in range(rng.randint(2, 5)):
            sents = [rng.choice(pool) for _ in range(rng.randint(1, 4))]
            members.append((f"a{k}", rng.choice(["X", "Y", None]), sents))
        for max_df in (200, 4, 2):
            same(members, max_df=max_df)
