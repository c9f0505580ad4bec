"""Stories and members as Arrow tables, and back: the files of ``StoryState.save`` and the spill.

- ``stories_table``: one row per open story (id, seed, dates, index keys, centroid per block, join
  statistics, the article count at its last join);
- ``members_table``: one row per member (id, story, date, outlet, title, sentences, and, unless
  ``features=False`` as in the spill, its strongest hashed features per block and embedding);
- ``pending_table``: one row per article not clustered yet (what clustering reads of it);
- ``features_table``: the hashed features of those articles, with the digest of what they were
  made from (``features.feature_key``), so that a later run need not make them again.
"""
from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from newsfold.records import Article, distinct_article

from newsfold.stages.stories.features import BLOCKS, ArticleFeatures
from newsfold.stages.stories.model import Member, Story

STORY_SCHEMA = pa.schema(
    [("story_id", pa.string()), ("seed", pa.string()), ("first_day", pa.int64()), ("last_day", pa.int64()),
     ("keys", pa.list_(pa.int64())), ("dense", pa.list_(pa.float32())), ("join_sum", pa.float64()),
     ("joins", pa.int64()), ("last_seq", pa.int64()), ("doubt", pa.bool_())]
    + [f for b in BLOCKS for f in ((f"{b}_ids", pa.list_(pa.uint32())), (f"{b}_w", pa.list_(pa.float64())))]
)
_MEMBER_BASE = [("article_id", pa.string()), ("story_id", pa.string()), ("day", pa.int64()),
                ("outlet", pa.string()), ("title", pa.string()), ("sentences", pa.list_(pa.string()))]
MEMBER_SCHEMA = pa.schema(
    _MEMBER_BASE + [("dense", pa.list_(pa.float32()))]
    + [f for b in BLOCKS for f in ((f"{b}_ids", pa.list_(pa.uint32())), (f"{b}_tf", pa.list_(pa.float32())))]
)
SPILL_SCHEMA = pa.schema(_MEMBER_BASE)
PENDING_SCHEMA = pa.schema(
    [("article_id", pa.string()), ("source", pa.string()), ("title", pa.string()), ("text", pa.string()),
     ("outlet", pa.string()), ("url", pa.string()), ("published", pa.string()), ("captions", pa.list_(pa.string())),
     ("language", pa.string())]  # states saved before it was kept lack it (read as None)
)
FEATURES_SCHEMA = pa.schema(
    [("article_id", pa.string()), ("key", pa.uint64()), ("day", pa.int64())]
    + [f for b in BLOCKS for f in ((f"{b}_ids", pa.list_(pa.uint32())), (f"{b}_tf", pa.list_(pa.float32())))]
)


def stories_table(stories: list[Story]) -> pa.Table:
    cols: dict[str, list] = {
        "story_id": [s.story_id for s in stories],
        "seed": [s.seed for s in stories],
        "first_day": [s.first_day for s in stories],
        "last_day": [s.last_day for s in stories],
        "keys": [s.keys.tolist() for s in stories],
        "dense": [None if s.dense is None else s.dense.tolist() for s in stories],
        "join_sum": [s.join_sum for s in stories],
        "joins": [s.joins for s in stories],
        "last_seq": [s.last_seq for s in stories],
        "doubt": [s.doubt for s in stories],
    }
    for b in BLOCKS:
        cols[f"{b}_ids"] = [s.block(b)[0].tolist() for s in stories]
        cols[f"{b}_w"] = [s.block(b)[1].tolist() for s in stories]
    return pa.table(cols, schema=STORY_SCHEMA)


def _lists(table: pa.Table, name: str, dtype) -> tuple[np.ndarray, list[int]]:
    """A list column as one numpy array of its values and each row's offsets into it."""
    col = table.column(name).combine_chunks()
    return col.values.to_numpy(zero_copy_only=False).astype(dtype, copy=False), col.offsets.to_numpy().tolist()


def stories_from_table(table: pa.Table) -> list[Story]:
    """The stories of ``stories_table``, column by column (the same arrays a row at a time would give)."""
    n = table.num_rows
    col = {c: table.column(c).to_pylist() for c in ("story_id", "seed", "first_day", "last_day", "dense", "join_sum",
                                                    "joins")}
    # states saved before closing lack last_seq, and before the flag, doubt: refined at closing, as then
    col["last_seq"] = table.column("last_seq").to_pylist() if "last_seq" in table.column_names else [0] * n
    col["doubt"] = table.column("doubt").to_pylist() if "doubt" in table.column_names else [True] * n
    keys, key_off = _lists(table, "keys", np.int64)
    blocks = {b: (_lists(table, f"{b}_ids", np.uint32), _lists(table, f"{b}_w", np.float64)) for b in BLOCKS}
    out = []
    for i in range(n):
        s = Story(col["story_id"][i], col["seed"][i], first_day=col["first_day"][i], last_day=col["last_day"][i])
        s.keys = np.unique(keys[key_off[i]:key_off[i + 1]])
        s.join_sum, s.joins = col["join_sum"][i], col["joins"][i]
        s.last_seq = col["last_seq"][i] or 0
        s.doubt = col["doubt"][i] is not False
        dense = col["dense"][i]
        s.dense = None if dense is None else np.asarray(dense, np.float32)
        parts = {}
        for b, ((all_ids, io), (all_w, wo)) in blocks.items():
            ids, w = all_ids[io[i]:io[i + 1]], all_w[wo[i]:wo[i + 1]]
            order = np.argsort(ids, kind="stable")
            parts[b] = (ids[order], w[order])
            s.norm2[b] = math.fsum((w * w).tolist())
        s.set_blocks(parts)
        out.append(s)
    return out


def members_table(members: list[Member], features: bool = True) -> pa.Table:
    cols: dict[str, list] = {
        "article_id": [m.article_id for m in members],
        "story_id": [m.story_id for m in members],
        "day": [m.day for m in members],
        "outlet": [m.outlet for m in members],
        "title": [m.title for m in members],
        "sentences": [m.sentences for m in members],
    }
    if not features:
        return pa.table(cols, schema=SPILL_SCHEMA)
    cols["dense"] = [None if m.dense is None else m.dense.tolist() for m in members]
    for b in BLOCKS:
        cols[f"{b}_ids"] = [m.ids[b] for m in members]
        cols[f"{b}_tf"] = [m.tf[b] for m in members]
    return pa.table(cols, schema=MEMBER_SCHEMA)


def member_from_row(row: dict, compress: bool = True) -> Member:
    """A member from a row of ``members_table`` (without features: empty blocks); ``compress``:
    see ``Member``."""
    feats = f"{BLOCKS[0]}_ids" in row
    return Member(
        row["article_id"], row["story_id"], row["day"], row["outlet"], row["title"],
        {b: np.asarray(row[f"{b}_ids"] if feats else (), np.uint32) for b in BLOCKS},
        {b: np.asarray(row[f"{b}_tf"] if feats else (), np.float32) for b in BLOCKS},
        list(row["sentences"] or ()),
        None if row.get("dense") is None else np.asarray(row["dense"], np.float32), compress,
    )


def pending_table(articles: list[Article]) -> pa.Table:
    arts = sorted(articles, key=lambda a: a.article_id or "")
    return pa.table({name: [getattr(a, name) for a in arts] for name in PENDING_SCHEMA.names}, schema=PENDING_SCHEMA)


def pending_from_table(table: pa.Table) -> list[Article]:
    return [distinct_article(r) for r in table.to_pylist()]


def features_table(features: dict[str, tuple[int, ArticleFeatures]]) -> pa.Table:
    """article id -> (``feature_key``, its features) as a table (dense vectors are not kept)."""
    aids = sorted(features)
    cols: dict[str, list] = {"article_id": aids, "key": [features[a][0] for a in aids],
                             "day": [features[a][1].day for a in aids]}
    for b in BLOCKS:
        cols[f"{b}_ids"] = [features[a][1].blocks[b][0] for a in aids]
        cols[f"{b}_tf"] = [features[a][1].blocks[b][1] for a in aids]
    return pa.table(cols, schema=FEATURES_SCHEMA)


def features_from_table(table: pa.Table) -> dict[str, tuple[int, ArticleFeatures]]:
    def lists(name: str, dtype) -> list[np.ndarray]:
        arr = table.column(name).combine_chunks()
        offsets = arr.offsets.to_numpy()
        values = np.array(arr.values.to_numpy(zero_copy_only=False), dtype)  # a writable copy
        return [values[offsets[i]:offsets[i + 1]] for i in range(len(arr))]

    ids = {b: lists(f"{b}_ids", np.uint32) for b in BLOCKS}
    tfs = {b: lists(f"{b}_tf", np.float32) for b in BLOCKS}
    keys, days = table.column("key").to_pylist(), table.column("day").to_pylist()
    return {aid: (keys[i], ArticleFeatures(aid, days[i], {b: (ids[b][i], tfs[b][i]) for b in BLOCKS}))
            for i, aid in enumerate(table.column("article_id").to_pylist())}
