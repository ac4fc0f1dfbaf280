"""Recognising the numbering labels printed at the start of a plan's paragraphs.

Vietnamese administrative documents number their parts in many ways: "I.", "A.", "Phần I",
"Phần thứ nhất", "Chương II", "Mục 3", "Điều 4", "1.", "1)", "1.1.", "a)", "a.", "a/", and bullet
their lists with "-", "+", "*", "•".  Every reader sends its paragraphs through
:func:`split_label`, so a label typed in the text and a label Word generates from its numbering
give the same result.

A label carries its *style* (the way it is written: "roman", "upper", "word:phan", "arabic.",
"arabic)", "dotted", "letter)", …).  Which style is the outer one is not fixed here: the section
tree (``structure.py``) learns it from how the document nests them.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Optional

from .text_utils import fold

ROMAN = re.compile(r"^(?P<label>[IVX]{1,5})\s*(?P<punct>[.)/:-])\s*(?=\S|$)")
UPPER = re.compile(r"^(?P<label>[A-HJ-UWYZĐ])\s*(?P<punct>[.)/])(?:\s+(?=\S)|\s*$)")
DOTTED = re.compile(r"^(?P<label>\d{1,2}(?:\.\d{1,2}){1,4})\.?(?P<punct>\))?\s+(?=\S)")
# "1/" only before a space: "55/KH-UBND" at a line's start is a document number, not item 55
ARABIC = re.compile(r"^(?P<label>\d{1,2})\s*(?:(?P<punct>[.)])\s*(?=\D)|(?P<slash>/)\s+(?=\D))")
LETTER = re.compile(r"^(?P<label>[a-zđ])\s*(?:(?P<punct>[).])\s*(?=\S)|(?P<slash>/)\s+(?=\S))")
BULLET = re.compile(r"^(?P<label>[-+•*–—·▪◦●○■□➢✓>])\s*(?=\S)")
ROMAN_NUMERAL = re.compile(r"X{0,3}(IX|IV|V?I{0,3})")  # I to XXXIX, and ""
LETTER_ABBREVIATION = re.compile(r"^[a-zđ]\.[a-zđ]\.")
# "Phần I", "PHẦN THỨ HAI", "Chương 2", "Mục 3.", "Điều 4:" — the word, then the numeral
WORD_LED = re.compile(r"^(?P<word>Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC|Điều|ĐIỀU)\s+"
                      r"(?P<num>(?:thứ|THỨ)\s+\w+|[IVXLC]{1,6}\b|\d{1,3}\b)\s*[.:)\-–]?\s*(?=\S|$)")
ORDINALS = {"nhat": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
            "muoi": 10}


@dataclass(frozen=True)
class Label:
    kind: str  # "word" | "upper" | "roman" | "arabic" | "letter" | "bullet"
    label: str  # the numeral as it contributes to a section path: "III", "2", "2.1", "a", "A", "-"
    rest: str  # the paragraph text after the label
    style: str = ""  # how it is written: "word:phan", "upper", "roman", "arabic.", "arabic)", "dotted", "letter)" …

    @property
    def depth(self) -> int:
        """Components of a decimal label ("2.1.3" → 3); 1 for any other label."""
        return self.label.count(".") + 1 if self.kind == "arabic" else 1


def is_roman(text: str) -> bool:
    return text != "" and ROMAN_NUMERAL.fullmatch(text) is not None


def to_roman(number: int) -> str:
    out = ""
    for value, numeral in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out += numeral
            number -= value
    return out


def _word_numeral(raw: str) -> Optional[str]:
    """"II" → "II", "3" → "3", "thứ hai" → "II" (ordinal parts are written in Roman numerals)."""
    if raw.isdigit():
        return str(int(raw))
    if is_roman(raw.upper()):
        return raw.upper()
    words = fold(raw).split()
    if len(words) == 2 and words[0] == "thu" and words[1] in ORDINALS:
        return to_roman(ORDINALS[words[1]])
    return None


def _punct_style(base: str, punct: Optional[str]) -> str:
    punct = (punct or ".").strip() or "."
    return f"{base}{')' if punct == ')' else '/' if punct == '/' else '.'}"


@lru_cache(maxsize=4096)
def split_label(text: str) -> Optional[Label]:
    """The label at the start of ``text``, or None for an unnumbered paragraph (cached: the
    reader and the structure both ask, and a :class:`Label` is immutable)."""
    text = text.lstrip()
    m = WORD_LED.match(text)
    if m:
        numeral = _word_numeral(m["num"])
        if numeral is not None:
            return Label("word", numeral, text[m.end():].strip(), f"word:{fold(m['word'])}")
    m = ROMAN.match(text)
    if m and is_roman(m["label"]):
        return Label("roman", m["label"], text[m.end():].strip(), "roman")
    m = UPPER.match(text)
    if m:
        return Label("upper", m["label"], text[m.end():].strip(), "upper")
    m = DOTTED.match(text)
    if m:
        return Label("arabic", m["label"], text[m.end():].strip(), "dotted")
    m = ARABIC.match(text)
    if m and int(m["label"]) > 0:
        return Label("arabic", str(int(m["label"])), text[m.end():].strip(), _punct_style("arabic", m["punct"] or m["slash"]))
    m = LETTER.match(text)
    if m and not _is_abbreviation(text):
        return Label("letter", m["label"], text[m.end():].strip(), _punct_style("letter", m["punct"] or m["slash"]))
    m = BULLET.match(text)
    if m:
        return Label("bullet", m["label"], text[m.end():].strip(), "bullet")
    return None


def _is_abbreviation(text: str) -> bool:
    """"v.v.", "k.c." and similar letter-dot abbreviations are not list labels."""
    return LETTER_ABBREVIATION.match(text) is not None
