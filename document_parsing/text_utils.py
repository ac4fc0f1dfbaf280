"""Small text helpers shared by readers and extractors: plain str in, plain str out."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Callable


def nfc(text: object) -> str:
    """NFC form ("" for None), the Icelandic eth sometimes typed for đ mapped to đ: one
    character per NFC character, so offsets into the result are offsets into NFC text."""
    out = unicodedata.normalize("NFC", "" if text is None else str(text))
    # str.replace, not str.translate: a translate table pays a failed lookup for every other character
    return out.replace("ð", "đ").replace("Ð", "Đ") if ("ð" in out or "Ð" in out) else out


def clean_space(text: str) -> str:
    """NFC, non-breaking and zero-width spaces removed, runs of whitespace collapsed."""
    return squash_spaces(nfc(text).replace("\u200b", "").replace("\ufeff", ""))


def squash_spaces(text: str) -> str:
    r"""Runs of whitespace as one space, none at either end: ``" ".join(text.split())``.

    str.split() splits on exactly the characters ``\s`` matches (U+00A0 included), at a fraction
    of a regex substitution's cost.  Text that is already so (the common case: extractors clean
    again what the reader cleaned) is returned as it is, after one check: a printable string
    holds no tab, newline or other separator, and ``isprintable`` is one C loop."""
    if text.isprintable() and "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


class _FoldTable(dict):
    """A ``str.translate`` table filled on demand: each distinct character is folded once."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = "d" if char in "đĐðÐ" else _fold_char(char)
        self[code] = value
        return value


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lowercase without diacritics (đ → d): how users type and how we compare.

    Text that is ASCII once lowercased has nothing to fold (the table maps every ASCII
    character to itself), so it skips the per-character table lookups."""
    lowered = text.lower()
    if not lowered.isascii():
        lowered = lowered.translate(_FOLD)
    return squash_spaces(lowered)


def transformed_head(transform: Callable[[str], str], text: str, size: int) -> str:
    """``transform(text)[:size]``, transforming only the first words of a long text, for a
    transform that works character by character and collapses spaces (:func:`fold`, lowercase).

    The transform of a text's beginning is then a beginning of the text's transform, except for a
    capital sigma (whose lowercase depends on what follows it) and for text that is not NFC (a
    transform may normalise it); so the beginning decides when it holds no sigma, it and the text
    are NFC, and it transforms to at least ``size`` characters."""
    head = text[: 2 * size + 40]
    if len(head) < len(text) and "Σ" not in head and unicodedata.is_normalized("NFC", text) \
            and unicodedata.is_normalized("NFC", head):
        done = transform(head)
        if len(done) >= size:
            return done[:size]
    return transform(text)[:size]


def fold_startswith(text: str, prefix: str) -> bool:
    """``fold(text).startswith(prefix)``, folding only the first words of a long text."""
    return transformed_head(fold, text, len(prefix)) == prefix


_FOLDED_WORD = re.compile(r"[0-9a-z]+")


@lru_cache(maxsize=1 << 15)
def fold_chunk(chunk: str) -> tuple[str, tuple[str, ...]]:
    """(:func:`fold` of ``chunk``, its :func:`fold_words`) for one whitespace-free piece of text,
    worked out once per process: a plan is made of a few thousand distinct syllables."""
    folded = fold(chunk)
    return folded, tuple(_FOLDED_WORD.findall(folded))


_WORDS_OF_CHUNK = itemgetter(1)


def fold_words(text: str) -> list[str]:
    """The words of :func:`fold` of ``text``, any other character a break ("148/KH-UBND" →
    ["148", "kh", "ubnd"]).

    Worked out per whitespace-separated chunk (:func:`fold_chunk`): no word spans whitespace
    and folding goes character by character, so a text's words are its chunks' words in order,
    and most chunks of a plan are already known."""
    return list(chain.from_iterable(map(_WORDS_OF_CHUNK, map(fold_chunk, text.split()))))


class _AlignedFoldTable(dict):
    """Like :class:`_FoldTable` but exactly one character out for each character in."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = _FOLD[ord(char.lower()[0])][:1] or char
        self[code] = value
        return value


_FOLD_ALIGNED = _AlignedFoldTable()


def fold_aligned(text: str) -> str:
    """Like :func:`fold` but one output character per input character (no space collapsing),
    so match positions in the folded text are positions in the original."""
    return text.translate(_FOLD_ALIGNED)


def cut_at(pattern: re.Pattern, text: str) -> list[str]:
    """``text`` cut at group 1 of each match of ``pattern`` (the spaces after a full stop, say),
    the cut characters left out: a scan from one match to the next, where ``re.split`` with a
    look-behind would try the pattern at every position."""
    parts: list[str] = []
    start = 0
    for m in pattern.finditer(text):
        parts.append(text[start: m.start(1)])
        start = m.end(1)
    parts.append(text[start:])
    return parts
