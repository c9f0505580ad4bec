"""``Featurizer.featurize`` (memos per call, one numpy count per block, runs found from their
capital) gives, to the bit, what a plain reading of the rules gives: the reference below takes
each text token by token, with the regexes as the rules state them, and counts with ``Counter``
and ``math.log``.  Checked on the real story sets' texts and on made-up texts that hit the rules'
corners (particles, sentence starts, apostrophes, spaced numbers, languages)."""
from __future__ import annotations

import dataclasses
import math
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np

from newsfold.records import Article
from newsfold.stages.stories import StoryConfig
from newsfold.stages.stories.features import (BLOCKS, Featurizer, capitalised_entities, content, day_ordinal,
                                              feature_id, language_seed, quote_shingles)
from newsfold.stages.stories.tokens import STOP, stop_words
from storysets import load_story_set, load_wikiref

# --- the reference: the rules as written, one token at a time
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
NUMBER = re.compile(r"\d+(?:[.,:]\s?\d+)*")
CAP = r"(?:(?:al|el|ad|as|ash|ibn|bin|de|van|von|da|di|du|la|le)[-’'])?[A-Z][\w’'.&-]*"
ENTITY = re.compile(rf"{CAP}(?:\s+(?:of|the|de|del|da|al|bin|van|von|la|for|and|&)?\s*{CAP})*")
SENT_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n\s*)$")
PARTICLE = re.compile(r"^(?:al|el|ad|as|ash|ibn|bin|de|van|von|da|di|du|la|le)[-’']", re.I)


def ref_words(text: str, stop: frozenset) -> list[str]:
    out = []
    for m in WORD.finditer(text.lower()):
        tok = m.group().replace("’", "'")
        if tok.startswith(("al-", "el-")):
            tok = tok[3:]
        if tok.endswith("'s"):
            tok = tok[:-2]
        if len(tok) >= 2 and tok not in stop:
            out.append(tok)
    return out


def ref_key(span: str) -> str:
    return " ".join(w.strip(".'’-&").lower() for w in span.split()).strip()


def ref_entities(text: str) -> list[str]:
    out = []
    for m in ENTITY.finditer(text):
        parts = m.group(0).split()
        if SENT_START.search(text[max(0, m.start() - 3): m.start()]) or m.start() == 0:
            while parts and parts[0].lower().strip(".'’") in STOP:
                parts = parts[1:]
        while parts and parts[-1].lower() in {"of", "the", "and", "for", "&"}:
            parts = parts[:-1]
        if not parts:
            continue
        key = ref_key(" ".join(parts))
        if not key or key in STOP:
            continue
        singles = [ref_key(PARTICLE.sub("", p)) for p in parts]
        singles = [s for s in singles if len(s) > 1 and s not in STOP]
        if len(parts) > 1:
            out.append("E:" + key)
        out += ["E:" + s for s in singles]
    return out


def ref_hashed(feats: list[str], block: str, mask: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    counts: Counter[int] = Counter()
    for f, c in Counter(feats).items():
        counts[feature_id(f, block, mask, seed)] += c
    ids = np.array(sorted(counts), np.uint32)
    return ids, np.array([1.0 + math.log(counts[i]) for i in ids.tolist()], np.float32)


def ref_featurize(config: StoryConfig, articles: list[Article]) -> list[tuple]:
    out, mask, titler = [], (1 << config.hash_bits) - 1, Featurizer(config)
    for art in articles:
        text = content(art.text or "") if config.strip_url_lines else (art.text or "")
        title = titler.title(art, text)
        lang = art.language if config.language_features else None
        stop, seed = stop_words(lang), language_seed(lang)
        body = ref_words(text, stop)
        if config.body_bigrams:
            body += [f"{a} {b}" for a, b in zip(body, body[1:])]
        feats = {"body": body, "entities": ref_entities(f"{title}\n{text}"),
                 "numbers": [re.sub(r"\s", "", n) for n in NUMBER.findall(f"{title}\n{text}")],
                 "title": ref_words(title, stop), "quotes": quote_shingles(text) if config.quote_bonus else []}
        blocks = {b: ref_hashed(feats[b], b, mask, seed) for b in BLOCKS}
        blocks["quotes"] = tuple(x[: config.quote_shingles] for x in blocks["quotes"])
        out.append((art.article_id, day_ordinal(art.published), blocks))
    return out


def assert_same(config: StoryConfig, articles: list[Article]) -> None:
    got = Featurizer(config).featurize(articles)
    want = ref_featurize(config, articles)
    assert [f.article_id for f in got] == [w[0] for w in want]
    for f, (_, day, blocks) in zip(got, want):
        assert f.day == day and list(f.blocks) == list(BLOCKS)
        for b in BLOCKS:
            (ids, tf), (wids, wtf) = f.blocks[b], blocks[b]
            assert ids.dtype == np.uint32 and tf.dtype == np.float32, (f.article_id, b)
            assert ids.tobytes() == wids.tobytes() and tf.tobytes() == wtf.tobytes(), (f.article_id, b)


CONFIGS = [StoryConfig(), StoryConfig(quote_bonus=0.1, body_bigrams=True, strip_url_lines=True,
                                      title_from=("title", "url", "lead"), hash_bits=12)]


def _real(shared: Path) -> list[Article]:
    arts = [a for name in ("stories-giveme5w1h-dev", "stories-ecbplus", "stories-multinews100")
            for a in load_story_set(shared / name)[0]]
    return arts + load_wikiref(shared / "wikiref220")[0]


def test_featurize_equals_the_plain_rules_on_the_real_story_sets(shared_data: Path):
    arts = _real(shared_data)
    assert len(arts) > 1500
    for i in range(0, len(arts), 1000):  # calls of the stream's chunk size
        assert_same(CONFIGS[0], arts[i: i + 1000])
    assert_same(CONFIGS[1], arts[::5])  # quotes, bigrams, stripped URL lines, lead titles, few buckets


def test_featurize_equals_the_plain_rules_in_several_languages(shared_data: Path):
    """Memos are per language: the same words in German or French hash apart, with their own stop words."""
    langs = [None, "de", "zxx", "en", "und"]  # ("fr": spaCy's French list takes seconds to import)
    arts = [dataclasses.replace(a, language=langs[i % len(langs)]) for i, a in enumerate(_real(shared_data)[::6])]
    assert_same(StoryConfig(), arts)
    assert_same(StoryConfig(language_features=False), arts)


CORNERS = [
    "The office of Muqtada al-Sadr said. Heather Nauert spoke in Washington.",
    "Bal-Sadr met ash-Sharif and ibn-Saud; dibn-Xy, bash-Qq, has-Zz van-Rijn von Trapp.\nThe Bank of England and the Fed",
    "It rose 5. 6 per cent to 1,000,000 at 10: 30 on 2005-01-02.\n\n  The Times of India’s reporter. “The New York Times”",
    "O’Neill's 76ers: Philadelphia 76ers & Co. beat the L.A. Lakers 101-99 in Game 7 of the NBA Finals!  In Paris",
    "snake_case_word, al-jazeera el-baradei AL-Qaeda; ‘Quoted Name’ — The.  Xi\tJinping\n\n\t\nAl-Sadr's men",
    "",
    "A",
    "7 " * 70_000 + "Rome",  # a count past the table of logarithms
    "-\nÉmile Zola and Ångström İstanbul ǅemal: ＦＵＬＬ width, ﬁne ligature, ½ and ² numbers ٣٤ ١٢",
]


def test_featurize_equals_the_plain_rules_on_corner_texts():
    arts = [Article(source="t", page_id=str(i), span=(0, 0), raw="", title=t.split("\n")[0][:40] or None, text=t,
                    outlet=None, url=None, published="2024-02-03" if i % 2 else None, article_id=f"a{i}")
            for i, t in enumerate(CORNERS)]
    for config in CONFIGS:
        assert_same(config, arts)
    for t in CORNERS:
        assert capitalised_entities(t) == ref_entities(t)


def test_capitalised_runs_equal_the_plain_regex_on_random_texts():
    """Runs are found from their capital and the particle before it taken in: on random texts
    made of the rule's pieces, the same runs and features as the one regex of the rule, in
    ``capitalised_entities`` and in ``featurize``."""
    rng = random.Random(14)
    pieces = ["al-", "el-", "ash-", "as-", "ibn-", "bin'", "de’", "van-", "la-", "h", "b", "d", "a", "Sadr", "X",
              "Bank", "of", "the", "The", "and", "&", " ", "  ", "\n", ". ", "! ", "“", "”", ": ", "-", "'", "’",
              "Co.", "76ers", "In", "5"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(3000)]
    for text in texts:
        assert capitalised_entities(text) == ref_entities(text), repr(text)
    assert_same(StoryConfig(), [Article(source="t", page_id=str(i), span=(0, 0), raw="", title=None, text=t, outlet=None,
                                        url=None, published=None, article_id=f"r{i}") for i, t in enumerate(texts)])
