"""The single-pass story clusterer (after Miranda et al. 2018, "Multilingual Clustering of
Streaming News").

Each article, in turn, is scored against the candidate stories (``score.py``); it joins the best
one when the score reaches ``StoryConfig.threshold`` and otherwise opens a new story.  The state
(document frequencies, stories, members) can be saved and loaded, so a later run adds new
articles to the stories without clustering everything again.

Order: ``add_many`` sorts its batch by (published date, article id), undated articles last, so a
batch gives the same stories whatever order it came in.  ``add`` takes articles one at a time
in arrival order, and the stories it makes can depend on that order.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from newsfold.records import Article

from .compare import sentences
from .config import StoryConfig
from .features import BLOCKS, ArticleFeatures, Featurizer
from .score import CandidateIndex, Vector, add_to_story, block_dots, index_keys, score
from .state import _NO_KEYS, Member, Story, StoryState, story_id_for

Encoder = Callable[[Sequence[str]], np.ndarray]


def join_bar(config: StoryConfig, story: Story) -> float:
    """The score an article needs to join ``story``: the threshold, raised for a tight story to
    ``cohesion_ratio`` times the mean score at which its members joined."""
    coh = story.cohesion()
    return config.threshold if coh is None else max(config.threshold, config.cohesion_ratio * coh)


def article_order(art: Article) -> tuple:
    return (art.published is None, art.published or "", art.article_id or "")


class StoryGrouper:
    """Groups distinct articles into stories; see the module's docstring."""

    def __init__(self, config: StoryConfig | None = None, state: StoryState | None = None,
                 encoder: Encoder | None = None):
        if state is not None and config is not None and config != state.config:
            raise ValueError("the config differs from the one the state was made with")
        self.state = state or StoryState(config or StoryConfig())
        self.config = self.state.config
        self.featurizer = Featurizer(self.config)
        self.encoder = encoder
        if self.encoder is None and self.config.embedding_model and self.config.embedding_weight > 0:
            from .embed import load_encoder

            self.encoder = load_encoder(self.config)
        self.index = CandidateIndex(self.config)
        for story in sorted(self.state.stories.values(), key=lambda s: s.story_id):
            keys, story.keys = story.keys.tolist(), _NO_KEYS
            self.index.add(story, keys)

    # --- input -------------------------------------------------------------------------------
    def add(self, article: Article) -> str:
        """Add one article; returns its story id (its current one, if it was added before)."""
        if article.article_id in self.state.members:
            return self.state.members[article.article_id].story_id
        return self.add_many([article])[article.article_id]  # type: ignore[index]

    def add_many(self, articles: Iterable[Article], batch_size: int = 5000) -> dict[str, str]:
        """Add a batch of articles in (date, id) order; returns article id -> story id.

        Articles already in the state are skipped (a re-run is idempotent).  Each chunk of
        ``batch_size`` articles first updates the document frequencies, then is clustered.
        """
        arts = sorted((a for a in articles if a.article_id not in self.state.members), key=article_order)
        seen: set[str] = set()
        unique = []
        for a in arts:
            if not a.article_id:
                raise ValueError("story grouping needs Article.article_id (set by dedup)")
            if a.article_id not in seen:
                seen.add(a.article_id)
                unique.append(a)
        out: dict[str, str] = {}
        for start in range(0, len(unique), batch_size):
            chunk = unique[start: start + batch_size]
            feats = self.featurizer.featurize(chunk)
            dense = self._embed(chunk)
            for f in feats:
                self.state.count(f.blocks)
            for i, (art, f) in enumerate(zip(chunk, feats)):
                f.dense = None if dense is None else dense[i]
                out[art.article_id] = self._assign(art, f)  # type: ignore[index]
        return out

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
            terms[b] = (i.tolist(), w.tolist())
        return Vector(terms, day, dense, index_keys(terms, self.config.index_terms))

    def _assign(self, art: Article, f: ArticleFeatures) -> str:
        st, cfg = self.state, self.config
        ids = {b: f.blocks[b][0] for b in BLOCKS}
        tf = {b: f.blocks[b][1] for b in BLOCKS}
        vec = self.vector(ids, tf, f.day, f.dense)
        best, best_score, best_dots = None, -1.0, None
        for story in self.index.candidates(vec, st.stories):
            dots = block_dots(vec, story)
            s = score(cfg, vec, story, dots)
            if s < join_bar(cfg, story):
                continue
            if s > best_score or (s == best_score and best is not None and story.story_id < best.story_id):
                best, best_score, best_dots = story, s, dots
        if best is None:
            best = Story(story_id_for(f.article_id), f.article_id)
            st.stories[best.story_id] = best
            best_dots = None
        else:
            best.join_sum += best_score
            best.joins += 1
        add_to_story(cfg, best, vec, best_dots)
        best.members.append(f.article_id)
        self.index.add(best, vec.keys)
        # keep the strongest features only (what the vector used), for refinement and later runs
        keep = {b: np.isin(ids[b], np.asarray(vec.terms[b][0], np.uint32)) for b in BLOCKS}
        st.members[f.article_id] = Member(
            f.article_id, best.story_id, f.day, art.outlet, art.title,
            {b: ids[b][keep[b]] for b in BLOCKS}, {b: tf[b][keep[b]] for b in BLOCKS},
            sentences(art.text or ""), f.dense,
        )
        return best.story_id

    # --- output and persistence ----------------------------------------------------------------
    def result(self, refine: bool = True):
        """The stories so far (after batch refinement when ``refine``); see ``result.py``."""
        from .refine import refine as run_refine
        from .result import build_result

        if refine:
            run_refine(self)
        return build_result(self.state)

    def save(self, folder: str | Path) -> None:
        self.state.save(folder)

    @classmethod
    def load(cls, folder: str | Path, encoder: Encoder | None = None) -> "StoryGrouper":
        return cls(state=StoryState.load(folder), encoder=encoder)
