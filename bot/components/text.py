"""Text helpers shared by the Vietnamese NLU components (no Rasa imports)."""
from __future__ import annotations

import unicodedata

# Spellings that Unicode NFC keeps apart but Vietnamese readers treat as one letter.
_LOOKALIKES = str.maketrans({"ð": "đ", "Ð": "Đ"})


def nfc(text: str) -> str:
    """NFC form, with the Icelandic eth (sometimes typed for đ) mapped to đ; same length as NFC."""
    return unicodedata.normalize("NFC", text).translate(_LOOKALIKES)


def fold(text: str) -> str:
    """Lowercase without diacritics, đ → d ("Ủy ban" / "Uỷ ban" / "uy ban" → "uy ban")."""
    text = nfc(text).lower().replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in text if unicodedata.category(c) != "Mn"))
