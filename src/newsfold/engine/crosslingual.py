"""Stories across languages, in a run: the stage's links (``stages/stories/crosslingual.py``) over the
generation's articles, their embeddings cached in ``state/crosslingual``."""
from __future__ import annotations

import json
import time
from typing import Sequence

from newsfold.stages.stories import crosslingual as xl
from newsfold.stages.stories.crosslingual import (MISSING, EmbeddingCache, group_links, lead, merge_infos,
    views)


def update(gen, grouper, raw, gone_raw: set[str], status: dict | None = None):
    """Link this run's stories across languages and return (result to write, extra story ids whose
    rows go).  ``raw``: the clusterer's result for this run (``publish``); ``gone_raw``: the raw
    story ids whose rows this run drops.  The links of the last run (``state/crosslingual``) tell
    which written groups changed; a changed group is written whole."""
    from newsfold.stages.stories.result import StoryResult, sorted_infos, iter_infos
    from newsfold.stages.stories.features import day_ordinal
    from newsfold.engine.enrich import iter_articles
    from newsfold.corpus.generation import iter_batches

    config = grouper.config
    saved = gen.previous_state("crosslingual")
    old: dict[str, str] = json.loads((saved / "links.json").read_text()) if saved else {}
    folder = gen.state / "crosslingual"
    folder.mkdir(parents=True, exist_ok=True)
    if not config.crosslingual:
        new: dict[str, str] = {}
        cache = EmbeddingCache.load(saved)
    elif not xl.available():  # (looked up on the module, so a test can switch the encoder off)
        if status is not None:
            status["off"] = MISSING
        new, cache = {}, EmbeddingCache.load(saved)
    else:
        st = grouper.state
        rows = []
        for rb in iter_batches(gen.readable("articles"), 20000, columns=["article_id", "language", "published"]):
            for aid, lang, pub in zip(*(rb.column(c).to_pylist() for c in ("article_id", "language", "published"))):
                sid = st.story_of(aid)
                if sid is not None:
                    rows.append((aid, sid, lang, day_ordinal(pub)))
        # a story's language is one of its members': with fewer than two of the encoder's languages
        # among the articles, no two stories can link (``candidate_pairs``), and none are looked at
        one_language = len({lang for _, _, lang, _ in rows if lang in xl.ENCODER_LANGUAGES}) < 2
        stories = {} if one_language else views(rows)
        cache = EmbeddingCache.load(saved)
        chars = config.crosslingual_chars

        def text_of(ids: Sequence[str]) -> dict[str, str]:
            return {a.article_id: lead(a.title, a.text, chars) for a in iter_articles(gen.readable("articles"), ids=ids)}

        t0 = time.perf_counter()
        new = group_links(stories, cache, config, text_of)
        if status is not None:
            status["embedded"] = cache.encoded
            status["seconds"] = round(time.perf_counter() - t0, 3)
    cache.save(folder)
    (folder / "links.json").write_text(json.dumps(new, sort_keys=True))
    if status is not None:  # what this run's step cost (the encoder's share: bench/language.py reads it)
        (folder / "run.json").write_text(json.dumps({k: status.get(k) for k in ("embedded", "seconds", "off")}))
    if status is not None:
        status["linked"] = len(new) - len(set(new.values()))
    if not new and not old:
        return raw, set()
    written = {s.story_id for s in raw.stories}
    touched = written | gone_raw | {s for s in set(old) | set(new) if old.get(s) != new.get(s)}
    # whole groups, under the old links and the new
    by_root: dict[str, set[str]] = {}
    for m in (old, new):
        for s, r in m.items():
            by_root.setdefault(f"{id(m)}:{r}", set()).add(s)
    changed = set(touched)
    for members in by_root.values():
        if members & touched:
            changed |= members
    extra_gone = changed | {old[s] for s in changed if s in old} | {new[s] for s in changed if s in new}
    have = {s.story_id: s for s in raw.stories}
    st = grouper.state
    want = sorted(s for s in changed if s not in have and st.exists(s))
    for info in iter_infos(st, want):
        have[info.story_id] = info
    groups: dict[str, list] = {}
    out = []
    for sid, info in have.items():
        if sid not in changed and sid in written:
            out.append(info)
        elif sid in new:
            groups.setdefault(new[sid], []).append(info)
        elif sid in changed:
            out.append(info)
    out.extend(merge_infos(infos, root) for root, infos in groups.items())
    stories = sorted_infos(out)
    assignments = {aid: s.story_id for s in stories for aid in s.article_ids}
    return StoryResult(dict(sorted(assignments.items())), stories, raw.config, raw.replaced), extra_gone
