"""Reporting deadlines: who reports what to whom and when.

Read from the "Tổ chức thực hiện" part, a reporting part of its own ("Chế độ thông tin, báo cáo"),
and the deadline column of duty and monitoring tables.

A deadline in the text is a clause with a reporting cue ("báo cáo", "gửi …", "trình", "sơ kết",
"phản ánh về").  Clauses of one sentence without timing of their own belong to the one before;
two dates in one clause ("… trước ngày 05/01/2025 và báo cáo tổng kết trước ngày 25/5/2025")
are two deadlines.  The closing "khó khăn, vướng mắc" paragraph belongs to its part.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from ..model import Document, Section
from ..text_utils import clean_space, cut_at, fold
from .agencies import canonical_agency, split_agencies
from .appendix import split_partners
from .parts import organisation_parts, reporting_parts
from .records import Deadline
from .responsibilities import primary_agency
from .tables import TableLayout, layouts, section_of

ADDRESSEES = r"(?:Ủy ban|Uỷ ban|UBND|Hiệu trưởng|Giám đốc|Chủ tịch|Sở|Phòng|Bộ|Thủ tướng|HĐND|Hội đồng|cấp có thẩm quyền)"
# CUE, TIMING, TROUBLE and TO open with a look-ahead at the letters their alternatives can start
# with: the scan then passes over every other position at once instead of trying each alternative
# there (the same matches, several times faster on long clauses).
CUE = re.compile(rf"(?=[bgstp])(?:báo cáo|gửi\s|sơ kết|tổng kết|phản ánh|\btrình\s+{ADDRESSEES})", re.I)
_DATE = r"\d{1,2}(?:/\d{1,2})?(?:/\d{4})?"
_EVERY = r"(?:hàng|hằng|mỗi)\s+(?:năm|quý|tháng|tuần)"
TIMING = re.compile(
    rf"(?=[đhmtscq])(?:"
    rf"(?:định kỳ\s+)?{_EVERY}(?:\s*,?\s*(?:trước|sau)\s+ngày\s*{_DATE}(?:\s+của\s+tháng\s+(?:cuối|đầu)\s+quý)?)?"
    rf"|định kỳ[^,;.]*"
    rf"|(?:hoàn thành\s+)?(?:trước|sau)\s+ngày\s*{_DATE}(?:\s+của\s+tháng\s+(?:cuối|đầu)\s+quý)?(?:\s+{_EVERY})?"
    rf"|(?:cuối|đầu|trong)\s+tháng\s+\d{{1,2}}(?:/\d{{4}})?"
    rf"|(?:trong\s+)?quý\s+(?:[IV]{{1,3}}|[1-4])(?:/\d{{4}}|\s+năm\s+\d{{4}})?"
    rf"|sau\s+(?:\d+\s+(?:năm|tháng)|khi)[^,;.]*|theo (?:yêu cầu|quy định)"
    rf"|trong quá trình[^.]*?(?:vướng mắc|khó khăn))", re.I)
RECURRENCE = [(re.compile(r"(hàng|hằng|mỗi)\s+năm|định kỳ\s+(hàng\s+)?năm", re.I), "yearly"),
              (re.compile(r"(hàng|hằng|mỗi)\s+quý|định kỳ\s+(hàng\s+)?quý|tháng\s+(?:cuối|đầu)\s+quý", re.I), "quarterly"),
              (re.compile(r"(hàng|hằng|mỗi)\s+tháng|định kỳ\s+(hàng\s+)?tháng", re.I), "monthly"),
              (re.compile(r"(?:6|06|sáu) tháng", re.I), None),
              (re.compile(r"trước ngày\s*\d{1,2}/\d{1,2}(?![\d/])", re.I), "yearly"),  # a day of the year, no year: every year
              (re.compile(r"sau\s+(?:\d+\s+(?:năm|tháng)|khi)|trước ngày|sau ngày|tháng\s+\d{1,2}/\d{4}|quý\s+\S+", re.I), "once")]
TROUBLE_WORDS = r"khó khăn,?\s*vướng mắc|vướng mắc,?\s*khó khăn"
TROUBLE = re.compile(rf"(?=[kv])(?:{TROUBLE_WORDS})", re.I)
TO = re.compile(r"(?=[gbpvt])(?:gửi(?:\s+về)?|báo cáo|phản ánh về|về|trình)\s+((?:Sở|Phòng|Bộ|Ủy ban|Uỷ ban|UBND|Ban|Văn phòng|Hiệu trưởng|Giám đốc)[^;.]*)")
# Cells of a deadline column that set no date ("Thường xuyên", roadmap years "2021 - 2023").
UNDATED = re.compile(r"^\s*(?:thường xuyên|liên tục|hằng ngày|hàng ngày)\s*$|^\s*(?:năm\s+)?(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?\s*$", re.I)
SPAN = re.compile(r"^\s*(?:năm\s+)?(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?\s*$", re.I)


@lru_cache(maxsize=1024)
def _recurrence(text: str) -> Optional[str]:
    """How often a timing recurs.  Cached: a timing is asked whether it is dated, then again for
    its deadline, and the empty timing of every undated one (each pattern is case-insensitive: slow)."""
    for pattern, name in RECURRENCE:
        if pattern.search(text):
            return name
    return None


DAY_MONTH = re.compile(r"(?:trước|sau) ngày\s*(\d{1,2})/(\d{1,2})", re.I)
DAY = re.compile(r"(?:trước|sau) ngày\s*(\d{1,2})\b(?!/)", re.I)
MONTH = re.compile(r"(?:cuối|đầu|trong)?\s*tháng\s+(\d{1,2})\b", re.I)


@lru_cache(maxsize=1024)
def _month_day(text: str) -> tuple[Optional[int], Optional[int]]:
    """(month, day) a timing names.  Cached, as :func:`_recurrence`."""
    m = DAY_MONTH.search(text)
    if m:
        return int(m.group(2)), int(m.group(1))
    m = DAY.search(text)
    if m:
        return None, int(m.group(1))
    m = MONTH.search(text)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(1)), None
    return None, None


def _to(text: str) -> Optional[str]:
    m = TO.search(text)
    if not m:
        return None
    names = split_agencies(m.group(1))
    return ", ".join(canonical_agency(n) for n in names) or None


ONLY_COMMAS = re.compile(r"[\s,]*")


@lru_cache(maxsize=1024)
def _timings(clause: str) -> tuple[str, ...]:
    """The distinct timings of a clause; adjacent ones ("định kỳ hằng quý, trước ngày 25 …") are one.
    Cached: a clause is asked again when the clauses after it are grouped with it."""
    found: list[list[str]] = []
    last_end = None
    for m in TIMING.finditer(clause):
        gap = clause[last_end: m.start()] if last_end is not None else None
        if found and gap is not None and ONLY_COMMAS.fullmatch(gap):
            found[-1].append(m.group(0))
        else:
            found.append([m.group(0)])
        last_end = m.end()
    return tuple(", ".join(group) for group in found)


def _deadline(section: str, agency: Optional[str], what: str, when: Optional[str]) -> Deadline:
    month, day = _month_day(when or "")
    return Deadline(section=section, agency=agency, what=what, to=_to(what), when=when,
                    recurrence=_recurrence(when or ""), month=month, day=day)


SENTENCE_BREAK = re.compile(r"\.(\s+)")  # the stop first: the scan jumps from one to the next
CLAUSE_END = re.compile(r";\s*")


def _sentences(text: str) -> list[str]:
    """The text cut at the spaces after each "." (an empty last piece when it ends with them)."""
    return cut_at(SENTENCE_BREAK, text)


def _deadlines_in(text: str, section: str, agency: Optional[str]) -> list[Deadline]:
    found: list[Deadline] = []
    for sentence in _sentences(text):
        opening = TIMING.match(sentence.strip())
        sentence_timing = opening.group(0) if opening else None
        groups: list[list[str]] = []
        for clause in CLAUSE_END.split(sentence):
            if not CUE.search(clause):
                continue
            own = [t for t in _timings(clause) if t != sentence_timing]
            if groups and not (own and any(_timings(c) for c in groups[-1])):
                groups[-1].append(clause)
            else:
                groups.append([clause])
        for group in groups:
            what = clean_space("; ".join(group)).strip(" .;")
            timings = [t for c in group for t in _timings(c) if t != sentence_timing]
            dated = [t for t in timings if _recurrence(t) or any(_month_day(t))]
            if len(dated) > 1:
                found.extend(_deadline(section, agency, what, t) for t in dated)
                continue
            own = timings[0] if timings else None
            timing = ", ".join(t for t in dict.fromkeys([sentence_timing, own]) if t) or None
            found.append(_deadline(section, agency, what, timing))
    return found


CLOSING_SUBJECT = re.compile(r",\s*((?:các|những)\s+[^,]+?)\s+(?:kịp thời|phản ánh|báo cáo)")


def _closing_subject(text: str) -> Optional[str]:
    m = CLOSING_SUBJECT.search(text)
    return m.group(1)[:1].upper() + m.group(1)[1:] if m else None


CLOSING_START = re.compile(rf"(?:trong quá trình|nếu có|nếu phát sinh)[^.]*?(?:{TROUBLE_WORDS})", re.I)
CLOSING_WHEN = re.compile(r"(?:trong quá trình|nếu)[^.]*?(?:vướng mắc|khó khăn)", re.I)


def _closing(text: str, section: str) -> list[Deadline]:
    """"Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, … phản ánh về …": no date."""
    start = CLOSING_START.search(text)
    clause = text[start.start():] if start else text
    when = CLOSING_WHEN.search(clause)
    return [Deadline(section=section, agency=_closing_subject(clause), what=clean_space(clause).strip(" ./"),
                     to=_to(clause), when=when.group(0) if when else None, recurrence=None)]


def _is_closing(text: str) -> bool:
    return bool(TROUBLE.search(text)) and bool(CUE.search(text))


def _item_agency(section: Section, part: Section) -> Optional[str]:
    for node in [section, *section.ancestors()]:
        if node is part:
            return None
        agency = primary_agency(node)
        if agency:
            return agency
    return None


def _table_deadlines(doc: Document, table: TableLayout) -> list[Deadline]:
    found: list[Deadline] = []
    completion = "hoan thanh" in fold(table.when_header)
    for row in table.rows:
        cell = table.cell(row, table.when)
        if not cell or cell in "-–":
            continue
        if UNDATED.match(cell) and not (completion and SPAN.match(cell)):
            continue
        lead = table.cell(row, table.lead) or table.cell(row, table.performer)
        names = split_partners(lead)
        agency = canonical_agency(names[0]) if names else None
        what = table.cell(row, table.task).rstrip(" .;")
        section = section_of(doc, table.table, row)
        timings = _timings(cell) if not SPAN.match(cell) else ()
        dated = [t for t in timings if _recurrence(t) or any(_month_day(t))]
        if len(dated) > 1:
            found.extend(_deadline(section, agency, what, t) for t in dated)
        elif _recurrence(cell) or any(_month_day(cell)) or SPAN.match(cell):
            found.append(_deadline(section, agency, what, cell) if not SPAN.match(cell)
                         else Deadline(section, agency, what, None, cell, None))
    return found


def extract_deadlines(doc: Document) -> list[Deadline]:
    found: list[Deadline] = []
    for part in organisation_parts(doc) + reporting_parts(doc):
        for section in part.walk():
            texts = [] if section is part or section.children else [section.heading]
            closing: list[str] = []
            for item in section.items:
                if item.kind == "table_row":
                    continue
                (closing if _is_closing(item.text) and item.kind == "paragraph" else texts).append(item.text)
            own = " ".join(t for t in texts if t)
            if section is not part and _is_closing(section.heading) and not section.children:
                found.extend(_closing(own, section.path))
            elif own:
                found.extend(_deadlines_in(own, section.path, _item_agency(section, part)))
            for text in closing:
                found.extend(_closing(text, part.path))
    for table in layouts(doc):
        if table.when is not None:
            found.extend(_table_deadlines(doc, table))
    return found
