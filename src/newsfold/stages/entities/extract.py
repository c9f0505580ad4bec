"""Named-entity extraction with spaCy: people, organisations and places in each article.

Each article field is read separately (``title``, ``captions[i]``, ``text``), and every mention
records the field and its character offsets inside it.  The spaCy pipeline is loaded lazily and
held by the extractor (never at module level), with only the components NER needs, and texts
go through ``nlp.pipe`` in batches, in one process per core (``workers``), each distinct piece of
text once (a caption or paragraph repeated across articles is read by NER once).

Before NER a field is rewritten without changing its length, so offsets stay valid: curly
quotes become straight ones (spaCy then splits a possessive ``’s`` off a name), slashes between
words become commas (photo credits such as ``Reuters/ Alaa al-Marjani`` are two names) and
bullets become spaces.  A title-cased headline (and its copy in the body) has the words that
its own body writes in lower case lower-cased ("Sadr Calls for International Support" -> "Sadr
Calls for international support").  After NER each span is trimmed of determiners, honorifics,
possessives, leading numbers, bullets and dangling conjunctions, and cut at slashes, spaced
dashes, line breaks and a parenthesised acronym; a nationality or group (NORP) followed by a
word like "movement" becomes an organisation ("the Sadrist movement"), while a bare group
("Sadrists") is not an entity.
"""
from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import xxhash

from newsfold.records import Article
from newsfold.stages.entities.chunks import bounded_batches, paragraph_pieces, pieces
from newsfold.stages.entities.config import ORG, PERSON, EntityConfig
from newsfold.stages.entities.names import TITLES

# Below this many characters of distinct text per worker NER runs in one process: starting a
# worker (fork, load the model) costs about a second, the time to read some 50,000 characters.
PARALLEL_MIN_CHARS = 100_000
# A group (NORP) followed by one of these words is an organisation: "the Sadrist movement".
NORP_ORG_HEADS = ("movement", "party", "alliance", "coalition", "bloc", "front")

_NER_REWRITE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                              "\u2022": " ", "\u00a0": " ", "\u25cf": " "})
_SLASH = re.compile(r"(?<=[\w)])\s*/(?=\s*[A-Z])")
_URL = re.compile(r"\S*(?:://|www\.)\S*")
_LEAD_WORD = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_TRAIL_WORD = re.compile(r"\s+(?:and|or|of|in|for|the|at|on)$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_WORD = re.compile(r"[A-Za-z][\w'\u2019-]*")
_LOWER_WORD = re.compile(r"\b[a-z][a-z'-]+\b")
# Words a title-cased headline capitalises that are never names on their own.
HEADLINE_FUNCTION_WORDS = frozenset(
    """a an the and or but nor for of on in at to by with from over under after before into onto
    as is are was were be been his her its their our your my no not up out off about than amid
    against says said say will would can could""".split()
)
_SEPARATOR = re.compile(r"/|\n|\s[-\u2013\u2014]\s")
_LEAD_NUMBER = re.compile(r"^\d[\w.,]*\s+")
_PAREN_ACRONYM = re.compile(r"\(([A-Z][A-Za-z&.]{1,7})")
_NORP_ORG = re.compile(r"\s+(" + "|".join(NORP_ORG_HEADS) + r")\b", re.IGNORECASE)


@dataclass(slots=True)
class Mention:
    """One entity mention: where it is (article, field, offsets) and what NER called it."""

    article_id: str
    field: str  # "title", "text" or "captions[i]"
    start: int
    end: int
    surface: str
    label: str  # the NER label ("PERSON", "GPE", "NORP"…) or "GAZETTEER"
    type: str | None  # "PERSON", "ORG", "PLACE"; None for a candidate that must earn a type
    source: str = "ner"  # "ner", "gazetteer" (second pass), "split" (a repaired NER span) or "script" (canon rule 5)


def article_fields(article: Article) -> list[tuple[str, str]]:
    """The fields read for entities, in order: title, captions, body."""
    fields = [("title", article.title or "")]
    fields += [(f"captions[{i}]", c or "") for i, c in enumerate(article.captions)]
    fields.append(("text", article.text or ""))
    return [(name, text) for name, text in fields if text.strip()]


def field_text(article: Article, field: str) -> str:
    """The text a mention's offsets refer to."""
    if field.startswith("captions["):
        return article.captions[int(field[9:-1])]
    return getattr(article, field) or ""


def ner_text(text: str) -> str:
    """``text`` rewritten for NER without changing its length (so offsets stay valid)."""
    out = text.translate(_NER_REWRITE)
    urls = [m.span() for m in _URL.finditer(out)]

    def comma(m: re.Match) -> str:
        inside = any(a <= m.start() < b for a, b in urls)
        return m.group(0) if inside else m.group(0)[:-1] + ","

    return _SLASH.sub(comma, out)


def is_title_cased(line: str, min_capitalised: float = 0.6, max_words: int = 25) -> bool:
    """A headline-style line: short, most of its longer words capitalised."""
    words = [m.group(0) for m in _WORD.finditer(line) if len(m.group(0)) > 3]
    if len(words) < 2 or len(line.split()) > max_words:
        return False
    return sum(w[0].isupper() for w in words) / len(words) >= min_capitalised


def truecase_title(title: str, body: str) -> str:
    """Lower-case the words of a title-cased line that the body writes in lower case (and
    function words), keeping the length, so that NER does not take "Sadr Calls" for a name."""
    if not is_title_cased(title):
        return title
    lower_in_body = {m.group() for m in _LOWER_WORD.finditer(body)} | HEADLINE_FUNCTION_WORDS
    chars = list(title)
    for m in _WORD.finditer(title):
        w = m.group(0)
        low = w.lower()
        if w[0].isupper() and not w.isupper() and low in lower_in_body and len(low) == len(w):
            chars[m.start():m.end()] = list(low)
    return "".join(chars)


def truecase_lines(text: str, title: str, body: str) -> str:
    """``truecase_title`` on the lines of a text that repeat its title-cased headline."""
    if not title or not is_title_cased(title):
        return text
    lines = text.split("\n")
    return "\n".join(truecase_title(ln, body) if ln.strip() == title.strip() else ln for ln in lines)


def trim_span(text: str, start: int, end: int, etype: str | None) -> tuple[int, int]:
    """Trim determiners, honorifics, possessives, punctuation and dangling words off a span."""
    for _ in range(6):
        s = text[start:end]
        before = (start, end)
        lead = len(s) - len(s.lstrip(" \t\n-\u2013\u2014\"'([{*\u2022,.:;"))
        start += lead
        s = text[start:end]
        m = _LEAD_WORD.match(s) or _LEAD_NUMBER.match(s)
        if m and len(s) > m.end():
            start += m.end()
            s = text[start:end]
        if etype == PERSON:
            first = s.split(maxsplit=1)
            if len(first) == 2 and first[0].lower().strip(".") in TITLES and first[1][:1].isupper():
                start += len(s) - len(first[1])
                s = text[start:end]
        stripped = s.rstrip(" \t\n-\u2013\u2014\"')]},:;!?")  # a final "." is an abbreviation's
        end -= len(s) - len(stripped)
        s = text[start:end]
        m = _POSSESSIVE.search(s)
        if m and m.start() > 0:
            end = start + m.start()
            s = text[start:end]
        m = _TRAIL_WORD.search(s)
        if m:
            end = start + m.start()
        if (start, end) == before:
            break
    return start, end


def load_nlp(config: EntityConfig) -> Any:
    """The spaCy pipeline of ``config.model`` with only the components NER needs."""
    import spacy

    names = spacy.info(config.model).get("components", [])
    keep = set(config.components or names)
    nlp = spacy.load(config.model, exclude=[n for n in names if n not in keep])
    nlp.max_length = max(nlp.max_length, config.max_length)
    return nlp


class PieceNer:
    """The task an engine's workers run for ``EntityExtractor(map=...)``: a batch of ``(piece, key)``
    -> ``[(entities as (start, end, label), key)]``, in order.  It ships without a model and loads
    its own on first use, so each worker loads the model once."""

    def __init__(self, config: EntityConfig):
        self.config = config
        self._nlp: Any = None

    def __getstate__(self) -> dict:
        return {"config": self.config}  # never the model

    def __setstate__(self, state: dict) -> None:
        self.config, self._nlp = state["config"], None

    def __call__(self, batch: list[tuple[str, Any]]) -> list[tuple[list[tuple[int, int, str]], Any]]:
        if self._nlp is None:
            self._nlp = load_nlp(self.config)
        return [([(e.start_char, e.end_char, e.label_) for e in doc.ents], key)
                for doc, key in self._nlp.pipe(batch, as_tuples=True, batch_size=len(batch))]


class EntityExtractor:
    """Finds PERSON, ORG and PLACE mentions in articles with a spaCy pipeline.

    ``map``: how an engine runs a task over items on its own workers, in order (``map(task, items,
    min_items)``, the engine's executor); with it and ``workers`` > 1, NER goes there in batches
    (``PieceNer``) instead of spaCy's own processes.  The entities are the same either way."""

    def __init__(self, config: EntityConfig | None = None, nlp: Any = None, workers: int = 1,
                 map: Callable | None = None):
        self.config = config or EntityConfig()
        self._nlp = nlp
        self.workers = max(1, workers)  # NER processes (the engine's ``workers``)
        self.map = map

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_nlp(self.config)
        return self._nlp

    def _inputs(self, articles: Iterable[Article], prepare: bool
                ) -> Iterator[tuple[str, tuple[str, str, str, int]]]:
        """(piece of a prepared field, (article_id, field, the field's text, the piece's offset))."""
        cut, size = self.config.read_chars, self.config.chunk_chars
        cut_up = paragraph_pieces if self.config.ner_unit == "paragraph" else pieces
        for article in articles:
            if not article.article_id:
                raise ValueError(f"article from {article.source!r} has no article_id (run dedup first)")
            fields = article_fields(article)
            truecase = prepare and self.config.truecase_titles
            body = " ".join(t for n, t in fields if n != "title") if truecase else ""
            title = ner_text(article.title or "") if truecase else ""
            for name, text in fields:
                text = text[:cut]
                prepared = ner_text(text) if prepare else text
                if truecase:
                    prepared = (truecase_title(prepared, body) if name == "title"
                                else truecase_lines(prepared, title, body))
                for start, end in cut_up(prepared, size):
                    yield prepared[start:end], (article.article_id, name, text, start)

    def _ents(self, articles: Iterable[Article], prepare: bool = True
              ) -> Iterator[tuple[list[tuple[int, int, str]], tuple[str, str, str, int]]]:
        """(entities of one piece as (start, end, label) in the piece, its context), in input order.

        NER runs once per distinct piece text (``_distinct``): a caption, headline or boilerplate
        paragraph repeated across articles is read once and its entities reused.  With more than one
        worker (``workers``) and enough text, ``nlp.pipe`` runs in that many processes,
        each taking ``batch_size`` pieces of at most ``chunk_chars`` at a time (or, with ``map``, the
        engine's workers take the batches below); otherwise in this one, in batches bounded in texts
        and characters (chunks.py).  The entities are the same."""
        cfg = self.config
        known: dict[bytes, list[tuple[int, int, str]]] = {}
        queue: deque = deque()  # (key, context) of every piece read, not yet given back
        todo = self._distinct(self._inputs(articles, prepare), known, queue)
        head, chars = [], 0
        procs = self.workers
        if procs > 1:  # look ahead: is there enough to pay for starting the workers?
            for item in todo:
                head.append(item)
                chars += len(item[0])
                if chars >= PARALLEL_MIN_CHARS * procs:
                    break
            else:
                procs = 1
        todo = itertools.chain(head, todo)
        if procs > 1 and self.map is not None:  # the engine's workers, one model each
            found = (r for rs in self.map(PieceNer(cfg), bounded_batches(todo, cfg.batch_size, cfg.batch_chars), 2)
                     for r in rs)
        elif procs > 1:
            found = self._found(self.nlp.pipe(todo, as_tuples=True, batch_size=cfg.batch_size, n_process=procs))
        else:
            found = self._found(d for batch in bounded_batches(todo, cfg.batch_size, cfg.batch_chars)
                                for d in self.nlp.pipe(batch, as_tuples=True, batch_size=len(batch)))
        for ents, key in found:
            known[key] = ents
            while queue and queue[0][0] in known:  # nlp.pipe keeps the order: all before are known
                k, ctx = queue.popleft()
                yield known[k], ctx
        while queue:
            k, ctx = queue.popleft()
            yield known[k], ctx

    @staticmethod
    def _found(docs: Iterable[tuple[Any, bytes]]) -> Iterator[tuple[list[tuple[int, int, str]], bytes]]:
        return (([(e.start_char, e.end_char, e.label_) for e in doc.ents], key) for doc, key in docs)

    @staticmethod
    def _distinct(inputs: Iterable[tuple[str, Any]], known: dict, queue: deque) -> Iterator[tuple[str, bytes]]:
        """The pieces NER has not seen in this call, keyed by a 128-bit hash of their text; every
        piece's (key, context) goes to ``queue``."""
        sent: set[bytes] = set()
        for text, ctx in inputs:
            key = xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"))
            queue.append((key, ctx))
            if key not in sent:
                sent.add(key)
                yield text, key

    def extract(self, articles: Iterable[Article]) -> Iterator[Mention]:
        """Mentions of every article, field by field, in document order."""
        for ents, (article_id, field, text, offset) in self._ents(articles):
            for start, end, label in ents:
                yield from self._mentions(article_id, field, text, offset + start, offset + end, label)

    def raw(self, articles: Iterable[Article]) -> Iterator[Mention]:
        """The NER model alone, the baseline: spans as the model gives them on the raw fields,
        typed through ``config.labels`` (other labels come with type None)."""
        labels = self.config.labels
        for ents, (article_id, field, text, offset) in self._ents(articles, prepare=False):
            for start, end, label in ents:
                s, e = offset + start, offset + end
                yield Mention(article_id, field, s, e, text[s:e], label, labels.get(label), "ner-raw")

    def _mentions(self, article_id: str, field: str, text: str, start: int, end: int,
                  label: str) -> list[Mention]:
        """The cleaned mention(s) of one NER span: "Hayat Tahrir al-Sham (HTS" gives two."""
        cfg = self.config
        etype = cfg.labels.get(label)
        if etype is None and label not in cfg.vote_labels:
            return []
        if label == "NORP":
            m = _NORP_ORG.match(text, end)
            if m:
                end, etype = m.end(), ORG
        spans = [(start, end)]
        paren = text.find("(", start, end)
        if paren > start:
            spans = [(start, paren)]
            inner = _PAREN_ACRONYM.match(text, paren, end)
            if inner:
                spans.append((paren + 1, paren + 1 + len(inner.group(1))))
        pieces = []
        for s, e in spans:  # a photo credit "Pool/File Photo" is two names, so is "X - Y"
            for cut in _SEPARATOR.finditer(text, s, e):
                pieces.append((s, cut.start()))
                s = cut.end()
            pieces.append((s, e))
        out = []
        for s, e in pieces:
            s, e = trim_span(text, s, e, etype)
            surface = text[s:e]
            if e - s >= 2 and any(c.isupper() for c in surface):
                out.append(Mention(article_id, field, s, e, surface, label, etype))
        return out
