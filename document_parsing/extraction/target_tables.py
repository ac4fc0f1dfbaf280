"""Target tables: one target per cell holding a figure.

A target table has an indicator column ("Chỉ tiêu", "Nội dung"), maybe a unit column ("Đơn vị
tính") and value columns, one per year ("Năm 2023"), per school year or semester ("Học kỳ I", "Cả
năm", "2024 - 2025") or per school level ("Tiểu học", "THCS").  A column's year comes from its
header: a year as printed, a school year's end year (its start year for a first-semester column);
a semester column or a level column takes the school year printed around the table (its section,
caption, enclosing headings, else the plan's own).  Tables inside an objectives part are read;
elsewhere only a table whose header names both an indicator column and time or level columns.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from ..model import Document, Section, Table
from .tables import appendix_label
from .figures import comparator, find_figures, head_noun, heading_year, is_label_number, low, school_year, vocabulary
from .records import Target

NUMBER_CELL = re.compile(r"(?<![\w.,/])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(?![\w/]|[.,]\d)\s*(%|phần trăm)?")
YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")  # a year not inside a longer number
DIGIT = re.compile(r"\d")
LETTER_DIGIT_JOIN = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
TERM_NUMERAL = re.compile(r"(kỳ|KỲ|Kỳ)(?=[IV])")
WORDS = re.compile(r"[^\W\d_]+")
SPACES = re.compile(r"\s+")
DECIMAL_PERCENT = re.compile(r"\d{1,3}\.\d{1,2}")
YEAR = re.compile(r"(?:19|20)\d{2}")


@dataclass
class _Column:
    index: int
    header: str
    year: Optional[int]
    level: Optional[str]  # a school level or other non-time heading, added to the subject


def _has(words: tuple[str, ...], text: str) -> bool:
    text = f" {low(text)} "
    return any(f" {w} " in text for w in words)


def _header_rows(rows: list[list[str]]) -> int:
    """How many rows at the top are headers: the first row, and the rows under it holding no figure
    but years ("Năm học 2024 - 2025" over "Học kỳ I | Cả năm")."""
    n = 1
    while n < min(3, len(rows) - 1):
        cells = [YEAR_IN_TEXT.sub("", c or "") for c in rows[n]]
        if any(DIGIT.search(c) for c in cells):
            break
        n += 1
    return n


def _headers(rows: list[list[str]], n: int) -> list[str]:
    width = max(len(r) for r in rows)
    out = []
    for c in range(width):
        parts: list[str] = []
        for r in rows[:n]:
            cell = (r[c] if c < len(r) else "").strip()
            if cell and cell not in parts:
                parts.append(cell)
        out.append(" ".join(parts))
    return out


def _column_year(header: str, context: Optional[tuple[int, int]]) -> tuple[Optional[int], bool]:
    """(year, is_time_column) from a value column's header."""
    table = vocabulary().table
    spaced = LETTER_DIGIT_JOIN.sub(" ", header)  # "Năm2023", "Học kỳI"
    spaced = TERM_NUMERAL.sub(r"\1 ", spaced)
    first = _has(table["first_term"], spaced)
    full = _has(table["full_year"], spaced)
    span = school_year(spaced)
    if span:
        return (span[0] if first else span[1]), True
    years = [int(y) for y in YEAR_IN_TEXT.findall(spaced)]
    if years:
        return years[-1], True
    if first:
        return (context[0] if context else None), True
    if full:
        return (context[1] if context else None), True
    return None, False


def _classify(headers: list[str], body: list[list[str]]) -> tuple[Optional[int], Optional[int], list[int]]:
    """(indicator column, unit column, value columns)."""
    table = vocabulary().table
    indicator = unit = None
    values: list[int] = []
    for i, h in enumerate(headers):
        if indicator is None and _has(table["indicator"], h):
            indicator = i
        elif unit is None and _has(table["unit"], h):
            unit = i
    if indicator is None:  # the column with the longest texts
        lengths = [sum(len(r[i]) if i < len(r) else 0 for r in body) for i in range(len(headers))]
        indicator = max(range(len(headers)), key=lambda i: lengths[i])
    for i, h in enumerate(headers):
        text = low(h)
        if i in (indicator, unit) or text in table["numbering"] or _has(table["skip"], h):
            continue
        if any(NUMBER_CELL.search(r[i]) for r in body if i < len(r)):
            values.append(i)
    return indicator, unit, values


def is_target_table(table: Table, context: Optional[tuple[int, int]] = None) -> bool:
    """A table outside the objectives part is a target table when its header names an indicator
    column and its value columns are years, semesters or levels."""
    if not table.rows:
        return False
    n = _header_rows(table.rows)
    headers = _headers(table.rows, n)
    if not any(_has(vocabulary().table["indicator"], h) for h in headers):
        return False
    _, _, values = _classify(headers, table.rows[n:])
    return bool(values) and all(_column_year(headers[i], context)[1] for i in values)


def _strip_prefix(indicator: str) -> str:
    text = indicator.strip()
    for prefix in vocabulary().table["subject_prefixes"]:
        if low(text).startswith(prefix + " "):
            return text[len(prefix) + 1:].strip()
    return text


def _unit_from_indicator(indicator: str) -> Optional[str]:
    text = low(indicator)
    if text.startswith(("tỷ lệ", "tỉ lệ")):
        return "%"
    words = WORDS.findall(_strip_prefix(indicator))
    return head_noun(words) if words and low(indicator).startswith("số") else None


def _row_section(doc: Document, table: Table, row: list[str], numbering: Optional[int]) -> str:
    """The table's section in the body; "PL.3" / "PLI.3" for a numbered row of an appendix."""
    label = appendix_label(doc, table)
    if not label:
        return table.section
    number = row[numbering].strip().rstrip(".") if numbering is not None and numbering < len(row) else ""
    return f"{label}.{number}" if number.isdigit() else label


def _cell_targets(cell: str, indicator: str, header: str, unit_cell: str, column: _Column, section: str,
                  blanks: tuple[str, ...]) -> Iterator[Target]:
    cell = SPACES.sub(" ", cell or "").strip()
    if not cell or low(cell) in blanks:
        return
    m = NUMBER_CELL.search(cell)
    if not m:
        return
    whole, decimals, percent = m.group(1), m.group(2), m.group(3)
    if is_label_number(cell[: m.start()]):
        return  # "Đạt mức độ 2": a level, not a figure
    if percent and DECIMAL_PERCENT.fullmatch(whole):
        value = float(whole)
    else:
        value = float(whole.replace(".", "")) + (float(f"0.{decimals}") if decimals else 0.0)
    if not percent and YEAR.fullmatch(whole) and not unit_cell:
        return  # a year, not a figure
    figures = find_figures(cell)
    unit = "%" if percent else (figures[0].unit if figures else None) or (unit_cell.strip() or None) \
        or _unit_from_indicator(indicator)
    subject = _strip_prefix(indicator)
    if column.level:
        subject = f"{subject} - {column.level}"
    yield Target(section=section, text=f"{indicator} - {header}: {cell}", value=value, unit=unit,
                 comparator=comparator(cell[: m.start()], cell[m.end():]), year=column.year, subject=subject)


def _context_year(table: Table, doc: Document, plan_year: Optional[tuple[int, int]]) -> Optional[tuple[int, int]]:
    """The school year printed around the table: its section's text, its caption, enclosing headings."""
    section = _section_of(table, doc)
    texts: list[str] = []
    if section is not None:
        texts.append(section.text())
    texts.append(table.caption)
    if section is not None:
        texts.extend(a.heading for a in section.ancestors())
    for text in texts:
        found = school_year(text)
        if found:
            return found
    return plan_year


def _section_of(table: Table, doc: Document) -> Optional[Section]:
    return next((s for s in doc.walk() if s.path == table.section), None) if table.section else None


def _table_heading_year(table: Table, doc: Document) -> Optional[int]:
    section = _section_of(table, doc)
    return heading_year(section) if section is not None else None


def _in_parts(path: str, parts: list[Section]) -> bool:
    return bool(path) and any(path == p.path or path.startswith(p.path + ".") for p in parts)


def extract_table_targets(doc: Document, objectives: list[Section], plan_year: Optional[tuple[int, int]]) -> list[Target]:
    vocab = vocabulary().table
    found: list[Target] = []
    for table in doc.tables:
        if not table.rows:
            continue
        context = _context_year(table, doc, plan_year)
        if not (_in_parts(table.section, objectives) or is_target_table(table, context)):
            continue
        n = _header_rows(table.rows)
        headers = _headers(table.rows, n)
        body = table.rows[n:]
        indicator_col, unit_col, value_cols = _classify(headers, body)
        numbering = next((i for i, h in enumerate(headers) if low(h) in vocab["numbering"]), None)
        fallback_year = _table_heading_year(table, doc) or (context[1] if context else None)
        columns = []
        for i in value_cols:
            year, is_time = _column_year(headers[i], context)
            level = None if is_time or _has(vocab["indicator"], headers[i]) else headers[i].strip() or None
            columns.append(_Column(i, headers[i], year if is_time else fallback_year, level))
        for row in body:
            if indicator_col is None or indicator_col >= len(row):
                continue
            indicator = SPACES.sub(" ", row[indicator_col]).strip()
            if not indicator or low(indicator) in vocab["total_rows"]:
                continue
            unit_cell = row[unit_col] if unit_col is not None and unit_col < len(row) else ""
            for column in columns:
                if column.index < len(row):
                    found.extend(_cell_targets(row[column.index], indicator, column.header, unit_cell, column,
                                               _row_section(doc, table, row, numbering), vocab["blanks"]))
    return found
