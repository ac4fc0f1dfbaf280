"""Agency names as plans print them → one canonical full name per agency.

Plans abbreviate freely ("Sở GD&ĐT", "Sở GDĐT", "UBND các huyện"), spell the same body in
old and new orthography ("Uỷ ban" / "Ủy ban") and prefix requests ("Đề nghị Sở Tài chính").
The knowledge base stores one row per agency, so every name goes through
:func:`canonical_agency` first; users' questions go through it too, which is why the rules
match accent-insensitively ("so tai chinh" → "Sở Tài chính").

Lives in document_parsing so that extraction and the knowledge base share one set of rules.
"""
from __future__ import annotations

import re
from functools import lru_cache

from document_parsing.text_utils import clean_space, fold, fold_aligned
from document_parsing.vocab import load_vocabulary

# Phrase rules, matched on the accent-folded lowercase text (same length as the original, see
# ``text_utils.fold_aligned``) so that accented, unaccented and mixed spellings are all recognised.
# A named group ``x`` limits the replacement to that part of the match.
_B = r"(?<![a-z0-9])"  # word start
_E = r"(?![a-z0-9])"  # word end
_JOIN = r"\s*(?:&|-|–|,|va\b)?\s*"  # "&", "-", "và" or nothing between the two halves
_VOCABULARY = load_vocabulary("abbreviations")
_RULES: list[tuple[str, str]] = [(pattern.replace("{B}", _B).replace("{E}", _E).replace("{JOIN}", _JOIN), replacement)
                                 for pattern, replacement in _VOCABULARY["rules"]]


def _letter_first(pattern: str) -> str:
    """``pattern`` with a leading word-start test moved after the letter that follows it.

    "(?<![a-z0-9])gd…" and "g(?<![a-z0-9]g)d…" match the same text at the same places, but only the
    second lets ``re`` jump from one "g" to the next: a pattern that opens with a look-behind is
    tried at every position of the text, and there are ~20 rules to try on every name."""
    rest = pattern[len(_B):]
    if pattern.startswith(_B) and rest[:1].isalpha() and rest[:1].islower() and rest[1:2] not in ("?", "*", "+", "{"):
        letter = rest[0]
        return f"{letter}(?<![a-z0-9]{letter}){rest[1:]}"
    return pattern


_COMPILED = [(re.compile(_letter_first(pattern)), replacement) for pattern, replacement in _RULES]

# Full names whose diacritics are restored when a user types them without accents.
KNOWN_AGENCIES: list[str] = _VOCABULARY["known_agencies"]
_KNOWN_BY_FOLD = {fold(name): name for name in KNOWN_AGENCIES}

# Old-orthography tone placement that plans still print.
_SPELLING: dict[str, str] = _VOCABULARY["spelling"]


def _apply(text: str, matches: list[re.Match[str]], replacement: str) -> str:
    """``text`` with each match (found in its folded form, same positions) replaced, last first."""
    for match in reversed(matches):
        start, end = match.span("x") if "x" in match.re.groupindex else match.span()
        text = text[:start] + replacement + text[end:]
    return text


def _apply_rules(text: str) -> str:
    """Every phrase rule in turn; the text is folded again only after a rule has changed it."""
    folded = fold_aligned(text)
    for pattern, replacement in _COMPILED:
        if pattern.search(folded) is None:  # most rules do not apply: one search, no list of matches
            continue
        text = _apply(text, list(pattern.finditer(folded)), replacement)
        folded = fold_aligned(text)
    return text


@lru_cache(maxsize=2048)
def canonical_agency(name: str) -> str:
    """The canonical full name of an agency: abbreviations spelled out, "Ủy" spelling, no
    leading "Đề nghị", no trailing punctuation, first letter capitalised.

    >>> canonical_agency("Đề nghị Sở GD&ĐT")
    'Sở Giáo dục và Đào tạo'
    >>> canonical_agency("UBND các huyện, thành phố")
    'Ủy ban nhân dân các huyện, thành phố'
    """
    text = clean_space(name or "")
    for old, new in _SPELLING.items():
        text = text.replace(old, new)
    text = clean_space(_apply_rules(text)).strip(" :;,.-–")
    if not text:
        return ""
    known = _KNOWN_BY_FOLD.get(fold(text))
    if known:
        return known
    return text[0].upper() + text[1:]


@lru_cache(maxsize=2048)
def folded_agency(name: str) -> str:
    """The search key of an agency name: canonical, then accent-folded lowercase.  (Cached: an
    item's agencies and partners are keyed by it for every role they get.)"""
    return fold(canonical_agency(name))


def agency_kind(name: str) -> str:
    """A coarse kind for grouping answers: "sở", "phòng", "ủy ban nhân dân", "trường",
    "tập thể" (collective: "Các Sở, ban, ngành …") or "khác"."""
    key = folded_agency(name)
    if key.startswith("cac "):
        return "tập thể"
    for prefix, kind in (("so ", "sở"), ("phong ", "phòng"), ("uy ban nhan dan", "ủy ban nhân dân"),
                         ("truong ", "trường")):
        if key.startswith(prefix):
            return kind
    return "khác"


__all__ = ["canonical_agency", "folded_agency", "agency_kind", "KNOWN_AGENCIES"]
