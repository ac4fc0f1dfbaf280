"""Reader for Word (.docx) renderings of a plan.

Two things make a .docx differ from the plain text of the same plan, and both are undone here:

* Word auto-numbering.  A paragraph shows "a)", "2.1." or "II." but its text does not contain
  the label: Word draws it from ``numbering.xml``.  We replay Word's counters in document order
  and put the rendered label in :attr:`Block.label`, so :mod:`structure` sees what a reader sees.
* Tables and their merged cells.  We walk the body in order (paragraphs and tables interleaved,
  which python-docx's ``document.paragraphs`` would separate) and expand horizontally merged
  cells to the grid, so a header cell spanning four year columns leaves the "X" marks below it
  in the right column.

Text typed in a legacy 8-bit Vietnamese font (TCVN3 ".VnTime", VNI "VNI-Times") is turned into
Unicode run by run, from the font each run resolves to through its styles; when no run names
such a font, the document's character statistics decide (:mod:`.legacy_encoding`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Union

from docx.oxml.ns import qn
from lxml import etree

from ..labels import split_label
from ..model import Block, Location
from .docx_package import WordParts, open_parts
from .legacy_encoding import TCVN3, FontEncoding, decode, detect, font_encoding, is_unicode, restore_capitals
from .text import TERMINAL

MAX_LEVELS = 9
BULLET_LABEL = "-"
# Inline elements whose text a reader sees, in run order; soft breaks and tabs read as spaces.
TEXT_TAGS = {qn("w:t"): None, qn("w:tab"): " ", qn("w:br"): " ", qn("w:cr"): " ", qn("w:noBreakHyphen"): "-"}
_TEXT_TAG_NAMES = tuple(TEXT_TAGS)
W_P, W_TBL, W_SDT, W_SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
W_PPR, W_PSTYLE, W_NUMPR, W_NUMID, W_ILVL = qn("w:pPr"), qn("w:pStyle"), qn("w:numPr"), qn("w:numId"), qn("w:ilvl")
W_R, W_RPR, W_RSTYLE, W_VAL = qn("w:r"), qn("w:rPr"), qn("w:rStyle"), qn("w:val")
W_RFONTS, W_ASCII, W_HANSI = qn("w:rFonts"), qn("w:ascii"), qn("w:hAnsi")
W_DOC_DEFAULTS, W_RPR_DEFAULT = qn("w:docDefaults"), qn("w:rPrDefault")
W_STYLE, W_STYLE_ID, W_BASED_ON = qn("w:style"), qn("w:styleId"), qn("w:basedOn")
W_TYPE, W_DEFAULT = qn("w:type"), qn("w:default")
W_TR, W_TC, W_TRPR, W_TCPR = qn("w:tr"), qn("w:tc"), qn("w:trPr"), qn("w:tcPr")
W_TBL_GRID, W_GRID_COL, W_GRID_SPAN, W_VMERGE = qn("w:tblGrid"), qn("w:gridCol"), qn("w:gridSpan"), qn("w:vMerge")
W_GRID_BEFORE, W_GRID_AFTER = qn("w:gridBefore"), qn("w:gridAfter")
_W = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
# the w:rFonts of each style's w:rPr; the w:hAnsi and w:ascii fonts named anywhere in a body
_STYLE_FONTS = etree.XPath("w:style/w:rPr[1]/w:rFonts[1]", namespaces=_W)
_BODY_FONT_NAMES = etree.XPath(".//w:rFonts/@w:hAnsi | .//w:rFonts/@w:ascii", namespaces=_W, smart_strings=False)
# numbering.xml (w:abstractNumId, w:numId and w:ilvl name an attribute and an element alike)
W_ABSTRACT_NUM, W_NUM, W_LVL, W_LVL_OVERRIDE = qn("w:abstractNum"), qn("w:num"), qn("w:lvl"), qn("w:lvlOverride")
W_ABSTRACT_NUM_ID = qn("w:abstractNumId")
W_START, W_NUM_FMT, W_LVL_TEXT, W_START_OVERRIDE = qn("w:start"), qn("w:numFmt"), qn("w:lvlText"), qn("w:startOverride")


def _val(element) -> Optional[str]:
    """``@w:val`` of an element that may be missing."""
    return None if element is None else element.get(W_VAL)


def _child(element, tag: str):
    """``element.find(tag)``, its first child ``tag`` (or None), at a fraction of the cost:
    lxml's find() compiles its path on every call, and this runs for every paragraph, run
    and cell.  The child a schema puts first (``w:pPr``, ``w:rPr``, ``w:tcPr`` …) is tried
    first."""
    try:
        first = element[0]
    except IndexError:
        return None
    if first.tag == tag:
        return first
    return next(element.iterchildren(tag), None)


def _child_val(element, tag: str) -> Optional[str]:
    """``@w:val`` of the first child ``tag`` of an element that may be missing."""
    return _val(_child(element, tag)) if element is not None else None


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


def _parse_level(lvl) -> Level:
    start = _child_val(lvl, W_START)
    return Level(int(start) if start and start.lstrip("-").isdigit() else 1,
                 _child_val(lvl, W_NUM_FMT) or "decimal",
                 _child_val(lvl, W_LVL_TEXT) or "")


def read_numbering(root) -> NumberingDefinitions:
    """Parse ``numbering.xml``; a document without one (``root`` None) simply has no auto-numbering."""
    defs = NumberingDefinitions()
    if root is None:
        return defs
    for abstract in root.iterchildren(W_ABSTRACT_NUM):
        levels = {int(lvl.get(W_ILVL) or 0): _parse_level(lvl) for lvl in abstract.iterchildren(W_LVL)}
        defs.abstract[abstract.get(W_ABSTRACT_NUM_ID) or ""] = levels
    for num in root.iterchildren(W_NUM):
        num_id = num.get(W_NUMID) or ""
        defs.num_abstract[num_id] = _child_val(num, W_ABSTRACT_NUM_ID) or ""
        for override in num.iterchildren(W_LVL_OVERRIDE):
            ilvl = int(override.get(W_ILVL) or 0)
            start = _child_val(override, W_START_OVERRIDE)
            if start is not None and start.lstrip("-").isdigit():
                defs.start_overrides.setdefault(num_id, {})[ilvl] = int(start)
            lvl = _child(override, W_LVL)
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
        self._levels: dict[str, dict[int, Level]] = {}  # numId → its merged levels, built on first use

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
        levels = self._levels.get(num_id)
        if levels is None:
            levels = self._levels[num_id] = self.defs.levels(num_id)
        for lvl in range(MAX_LEVELS):
            placeholder = f"%{lvl + 1}"
            if placeholder in text:
                definition = levels.get(lvl, Level())
                value = counters[lvl] if counters[lvl] is not None else self._start(num_id, lvl, definition)
                text = text.replace(placeholder, format_number(value, definition.fmt))
        return text


# --------------------------------------------------------------------------- styles

def _font(rpr) -> Optional[str]:
    """The font a ``w:rPr`` sets for the characters a legacy font holds (``w:hAnsi``, the
    font of U+0080–U+00FF, else ``w:ascii``); ``None`` when it sets neither."""
    fonts = _child(rpr, W_RFONTS) if rpr is not None else None
    if fonts is None:
        return None
    return fonts.get(W_HANSI) or fonts.get(W_ASCII)


@dataclass(frozen=True)
class StyleInfo:
    """What the reader needs of one style and the styles it is ``basedOn``, nearest first."""

    num_prs: tuple[tuple[Optional[str], Optional[str]], ...] = ()  # (numId, ilvl) of each w:numPr
    font: Optional[str] = None  # the nearest font in the chain, None when no style sets one


class StyleSheet:
    """``styles.xml`` read once per document: a :class:`StyleInfo` per style id, built on first use.

    A paragraph's style id resolves to the last ``w:style`` carrying it (as a dict over
    python-docx's ``document.styles`` does) and a missing or unknown id to the default paragraph
    style; ``w:basedOn`` resolves to the first one (python-docx's ``get_by_id``).  The basedOn
    chain stops at a style id already seen, so a cycle ends.  Read straight from the XML, so a
    style without ``w:type`` or of type numbering is just another style (python-docx's style
    objects fail on both).
    """

    def __init__(self, root) -> None:
        self._by_id: dict[Optional[str], object] = {}
        self._first: dict[str, object] = {}
        self._cache: dict[str, Optional[StyleInfo]] = {}
        self._root = root
        defaults = _child(root, W_DOC_DEFAULTS)
        rpr_default = _child(defaults, W_RPR_DEFAULT) if defaults is not None else None
        self.default_font: Optional[str] = _font(_child(rpr_default, W_RPR)) if rpr_default is not None else None
        default = None  # the last paragraph style marked w:default, as python-docx's styles.default()
        for style in root.iterchildren(W_STYLE):
            style_id = style.get(W_STYLE_ID)
            self._by_id[style_id] = style
            if style_id is not None:
                self._first.setdefault(style_id, style)
            if style.get(W_TYPE) == "paragraph" and style.get(W_DEFAULT) in ("1", "true", "on"):
                default = style
        self.default: Optional[StyleInfo] = self._info(default) if default is not None else None

    def get(self, style_id: Optional[str]) -> Optional[StyleInfo]:
        """The style with this id (``None`` if there is none)."""
        key = style_id or ""
        try:
            return self._cache[key]
        except KeyError:
            pass
        element = self._by_id.get(key)
        info = self._cache[key] = self._info(element) if element is not None else None
        return info

    def paragraph(self, style_id: Optional[str]) -> Optional[StyleInfo]:
        """A paragraph's style: its ``w:pStyle`` or else the default paragraph style."""
        return self.get(style_id) or self.default

    def _info(self, style) -> StyleInfo:
        num_prs: list[tuple[Optional[str], Optional[str]]] = []
        font: Optional[str] = None
        seen: set[Optional[str]] = set()
        while style is not None and style.get(W_STYLE_ID) not in seen:
            seen.add(style.get(W_STYLE_ID))
            ppr = _child(style, W_PPR)
            num_pr = _child(ppr, W_NUMPR) if ppr is not None else None
            if num_pr is not None:
                num_prs.append((_child_val(num_pr, W_NUMID), _child_val(num_pr, W_ILVL)))
            if font is None:
                font = _font(_child(style, W_RPR))
            based_on = _child_val(style, W_BASED_ON)
            style = self._first.get(based_on) if based_on is not None else None
        return StyleInfo(tuple(num_prs), font)

    def fonts(self) -> set[str]:
        """Every font a style or the document defaults name: the ``w:rFonts`` of each style's
        ``w:rPr`` (what :func:`_font` reads), found by one XPath among the styles."""
        names = {self.default_font} if self.default_font else set()
        for fonts in _STYLE_FONTS(self._root):
            style = fonts.getparent().getparent()
            if self._by_id.get(style.get(W_STYLE_ID)) is style:  # the style its id resolves to
                names.add(fonts.get(W_HANSI) or fonts.get(W_ASCII) or "")
        names.discard("")
        return names


# --------------------------------------------------------------------------- paragraphs

def _num_pr(num_pr, style: Optional[StyleInfo]) -> Optional[tuple[str, int]]:
    """(numId, ilvl) of a paragraph: its own ``numPr`` or one inherited from its style chain."""
    num_id: Optional[str] = None
    ilvl: Optional[str] = None
    if num_pr is not None:
        num_id = _child_val(num_pr, W_NUMID)
        ilvl = _child_val(num_pr, W_ILVL)
    if num_id is None and style is not None:
        for style_num_id, style_ilvl in style.num_prs:
            num_id = style_num_id
            ilvl = ilvl or style_ilvl
            if num_id is not None:
                break
    if num_id is None or num_id == "0":  # numId 0 switches inherited numbering off
        return None
    return num_id, int(ilvl) if ilvl and ilvl.isdigit() else 0


def paragraph_text(p) -> str:
    """The visible text of a ``w:p``: runs, hyperlinks and insertions, not deleted text."""
    return "".join([(element.text or "") if TEXT_TAGS[element.tag] is None else TEXT_TAGS[element.tag]
                    for element in p.iter(_TEXT_TAG_NAMES)])


# --------------------------------------------------------------------------- tables

def _grid_width(tbl) -> int:
    grid = _child(tbl, W_TBL_GRID)
    return sum(1 for _ in grid.iterchildren(W_GRID_COL)) if grid is not None else 0


def _int_val(element, tag: str, default: int) -> int:
    value = _child_val(element, tag)
    return int(value) if value and value.isdigit() else default


class BodyReader:
    """Walks a document body once, keeping numbering counters and the paragraph index."""

    def __init__(self, parts: WordParts) -> None:
        self.body = parts.body
        self.styles = StyleSheet(parts.styles)
        self.numberer = Numberer(read_numbering(parts.numbering))
        self.index = 0
        self.blocks: list[Block] = []
        # Only a document naming a legacy font pays for resolving each run's font.
        self.legacy_fonts = _names_legacy_font(self.styles.fonts(), parts.body)

    def read(self) -> list[Block]:
        for child in self._content(self.body):
            if child.tag == W_P:
                block = self._paragraph(child)
                if block is not None:
                    self._add(block)
                self.index += 1
            else:
                self._table(child)
        if not self.legacy_fonts:
            _decode_by_statistics(self.blocks)
        return self.blocks

    def _text(self, p, style: Optional[StyleInfo]) -> str:
        """A paragraph's text, legacy-font runs turned into Unicode."""
        if not self.legacy_fonts:
            return paragraph_text(p)
        segments: list[tuple[str, Optional[FontEncoding]]] = []
        fonts: dict = {}  # run element → its encoding (the key keeps lxml's proxy alive, so unique)
        for element in p.iter(_TEXT_TAG_NAMES):
            replacement = TEXT_TAGS[element.tag]
            text = (element.text or "") if replacement is None else replacement
            run = element.getparent()
            if run not in fonts:
                fonts[run] = font_encoding(self._run_font(run, style)) if run.tag == W_R else None
            encoding = fonts[run]
            if segments and segments[-1][1] == encoding:
                segments[-1] = (segments[-1][0] + text, encoding)
            else:
                segments.append((text, encoding))
        # Runs in another font (Times New Roman over TCVN3 bytes): their statistics decide.
        unknown = "".join(text for text, encoding in segments if encoding is None)
        guess = detect(unknown, min_signs=2)
        out = []
        tcvn3 = False
        for text, encoding in segments:
            if encoding is None and guess is not None:
                encoding = FontEncoding(guess)
            if encoding is None or is_unicode(text):
                out.append(text)
                continue
            tcvn3 = tcvn3 or (encoding.encoding == TCVN3 and not encoding.capitals)
            out.append(decode(text, encoding.encoding, encoding.capitals))
        text = "".join(out)
        return restore_capitals(text) if tcvn3 else text

    def _run_font(self, run, style: Optional[StyleInfo]) -> Optional[str]:
        """A run's font: its own ``w:rFonts``, its character style's, its paragraph style's,
        the document default."""
        rpr = _child(run, W_RPR)
        font = _font(rpr)
        if font is not None:
            return font
        char_style = _child_val(rpr, W_RSTYLE)
        if char_style is not None:
            info = self.styles.get(char_style)
            if info is not None and info.font is not None:
                return info.font
        if style is not None and style.font is not None:
            return style.font
        return self.styles.default_font

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
        rows = list(tbl.iterchildren(W_TR))
        if len(rows) == 1:
            for tc in self._cells(rows[0]):
                for child in self._content(tc):
                    if child.tag == W_P:
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
            tag = child.tag
            if tag == W_P or tag == W_TBL:
                yield child
            elif tag == W_SDT:
                content = _child(child, W_SDT_CONTENT)
                if content is not None:
                    yield from self._content(content)

    def _label(self, p) -> tuple[Optional[str], Optional[StyleInfo]]:
        """The auto-number label of a paragraph (counted even when the paragraph is empty:
        Word numbers empty items too) and its paragraph style."""
        # the first w:pPr and, in it, the first w:pStyle and w:numPr: one pass over the children
        # (lxml's find() parses its tag argument on every call; this runs for every paragraph)
        style_element = num_pr = None
        for ppr in p.iterchildren(W_PPR):
            for child in ppr:
                tag = child.tag
                if tag == W_PSTYLE:
                    style_element = child if style_element is None else style_element
                elif tag == W_NUMPR:
                    num_pr = child if num_pr is None else num_pr
            break
        style = self.styles.paragraph(_val(style_element))
        num = _num_pr(num_pr, style)
        return (self.numberer.next_label(*num) if num else None), style

    def _paragraph(self, p) -> Optional[Block]:
        label, style = self._label(p)
        text = self._text(p, style).strip()
        if not text:
            return None
        return Block(text, Location(paragraph=self.index), label=label)

    def _cell_text(self, tc) -> str:
        lines = []
        for child in self._content(tc):
            if child.tag == W_P:
                label, style = self._label(child)
                text = self._text(child, style).strip()
                if text:
                    lines.append(f"{label} {text}" if label else text)
            else:  # a nested table: its cells read row by row
                lines.extend(" ".join(row) for row in self._table_rows(child))
        return "\n".join(lines)

    def _cells(self, tr) -> Iterator:
        for child in tr:
            if child.tag == W_TC:
                yield child
            elif child.tag == W_SDT:  # a content control wrapping cells
                yield from child.iter(W_TC)

    def _table_rows(self, tbl) -> list[list[str]]:
        """Rows laid out on the table grid: a cell spanning n columns leaves n-1 empty cells
        after it and a vertically merged continuation cell is empty, as in the text rendering."""
        width = _grid_width(tbl)
        rows = []
        for tr in tbl.iterchildren(W_TR):
            trpr = _child(tr, W_TRPR)
            row = [""] * _int_val(trpr, W_GRID_BEFORE, 0)
            for tc in self._cells(tr):
                tcpr = _child(tc, W_TCPR)
                span = _int_val(tcpr, W_GRID_SPAN, 1)
                vmerge = _child(tcpr, W_VMERGE) if tcpr is not None else None
                continued = vmerge is not None and vmerge.get(W_VAL) in (None, "continue")
                row.append("" if continued else self._cell_text(tc))
                row.extend([""] * (span - 1))
            row.extend([""] * _int_val(trpr, W_GRID_AFTER, 0))
            rows.append(row)
        width = max([width, *(len(r) for r in rows)]) if rows else 0
        return [r + [""] * (width - len(r)) for r in rows]


def _names_legacy_font(style_fonts: set[str], body) -> bool:
    """Whether a style, the defaults or any run of the body names a TCVN3 or VNI font."""
    if any(font_encoding(f) for f in style_fonts):
        return True
    # every run's font names at once (a compiled XPath: one pass in C over thousands of runs)
    names = set(_BODY_FONT_NAMES(body)) - style_fonts
    names.discard("")
    return any(font_encoding(str(name)) for name in names)


def _decode_by_statistics(blocks: list[Block]) -> None:
    """A document that names no legacy font but whose text is TCVN3 or VNI all the same (typed
    in .VnTime, then the font changed): its character statistics say so, and every paragraph
    and cell is decoded."""
    texts = [b.text for b in blocks] + [cell for b in blocks for row in b.rows for cell in row]
    encoding = detect("\n".join(texts))
    if encoding is None:
        return

    def convert(text: str) -> str:
        if is_unicode(text):
            return text
        out = decode(text, encoding)
        return "\n".join(restore_capitals(line) for line in out.split("\n")) if encoding == TCVN3 else out

    for block in blocks:
        block.text = convert(block.text)
        block.rows = [[convert(cell) for cell in row] for row in block.rows]


def read_docx(path: Union[str, Path]) -> tuple[list[Block], None]:
    """One Block per non-empty body paragraph (auto-number in ``label``) and per table."""
    return BodyReader(open_parts(path)).read(), None
