"""Reader for PDF renderings of a plan; pages without a text layer (scans) go through OCR.

A PDF has no paragraphs, only positioned words.  We rebuild paragraphs from the layout a reader
sees: a paragraph starts at a first-line indent, after a larger vertical gap, at a numbering
label or bullet that opens a line, or after a short line ending in closing punctuation.
Ruled tables are found with pdfplumber only on pages that have ruling lines or rectangles, and
their area is kept out of the running text.

Speed: pdfplumber's ``extract_text`` pays for pdfminer's page layout and then for turning
every object into a dict of all its attributes.  We pay only the first: characters are read
once per page from the layout and grouped into words ourselves, and pdfplumber's object model
is built only on pages with ruling lines, where ``find_tables`` needs it.  A parse takes about
half the time of ``extract_text`` on the same file.

A page with no text layer is OCR'd (:mod:`.ocr`), which gives the same word boxes and ruling
lines, so a scanned page goes through the same line, paragraph and table code as a text page.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

import ctypes

import pdfplumber
import pypdfium2
import pypdfium2.raw as pdfium_raw
from pdfminer.layout import LTChar, LTContainer, LTCurve
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from ..errors import ParseError
from ..labels import split_label
from ..model import Block, Location
from ..text_utils import fold, nfc
from .text import TERMINAL

ENCRYPTED = "tệp PDF được mã hóa (có mật khẩu)"
NO_TEXT = "tệp PDF không có chữ, kể cả sau khi nhận dạng ký tự (OCR) các trang quét"
PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:trang\s*)?\d{1,3}(?:\s*/\s*\d{1,3})?(?:\s*[-–—])?$", re.IGNORECASE)
MARGIN_BAND = 0.1  # page numbers and running headers live in the top/bottom tenth of a page
DIGITS = re.compile(r"\d+")
VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass
class Line:
    """Words sharing a baseline, left to right, with the box they cover."""

    words: list[dict]
    page: int

    @property
    def text(self) -> str:
        return " ".join(w["text"] for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0]["x0"]

    @property
    def x1(self) -> float:
        return self.words[-1]["x1"]

    @property
    def top(self) -> float:
        return min(w["top"] for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w["bottom"] for w in self.words)


@dataclass
class Layout:
    """The body text frame, measured from the document itself rather than assumed."""

    left: float  # where continuation lines start
    right: float  # where full lines end
    pitch: float  # baseline-to-baseline distance inside a paragraph


@dataclass
class PageContent:
    lines: list[Line] = field(default_factory=list)
    tables: list[tuple[float, list[list[str]]]] = field(default_factory=list)  # (top, rows)


# --------------------------------------------------------------------------- words → lines

def group_lines(words: list[dict], page: int) -> list[Line]:
    """Cluster words into lines by vertical overlap (a subscript stays on its line)."""
    lines: list[Line] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        middle = (word["top"] + word["bottom"]) / 2
        for line in reversed(lines[-3:]):
            if line.top - 1 <= middle <= line.bottom + 1:
                line.words.append(word)
                break
        else:
            lines.append(Line([word], page))
    for line in lines:
        line.words.sort(key=lambda w: w["x0"])
    lines.sort(key=lambda l: l.top)
    return lines


def measure_layout(lines: list[Line]) -> Layout:
    """Left and right edge of the text frame and the line pitch, by majority vote."""
    if not lines:
        return Layout(0.0, 0.0, 0.0)
    left = Counter(round(l.x0) for l in lines).most_common(1)[0][0]
    right = max(statistics.quantiles([l.x1 for l in lines], n=10)[-1] if len(lines) > 1 else lines[0].x1, left)
    steps = [round(b.top - a.top) for a, b in zip(lines, lines[1:]) if a.page == b.page and b.top > a.top]
    pitch = Counter(steps).most_common(1)[0][0] if steps else 0.0
    return Layout(float(left), float(right), float(pitch))


# --------------------------------------------------------------------------- running heads

def drop_page_furniture(pages: list[list[Line]], heights: list[float]) -> None:
    """Remove page numbers and running headers/footers: short lines in the top or bottom band
    of a page that are a bare number, or whose text repeats on most pages."""
    repeated: Counter[str] = Counter()
    for lines, height in zip(pages, heights):
        repeated.update({_digitless(l.text) for l in lines if _in_band(l, height)})
    common = {t for t, n in repeated.items() if len(pages) >= 3 and n >= max(3, len(pages) // 2)}
    for lines, height in zip(pages, heights):
        lines[:] = [l for l in lines if not (_in_band(l, height)
                                             and (PAGE_NUMBER.match(l.text.strip()) or _digitless(l.text) in common))]


def _in_band(line: Line, height: float) -> bool:
    return line.bottom < height * MARGIN_BAND or line.top > height * (1 - MARGIN_BAND)


def _digitless(text: str) -> str:
    return DIGITS.sub("#", text.strip())


# --------------------------------------------------------------------------- lines → paragraphs

def _is_full(line: Line, layout: Layout) -> bool:
    return line.x1 >= layout.right - 0.06 * (layout.right - layout.left)


def _is_indented(line: Line, layout: Layout) -> bool:
    return 8 < line.x0 - layout.left < 80


def starts_paragraph(line: Line, previous: Optional[Line], layout: Layout) -> bool:
    """Whether ``line`` opens a new paragraph rather than continuing ``previous``."""
    if previous is None:
        return True
    text = line.text
    ends = bool(TERMINAL.search(previous.text))
    full = _is_full(previous, layout)
    label = split_label(text)
    if label is not None and label.kind == "bullet" and label.label == "-" and label.rest[:1].islower() and not ends:
        return False  # "dạy" / "- học": a sentence wrapped before a hyphen
    if line.page == previous.page and layout.pitch and line.top - previous.top > layout.pitch * 1.3:
        return True
    if _is_indented(line, layout) and (full or not _is_indented(previous, layout)):
        return True  # a first-line indent
    if ends and not full:
        return True
    if label is not None and (ends or not full):
        return True
    if line.page != previous.page:
        return not full or ends
    return False


# --------------------------------------------------------------------------- tables

def _inside(word: dict, bbox: tuple[float, float, float, float]) -> bool:
    x, y = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _vowel_groups(text: str) -> int:
    base = fold(text)
    return len(VOWEL_GROUP.findall(base))


def join_cell_lines(lines: list[Line], inner_right: float) -> str:
    """Join the lines of a narrow table cell.  When a word is wider than its column the PDF
    producer breaks it anywhere ("trì" / "nh", "20" / "17", "GD&" / "ĐT"); such a break is
    recognised because the line is a single token that could not take one more character, and
    gluing it to the next fragment does not make two Vietnamese syllables."""
    text = ""
    for previous, line in zip([None, *lines], lines):
        if previous is None:
            text = line.text
            continue
        first = line.words[0]["text"]
        char_width = (line.words[0]["x1"] - line.words[0]["x0"]) / max(len(first), 1)
        filled = len(previous.words) == 1 and previous.x1 + char_width > inner_right
        tail = text.split(" ")[-1]
        glue = filled and (_vowel_groups(tail + first) <= 1 or not _vowel_groups(tail) or not _vowel_groups(first))
        text += ("" if glue else " ") + line.text
    return text


def table_rows(table, words: list[dict], page: int) -> list[list[str]]:
    """Cell texts on the table's grid; a cell covered by a merged one reads as empty.

    A word belongs to the cell its centre lies in; each row's box (which holds its cells) picks
    the row's words first, so a table of a hundred cells does not test every word of the page
    against every cell."""
    cell_words = [w for w in words if _inside(w, table.bbox)]
    grid = []  # per row: (cell box, the words inside it) for each cell, None for a covered one
    for row in table.rows:
        row_words = [w for w in cell_words if _inside(w, row.bbox)]
        grid.append([(box, [w for w in row_words if _inside(w, box)]) if box is not None else None
                     for box in row.cells])
    filled = [cell for row in grid for cell in row if cell is not None and cell[1]]
    pads = [min(w["x0"] for w in inside) - box[0] for box, inside in filled]
    pad = max(min(pads), 1.0) if pads else 2.0
    return [[join_cell_lines(group_lines(cell[1], page), cell[0][2] - pad) if cell is not None and cell[1] else ""
             for cell in row] for row in grid]


def find_tables(pdf_page, words: list[dict], page: int, settings: Optional[dict] = None) -> list[tuple[tuple, list[list[str]]]]:
    """Ruled tables on a page (called only for pages that have rules to find)."""
    return [(t.bbox, table_rows(t, words, page)) for t in pdf_page.find_tables(settings)]


def ruling_settings(rules: list[dict]) -> Optional[dict]:
    """pdfplumber table settings that take a scan's ruling lines (found in its image) as the
    only edges; None when they cannot make a cell."""
    vertical = [r for r in rules if r["x0"] == r["x1"]]
    horizontal = [r for r in rules if r["top"] == r["bottom"]]
    if len(vertical) < 2 or len(horizontal) < 2:
        return None
    return {"vertical_strategy": "explicit", "horizontal_strategy": "explicit",
            "explicit_vertical_lines": vertical, "explicit_horizontal_lines": horizontal}


def _merge_continued(previous: list[list[str]], rows: list[list[str]]) -> None:
    """Append a table continued from the previous page; a first row with an empty first cell
    is the rest of the previous page's last row, split by the page break."""
    if rows and previous and not rows[0][0].strip() and previous[-1][0].strip():
        head, rows = rows[0], rows[1:]
        previous[-1] = [f"{a} {b}".strip() for a, b in zip(previous[-1], head)]
    previous.extend(rows)


# --------------------------------------------------------------------------- document

def _open(path: Union[str, Path]):
    """Open with pdfplumber, turning a password failure into the message a user understands
    (pdfplumber wraps pdfminer's error, so look at the cause too)."""
    try:
        return pdfplumber.open(str(path))
    except Exception as exc:
        causes = [exc, *(a for a in exc.args if isinstance(a, BaseException)), exc.__cause__, exc.__context__]
        if any(isinstance(c, (PDFPasswordIncorrect, PDFEncryptionError)) for c in causes):
            raise ParseError(ENCRYPTED) from exc
        raise


def page_chars(pdf_page) -> tuple[list[dict], bool]:
    """The characters of a page straight from pdfminer's layout, and whether it has rules.

    pdfplumber's ``page.chars`` converts every attribute of every object to a dict, which is
    about half of its text extraction time; we need five fields, so we read them ourselves
    (same coordinates as pdfplumber: ``top`` from the top of the MediaBox)."""
    height = float(pdf_page.height)
    mb_x0, mb_top = pdf_page.mediabox[0], pdf_page.mediabox[1]
    chars: list[dict] = []
    ruled = False
    stack = list(reversed(pdf_page.layout._objs))
    while stack:
        obj = stack.pop()
        if isinstance(obj, LTChar):
            chars.append({"text": obj.get_text(), "x0": obj.x0 + mb_x0, "x1": obj.x1 + mb_x0,
                          "top": height - obj.y1 + mb_top, "bottom": height - obj.y0 + mb_top,
                          "fontname": obj.fontname if isinstance(obj.fontname, str) else str(obj.fontname)})
        elif isinstance(obj, LTContainer):
            stack.extend(reversed(obj._objs))
        elif isinstance(obj, LTCurve):  # LTLine and LTRect are curves too
            ruled = True
    return chars, ruled


def pdfium_chars(page: "pypdfium2.PdfPage") -> tuple[list[dict], list[dict], bool]:
    """The characters of a page read by PDFium, its rules (:func:`page_rules`) and whether it
    has images — in pdfminer's coordinates (``top`` from the top of the page, ``bottom`` on the
    baseline, a character ``font size`` tall), so the rest of the reader cannot tell them apart.

    PDFium reads a page's text about ten times faster than pdfminer's layout; pdfplumber's
    table finder then works from the rules given explicitly."""
    height = page.get_height()
    left, bottom_edge = page.get_mediabox()[:2]
    text_page = page.get_textpage()
    count = text_page.count_chars()
    text = text_page.get_text_range() if count else ""
    # PDFium's C functions straight, with one box and one origin reused for every character:
    # pypdfium2's get_charbox makes a new box per call, and a page has thousands of characters.
    raw = text_page.raw
    box, x, y = pdfium_raw.FS_RECTF(), ctypes.c_double(), ctypes.c_double()
    box_ref, x_ref, y_ref = ctypes.byref(box), ctypes.byref(x), ctypes.byref(y)
    char_box, char_origin, font_size = (pdfium_raw.FPDFText_GetLooseCharBox, pdfium_raw.FPDFText_GetCharOrigin,
                                        pdfium_raw.FPDFText_GetFontSize)
    chars: list[dict] = []
    for i in range(min(count, len(text))):
        char = text[i]
        if char in "\r\n":
            continue
        if not char_box(raw, i, box_ref):
            raise pypdfium2.PdfiumError("Failed to get charbox.")
        char_origin(raw, i, x_ref, y_ref)
        size = font_size(raw, i) or 1.0
        baseline = height - (y.value - bottom_edge)
        chars.append({"text": char, "x0": box.left - left, "x1": box.right - left, "top": baseline - size,
                      "bottom": baseline, "fontname": ""})
    rules = page_rules(page, height, left, bottom_edge)
    images = any(True for _ in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))
    text_page.close()
    return chars, rules, images


RULE_THICKNESS = 2.5  # points: a drawn path thinner than this is a table rule


def _rule(x0: float, top: float, x1: float, bottom: float) -> dict:
    """A line in the shape pdfplumber's explicit table settings take (as the OCR's rules)."""
    return {"object_type": "line", "x0": x0, "top": top, "x1": x1, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top}


def page_rules(page: "pypdfium2.PdfPage", height: float, left: float, bottom_edge: float) -> list[dict]:
    """The page's straight rules (horizontal and vertical lines, rectangles' sides) in pdfplumber's
    coordinates, from PDFium's path objects: what pdfplumber's table finder needs, without
    pdfminer having to lay out the page."""
    rules: list[dict] = []
    for path in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_PATH], max_depth=2):
        x0, y0, x1, y1 = path.get_bounds()
        x0, x1 = x0 - left, x1 - left
        top, bottom = height - (y1 - bottom_edge), height - (y0 - bottom_edge)
        if bottom - top <= RULE_THICKNESS:
            middle = (top + bottom) / 2
            rules.append(_rule(x0, middle, x1, middle))
        elif x1 - x0 <= RULE_THICKNESS:
            middle = (x0 + x1) / 2
            rules.append(_rule(middle, top, middle, bottom))
        else:  # a rectangle: its four sides
            rules += [_rule(x0, top, x1, top), _rule(x0, bottom, x1, bottom), _rule(x0, top, x0, bottom),
                      _rule(x1, top, x1, bottom)]
    return rules


def chars_to_words(chars: list[dict], x_tolerance: float = 3.0, y_tolerance: float = 3.0) -> list[dict]:
    """Words as pdfplumber's ``extract_words`` makes them: characters on one line (tops within
    ``y_tolerance``) split at whitespace and at gaps wider than ``x_tolerance``."""
    words: list[dict] = []
    rows: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: c["top"]):
        if rows and abs(char["top"] - rows[-1][0]["top"]) <= y_tolerance:
            rows[-1].append(char)
        else:
            rows.append([char])
    for row in rows:
        current: list[dict] = []
        for char in sorted(row, key=lambda c: c["x0"]):
            if char["text"].isspace():
                _close_word(current, words)
                current = []
                continue
            if current and char["x0"] - current[-1]["x1"] > x_tolerance:
                _close_word(current, words)
                current = []
            current.append(char)
        _close_word(current, words)
    return words


def _close_word(chars: list[dict], words: list[dict]) -> None:
    if chars:
        words.append({"text": nfc("".join(c["text"] for c in chars)),
                      "x0": chars[0]["x0"], "x1": max(c["x1"] for c in chars),
                      "top": min(c["top"] for c in chars), "bottom": max(c["bottom"] for c in chars),
                      "fontname": chars[0]["fontname"]})


def page_content(pdf_page, words: list[dict], number: int, ruled: bool, rules: Optional[list[dict]] = None) -> PageContent:
    """A page's text lines outside its tables, and its tables (top, rows)."""
    tables = []
    if words and rules is not None:
        settings = ruling_settings(rules)
        tables = find_tables(pdf_page, words, number, settings) if settings else []
    elif words and ruled:
        tables = find_tables(pdf_page, words, number)
    free = [w for w in words if not any(_inside(w, bbox) for bbox, _ in tables)]
    return PageContent(group_lines(free, number), [(bbox[1], rows) for bbox, rows in tables])


def read_pages(pdf, path: Union[str, Path, None] = None,
               progress: Optional[Callable[[int, int], None]] = None) -> tuple[list[PageContent], list[float]]:
    """Each page's text lines (outside tables) and tables, plus page heights.  Pages without a
    text layer that show an image (scans) are OCR'd afterwards, all together (in parallel),
    when ``path`` is given; a blank page needs no OCR, so a text PDF never needs Tesseract."""
    contents: list[Optional[PageContent]] = []
    heights = []
    scanned = []
    fast = pypdfium2.PdfDocument(str(path)) if path is not None else None
    for number, pdf_page in enumerate(pdf.pages, start=1):
        rules: Optional[list[dict]] = None
        if fast is not None:
            page = fast[number - 1]
            chars, rules, images = pdfium_chars(page)
            page.close()
            ruled = bool(rules)
        else:
            (chars, ruled), images = page_chars(pdf_page), bool(pdf_page.images)
        words = chars_to_words(chars)
        if words or path is None or not images:  # a blank or drawn page is not a scan
            contents.append(page_content(pdf_page, words, number, ruled, rules if ruled else None))
        else:
            contents.append(None)
            scanned.append(number)
        heights.append(float(pdf_page.height))
        pdf_page.close()  # drop the page's cached layout: memory stays flat on long files
    if scanned:
        from . import ocr

        for number, page in ocr.ocr_pages(path, scanned, progress).items():
            pdf_page = pdf.pages[number - 1]
            left, top = pdf_page.bbox[0], pdf_page.bbox[1]
            shifted = [_shift(w, left, top) for w in page.words]
            contents[number - 1] = page_content(pdf_page, shifted, number, False, [_shift(r, left, top) for r in page.rules])
            pdf_page.close()
        ocr.repair_line_labels([line.words for number in scanned for line in contents[number - 1].lines])
    if fast is not None:
        fast.close()
    return contents, heights


def _shift(obj: dict, left: float, top: float) -> dict:
    return obj | {"x0": obj["x0"] + left, "x1": obj["x1"] + left, "top": obj["top"] + top, "bottom": obj["bottom"] + top}


def blocks_from_pages(pages: list[PageContent], heights: list[float]) -> list[Block]:
    """Lines grouped into paragraphs across page breaks, tables in their place between them."""
    drop_page_furniture([p.lines for p in pages], heights)
    layout = measure_layout([l for p in pages for l in p.lines])
    blocks: list[Block] = []
    current: list[Line] = []
    previous: Optional[Line] = None
    for number, page in enumerate(pages, start=1):
        events = [(l.top, 0, l) for l in page.lines] + [(top, 1, rows) for top, rows in page.tables]
        for position, (_, kind, item) in enumerate(sorted(events, key=lambda e: (e[0], e[1]))):
            if kind == 1:
                _flush(current, blocks)
                current, previous = [], None
                _add_table(item, number, blocks, first_on_page=position == 0)
                continue
            if current and starts_paragraph(item, previous, layout):
                _flush(current, blocks)
                current = []
            current.append(item)
            previous = item
    _flush(current, blocks)
    return blocks


def _flush(lines: list[Line], blocks: list[Block]) -> None:
    if lines:
        blocks.append(Block(" ".join(l.text for l in lines), Location(page=lines[0].page, paragraph=len(blocks))))


def _add_table(rows: list[list[str]], page: int, blocks: list[Block], first_on_page: bool) -> None:
    """Emit a table, or continue the previous one when this page opens with a table of the same
    width right after it (a table broken by a page break, maybe with its header repeated)."""
    previous = blocks[-1] if blocks else None
    if first_on_page and previous is not None and previous.kind == "table" and previous.rows \
            and len(previous.rows[0]) == len(rows[0]):
        repeated = 0
        while repeated < min(len(rows), len(previous.rows)) and rows[repeated] == previous.rows[repeated]:
            repeated += 1
        _merge_continued(previous.rows, rows[repeated:])
        return
    blocks.append(Block("", Location(page=page, paragraph=len(blocks)), kind="table", rows=rows))


def read_pdf(path: Union[str, Path], progress: Optional[Callable[[int, int], None]] = None) -> tuple[list[Block], int]:
    """Paragraph and table blocks in reading order, and the page count.  ``progress(0, total)``
    is called before OCR starts and ``progress(done, total)`` after each OCR'd page (never for
    a PDF whose pages all have text)."""
    with _open(path) as pdf:
        pages, heights = read_pages(pdf, path, progress)
        count = len(pdf.pages)
    if not any(p.lines or p.tables for p in pages):
        raise ParseError(NO_TEXT)
    return blocks_from_pages(pages, heights), count
