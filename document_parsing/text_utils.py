"""Small text helpers shared by readers and extractors: plain str in, plain str out."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean_space(text: str) -> str:
    """NFC, non-breaking and zero-width spaces removed, runs of whitespace collapsed."""
    text = nfc(text).replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


class _FoldTable(dict):
    """A ``str.translate`` table filled on demand: each distinct character is folded once."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = "d" if char in "đĐ" else _fold_char(char)
        self[code] = value
        return value


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lowercase without diacritics (đ → d): how users type and how we compare."""
    return " ".join(text.lower().translate(_FOLD).split())
