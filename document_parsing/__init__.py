"""Plan documents (DOCX, DOC, ODT, PDF, text) → the typed model in :mod:`document_parsing.model`.

Knows nothing of Rasa or the database: plain files in, dataclasses out.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from .errors import ParseError
from .model import Block, Document, Item, Location, Section, Table
from .structure import build_document

SUPPORTED = {".txt": "txt", ".md": "txt", ".docx": "docx", ".doc": "doc", ".odt": "odt", ".pdf": "pdf"}
MAX_BYTES = 50 * 1024 * 1024


def parse(path: str | Path, progress: Optional[Callable[[int, int], None]] = None) -> Document:
    """Read one plan file into a :class:`Document`; raise :class:`ParseError` with the reason.

    ``progress(done, total)`` is called with 0 before and then after each page read by OCR
    (scanned PDF pages, which take seconds each); files with a text layer never call it."""
    path = Path(path)
    fmt = SUPPORTED.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(f"định dạng {path.suffix or '(không có phần mở rộng)'} không được hỗ trợ (chỉ nhận {', '.join(SUPPORTED)})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ParseError(f"không mở được tệp ({exc.strerror or exc})") from exc
    if size == 0:
        raise ParseError("tệp rỗng")
    if size > MAX_BYTES:
        raise ParseError(f"tệp quá lớn ({size / 1024 / 1024:.0f} MB, tối đa {MAX_BYTES // 1024 // 1024} MB)")
    try:
        if fmt == "txt":
            from .readers.text import read_text as reader
        elif fmt == "docx":
            from .readers.docx import read_docx as reader
        elif fmt in ("doc", "odt"):
            from .readers.office import read_office as reader
        else:
            from .readers.pdf import read_pdf as reader
        blocks, pages = reader(path, progress) if fmt == "pdf" else reader(path)
    except ParseError:
        raise
    except Exception as exc:  # a corrupt file can fail anywhere inside a third-party reader
        raise ParseError(f"tệp hỏng hoặc không đọc được ({type(exc).__name__}: {exc})".rstrip()) from exc
    doc = build_document(blocks, path.name, fmt, pages)
    if not doc.sections:
        raise ParseError("không tìm thấy nội dung kế hoạch (không có mục đánh số I., 1., a) …)")
    return doc


__all__ = ["parse", "ParseError", "Document", "Section", "Item", "Table", "Block", "Location", "build_document"]
