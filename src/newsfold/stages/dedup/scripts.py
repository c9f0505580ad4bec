"""Text handling per script, before tokens are cut: what makes duplicates of non-Latin text findable.

- Scripts written without spaces between words (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar):
  every character becomes a token of its own, so ``shingle`` consecutive tokens are a character
  n-gram (a 5-character shingle with the default settings) instead of one whole sentence.
- Arabic script: diacritics (harakat, shadda, sukun, superscript alef, Quranic marks) and tatweel are
  removed, and letter variants folded (alef with hamza or madda and alef wasla -> alef, alef maqsura
  and Farsi yeh -> yeh, teh marbuta -> heh, Farsi kaf -> kaf), so texts that differ only in how fully
  they are vocalised or which alef they write hash alike.

Text with none of these characters is returned unchanged (the same object), so Latin, Cyrillic,
Greek, Hangul... text keeps exactly the tokens, keys and signatures it had before.
"""
from __future__ import annotations

import re
import unicodedata

# scripts without spaces between words
_NOSPACE = (r"\u0e00-\u0eff"  # Thai, Lao
            r"\u1000-\u109f"  # Myanmar
            r"\u1780-\u17ff"  # Khmer
            r"\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
            r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
            r"\U00020000-\U0002fa1f")
_ARABIC = r"\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_ANY = re.compile(f"[{_NOSPACE}{_ARABIC}]")
_NOSPACE_CHAR = re.compile(f"([{_NOSPACE}])")
_ARABIC_FOLD = {cp: None for cp in [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670,
                                    *range(0x06D6, 0x06EE), 0x0640]}
_ARABIC_FOLD.update({0x0622: 0x0627, 0x0623: 0x0627, 0x0625: 0x0627, 0x0671: 0x0627,
                     0x0649: 0x064A, 0x06CC: 0x064A, 0x0629: 0x0647, 0x06A9: 0x0643})


def fold_scripts(text: str) -> str:
    """``text`` with Arabic folded and every character of a script without spaces set apart by
    spaces (NFKC first, so presentation forms fold too); unchanged when it has neither."""
    if text.isascii() or _ANY.search(text) is None:
        return text
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_FOLD)
    return _NOSPACE_CHAR.sub(r" \1 ", text)
