"""Reader for Word (.docx) renderings of a plan.

Two things make a .docx differ from the plain text of the same plan, and both are undone here:

* Word auto-numbering.  A paragraph shows "a)", "2.1." or "II." but its text does not contain
  the label: Word draws it from ``numbering.xml``.  We replay Word's counters in document order
  and put the rendered label in :attr:`Block.label`, so :mod:`structure` sees what a reader sees.
* Tables and their merged cells.  We walk the body in order (paragraphs and tables interleaved,
  which python-docx's ``document.paragraphs`` would separate) and expand horizontally merged
  cells to the grid, so a header cell spanning four year columns leaves the "X" marks below it
  in the right column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Union

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.styles.style import BaseStyle

from ..labels import split_label
from ..model import Block, Location
from .text import TERMINAL

MAX_LEVELS = 9
BULLET_LABEL = "-"
# Inline elements whose text a reader sees, in run order; soft breaks and tabs read as spaces.
TEXT_TAGS = {qn("w:t"): None, qn("w:tab"): " ", qn("w:br"): " ", qn("w:cr"): " ", qn("w:noBreakHyphen"): "-"}


def continues_previous(previous: str, text: str) -> bool:
    """Whether paragraph ``text`` is the rest of ``previous`` cut before a hyphen: it starts
    with "- " and a lowercase word while ``previous`` has no closing punctuation.  The same
    rule as the text reader's, so "dạy - học" survives in every rendering."""
    label = split_label(text)
    if label is None or label.kind != "bullet" or label.label != "-":
        return False
    return label.rest[:1].islower() and not TERMINAL.search(previous.rstrip())


# --------------------------------------------------------------------------- numbering

@dataclass(frozen=True)
class Level:
    """One level of a Word list definition (``w:lvl``)."""

    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


@dataclass
class NumberingDefinitions:
    """``numbering.xml`` as plain dicts: abstract list definitions and the ``w:num`` s using them."""

    abstract: dict[str, dict[int, Level]] = field(default_factory=dict)
    num_abstract: dict[str, str] = field(default_factory=dict)  # numId → abstractNumId
    overrides: dict[str, dict[int, Level]] = field(default_factory=dict)  # numId → levels it redefines
    start_overrides: dict[str, dict[int, int]] = field(default_factory=dict)  # numId → ilvl → start

    def level(self, num_id: str, ilvl: int) -> Optional[Level]:
        if ilvl in self.overrides.get(num_id, {}):
            return self.overrides[num_id][ilvl]
        abstract = self.abstract.get(self.num_abstract.get(num_id, ""), {})
        return abstract.get(ilvl)

    def levels(self, num_id: str) -> dict[int, Level]:
        merged = dict(self.abstract.get(self.num_abstract.get(num_id, ""), {}))
        merged.update(self.overrides.get(num_id, {}))
        return merged


def _attr(element, name: str) -> Optional[str]:
    return None if element is None else element.get(qn(name))


def _child_val(element, tag: str) -> Optional[str]:
    return _attr(element.find(qn(tag)), "w:val") if element is not None else None


def _parse_level(lvl) -> Level:
    start = _child_val(lvl, "w:start")
    return Level(int(start) if start and start.lstrip("-").isdigit() else 1,
                 _child_val(lvl, "w:numFmt") or "decimal",
                 _child_val(lvl, "w:lvlText") or "")


def read_numbering(document: WordDocument) -> NumberingDefinitions:
    """Parse ``numbering.xml``; a document without one simply has no auto-numbering."""
    defs = NumberingDefinitions()
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return defs
    for abstract in root.findall(qn("w:abstractNum")):
        levels = {int(_attr(lvl, "w:ilvl") or 0): _parse_level(lvl) for lvl in abstract.findall(qn("w:lvl"))}
        defs.abstract[_attr(abstract, "w:abstractNumId") or ""] = levels
    for num in root.findall(qn("w:num")):
        num_id = _attr(num, "w:numId") or ""
        defs.num_abstract[num_id] = _child_val(num, "w:abstractNumId") or ""
        for override in num.findall(qn("w:lvlOverride")):
            ilvl = int(_attr(override, "w:ilvl") or 0)
            start = _child_val(override, "w:startOverride")
            if start is not None and start.lstrip("-").isdigit():
                defs.start_overrides.setdefault(num_id, {})[ilvl] = int(start)
            lvl = override.find(qn("w:lvl"))
            if lvl is not None:
                defs.overrides.setdefault(num_id, {})[ilvl] = _parse_level(lvl)
    return defs


def _roman(number: int) -> str:
    values = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
              (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, letters in values:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def _letters(number: int) -> str:
    """Word's letter numbering: a … z, then aa … zz, aaa … (not spreadsheet-style ab)."""
    number = max(number, 1)
    return chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)


def format_number(number: int, fmt: str) -> str:
    """One level's counter in its ``numFmt``; unknown formats fall back to decimal, as Word does."""
    if fmt == "lowerLetter":
        return _letters(number)
    if fmt == "upperLetter":
        return _letters(number).upper()
    if fmt == "lowerRoman":
        return _roman(number).lower()
    if fmt == "upperRoman":
        return _roman(number)
    if fmt == "decimalZero":
        return f"{number:02d}"
    if fmt == "none":
        return ""
    return str(number)


class Numberer:
    """Replays Word's list counters in document order.

    Nums that share an abstract definition continue one list (that is how Word numbers
    "1., 2." across separate w:num ids); a num with a ``lvlOverride`` is a list instance of its
    own, and its ``startOverride`` restarts the count the first time it is used.
    """

    def __init__(self, defs: NumberingDefinitions) -> None:
        self.defs = defs
        self.counters: dict[str, list[Optional[int]]] = {}
        self.started: set[str] = set()

    def _key(self, num_id: str) -> str:
        if num_id in self.defs.overrides or num_id in self.defs.start_overrides:
            return f"num:{num_id}"
        return f"abstract:{self.defs.num_abstract.get(num_id, num_id)}"

    def _start(self, num_id: str, ilvl: int, level: Level) -> int:
        return self.defs.start_overrides.get(num_id, {}).get(ilvl, level.start)

    def next_label(self, num_id: str, ilvl: int) -> Optional[str]:
        """Advance the counter of (list, level) and return the label Word would print."""
        level = self.defs.level(num_id, ilvl)
        if level is None or not 0 <= ilvl < MAX_LEVELS:
            return None
        counters = self.counters.setdefault(self._key(num_id), [None] * MAX_LEVELS)
        if num_id not in self.started:  # a startOverride restarts its level at first use
            self.started.add(num_id)
            for lvl in self.defs.start_overrides.get(num_id, {}):
                if 0 <= lvl < MAX_LEVELS:
                    counters[lvl] = None
        current = counters[ilvl]
        counters[ilvl] = self._start(num_id, ilvl, level) if current is None else current + 1
        for deeper in range(ilvl + 1, MAX_LEVELS):
            counters[deeper] = None
        if level.fmt == "bullet":
            return BULLET_LABEL
        return self._render(num_id, level.text, counters).strip() or None

    def _render(self, num_id: str, text: str, counters: list[Optional[int]]) -> str:
        """Fill "%1.%2." with each level's counter in that level's own format."""
        levels = self.defs.levels(num_id)
        for lvl in range(MAX_LEVELS):
            placeholder = f"%{lvl + 1}"
            if placeholder in text:
                definition = levels.get(lvl, Level())
                value = counters[lvl] if counters[lvl] is not None else self._start(num_id, lvl, definition)
                text = text.replace(placeholder, format_number(value, definition.fmt))
        return text


# --------------------------------------------------------------------------- paragraphs

def _style_chain(style: Optional[BaseStyle]) -> Iterator[BaseStyle]:
    seen = set()
    while style is not None and style.style_id not in seen:
        seen.add(style.style_id)
        yield style
        style = style.base_style


def _num_pr(p, style: Optional[BaseStyle]) -> Optional[tuple[str, int]]:
    """(numId, ilvl) of a paragraph: its own ``numPr`` or one inherited from its style chain."""
    num_id: Optional[str] = None
    ilvl: Optional[str] = None
    ppr = p.find(qn("w:pPr"))
    candidates = [ppr] + [s.element.find(qn("w:pPr")) for s in _style_chain(style)]
    for candidate in candidates:
        num_pr = candidate.find(qn("w:numPr")) if candidate is not None else None
        if num_pr is None:
            continue
        num_id = num_id or _child_val(num_pr, "w:numId")
        ilvl = ilvl or _child_val(num_pr, "w:ilvl")
        if num_id is not None:
            break
    if num_id is None or num_id == "0":  # numId 0 switches inherited numbering off
        return None
    return num_id, int(ilvl) if ilvl and ilvl.isdigit() else 0


def paragraph_text(p) -> str:
    """The visible text of a ``w:p``: runs, hyperlinks and insertions, not deleted text."""
    parts = []
    for element in p.iter(*TEXT_TAGS):
        replacement = TEXT_TAGS[element.tag]
        parts.append(element.text or "" if replacement is None else replacement)
    return "".join(parts)


def _on(value: Optional[str]) -> bool:
    return value not in ("0", "false", "off")


def _style_bold(style: Optional[BaseStyle]) -> Optional[bool]:
    for s in _style_chain(style):
        rpr = s.element.find(qn("w:rPr"))
        b = rpr.find(qn("w:b")) if rpr is not None else None
        if b is not None:
            return _on(_attr(b, "w:val"))
    return None


def _all_bold(p, paragraph_style: Optional[BaseStyle], styles: dict[str, BaseStyle]) -> bool:
    """Whether every run that carries text is bold (directly, by character or paragraph style)."""
    base = bool(_style_bold(paragraph_style))
    saw_text = False
    for run in p.iter(qn("w:r")):
        if not paragraph_text(run).strip():
            continue
        saw_text = True
        rpr = run.find(qn("w:rPr"))
        b = rpr.find(qn("w:b")) if rpr is not None else None
        if b is not None:
            bold = _on(_attr(b, "w:val"))
        else:
            char_style_id = _child_val(rpr, "w:rStyle") if rpr is not None else None
            char_bold = _style_bold(styles.get(char_style_id or ""))
            bold = base if char_bold is None else char_bold
        if not bold:
            return False
    return saw_text


def _paragraph_style(p, styles: dict[str, BaseStyle], default: Optional[BaseStyle]) -> Optional[BaseStyle]:
    ppr = p.find(qn("w:pPr"))
    style_id = _child_val(ppr, "w:pStyle") if ppr is not None else None
    return styles.get(style_id or "") or default


def _is_heading_style(style: Optional[BaseStyle]) -> bool:
    return any((s.name or "").lower().startswith(("heading", "title")) for s in _style_chain(style))


# --------------------------------------------------------------------------- tables

def _grid_width(tbl) -> int:
    grid = tbl.find(qn("w:tblGrid"))
    return len(grid.findall(qn("w:gridCol"))) if grid is not None else 0


def _int_val(element, tag: str, default: int) -> int:
    value = _child_val(element, tag) if element is not None else None
    return int(value) if value and value.isdigit() else default


class BodyReader:
    """Walks a document body once, keeping numbering counters and the paragraph index."""

    def __init__(self, document: WordDocument) -> None:
        self.styles = {s.style_id: s for s in document.styles}
        self.default_style = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self.numberer = Numberer(read_numbering(document))
        self.index = 0
        self.blocks: list[Block] = []

    def read(self, body) -> list[Block]:
        for child in self._content(body):
            if child.tag == qn("w:p"):
                block = self._paragraph(child)
                if block is not None:
                    self._add(block)
                self.index += 1
            elif child.tag == qn("w:tbl"):
                self._table(child)
        return self.blocks

    def _add(self, block: Block) -> None:
        """Append a paragraph, or glue it to the previous one when it is the tail of a
        sentence broken before a hyphen ("… dạy" + "- học, …" in documents pasted from a
        hard-wrapped text): a lowercase "bullet" after a paragraph left unfinished."""
        previous = self.blocks[-1] if self.blocks else None
        if (previous is not None and previous.kind == "paragraph" and block.label is None
                and continues_previous(previous.text, block.text)):
            previous.text = f"{previous.text} {block.text}"
            return
        self.blocks.append(block)

    def _table(self, tbl) -> None:
        """A one-row table is page layout (the letterhead, the "Nơi nhận" / signature block),
        not data: its cells are read as paragraphs, column by column, as a reader sees them and
        as the text rendering has them, so that "Nơi nhận:" still closes the body."""
        rows = tbl.findall(qn("w:tr"))
        if len(rows) == 1:
            for tc in self._cells(rows[0]):
                for child in self._content(tc):
                    if child.tag == qn("w:p"):
                        block = self._paragraph(child)
                        if block is not None:
                            self._add(block)
                    else:
                        self._table(child)
            return
        cells = self._table_rows(tbl)
        if cells:
            self.blocks.append(Block("", Location(paragraph=self.index), kind="table", rows=cells))

    def _content(self, container) -> Iterator:
        """Paragraphs and tables in order, looking inside content controls (``w:sdt``)."""
        for child in container:
            if child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from self._content(content)
            elif child.tag in (qn("w:p"), qn("w:tbl")):
                yield child

    def _label(self, p, style: Optional[BaseStyle]) -> Optional[str]:
        num = _num_pr(p, style)
        return self.numberer.next_label(*num) if num else None

    def _paragraph(self, p) -> Optional[Block]:
        style = _paragraph_style(p, self.styles, self.default_style)
        label = self._label(p, style)  # counted even when empty: Word numbers empty items too
        text = paragraph_text(p).strip()
        if not text:
            return None
        heading = _is_heading_style(style) or _all_bold(p, style, self.styles)
        return Block(text, Location(paragraph=self.index), label=label, heading=heading)

    def _cell_text(self, tc) -> str:
        lines = []
        for child in self._content(tc):
            if child.tag == qn("w:p"):
                style = _paragraph_style(child, self.styles, self.default_style)
                label = self._label(child, style)
                text = paragraph_text(child).strip()
                if text:
                    lines.append(f"{label} {text}" if label else text)
            else:  # a nested table: its cells read row by row
                lines.extend(" ".join(row) for row in self._table_rows(child))
        return "\n".join(lines)

    def _cells(self, tr) -> Iterator:
        for child in tr:
            if child.tag == qn("w:tc"):
                yield child
            elif child.tag == qn("w:sdt"):  # a content control wrapping cells
                yield from child.iter(qn("w:tc"))

    def _table_rows(self, tbl) -> list[list[str]]:
        """Rows laid out on the table grid: a cell spanning n columns leaves n-1 empty cells
        after it and a vertically merged continuation cell is empty, as in the text rendering."""
        width = _grid_width(tbl)
        rows = []
        for tr in tbl.findall(qn("w:tr")):
            trpr = tr.find(qn("w:trPr"))
            row = [""] * _int_val(trpr, "w:gridBefore", 0)
            for tc in self._cells(tr):
                tcpr = tc.find(qn("w:tcPr"))
                span = _int_val(tcpr, "w:gridSpan", 1)
                vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
                continued = vmerge is not None and _attr(vmerge, "w:val") in (None, "continue")
                row.append("" if continued else self._cell_text(tc))
                row.extend([""] * (span - 1))
            row.extend([""] * _int_val(trpr, "w:gridAfter", 0))
            rows.append(row)
        width = max([width, *(len(r) for r in rows)]) if rows else 0
        return [r + [""] * (width - len(r)) for r in rows]


def read_docx(path: Union[str, Path]) -> tuple[list[Block], None]:
    """One Block per non-empty body paragraph (auto-number in ``label``) and per table."""
    document = docx.Document(str(path))
    return BodyReader(document).read(document.element.body), None
