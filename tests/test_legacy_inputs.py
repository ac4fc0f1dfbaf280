"""Inputs real offices still have: TCVN3 / VNI text (in DOCX runs and in text files), UTF-16
text files, and .doc / .odt files converted by LibreOffice.

Each file in ``tests/data/plans/legacy/`` is a plan whose Unicode rendering is in
``tests/data/plans/``
(the suites that ingest every ``plans/*.txt`` count the scored plans); reading either must give
the same document.  TCVN3 has no curly quotes
(the legacy renderings carry straight ones), so quotes are compared straightened.

The .doc / .odt tests need LibreOffice (Debian package ``libreoffice-writer-nogui`` or
``libreoffice-writer``); without it they fail with that message rather than skip.  The TCVN3
table is checked against glibc's ``iconv`` (Debian ``libc-bin``, always installed).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
import unicodedata
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from document_parsing import ParseError, parse
from document_parsing.readers import office
from document_parsing.readers.docx import BodyReader, read_docx
from document_parsing.readers.docx_package import open_parts
from document_parsing.readers.legacy_encoding import (
    TCVN3, VNI, decode, decode_bytes, detect, font_encoding, restore_capitals, surface,
)
from document_parsing.readers.pdf import read_pdf
from document_parsing.readers.tcvn3_table import TCVN3_BYTES
from document_parsing.text_utils import clean_space

DATA = Path(__file__).parent / "data" / "plans"
LEGACY = sorted(p for p in (DATA / "legacy").iterdir() if p.is_file())
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})

SENTENCE = "Cộng hòa xã hội chủ nghĩa Việt Nam - Độc lập, Tự do, Hạnh phúc: ỦY BAN QUẢN LÝ tỉnh Đắk Lắk, ỨNG DỤNG"


def norm(text: str) -> str:
    return clean_space(text).translate(QUOTES)


def unicode_rendering(path: Path) -> Path:
    """The Unicode file of the same plan: text for text, Word for the word-processor formats."""
    name = f"{path.name.split('.')[0]}{'.txt' if path.suffix == '.txt' else '.docx'}"
    return DATA / name


def test_legacy_material_present() -> None:
    assert {p.suffix for p in LEGACY} == {".doc", ".odt", ".docx", ".txt"}
    assert all(unicode_rendering(p).is_file() for p in LEGACY)


@pytest.mark.parametrize("path", LEGACY, ids=[p.name for p in LEGACY])
def test_legacy_file_reads_as_its_unicode_rendering(path: Path) -> None:
    ours, reference = parse(path), parse(unicode_rendering(path))
    assert [(s.path, norm(s.text())) for s in ours.walk()] == [(s.path, norm(s.text())) for s in reference.walk()]
    assert [norm(i.text) for i in ours.preamble] == [norm(i.text) for i in reference.preamble]
    body = lambda d: [norm(t) for s in d.walk() for t in (s.heading, *(i.text for i in s.items))]  # noqa: E731
    assert body(ours) == body(reference)
    cells = lambda d: [[[norm(c) for c in r] for r in t.rows] for t in d.tables]  # noqa: E731
    assert cells(ours) == cells(reference)
    # The signature block: LibreOffice's import of a .doc may fold its two-column table into
    # one paragraph, so only the words and their order are compared there.
    closing = lambda d: re.sub(r"\s+", "", norm(" ".join(i.text for i in d.closing)))  # noqa: E731
    assert closing(ours) == closing(reference)
    # Nothing left over from the old encoding.
    assert detect(ours.full_text()) is None
    assert "¹" not in ours.full_text() and "µ" not in ours.full_text()


# --------------------------------------------------------------------------- the TCVN3 table

def test_tcvn3_table_is_glibc_iconv() -> None:
    iconv = shutil.which("iconv")
    assert iconv, "iconv missing: install the Debian package libc-bin"
    for byte in range(256):
        out = subprocess.run([iconv, "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes([byte]),
                             capture_output=True, check=True).stdout.decode("utf-8")
        assert TCVN3_BYTES.get(byte, chr(byte)) == out, hex(byte)


def test_tcvn3_bytes_from_iconv_decode_back() -> None:
    data = subprocess.run(["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"], input=SENTENCE.encode(),
                          capture_output=True, check=True).stdout
    assert data != SENTENCE.encode()
    decoded = decode_bytes(data)
    assert (decoded.encoding, decoded.text) == (TCVN3, SENTENCE)
    # The same bytes as Word keeps them in a .VnTime run (Windows-1252 characters).
    assert decode(surface(data), TCVN3) == decoded.text


def test_tcvn3_capitals() -> None:
    assert decode("KÕ ho¹ch", TCVN3, capitals=True) == "KẾ HOẠCH"  # .VnTimeH draws small codes as capitals
    assert decode("KÕ ho¹ch", TCVN3) == "Kế hoạch"
    # Typed in capitals with the ordinary font: the capitals TCVN3 lacks come out small.
    assert restore_capitals("I. MụC ĐÍCH, YÊU CẦU") == "I. MỤC ĐÍCH, YÊU CẦU"
    assert restore_capitals("QUẢN Lý VÀ HỖ TRỢ") == "QUẢN LÝ VÀ HỖ TRỢ"
    for ordinary in ("Số: 4575/KH-UBND", "Lý Thường Kiệt", "Hà Lý", "- Sở GD&ĐT;", "trường Lý Tự Trọng"):
        assert restore_capitals(ordinary) == ordinary


# --------------------------------------------------------------------------- VNI

VNI_PAIRS = [  # VNI-Windows chart: base letter + mark byte; đ ơ ư ĩ ỉ ị ỵ one byte each
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
    ("TRÖÔØNG THPT LEÂ QUYÙ ÑOÂN", "TRƯỜNG THPT LÊ QUÝ ĐÔN"),
    ("naêm hoïc, thaúng, ñaày ñuû, ñöôïc, ngöôøi, kyõ thuaät, thò xaõ, chæ tieâu, khuyeán khích", "năm học, thẳng, đầy đủ, được, người, kỹ thuật, thị xã, chỉ tiêu, khuyến khích"),
    ("saün coù, Ñaø Naüng, aëc, ngöõ, söû duïng, thuûy, Myõ, ñaïi, tyû leä, ñòa baøn, chuyeån ñoåi soá",
     "sẵn có, Đà Nẵng, ặc, ngữ, sử dụng, thủy, Mỹ, đại, tỷ lệ, địa bàn, chuyển đổi số"),
    ("hoaøn thaønh tröôùc ngaøy 15/12/2024", "hoàn thành trước ngày 15/12/2024"),
]


@pytest.mark.parametrize("legacy, unicode", VNI_PAIRS)
def test_vni_decode(legacy: str, unicode: str) -> None:
    assert decode(legacy, VNI) == unicode
    assert detect(legacy * 2) == VNI


def test_vni_text_file() -> None:
    text = "\n".join(legacy for legacy, _ in VNI_PAIRS)
    decoded = decode_bytes(text.encode("cp1252"))
    assert decoded.encoding == VNI
    assert decoded.text == "\n".join(unicode for _, unicode in VNI_PAIRS)


def test_font_names() -> None:
    assert font_encoding(".VnTime") == font_encoding(".VnArial Narrow") and font_encoding(".VnTime").encoding == TCVN3
    assert font_encoding(".VnTimeH").capitals and font_encoding(".VnArialH").capitals
    assert not font_encoding(".VnTime").capitals
    assert font_encoding("VNI-Times").encoding == VNI
    assert font_encoding("Times New Roman") is None and font_encoding(None) is None


# --------------------------------------------------------------------------- text files

def test_utf16_without_bom_and_big_endian(tmp_path: Path) -> None:
    reference = (DATA / "daklak-4575-2018.txt").read_text(encoding="utf-8")
    for encoding in ("utf-16-le", "utf-16-be"):
        decoded = decode_bytes(reference.encode(encoding))  # no byte-order mark
        assert (decoded.encoding, decoded.text) == (encoding, reference)
    assert decode_bytes(reference.encode("utf-16")).text == reference  # with one
    path = tmp_path / "plan.txt"
    path.write_bytes(reference.encode("utf-16-le"))
    assert [s.path for s in parse(path).walk()] == [s.path for s in parse(DATA / "daklak-4575-2018.txt").walk()]


def test_tcvn3_converted_as_windows_1252_into_utf8() -> None:
    """A TCVN3 file someone "converted" to UTF-8 as if it were Windows-1252: valid UTF-8, mojibake."""
    raw = (DATA / "legacy" / "daklak-4575-2018.tcvn3.txt").read_bytes()
    decoded = decode_bytes(surface(raw).encode("utf-8"))
    assert decoded.encoding == TCVN3
    assert decoded.text == decode_bytes(raw).text


def test_unreadable_text_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)  # binary: NUL bytes, not UTF-16
    with pytest.raises(ParseError, match="bảng mã"):
        parse(path)


def test_no_unicode_plan_is_taken_for_legacy() -> None:
    """Every Unicode plan rendering, whatever its format, passes detection untouched."""
    files = sorted(p for p in DATA.iterdir() if p.is_file())
    assert len(files) >= 15
    for path in files:
        if path.suffix == ".txt":
            decoded = decode_bytes(path.read_bytes())
            assert decoded.encoding == "utf-8", path.name
            assert decoded.text == unicodedata.normalize("NFC", path.read_text(encoding="utf-8-sig"))
            text = decoded.text
        else:
            blocks, _ = (read_docx if path.suffix == ".docx" else read_pdf)(path)
            text = "\n".join([b.text for b in blocks] + [c for b in blocks for r in b.rows for c in r])
            if path.suffix == ".docx":
                assert not BodyReader(open_parts(path)).legacy_fonts, path.name
        assert detect(text) is None, path.name


# --------------------------------------------------------------------------- DOCX runs

def _docx_with_runs(path: Path, runs: list[tuple[str, str | None]], style_font: str | None = None) -> Path:
    document = docx.Document()
    w = nsdecls("w")
    if style_font:
        document.styles.element.append(parse_xml(
            f'<w:style {w} w:type="paragraph" w:styleId="Old"><w:name w:val="Old"/>'
            f'<w:rPr><w:rFonts w:ascii="{style_font}" w:hAnsi="{style_font}"/></w:rPr></w:style>'))
    paragraph = document.add_paragraph()
    if style_font:
        paragraph._p.get_or_add_pPr().append(parse_xml(f'<w:pStyle {w} w:val="Old"/>'))
    for text, font in runs:
        run = paragraph.add_run(text)
        if font:
            run.font.name = font
    document.save(path)
    return path


def test_docx_runs_decoded_by_their_font(tmp_path: Path) -> None:
    path = _docx_with_runs(tmp_path / "runs.docx", [
        ("KÕ ho¹ch ", ".VnTime"), ("kÕ ho¹ch ", ".VnTimeH"), ("Coäng hoøa ", "VNI-Times"),
        ("Kế hoạch ", ".VnTime"),  # typed in Unicode, the font left at .VnTime
        ("năm 2024", "Times New Roman"),
    ])
    blocks, _ = read_docx(path)
    assert [b.text for b in blocks] == ["Kế hoạch KẾ HOẠCH Cộng hòa Kế hoạch năm 2024"]


def test_docx_font_from_paragraph_style(tmp_path: Path) -> None:
    path = _docx_with_runs(tmp_path / "styled.docx", [("Sè: 4575/KH-UBND, ", None), ("ngµy 07", None)],
                           style_font=".VnTime")
    blocks, _ = read_docx(path)
    assert [b.text for b in blocks] == ["Số: 4575/KH-UBND, ngày 07"]


def test_docx_legacy_text_in_a_unicode_font(tmp_path: Path) -> None:
    """TCVN3 bytes whose font was later changed to Times New Roman: statistics decide."""
    path = _docx_with_runs(tmp_path / "changed.docx", [
        ("Tæ chøc triÓn khai thùc hiÖn c¸c nhiÖm vô øng dông c«ng nghÖ th«ng tin", "Times New Roman")])
    blocks, _ = read_docx(path)
    assert [b.text for b in blocks] == ["Tổ chức triển khai thực hiện các nhiệm vụ ứng dụng công nghệ thông tin"]


def test_docx_unicode_with_latin1_symbols_untouched(tmp_path: Path) -> None:
    text = "Điều 3 § 2: nhiệt độ 30°C, © Sở GD&ĐT, giá 1.500 µg ± 5"
    blocks, _ = read_docx(_docx_with_runs(tmp_path / "u.docx", [(text, "Times New Roman")]))
    assert [b.text for b in blocks] == [text]


# --------------------------------------------------------------------------- .doc / .odt

def test_soffice_missing_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no LibreOffice on it
    monkeypatch.delenv("SOFFICE", raising=False)
    for name in ("daklak-4575-2018.doc", "daklak-4575-2018.odt"):
        with pytest.raises(ParseError) as error:
            parse(DATA / "legacy" / name)
        message = str(error.value)
        assert "libreoffice-writer-nogui" in message and "apt-get install" in message
        assert "\n" not in message


def test_corrupt_doc_and_odt(tmp_path: Path) -> None:
    garbage = tmp_path / "hong.doc"
    garbage.write_bytes(b"\x00\x01 not a Word file " * 200)
    with pytest.raises(ParseError, match="hỏng"):
        parse(garbage)
    truncated = tmp_path / "cut.doc"
    data = (DATA / "legacy" / "daklak-4575-2018.doc").read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(ParseError, match="hỏng"):
        parse(truncated)
    not_zip = tmp_path / "hong.odt"
    not_zip.write_bytes(b"PK\x03\x04" + b"\x00" * 500)
    with pytest.raises(ParseError, match="hỏng"):
        parse(not_zip)


def test_conversion_time_limit(tmp_path: Path) -> None:
    assert office.find_soffice(), "LibreOffice missing: install the Debian package libreoffice-writer-nogui"
    with pytest.raises(ParseError, match="không chuyển đổi xong"):
        office.convert_to_docx(DATA / "legacy" / "daklak-4575-2018.doc", tmp_path, timeout=0.2)


def test_concurrent_conversions() -> None:
    """Two conversions at once each have their own LibreOffice profile: both succeed."""
    paths = [DATA / "legacy" / "daklak-4575-2018.doc", DATA / "legacy" / "sgd-binhlam-2024.odt"]
    results: dict[str, object] = {}

    def run(path: Path) -> None:
        try:
            results[path.name] = [s.path for s in parse(path).walk()]
        except Exception as exc:  # reported by the assertion below
            results[path.name] = exc

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for path in paths:
        assert results[path.name] == [s.path for s in parse(unicode_rendering(path)).walk()], results[path.name]
