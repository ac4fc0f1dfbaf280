"""OCR of PDF pages that have no text layer (office scans), into the word boxes a text page has.

The PDF reader rebuilds lines, paragraphs and tables from positioned words; it does not care
where the words come from.  So a scanned page is rendered (pypdfium2), cleaned (speckle removed,
skew corrected, ruling lines found and erased), read by Tesseract with its Vietnamese model
through pytesseract, and its TSV word boxes are scaled to PDF points: the same ``{"text", "x0",
"x1", "top", "bottom"}`` dicts ``pdfplumber`` gives for a text page, plus the ruling lines as
pdfplumber line objects so the table finder works on the scan as on a drawn table.

Deskewing matters more for us than for Tesseract itself (which follows a tilted line): the
paragraph builder compares line starts with the left margin and an indent of a few points, and a
0.5° tilt moves the left edge by 6 points from the top of a page to its bottom.

Both cores are used: pages are OCR'd by a thread pool, each thread running one ``tesseract``
process limited to one OpenMP thread (Tesseract's own threading gains little on one page and
fights the other process for the cores).  The Python side of a page (render, numpy filters)
is a few percent of Tesseract's time.
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np
import pypdfium2
import pytesseract
from PIL import Image
from scipy import ndimage

from ..errors import ParseError
from ..labels import is_roman
from ..text_utils import nfc

Progress = Callable[[int, int], None]  # (pages done, pages to OCR)

LANGUAGE = "vie"
DPI = 300
MIN_DPI, MAX_DPI = 150, 300
MISSING_TESSERACT = ("tệp PDF là bản quét (không có lớp văn bản) nhưng máy chưa cài Tesseract OCR: "
                     "cài gói Debian tesseract-ocr và tesseract-ocr-vie (apt-get install tesseract-ocr tesseract-ocr-vie)")
MISSING_VIETNAMESE = ("tệp PDF là bản quét (không có lớp văn bản) nhưng Tesseract chưa có dữ liệu tiếng Việt (vie): "
                      "cài gói Debian tesseract-ocr-vie (apt-get install tesseract-ocr-vie)")
OCR_FAILED = "không nhận dạng được ký tự trang {page} của bản quét ({reason})"
PAGE_TIMEOUT = 600  # seconds: a page takes 2-4 s on a free core; a page that takes this long is not text

DARK = 128  # grey level under which a pixel is ink (the scans are black text on white paper)
FAINT = 192  # … and under which a speck still shows: dust is whitened to its faint edge
SPECK_AREA = 1.5e-4  # square inches: under half a full stop of 12 pt type (about 2.6e-4 in²)
MAX_SKEW = 3.0  # degrees: a sheet fed by hand into an office scanner tilts by less than this
SKEW_STEP = 0.05


@dataclass
class OcrPage:
    """One OCR'd page, in PDF points from the top-left corner of the rendered (crop) box."""

    number: int  # 1-based
    width: float
    height: float
    words: list[dict] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)  # ruling lines as pdfplumber "line" objects
    skew: float = 0.0  # degrees corrected before OCR


# --------------------------------------------------------------------------- tesseract lookup

def require_tesseract() -> None:
    """Fail with the Debian packages to install when ``tesseract`` or its ``vie`` data is missing."""
    try:
        languages = pytesseract.get_languages()
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise ParseError(MISSING_TESSERACT) from exc
    except pytesseract.TesseractError as exc:  # tesseract present but broken (e.g. no tessdata at all)
        raise ParseError(MISSING_VIETNAMESE) from exc
    if LANGUAGE not in languages:
        raise ParseError(MISSING_VIETNAMESE)


# --------------------------------------------------------------------------- image cleaning

def ink(gray: np.ndarray) -> np.ndarray:
    return gray < DARK


def remove_speckle(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Whiten isolated specks: components of faint-or-darker pixels smaller than half a full
    stop.  On office scans the component sizes fall in two groups with a clear gap between
    them: dust (up to 1.2e-4 in²) and marks of the text (a full stop or the dot under "ạ" and
    up); a speck touching a letter joins the letter and is left to Tesseract."""
    mask = gray < FAINT
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if not count:
        return gray
    sizes = np.bincount(labels.ravel())
    small = sizes <= SPECK_AREA * dpi * dpi
    small[0] = False
    cleaned = gray.copy()
    cleaned[small[labels]] = 255
    return cleaned


def estimate_skew(gray: np.ndarray) -> float:
    """The angle (degrees) that makes text lines horizontal: the rotation under which the
    horizontal projection of the ink is the most peaked (rows of text, then white gaps)."""
    small = gray[::4, ::4]
    ys, xs = np.nonzero(ink(small))
    if len(ys) < 100:
        return 0.0
    if len(ys) > 200_000:
        keep = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[keep], xs[keep]
    xs = xs - small.shape[1] / 2
    best, best_score = 0.0, -1.0
    for angle in np.arange(-MAX_SKEW, MAX_SKEW + SKEW_STEP / 2, SKEW_STEP):
        rows = np.round(ys + xs * np.tan(np.radians(angle))).astype(np.int64)
        rows -= rows.min()
        profile = np.bincount(rows).astype(np.float64)
        score = float(np.square(np.diff(profile)).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return best


def deskew(gray: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) < SKEW_STEP / 2:
        return gray
    # bilinear: under 3° each output pixel mixes its four neighbours, as good as bicubic for
    # Tesseract and a third of its time
    image = Image.fromarray(gray).rotate(-angle, resample=Image.BILINEAR, fillcolor=255)
    return np.asarray(image)


def long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """The pixels of horizontal runs of ink at least ``length`` long.

    Run-length encoded with one ``np.diff`` per row instead of a sliding window: a page has a
    few dozen such runs at most, so this costs a few passes over the image whatever ``length``
    is.  Each row is first OR-ed with its neighbours, so a rule that a residual tilt or the
    JPEG moves by a pixel along its length still reads as one run."""
    thick = mask.copy()
    thick[1:] |= mask[:-1]
    thick[:-1] |= mask[1:]
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = thick
    steps = np.diff(padded, axis=1)
    where = np.flatnonzero(steps)  # row-major: each run's start is followed by its end
    starts, ends = where[0::2], where[1::2]
    keep = ends - starts >= length
    runs = np.zeros_like(mask)
    width = steps.shape[1]
    for start, end in zip(starts[keep], ends[keep]):
        runs[start // width, start % width:end % width] = True
    return runs


def find_rules(gray: np.ndarray, dpi: int) -> list[tuple[int, int, int, int]]:
    """Ruling lines (of drawn tables, underlines) as pixel boxes (x0, top, x1, bottom).

    A rule is a straight run of ink longer than any letter stroke: a quarter inch vertically
    (two text lines' height of a 13 pt font is more, one letter's stem is less) and an inch
    horizontally (longer than any word)."""
    mask = gray < FAINT  # a one-pixel rule comes out of the scanner grey, lighter than text
    boxes = _segments(long_runs(mask, dpi), 0, dpi)
    if len(boxes) >= 2:  # a table has at least two horizontal rules; else no need to look for columns
        boxes += _segments(long_runs(mask.T, dpi // 4).T, 1, dpi)
    return boxes


def _segments(runs: np.ndarray, across: int, dpi: int) -> list[tuple[int, int, int, int]]:
    """Connected runs as boxes, leaving out anything thicker than a rule."""
    labels, _ = ndimage.label(runs)
    boxes = []
    for box in ndimage.find_objects(labels):
        if box is None or box[across].stop - box[across].start > dpi // 20:
            continue  # a filled area (a photo, a stamp), not a rule
        boxes.append((box[1].start, box[0].start, box[1].stop, box[0].stop))
    return boxes


def rule_objects(boxes: Sequence[tuple[int, int, int, int]], scale: float) -> list[dict]:
    """Pixel boxes → pdfplumber line objects (a horizontal or vertical segment through the
    middle of the box), which ``find_tables`` turns into edges."""
    rules = []
    for x0, top, x1, bottom in boxes:
        if x1 - x0 >= bottom - top:
            y = (top + bottom) / 2 * scale
            segment = (x0 * scale, y, x1 * scale, y)
        else:
            x = (x0 + x1) / 2 * scale
            segment = (x, top * scale, x, bottom * scale)
        rules.append({"object_type": "line", "x0": segment[0], "top": segment[1], "x1": segment[2],
                      "bottom": segment[3], "width": segment[2] - segment[0], "height": segment[3] - segment[1]})
    return rules


# --------------------------------------------------------------------------- words

STRAY = re.compile(r"^(?:_|[^\w\-+–—•*%()\[\]\"“”])+$")  # no letter, digit, bullet or bracket


def tesseract_words(image_path: str, dpi: int, scale: float) -> list[dict]:
    """Tesseract's word boxes (TSV level 5) as pdfplumber-like word dicts in points."""
    data = pytesseract.image_to_data(image_path, lang=LANGUAGE, config=f"--oem 1 --psm 3 --dpi {dpi}",
                                     output_type=pytesseract.Output.DICT, timeout=PAGE_TIMEOUT)
    words = []
    for i, text in enumerate(data["text"]):
        text = nfc((text or "").strip())
        if not text or data["level"][i] != 5:
            continue
        conf = float(data["conf"][i])
        if STRAY.match(text) and (conf < 60 or set(text) == {"_"}):  # plans have no "_": a rule's remains
            continue  # a low-confidence mark with no letter, digit, bullet or bracket: dust, a rule's end
        left, top, width, height = (data[k][i] for k in ("left", "top", "width", "height"))
        words.append({"text": text, "x0": left * scale, "x1": (left + width) * scale,
                      "top": top * scale, "bottom": (top + height) * scale, "conf": conf,
                      "line": (data["block_num"][i], data["par_num"][i], data["line_num"][i])})
    return drop_misreadings(words)


UNSURE = 50  # Tesseract's confidence (0-100) under which a tiny word is taken for a mark


def drop_misreadings(words: list[dict]) -> list[dict]:
    """Leave out the words Tesseract invents where a page's layout confuses it.

    Two-column letterheads (issuer left, motto right, on staggered baselines) make it read the
    same ink twice, once on a wrong line at lower confidence ("Độc lập" then "$c lập-"); real
    words never share half of their ink, so of two boxes overlapping by half of the smaller one
    the less confident goes.  The leftover of a speck or rule comes out as a tiny unsure "R" or
    "_": an unsure word less than half as tall as the page's words goes too (a dash is small,
    but read with confidence)."""
    if not words:
        return words
    box = np.array([[w["x0"], w["top"], w["x1"], w["bottom"]] for w in words])
    conf = np.array([w["conf"] for w in words])
    width = np.clip(np.minimum.outer(box[:, 2], box[:, 2]) - np.maximum.outer(box[:, 0], box[:, 0]), 0, None)
    height = np.clip(np.minimum.outer(box[:, 3], box[:, 3]) - np.maximum.outer(box[:, 1], box[:, 1]), 0, None)
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    shared = width * height > 0.5 * np.maximum(np.minimum.outer(area, area), 1e-6)
    np.fill_diagonal(shared, False)
    surer = conf[None, :] > conf[:, None]  # a tie keeps both
    doubled = (shared & surer).any(axis=1)
    heights = box[:, 3] - box[:, 1]
    wordy = np.array([sum(c.isalnum() for c in w["text"]) >= 2 for w in words])
    typical = float(np.median(heights[wordy])) if wordy.any() else 0.0
    dash = np.array([w["text"] in ("-", "–", "—") for w in words])  # small by nature ("-" for "none" in a table)
    tiny = (conf < UNSURE) & (heights < typical / 2) & ~dash
    return [w for w, drop in zip(words, doubled | tiny) if not drop]


def restore_comparison_bars(words: list[dict], gray: np.ndarray, scale: float) -> None:
    """Turn ">"/"<" back into "≥"/"≤" where the image shows the bar under the sign.

    Tesseract's Vietnamese model has no "≥" or "≤" (they are not in its character set), so it
    prints ">" for the sign plans write before a target ("≥ 95%"), which changes the target's
    comparator.  The sign is the first glyph of its word box (up to the first blank column);
    "≥" has a horizontal stroke across the bottom quarter of the box, ">" at most the tip of
    its lower arm there."""
    mask = ink(gray)
    for word in words:
        if word["text"][:1] not in "<>":
            continue
        x0, top, x1, bottom = (int(round(word[k] / scale)) for k in ("x0", "top", "x1", "bottom"))
        height = bottom - top
        if height < 6:
            continue
        box = mask[top:bottom + 1, x0:x1 + 1]
        columns = np.flatnonzero(box.any(axis=0))
        if not len(columns):
            continue
        gaps = np.flatnonzero(np.diff(columns) > 1)  # the sign ends at the first blank column
        sign = box[:, columns[0]:(columns[gaps[0]] if len(gaps) else columns[-1]) + 1]
        bottom_rows = sign[height * 3 // 4:]
        if sign.shape[1] >= 3 and bottom_rows.size and bottom_rows.sum(axis=1).max() >= 0.7 * sign.shape[1]:
            word["text"] = {"<": "≤", ">": "≥"}[word["text"][0]] + word["text"][1:]


# --------------------------------------------------------------------------- pages

@dataclass
class CleanPage:
    """A rendered page ready for Tesseract: specks whitened, straightened, rules erased."""

    gray: np.ndarray
    dpi: int
    skew: float
    rules: list[tuple[int, int, int, int]]  # pixel boxes of the erased ruling lines


def clean_page(gray: np.ndarray, dpi: int) -> CleanPage:
    gray = remove_speckle(gray, dpi)
    angle = estimate_skew(gray)
    gray = deskew(gray, angle)
    boxes = find_rules(gray, dpi)
    if boxes:
        gray = gray.copy()
        for x0, top, x1, bottom in boxes:  # rules read as "|" and "_" otherwise; 2 px for their blur
            gray[max(top - 2, 0):bottom + 2, max(x0 - 2, 0):x1 + 2] = 255
    return CleanPage(gray, dpi, angle, boxes)


def ocr_image(gray: np.ndarray, number: int, dpi: int, width: float, height: float) -> OcrPage:
    """Clean one rendered page and read it."""
    page = clean_page(gray, dpi)
    scale = 72.0 / dpi
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        image_path = os.path.join(tmp, f"page-{number}.pgm")  # uncompressed: no time spent on zlib
        Image.fromarray(page.gray).save(image_path)
        words = tesseract_words(image_path, dpi, scale)
    restore_comparison_bars(words, page.gray, scale)
    return OcrPage(number, width, height, words, rule_objects(page.rules, scale), page.skew)


def render_resolution(page) -> int:
    """The resolution to render a page at: that of its largest scanned image, within
    [MIN_DPI, MAX_DPI].  Rendering a 150 dpi scan at 300 dpi invents no detail and makes
    Tesseract read 2.5 times slower, and on the sample scans it read slightly worse (character
    error rate 0.18 % against 0.10 % at the scan's own 150 dpi); a page drawn without an image
    (outlined text) is rendered at DPI."""
    images = list(page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))
    if not images:
        return DPI
    def area(image) -> float:
        left, bottom, right, top = image.get_bounds()
        return (right - left) * (top - bottom)
    meta = max(images, key=area).get_metadata()
    return int(round(min(max(meta.horizontal_dpi, meta.vertical_dpi, MIN_DPI), MAX_DPI)))


class PageRenderer:
    """pypdfium2 is not thread-safe: one lock around every call into the document."""

    def __init__(self, path: Union[str, Path], dpi: Optional[int]):
        self.pdf = pypdfium2.PdfDocument(str(path))
        self.lock = threading.Lock()
        self.dpi = dpi

    def render(self, number: int) -> tuple[np.ndarray, int, float, float]:
        with self.lock:
            page = self.pdf[number - 1]
            dpi = self.dpi or render_resolution(page)
            width, height = page.get_size()
            gray = page.render(scale=dpi / 72, grayscale=True).to_numpy().copy()
            page.close()
        return gray, dpi, width, height

    def close(self) -> None:
        with self.lock:
            self.pdf.close()


def ocr_pages(path: Union[str, Path], numbers: Sequence[int], progress: Optional[Progress] = None,
              dpi: Optional[int] = None, workers: Optional[int] = None) -> dict[int, OcrPage]:
    """OCR the given 1-based pages of a PDF, in parallel; ``progress(0, total)`` first, then
    ``progress(done, total)`` after each page.
    ``dpi`` forces a rendering resolution (default: each page's own, see render_resolution)."""
    if not numbers:
        return {}
    require_tesseract()
    workers = workers or min(len(numbers), os.cpu_count() or 1)
    renderer = PageRenderer(path, dpi)
    # pytesseract starts tesseract with this process's environment: one OpenMP thread each,
    # the parallelism is ours.  Only child processes read it, so it is left set (restoring it
    # would race with another document being OCR'd in another thread).
    os.environ["OMP_THREAD_LIMIT"] = "1"

    def one(number: int) -> OcrPage:
        gray, resolution, width, height = renderer.render(number)
        return ocr_image(gray, number, resolution, width, height)

    done: dict[int, OcrPage] = {}
    if progress is not None:
        progress(0, len(numbers))  # a bar can show the pages to come before the first one is read
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as pool:
            futures = {pool.submit(one, n): n for n in numbers}
            for future in as_completed(futures):
                try:
                    page = future.result()
                except (pytesseract.TesseractError, RuntimeError) as exc:  # RuntimeError: pytesseract's timeout
                    for other in futures:
                        other.cancel()
                    reason = getattr(exc, "message", "") or str(exc)
                    raise ParseError(OCR_FAILED.format(page=futures[future], reason=reason.strip())) from exc
                done[page.number] = page
                if progress is not None:
                    progress(len(done), len(numbers))
    finally:
        renderer.close()
    return done


# --------------------------------------------------------------------------- numbering labels

ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
CONFUSED_ROMAN = str.maketrans({"1": "I", "l": "I", "|": "I", "!": "I", "L": "I"})
LABEL_TOKEN = re.compile(r"^(?P<number>\d{1,2}|[IVXHLl1|!]{1,5})(?P<mark>[.)])(?P<rest>.*)$")
UPPER_LETTER = re.compile(r"^[A-HJ-UWYZĐ][.)]$")  # I, V, X are Roman numerals
PART_WORDS = {"phần", "chương"}
# what Tesseract prints for a bullet dash or the letter of a label at the start of a line
LEADING_MARKS = {"~": "-", "—": "-", "¬": "-"}
LETTER_LOOKALIKES = str.maketrans({"€": "c", "©": "c", "¢": "c"})


def roman_value(text: str) -> Optional[int]:
    if not is_roman(text):
        return None
    total = 0
    for char, following in zip(text, text[1:] + " "):
        value = ROMAN_VALUES[char]
        total += -value if following in ROMAN_VALUES and ROMAN_VALUES[following] > value else value
    return total


def to_roman(value: int) -> str:
    out = ""
    for number, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out, value = out + letters, value - number
    return out


@dataclass
class _Label:
    word: dict
    number: str  # as printed, confusable strokes mapped ("1H" → "III")
    mark: str
    rest: str
    roman: Optional[int]  # value if it reads as a Roman numeral
    arabic: Optional[int]  # value if it reads as an Arabic number


def _label(word: dict) -> Optional[_Label]:
    m = LABEL_TOKEN.match(word["text"])
    if not m:
        return None
    raw = m["number"]
    roman_text = raw.translate(CONFUSED_ROMAN).replace("H", "II")
    roman = roman_value(roman_text)
    arabic = int(raw) if raw.isdigit() else (1 if raw in ("l", "|", "!") else None)
    if arabic is not None and arabic > 1:
        roman = None  # "11." is eleven; a Roman II read as "11" is not worth the risk
    return _Label(word, roman_text, m["mark"], m["rest"], roman, arabic)


def strokes(label: _Label) -> Optional[int]:
    """How many "I" strokes a bare label token ("II.") is wide, from its box: its width is
    about 0.2 + 0.59 × strokes times its height (measured on bold serif headings, where
    Tesseract merges or drops strokes: "I." 0.8, "II." 1.4, "III." 2.0).  Only used to confirm
    a correction the numbering already points to."""
    word = label.word
    height = word.get("bottom", 0) - word.get("top", 0)
    if label.rest or height <= 0 or "x0" not in word:
        return None
    return round(((word["x1"] - word["x0"]) / height - 0.2) / 0.59)


def _next_roman(words: Sequence[dict], labels: Sequence[Optional[_Label]]) -> Optional[int]:
    """The value of the next plain Roman label before the numbering restarts, if any."""
    for word, label in zip(words, labels):
        if UPPER_LETTER.match(word["text"]) or word["text"].lower() in PART_WORDS:
            return None
        if label is not None and label.arabic is None and label.roman is not None:
            return label.roman
    return None


def repair_line_labels(lines: Sequence[list[dict]]) -> None:
    """Correct what Tesseract misreads in the numbering labels that open lines, in place.

    Bold heading numerals are where it errs: "I." read "1." or "l.", "II." read "1." or
    "11.", "III." read "II." or "1H.", "IV." read "1V.", "I." read "L.", a dash bullet read
    "~", "c)" read "€)", "d)" and "đ)" swapped.  The text says which reading is right: numbering goes up by one, an Arabic "1."
    restarts only under a new Roman part, and a Roman sequence restarts under a new lettered
    part ("A.", "B.") or "Phần"/"Chương".  So a "1." that is followed by another "1." (the
    part's first point), or that would restart Arabic numbering without a part above it, is
    the Roman numeral due next; a Roman numeral one stroke off the one due next is that one,
    unless the next part goes on from it as read (then the plan itself repeats a numeral, as
    cantho-148-2017 does with two "III.", and we keep what is printed).
    """
    firsts = [line[0] for line in lines if line]
    previous_letter = ""
    for word in firsts:
        text = word["text"]
        if text in LEADING_MARKS:
            word["text"] = LEADING_MARKS[text]
        elif len(text) == 2 and text[1] == ")":
            word["text"] = text = text.translate(LETTER_LOOKALIKES)
            # "d)" and "đ)" follow each other in the Vietnamese alphabet and are read one for the other
            if text[0] == "đ" and previous_letter == "c" or text[0] == "d" and previous_letter == "d":
                word["text"] = text = {"đ": "d", "d": "đ"}[text[0]] + ")"
            previous_letter = text[0]
        elif _label(word) is not None:
            previous_letter = ""
    labels: list[Optional[_Label]] = [_label(w) for w in firsts]
    last_roman = 0
    last_arabic: Optional[int] = None
    last_part = "@"  # the letter before "A"
    romans_seen = any(l is not None and l.roman is not None and l.arabic is None for l in labels)
    for i, (word, label) in enumerate(zip(firsts, labels)):
        letter = word["text"][0]
        # "L." is a lettered part only where "L" is due; elsewhere it is a bold "I." misread
        if UPPER_LETTER.match(word["text"]) and (letter != "L" or last_part == "K") \
                or word["text"].lower() in PART_WORDS:
            last_roman, last_arabic, last_part = 0, None, letter
            continue
        if label is None:
            continue
        following = next((l for l in labels[i + 1:] if l is not None), None)
        if label.arabic is not None:
            as_roman = romans_seen and label.arabic == 1 and (
                (strokes(label) or 0) >= 2
                or (following is not None and following.arabic == 1)
                or (following is not None and following.arabic is None and following.roman == last_roman + 2)
                or last_arabic is not None)
            if not as_roman:
                last_arabic = label.arabic
                if label.word["text"][0] in "l|!":
                    label.word["text"] = "1" + label.mark + label.rest
                continue
            value = last_roman + 1
        else:
            value = label.roman
            if value is None:
                continue
            due = last_roman + 1
            if value != due and abs(value - due) == 1 and set(label.number) == {"I"}:
                later = _next_roman(firsts[i + 1:], labels[i + 1:])
                if later is None or later == due + 1 or strokes(label) == due:
                    value = due  # a stroke lost or doubled in a bold "III": the next part or the width says so
        label.word["text"] = to_roman(value) + label.mark + label.rest
        label.arabic = None
        last_roman, last_arabic = value, None
