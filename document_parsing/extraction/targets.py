"""Quantitative targets: every percentage or counted figure in the objectives and tasks parts,
and every figure of a target table.

A sentence may carry several figures ("61% …, trong đó 44% … 17% …", "06 lớp … cho 300 giáo
viên"): each is one target with the clause around it as its text.  The comparator comes from the
qualifier standing right before the figure; the year from the figure's own words ("đến năm 2025",
"vào năm 2026", "Đến hết năm 2023, …" carried over the sentence's "; …"), else — in the
objectives part only — from the enclosing heading ("a) Đến năm 2020", "Mục tiêu … năm học 2024 -
2025") or the plan's school year.  In the tasks part a figure without a year of its own has none.
Figures that describe today ("Hiện nay trường có 42 lớp") and sub-parts about the situation are
skipped.  What counts as a figure, a comparator or a year is in :mod:`.figures`; tables are read by
:mod:`.target_tables`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional

from ..model import Document, Section
from ..text_utils import cut_at, squash_spaces
from .figures import (ANY_DIGIT, Figure, comparator, describes_situation, find_figures, heading_year, is_situation_heading,
                      school_year, vocabulary, year_for, year_mentions)
from .parts import target_parts, task_parts
from .records import Target
from .target_tables import extract_table_targets


SCHOOL_YEAR_WORDS = re.compile(r"năm\s+học", re.I)
# the spaces after "." or ";" that end a sentence (the stop first: the scan jumps from one to the next)
SENTENCE_BREAK = re.compile(r"[;.](\s+)(?=\S)")
SPACES = re.compile(r"\s+")
PARENTHESES = re.compile(r"\([^()]*\)")
CLOSES_AT_FIGURE = re.compile(r"\s*[,)]")  # "… đạt trên 85%, tiểu học …"


def plan_school_year(doc: Document) -> Optional[tuple[int, int]]:
    """The school year the plan is for ("Kế hoạch … năm học 2024 - 2025"), from its front matter."""
    for item in doc.preamble:
        named = SCHOOL_YEAR_WORDS.search(item.text)
        found = school_year(item.text[named.start():]) if named else None
        if found:
            return found
    return None


def _in_situation(section: Section, part: Section) -> bool:
    for node in [section, *section.ancestors()]:
        if node is part:
            return False
        if is_situation_heading(node.heading):
            return True
    return False


def _sentences(text: str) -> list[str]:
    """The sentences and clauses of a paragraph, cut at the spaces after "." and ";"."""
    return [p for p in cut_at(SENTENCE_BREAK, text) if p.strip()]


def _section_texts(section: Section) -> Iterator[str]:
    yield section.heading
    for item in section.items:
        if item.kind != "table_row":
            yield item.text


TOPIC = re.compile(r"^[^:%]{3,60}:\s+(?=\S)")
@dataclass(frozen=True)
class _Clauses:
    """Patterns built from the clause words of vocab/targets.yml (``clauses``)."""

    subgroup: re.Pattern  # "trong đó": a sub-group of the figure before
    conjunction: re.Pattern  # " và ": two figures, two clauses
    conjunction_start: re.Pattern
    elided_head: re.Pattern  # "20% đạt chuẩn nâng cao": the noun of the figure before is meant
    elided_split: re.Pattern
    place_only: re.Pattern  # "8% ở cấp trung học": the figure has no noun of its own
    reference: re.Pattern  # "… theo quy định tại …": dropped from the text
    reference_word: re.Pattern  # the "theo" every reference holds: a cheap test before ``reference``


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _clauses() -> _Clauses:
    words = {k: _alternation(v) for k, v in vocabulary().clauses.items()}
    return _Clauses(
        subgroup=re.compile(rf"[,;(]?\s*(?:{words['subgroup']})", re.I),
        conjunction=re.compile(rf"\s(?:{words['conjunctions']})\s", re.I),
        conjunction_start=re.compile(rf"\s*(?:{words['conjunctions']})\s", re.I),
        elided_head=re.compile(rf"^\s*(?:{words['predicates']})\b", re.I),
        elided_split=re.compile(rf"\s(?:{words['predicates']})\s", re.I),
        place_only=re.compile(rf"^\s*(?:{words['places']})?\s*(?:[,;.)]|$)|^\s*(?:{words['places']})\s", re.I),
        reference=re.compile(rf"\s+theo (?:{words['references']}) (?:tại|của)\b.*$", re.I),
        reference_word=re.compile("theo ", re.I),
    )


def _tidy(text: str) -> str:
    """The clause without the punctuation and spaces at its ends, its parenthesis closed, single
    spaces.  (Plain loops over its ends, not one pattern for both ends: such a pattern is tried at
    every position of the clause.)"""
    text = text.strip().strip(";,.").strip()
    start, end = 0, len(text)
    while start < end and (text[start] in ",;)" or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] == "(" or text[end - 1].isspace()):
        end -= 1
    text = text[start:end]
    if text.count("(") > text.count(")"):
        text = text + ")"
    return squash_spaces(text)


@lru_cache(maxsize=1)
def _qualifier_words() -> tuple[str, ...]:
    """Comparator, glue and range words of the vocabulary, longest first."""
    vocab = vocabulary()
    words = {phrase for phrase, _ in vocab.comparators if phrase[0].isalpha()} | set(vocab.glue) | set(vocab.range_open)
    return tuple(sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _qualifiers() -> str:
    """The qualifier words as one regex alternation, longest first."""
    return "|".join(re.escape(w) for w in _qualifier_words())


@dataclass(frozen=True)
class _SubjectPatterns:
    """What :func:`_subject` strips, compiled once (two hold the vocabulary's qualifier words)."""

    percent: re.Pattern
    rate_words: re.Pattern
    leading_qualifiers: re.Pattern
    leading_deadline: re.Pattern
    leading_plural: re.Pattern
    trailing_qualifiers: re.Pattern
    ends_with_qualifier: re.Pattern  # a cheap test before ``trailing_qualifiers``, searched in the last words only
    qualifier_end: re.Pattern  # a last letter of a qualifier word: a one-character test before ``ends_with_qualifier``
    qualifier_char: re.Pattern  # a space or a letter of a qualifier word: what ``trailing_qualifiers`` matches
    range_close: tuple[re.Pattern, ...]  # "trở lên" after a count's noun
    figure_first: re.Pattern  # what may stand before a sentence's first figure: qualifiers, punctuation


@lru_cache(maxsize=1)
def _subject_patterns() -> _SubjectPatterns:
    qualifiers = _qualifiers()
    letters = "".join(sorted({re.escape(c) for w in _qualifier_words() for c in w if not c.isspace()}))
    return _SubjectPatterns(
        percent=re.compile(r"\d\d{0,2}(?:[.,]\d+)?\s*%"),  # "\d\d{0,2}", not "\d{1,3}": the scan jumps to digits
        rate_words=re.compile(r"\b(?:tỷ lệ|tỉ lệ)\b", re.I),
        leading_qualifiers=re.compile(rf"^(?:[-+;,:.\s≥>]|trong đó|và|{qualifiers})+(?=\s|$)", re.I),
        leading_deadline=re.compile(r"^(?:(?:đến|tới|trong|vào)(?:\s+hết)?\s+năm(?:\s+học)?\s+[\d\s–-]+,\s*)", re.I),
        leading_plural=re.compile(r"^(?:các|những)\s+"),
        trailing_qualifiers=re.compile(rf"(?:\s+(?:{qualifiers}))+\s*$", re.I),
        ends_with_qualifier=re.compile(rf"(?:{qualifiers})$", re.I),
        qualifier_end=re.compile("[" + "".join(sorted({re.escape(w[-1]) for w in _qualifier_words()})) + "]", re.I),
        qualifier_char=re.compile(rf"[\s{letters}]", re.I),
        range_close=tuple(re.compile(rf"(?<=\w)\s+{re.escape(close)}\b", re.I) for close in vocabulary().range_close),
        # atomic and possessive: each position takes the first alternative that matches and never
        # gives it back, as ``re.sub`` does when it removes them left to right
        figure_first=re.compile(rf"(?>\W|{qualifiers})*+"),
    )


def _strip_trailing_qualifiers(text: str) -> str:
    """``text`` without the qualifier words that end it ("… đạt trên", "… có tối thiểu").  The full
    pattern is tried only when the last characters are a qualifier (a match is as long as its word),
    and only from where the run of spaces and qualifier letters that ends the text begins: a match
    cannot start before it, and trying every position of a long clause is what costs."""
    patterns = _subject_patterns()
    bare = text.rstrip()
    # the last character first (most clauses end with a noun): a match ends with a word's last letter
    if not patterns.qualifier_end.match(bare, max(0, len(bare) - 1)) \
            or not patterns.ends_with_qualifier.search(bare, max(0, len(bare) - len(_qualifier_words()[0]))):
        return text
    start = len(text)
    while start and patterns.qualifier_char.match(text, start - 1):
        start -= 1
    m = patterns.trailing_qualifiers.search(text, start)
    return text[: m.start()] + text[m.end():] if m else text


def _subject(text: str, figure_text: str) -> str:
    """What the figure counts: its clause without the figure, the qualifiers and a leading deadline."""
    patterns = _subject_patterns()
    rest = text.replace(figure_text, " ", 1)
    rest = patterns.percent.sub(" ", rest)
    rest = patterns.rate_words.sub(" ", rest)
    rest = patterns.leading_qualifiers.sub("", rest.strip())
    rest = patterns.leading_deadline.sub("", rest.strip())
    rest = patterns.leading_plural.sub("", rest.strip())
    rest = _strip_trailing_qualifiers(rest)
    return squash_spaces(rest).strip(" ,;:.")


def _count_subject(text: str, number: str) -> str:
    """What a count counts: its noun phrase, then who has it ("phòng học thông minh/trường (Các
    trường THPT)" for "Các trường THPT có tối thiểu 02 phòng học thông minh/trường")."""
    at = text.find(number)
    if at < 0:
        return _subject(text, number)
    head = squash_spaces(text[at + len(number):]).strip(" ,;:.")
    for close in _subject_patterns().range_close:  # "20 em trở lên": the range is the comparator's
        head = close.sub("", head)
    owner = _subject(text[:at], "")
    return f"{head} ({owner})" if head and owner else head or owner


def _segments(chunk: str, figures: list[Figure]) -> list[tuple[int, int]]:
    """The clause (start, end) of each figure.  Between two figures the cut is at "trong đó", after a
    comma, or before "và"/"hoặc"; with none of these ("06 lớp … cho 300 giáo viên") both share it."""
    cuts: list[Optional[int]] = []
    for prev, nxt in zip(figures, figures[1:]):
        gap = chunk[prev.end: nxt.start]
        offset = prev.end
        m = _clauses().subgroup.search(gap)
        if m:
            cuts.append(offset + m.start())
        elif CLOSES_AT_FIGURE.match(gap):  # "… đạt trên 85%, tiểu học …": the clause ends at the figure
            cuts.append(offset + gap.index(gap.strip()[0]) + 1)
        elif "," in gap:
            cuts.append(offset + gap.rindex(",") + 1)
        elif _clauses().conjunction.search(gap):
            last = list(_clauses().conjunction.finditer(gap))[-1]
            cuts.append(offset + last.start())
        else:
            cuts.append(None)
    bounds: list[tuple[int, int]] = []
    start = 0
    group: list[int] = []
    for i in range(len(figures)):
        group.append(i)
        cut = cuts[i] if i < len(cuts) else len(chunk)
        if cut is None:
            continue
        bounds.extend((start, cut) for _ in group)
        group = []
        start = cut
        if i < len(cuts):  # skip the conjunction itself
            m = _clauses().conjunction_start.match(chunk[cut:])
            if m:
                start = cut + m.end()
    return bounds


def _pieces(chunk: str) -> Iterator[tuple[str, Figure, str, str]]:
    """(clause text, figure, text before the figure in its clause, text after it in its clause)."""
    figures = find_figures(chunk)
    if not figures:
        return
    bounds = _segments(chunk, figures)
    short_heads = all(len(chunk[f.end: bounds[i][1]].split()) <= 4 for i, f in enumerate(figures[:-1]))
    # nothing but punctuation and qualifiers before the first figure
    figure_first = _subject_patterns().figure_first.fullmatch(chunk[: figures[0].start].lower()) is not None
    for i, figure in enumerate(figures):
        start, end = bounds[i]
        text = chunk[start:end]
        if len(figures) > 1 and short_heads and figure_first and all(f.is_percent for f in figures):
            # "100% các trường THPT, 50% trường THCS, 30% … được trang bị …": one shared predicate
            text = chunk
        yield _tidy(text), figure, chunk[start: figure.start], chunk[figure.end: end]


def _paren_groups(sentence: str) -> list[re.Match]:
    return [m for m in PARENTHESES.finditer(sentence) if find_figures(m.group(0))]


@dataclass
class _Found:
    """One figure read in a sentence, before it becomes a :class:`Target`."""

    text: str
    subject: str
    figure: Figure
    comparator: str
    year: Optional[int]  # the figure's own year, None when its words give none


def _targets_in_sentence(sentence: str) -> Iterator[_Found]:
    """Each figure of a sentence; parenthesised sub-groups ("(trong đó khu vực thuận lợi ít nhất
    60%)", "(chiếm 75% …)") are taken apart from the main clause."""
    if not ANY_DIGIT.search(sentence):
        return
    topic = TOPIC.match(sentence.strip())
    keep = topic is None or year_mentions(topic.group(0)) or find_figures(topic.group(0))
    sentence = sentence.strip() if keep else sentence.strip()[topic.end():]
    groups = _paren_groups(sentence)
    main = sentence
    for m in reversed(groups):
        main = main[: m.start()] + " " + main[m.end():]
    if not (main.isprintable() and "  " not in main):  # else no whitespace but single spaces: nothing to do
        main = SPACES.sub(" ", main)
    previous: tuple[str, str] | None = None  # (text before the figure, subject) of the last piece
    for chunk in [main, *(g.group(0)[1:-1] for g in groups)]:
        mentions = year_mentions(chunk)
        figures = find_figures(chunk)
        for text, figure, before, after in _pieces(chunk):
            if describes_situation(chunk[: figure.start], before):
                previous = None
                continue
            clauses = _clauses()
            if clauses.reference_word.search(text):
                text = clauses.reference.sub("", text)
            shown = chunk[figure.start: figure.number_end]
            subject = _count_subject(text, shown) if not figure.is_percent else _subject(text, shown)
            bare = not clauses.subgroup.sub("", before).strip(" ,;")
            if previous and bare and figure.is_percent and clauses.elided_head.match(chunk[figure.end:]):
                # "95% cán bộ … đạt chuẩn cơ bản, 20% đạt chuẩn nâng cao": the noun is elided
                head = clauses.elided_split.split(previous[1])[0]
                subject = f"{head} {subject}"
            elif previous and previous[0].strip() and not before.strip(" ,;") and clauses.place_only.match(chunk[figure.end:]):
                # "Tỷ trọng … đạt trung bình 4% ở cấp tiểu học, 8% ở cấp trung học": the figure has no
                # noun of its own, the clause before gives it
                text = f"{previous[0].strip()} {text}"
                subject = _subject(text, shown)
            yield _Found(text, subject, figure, comparator(before, after), year_for(figure, figures, mentions))
            previous = (before, subject)
        previous = None


def _leading_year(sentence: str) -> Optional[int]:
    """A year that opens the sentence ("Năm 2025, …", "Đến hết năm 2023, …") and so also holds for
    the sentences after it in the same paragraph."""
    figures = find_figures(sentence)
    for mention in year_mentions(sentence):
        if figures and figures[0].start < mention.start:
            return None
        return mention.year
    return None


def _text_targets(section: Section, default_year: Optional[int]) -> Iterator[Target]:
    for paragraph in _section_texts(section):
        if not ANY_DIGIT.search(paragraph):
            continue  # no figure and no year in any of its sentences (most paragraphs)
        carried: Optional[int] = None
        for sentence in _sentences(paragraph):
            if not ANY_DIGIT.search(sentence):
                continue  # neither a figure nor a year of its own: nothing found, nothing carried
            own = _leading_year(sentence)
            for found in _targets_in_sentence(sentence):
                year = found.year or own or carried or default_year
                yield Target(section=section.path, text=found.text, value=found.figure.value, unit=found.figure.unit,
                             comparator=found.comparator, year=year, subject=found.subject)
            carried = own or carried


def extract_targets(doc: Document) -> list[Target]:
    found: list[Target] = []
    objectives = target_parts(doc)
    tasks = [p for p in task_parts(doc) if p not in objectives]
    plan_year = plan_school_year(doc)
    for part, is_target_part in [(p, True) for p in objectives] + [(p, False) for p in tasks]:
        for section in part.walk():
            if _in_situation(section, part):
                continue
            default_year = None
            if is_target_part:
                default_year = heading_year(section, part) or (plan_year[1] if plan_year else None)
            found.extend(_text_targets(section, default_year))
    found.extend(extract_table_targets(doc, objectives, plan_year))
    return found
