"""The typed document model every extractor reads: Document → Section → Item.

Readers (``readers/``) turn a file into a flat list of :class:`Block` s; :mod:`structure`
turns blocks into the section tree.  Keeping the readers this dumb is what makes the four
renderings of a plan (txt, docx, auto-numbered docx, pdf) give the same tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Literal, Optional

BlockKind = Literal["paragraph", "table"]
ItemKind = Literal["paragraph", "list_item", "table_row"]


@dataclass(frozen=True)
class Location:
    """Where a piece of text came from: a 1-based page (PDF) and/or a 0-based paragraph index."""

    page: Optional[int] = None
    paragraph: Optional[int] = None

    def __str__(self) -> str:
        if self.page is not None:
            return f"trang {self.page}"
        return f"đoạn {self.paragraph}"


@dataclass
class Block:
    """One paragraph or one table as a reader saw it, before any structure is recognised.

    ``label`` is set only when the format keeps the list label outside the text (Word
    auto-numbering: the paragraph shows "a)" but its text does not contain it).
    """

    text: str
    location: Location
    kind: BlockKind = "paragraph"
    label: Optional[str] = None
    rows: list[list[str]] = field(default_factory=list)  # for kind == "table"


@dataclass
class Item:
    """A paragraph, a bulleted list item ("-", "+") or a table row inside a section."""

    kind: ItemKind
    text: str
    location: Location
    bullet: Optional[str] = None  # "-", "+", "•" for list items
    cells: list[str] = field(default_factory=list)  # for table rows


@dataclass
class Table:
    """A table with its rows of cell texts; ``section`` is the path of the enclosing section."""

    rows: list[list[str]]
    location: Location
    section: str = ""
    caption: str = ""  # the text just above it ("PHỤ LỤC …"), which says what it is


@dataclass
class Section:
    """A numbered part of the plan.

    ``label`` is the number as printed without punctuation ("III", "2", "2.1", "a"); ``path``
    joins the labels from the outermost part ("III.2.a"); ``heading`` is the text that follows
    the label on the same paragraph (for a lettered task it is the whole task).
    """

    label: str
    path: str
    heading: str
    kind: str  # "word" | "upper" | "roman" | "arabic" | "letter"
    location: Location
    style: str = ""  # how its label is written ("roman", "arabic.", "dotted", "letter)" …), see labels.py
    items: list[Item] = field(default_factory=list)
    children: list["Section"] = field(default_factory=list)
    parent: Optional["Section"] = field(default=None, repr=False, compare=False)

    def walk(self) -> Iterator["Section"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self) -> Iterator["Section"]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    @property
    def top(self) -> "Section":
        """The outermost part this section belongs to."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def text(self) -> str:
        """Heading and item texts joined by spaces: the same for every rendering of a plan,
        whichever way its reader cut the paragraphs."""
        return " ".join([self.heading, *(i.text for i in self.items if i.kind != "table_row")]).strip()


@dataclass
class Document:
    """A parsed plan: front matter before the first numbered part, the section tree, tables."""

    source: str  # file name
    format: str  # "txt" | "docx" | "doc" | "odt" | "pdf"
    preamble: list[Item] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    closing: list[Item] = field(default_factory=list)  # from "Nơi nhận" on: signature, appendix captions
    tables: list[Table] = field(default_factory=list)
    pages: Optional[int] = None

    def walk(self) -> Iterator[Section]:
        for section in self.sections:
            yield from section.walk()

    def full_text(self) -> str:
        parts = [i.text for i in self.preamble]
        for s in self.walk():
            parts.append(s.heading)
            parts.extend(i.text for i in s.items)
        parts.extend(i.text for i in self.closing)
        return "\n".join(parts)
