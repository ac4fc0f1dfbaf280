"""Recognising the numbering labels printed at the start of a plan's paragraphs.

Vietnamese administrative plans number their parts "I.", "1.", "2.1.", "a)" and bullet their
lists with "-" and "+".  Every reader sends its paragraphs through :func:`split_label`, so a
label typed in the text and a label Word generates from its numbering give the same result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

ROMAN = re.compile(r"^(?P<label>[IVX]{1,5})\s*[.)/:-]\s*(?=\S|$)")
DOTTED = re.compile(r"^(?P<label>\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+(?=\S)")
ARABIC = re.compile(r"^(?P<label>\d{1,2})\s*[.)]\s*(?=\D)")
LETTER = re.compile(r"^(?P<label>[a-zđ])\s*\)\s*(?=\S)")
BULLET = re.compile(r"^(?P<label>[-+•*–—])\s*(?=\S)")


@dataclass(frozen=True)
class Label:
    kind: str  # "roman" | "arabic" | "letter" | "bullet"
    label: str  # "III", "2", "2.1", "a", "-"
    rest: str  # the paragraph text after the label

    @property
    def rank(self) -> int:
        """Nesting depth a label of this kind opens: I. > 1. > 1.1. > 1.1.1. > a)."""
        if self.kind == "roman":
            return 0
        if self.kind == "arabic":
            return self.label.count(".") + 1
        return 9


def _is_roman(text: str) -> bool:
    return re.fullmatch(r"X{0,3}(IX|IV|V?I{0,3})", text) is not None and text != ""


def split_label(text: str) -> Optional[Label]:
    """The label at the start of ``text``, or None for an unnumbered paragraph."""
    text = text.lstrip()
    m = ROMAN.match(text)
    if m and _is_roman(m["label"]):
        return Label("roman", m["label"], text[m.end():].strip())
    m = DOTTED.match(text)
    if m:
        return Label("arabic", m["label"], text[m.end():].strip())
    m = ARABIC.match(text)
    if m and int(m["label"]) > 0:
        return Label("arabic", m["label"], text[m.end():].strip())
    m = LETTER.match(text)
    if m:
        return Label("letter", m["label"], text[m.end():].strip())
    m = BULLET.match(text)
    if m:
        return Label("bullet", m["label"], text[m.end():].strip())
    return None
