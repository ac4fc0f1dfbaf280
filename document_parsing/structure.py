"""Build the section tree (Document → Section → Item) from the flat blocks a reader produced.

Which numbering style is the outer one is learnt from the document, not taken from a table:
- the styles that name parts ("Phần", "Chương", "A.", "I.") rank in the order they are first met,
  so "A. … I. … 1." and "I. … A. … 1." both nest as printed;
- a decimal label "1.2.3" sits under the open "1.2" (or "1." for "1.2");
- any other style already open closes back to its sibling; a style not open yet goes one level
  deeper, unless the document has already shown it to be outer to what is open.
A Quyết định that carries its plan is cut at the plan's own title: its articles ("Điều 1 …") and
signature go to the front matter, and the plan's numbering starts after "(Ban hành kèm theo …)".
"""
from __future__ import annotations

from typing import Iterable, Optional

from .labels import Label, split_label
from .model import Block, Document, Item, Section, Table
from .text_utils import clean_space, fold, transformed_head

# Where the body of a plan ends: the recipients list ("Nơi nhận:") under the last part.
CLOSING_MARKERS = ("noi nhan",)
# The line under an attached plan's title: "(Ban hành kèm theo Quyết định số … ngày …)"
ATTACHED_PLAN = ("(ban hanh kem theo quyet dinh", "(kem theo quyet dinh")
PART_KINDS = ("word", "upper", "roman")
PLAN_TITLE = "ke hoach"  # "KẾ HOẠCH", over an attached plan
APPENDIX_TITLE = "phu luc"  # "PHỤ LỤC", over an appendix's table
# The markers that open a paragraph, looked for in its folded start (see _fold_start).
OPENING_MARKERS = (*CLOSING_MARKERS, PLAN_TITLE, APPENDIX_TITLE)
MARKER_LENGTH = max(map(len, OPENING_MARKERS))
MARKER_INITIALS = frozenset(marker[0] for marker in OPENING_MARKERS)


class _Nesting:
    """What the document has shown so far about which label style is outer to which."""

    def __init__(self) -> None:
        self.part_order: list[str] = []  # part styles in the order first met
        self.outer: set[tuple[str, str]] = set()  # (outer style, inner style) pairs seen nested

    def learn(self, stack: list[Section], style: str) -> None:
        for open_section in stack:
            self.outer.add((open_section.style, style))

    def part_rank(self, style: str) -> int:
        if style not in self.part_order:
            self.part_order.append(style)
        return self.part_order.index(style)

    def place(self, stack: list[Section], label: Label) -> None:
        """Pop ``stack`` so that its top is the parent of a new section labelled ``label``."""
        if label.kind == "arabic" and label.depth > 1:
            parent_depth = label.depth - 1
            prefix = label.label.rsplit(".", 1)[0]
            for i in range(len(stack) - 1, -1, -1):
                s = stack[i]
                if s.kind == "arabic" and (s.label.count(".") + 1) == parent_depth and s.label == prefix:
                    del stack[i + 1:]
                    return
            for i in range(len(stack) - 1, -1, -1):  # numbering that skips a number: any open shallower one
                s = stack[i]
                if s.kind == "arabic" and s.label.count(".") + 1 < label.depth:
                    del stack[i + 1:]
                    return
        if label.kind in PART_KINDS:
            rank = self.part_rank(label.style)
            while stack and (stack[-1].kind not in PART_KINDS or self.part_rank(stack[-1].style) >= rank):
                stack.pop()
            return
        same = next((i for i in range(len(stack) - 1, -1, -1) if stack[i].style == label.style
                     and not (label.kind == "arabic" and stack[i].label.count(".") + 1 != label.depth)), None)
        if same is not None:
            del stack[same:]
            return
        while stack and stack[-1].kind not in PART_KINDS and (label.style, stack[-1].style) in self.outer \
                and (stack[-1].style, label.style) not in self.outer:
            stack.pop()


def _path(parent: Optional[Section], label: Label) -> str:
    """"III.2.a": the parent's path and this label; a decimal label "1.2" already carries its
    decimal ancestors, so it replaces them ("II" + "1.2" → "II.1.2")."""
    node = parent
    if label.kind == "arabic" and label.depth > 1:
        while node is not None and node.kind == "arabic":
            node = node.parent
    return f"{node.path}.{label.label}" if node is not None else label.label


def _fold_start(text: str) -> str:
    """The folded start of a paragraph, as long as the longest of :data:`OPENING_MARKERS`, which
    are looked for in it: folding is the dearest step per paragraph and most paragraphs are
    long, so only their first words are folded (:func:`transformed_head`).  A paragraph opening
    with an ASCII character (which folds to itself lowercased) that opens no marker, as most do
    ("Tổ chức", "1. Mục tiêu"), is not folded at all: ""."""
    first = text[:1]
    if first.isascii() and not first.isspace() and first and first.lower() not in MARKER_INITIALS:
        return ""
    return transformed_head(fold, text, MARKER_LENGTH)


def _is_attached_plan_start(text: str, recent_folded: list[str]) -> bool:
    """"(Ban hành kèm theo Quyết định …)" right under a "KẾ HOẠCH" title (not an appendix's).
    The line may sit anywhere in the paragraph, so the whole paragraph is folded, but only when
    it has a "(" (no other character folds to one) under such a title: rarely.  The recent
    paragraphs (this one last) come folded by :func:`_fold_start`."""
    return ("(" in text and any(t.startswith(PLAN_TITLE) for t in recent_folded[-4:])
            and any(m in fold(text) for m in ATTACHED_PLAN))


def build_document(blocks: Iterable[Block], source: str, fmt: str, pages: int | None = None) -> Document:
    doc = Document(source=source, format=fmt, pages=pages)
    stack: list[Section] = []
    nesting = _Nesting()
    closed = False
    recent: list[str] = []  # the last few paragraph texts, to caption a table
    recent_folded: list[str] = []  # the same, folded (their starts: _fold_start)

    for block in blocks:
        if block.kind == "table":
            rows = [[clean_space(c) for c in row] for row in block.rows]
            rows = [r for r in rows if any(r)]
            if rows:
                # the caption runs from the last "PHỤ LỤC" line (if any) among the last paragraphs
                tail = recent[-4:]
                start = max((i for i, t in enumerate(recent_folded[-4:]) if t.startswith(APPENDIX_TITLE)),
                            default=max(0, len(tail) - 3))
                section = "" if closed or not stack else stack[-1].path
                doc.tables.append(Table(rows, block.location, section, " ".join(tail[start:])))
            continue
        text = clean_space(block.text)
        if block.label:
            text = f"{clean_space(block.label)} {text}"
        if not text:
            continue
        folded = _fold_start(text)
        recent.append(text)
        recent_folded.append(folded)
        if _is_attached_plan_start(text, recent_folded) and (doc.sections or closed):
            # a decision that carries its plan: what came before is the decision's front matter
            _flatten_into_preamble(doc)
            stack, nesting, closed = [], _Nesting(), False
            doc.preamble.append(Item("paragraph", text, block.location))
            continue
        if not closed and stack and folded.startswith(CLOSING_MARKERS):
            closed = True
        label = None if closed else split_label(text)
        if label is not None and label.kind == "letter" and not stack:
            label = None
        if label is None or label.kind == "bullet":
            kind = "list_item" if label else "paragraph"
            item = Item(kind, label.rest if label else text, block.location, bullet=label.label if label else None)
            if closed:
                doc.closing.append(item)
            elif stack and not stack[-1].heading and not stack[-1].items and not stack[-1].children and kind == "paragraph":
                stack[-1].heading = text  # "III." alone on its line: the next paragraph is its heading
            elif stack:
                stack[-1].items.append(item)
            else:
                doc.preamble.append(item)
            continue
        nesting.place(stack, label)
        nesting.learn(stack, label.style)
        parent = stack[-1] if stack else None
        section = Section(label.label, _path(parent, label), label.rest, label.kind, block.location,
                          style=label.style, parent=parent)
        (parent.children if parent else doc.sections).append(section)
        stack.append(section)
    return doc


def _flatten_into_preamble(doc: Document) -> None:
    """Move everything read so far (a decision's articles, its signature) into the front matter."""
    for section in doc.sections:
        for node in section.walk():
            label = node.label if node.kind != "word" else f"{node.style.split(':')[-1].capitalize()} {node.label}"
            doc.preamble.append(Item("paragraph", f"{label}. {node.heading}".strip(), node.location))
            doc.preamble.extend(node.items)
    doc.preamble.extend(doc.closing)
    doc.sections, doc.closing = [], []
    doc.tables = []
