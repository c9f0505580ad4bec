"""The single-pass story clusterer (after Miranda et al. 2018, "Multilingual Clustering of
Streaming News").

Each article, in turn, is scored against the candidate stories (``score.py``); it joins the best
one when the score reaches ``StoryConfig.threshold`` and otherwise opens a new story.  The state
(document frequencies, stories, members) can be saved and loaded, so a later run adds new
articles to the stories without clustering everything again.

Order (``order.py``): ``add_many`` sorts its batch by (published date, article id), undated
articles last, so a batch gives the same stories whatever order it came in (an iterator that is
not a list is sorted on disk, in runs of ``config.chunk_size``, so it is never held in RAM).
``add`` takes articles one at a time in arrival order, and the stories it makes can depend on
that order.

Closing (bounded memory): before each full chunk of ``config.chunk_size`` articles is clustered,
the open stories that can no longer receive articles are *closed*: dated stories whose newest member is
more than ``close_days`` older than the newest day seen (or than the chunk's oldest day, when that
is older), and undated stories that no article joined in the last ``close_undated_after``
articles.  Those *in doubt* (``Story.doubt``: a member joined while another story also reached its
bar, or opened the story though a story scored at least ``lone_ratio`` times the threshold; or a
refinement made the story) are refined one last time, with their neighbours (``refine(only=...)``);
the others, where no article had a second story to go to, close as the stream made them
(measured on synthetic streams and on real sets in small chunks: docs/stories.md, Closing).  Then
they leave the candidate index and RAM for the spill folder (``closed.py``).  The last, partial
chunk of a batch closes nothing first: it is what a later run clusters again (``commit``/``flush``),
so closing it would be redone, and undone, by every run.  A batch that fits in one chunk closes
nothing, so a single batch is grouped exactly as before.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from newsfold.records import Article

from newsfold.stages.stories.compare import sentences
from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.features import ArticleFeatures, BLOCKS, Featurizer, day_ordinal, feature_key
from newsfold.stages.stories.model import Member, Story, NO_KEYS, story_id_for
from newsfold.stages.stories.order import article_order, ordered
from newsfold.stages.stories.score import (CandidateIndex, Vector, add_to_story, index_keys, scores,
    dots_pairs, top_keys, vector_flat)
from newsfold.stages.stories import edits
from newsfold.stages.stories.refine import refine as run_refine
from newsfold.stages.stories.result import Stands, StoryResult, build_result
from newsfold.stages.stories.state import StoryState

Encoder = Callable[[Sequence[str]], np.ndarray]


def join_bar(config: StoryConfig, story: Story) -> float:
    """The score an article needs to join ``story``: the threshold, raised for a tight story to
    ``cohesion_ratio`` times the mean score at which its members joined."""
    coh = story.cohesion()
    return config.threshold if coh is None else max(config.threshold, config.cohesion_ratio * coh)


class StoryGrouper:
    """Groups distinct articles into stories; see the module's docstring.

    ``spill``: the folder for closed stories (default: a temporary folder, removed with the
    grouper); ``save`` copies what it holds into the saved folder.
    """

    def __init__(self, config: StoryConfig | None = None, state: StoryState | None = None,
                 encoder: Encoder | None = None, spill: str | Path | None = None):
        if state is not None and config is not None:  # the embedding device changes no result
            if dataclasses.replace(config, embedding_device=state.config.embedding_device) != state.config:
                raise ValueError("the config differs from the one the state was made with")
            state.config = config
        self.state = state or StoryState(config or StoryConfig(), spill)
        self.config = self.state.config
        self.featurizer = Featurizer(self.config)
        self.encoder = encoder
        self.progress: Callable[[int], None] | None = None  # told of each article clustered
        if self.encoder is None and self.config.embedding_model and self.config.embedding_weight > 0:
            from newsfold.stages.stories.embed import load_encoder

            self.encoder = load_encoder(self.config)
        self.index = CandidateIndex(self.config)
        for story in sorted(self.state.stories.live.values(), key=lambda s: s.story_id):
            keys, story.keys = story.keys.tolist(), NO_KEYS
            self.index.add(story, keys)

    # --- input -------------------------------------------------------------------------------
    def add(self, article: Article) -> str:
        """Add one article; returns its story id (its current one, if it was added before)."""
        sid = self.state.story_of(article.article_id or "")
        if sid is not None:
            return sid
        return self.add_many([article])[article.article_id]  # type: ignore[index]

    def add_many(self, articles: Iterable[Article], batch_size: int | None = None) -> dict[str, str]:
        """Add a batch of articles in (date, id) order; returns article id -> its story id now.

        Articles already in the state are skipped (a re-run is idempotent).  Each chunk of
        ``batch_size`` (default ``config.chunk_size``) articles first updates the document
        frequencies, then is clustered.
        """
        st = self.state
        batch_size = batch_size or self.config.chunk_size
        if isinstance(articles, (list, tuple)) and not all(a.article_id for a in articles):
            raise ValueError("story grouping needs Article.article_id (set by dedup)")
        added: list[str] = []
        chunk: list[Article] = []
        seen: set[str] = set()
        for a in ordered(articles, batch_size):
            if not a.article_id:
                raise ValueError("story grouping needs Article.article_id (set by dedup)")
            if a.article_id in seen or a.article_id in st.members:
                continue
            seen.add(a.article_id)
            chunk.append(a)
            if len(chunk) == batch_size:
                added.extend(self._cluster(chunk))
                chunk, seen = [], set()
        if chunk:
            added.extend(self._cluster(chunk, close=False))
        return {aid: st.story_of(aid) for aid in added}  # type: ignore[misc]

    # --- adding run by run, as one stream ------------------------------------------------------
    def commit(self, articles: Iterable[Article]) -> int:
        """Take a run's new articles so that runs add up to one stream: they join the pending
        articles (received, not clustered yet), all are put in (date, id) order, and full chunks
        of ``config.chunk_size`` are clustered from the front; the rest stays pending for the next
        run.  A chunk waits while fewer than ``config.reorder_window`` articles sort after it, or
        while its newest article is within ``config.commit_lag_days`` of the newest article
        received: a later run may still bring articles that sort into it.  Chunks then start
        where they start in one run over everything, so the document frequencies, the closing
        points and the refinement at closing are one run's, whatever the runs were, as long as
        no run brings articles that sort before a clustered chunk.  ``save`` after ``commit``
        keeps the pending articles; ``flush`` then clusters them for this run's result.  Returns
        the number of articles clustered."""
        st, cfg = self.state, self.config
        for a in articles:
            if not a.article_id:
                raise ValueError("story grouping needs Article.article_id (set by dedup)")
            if a.article_id not in st.members:
                st.pending[a.article_id] = a
        for aid in [aid for aid in st.pending if aid in st.members]:
            del st.pending[aid]
        queue = sorted(st.pending.values(), key=article_order)
        days = [d for d in (day_ordinal(a.published) for a in queue) if d is not None]
        newest = max(days + ([st.newest_day] if st.newest_day is not None else []), default=None)
        size, done = cfg.chunk_size, 0
        while len(queue) - done - size >= cfg.reorder_window:
            chunk = queue[done:done + size]
            last = day_ordinal(chunk[-1].published)
            if last is not None and newest is not None and last >= newest - cfg.commit_lag_days:
                break
            for aid in self._cluster(chunk, feats=self.pending_features(chunk)):
                del st.pending[aid]
                st.features.pop(aid, None)
            done += size
        self.pending_features(queue[done:])  # kept with the pending articles by ``save``
        st.features = {aid: f for aid, f in st.features.items() if aid in st.pending}
        return done

    def pending_features(self, queue: Sequence[Article]) -> list[ArticleFeatures]:
        """The features of ``queue``'s articles (pending ones), kept in ``state.features`` for later
        runs: an article whose ``feature_key`` is unchanged reuses the features made before
        (the same to the bit: features depend on nothing but the article and the config)."""
        cache = self.state.features
        todo = [(a, k) for a in queue if cache.get(a.article_id, (None,))[0] != (k := feature_key(a))]
        made = self.featurizer.featurize([a for a, _ in todo]) if todo else []
        for (a, k), f in zip(todo, made):
            cache[a.article_id] = (k, f)
        return [dataclasses.replace(cache[a.article_id][1], dense=None) for a in queue]

    def flush(self) -> list[str]:
        """Cluster the pending articles, the end of the stream so far, in chunks that close
        nothing (as ``add_many``'s last chunk closes nothing).  Returns their ids."""
        st = self.state
        queue = sorted(st.pending.values(), key=article_order)
        size = self.config.chunk_size
        done = [aid for i in range(0, len(queue), size)
                for aid in self._cluster(queue[i:i + size], close=False, feats=self.pending_features(queue[i:i + size]))]
        st.pending, st.features = {}, {}
        return done

    def _cluster(self, chunk: list[Article], close: bool = True, feats: list[ArticleFeatures] | None = None
                 ) -> list[str]:
        feats = self.featurizer.featurize(chunk) if feats is None else feats
        if close:
            days = [f.day for f in feats if f.day is not None]
            self.close_stale(min(days) if days else None)
        dense = self._embed(chunk)
        for f in feats:
            self.state.count(f.blocks)
        for i, (art, f) in enumerate(zip(chunk, feats)):
            f.dense = None if dense is None else dense[i]
            self._assign(art, f)
            if self.progress is not None:
                self.progress(1)
        if chunk:
            last = max(article_order(a) for a in chunk)
            self.state.frontier = last if self.state.frontier is None else max(self.state.frontier, last)
        return [a.article_id for a in chunk]  # type: ignore[misc]

    def sorts_after_clustered(self, article: Article) -> bool:
        """Whether ``article`` sorts after the last article clustered, where one run still holds it
        pending; False where this state does not know (saved before it kept that position)."""
        return self.state.frontier is not None and article_order(article) > self.state.frontier

    def _embed(self, chunk: Sequence[Article]) -> np.ndarray | None:
        if self.encoder is None or self.config.embedding_weight <= 0:
            return None
        vecs = np.asarray(self.encoder([f"{a.title or ''}\n{a.text or ''}" for a in chunk]), np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms > 0, norms, 1.0)

    # --- clustering --------------------------------------------------------------------------
    def vector(self, ids: dict[str, np.ndarray], tf: dict[str, np.ndarray], day: int | None,
               dense: np.ndarray | None = None) -> Vector:
        """An article's unit TF-IDF vectors under the current document frequencies."""
        terms = {}
        for b in BLOCKS:
            keep = self.config.quote_shingles if b == "quotes" else self.config.max_terms
            i, w = self.state.weigh(ids[b], tf[b], b, keep)
            terms[b] = (np.asarray(i, np.uint32), np.asarray(w, np.float64))
        return Vector(terms, day, dense, index_keys(terms, self.config.index_terms), terms)

    def _assign(self, art: Article, f: ArticleFeatures) -> str:
        st, cfg = self.state, self.config
        live = st.stories.live
        kept_ids, kept_tf, arrays = {}, {}, {}
        weighed = st.weigh_blocks(f.blocks, {b: cfg.quote_shingles if b == "quotes" else cfg.max_terms for b in BLOCKS})
        for b in BLOCKS:
            ids, tf = f.blocks[b]
            i, w, top = weighed[b]
            arrays[b] = (np.asarray(i, np.uint32), np.asarray(w, np.float64))
            kept_ids[b], kept_tf[b] = (ids, tf) if top is None else (i, tf[top])
        vec = Vector(arrays, f.day, f.dense, [], arrays)
        vk, vw = vector_flat(vec)
        vec.keys = top_keys(vk, vw, cfg.index_terms) if vk.size else []  # = index_keys(arrays, ...)
        best, best_score, best_dots = None, -1.0, None
        cands = self.index.candidates(vec, live)
        dots = dots_pairs([(vec, c) for c in cands])
        reached, near = 0, False  # stories at their bar; one near it (where refinement could join one)
        for story, s, d in zip(cands, scores(cfg, vec, cands, dots), dots):
            if s < join_bar(cfg, story):
                near = near or s >= cfg.lone_ratio * cfg.threshold
                continue
            reached += 1
            if s > best_score or (s == best_score and best is not None and story.story_id < best.story_id):
                best, best_score, best_dots = story, s, d
        if best is None:
            sid, n = story_id_for(f.article_id), 1
            while st.exists(sid):  # an id a renamed article left behind
                sid, n = f"{story_id_for(f.article_id)}-{n}", n + 1
            best = Story(sid, f.article_id, doubt=near)
            live[best.story_id] = best
            best_dots = dict.fromkeys(BLOCKS, 0.0)  # an empty centroid
        else:
            best.join_sum += best_score
            best.joins += 1
            best.doubt = best.doubt or reached > 1
        add_to_story(cfg, best, vec, best_dots)
        best.members.append(f.article_id)
        best.last_seq = st.n_docs
        if f.day is not None and (st.newest_day is None or f.day > st.newest_day):
            st.newest_day = f.day
        st.changed.add(best.story_id)
        self.index.add(best, vec.keys)
        # keep the strongest features only (what the vector used), for refinement and later runs
        st.members.live[f.article_id] = Member(
            f.article_id, best.story_id, f.day, art.outlet, art.title,
            kept_ids, kept_tf,
            sentences(art.text or ""), f.dense,
        )
        return best.story_id

    # --- closing -------------------------------------------------------------------------------
    def close_stale(self, oldest_day: int | None = None) -> int:
        """Close the open stories that can no longer receive articles (see the module's
        docstring); ``oldest_day``: the oldest day about to be added.  Returns how many closed."""
        st, cfg = self.state, self.config
        h_day = h_seq = h_age = None
        if st.newest_day is not None:
            ref = st.newest_day if oldest_day is None else min(st.newest_day, oldest_day)
            h_day = ref - cfg.close_days if cfg.close_days > 0 else None
            h_age = ref - cfg.max_open_days if cfg.max_open_days > 0 else None
        if cfg.close_undated_after > 0:
            h_seq = st.n_docs - cfg.close_undated_after
        last_day, last_seq = st.horizon
        step = max(1, cfg.close_undated_after // 20)
        h_ref = h_day if h_day is not None else h_age
        if (h_ref is None or (last_day is not None and h_ref < last_day + 1)) and \
                (h_seq is None or h_seq < 0 or (last_seq is not None and h_seq < last_seq + step)):
            return 0  # nothing has moved since the last scan
        st.horizon = (h_ref if h_ref is not None else last_day, h_seq if h_seq is not None else last_seq)

        def stale(s: Story) -> bool:
            if s.last_day is not None:
                return (h_day is not None and s.last_day < h_day) or (h_age is not None and s.first_day < h_age)
            return h_seq is not None and s.last_seq < h_seq

        live = st.stories.live
        todo = [sid for sid, s in live.items() if stale(s)]
        if not todo:
            return 0
        doubtful = [sid for sid in todo if live[sid].doubt]  # the others close as the stream made them
        if doubtful:
            note(st, run_refine(self, only=doubtful))
        shut = [live[sid] for sid in sorted(live) if stale(live[sid])]
        members = {}
        for s in shut:
            self.index.remove(s)
            del live[s.story_id]
            for aid in s.members:
                members[aid] = st.members.live.pop(aid)
        if shut:
            st.closed.close(shut, members)
        return len(shut)

    # --- edits to clustered articles (edits.py) ---------------------------------------------------
    def rename(self, old_article_id: str, new_article_id: str) -> str | None:
        """An article's id changed: the member keeps its story under the new id (``edits.rename``).
        Returns the story of ``new_article_id`` afterwards; None when ``old`` is unknown."""
        return edits.rename(self, old_article_id, new_article_id)

    def replace(self, old: Article, new: Article) -> str | None:
        """A clustered article's canonical copy changed: ``new`` takes ``old``'s place as one run
        clusters it (``edits.replace``).  Returns the story of ``new``; None when ``old`` is not clustered."""
        return edits.replace(self, old, new)

    def drop(self, old: Article) -> None:
        """A clustered article ceased to be one: it leaves its story and the document frequencies
        (``edits.drop``)."""
        edits.drop(self, old)

    # --- output and persistence ----------------------------------------------------------------
    def result(self, refine: bool = True, only: Iterable[str] | None = None):
        """The stories (after batch refinement when ``refine``); see ``result.py``.

        ``only``: a set of story ids.  Refinement and result building then touch those stories,
        the stories they merge with, and the stories changed since the last result (by new
        members, by refinement when stories closed, by renames), not the whole state; the result
        holds just those stories, and ``replaced`` names the story ids whose earlier rows it
        replaces.  Without ``only``, every story (closed ones from the spill, not refined again).
        """

        return grouper_result(self, refine, only)

    def iter_stories(self, refine: bool = True):
        """Every story's ``StoryInfo`` one at a time (after refining the open stories), so that
        a large state's result need not be held in RAM; see ``result.write_story_tables``."""
        from newsfold.stages.stories.result import iter_infos

        if refine:
            run_refine(self)
        st = self.state
        st.changed.clear()
        st.gone.clear()
        return iter_infos(st, None)

    def save(self, folder: str | Path) -> None:
        self.state.save(folder)

    @classmethod
    def load(cls, folder: str | Path, encoder: Encoder | None = None, spill: str | Path | None = None,
             device: str | None = None) -> "StoryGrouper":
        """``device``: this run's ``embedding_device`` (not compared with the saved one)."""
        state = StoryState.load(folder, spill)
        if device != state.config.embedding_device:
            state.config = dataclasses.replace(state.config, embedding_device=device)
        return cls(state=state, encoder=encoder)


def note(state: StoryState, refined) -> None:
    """Record what a refinement changed in ``state.changed`` and ``state.gone``."""
    state.gone |= refined.before - refined.after
    for aid, (old, new) in refined.moved.items():
        state.changed.add(new)
        if old in refined.after:
            state.changed.add(old)


def grouper_result(grouper: StoryGrouper, refine: bool, only: Iterable[str] | None) -> StoryResult:
    """``StoryGrouper.result``: refine (every open story, or the scope of ``only``), then build."""
    st = grouper.state
    if only is None:
        if refine:
            run_refine(grouper)
        result = build_result(st)
    else:
        asked = set(only) | st.changed
        if refine:
            note(st, run_refine(grouper, only=sorted(s for s in asked if s in st.stories.live)))
        now = {s for s in asked | st.changed if st.exists(s)}
        result = build_result(st, now)
        result.replaced = sorted(asked | st.changed | st.gone)
    st.changed.clear()
    st.gone.clear()
    return result


def publish(grouper: StoryGrouper, final: Iterable[str], stands: Stands | None = None) -> StoryResult:
    """The rows a run that added articles must write: refine every open story, then build every
    story but those of ``final`` (closed stories whose published rows still hold) and those that
    ``stands`` (``result.iter_infos``) finds as they were published.  ``replaced`` names the built
    stories and those gone (by renames) since the last result."""
    st = grouper.state
    run_refine(grouper)
    final = set(final)
    want = sorted(set(st.stories.live) | {sid for sid in st.closed.stories if sid not in final})
    result = build_result(st, want, stands)
    result.replaced = sorted((set(want) - result.standing) | st.gone)
    st.changed.clear()
    st.gone.clear()
    return result
