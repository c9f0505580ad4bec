"""After dedup: group the new and changed articles into stories, then find their entities.

Both work on the generation a run is building (``corpus.Generation``), from the run's
``Changes``: articles whose text is new (``fresh``), and articles whose id changed (``renamed``,
when a longer copy or a merge gave their duplicate group another canonical copy).

- Stories continue the saved checkpoint of the streaming grouper: a clustered article whose
  canonical copy changed is replaced by what it became where it stands (or waits with the pending
  ones, when it now sorts after them), fresh articles join a story or open one, the open stories
  are refined, and their rows
  (with those of stories closed since the last run) are rewritten; see ``update_stories``.
  ``articles.story_id`` is updated where it changed.
- Entities: NER runs on the fresh articles only; its mentions are kept in ``state/entities``.
  Canonicalisation (merging spelling variants) is corpus-wide, so it runs over all the stored
  mentions, and ``entities`` and ``mentions`` are rewritten.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsfold.corpus.generation import iter_batches, read_table
from newsfold.progress import StageProgress

Start = Callable[[str, "int | None"], StageProgress]  # starts a stage of the run's progress (``Runner.start``)


def _no_progress(stage: str, total: int | None = None) -> StageProgress:
    return StageProgress(None, stage, total)
from newsfold.records import Article, distinct_article
from newsfold.stages.entities.gate import ner_gate

ARTICLE_COLUMNS = ["article_id", "title", "text", "outlet", "url", "published", "captions", "source", "story_id",
                   "language"]


def iter_articles(path: Path, batch: int = 2000, ids: Iterable[str] | None = None) -> Iterator[Article]:
    """Distinct articles from an articles table (a folder of parts or a file), as records;
    only those in ``ids`` when given."""
    want = pa.array(sorted(set(ids)), pa.string()) if ids is not None else None
    for rb in iter_batches(path, batch, columns=ARTICLE_COLUMNS):
        if want is not None:
            rb = rb.filter(pc.is_in(rb.column("article_id"), value_set=want))
        for r in rb.to_pylist():
            yield distinct_article(r)


def story_schemas() -> dict[str, pa.Schema]:
    from newsfold.stages.stories import story_tables
    from newsfold.stages.stories.result import StoryResult

    return {k: t.schema for k, t in story_tables(StoryResult({}, [], {})).items()}


def entity_schemas() -> dict[str, pa.Schema]:
    from newsfold.stages.entities.tables import ENTITIES_SCHEMA, MENTIONS_SCHEMA

    return {"entities": ENTITIES_SCHEMA, "mentions": MENTIONS_SCHEMA}


def update_stories(gen, cfg, changes, start: Start | None = None, crosslingual_status: dict | None = None) -> int:
    """Group the fresh articles into the saved stories and write every story row that may have
    changed, and the changed ``story_id``s.  Returns the number of stories in the corpus.

    The saved grouper is a checkpoint of one stream over every article (``StoryGrouper.commit``:
    full chunks clustered, the rest pending).  This run commits its fresh articles, saves the
    checkpoint, then clusters the pending ones and refines the open stories for its tables only.
    The stories' rows then equal one run's over everything.  Closed stories are final: their rows
    are written once, when they close (again only when a rename changes one); the rows of the
    other stories (``volatile.json``) are replaced by each run.  Progress (``start``): the stage
    ``stories`` counts the articles clustered (this run's and the pending ones), ``refine stories``
    the open stories refined and built.
    """
    import json

    from newsfold.stages.stories import StoryGrouper, story_tables
    from newsfold.stages.stories.stream import publish

    stage = (start or _no_progress)("stories", None)  # loading the saved stories is part of it
    saved = gen.previous_state("stories")
    grouper = StoryGrouper.load(saved, device=cfg.embedding_device) if saved else StoryGrouper(cfg)
    st = grouper.state
    members = st.members
    volatile = set(json.loads((saved / "volatile.json").read_text())) if saved else set()
    closed_before = set(st.closed.stories)
    refetch = set()
    # articles whose canonical copy changed (renamed, or the same id with another copy), by what they are now
    targets: dict[str, list[str]] = {}
    for old, new in sorted(changes.renamed.items()):
        targets.setdefault(new, []).append(old)
    before = getattr(changes, "before", {})
    for aid in sorted(set(changes.fresh) & set(before)):
        if aid not in targets and aid in members:
            targets[aid] = [aid]
    now = {a.article_id: a for a in iter_articles(gen.readable("articles"), ids=set(changes.fresh) | set(targets))}
    for new, olds in sorted(targets.items()):
        waiting = new in st.pending
        for old in olds:
            if old in st.pending:  # not clustered yet: cluster the article it became instead
                del st.pending[old]
                waiting = True
        clustered = [o for o in olds if o in members]
        if not clustered:
            refetch.add(new)
        elif any(o not in before for o in clustered) or new not in now:  # a run that kept no old rows
            for old in clustered:
                grouper.rename(old, new)
        elif waiting or (new in members and new not in olds) or grouper.sorts_after_clustered(now[new]):
            # one run clusters the article it became where it waits, already is, or sorts (after the
            # clustered ones: with the pending ones): the old ones leave
            for old in clustered:
                grouper.drop(distinct_article(before[old]))
            if new in members and new in before:  # and its own canonical copy changed too
                grouper.replace(distinct_article(before[new]), now[new])
            if new not in members:
                refetch.add(new)
        else:  # it takes the place of the first one; the others leave
            grouper.replace(distinct_article(before[clustered[0]]), now[new])
            for old in clustered[1:]:
                grouper.drop(distinct_article(before[old]))
    want = set(changes.fresh) | refetch
    fresh = [a for aid, a in now.items() if aid in want and aid not in members]
    stage.set_total(len(fresh) + len(st.pending))
    grouper.progress = stage.add
    grouper.commit(fresh)
    # renames changed these closed stories and removed these: their rows go too
    renamed_closed = {s for s in st.changed if s in st.closed.stories}
    renamed_away = set(st.gone)
    st.changed.clear()
    st.gone.clear()
    grouper.save(gen.state / "stories")
    closed_at_save = set(st.closed.stories)
    grouper.flush()
    stage = (start or _no_progress)("refine stories", len(st.stories.live))
    # articles whose text or id this run changed: a story holding one is built again
    edited = set(changes.fresh) | set(changes.renamed) | set(changes.renamed.values()) | set(before) | \
        set(changes.removed)
    stored = stored_members(gen.readable("stories"), volatile) if saved else {}
    result = publish(grouper, closed_before - renamed_closed, as_stored(stored, edited) if stored else None)
    stage.finish()
    built_standing = set(result.standing)
    written = {s.story_id for s in result.stories} | built_standing
    (gen.state / "stories" / "volatile.json").write_text(json.dumps(sorted(written - closed_at_save)))
    # stories across languages: linked groups are written as one story (stories/crosslingual.py)
    from newsfold.engine import crosslingual

    crosslingual_status = {} if crosslingual_status is None else crosslingual_status
    result, linked_gone = crosslingual.update(
        gen, grouper, result, (volatile | renamed_away | set(result.replaced or ())) - built_standing,
        crosslingual_status)
    # a standing story that a link joins to a group now goes, with the group written whole
    built_standing -= linked_gone | {s.story_id for s in result.stories}
    assigned = result.assignments
    want_ids = pa.array(sorted(assigned), pa.string())

    def differs(t: pa.Table) -> pa.Array:
        ids, sids = t.column("article_id").to_pylist(), t.column("story_id").to_pylist()
        return pa.array([assigned.get(a, s) != s for a, s in zip(ids, sids)])

    old_story_ids: set[str] = set()
    taken = gen.take("articles", "article_id", want_ids.to_pylist(), where=differs)
    if taken is not None:
        old_story_ids = {s for s in taken.column("story_id").to_pylist() if s}
        t = taken.drop_columns(["story_id"]).append_column(
            "story_id", pa.array([assigned[a] for a in taken.column("article_id").to_pylist()], pa.string()))
        gen.writer("articles", t.schema).write_table(t)
    tables = story_tables(result)
    if saved is None:
        for name, t in tables.items():
            gen.replace_all(name, t)
    else:
        gone = (volatile | renamed_away | old_story_ids | set(result.replaced or ()) | linked_gone) - built_standing
        standing = standing_stories(gen.readable("stories"), tables["stories"], gone, edited)
        if standing:  # rows that would be written again as they are: kept where they are
            keep = pa.array(sorted(standing), pa.string())
            tables = {name: t.filter(pc.invert(pc.is_in(t.column("story_id"), value_set=keep)))
                      for name, t in tables.items()}
        for name, t in tables.items():
            gen.take(name, "story_id", sorted(gone - standing))
            gen.writer(name, t.schema).write_table(t)
    return len(st.stories) - crosslingual_status.get("linked", 0)


def as_stored(stored: dict[str, tuple[str, ...]], edited: set[str]) -> Callable[[str, list], bool]:
    """``publish``'s ``stands``: true of a story whose ``stored`` row names the same members in
    order, none ``edited``, and whose label is one of their headlines (not keyphrases, which follow
    the document frequencies): its row and sentence rows, functions of those members, would be
    built the same."""
    def stands(sid: str, ms: list) -> bool:
        ids = stored.get(sid)
        return ids is not None and len(ids) == len(ms) and all(m.article_id == a for m, a in zip(ms, ids)) and \
            any(m.title for m in ms) and edited.isdisjoint(ids)
    return stands


def stored_members(stored: Path, ids: set[str]) -> dict[str, tuple[str, ...]]:
    """Story id -> its members (``article_ids``) in the ``stored`` stories table, for the story ids
    of ``ids`` stored in exactly one row."""
    if not ids:
        return {}
    want = pa.array(sorted(ids), pa.string())
    out: dict[str, tuple[str, ...]] = {}
    twice: set[str] = set()
    for rb in iter_batches(stored, 20000, columns=["story_id", "article_ids"]):
        rb = rb.filter(pc.is_in(rb.column("story_id"), value_set=want))
        for sid, aids in zip(rb.column("story_id").to_pylist(), rb.column("article_ids").to_pylist()):
            if sid in out:
                twice.add(sid)
            out[sid] = tuple(aids)
    return {sid: aids for sid, aids in out.items() if sid not in twice}


def standing_stories(stored: Path, stories: pa.Table, ids: set[str], edited: set[str]) -> set[str]:
    """The story ids of ``ids`` whose new row in ``stories`` equals their one row in the ``stored``
    stories table and holds no article in ``edited`` (one whose text or id this run changed).  Their
    rows stand: a story's row names its members in order, and its sentence rows are a function of
    those members' texts, which an article keeps while it keeps its id unedited, so writing them
    again would write the same rows."""
    new = {r["story_id"]: r for r in stories.filter(
        pc.is_in(stories.column("story_id"), value_set=pa.array(sorted(ids), pa.string()))).to_pylist()}
    if not new:
        return set()
    want = pa.array(sorted(new), pa.string())
    seen: dict[str, int] = {}
    same: set[str] = set()
    for rb in iter_batches(stored, 20000):
        rb = rb.filter(pc.is_in(rb.column("story_id"), value_set=want))
        for r in rb.to_pylist():
            sid = r["story_id"]
            seen[sid] = seen.get(sid, 0) + 1
            if r == new[sid] and edited.isdisjoint(r["article_ids"]):
                same.add(sid)
    return {sid for sid in same if seen[sid] == 1}


def count_languages(path: Path) -> dict[str, int]:
    """Distinct articles per language in an articles table, most frequent first."""
    counts: dict[str, int] = {}
    for rb in iter_batches(path, 20000, columns=["language"]):
        for code in rb.column("language").to_pylist():
            counts[code or "und"] = counts.get(code or "und", 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def update_entities(gen, cfg, changes, start: Start | None = None, no_model: dict[str, int] | None = None,
                    workers: int = 1, map: Callable | None = None, status: dict | None = None) -> int:
    """NER on the fresh articles in a language the model knows (``ner_gate``; the others are counted
    in ``no_model``), then canonicalisation over every stored mention; rewrites ``entities`` and
    ``mentions``.  Returns the number of entities.  Progress (``start``): the stage ``entities``
    counts the articles NER has taken, ``merge entities`` the mentions merged.  ``map``: an
    executor's map, where NER runs on ``workers`` of the engine's workers (the Ray engine's actors)
    rather than spaCy's own processes.

    The mentions found across scripts (Arabic spellings of the names of their story, source
    "script") are not stored with NER's: canonicalisation finds them again in every run, over the
    stories as they are now (a later article can move an Arabic one into another story); their
    number goes to ``status["script_mentions"]``."""
    from newsfold.stages.entities import EntityExtractor, Mention, article_contexts, canonicalize, entity_tables

    stage = (start or _no_progress)("entities", len(set(changes.fresh)))  # loading the model is part of it
    raw_prev = gen.previous_state("entities")
    drop = set(changes.removed) | set(changes.fresh)
    mentions: list[Mention] = []
    if raw_prev is not None:
        for rb in pq.ParquetFile(raw_prev / "mentions.parquet").iter_batches(batch_size=20000):
            for r in rb.to_pylist():
                if r["article_id"] not in drop:
                    mentions.append(Mention(**r))
    extractor = EntityExtractor(cfg, workers=workers, map=map)
    fresh = stage.counted(iter_articles(gen.readable("articles"), ids=changes.fresh))
    mentions.extend(extractor.extract(ner_gate(fresh, no_model)))
    folder = gen.state / "entities"
    folder.mkdir(parents=True, exist_ok=True)
    fields = list(Mention.__dataclass_fields__)
    pq.write_table(pa.Table.from_pylist([{k: getattr(m, k) for k in fields} for m in mentions],
                                        schema=_raw_schema()), folder / "mentions.parquet", compression="zstd")
    stage = (start or _no_progress)("merge entities", len(mentions))
    # canonicalisation reads the articles that hold mentions and those in a language whose names it looks
    # for across scripts (``cfg.script_languages``), no other
    wanted = {m.article_id for m in mentions} | ids_in_languages(gen.readable("articles"), cfg.script_languages)
    result = canonicalize(mentions, article_contexts(iter_articles(gen.readable("articles"), ids=wanted)), cfg)
    stage.finish()
    tables = entity_tables(result)
    for name, t in tables.items():
        gen.replace_all(name, t)
    if status is not None:
        status["script_mentions"] = sum(m.source == "script" for m in result.mentions)
    return tables["entities"].num_rows


def ids_in_languages(path: Path, languages) -> set[str]:
    """The ids of the articles of an articles table written in one of ``languages``."""
    languages = set(languages)
    if not languages:
        return set()
    ids: set[str] = set()
    for rb in iter_batches(path, 20000, columns=["article_id", "language"]):
        for aid, code in zip(rb.column("article_id").to_pylist(), rb.column("language").to_pylist()):
            if code in languages:
                ids.add(aid)
    return ids


def _raw_schema() -> pa.Schema:
    s = pa.string()
    return pa.schema([("article_id", s), ("field", s), ("start", pa.int64()), ("end", pa.int64()), ("surface", s),
                      ("label", s), ("type", s), ("source", s)])


__all__ = ["iter_articles", "read_table", "update_entities", "update_stories"]
