"""Sparse features of one article, in blocks (see docs/stories.md for the table).

- ``body``: content words of the text;
- ``entities``: by default a cheap rule: runs of capitalised words ("Muqtada al-Sadr",
  "Philadelphia 76ers"), each run kept whole and as its single words; with
  ``entities="spacy"``, spaCy's NER instead (slower; the model must be installed);
- ``numbers``: the numbers in title and text ("5.6", "2005"), which tell apart two events of
  one kind;
- ``title``: the headline's words (else the URL's slug, or the first short line: ``title_from``);
- ``quotes``: a bottom-k sample of word 5-grams, only when ``quote_bonus`` is on.

The rules that find words, runs and numbers in a text are in ``tokens.py``.  Every feature is
hashed into ``2**hash_bits`` buckets (no vocabulary to fit), and weighted by sublinear term
frequency; IDF is applied later from running document frequencies (see ``state.py``), so nothing
here needs the corpus.  ``featurize`` works out each distinct token of a call once (``_Buckets``)
and counts all its articles' buckets in one sort per block (``_counted``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import xxhash

from newsfold.records import Article

from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.tokens import (capital_runs, entity_features, entity_key, entity_part, entity_single,
                                            entity_spans, entity_words, number, raw_numbers, raw_words, run_start,
                                            sentence_start, stop_words, word, words)

BLOCKS = ("body", "entities", "numbers", "title", "quotes")


@dataclass(slots=True)
class ArticleFeatures:
    """One article's hashed features: per block, sorted bucket ids and their sublinear TF."""

    article_id: str
    day: int | None  # published date as a day ordinal, where known
    blocks: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    dense: np.ndarray | None = None  # an optional sentence embedding (normalised)


def capitalised_entities(text: str) -> list[str]:
    """Entity-like features without a model: capitalised runs and their words (``tokens.py``)."""
    return [f for start, span in entity_spans(text)
            for f in entity_features(entity_words(span)[sentence_start(text, start)])]


def spacy_entities(docs: Iterable) -> list[list[str]]:
    """Entity features from spaCy ``Doc`` objects (whole entity and its words)."""
    out = []
    for doc in docs:
        feats = []
        for ent in doc.ents:
            if ent.label_ in {"CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME"}:
                continue
            key = entity_key(ent.text)
            if not key:
                continue
            singles = [s for s in map(entity_single, ent.text.split()) if s is not None]
            if len(singles) > 1:
                feats.append("E:" + key)
            feats.extend(singles)
        out.append(feats)
    return out


_URL_LINE = re.compile(r"^\s*(?:https?\s*:|www\s*\.)", re.I)


def content(text: str) -> str:
    """The text without bare URL lines (a scrape's leftovers, not reporting)."""
    return "\n".join(line for line in text.splitlines() if not _URL_LINE.match(line))


def lead_title(text: str, max_words: int = 20) -> str:
    """The first line of a text when it is short enough to be a headline, else ""."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if 3 <= len(line.split()) <= max_words else ""
    return ""


_TOKEN = re.compile(r"[^\W_]+")


def quote_shingles(text: str, n: int = 5) -> list[str]:
    """Word n-grams of the text, stop words kept: two articles quoting the same sentence share them."""
    toks = _TOKEN.findall(text.lower().replace("’", "'"))
    return [" ".join(toks[i: i + n]) for i in range(len(toks) - n + 1)]


def url_title(url: str | None) -> str:
    """The words of a URL's slug ("…/rihanna-cousin-shot-dead/" -> "rihanna cousin shot dead")."""
    if not url:
        return ""
    parts = [p for p in re.split(r"[/?#&=]", url.split("://", 1)[-1])[1:] if p]
    parts = [p for p in parts if re.search(r"[a-z]{3}", p) and re.search(r"[-_]", p)]
    if not parts:
        return ""
    slug = re.sub(r"\.(?:html?|php|aspx?|stm)$", "", parts[-1])
    return " ".join(w for w in re.split(r"[-_.+]+", slug) if not re.fullmatch(r"\d{5,}|[a-z0-9]{20,}", w))


def day_ordinal(published: str | None) -> int | None:
    """A YYYY-MM-DD date (or a longer ISO timestamp) as a day number; None where unknown."""
    if not published:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", published)
    if not m:
        return None
    import datetime as _dt

    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).toordinal()
    except ValueError:
        return None


def feature_key(article: Article) -> int:
    """A digest of what ``Featurizer.featurize`` reads of an article (id, title, text, URL, date,
    language): equal digests give equal features, so features kept under it can be reused."""
    h = xxhash.xxh3_64()
    for value in (article.article_id, article.title, article.text, article.url, article.published, article.language):
        h.update(b"\x00" if value is None else b"\x01" + value.encode("utf-8", "surrogatepass") + b"\x00")
    return h.intdigest()


def feature_id(feature: str, block: str, mask: int, lang_seed: int = 0) -> int:
    """The hash bucket of one feature in one block (of one language: ``language_seed``)."""
    return xxhash.xxh3_64_intdigest(feature.encode("utf-8", "surrogatepass"), _seed(block, lang_seed)) & mask


def _seed(block: str, lang_seed: int) -> int:
    return BLOCKS.index(block) + 1 + lang_seed


def hasher(block: str, mask: int, lang_seed: int = 0) -> Callable[[str], int]:
    """``feature_id`` of one block and language, as a function of the feature alone (the same
    formula, without a call per feature)."""
    seed, xxh3 = _seed(block, lang_seed), xxhash.xxh3_64_intdigest
    return lambda feature: xxh3(feature.encode("utf-8", "surrogatepass"), seed) & mask


def language_seed(language: str | None) -> int:
    """Features are hashed per language, so that articles in two languages share no term and never
    join on shared numbers or names alone (stories across languages: ``crosslingual.py``).  English
    and unknown languages keep seed 0: an English corpus hashes as before."""
    if not language or language in ("en", "und"):
        return 0
    return (xxhash.xxh32_intdigest(language.encode("ascii", "replace")) | 1) << 8


class _Memo(dict):
    """A dict that works out a missing value with ``make`` and keeps it."""

    def __init__(self, make: Callable):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


class _Buckets:
    """The hash buckets of one language's features within one ``featurize`` call, each distinct
    word, run and number worked out once (they repeat across the articles of a chunk), in memos
    dropped with the call.  Each method gives a text's buckets, one per occurrence in the text;
    -1 for a token that is no feature."""

    def __init__(self, language: str | None, mask: int, parts: _Memo):
        stop, lang_seed = stop_words(language), language_seed(language)
        self.hashes = {b: _Memo(hasher(b, mask, lang_seed)) for b in BLOCKS}
        body, title, numbers = self.hashes["body"], self.hashes["title"], self.hashes["numbers"]
        self._body = _Memo(lambda t: -1 if (w := word(t, stop)) is None else body[w]).__getitem__
        self._title = _Memo(lambda t: -1 if (w := word(t, stop)) is None else title[w]).__getitem__
        self._numbers = _Memo(lambda t: numbers[number(t)]).__getitem__
        self._runs = _Memo(self._run).__getitem__
        self._parts = parts.__getitem__  # entity_part: the same in every language

    def features(self, feats: list[str], block: str) -> Iterable[int]:
        return map(self.hashes[block].__getitem__, feats)

    def body(self, text: str) -> Iterable[int]:
        """A text's content words (``tokens.word``)."""
        return map(self._body, raw_words(text))

    def title(self, text: str) -> Iterable[int]:
        return map(self._title, raw_words(text))

    def numbers(self, text: str) -> Iterable[int]:
        return map(self._numbers, raw_numbers(text))

    def _run(self, span: str) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
        """A run's buckets inside a sentence, and at a sentence's start where they differ (tuples
        of ints, which the garbage collector stops walking)."""
        inside, first = entity_words(span)
        ids = self.hashes["entities"].__getitem__
        return (tuple(map(ids, entity_features(inside, self._parts))),
                None if first is inside else tuple(map(ids, entity_features(first, self._parts))))

    def entities(self, text: str) -> list[int]:
        """A text's capitalised runs (``tokens.entity_words``, ``entity_features``); whether a run
        starts a sentence is looked at only where that changes its features."""
        runs, out = self._runs, []
        for m in capital_runs(text):  # ``tokens.entity_spans``, without a tuple per run
            start = run_start(text, capital := m.start())
            inside, first = runs(m.group() if start == capital else text[start: m.end()])
            out += inside if first is None or not sentence_start(text, start) else first
        return out


def _sublinear(counts: np.ndarray) -> np.ndarray:
    """``1 + ln(count)`` as float32, each rounded from the float64 that ``math.log`` gives (not
    numpy's log, which may differ in the last bit)."""
    top = int(counts.max()) if len(counts) else 0
    if top <= 1 << 16:  # a table of every count up to the largest
        return np.array([0.0] + [1.0 + math.log(c) for c in range(1, top + 1)], np.float32)[counts]
    values, at = np.unique(counts, return_inverse=True)
    return np.array([1.0 + math.log(c) for c in values.tolist()], np.float32)[at]


class _Rows:
    """The bucket ids of one block, article after article, in one flat list (few objects for the
    garbage collector to walk)."""

    def __init__(self):
        self.ids: list[int] = []
        self.lens: list[int] = []

    def add(self, ids: Iterable[int]) -> None:
        before = len(self.ids)
        self.ids.extend(ids)
        self.lens.append(len(self.ids) - before)


def _counted(rows: _Rows, bits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per row of bucket ids (-1: none), its distinct buckets, sorted, and their sublinear TF
    (``_sublinear``): all rows counted in one sort."""
    lens = rows.lens
    flat = np.array(rows.ids, np.int64)
    keys = (np.repeat(np.arange(len(lens), dtype=np.int64), lens) << bits) | flat
    keys, counts = np.unique(keys[flat >= 0], return_counts=True)
    tf = _sublinear(counts)
    ids = (keys & ((1 << bits) - 1)).astype(np.uint32)
    ends = np.searchsorted(keys >> bits, np.arange(len(lens) + 1)).tolist()
    return [(ids[a:b].copy(), tf[a:b].copy()) for a, b in zip(ends, ends[1:])]


class Featurizer:
    """Turns articles into ``ArticleFeatures``; holds the spaCy pipeline when one is asked for."""

    def __init__(self, config: StoryConfig):
        self.config = config
        self.mask = (1 << config.hash_bits) - 1
        self._nlp = None  # loaded on first use, per instance (no module-level state)

    def _spacy(self):
        if self._nlp is None:
            import spacy  # optional: only with entities="spacy"

            keep = {"ner", "tok2vec"}
            nlp = spacy.load(self.config.spacy_model)
            nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in keep])
            self._nlp = nlp
        return self._nlp

    def title(self, art: Article, text: str) -> str:
        """The article's headline; where it has none, its URL's slug, then its first short line."""
        for source in self.config.title_from:
            if source == "title" and art.title:
                return art.title
            if source == "url" and (t := url_title(art.url)):
                return t
            if source == "lead" and (t := lead_title(text)):
                return t
        return ""

    def featurize(self, articles: Sequence[Article]) -> list[ArticleFeatures]:
        cfg = self.config
        texts = [content(a.text or "") if cfg.strip_url_lines else (a.text or "") for a in articles]
        titles = [self.title(a, t) for a, t in zip(articles, texts)]
        heads = [f"{t}\n{x}" for t, x in zip(titles, texts)]  # entities and numbers: of title and text
        if cfg.entities == "spacy":
            ents = spacy_entities(self._spacy().pipe((h[:100_000] for h in heads), batch_size=64))
        elif cfg.entities != "capitalised":
            raise ValueError(f"entities must be 'capitalised' or 'spacy', not {cfg.entities!r}")
        parts, langs = _Memo(entity_part), {}
        rows = {b: _Rows() for b in BLOCKS}
        for i, (art, text, title, head) in enumerate(zip(articles, texts, titles, heads)):
            if not art.article_id:
                raise ValueError("story grouping needs Article.article_id (set by dedup)")
            lang = art.language if cfg.language_features else None
            if (buckets := langs.get(lang)) is None:
                buckets = langs[lang] = _Buckets(lang, self.mask, parts)
            if cfg.body_bigrams:
                body = words(text, stop_words(lang))
                rows["body"].add(buckets.features(body + [f"{a} {b}" for a, b in zip(body, body[1:])], "body"))
            else:
                rows["body"].add(buckets.body(text))
            rows["entities"].add(buckets.features(ents[i], "entities") if cfg.entities == "spacy"
                                 else buckets.entities(head))
            rows["numbers"].add(buckets.numbers(head))
            rows["title"].add(buckets.title(title))
            rows["quotes"].add(buckets.features(quote_shingles(text), "quotes") if cfg.quote_bonus else ())
        blocks = {b: _counted(rows[b], self.mask.bit_length()) for b in BLOCKS}
        # the quotes: a bottom-k sample (smallest buckets) so that two articles keep the same shingles
        blocks["quotes"] = [(ids[: cfg.quote_shingles], tf[: cfg.quote_shingles]) for ids, tf in blocks["quotes"]]
        return [ArticleFeatures(art.article_id, day_ordinal(art.published), {b: blocks[b][i] for b in BLOCKS})
                for i, art in enumerate(articles)]
