"""Small text helpers shared by readers and extractors: plain str in, plain str out."""
from __future__ import annotations

import re
import unicodedata


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean_space(text: str) -> str:
    """NFC, non-breaking and zero-width spaces removed, runs of whitespace collapsed."""
    text = nfc(text).replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Lowercase without diacritics (đ → d): how users type and how we compare."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip()
