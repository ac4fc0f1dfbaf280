"""Progress reports as files the Sở/Phòng can file and forward: CSV, Excel and Word.

All three are built from :func:`reporting.progress.plan_progress`, so a file says exactly what
the chat says.  Targets are grouped by their section ("III.2.a Mục tiêu đến năm 2020"): that is
how the plan itself lists them and how a reader checks a figure against the plan.  Numbers are
stored as numbers (a spreadsheet can sum them); names of files are plain ASCII so they survive
e-mail and zip tools: ``bao-cao-cantho-148-2017-nam-2024.xlsx``.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from document_parsing.text_utils import fold
from knowledge import models
from knowledge.db import session_scope
from knowledge.queries import format_value

from .errors import ReportingError
from .progress import plan_progress
from .results import Progress
from .targets import one_plan, plan_name
from .values import local_time

FORMATS = ("csv", "xlsx", "docx")

HEADERS = ["Mục", "Chỉ tiêu", "Mục tiêu", "Đơn vị tính", "Dòng", "Đơn vị", "Địa bàn", "Kết quả", "Lần báo cáo",
           "Người báo cáo", "Thời điểm (giờ VN)", "Đạt", "Đơn vị chưa báo cáo", "Đã báo cáo"]


@dataclass
class _Group:
    """Targets of one section of the plan."""

    section: str
    heading: str
    items: list[Progress]

    def title(self) -> str:
        return f"{self.section} {self.heading}".strip()


def slug(text: str) -> str:
    """ASCII file-name part: "năm học 2024-2025" → "nam-hoc-2024-2025"."""
    return re.sub(r"[^0-9a-z]+", "-", fold(text)).strip("-") or "x"


def file_name(plan: str, period_label: str, fmt: str, token: Optional[str] = None) -> str:
    """``bao-cao-<plan>-<period>[-<token>].<fmt>``; the chat adds an unguessable token
    (``secrets.token_urlsafe``) so a served file cannot be found by guessing its name."""
    tail = f"-{token}" if token else ""
    return f"bao-cao-{slug(plan)}-{slug(period_label)}{tail}.{fmt}"


# A cell starting with one of these is a formula (or starts one) in Excel, LibreOffice and
# Google Sheets: "=HYPERLINK(…)" in a reporter's name or comment would run when the file opens
# (OWASP "CSV injection").  Such text is written with a leading apostrophe, which every
# spreadsheet shows as plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` as a spreadsheet may safely hold it: text that could start a formula gets a
    leading apostrophe; numbers and other text are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _verdict(on_track: Optional[bool]) -> str:
    return "" if on_track is None else ("đạt" if on_track else "chưa đạt")


def _coverage(p: Progress) -> str:
    """"3/5 trường": how many of the units the figure is over have reported."""
    return f"{p.reported}/{p.covered} {p.noun}"


def _groups(s: Session, doc: models.Document, items: list[Progress]) -> list[_Group]:
    """Targets grouped by section in the plan's order, each with its heading."""
    headings = {}
    for path, heading in s.execute(select(models.Section.path, models.Section.heading)
                                   .where(models.Section.document_id == doc.id).order_by(models.Section.position)):
        headings.setdefault(path, heading)  # a path printed twice ("III" twice): the first is the targets' part
    groups: dict[str, _Group] = {}
    for item in items:
        section = item.target.section
        if section not in groups:
            groups[section] = _Group(section, (headings.get(section) or "").rstrip(":").strip(), [])
        groups[section].items.append(item)
    return list(groups.values())


def _target_label(p: Progress) -> str:
    return p.target.subject or p.target.text


def _rows(p: Progress) -> list[list]:
    """The table rows of one target: one per unit that reported, then the aggregate row (the
    figure over all covered units, its verdict under :mod:`reporting.rule`, and the coverage)."""
    t = p.target
    base = [t.section, _target_label(p), t.value, t.unit or ""]
    rows = [base + ["đơn vị", u.unit, u.area, u.value, u.revision, u.author, local_time(u.reported_at),
                    _verdict(u.on_track), "", ""] for u in p.units]
    rows.append(base + [f"tổng hợp ({p.method})", "", p.area or "", p.aggregate, "", "", "",
                        p.verdict, "; ".join(p.missing_units), _coverage(p)])
    return rows


def _write_csv(path: Path, title: str, period: str, groups: list[_Group]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for group in groups:
        for p in group.items:
            for row in _rows(p):
                writer.writerow(["" if v is None else (f"{v:g}" if isinstance(v, float) else neutralise(v))
                                 for v in row])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def _sheet_title(group: _Group, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", group.title())[:31].strip() or "Chỉ tiêu"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _write_xlsx(path: Path, title: str, period: str, groups: list[_Group]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    widths = [9, 60, 10, 8, 18, 38, 22, 10, 8, 22, 18, 14, 50, 12]
    for group in groups:
        sheet = book.create_sheet(_sheet_title(group, used))
        sheet.append([neutralise(f"{title} — {period}")])
        sheet.append([neutralise(group.title())])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet["A2"].font = Font(italic=True)
        sheet.append(HEADERS)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for p in group.items:
            for row in _rows(p):
                sheet.append([neutralise(v) for v in row])
                for cell in sheet[sheet.max_row]:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # openpyxl makes any "=…" a formula: text stays text
                if row[4].startswith("tổng hợp"):
                    for cell in sheet[sheet.max_row]:
                        cell.font = Font(bold=True)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        for row in sheet.iter_rows(min_row=4):
            row[1].alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(row[7].value, float):
                row[7].number_format = "0.0"
        sheet.freeze_panes = "A4"
    if not groups:
        book.create_sheet("Chỉ tiêu").append(["Kế hoạch không có chỉ tiêu nào."])
    book.save(path)


def _chart(items: list[Progress], path: Path) -> Path:
    """Horizontal bars: each target's result (aggregate) beside its figure, "%" targets only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = [p for p in items if p.target.unit == "%"]
    labels = [f"{p.target.section} #{i}" for i, p in enumerate(rates, start=1)]
    height = max(2.5, 0.35 * len(rates) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height), dpi=110)
    y = range(len(rates))
    ax.barh([i + 0.2 for i in y], [p.target.value for p in rates], height=0.4, color="#bbbbbb", label="Chỉ tiêu")
    colours = {True: "#2e7d32", False: "#c62828", None: "#f9a825"}
    ax.barh([i - 0.2 for i in y], [p.aggregate or 0 for p in rates], height=0.4,
            color=[colours[p.on_track] for p in rates], label="Kết quả")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("Kết quả so với chỉ tiêu (xanh: đạt, đỏ: chưa đạt, vàng: chưa đủ báo cáo)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _write_docx(path: Path, title: str, period: str, groups: list[_Group], citation: str) -> None:
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_paragraph(f"Kỳ báo cáo: {period}")
    doc.add_paragraph(f"Nguồn chỉ tiêu: {citation}")
    items = [p for g in groups for p in g.items]
    for rule in dict.fromkeys(p.rule for p in items):  # the rule of rates, of counts: each once
        doc.add_paragraph(rule)
    number = 0
    for group in groups:
        doc.add_heading(group.title(), level=2)
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ["Chỉ tiêu", "Mục tiêu", "Kết quả", "Đạt/chưa đạt",
                                                    "Đơn vị chưa báo cáo"]):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for p in group.items:
            number += 1
            result = (f"chưa có báo cáo ({_coverage(p)})" if p.aggregate is None else
                      f"{format_value(round(p.aggregate, 1), p.target.unit)} ({p.method} trên {p.covered} {p.noun}; "
                      f"{p.reported}/{p.covered} đã báo cáo)")
            cells = table.add_row().cells
            cells[0].text = f"#{number}. {_target_label(p)}"
            cells[1].text = p.target.figure()
            cells[2].text = result
            cells[3].text = p.verdict
            cells[4].text = ", ".join(p.missing_units) or "—"
    if any(p.target.unit == "%" for p in items):
        doc.add_heading("Biểu đồ kết quả so với chỉ tiêu", level=2)
        chart = _chart(items, path.with_suffix(".png"))
        doc.add_picture(str(chart), width=Cm(16))
        chart.unlink()
    doc.save(path)


def export_report(plan: str, period_label: str, fmt: str, out_dir: Union[str, Path], area: Optional[str] = None,
                  *, session: Optional[Session] = None, token: Optional[str] = None) -> Path:
    """Write the progress of every target of ``plan`` for a period to ``out_dir`` as csv, xlsx
    or docx; returns the file's path.  Raises :class:`ReportingError` for an unknown plan,
    period or format."""
    fmt = (fmt or "").lower().lstrip(".")
    if fmt not in FORMATS:
        raise ReportingError(f"Định dạng “{fmt}” không hỗ trợ: chọn csv, xlsx hoặc docx.")
    with session_scope(session) as s:
        doc = one_plan(s, plan)
        items = plan_progress(doc.plan, period_label, area, units=True, session=s)
        groups = _groups(s, doc, items)
        name = plan_name(doc)
        citation = f"({name})"
    period = items[0].period if items else period_label
    title = f"Báo cáo kết quả thực hiện {name}"  # "Kế hoạch số 148/KH-UBND của …" / "Kế hoạch của …"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if token is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,}", token):
        raise ValueError("export token must be URL-safe and at least 16 characters")
    path = out / file_name(doc.plan, period, fmt, token)
    if fmt == "csv":
        _write_csv(path, title, period, groups)
    elif fmt == "xlsx":
        _write_xlsx(path, title, period, groups)
    else:
        _write_docx(path, title, period, groups, citation)
    return path


__all__ = ["export_report", "file_name", "slug", "neutralise", "FORMATS", "HEADERS"]
