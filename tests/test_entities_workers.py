"""NER in several processes and once per distinct text (issue 14, item 3): the mentions are those
of one process and of reading every piece anew; ``workers`` is checked and not compared when adding."""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from newsfold.config import Config, ConfigError
from newsfold.stages.entities import EntityConfig, EntityExtractor
from newsfold.stages.entities import extract as extract_mod
from newsfold.stages.entities.extract import field_text
from newsfold.records import Article, content_id

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"


class CountingNLP:
    """Stands in for spaCy: tags the phrases it is given and remembers every text it read."""

    def __init__(self, phrases: dict[str, str]):
        self.phrases, self.read = phrases, []

    def pipe(self, inputs, as_tuples=True, batch_size=1, n_process=1):
        for text, ctx in inputs:
            self.read.append(text)
            ents = [SimpleNamespace(start_char=m.start(), end_char=m.end(), label_=label)
                    for phrase, label in self.phrases.items() for m in re.finditer(re.escape(phrase), text)]
            yield SimpleNamespace(ents=sorted(ents, key=lambda e: e.start_char)), ctx


def _article(i: int, title: str, text: str, captions=()) -> Article:
    return Article(source=f"{i}.txt", page_id="p", span=(0, 0), raw="", title=title, text=text,
                   captions=list(captions), article_id=content_id(str(i), title, text, prefix="a"))


def _articles() -> list[Article]:
    credit = "Photo: Alaa al-Marjani/Reuters"
    boiler = "Follow Harbor Times on Twitter for news from Port Selwyn."
    arts = []
    for i in range(12):
        body = f"Minister Yevgeny Dorofeyev visited Kestrel Ridge on day {i}.\n\n{boiler}"
        arts.append(_article(i, "Dockworkers strike in Port Selwyn" if i % 3 else f"Story {i}", body,
                             captions=[credit, f"Kestrel Ridge mine, picture {i}"]))
    arts.append(_article(99, "Port Selwyn", "Kestrel Ridge " * 3000 + boiler))  # a long field: chunked
    return arts


PHRASES = {"Yevgeny Dorofeyev": "PERSON", "Kestrel Ridge": "LOC", "Port Selwyn": "GPE", "Reuters": "ORG",
           "Alaa al-Marjani": "PERSON", "Harbor Times": "ORG"}


@pytest.mark.parametrize("unit", ["field", "paragraph"])
def test_each_distinct_piece_is_read_once_and_mentions_equal_reading_each_anew(unit):
    arts = _articles()
    cached = CountingNLP(PHRASES)
    cfg = EntityConfig(chunk_chars=10_000, ner_unit=unit)
    got = list(EntityExtractor(cfg, nlp=cached).extract(arts))
    fresh = CountingNLP(PHRASES)  # one article per call: nothing is shared, every piece is read
    want = [m for a in arts for m in EntityExtractor(cfg, nlp=fresh).extract([a])]
    assert got == want and got
    assert len(cached.read) == len(set(cached.read)) < len(fresh.read)
    assert cached.read.count("Photo: Alaa al-Marjani,Reuters") == 1  # the credit is read once (slash -> comma)
    if unit == "paragraph":  # the boilerplate paragraph too
        assert cached.read.count("Follow Harbor Times on Twitter for news from Port Selwyn.") == 1
    by_id = {a.article_id: a for a in arts}
    for m in got:  # offsets refer to each article's own field
        assert field_text(by_id[m.article_id], m.field)[m.start:m.end] == m.surface
    raw = list(EntityExtractor(cfg, nlp=CountingNLP(PHRASES)).raw(arts))
    assert raw == [m for a in arts for m in EntityExtractor(cfg, nlp=CountingNLP(PHRASES)).raw([a])]


def test_workers_default_to_the_cores_and_few_texts_use_one_process(monkeypatch):
    from newsfold.engine.plan import workers
    from newsfold.util import available_cores

    assert Config().workers == 0 and workers(Config()) == available_cores()
    assert workers(Config(workers=3)) == 3
    seen = []

    class Recording(CountingNLP):
        def pipe(self, inputs, as_tuples=True, batch_size=1, n_process=1):
            seen.append(n_process)
            return super().pipe(inputs, as_tuples, batch_size, n_process)

    list(EntityExtractor(EntityConfig(), nlp=Recording(PHRASES), workers=2).extract(_articles()))
    assert set(seen) == {1}  # under PARALLEL_MIN_CHARS per worker
    seen.clear()
    monkeypatch.setattr(extract_mod, "PARALLEL_MIN_CHARS", 100)
    list(EntityExtractor(EntityConfig(), nlp=Recording(PHRASES), workers=2).extract(_articles()))
    assert seen == [2]


def _example_articles() -> list[Article]:
    arts = []
    for i, path in enumerate(sorted(EXAMPLES.rglob("*.txt"))):
        text = path.read_text(encoding="utf-8", errors="replace")
        title, _, body = text.strip().partition("\n")
        arts.append(_article(i, title, body))
    return arts


def test_two_processes_give_the_mentions_of_one_on_the_example_corpus(monkeypatch):
    pytest.importorskip("spacy")
    arts = _example_articles()
    one = EntityExtractor(EntityConfig(), workers=1)
    want = list(one.extract(arts))
    monkeypatch.setattr(extract_mod, "PARALLEL_MIN_CHARS", 1000)  # the example corpus is small
    got = list(EntityExtractor(EntityConfig(), nlp=one.nlp, workers=2).extract(arts))
    assert got == want and len(want) > 100


def test_workers_is_checked_and_not_compared_when_adding(tmp_path):
    from newsfold.corpus.generation import CorpusError
    from newsfold.engine.local import check_settings

    with pytest.raises(ConfigError, match="workers"):
        Config.from_dict({"workers": -1})
    assert Config.from_dict({"workers": 4}).workers == 4
    with pytest.raises(ConfigError, match="entities.workers: unknown setting"):  # one setting, at the top
        Config.from_dict({"entities": {"workers": 4}})
    gen = tmp_path / "corpus" / ".gens" / "00000001"
    gen.mkdir(parents=True)
    saved = json.loads(json.dumps(Config().to_dict()))
    saved["entities"]["n_process"] = 1  # an older corpus: the setting had other names and places
    saved["entities"]["workers"] = 2
    saved["dedup"]["workers"] = 3
    saved["workers"] = 5
    (gen / "config.json").write_text(json.dumps(saved))
    check_settings(gen, Config())  # no refusal
    saved["entities"]["gazetteer"] = False
    (gen / "config.json").write_text(json.dumps(saved))
    with pytest.raises(CorpusError, match="entities"):
        check_settings(gen, Config())


def test_paragraph_pieces_cut_at_blank_lines_and_bound_long_paragraphs():
    from newsfold.stages.entities.chunks import paragraph_pieces

    text = "One.\n\n  \nTwo two.\nStill two.\n\n" + "word " * 5000 + "\n\n"
    spans = paragraph_pieces(text, 10_000)
    assert [text[a:b] for a, b in spans[:2]] == ["One.", "Two two.\nStill two."]
    assert len(spans) == 5 and all(b - a <= 10_000 for a, b in spans)
    assert paragraph_pieces("", 100) == [] and paragraph_pieces("x", 100) == [(0, 1)]
