"""Progress exports read back: the CSV rows, the workbook's cells (numbers as numbers), the Word
tables and chart — on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import PLAN_NAMES, PLANS, PROJECT_ROOT, create_pg_database, drop_pg_database
from knowledge import models
import reporting as rp
from knowledge.db import make_session_factory
from knowledge.ingest import ingest_paths
from reporting.exports import export_report, file_name


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def reported(request, tmp_path_factory):
    """Sample plans, units, and three Cần Thơ schools reporting 60/70/80 on the online-meetings
    target (70%) for "năm 2024"; yields a session factory."""
    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite3'}", None
    else:
        url = cleanup = create_pg_database(request.getfixturevalue("postgres_server"))
    factory = make_session_factory(url)
    assert all(r.ok for r in ingest_paths([PLANS / f"{n}.txt" for n in PLAN_NAMES], factory, show_progress=False))
    with factory() as s:
        rp.import_units(PROJECT_ROOT / "samples" / "units.csv", session=s)
        target = s.execute(select(models.Target.id).join(models.Document).where(
            models.Document.plan == "cantho-148-2017", models.Target.text.like("Có 70% các cuộc họp%"))).scalar_one()
        for i, (school, value) in enumerate({"Châu Văn Liêm": 60, "Đoàn Thị Điểm": 70, "Trần Quốc Toản": 80}.items()):
            reporter = rp.register_reporter("rest", f"x{i}", f"Giáo viên {i}", school, "0912345678", session=s)
            rp.approve_reporter(reporter.id, session=s)
            rp.save_report(reporter.id, target, "năm 2024", value, None, f"x-{i}", session=s)
    yield factory
    factory.kw["bind"].dispose()
    if cleanup:
        drop_pg_database(cleanup)


def test_file_names_are_ascii() -> None:
    assert file_name("cantho-148-2017", "năm 2024", "xlsx") == "bao-cao-cantho-148-2017-nam-2024.xlsx"
    assert file_name("muongte-2022", "năm học 2024-2025", "csv") == "bao-cao-muongte-2022-nam-hoc-2024-2025.csv"
    assert file_name("x", "quý 2/2024", "docx") == "bao-cao-x-quy-2-2024.docx"


def test_csv(reported, tmp_path: Path) -> None:
    with reported() as s:
        path = export_report("cantho", "2024", "csv", tmp_path, session=s)
    assert path.name == "bao-cao-cantho-148-2017-nam-2024.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    meetings = [r for r in rows if r["Chỉ tiêu"].startswith("cuộc họp, lớp tập huấn")]
    units = {r["Đơn vị"]: (r["Kết quả"], r["Đạt"]) for r in meetings if r["Dòng"] == "đơn vị"}
    assert units == {"Trường THPT Châu Văn Liêm": ("60", "chưa đạt"), "Trường THCS Đoàn Thị Điểm": ("70", "đạt"),
                     "Trường Tiểu học Trần Quốc Toản": ("80", "đạt")}
    (total,) = [r for r in meetings if r["Dòng"].startswith("tổng hợp")]
    # over the five Cần Thơ schools (210 / 5); 3/5 reported is under 80%: no verdict yet
    assert (total["Kết quả"], total["Đạt"], total["Mục tiêu"]) == ("42", "chưa đủ báo cáo", "70")
    assert total["Đơn vị chưa báo cáo"] == "Trường Mầm non Hoa Sen; Trường THCS Lê Quý Đôn"
    assert total["Đã báo cáo"] == "3/5 trường"
    assert sum(r["Dòng"].startswith("tổng hợp") for r in rows) == 25  # one aggregate row per target


def test_xlsx(reported, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    with reported() as s:
        path = export_report("cantho-148-2017", "năm 2024", "xlsx", tmp_path, session=s)
    book = load_workbook(path)
    assert [name.split()[0] for name in book.sheetnames] == ["III.2.a", "III.2.b", "III.5.a"]
    sheet = book[book.sheetnames[0]]
    assert sheet["A3"].value == "Mục" and sheet["A3"].font.bold
    assert sheet.column_dimensions["B"].width >= 40
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    meetings = [r for r in rows if str(r[1]).startswith("cuộc họp, lớp tập huấn")]
    values = sorted(r[7] for r in meetings if r[4] == "đơn vị")
    assert values == [60, 70, 80] and all(isinstance(v, (int, float)) for v in values)  # numbers, not text
    (total,) = [r for r in meetings if str(r[4]).startswith("tổng hợp")]
    assert isinstance(total[7], (int, float)) and total[7] == pytest.approx(42.0) and total[2] == 70
    assert (total[11], total[13]) == ("chưa đủ báo cáo", "3/5 trường")


def test_docx(reported, tmp_path: Path) -> None:
    from docx import Document

    with reported() as s:
        path = export_report("cantho-148-2017", "năm 2024", "docx", tmp_path, session=s)
        numberless = export_report("Mường Tè", "năm 2024", "docx", tmp_path, session=s)
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Báo cáo kết quả thực hiện Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ"
    assert "Kỳ báo cáo: năm 2024" in texts
    assert len(doc.tables) == 3
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header == ["Chỉ tiêu", "Mục tiêu", "Kết quả", "Đạt/chưa đạt", "Đơn vị chưa báo cáo"]
    (row,) = [r for r in doc.tables[0].rows if "cuộc họp, lớp tập huấn" in r.cells[0].text]
    assert [c.text for c in row.cells[1:4]] == ["70%", "42% (trung bình trên 5 trường; 3/5 đã báo cáo)",
                                                "chưa đủ báo cáo"]
    assert any(t.startswith("Cách đánh giá: cần ít nhất 80% trường báo cáo") for t in texts)
    assert row.cells[4].text == "Trường Mầm non Hoa Sen, Trường THCS Lê Quý Đôn"
    assert len(doc.inline_shapes) == 1  # the bar chart
    assert not list(tmp_path.glob("*.png"))  # the chart file is not left behind
    assert Document(str(numberless)).paragraphs[0].text.startswith(
        "Báo cáo kết quả thực hiện Kế hoạch (không ghi số) của Ủy ban nhân dân huyện Mường Tè")


def test_bad_format_and_plan(reported, tmp_path: Path) -> None:
    with reported() as s:
        with pytest.raises(rp.ReportingError, match="Định dạng “pdf” không hỗ trợ"):
            export_report("cantho", "2024", "pdf", tmp_path, session=s)
        with pytest.raises(rp.ReportingError, match="Không tìm thấy kế hoạch “Hà Nội”"):
            export_report("Hà Nội", "2024", "csv", tmp_path, session=s)
