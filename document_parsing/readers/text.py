"""Reader for plain-text and Markdown renderings of a plan.

Such files come hard-wrapped (a sentence broken over several lines, sometimes across a blank
line), with Markdown marks (``##``, ``**``, ``<sub>``) and the ``|`` left over from a flattened
header table.  We join wrapped lines back into paragraphs and keep tab-separated lines as tables.
The bytes may be UTF-8, UTF-16 or a legacy Vietnamese encoding (TCVN3, VNI): see
:mod:`.legacy_encoding`.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import ParseError
from ..labels import split_label
from ..model import Block, Location
from .legacy_encoding import decode_bytes

TERMINAL = re.compile(r"[.;:!?…]\s*[\"”)]?$|\./\.$")
SEPARATOR = re.compile(r"^[\s|_=\-–—*]*$")
STAR_BULLET = re.compile(r"^\s*\*\s+(?=\S)")
MARKDOWN = [(re.compile(r"^#{1,6}\s*"), ""), (re.compile(r"\*{1,3}|_{2,}"), ""),
            (re.compile(r"<[^>]+>"), ""), (re.compile(r"^\s*\|\s*|\s*\|\s*$"), ""), (re.compile(r"^>\s+"), "")]


def clean_line(line: str) -> str:
    line = line.rstrip("\r\n")
    if "\t" in line:  # a table row: keep the cells apart
        return "\t".join(_strip_marks(cell) for cell in line.split("\t"))
    return _strip_marks(line)


def _strip_marks(text: str) -> str:
    bullet = STAR_BULLET.match(text)  # "* item" is a bullet, not Markdown emphasis
    if bullet:
        text = text[bullet.end():]
    for pattern, repl in MARKDOWN:
        text = pattern.sub(repl, text)
    return ("* " if bullet else "") + text.strip()


def _is_table_line(raw: str) -> bool:
    return raw.count("\t") >= 2


def _starts_paragraph(line: str, current: list[str], after_blank: bool, wrapped: bool) -> bool:
    """Whether ``line`` opens a new paragraph rather than continuing ``current``."""
    if not current:
        return True
    previous = " ".join(current)
    first = line[0]
    own = split_label(previous)
    if own and own.kind != "bullet" and not own.rest:
        return False  # "III." alone on its line: the heading follows on the next one
    ends = bool(TERMINAL.search(previous))
    label = split_label(line)
    if label and label.kind != "bullet":
        return True
    if label and label.kind == "bullet":
        # "- học, nghiên cứu" after "dạy" is a wrapped "dạy - học", not a new bullet
        return ends or not label.rest[:1].islower()
    if first.islower() and not ends:
        return False
    if after_blank or ends:
        return True
    if wrapped:
        # a short numbered heading ("2. Sở Tài chính") followed by its body
        head = split_label(previous)
        word = line.split()[0]
        titled = word[:1].isupper() and (len(word) == 1 or not word.isupper())
        if head and head.kind in ("word", "upper", "roman", "arabic") and len(previous.split()) <= 12 and titled:
            return True
        # a title in capitals followed by ordinary prose ("… CẦN THƠ" / "Thực hiện Quyết định …")
        body = head.rest if head else previous  # "Phần III. NHIỆM VỤ" is a capitals title too
        if body.isupper() and titled and len(line.split()) > 1 and line.split()[1][:1].islower():
            return True
        return False
    return True


def read_text(path: Path) -> tuple[list[Block], None]:
    try:
        content = decode_bytes(path.read_bytes()).text
    except ValueError as exc:
        raise ParseError("tệp văn bản không ở bảng mã nào đọc được (UTF-8, UTF-16, TCVN3 hay VNI)") from exc
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    nonblank = [l for l in lines if l.strip()]
    blank_count = len(lines) - len(nonblank)
    # A file whose paragraphs are separated by blank lines wraps inside them; one without blank
    # lines (a copy from a web page) has one line per fragment and needs heuristics to rejoin.
    wrapped = blank_count < len(nonblank) / 4

    blocks: list[Block] = []
    current: list[str] = []
    start = 0
    table: list[list[str]] = []
    table_start = 0
    after_blank = False

    def flush() -> None:
        nonlocal current
        if current:
            blocks.append(Block(" ".join(current), Location(paragraph=start)))
        current = []

    def flush_table() -> None:
        nonlocal table
        if table:
            blocks.append(Block("", Location(paragraph=table_start), kind="table", rows=table))
        table = []

    for number, raw_line in enumerate(lines):
        if _is_table_line(raw_line):
            flush()
            if not table:
                table_start = number
            table.append([c.strip() for c in clean_line(raw_line).split("\t")])
            continue
        line = clean_line(raw_line)
        if not line:
            after_blank = True
            continue
        if SEPARATOR.match(line):
            flush()
            after_blank = True
            continue
        flush_table()
        if _starts_paragraph(line, current, after_blank, wrapped):
            flush()
            start = number
        current.append(line)
        after_blank = False
    flush()
    flush_table()
    return blocks, None
