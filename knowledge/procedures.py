"""Online education procedures (chuyển trường, cấp bản sao văn bằng, miễn giảm học phí…):
loading ``samples/procedures.yml`` into the KB, ranked search, and a Vietnamese answer that
quotes only what the source page states, with its URL and locality.

  python -m knowledge.procedures load samples/procedures.yml [--kb URL]

Loading is idempotent: entries are matched on their ``id`` (slug), unchanged ones are left
alone, changed ones replaced, and entries no longer in the file removed — the file is the truth.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from document_parsing.text_utils import nfc

from .db import session_scope
from . import models
from .geography import provinces_in
from .procedure_models import Procedure
from .textsearch import Doc, Vocabulary, coverage, folded_words, make_query, matched_share

GOOD = 0.55  # coverage from which a procedure is taken to be the one asked about
LOCALITY_BONUS = 0.5  # the question names the entry's province
OTHER_LOCALITY_PENALTY = 0.2  # … or names another province than the entry's


MIN_MATCHED = 0.35  # share of the question's words the entry must contain (textsearch.matched_share)
MIN_MATCHED_WITH_UNKNOWN = 0.6  # … when the question has words no entry uses ("lái xe")


@dataclass
class ProcedureHit:
    procedure: dict  # the entry as in procedures.yml
    score: float
    matched: float = 0.0
    unknown: tuple[str, ...] = ()  # question words no entry uses


def is_answer(hit: ProcedureHit) -> bool:
    """Whether a hit is good enough to be given as the answer rather than "không tìm thấy"."""
    floor = MIN_MATCHED_WITH_UNKNOWN if hit.unknown else MIN_MATCHED
    return hit.score >= GOOD and hit.matched >= floor


# ---------------------------------------------------------------------------- loading


def _entry_text(entry: dict) -> str:
    parts = [entry.get("name") or "", entry.get("name") or "", entry.get("name_note") or "",
             entry.get("locality") or "", entry.get("field") or "", entry.get("procedure_type") or "",
             " ".join(entry.get("facts") or []), " ".join(entry.get("steps") or [])]
    return " ".join(p for p in parts if p)


def _hash(entry: dict) -> str:
    return hashlib.sha256(json.dumps(entry, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def read_entries(path: Path) -> list[dict]:
    """The entries of a procedures file; each must have ``id`` and ``source``."""
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: cần một danh sách YAML các thủ tục")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("source"):
            raise ValueError(f"{path}: mục thứ {i + 1} thiếu 'id' hoặc 'source'")
    return [_nfc(e) for e in entries]


def _nfc(value):
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


def load_procedures(session_factory: sessionmaker, path: Path) -> dict[str, int]:
    """Make the procedures table equal to the file, in one transaction; returns counts of
    added, updated, unchanged and removed entries."""
    entries = read_entries(path)
    counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
    with session_factory() as session, session.begin():
        existing = {p.slug: p for p in session.execute(select(Procedure)).scalars()}
        for entry in entries:
            digest = _hash(entry)
            row = existing.pop(entry["id"], None)
            if row is not None and row.content_hash == digest:
                counts["unchanged"] += 1
                continue
            if row is None:
                row = Procedure(slug=entry["id"])
                session.add(row)
                counts["added"] += 1
            else:
                counts["updated"] += 1
            row.name = entry.get("name")
            row.locality = entry.get("locality")
            row.source = entry["source"]
            row.source_date = str(entry["source_date"]) if entry.get("source_date") else None
            row.data = entry
            row.content_hash = digest
            row.folded = models.search_key(_entry_text(entry))
        for row in existing.values():
            session.delete(row)
            counts["removed"] += 1
    return counts


# ---------------------------------------------------------------------------- search


@dataclass
class _Index:
    key: tuple
    entries: list[dict]
    docs: list[Doc]
    places: list[set[str]]
    vocab: Vocabulary


_cache: dict[str, _Index] = {}
_lock = threading.Lock()




def _index(session: Session) -> _Index:
    url = str(session.get_bind().url)
    rows = session.execute(select(Procedure.slug, Procedure.content_hash).order_by(Procedure.slug)).all()
    key = tuple(tuple(r) for r in rows)
    with _lock:
        cached = _cache.get(url)
        if cached is not None and cached.key == key:
            return cached
        entries = [p.data for p in session.execute(select(Procedure).order_by(Procedure.id)).scalars()]
        docs = [Doc.of(_entry_text(e)) for e in entries]
        places = [{" ".join(folded_words(p)) for p in provinces_in(e.get("locality") or "")} for e in entries]
        index = _cache[url] = _Index(key, entries, docs, places, Vocabulary(docs))
        return index


def search_procedures(text: str, *, session: Optional[Session] = None, limit: int = 5) -> list[ProcedureHit]:
    """Procedure entries ranked for a citizen's question; a locality named in the question
    (a province) favours that province's page."""
    with session_scope(session) as s:
        index = _index(s)
        asked_places = {" ".join(folded_words(p)) for p in provinces_in(text)}
        # Every entry is a "thủ tục": the word names the kind of question, not the subject.
        drop = {w for place in asked_places for w in place.split()} | {"thu", "tuc"}
        query = index.vocab.repair(make_query(text, drop=drop))
        unknown = tuple(index.vocab.unknown(query))
        hits = []
        for entry, doc, places in zip(index.entries, index.docs, index.places):
            score = coverage(query, doc, index.vocab)
            matched = matched_share(query, doc, index.vocab)
            if asked_places & places:
                score += LOCALITY_BONUS
            elif asked_places and places:
                score -= OTHER_LOCALITY_PENALTY
            hits.append(ProcedureHit(entry, score, matched, unknown))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]


# ---------------------------------------------------------------------------- answers


FIELD_CUES: list[tuple[str, tuple[str, ...], str]] = [
    # (cue regex on the folded question, fields to quote, what the user asked, for "no info")
    (r"ho so|giay to|can nhung gi|can gi|mang theo|mau don|don xin", ("documents", "documents_quantity", "forms"),
     "thành phần hồ sơ"),
    (r"bao lau|may ngay|thoi gian|thoi han|bao nhieu ngay|khi nao co ket qua", ("processing_time",),
     "thời gian giải quyết"),
    (r"le phi|\bphi\b|bao nhieu tien|mat tien|chi phi", ("fee",), "phí, lệ phí"),
    (r"nop o dau|nop tai|noi nop|dia chi|truc tuyen|online|cong dich vu|nop qua|o dau", (
        "submission", "submission_note", "portal", "receiving_office", "office_hours", "submission_period"),
     "nơi và cách nộp hồ sơ"),
    (r"cac buoc|quy trinh|trinh tu|lam the nao|cach lam|thuc hien nhu|huong dan", ("steps",), "các bước thực hiện"),
    (r"co quan nao|ai giai quyet|tham quyen|ai cap|ai duyet|noi giai quyet", ("agency",), "cơ quan giải quyết"),
    (r"ket qua|nhan duoc gi", ("result", "result_delivery"), "kết quả"),
    (r"hotline|so dien thoai|lien he", ("hotline",), "số điện thoại hỗ trợ"),
    (r"can cu|phap ly|thong tu|nghi dinh|quyet dinh nao", ("legal_basis",), "căn cứ pháp lý"),
]
DEFAULT_FIELDS = ("agency", "processing_time", "fee", "submission", "portal", "facts", "steps")
LABELS = {
    "documents": "Hồ sơ", "documents_quantity": "Số lượng hồ sơ", "forms": "Mẫu đơn", "processing_time": "Thời gian giải quyết",
    "fee": "Phí, lệ phí", "submission": "Cách nộp", "submission_note": "Ghi chú", "portal": "Cổng trực tuyến",
    "receiving_office": "Nơi nhận hồ sơ", "office_hours": "Giờ làm việc", "submission_period": "Thời gian nhận hồ sơ",
    "steps": "Các bước", "agency": "Cơ quan", "result": "Kết quả", "result_delivery": "Nhận kết quả",
    "hotline": "Đường dây hỗ trợ", "legal_basis": "Căn cứ pháp lý", "facts": "Thông tin",
}
AGENCY_LABELS = {"decides": "thẩm quyền quyết định", "handles": "cơ quan thực hiện", "coordinates": "phối hợp",
                 "receives": "nơi nhận hồ sơ", "guides": "hướng dẫn", "supports": "hỗ trợ"}


def _render(field: str, value) -> Optional[str]:
    if value is None or value == [] or value == "":
        return None
    if field == "agency" and isinstance(value, dict):
        parts = [f"{AGENCY_LABELS.get(k, k)}: {v}" for k, v in value.items() if v]
        return f"{LABELS[field]}: " + "; ".join(parts) if parts else None
    if isinstance(value, list):
        return f"{LABELS.get(field, field)}:\n" + "\n".join(f"  - {v}" for v in value)
    return f"{LABELS.get(field, field)}: {value}"


def asked_fields(question: str) -> list[tuple[tuple[str, ...], str]]:
    folded = " ".join(folded_words(question))
    return [(fields, label) for cue, fields, label in FIELD_CUES if re.search(cue, folded)]


def describe(entry: dict, question: str) -> str:
    """The answer for one entry: what the question asks (or a summary), never a field the page
    does not state; always the source URL, the locality and the date when known."""
    title = entry.get("name") or entry.get("name_note") or entry["id"]
    lines = [f"Thủ tục: {title}"]
    asked = asked_fields(question)
    missing = set(entry.get("not_in_stored_copy") or [])
    fields = [f for fields, _ in asked for f in fields] or list(DEFAULT_FIELDS)
    said = 0
    for field in dict.fromkeys(fields):
        text = _render(field, entry.get(field))
        if text:
            lines.append(text)
            said += 1
    for fields, label in asked:
        if not any(entry.get(f) not in (None, [], "") for f in fields):
            gap = " (bản lưu của trang nguồn bị cắt)" if any(f in missing or any(m.startswith(f) for m in missing)
                                                          for f in fields) else ""
            lines.append(f"Trang nguồn không có thông tin về {label}{gap}.")
    if entry.get("notes"):
        lines.append(f"Lưu ý: {entry['notes']}")
    where = entry.get("locality") or "không rõ địa phương"
    when = f", {entry['source_date']}" if entry.get("source_date") else ""
    lines.append(f"Nguồn: {entry['source']} ({where}{when})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- CLI


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.procedures",
                                     description="Nạp dữ liệu thủ tục dịch vụ công ngành giáo dục vào cơ sở tri thức.")
    parser.add_argument("--kb", metavar="URL", help="URL SQLAlchemy của cơ sở tri thức (ghi đè KB_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="nạp (đồng bộ) tệp procedures.yml")
    load.add_argument("path", type=Path)
    find = sub.add_parser("search", help="tìm thủ tục theo câu hỏi")
    find.add_argument("words", nargs="+")
    args = parser.parse_args(argv)
    from .db import make_session_factory

    try:
        factory = make_session_factory(args.kb)
        if args.command == "load":
            counts = load_procedures(factory, args.path)
            print(f"Đã nạp thủ tục: thêm {counts['added']}, cập nhật {counts['updated']}, "
                  f"giữ nguyên {counts['unchanged']}, xóa {counts['removed']}.")
        else:
            with factory() as session:
                for hit in search_procedures(" ".join(args.words), session=session):
                    print(f"{hit.score:.2f}  {hit.procedure['id']}  {hit.procedure.get('name') or ''}")
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
