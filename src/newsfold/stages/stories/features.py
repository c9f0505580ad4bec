"""Sparse features of one article, in blocks (see docs/stories.md for the table).

- ``body``: content words of the text;
- ``entities``: by default a cheap rule: runs of capitalised words ("Muqtada al-Sadr",
  "Philadelphia 76ers"), each run kept whole and as its single words; with
  ``entities="spacy"``, spaCy's NER instead (slower; the model must be installed);
- ``numbers``: the numbers in title and text ("5.6", "2005"), which tell apart two events of
  one kind;
- ``title``: the headline's words (else the URL's slug, or the first short line: ``title_from``);
- ``quotes``: a bottom-k sample of word 5-grams, only when ``quote_bonus`` is on.

Every feature is hashed into ``2**hash_bits`` buckets (no vocabulary to fit), and weighted by
sublinear term frequency; IDF is applied later from running document frequencies (see
``state.py``), so nothing here needs the corpus.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import xxhash

from newsfold.records import Article

from newsfold.stages.stories.config import StoryConfig

BLOCKS = ("body", "entities", "numbers", "title", "quotes")


def _english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (``ENGLISH_STOP_WORDS``), read from the module that holds
    them without importing scikit-learn itself, whose import takes seconds of every run's start."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # finds the package; imports nothing
    path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py" if spec and spec.origin else None
    if path is None or not path.exists():  # another layout: the public import
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    words = importlib.util.spec_from_file_location("newsfold_english_stop_words", path)
    module = importlib.util.module_from_spec(words)
    words.loader.exec_module(module)
    return frozenset(module.ENGLISH_STOP_WORDS)


_EXTRA_STOP = {
    "said", "says", "say", "told", "according", "also", "just", "like", "new", "year", "years",
    "time", "people", "would", "could", "one", "two", "http", "https", "www", "com", "html",
    "htm", "php", "aspx", "read", "image", "photo", "caption", "copyright", "getty", "images",
    "reuters", "ap", "afp", "video", "click", "share", "advertisement", "mr", "ms", "mrs",
}
STOP = frozenset(_english_stop_words() | _EXTRA_STOP)
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,:]\s?\d+)*")
# a capitalised word, possibly behind a lower-case particle ("al-Sadr", "bin Salman" is two words)
_CAP = r"(?:(?:al|el|ad|as|ash|ibn|bin|de|van|von|da|di|du|la|le)[-’'])?[A-Z][\w’'.&-]*"
_ENTITY = re.compile(rf"{_CAP}(?:\s+(?:of|the|de|del|da|al|bin|van|von|la|for|and|&)?\s*{_CAP})*")
_SENT_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n\s*)$")
_ARTICLE = re.compile(r"^(?:al|el)-")  # the Arabic article in transliterated names
_PARTICLE = re.compile(r"^(?:al|el|ad|as|ash|ibn|bin|de|van|von|da|di|du|la|le)[-’']", re.I)


@dataclass(slots=True)
class ArticleFeatures:
    """One article's hashed features: per block, sorted bucket ids and their sublinear TF."""

    article_id: str
    day: int | None  # published date as a day ordinal, where known
    blocks: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    dense: np.ndarray | None = None  # an optional sentence embedding (normalised)


_LANG_STOP: dict[str, frozenset] = {}  # a read-only cache: the stop words of each language, loaded once


def stop_words(language: str | None) -> frozenset:
    """The stop words of an article's language: English's (``STOP``), plus spaCy's list for that
    language where spaCy has one (``spacy.lang.XX.stop_words``: data, no model), so that "der", "und",
    "في" count as little in German or Arabic as "the" does in English."""
    if not language or language in ("en", "und"):
        return STOP
    if language not in _LANG_STOP:
        import importlib
        import importlib.util

        code = {'no': 'nb'}.get(language, language)
        spacy = importlib.util.find_spec("spacy")  # finds the package; imports nothing
        extra = frozenset()
        # spaCy has no list for most codes ("zxx", "und"): looked up by path, not by importing spaCy
        if spacy is None or spacy.origin is None or (Path(spacy.origin).parent / "lang" / code / "stop_words.py").exists():
            try:
                mod = importlib.import_module(f"spacy.lang.{code}.stop_words")
                extra = frozenset(w.lower() for w in mod.STOP_WORDS)
            except Exception:
                pass
        _LANG_STOP[language] = STOP | extra
    return _LANG_STOP[language]


def iter_words(text: str, stop: frozenset = STOP) -> Iterator[str]:
    """Lower-case content words: no stop words, no one-letter words, possessives dropped (one at
    a time: a long text's features are counted, never listed)."""
    for m in _WORD.finditer(text.lower()):
        tok = m.group().replace("’", "'")
        if tok.startswith(("al-", "el-")):  # "al-sadr" -> "sadr" (``_ARTICLE``, without a regex call per word)
            tok = tok[3:]
        if tok.endswith("'s"):
            tok = tok[:-2]
        if len(tok) < 2 or tok in stop:
            continue
        yield tok


def words(text: str, stop: frozenset = STOP) -> list[str]:
    return list(iter_words(text, stop))


def _entity_key(span: str) -> str:
    return " ".join(w.strip(".'’-&").lower() for w in span.split()).strip()


def capitalised_entities(text: str) -> list[str]:
    """Entity-like features without a model: capitalised runs and their words."""
    return list(iter_capitalised_entities(text))


def iter_capitalised_entities(text: str) -> Iterator[str]:
    for m in _ENTITY.finditer(text):
        parts = m.group(0).split()
        # a sentence's first word is capitalised anyway: drop it when it is a common word
        if _SENT_START.search(text[max(0, m.start() - 3): m.start()]) or m.start() == 0:
            while parts and parts[0].lower().strip(".'’") in STOP:
                parts = parts[1:]
        while parts and parts[-1].lower() in {"of", "the", "and", "for", "&"}:
            parts = parts[:-1]
        if not parts:
            continue
        key = _entity_key(" ".join(parts))
        if not key or key in STOP:
            continue
        singles = [_entity_key(_PARTICLE.sub("", p)) for p in parts]
        singles = [s for s in singles if len(s) > 1 and s not in STOP]
        if len(parts) > 1:
            yield "E:" + key
        yield from ("E:" + s for s in singles)


def numbers(text: str) -> list[str]:
    """The numbers in a text ("5.6", "2005", "33"), which tell apart two events of one kind."""
    return list(iter_numbers(text))


def iter_numbers(text: str) -> Iterator[str]:
    return (re.sub(r"\s", "", m.group()) for m in _NUMBER.finditer(text))


def spacy_entities(docs: Iterable) -> list[list[str]]:
    """Entity features from spaCy ``Doc`` objects (whole entity and its words)."""
    out = []
    for doc in docs:
        feats = []
        for ent in doc.ents:
            if ent.label_ in {"CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME"}:
                continue
            key = _entity_key(ent.text)
            if not key:
                continue
            singles = [_entity_key(_PARTICLE.sub("", w)) for w in ent.text.split()]
            singles = [s for s in singles if len(s) > 1 and s not in STOP]
            if len(singles) > 1:
                feats.append("E:" + key)
            feats.extend("E:" + s for s in singles)
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
    return xxhash.xxh3_64_intdigest(feature.encode("utf-8", "surrogatepass"),
                                    seed=BLOCKS.index(block) + 1 + lang_seed) & mask


def language_seed(language: str | None) -> int:
    """Features are hashed per language, so that articles in two languages share no term and never
    join on shared numbers or names alone (stories across languages: ``crosslingual.py``).  English
    and unknown languages keep seed 0: an English corpus hashes as before."""
    if not language or language in ("en", "und"):
        return 0
    return (xxhash.xxh32_intdigest(language.encode("ascii", "replace")) | 1) << 8


def _hashed(feats: Iterable[str], block: str, mask: int, lang_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    counts: Counter[int] = Counter()
    for f, c in Counter(feats).items():  # each distinct feature hashed once (``feature_id``)
        counts[feature_id(f, block, mask, lang_seed)] += c
    if not counts:
        return np.empty(0, np.uint32), np.empty(0, np.float32)
    ids = np.fromiter(counts.keys(), np.uint32, len(counts))
    tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), np.float32, len(counts))
    order = np.argsort(ids)
    return ids[order], tf[order]


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
        texts = [content(a.text or "") if self.config.strip_url_lines else (a.text or "") for a in articles]
        titles = [self.title(a, t) for a, t in zip(articles, texts)]
        if self.config.entities == "spacy":
            ents = spacy_entities(self._spacy().pipe((f"{t}\n{x}"[:100_000] for t, x in zip(titles, texts)), batch_size=64))
        elif self.config.entities == "capitalised":
            ents = (iter_capitalised_entities(f"{t}\n{x}") for t, x in zip(titles, texts))  # counted as made
        else:
            raise ValueError(f"entities must be 'capitalised' or 'spacy', not {self.config.entities!r}")
        out = []
        for art, text, title, ent in zip(articles, texts, titles, ents):
            if not art.article_id:
                raise ValueError("story grouping needs Article.article_id (set by dedup)")
            stop = stop_words(art.language) if self.config.language_features else STOP
            body: Iterable[str] = iter_words(text, stop)
            if self.config.body_bigrams:
                body = words(text, stop)
                body += [f"{a} {b}" for a, b in zip(body, body[1:])]
            ls = language_seed(art.language) if self.config.language_features else 0
            blocks = {
                "body": _hashed(body, "body", self.mask, ls),
                "entities": _hashed(ent, "entities", self.mask, ls),
                "numbers": _hashed(iter_numbers(f"{title}\n{text}"), "numbers", self.mask, ls),
                "title": _hashed(words(title, stop), "title", self.mask, ls),
                # a bottom-k sample (smallest buckets) so that two articles keep the same shingles
                "quotes": tuple(x[: self.config.quote_shingles] for x in _hashed(
                    quote_shingles(text) if self.config.quote_bonus else [], "quotes", self.mask, ls)),
            }
            out.append(ArticleFeatures(art.article_id, day_ordinal(art.published), blocks))
        return out
