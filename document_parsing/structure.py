"""Build the section tree (Document → Section → Item) from the flat blocks a reader produced."""
from __future__ import annotations

from typing import Iterable

from .labels import split_label
from .model import Block, Document, Item, Section, Table
from .text_utils import clean_space, fold

# Where the body of a plan ends: the recipients list ("Nơi nhận:") under the last part.
CLOSING_MARKERS = ("noi nhan",)


def _path(stack: list[Section], kind: str, label: str) -> str:
    if kind == "roman":
        return label
    if kind == "arabic":
        roman = next((s for s in reversed(stack) if s.kind == "roman"), None)
        return f"{roman.path}.{label}" if roman else label
    return f"{stack[-1].path}.{label}" if stack else label


def build_document(blocks: Iterable[Block], source: str, fmt: str, pages: int | None = None) -> Document:
    doc = Document(source=source, format=fmt, pages=pages)
    stack: list[Section] = []
    closed = False
    recent: list[str] = []  # the last few paragraph texts, to caption a table

    for block in blocks:
        if block.kind == "table":
            rows = [[clean_space(c) for c in row] for row in block.rows]
            rows = [r for r in rows if any(r)]
            if rows:
                # the caption runs from the last "PHỤ LỤC" line (if any) among the last paragraphs
                tail = recent[-4:]
                start = max((i for i, t in enumerate(tail) if fold(t).startswith("phu luc")), default=max(0, len(tail) - 3))
                section = "" if closed or not stack else stack[-1].path
                doc.tables.append(Table(rows, block.location, section, " ".join(tail[start:])))
            continue
        text = clean_space(block.text)
        if block.label:
            text = f"{clean_space(block.label)} {text}"
        if not text:
            continue
        recent.append(text)
        if not closed and stack and fold(text).startswith(CLOSING_MARKERS):
            closed = True
        label = None if closed else split_label(text)
        if label is None or label.kind == "bullet" or (not stack and label.kind == "letter"):
            kind = "list_item" if label and label.kind == "bullet" else "paragraph"
            item = Item(kind, label.rest if kind == "list_item" else text, block.location,
                        bullet=label.label if kind == "list_item" else None)
            if closed:
                doc.closing.append(item)
            elif stack and not stack[-1].heading and not stack[-1].items and not stack[-1].children and kind == "paragraph":
                stack[-1].heading = text  # "III." alone on its line: the next paragraph is its heading
            elif stack:
                stack[-1].items.append(item)
            else:
                doc.preamble.append(item)
            continue
        while stack and _rank(stack[-1]) >= label.rank:
            stack.pop()
        section = Section(label.label, _path(stack, label.kind, label.label), label.rest, label.kind,
                          block.location, parent=stack[-1] if stack else None)
        (stack[-1].children if stack else doc.sections).append(section)
        stack.append(section)
    return doc


def _rank(section: Section) -> int:
    if section.kind == "roman":
        return 0
    if section.kind == "arabic":
        return section.label.count(".") + 1
    return 9
