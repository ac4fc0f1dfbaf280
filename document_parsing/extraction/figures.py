"""Figures in plan text: "85%", "02 phòng học", "1.500 học liệu", and what stands around them.

A target is a figure that counts something: a percentage, or a number followed by the noun it
counts (any noun: the noun list in ``vocab/targets.yml`` only shapes the printed unit).  Numbers
that are not quantities are left out by their form and their neighbours: dates and document numbers
("15/12/2024", "09/2021/TT-BGDĐT"), years ("2018"), labels and levels after a label word
("mức độ 2", "lớp 10", "Điều 4"), durations and money ("06 tháng", "500 triệu đồng"), timetables
("02 buổi/ngày").  The comparator comes from the qualifier right before the figure; the year from
a deadline phrase ("đến hết năm 2023", "vào năm 2026", "trong năm học 2024 - 2025").

Every word list lives in ``document_parsing/vocab/targets.yml`` and is loaded once.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from ..model import Section
from ..text_utils import clean_space, fold, fold_aligned, squash_spaces, transformed_head
from ..vocab import load_vocabulary

@dataclass(frozen=True)
class Vocabulary:
    """The word lists of ``vocab/targets.yml`` in :func:`low` form (year words folded)."""

    comparators: tuple[tuple[str, str], ...]  # (folded phrase, comparator), longest phrase first
    glue: tuple[str, ...]
    range_open: tuple[str, ...]
    range_close: tuple[str, ...]
    aspiration: tuple[str, ...]
    label_words: frozenset[str]
    non_units: frozenset[str]
    rate_time_units: frozenset[str]
    measure_words: frozenset[str]
    compound_nouns: frozenset[str]
    year_prepositions: tuple[str, ...]
    year_modifiers: tuple[str, ...]
    situation_sentence: tuple[str, ...]
    situation_clause: tuple[str, ...]
    situation_headings: tuple[str, ...]
    goal_heading_words: tuple[str, ...]
    target_part_words: tuple[str, ...]
    lead_in: tuple[str, ...]
    outline_nouns: frozenset[str]
    clauses: dict[str, tuple[str, ...]]
    period_words: tuple[str, ...]
    table: dict[str, tuple[str, ...]]


@lru_cache(maxsize=8192)
def low(text: str) -> str:
    """Lowercase NFC with single spaces: how vocabulary words are compared with plan text.  Accents
    are kept on purpose: folding would make "tại" (at) the noun "tài" and "tổ" the "tờ" of a form.
    (Cached: the text before a figure is read both for the situation and for the comparator.)"""
    if not unicodedata.is_normalized("NFC", text):
        text = clean_space(text)
    return squash_spaces(text.lower())


def low_head(text: str, size: int) -> str:
    """``low(text)[:size]``, lowering only the first words of a long text (a clause after a figure,
    a heading that is a whole paragraph)."""
    return transformed_head(low, text, size)


def low_startswith(text: str, prefixes: tuple[str, ...]) -> bool:
    """``low(text).startswith(prefixes)``, lowering only the first words of a long text."""
    return low_head(text, max(map(len, prefixes), default=0)).startswith(prefixes)


def _folded(words) -> tuple[str, ...]:
    return tuple(low(str(w)) for w in words)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary, read from the package data file the first time it is needed."""
    raw = load_vocabulary("targets")
    comparators = [(low(w), op) for op, words in raw["comparators"].items() for w in words]
    comparators.sort(key=lambda pair: -len(pair[0]))
    non_units = {low(w) for group in raw["non_units"].values() for w in group}
    situation = raw["situation_markers"]
    return Vocabulary(
        comparators=tuple(comparators),
        glue=tuple(sorted(_folded(raw["comparator_glue"]), key=len, reverse=True)),
        range_open=_folded(raw["range_open"]),
        range_close=_folded(raw["range_close"]),
        aspiration=_folded(raw["aspiration"]),
        label_words=frozenset(_folded(raw["label_words"])),
        non_units=frozenset(non_units),
        rate_time_units=frozenset(_folded(raw["rate_time_units"])),
        measure_words=frozenset(_folded(raw["measure_words"])),
        compound_nouns=frozenset(_folded(raw["compound_nouns"])),
        year_prepositions=tuple(fold(w) for w in raw["year_prepositions"]),  # matched on folded text
        year_modifiers=tuple(fold(w) for w in raw["year_modifiers"]),
        situation_sentence=_folded(situation["sentence"]),
        situation_clause=_folded(situation["clause"]),
        situation_headings=_folded(raw["situation_headings"]),
        goal_heading_words=_folded(raw["goal_heading_words"]),
        target_part_words=_folded(raw["target_part_words"]),
        lead_in=tuple(sorted(_folded(raw["lead_in"]), key=len, reverse=True)),
        period_words=_folded(raw["period_words"]),
        outline_nouns=frozenset(_folded(raw["outline_nouns"])),
        clauses={k: _folded(v) for k, v in raw["clauses"].items()},
        table={k: _folded(v) for k, v in raw["table"].items()},
    )


# ---------------------------------------------------------------------------- figures

@dataclass(frozen=True)
class Figure:
    """One figure in a text: ``start:end`` covers the number and its unit ("02 phòng học")."""

    start: int
    end: int
    number_end: int  # where the number (and "%") ends: the subject keeps the noun after it
    value: float
    unit: Optional[str]  # "%" or the counted noun
    raw: str  # the number as printed ("1.500", "85%")

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"


# The figure patterns open with the digit they read, its look-behind (what may not stand before
# the number) tested right after it: "\d(?<!x\d)" is "(?<!x)\d", but a pattern that opens with a
# look-behind is tried at every position of the text, one that opens with "\d" only at digits.
PERCENT = re.compile(r"(\d(?<![\w.,/]\d)\d{0,2}(?:[.,]\d+)?)\s*(%|phần trăm)")
# a number: "1.500" (thousands), "02", "2,5" (decimal comma); not part of a date, code or fraction
NUMBER = re.compile(r"(\d(?<![\w.,/:%-]\d)(?:\d{0,2}(?:\.\d{3})+|\d*))(?:,(\d+))?(?![\w%]|[.,/:-]?\d)")
ANY_DIGIT = re.compile(r"\d")


def _number_value(whole: str, decimals: Optional[str]) -> float:
    value = float(whole.replace(".", ""))
    return value + float(f"0.{decimals}") if decimals else value


def _is_year(whole: str, decimals: Optional[str]) -> bool:
    return not decimals and len(whole) == 4 and "." not in whole and 1900 <= int(whole) <= 2100


def _ends_with_label(before: str) -> bool:
    """Does the text end with a label word ("mức độ", "lớp", "Điều", "Thông tư số")?"""
    words = low(before[-60:]).split()
    labels = vocabulary().label_words
    return any(" ".join(words[-n:]) in labels for n in (1, 2, 3) if len(words) >= n)


def is_label_number(before: str) -> bool:
    """Is a number standing after ``before`` a label, a level or a reference ("mức độ 2", "mức độ
    3, 4", "Điều 4") rather than a quantity?"""
    return _ends_with_label(before) or _enumerated_after_label(before)


ENUMERATION_TAIL = re.compile(r"(\d\d*)\s*(?:,|và|hoặc|đến|-|–)\s*$")  # "\d\d*", not "\d+": the scan jumps to digits


def _enumerated_after_label(before: str) -> bool:
    """"mức độ 3, 4" / "mức độ 3 và 4": the next number continues a label's enumeration."""
    m = ENUMERATION_TAIL.search(before)
    if not m:
        return False
    return _ends_with_label(before[: m.start()]) or _enumerated_after_label(before[: m.start()])


def head_noun(words: list[str]) -> str:
    """The counted noun among the words after a number: a known two-syllable noun, a measure word
    with its noun ("bộ máy tính"), or the first syllable ("trường THPT" -> "trường")."""
    vocab = vocabulary()
    folded = [low(w) for w in words]
    if len(words) > 1 and f"{folded[0]} {folded[1]}" in vocab.compound_nouns:
        return f"{words[0]} {words[1]}"
    if folded[0] in vocab.measure_words and len(words) > 1 and words[1][:1].islower() and folded[1] not in vocab.non_units:
        return f"{words[0]} {head_noun(words[1:])}"
    return words[0]


def _is_lead_in(unit: str, after: str) -> bool:
    """Does a count of the plan's own parts open a list ("05 nhóm nhiệm vụ sau:", "03 nội dung như
    sau", "gồm 04 bước:")?  Only outline nouns do: "Bổ sung 02 phòng học: …" and "350 bộ máy tính
    cho các trường sau:" are targets followed by their details."""
    vocab = vocabulary()
    if low(unit) not in vocab.outline_nouns:
        return False
    colon, lead_word = _lead_in_patterns()
    text = " " + low(after)
    return bool(colon.match(text) or lead_word.match(text))


@lru_cache(maxsize=1)
def _lead_in_patterns() -> tuple[re.Pattern, re.Pattern]:
    words = "|".join(re.escape(w) for w in vocabulary().lead_in)
    return (re.compile(rf"^(?:\s+[^\W\d_]+){{0,3}}?(?:\s+(?:{words}))?\s*:"),
            re.compile(rf"^(?:\s+[^\W\d_]+){{0,3}}?\s+(?:{words})\s*(?:[.;]|$)"))


NEXT_WORD = re.compile(r"\s+([^\W\d_][\w]*)")
RATE = re.compile(r"\s*/\s*([^\W\d_]+)")  # "/ngày" after a count: a rate


def find_figures(text: str) -> list[Figure]:
    """Every percentage and counted figure of ``text``, in order."""
    return list(_figures(text))


@lru_cache(maxsize=8192)
def _figures(text: str) -> tuple[Figure, ...]:
    if not ANY_DIGIT.search(text):
        return ()
    vocab = vocabulary()
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for m in PERCENT.finditer(text):
        found.append(Figure(m.start(), m.end(), m.end(), float(m.group(1).replace(",", ".")), "%", m.group(0)))
        taken.append((m.start(), m.end()))
    for m in NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        whole, decimals = m.group(1), m.group(2)
        if _is_year(whole, decimals):
            continue
        before = text[: m.start()]
        if is_label_number(before):
            continue
        words: list[str] = []
        ends: list[int] = []  # where each of the words ends
        pos = m.end()
        while len(words) < 4:
            w = NEXT_WORD.match(text, pos)
            if not w:
                break
            words.append(w.group(1))
            pos = w.end()
            ends.append(pos)
        if not words or not words[0][:1].islower() or low(words[0]) in vocab.non_units:
            continue
        unit = head_noun(words)
        unit_end = ends[len(unit.split()) - 1]  # the unit is the first of the words
        rate = RATE.match(text, unit_end)
        if rate and low(rate.group(1)) in vocab.rate_time_units:
            continue  # "02 buổi/ngày": a timetable
        if _is_lead_in(unit, text[unit_end:]):
            continue  # "tập trung vào 05 nhóm nhiệm vụ sau:": the plan's own outline
        found.append(Figure(m.start(), unit_end, m.end(), _number_value(whole, decimals), unit, whole))
    return tuple(sorted(found, key=lambda f: f.start))


# ---------------------------------------------------------------------------- comparators

def comparator(before: str, after: str) -> str:
    """">=", ">" or "=" from the qualifier right before a figure (and "trở lên" after it).

    ``before`` is the clause text up to the figure, ``after`` the clause text after it.  A plain
    "đạt" does not hide an earlier "phấn đấu" ("phấn đấu … đạt 90%" is ">=")."""
    vocab = vocabulary()
    words = _comparator_words()
    tail = low(before).rstrip(" :,")
    head = low_head(after, 80)  # what follows the figure counts only in its first words
    if head.startswith(vocab.range_close):
        return ">="
    if any(tail == w or tail.endswith(spaced) for w, spaced in words.range_open) and any(c in head[:80] for c in vocab.range_close):
        return ">="
    stripped = tail
    for _ in range(3):  # "tối thiểu có", "phấn đấu đạt được"
        for phrase, spaced, symbol, op in words.comparators:
            if stripped == phrase or stripped.endswith(spaced) or (symbol and stripped.endswith(phrase)):
                if op != "=":
                    return op
                break
        else:
            for glue, spaced in words.glue:
                if stripped.endswith(spaced):
                    stripped = stripped[: -len(glue) - 1].rstrip()
                    break
            else:
                break
            continue
        break
    if words.aspiration is not None and words.aspiration.search(tail):
        return ">="
    return "="


@dataclass(frozen=True)
class _ComparatorWords:
    """The vocabulary's comparator words ready for :func:`comparator`: each with its space-led form
    (a word ends the text only as a whole word), computed once rather than for every figure."""

    comparators: tuple[tuple[str, str, bool, str], ...]  # (phrase, " phrase", is a symbol, operator)
    glue: tuple[tuple[str, str], ...]
    range_open: tuple[tuple[str, str], ...]
    aspiration: Optional[re.Pattern]  # any aspiration word as a whole word


@lru_cache(maxsize=1)
def _comparator_words() -> _ComparatorWords:
    vocab = vocabulary()
    aspiration = "|".join(re.escape(a) for a in vocab.aspiration)
    return _ComparatorWords(
        comparators=tuple((phrase, " " + phrase, not phrase[0].isalnum(), op) for phrase, op in vocab.comparators),
        glue=tuple((g, " " + g) for g in vocab.glue),
        range_open=tuple((w, " " + w) for w in vocab.range_open),
        aspiration=re.compile(rf"(?:^|\s)(?:{aspiration})(?:\s|$)") if vocab.aspiration else None,
    )


# ---------------------------------------------------------------------------- years

FOUR_DIGITS = re.compile(r"\d\d\d\d")  # not \d{4}: a pattern that opens with a class is scanned for it at once


@dataclass(frozen=True)
class YearMention:
    start: int
    end: int
    year: int
    leading: bool  # "Đến năm 2025, …": applies to what follows, not to the figure before it


@lru_cache(maxsize=1)
def _year_pattern() -> re.Pattern:
    vocab = vocabulary()

    def alternatives(words: tuple[str, ...]) -> str:
        # the folded vocabulary is matched against folded text
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    prep = rf"(?:{alternatives(vocab.year_prepositions)})(?:\s+(?:{alternatives(vocab.year_modifiers)}))?"
    # Where a mention can start: a word that begins like a preposition or "nam", the text's start,
    # or right after a comma, colon or parenthesis.  Checked first, so that the scan passes over
    # every other position at once instead of trying each alternative there (the same matches).
    initials = "".join(sorted({re.escape(w[0]) for w in vocab.year_prepositions} | {"n"}))
    return re.compile(
        rf"(?:(?=\b[{initials}])|(?<=[,;:(])|^)(?:"
        rf"\b{prep}\s+nam\s+hoc\s+(?P<s1>\d{{4}})\s*[-–—/]\s*(?P<s2>\d{{4}})"
        rf"|\bnam\s+hoc\s+(?P<s3>\d{{4}})\s*[-–—/]\s*(?P<s4>\d{{4}})"
        rf"|\b{prep}\s+nam\s+(?P<y1>\d{{4}})\b"
        rf"|\b{prep}\s+(?:thang\s+\d{{1,2}}|quy\s+[ivx\d]+)\s*(?:/|nam)\s*(?P<y2>\d{{4}})\b"
        rf"|\b{prep}\s+(?:ngay\s+)?\d{{1,2}}/\d{{1,2}}/(?P<y4>\d{{4}})\b"
        rf"|(?:^|(?<=[,;:(]))\s*nam\s+(?P<y3>\d{{4}})\s*(?=[,:])"
        rf")"
    )


def year_mentions(text: str) -> list[YearMention]:
    """Deadline years in ``text`` (see :func:`_year_mentions`; cached: a sentence is read several
    times, once per figure and once for the year it carries over)."""
    return list(_year_mentions(text))


COMMA_OR_COLON = re.compile(r"\s*[,:]\s*")


@lru_cache(maxsize=8192)
def _year_mentions(text: str) -> tuple[YearMention, ...]:
    """Deadline years in ``text``; a school year "2024 - 2025" gives its end year.  A mention
    followed by a comma and more words ("Đến hết năm 2023, có …") is leading: it applies to the
    figures after it, never to the one before."""
    if not FOUR_DIGITS.search(text):
        return ()
    folded = fold_aligned(text)
    out: list[YearMention] = []
    for m in _year_pattern().finditer(folded):
        year = next(int(g) for g in (m.group("s2"), m.group("s4"), m.group("y1"), m.group("y2"), m.group("y3"), m.group("y4")) if g)
        punct = COMMA_OR_COLON.match(folded, m.end())
        leading = bool(punct) and not any(f.start == 0 for f in find_figures(text[punct.end():][:40]))
        out.append(YearMention(m.start(), m.end(), year, leading))
    return tuple(out)


SCHOOL_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-–—/]\s*((?:19|20)\d{2})(?!\d)")
BARE_YEAR = re.compile(r"(?:^|\s)năm\s+((?:19|20)\d{2})\b", re.I)


def school_year(text: str) -> Optional[tuple[int, int]]:
    """The first school year "2024 - 2025" printed in ``text``."""
    m = SCHOOL_YEAR.search(text)
    if m and int(m.group(2)) == int(m.group(1)) + 1:
        return int(m.group(1)), int(m.group(2))
    return None


def heading_year(section: Section, stop: Optional[Section] = None) -> Optional[int]:
    """The deadline year printed in a section's heading or an enclosing one, up to ``stop``
    ("a) Đến năm 2026", "1.1. Đến năm 2023", "Mục tiêu … trong năm học 2024 - 2025", "Chỉ tiêu năm 2025",
    "Chỉ tiêu giai đoạn 2023 - 2025" → its last year)."""
    for node in [section, *section.ancestors()]:
        year = _own_heading_year(node.heading)
        if year is not None:
            return year
        if node is stop:
            break
    return None


@lru_cache(maxsize=4096)
def _own_heading_year(heading: str) -> Optional[int]:
    """The year one heading gives (see :func:`heading_year`).  Cached: every section of a part
    asks again for each heading above it."""
    mentions = year_mentions(heading)
    if mentions:
        return mentions[0].year
    bare = BARE_YEAR.search(heading)
    if bare and len(heading) <= 80 and "tháng" not in low(heading[max(0, bare.start() - 12): bare.start()]):
        return int(bare.group(1))  # a short heading "Chỉ tiêu năm 2025", "Năm 2025", not a date
    period = _period_pattern().search(low(heading))
    if period:  # "Các chỉ tiêu chủ yếu giai đoạn 2023 - 2025": by the end of the period
        return int(period.group(1))
    return None


@lru_cache(maxsize=1)
def _period_pattern() -> re.Pattern:
    words = "|".join(re.escape(w) for w in vocabulary().period_words)
    return re.compile(rf"(?:{words})\s+(?:19|20)\d{{2}}\s*[-–—]\s*((?:19|20)\d{{2}})\b")


def year_for(figure: Figure, figures: list[Figure], mentions: list[YearMention]) -> Optional[int]:
    """The year a figure's own words give it: the first deadline after it (before any leading
    mention), else the nearest one before it."""
    for mention in mentions:
        if mention.start >= figure.end:
            if mention.leading:
                break
            return mention.year
    earlier = [m for m in mentions if m.end <= figure.start]
    return earlier[-1].year if earlier else None


# ---------------------------------------------------------------------------- situation

def describes_situation(sentence_before: str, clause_before: str) -> bool:
    """Figures of today, not goals: "Hiện nay trường có 42 lớp", "đã trang bị 02 phòng".
    ``sentence_before`` / ``clause_before``: the sentence / clause text before the figure."""
    sentence_markers, clause_markers = _situation_markers()
    sentence_f = f" {low(sentence_before)} "
    if any(m in sentence_f for m in sentence_markers):
        return True
    clause_f = f" {low(clause_before)} "
    return any(m in clause_f for m in clause_markers)


@lru_cache(maxsize=1)
def _situation_markers() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The situation markers as whole words (space on each side), padded once."""
    vocab = vocabulary()
    return tuple(f" {m} " for m in vocab.situation_sentence), tuple(f" {m} " for m in vocab.situation_clause)


@lru_cache(maxsize=4096)
def is_situation_heading(heading: str) -> bool:
    """A heading about the present situation ("Thực trạng …", "Kết quả đạt được …"), not about goals
    (cached: every section asks it of each heading above it)."""
    vocab = vocabulary()
    if not low_startswith(heading, vocab.situation_headings):
        return False
    text = low(heading)
    return not any(w in text for w in vocab.goal_heading_words)
