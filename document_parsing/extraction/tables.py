"""Reading the tables of a plan: which column holds what, and where each row belongs.

Duty tables ("Nội dung công việc | Bộ phận thực hiện | Thời gian"), appendix project tables
("Tên nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian thực hiện") and monitoring tables
("Chỉ tiêu | Cơ quan theo dõi | Thời hạn báo cáo") all have a header naming their columns; every
extractor that reads a table asks this module rather than guessing positions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator, Optional

from ..labels import is_roman
from ..model import Document, Table
from ..text_utils import fold

ROW_NUMBER = re.compile(r"^(\d{1,3})\.?$")
YEAR = re.compile(r"(19|20)\d\d")
APPENDIX_NUMERAL = re.compile(r"^\s*ph[uụ]\s*l[uụ]c\s*(?:s[oố]\s*)?([IVX]+|\d+)\b", re.I)
LEAD_KEYS = ("chu tri",)
PARTNER_KEYS = ("phoi hop",)
PERFORMER_KEYS = ("thuc hien", "theo doi", "phu trach", "don vi", "bo phan", "co quan", "nguoi")
TASK_KEYS = ("noi dung", "nhiem vu", "cong viec", "ten ", "du an", "chi tieu", "hoat dong")
WHEN_KEYS = ("thoi gian", "thoi han", "tien do", "hoan thanh")
NOT_AGENCY = ("don vi tinh", "kinh phi", "nguon von", "ghi chu")


@dataclass
class TableRow:
    no: int
    cells: list[str]


@dataclass
class TableLayout:
    """Column roles of one table, from its header rows."""

    table: Table
    header: list[list[str]]
    rows: list[TableRow]
    lead: Optional[int] = None
    partner: Optional[int] = None
    performer: Optional[int] = None
    task: Optional[int] = None
    when: Optional[int] = None
    when_header: str = ""
    years: dict[int, int] = field(default_factory=dict)  # column → year for "2021 | 2022 | …" headers

    def cell(self, row: TableRow, column: Optional[int]) -> str:
        return row.cells[column].strip() if column is not None and column < len(row.cells) else ""

    @property
    def has_agencies(self) -> bool:
        return any(c is not None for c in (self.lead, self.partner, self.performer))


def _find(header: list[list[str]], keys: tuple[str, ...], taken: set[int]) -> Optional[int]:
    """The first column whose (folded) header cell names one of ``keys``."""
    for row in header:
        for i, low in enumerate(row):
            if i not in taken and any(k in low for k in keys) and not any(n in low for n in NOT_AGENCY):
                return i
    return None


def layout(table: Table) -> Optional[TableLayout]:
    """The column roles of ``table``, or None when it has no numbered rows under a header."""
    start = next((i for i, r in enumerate(table.rows) if r and ROW_NUMBER.match(r[0].strip())), None)
    if start is None or start == 0:
        return None
    header = table.rows[:start]
    rows = [TableRow(int(ROW_NUMBER.match(r[0].strip()).group(1)), r) for r in table.rows[start:]
            if r and ROW_NUMBER.match(r[0].strip())]
    found = TableLayout(table, header, rows)
    folded_header = [[fold(cell) for cell in row] for row in header]  # folded once for the five column roles
    taken: set[int] = {0}
    for name, keys in (("lead", LEAD_KEYS), ("partner", PARTNER_KEYS), ("when", WHEN_KEYS),
                       ("task", TASK_KEYS), ("performer", PERFORMER_KEYS)):
        column = _find(folded_header, keys, taken)
        if column is not None:
            setattr(found, name, column)
            taken.add(column)
    if found.when is not None:
        found.when_header = " ".join(r[found.when] for r in header if found.when < len(r))
    if found.task is None:
        found.task = 1
    found.years = {i: int(c.strip()) for r in header for i, c in enumerate(r) if YEAR.fullmatch(c.strip())}
    return found


def appendix_label(doc: Document, table: Table) -> Optional[str]:
    """"PL" for the only appendix, "PLI"/"PL2" when appendices are numbered; None for a table in
    the body of the plan."""
    if table.section:
        return None
    return _appendix_label(table.caption, tuple(t.caption for t in doc.tables if not t.section))


@lru_cache(maxsize=1024)
def _appendix_label(caption: str, appendix_captions: tuple[str, ...]) -> str:
    """:func:`appendix_label` from the captions alone.  Cached: every row of every table asks it."""
    captions = [c for c in appendix_captions if fold(c).startswith("phu luc")]
    numeral = _appendix_numeral(caption)
    numbered = len({_appendix_numeral(c) for c in captions}) > 1
    return f"PL{numeral}" if numeral and numbered else "PL"


def _appendix_numeral(caption: str) -> Optional[str]:
    m = APPENDIX_NUMERAL.match(caption)
    if not m:
        return None
    raw = m.group(1)
    return raw.upper() if is_roman(raw.upper()) else str(int(raw)) if raw.isdigit() else None


def section_of(doc: Document, table: Table, row: TableRow) -> str:
    """Where a row's facts are cited: the enclosing section in the body, "PLI.3" in an appendix."""
    label = appendix_label(doc, table)
    return f"{label}.{row.no}" if label else table.section


def layouts(doc: Document) -> Iterator[TableLayout]:
    for table in doc.tables:
        found = layout(table)
        if found is not None:
            yield found
