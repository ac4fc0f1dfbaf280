"""Appendix projects: the rows of the "Phụ lục" table (lead, partners, years marked with X)."""
from __future__ import annotations

import re
from typing import Optional

from ..model import Document, Table
from ..text_utils import fold
from .records import AppendixProject

YEAR_CELL = re.compile(r"^(19|20)\d\d$")
PARTNER_BREAK = re.compile(r"\s*[,;]\s*|\s*\n\s*")
YEAR_SPAN = re.compile(r"\s*(?:năm\s+)?((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\s*", re.I)
YEARS = re.compile(r"\b((?:19|20)\d\d)\b")
BODY_START = re.compile(r"^\d+\.?$")  # a numbered row: the header ends above the first
ROW_NUMBER = re.compile(r"^(\d+)\.?$")
MARK = {"x", "✓", "√", "v", "•"}


def _column(header: list[list[str]], *keys: str) -> Optional[int]:
    for row in header:
        for i, cell in enumerate(row):
            if any(k in fold(cell) for k in keys):
                return i
    return None


def split_partners(cell: str) -> list[str]:
    """"Sở KH&ĐT, Sở TC, UBND các huyện, thành phố" → three names: a piece that starts in lower
    case ("thành phố") continues the previous name."""
    names: list[str] = []
    for piece in PARTNER_BREAK.split(cell):
        piece = piece.strip(" .")
        if not piece:
            continue
        if names and piece[:1].islower() and not piece.startswith("các "):
            names[-1] = f"{names[-1]}, {piece}"
        else:
            names.append(piece)
    return names


def span_years(cell: str) -> list[int]:
    """"2021 - 2023" → [2021, 2022, 2023]; "2022" → [2022]; "2021, 2023" → [2021, 2023]."""
    m = YEAR_SPAN.fullmatch(cell)
    if m and int(m.group(1)) <= int(m.group(2)):
        return list(range(int(m.group(1)), int(m.group(2)) + 1))
    return sorted({int(y) for y in YEARS.findall(cell)})


def project_rows(table: Table) -> list[AppendixProject]:
    header_end = next((i for i, r in enumerate(table.rows) if BODY_START.match(r[0].strip())), None)
    if header_end is None:
        return []
    header = table.rows[:header_end]
    lead_col = _column(header, "chu tri")
    if lead_col is None:
        return []
    partner_col = _column(header, "phoi hop")
    name_col = _column(header, "ten ", "noi dung", "nhiem vu", "du an") or 1
    years = {i: int(c) for row in header for i, c in enumerate(row) if YEAR_CELL.match(c.strip())}
    span_col = _column(header, "thoi gian", "giai doan", "tien do")
    projects = []
    for row in table.rows[header_end:]:
        m = ROW_NUMBER.match(row[0].strip())
        if not m or len(row) <= lead_col:
            continue
        projects.append(AppendixProject(
            no=int(m.group(1)),
            name=row[name_col].strip().rstrip("."),
            lead=row[lead_col].strip() or None,
            partners=split_partners(row[partner_col]) if partner_col is not None and partner_col < len(row) else [],
            years=sorted(y for i, y in years.items() if i < len(row) and fold(row[i]).strip() in MARK)
            or span_years(row[span_col] if span_col is not None and span_col < len(row) else ""),
        ))
    return projects


def extract_projects(doc: Document) -> list[AppendixProject]:
    from .tables import appendix_label

    found: list[AppendixProject] = []
    for table in doc.tables:
        label = appendix_label(doc, table) or "PL"
        for project in project_rows(table):
            project.section = f"{label}.{project.no}"
            found.append(project)
    return found
