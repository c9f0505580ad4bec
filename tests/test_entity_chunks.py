"""NER in bounded pieces (entities/chunks.py): a long field is cut at paragraph, line or sentence
boundaries and its mentions keep the whole field's offsets; a normal-size field is untouched."""
from __future__ import annotations

import dataclasses

import pytest

from newsfold.stages.entities import EntityConfig, EntityExtractor
from newsfold.stages.entities.chunks import bounded_batches, pieces
from newsfold.eval.entities import dataset_articles
from newsfold.records import Article


def _article(text: str, title: str = "") -> Article:
    return Article(source="t.txt", page_id="p", span=(0, 0), raw="", title=title, text=text, article_id="a1")


def _key(ms):
    return [(m.field, m.start, m.end, m.surface, m.label, m.type) for m in ms]


def test_pieces_cover_the_text_in_order_within_the_size():
    text = ("One sentence here. Another one follows it.\n" * 40 + "\n") * 30
    ps = pieces(text, 1000)
    assert ps[0][0] == 0 and ps[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(ps, ps[1:]))
    assert all(0 < e - s <= 1000 for s, e in ps)
    assert all(text[e - 1] == "\n" for s, e in ps[:-1])  # cut after a line break, never inside a line
    assert pieces("short text", 1000) == [(0, 10)]


def test_pieces_prefer_a_blank_line_then_a_sentence_end_then_a_space():
    para = "word " * 150 + "\n\n"  # 752 characters, then a blank line
    assert pieces(para * 3, 1000)[0] == (0, len(para))
    sent = "Words and more words. " * 60
    s, e = pieces(sent, 1000)[0]
    assert sent[e - 2:e] == ". " and e > 500
    nospace = "x" * 2500
    assert pieces(nospace, 1000) == [(0, 1000), (1000, 2000), (2000, 2500)]


def test_bounded_batches_hold_at_most_n_texts_and_chars():
    items = [("x" * n, i) for i, n in enumerate([10, 50, 50, 5, 5, 5, 200, 1])]
    batches = list(bounded_batches(items, 3, 100))
    assert [[i for _, i in b] for b in batches] == [[0, 1], [2, 3, 4], [5], [6], [7]]
    assert [x for b in batches for x in b] == items


def test_chunked_ner_gives_the_same_mentions_on_normal_size_texts(shared_data):
    arts = dataset_articles(shared_data / "stories-giveme5w1h-dev" / "articles.jsonl")[:16]
    assert all(len(a.text) < EntityConfig().chunk_chars for a in arts[:10])
    chunked = EntityExtractor(EntityConfig())
    whole = EntityExtractor(dataclasses.replace(EntityConfig(), chunk_chars=10 ** 8, batch_chars=10 ** 9),
                            nlp=chunked.nlp)
    assert _key(chunked.extract(arts)) == _key(whole.extract(arts))
    # and a field of several pieces: the same mentions as NER on the whole field, but a few at a cut
    long = _article("\n\n".join(a.text for a in arts))
    cut = _key(chunked.extract([long]))
    one = _key(whole.extract([long]))
    assert len(pieces(long.text, EntityConfig().chunk_chars)) >= 3
    assert len(set(cut) & set(one)) >= 0.98 * max(len(cut), len(one))


def test_long_text_mentions_have_their_offsets_in_the_whole_field():
    filler = "The committee met again on Monday and said little about the talks.\n" * 900  # ~61k chars
    tail = "Late in the day, Angela Merkel spoke to reporters in Berlin."
    text = filler + "\n" + tail + "\n" + filler[:5000]
    cfg = EntityConfig(chunk_chars=5000, batch_chars=20_000)
    ms = list(EntityExtractor(cfg).extract([_article(text)]))
    assert len(pieces(text, cfg.chunk_chars)) > 10
    assert all(text[m.start:m.end] == m.surface for m in ms)
    at = text.index("Angela Merkel")
    assert ("Angela Merkel", at, "PERSON") in {(m.surface, m.start, m.type) for m in ms}
    assert ("Berlin", text.index("Berlin", at), "PLACE") in {(m.surface, m.start, m.type) for m in ms}


@pytest.mark.parametrize("setting, value", [("chunk_chars", 10), ("batch_chars", 0)])
def test_chunk_settings_are_checked(setting, value):
    from newsfold.config import Config, ConfigError

    with pytest.raises(ConfigError, match=f"entities.{setting}"):
        Config.from_dict({"entities": {setting: value}})


def test_entities_are_read_in_the_first_field_chars_of_a_field_only():
    from newsfold.stages.entities import article_contexts, canonicalize

    para = "Angela Merkel met Emmanuel Macron in Berlin on Monday to discuss the budget.\n"
    art = _article(para * 200)  # 15,600 characters; the names recur all along
    cfg = EntityConfig(field_chars=3000, chunk_chars=1000, batch_chars=5000)
    ms = list(EntityExtractor(cfg).extract([art]))
    assert ms and max(m.end for m in ms) <= 3000
    assert min(m.start for m in ms if m.surface == "Angela Merkel") == 0
    result = canonicalize(ms, article_contexts([art]), cfg)  # the second pass stops there too
    assert max(m.end for m in result.mentions) <= 3000
    whole = canonicalize(ms, article_contexts([art]), EntityConfig(field_chars=10 ** 6))
    assert max(m.end for m in whole.mentions) > 3000  # without the cap the second pass reads on
