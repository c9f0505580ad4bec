"""The optional dense-embedding hook (off by default).

With ``StoryConfig.embedding_model`` set and ``embedding_weight > 0``, each article's title and
text are embedded by a locally installed sentence-transformers model, and the cosine between the
article's embedding and the story's mean embedding joins the block cosines with that weight.  The
model runs on the GPU when torch sees one (``embedding_device``: "auto", "cpu" or "cuda"; not
compared when adding to a corpus).  Nothing is downloaded: the model must already be on
disk (a path, or a name in the local cache).  Any callable ``texts -> array`` can be passed to
``StoryGrouper(encoder=...)`` instead.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from newsfold.stages.stories.config import StoryConfig


def available() -> bool:
    """Whether sentence-transformers (and so torch) can be imported here."""
    try:
        import sentence_transformers  # noqa: F401
    except Exception:
        return False
    return True


def embedding_device(setting: str | None, cuda: bool) -> str:
    """The device for ``StoryConfig.embedding_device``: "auto" (or unset) is "cuda" when torch sees
    one, else "cpu"; "cuda" without CUDA is an error, not a silent fall-back to the CPU."""
    if setting in (None, "auto"):
        return "cuda" if cuda else "cpu"
    if setting.startswith("cuda") and not cuda:
        raise RuntimeError(f"stories.embedding_device = {setting!r}, but torch sees no CUDA device; "
                           "set it to 'auto' or 'cpu'")
    return setting


def load_encoder(config: StoryConfig) -> Callable[[Sequence[str]], np.ndarray]:
    """A function that embeds texts with the configured local model (GPU when present)."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(
            "embedding_model is set but sentence-transformers is not installed; "
            "install it (and torch) or leave embedding_model unset"
        ) from exc
    device = embedding_device(config.embedding_device, torch.cuda.is_available())
    model = SentenceTransformer(config.embedding_model, device=device, local_files_only=True)

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts), batch_size=64, normalize_embeddings=True), np.float32)

    return encode
