"""The DOCX reader opens only the parts it reads (document, styles, numbering) for a package laid
out the ordinary way, and anything else through ``docx.Document()``: the two ways must give the
same blocks on every sample, and an odd or broken package must fare exactly as it did through
python-docx alone (read, or refused with the same Vietnamese message)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Callable, Optional

import pytest
from lxml import etree

from document_parsing import ParseError, parse
from document_parsing.readers.docx import BodyReader
from document_parsing.readers.docx_package import open_parts, open_with_python_docx, without_table_styles

PLANS_DIR = Path(__file__).parent / "data" / "plans"
DOCX_FILES = sorted(PLANS_DIR.rglob("*.docx"))
SAMPLE = PLANS_DIR / "ngocson-96-2021.docx"
AUTONUM = PLANS_DIR / "cantho-148-2017.autonum.docx"
RELS = "word/_rels/document.xml.rels"
STYLES_REL = re.compile(rb'<Relationship [^>]*relationships/styles"[^>]*/>')
NUMBERING_REL = re.compile(rb'<Relationship [^>]*relationships/numbering"[^>]*/>')


def _rewrite(source: Path, target: Path, drop: tuple[str, ...] = (),
             change: Optional[dict[str, Callable[[bytes], bytes]]] = None) -> Path:
    """A copy of a .docx with members left out or edited."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename not in drop:
                data = zin.read(item.filename)
                zout.writestr(item, (change or {}).get(item.filename, lambda b: b)(data))
    return target


def _blocks(parts) -> list:
    return BodyReader(parts).read()


def test_samples_cover_autonumbering_tables_and_legacy_fonts() -> None:
    names = [p.name for p in DOCX_FILES]
    assert len(names) >= 14
    assert any("autonum" in n for n in names) and any("tcvn3" in n for n in names)


@pytest.mark.parametrize("path", DOCX_FILES, ids=lambda p: p.name)
def test_same_blocks_as_through_python_docx(path: Path) -> None:
    ours = _blocks(open_parts(path))
    assert ours, path.name
    assert ours == _blocks(open_with_python_docx(path))


def test_package_without_numbering(tmp_path: Path) -> None:
    """No numbering part: still the ordinary way, and the paragraphs Word numbered lose their
    labels exactly as through python-docx."""
    path = _rewrite(AUTONUM, tmp_path / "plain.docx", drop=("word/numbering.xml",),
                    change={RELS: lambda b: NUMBERING_REL.sub(b"", b)})
    blocks = _blocks(open_parts(path))
    assert blocks == _blocks(open_with_python_docx(path))
    assert all(b.label is None for b in blocks)
    assert any(b.label for b in _blocks(open_parts(AUTONUM)))


def test_package_without_styles_reads_with_python_docx_defaults(tmp_path: Path) -> None:
    path = _rewrite(SAMPLE, tmp_path / "nostyles.docx", drop=("word/styles.xml",),
                    change={RELS: lambda b: STYLES_REL.sub(b"", b)})
    assert _blocks(open_parts(path)) == _blocks(open_with_python_docx(path))
    assert [s.path for s in parse(path).walk()] == [s.path for s in parse(SAMPLE).walk()]


def _same_error_as_python_docx(path: Path) -> str:
    with pytest.raises(Exception) as direct:
        open_with_python_docx(path)
    with pytest.raises(ParseError) as caught:
        parse(path)
    message = str(caught.value)
    assert message.startswith("tệp hỏng hoặc không đọc được (")
    assert f"{type(direct.value).__name__}: {direct.value}" in message
    return message


@pytest.mark.parametrize("case", ["not a zip", "cut short", "no document part", "macro-enabled",
                                  "two styles parts", "external styles", "bad document XML"])
def test_broken_or_foreign_package_refused_as_before(tmp_path: Path, case: str) -> None:
    target = tmp_path / "broken.docx"
    if case == "not a zip":
        target.write_bytes(b"PK but not really a zip file " * 50)
    elif case == "cut short":
        target.write_bytes(SAMPLE.read_bytes()[:20000])
    elif case == "no document part":
        _rewrite(SAMPLE, target, drop=("word/document.xml",))
    elif case == "macro-enabled":
        _rewrite(SAMPLE, target, change={"[Content_Types].xml": lambda b: b.replace(
            b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            b"application/vnd.ms-word.document.macroEnabled.main+xml")})
    elif case == "two styles parts":
        _rewrite(SAMPLE, target, change={RELS: lambda b: b.replace(b"</Relationships>", STYLES_REL.search(b).group()
                                                                   .replace(b'Id="', b'Id="x') + b"</Relationships>")})
    elif case == "external styles":
        _rewrite(SAMPLE, target, change={RELS: lambda b: STYLES_REL.sub(
            lambda m: m.group().replace(b'Target="styles.xml"', b'Target="http://example.org/s.xml" TargetMode="External"'), b)})
    else:
        _rewrite(SAMPLE, target, change={"word/document.xml": lambda b: b[:-40]})
    _same_error_as_python_docx(target)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _styles(xml: bytes) -> list[bytes]:
    return [etree.tostring(s) for s in etree.fromstring(xml).iterchildren(f"{W}style")]


@pytest.mark.parametrize("path", [SAMPLE, AUTONUM], ids=lambda p: p.name)
def test_table_styles_are_cut_before_parsing_and_nothing_else(path: Path) -> None:
    """The template's hundred table styles go; every other style, the defaults and the latent
    styles stay exactly as written."""
    with zipfile.ZipFile(path) as package:
        xml = package.read("word/styles.xml")
    cut = without_table_styles(xml)
    assert len(cut) < len(xml) / 5
    whole = etree.fromstring(xml)
    kept = etree.fromstring(cut)
    assert [s.get(f"{W}type") for s in kept.iterchildren(f"{W}style")].count("table") == 0
    assert _styles(cut) == [etree.tostring(s) for s in whole.iterchildren(f"{W}style")
                            if s.get(f"{W}type") != "table"]
    assert [etree.tostring(c) for c in kept if c.tag != f"{W}style"] == \
           [etree.tostring(c) for c in whole if c.tag != f"{W}style"]


STYLE_XML = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             b'<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
             b'<w:style w:type="paragraph" w:styleId="A"><w:name w:val="a"/></w:style>'
             b'%s'
             b'<w:style w:type="character" w:styleId="B"><w:name w:val="b"/></w:style></w:styles>')


@pytest.mark.parametrize("table, kept", [
    (b'<w:style w:type="table" w:styleId="T"><w:name w:val="t"/></w:style>', False),
    (b'<w:style w:styleId="T" w:type="table"/>', False),
    (b'<w:style\n w:type="table" w:styleId="T"><w:tblPr/></w:style>', False),
    (b"<w:style w:type='table' w:styleId='T'><w:tblPr/></w:style>", True),  # written otherwise: kept
    (b'<!-- <w:style w:type="table"> --><w:style w:type="table" w:styleId="T"/>', True),  # a comment: all kept
])
def test_table_style_cut_on_hand_made_parts(table: bytes, kept: bool) -> None:
    xml = STYLE_XML % table
    cut = without_table_styles(xml)
    assert (cut == xml) is kept
    ids = [s.get(f"{W}styleId") for s in etree.fromstring(cut).iterchildren(f"{W}style")]
    assert ids == (["A", "T", "B"] if kept else ["A", "B"])
