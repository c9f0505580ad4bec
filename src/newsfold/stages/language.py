"""Language identification: each cleaned article copy gets an ISO 639-1 code in ``Article.language``.

The model is py3langid's (the langid.py model, 97 languages, shipped inside the package; nothing is
downloaded).  A page is identified once from all its text; each of its articles from its own text when
that is long enough to judge, else it takes the page's language.  A text too short or too uncertain to
judge, on a page that is too, gets ``"und"`` (undetermined) rather than a guess.

The two thresholds (``MIN_CHARS``, ``MIN_PROB``) were chosen on prefixes (10 to 300 characters) of
fundus's articles, on one half of its publishers and checked on the other, both ways, taking the
stricter choice (``python bench/language.py``): 10 letters, and 0.7 on the run's own article texts or
0.8 on fundus's extracted body texts (``--no-run``), so 0.8; no wrong language on either half.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence

from newsfold.records import Article
from newsfold.stages.base import Sink, by_page

UNDETERMINED = "und"
MIN_CHARS = 10  # letters: shorter texts are not judged on their own
MIN_PROB = 0.8  # the model's normalised probability below which a text is not judged
READ_CHARS = 2000  # the first characters of a text decide (the rest rarely changes the answer)
# py3langid's codes that differ from ISO 639-1 as we report them
_CODES = {"nb": "no", "nn": "no"}


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


class LanguageIdentifier:
    """Tags articles with their language.  The model is loaded on first use and held here (one per run)."""

    def __init__(self, min_chars: int = MIN_CHARS, min_prob: float = MIN_PROB, read_chars: int = READ_CHARS):
        self.min_chars = min_chars
        self.min_prob = min_prob
        self.read_chars = read_chars
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier as _Model

            self._model = _Model.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        return self._model

    def classify(self, text: str) -> tuple[str, float]:
        """The model's best language and its probability, on the first ``read_chars`` characters."""
        code, prob = self.model.classify(text[: self.read_chars])
        return _CODES.get(code, code), float(prob)

    def detect(self, text: str) -> str:
        """ISO 639-1 code of ``text``, or ``"und"`` when it is too short or the model is unsure."""
        head = text[: self.read_chars]
        if _letters(head) < self.min_chars:
            return UNDETERMINED
        code, prob = self.classify(head)
        return code if prob >= self.min_prob else UNDETERMINED

    def tag(self, arts: Sequence[Article]) -> Sequence[Article]:
        """Set ``language`` on the articles of one page (in place); returns them."""
        if not arts:
            return arts
        own = [self.detect(_article_text(a)) for a in arts]
        page = None
        if any(c == UNDETERMINED for c in own):
            page = own[0] if len(arts) == 1 else self.detect("\n".join(_article_text(a) for a in arts))
        for a, code in zip(arts, own):
            a.language = code if code != UNDETERMINED else page
        return arts


def _article_text(a: Article) -> str:
    return f"{a.title}\n{a.text}" if a.title else a.text


class Language:
    """Stage: sets ``Article.language`` on each page's articles (``LanguageIdentifier.tag``)."""

    name = "language"
    parallel = True

    def __init__(self, identifier: LanguageIdentifier | None = None):
        self.identifier = identifier or LanguageIdentifier()

    def __call__(self, articles: Iterable[Article], sink: Sink) -> Iterator[Article]:
        for arts in by_page(articles):
            yield from self.identifier.tag(arts)
