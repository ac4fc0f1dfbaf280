"""Vietnamese typed in the pre-Unicode 8-bit encodings, found and turned into Unicode NFC.

Offices typed Vietnamese for years in font encodings rather than Unicode, and their files are
still around:

* **TCVN3** (TCVN 5712, "ABC"): fonts ``.VnTime``, ``.VnArial`` …; one byte per letter.  Its
  capitals fonts (``.VnTimeH``, ``.VnArialH`` …) draw the small letter's code as a capital, so
  text set in them is upper-cased after decoding.  The table is glibc's TCVN5712-1
  (:mod:`.tcvn3_table`).
* **VNI** (VNI-Windows): fonts ``VNI-Times``, ``VNI-Helve`` …; a toned vowel is the base letter
  followed by one mark byte ("aø" = à, "eä" = ệ), and đ ơ ư ĩ ỉ ị ỵ are single bytes.  The
  layout is the published VNI-Windows chart (vietunicode.sourceforge.net/charset, "VNI
  Windows"), cross-checked letter by letter against the MIT-licensed table of the npm package
  ``vietnamese-conversion`` (github.com/duydev/vietnamese-conversion, src/charsets.ts at
  commit 46413a0): all 134 letters come out the same.  (Its later refactor writes ỷ ỹ as the
  single bytes "ë" "Ì", which the chart gives to y + hook / I + grave: not followed.)  No maintained PyPI converter was sound: viparse's
  tables are inferred from a small corpus and leave letters out (its docs say ẳ is missing and
  TCVN3 capitals are not handled), and vniencoder implements the VNI *typing* method.

A .docx keeps such text as the Windows-1252 characters of the font's bytes ("KÕ ho¹ch"); a text
file keeps the bytes.  Everything here works on that *surface* text (bytes seen through
Windows-1252, the five bytes it leaves undefined kept as U+0081 …), plain ``str`` in and out.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Optional

from ..text_utils import nfc
from .tcvn3_table import TCVN3_BYTES

TCVN3 = "tcvn3"
VNI = "vni"


# --------------------------------------------------------------------------- surface text

def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: Word keeps them as C1 controls
        return chr(byte)


# Latin-1 decoding then this table gives the Windows-1252 view of any bytes.
_C1_TO_CP1252 = {b: _cp1252_char(b) for b in range(0x80, 0xA0)}


def surface(data: bytes) -> str:
    """Bytes as a Windows program shows them: how legacy text sits inside a .docx."""
    return data.decode("latin-1").translate(_C1_TO_CP1252)


# --------------------------------------------------------------------------- TCVN3

def _tcvn3_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for byte, text in TCVN3_BYTES.items():
        table[ord(_cp1252_char(byte))] = text
        table[byte] = text  # the same byte seen through Latin-1 (C1 controls)
    return table


_TCVN3 = _tcvn3_table()
# The only small letters whose capitals the ordinary TCVN3 fonts have (besides A–Z).
_TCVN3_CAPITALISED = "ăâêôơưđ"
_PUNCTUATION = ".,:;!?()[]\"'“”‘’-–—/…"


# --------------------------------------------------------------------------- VNI

# Mark bytes that follow a base vowel, as combining sequences (NFC composes them afterwards).
_VNI_MARKS = {
    "ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323",
    "â": "\u0302", "á": "\u0302\u0301", "à": "\u0302\u0300", "å": "\u0302\u0309", "ã": "\u0302\u0303", "ä": "\u0302\u0323",
    "ê": "\u0306", "é": "\u0306\u0301", "è": "\u0306\u0300", "ú": "\u0306\u0309", "ü": "\u0306\u0303", "ë": "\u0306\u0323",
}
_VNI_MARKS.update({k.upper(): v for k, v in list(_VNI_MARKS.items())})
# Letters VNI types as one byte.
_VNI_SINGLE = {"ñ": "đ", "ô": "ơ", "ö": "ư", "ó": "ĩ", "æ": "ỉ", "ò": "ị", "î": "ỵ"}
_VNI_SINGLE.update({k.upper(): v.upper() for k, v in list(_VNI_SINGLE.items())})
_VNI_SINGLE_TABLE = str.maketrans(_VNI_SINGLE)
_VNI_BASE = "AEIOUYaeiouyÔÖôö"
_VNI_MARK = re.compile(f"(?<=[{_VNI_BASE}])[{''.join(_VNI_MARKS)}]")


# --------------------------------------------------------------------------- detection

# Vietnamese letters that Windows-1252 cannot show: their presence means the text is Unicode.
_UNICODE_VIETNAMESE = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0"
                                 "\u1ea0-\u1ef9\u0300-\u0303\u0309\u0323]")
# TCVN3 puts its commonest letters (à á ạ ả ã ă â ê ô ơ ư đ) on bytes 0xA1–0xBF, which Unicode
# Vietnamese never uses for letters; VNI puts a mark byte after a vowel and đ on "ñ".
_TCVN3_SIGN = re.compile("[\u00a1-\u00bf]")
# VNI's signs are a mark byte after a vowel, or đ ("ñ"); no character is both a vowel here and
# a mark, nor is "ñ" either, so the two kinds never overlap and are counted apart (a pattern
# that starts with one character class is scanned for far faster than an alternation).
_VNI_PAIR = re.compile(f"[{_VNI_BASE}][{''.join(_VNI_MARKS)}]")
_NON_ASCII_WORD = re.compile(r"\S*[^\x00-\x7f]\S*")


def _vni_signs(text: str) -> int:
    return len(_VNI_PAIR.findall(text)) + text.count("ñ") + text.count("Ñ")


def _has_at_least(pattern: re.Pattern, text: str, count: int) -> bool:
    """Whether ``pattern`` matches ``text`` ``count`` times: the search stops there (Unicode
    Vietnamese has thousands of its letters, and a handful decide)."""
    if count <= 0:
        return True
    for seen, _ in enumerate(pattern.finditer(text), 1):
        if seen >= count:
            return True
    return False


def detect(text: str, min_signs: int = 3) -> Optional[str]:
    """``"tcvn3"``, ``"vni"`` or ``None`` (Unicode or plain ASCII) for surface text.

    Decided from character statistics, for text whose font does not say: Unicode Vietnamese
    letters outside Windows-1252 mean Unicode; otherwise the encoding whose signs are frequent
    (at least ``min_signs`` and one per five non-ASCII words) wins.
    """
    if text.isascii():
        return None
    tcvn3 = len(_TCVN3_SIGN.findall(text))
    vni = _vni_signs(text)
    signs = max(tcvn3, vni)
    if signs < min_signs:
        return None
    if _has_at_least(_UNICODE_VIETNAMESE, text, -(-signs // 4)):  # a Unicode letter for every 4 signs
        return None
    if signs * 5 < len(_NON_ASCII_WORD.findall(text)):
        return None
    return TCVN3 if tcvn3 >= vni else VNI


def is_unicode(text: str) -> bool:
    """Whether ``text`` holds letters no 8-bit Vietnamese font can have come through as: typed
    in Unicode even if its run names a legacy font (a style left at .VnTime)."""
    return _UNICODE_VIETNAMESE.search(text) is not None


# --------------------------------------------------------------------------- decoding

def restore_capitals(text: str) -> str:
    """Upper-case a TCVN3 line typed in capitals with the ordinary font: the toned capitals
    TCVN3 lacks came out small ("QUẢN Lý", "MụC TIÊU").  A line is taken for capitals when
    every word with a small letter has only such letters small, and words all in capitals
    (letters only: not "KH-UBND") are at least as many as those words."""
    capitals = mixed = 0
    for word in text.split():
        word = word.strip(_PUNCTUATION)
        lower = [c for c in word if c.islower()]
        if lower:
            if any(c.isascii() or c in _TCVN3_CAPITALISED for c in lower):
                return text
            mixed += 1
        elif word.isalpha() and len(word) > 1:
            capitals += 1
    return text.upper() if mixed and capitals >= mixed else text


def decode(text: str, encoding: str, capitals: bool = False) -> str:
    """Surface text in ``encoding`` ("tcvn3" or "vni") → Unicode NFC.  ``capitals``: the text
    was set in a capitals font (.VnTimeH …), whose small codes draw capitals.  Lines typed in
    capitals with an ordinary TCVN3 font are the caller's to pass to :func:`restore_capitals`
    (a paragraph can span runs in several fonts)."""
    if encoding == TCVN3:
        out = nfc(text.translate(_TCVN3))
    elif encoding == VNI:
        out = nfc(_VNI_MARK.sub(lambda m: _VNI_MARKS[m.group()], text).translate(_VNI_SINGLE_TABLE))
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}")
    return out.upper() if capitals else out


# --------------------------------------------------------------------------- fonts

@dataclass(frozen=True)
class FontEncoding:
    """What a font name says about the bytes typed in it."""

    encoding: str
    capitals: bool = False


def font_encoding(font: Optional[str]) -> Optional[FontEncoding]:
    """The legacy encoding a font implies, or ``None`` for a Unicode (or unknown) font.

    TCVN3 fonts are named ".Vn…" (".VnTime", ".VnArial Narrow"), their capitals variants end
    in "H" (".VnTimeH", ".VnArial NarrowH"); VNI fonts are named "VNI-…" ("VNI-Times").
    """
    if not font:
        return None
    name = font.strip()
    if name.startswith(".Vn") or name.lower().startswith(".vn"):
        return FontEncoding(TCVN3, capitals=name.endswith("H"))
    if name.upper().startswith(("VNI-", "VNI ")):
        return FontEncoding(VNI)
    return None


# --------------------------------------------------------------------------- text files

@dataclass(frozen=True)
class DecodedText:
    """A text file's content and the encoding it was found in."""

    text: str
    encoding: str  # "utf-8", "utf-16-le", "utf-16-be", "tcvn3" or "vni"


def _utf16_without_bom(data: bytes) -> Optional[str]:
    """UTF-16 without a byte-order mark: most ASCII characters leave a NUL on one side."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.3 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.05:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes) -> DecodedText:
    """A text file's bytes → Unicode NFC, whichever of UTF-8, UTF-16 (with or without BOM),
    TCVN3 or VNI they are in.  Raises ``ValueError`` for bytes that are none of them."""
    if data.startswith(codecs.BOM_UTF8):
        return _unicode(data.decode("utf-8-sig"), "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return DecodedText(nfc(data.decode("utf-16")), "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return DecodedText(nfc(data.decode(utf16)), utf16)
    try:
        return _unicode(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:65536]:  # no 8-bit text has NUL bytes: a binary file named .txt
        raise ValueError("binary data")
    text = surface(data)
    encoding = detect(text)
    if encoding is None:
        raise ValueError("not UTF-8, UTF-16, TCVN3 or VNI")
    return DecodedText(_decode_lines(text, encoding), encoding)


def _decode_lines(text: str, encoding: str) -> str:
    out = decode(text, encoding)
    if encoding == TCVN3:
        out = "\n".join(restore_capitals(line) for line in out.split("\n"))
    return out


def _unicode(text: str, encoding: str) -> DecodedText:
    """Valid UTF-8 that may still be legacy text converted as Windows-1252 ("mojibake")."""
    legacy = detect(text)
    if legacy is not None:
        return DecodedText(_decode_lines(text, legacy), legacy)
    return DecodedText(nfc(text), encoding)
