"""OCR of scanned PDFs: real Tesseract on the real office scans of two plans.

A scan must read like the text-layer PDF of the same plan: the same section tree, paragraph
texts within a small character error rate, the targets table found from its drawn rules.  Only
pages without a text layer are OCR'd, and the progress callback reports each of them.  When
Tesseract or its Vietnamese data is missing the failure names the Debian packages (this test
module then fails too, on purpose: no skip).
"""
from __future__ import annotations

import re
from pathlib import Path

import pypdfium2
import pytesseract
import pytest
from rapidfuzz.distance import Levenshtein

from document_parsing import Document, ParseError, parse
from document_parsing.readers.pdf import read_pdf

PLANS = Path(__file__).parent / "data" / "plans"
SCANS = PLANS / "scanned"

# Measured on these scans (150 dpi, tilted up to 0.8°, speckled), paragraph texts with their
# section paths against the text PDF's: 0.17 % (cantho) and 0.11 % (qd-hoamy) of the characters
# differ, mostly hook/acute confusions ("chi" → "chỉ") and the signature block.  Tesseract is
# deterministic for one build, so the bound only needs room for another Tesseract 5.x/pdfium
# build: 1 % (six times the worst measured) still fails when a cleaning or layout step breaks
# (a lost paragraph break or a misread label moves more than that).
MAX_CER = 0.01


def paragraphs(doc: Document) -> str:
    """Every paragraph and section heading in reading order, one per line, with its path."""
    lines = [i.text for i in doc.preamble]
    for section in doc.walk():
        lines.append(f"[{section.path}] {section.heading}")
        lines.extend(i.text for i in section.items)
    lines.extend(i.text for i in doc.closing)
    return "\n".join(lines)


def cer(reference: str, ocr: str) -> float:
    return Levenshtein.distance(reference, ocr) / max(len(reference), 1)


class Scan:
    def __init__(self, plan: str):
        self.calls: list[tuple[int, int]] = []
        self.doc = parse(SCANS / f"{plan}.scan.pdf", progress=lambda done, total: self.calls.append((done, total)))
        self.text = parse(PLANS / f"{plan}.pdf")


@pytest.fixture(scope="session")
def cantho() -> Scan:
    return Scan("cantho-148-2017")


@pytest.fixture(scope="session")
def hoamy() -> Scan:
    return Scan("qd-hoamy-2023")


@pytest.mark.parametrize("plan", ["cantho", "hoamy"])
def test_scan_has_the_section_tree_of_the_text_pdf(plan: str, request) -> None:
    scan = request.getfixturevalue(plan)
    assert [s.path for s in scan.doc.walk()] == [s.path for s in scan.text.walk()]
    assert scan.doc.pages == scan.text.pages


@pytest.mark.parametrize("plan", ["cantho", "hoamy"])
def test_scan_paragraphs_match_the_text_pdf(plan: str, request) -> None:
    scan = request.getfixturevalue(plan)
    rate = cer(paragraphs(scan.text), paragraphs(scan.doc))
    assert rate < MAX_CER, f"character error rate {rate:.4f}"
    # the paragraphs are cut where the text PDF cuts them (same line/paragraph code)
    assert abs(len(paragraphs(scan.doc).splitlines()) - len(paragraphs(scan.text).splitlines())) <= 2


def test_table_on_a_scan_is_read_from_its_drawn_rules(hoamy: Scan) -> None:
    [expected] = hoamy.text.tables
    [table] = hoamy.doc.tables
    assert table.section == expected.section
    assert len(table.rows) == len(expected.rows) and len(table.rows[0]) == len(expected.rows[0])
    cells = "\n".join("|".join(row) for row in table.rows)
    assert cer("\n".join("|".join(row) for row in expected.rows), cells) < 0.05
    digits = lambda cell: re.sub(r"\D", "", cell)  # noqa: E731 - "2." for "2" is a reading, not a layout error
    assert [digits(row[0]) for row in table.rows[1:]] == [digits(row[0]) for row in expected.rows[1:]]  # 1 … 10
    assert sum(row[-1].startswith("≥") for row in table.rows) == sum(row[-1].startswith("≥") for row in expected.rows)


def test_progress_is_reported_once_per_ocr_page(cantho: Scan) -> None:
    pages = cantho.text.pages
    assert cantho.calls == [(done, pages) for done in range(0, pages + 1)]  # 0 announces the pages to come


def test_text_pdf_calls_no_progress_and_needs_no_ocr(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    doc = parse(PLANS / "cantho-148-2017.pdf", progress=lambda *a: calls.append(a))
    assert doc.sections and calls == []


def two_pages(path: Path, second_from_scan: bool) -> Path:
    """Cantho's page 1 with its text layer, then page 2 from the scan (an image) or from the
    text PDF (the reference)."""
    out = pypdfium2.PdfDocument.new()
    text, scan = pypdfium2.PdfDocument(str(PLANS / "cantho-148-2017.pdf")), pypdfium2.PdfDocument(str(SCANS / "cantho-148-2017.scan.pdf"))
    out.import_pages(text, [0])
    out.import_pages(scan if second_from_scan else text, [1])
    out.save(str(path))
    for pdf in (out, text, scan):
        pdf.close()
    return path


def test_only_pages_without_text_are_ocrd(tmp_path: Path) -> None:
    calls = []
    blocks, pages = read_pdf(two_pages(tmp_path / "mixed.pdf", True), progress=lambda *a: calls.append(a))
    assert pages == 2
    assert calls == [(0, 1), (1, 1)]  # one page OCR'd, the image one
    reference, _ = read_pdf(two_pages(tmp_path / "text.pdf", False))
    # page 1 comes from its text layer, word for word (its last paragraph runs on into page 2)
    first = [b.text for b in blocks if b.location.page == 1]
    assert first[:-1] == [b.text for b in reference if b.location.page == 1][:-1]
    rate = cer("\n".join(b.text for b in reference), "\n".join(b.text for b in blocks))
    assert rate < MAX_CER, f"character error rate {rate:.4f}"


def test_missing_tesseract_names_the_debian_packages(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "tesseract"))
    with pytest.raises(ParseError) as caught:
        parse(SCANS / "cantho-148-2017.scan.pdf")
    message = str(caught.value)
    assert "tesseract-ocr" in message and "tesseract-ocr-vie" in message and "chưa cài" in message


def test_missing_vietnamese_data_names_its_debian_package(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "tessdata").mkdir()
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "tessdata"))  # a tessdata folder without vie
    with pytest.raises(ParseError) as caught:
        parse(SCANS / "cantho-148-2017.scan.pdf")
    message = str(caught.value)
    assert "tesseract-ocr-vie" in message and "tiếng Việt" in message
