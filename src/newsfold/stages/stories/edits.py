"""Edits to articles already clustered, in place, as one run over everything would have them:
an article renamed (``rename``), its canonical copy changed (``replace``), or no longer an article
(``drop``); the story's seed and id follow (``_reseed``).  ``StoryGrouper``'s methods of the same
names call these (split from ``stream.py``); ``grouper`` is that ``StoryGrouper`` (typed ``Any``:
``stream.py`` imports this module)."""
from __future__ import annotations

from typing import Any

import numpy as np

from newsfold.records import Article
from newsfold.stages.stories.compare import sentences
from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import Member, Story, member_order, story_id_for
from newsfold.stages.stories.score import add_to_story


def rename(grouper: Any, old_article_id: str, new_article_id: str) -> str | None:
    """An article's id changed: the member keeps its story under the new id.  When the new id
    is a member already, the old one just leaves its story.  The story keeps its id either
    way.  Returns the story of ``new_article_id`` afterwards; None when ``old`` is unknown."""
    st = grouper.state
    old, new = old_article_id, new_article_id
    if old == new or old not in st.members:
        return st.story_of(new) if old == new else None
    remove = new in st.members
    m = st.members.live.get(old)
    if m is None:  # a closed story's member
        sid = st.closed.rename(old, new, remove)
        (st.changed if sid in st.closed.stories else st.gone).add(sid)
        return st.story_of(new)
    sid = m.story_id
    story = st.stories.live[sid]
    del st.members.live[old]
    st.changed.add(sid)
    if not remove:
        m.article_id = new
        st.members.live[new] = m
        story.members[story.members.index(old)] = new
        if story.seed == old:
            story.seed = new
        return sid
    if not _leave(grouper, story, old):
        if story.seed == old:
            story.seed = story.members[0]
        _rebuild_story(grouper, story)
    return st.story_of(new)


def replace(grouper: Any, old: Article, new: Article) -> str | None:
    """A clustered article's canonical copy changed (a longer copy, or one that wins the tie by
    content, came in a later run): ``old`` is the article as it was clustered, ``new`` as it is
    now (another id, or the same id with another title, date or text).  One run over
    everything clusters ``new`` where this state has ``old``, so ``new`` takes its place: its
    features replace ``old``'s in the document frequencies, in the member and in its story's
    centroid (an open story) or its row replaces ``old``'s (a closed one), and the story's seed
    and id follow as one run names them (``_reseed``).  When ``new`` is clustered already (two
    groups merged), ``old`` just leaves (``drop``).  Returns the story of ``new`` afterwards;
    None when ``old`` is not clustered."""
    st = grouper.state
    oid, nid = old.article_id or "", new.article_id or ""
    if oid not in st.members:
        return None
    if nid != oid and nid in st.members:
        drop(grouper, old)
        return st.story_of(nid)
    fo, fn = grouper.featurizer.featurize([old, new])
    for b in BLOCKS:
        st.df[b][fo.blocks[b][0]] -= 1
        st.df[b][fn.blocks[b][0]] += 1
    old_key = (fo.day is None, fo.day or 0, oid)
    m = st.members.live.get(oid)
    if m is None:  # a closed story's member: no features kept, its row changes
        empty = {b: np.zeros(0, np.uint32) for b in BLOCKS}
        sid = st.closed.replace(oid, Member(nid, "", fn.day, new.outlet, new.title, empty,
                                           {b: np.zeros(0, np.float32) for b in BLOCKS},
                                           sentences(new.text or "")))
        st.changed.add(sid)
        return _reseed(grouper, sid, old_key, nid)
    sid = m.story_id
    story = st.stories.live[sid]
    dense = grouper._embed([new])
    fn.dense = None if dense is None else dense[0]
    ids = {b: fn.blocks[b][0] for b in BLOCKS}
    tf = {b: fn.blocks[b][1] for b in BLOCKS}
    vec = grouper.vector(ids, tf, fn.day, fn.dense)
    keep = {b: np.isin(ids[b], np.asarray(vec.terms[b][0], np.uint32)) for b in BLOCKS}
    del st.members.live[oid]
    st.members.live[nid] = Member(nid, sid, fn.day, new.outlet, new.title, {b: ids[b][keep[b]] for b in BLOCKS},
                                  {b: tf[b][keep[b]] for b in BLOCKS}, sentences(new.text or ""), fn.dense)
    story.members = sorted((nid if a == oid else a for a in story.members),
                           key=lambda a: member_order(st.members.live[a]))
    st.changed.add(sid)
    sid = _reseed(grouper, sid, old_key, nid)
    _rebuild_story(grouper, st.stories.live[sid])
    return sid


def drop(grouper: Any, old: Article) -> None:
    """A clustered article ceased to be one (its duplicate group merged into another article's):
    its features leave the document frequencies, it leaves its story (an emptied story is
    gone), and the story's seed and id follow (``_reseed``)."""
    st = grouper.state
    oid = old.article_id or ""
    if oid not in st.members:
        return
    (fo,) = grouper.featurizer.featurize([old])
    for b in BLOCKS:
        st.df[b][fo.blocks[b][0]] -= 1
    st.n_docs -= 1
    old_key = (fo.day is None, fo.day or 0, oid)
    m = st.members.live.get(oid)
    if m is None:  # a closed story's member
        sid = st.closed.rename(oid, oid, True)
        if sid in st.closed.stories:
            st.changed.add(sid)
            _reseed(grouper, sid, old_key, None)
        else:
            st.changed.discard(sid)
            st.gone.add(sid)
        return
    sid = m.story_id
    story = st.stories.live[sid]
    del st.members.live[oid]
    if _leave(grouper, story, oid):
        return
    st.changed.add(sid)
    _rebuild_story(grouper, st.stories.live[_reseed(grouper, sid, old_key, None)])


def _leave(grouper: Any, story: Story, aid: str) -> bool:
    """``aid`` leaves an open story; a story left empty is gone (True)."""
    story.members.remove(aid)
    if story.members:
        return False
    st = grouper.state
    grouper.index.remove(story)
    del st.stories.live[story.story_id]
    st.changed.discard(story.story_id)
    st.gone.add(story.story_id)
    return True


def _reseed(grouper: Any, sid: str, old_key: tuple, nid: str | None) -> str:
    """After a member (stream position ``old_key``) became ``nid`` (None: left the story), the
    seed one run gives the story: the new article where it opens the story (the old one was
    the seed and the new one comes before the next member, or it now comes before the seed),
    else the next member after the old one where that was the seed.  A story named after its
    seed takes the new seed's id (when free).  Returns the story's id."""
    st = grouper.state
    live = st.stories.live.get(sid)
    members = [st.members.live[a] for a in live.members] if live is not None else st.closed.story_members(sid)
    keys = {m.article_id: member_order(m) for m in members}
    seed = live.seed if live is not None else st.closed.stories[sid][2]
    oid = old_key[2]
    new_key = keys.get(nid) if nid is not None else None
    if seed == oid:
        later = [k for a, k in keys.items() if a != nid and k > old_key]
        options = ([new_key] if new_key is not None else []) + ([min(later)] if later else [])
        new_seed = min(options)[2] if options else min(keys.values())[2]
    elif new_key is not None and seed in keys and new_key < keys[seed] < old_key:
        new_seed = nid
    else:
        new_seed = seed
    if new_seed == seed:
        return sid
    new_sid = story_id_for(new_seed) if sid == story_id_for(seed) and not st.exists(story_id_for(new_seed)) else sid
    if live is None:
        if new_sid == sid:
            st.closed.stories[sid][2] = new_seed
        else:
            st.closed.rename_story(sid, new_sid, new_seed)
    else:
        live.seed = new_seed
        if new_sid != sid:
            grouper.index.remove(live)
            del st.stories.live[sid]
            live.story_id = new_sid
            st.stories.live[new_sid] = live
            for a in live.members:
                st.members.live[a].story_id = new_sid
    if new_sid != sid:
        st.changed.discard(sid)
        st.gone.add(sid)
        st.changed.add(new_sid)
    return new_sid


def _rebuild_story(grouper: Any, story: Story) -> None:
    """Recompute one open story's centroid from its members, under the current IDF."""
    grouper.index.remove(story)
    fresh = Story(story.story_id, story.seed, join_sum=story.join_sum, joins=story.joins, last_seq=story.last_seq,
                  doubt=story.doubt)
    keys = []
    for aid in story.members:
        m = grouper.state.members.live[aid]
        v = grouper.vector(m.ids, m.tf, m.day, m.dense)
        add_to_story(grouper.config, fresh, v)
        fresh.members.append(aid)
        keys.append(v.keys)
    grouper.state.stories.live[story.story_id] = fresh
    for k in keys:
        grouper.index.add(fresh, k)
