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

from document_parsing import ParseError, parse
from document_parsing.readers.docx import BodyReader
from document_parsing.readers.docx_package import open_parts, open_with_python_docx

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
