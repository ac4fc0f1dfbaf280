"""Reporting units — the Sở and Phòng GD&ĐT of an area and its schools — and which of them a
plan covers.

Units come from a CSV an administrator imports (``python -m knowledge units import``); the
chat finds them by what people type: accent-insensitive, abbreviation-aware ("trung học cơ
sở" = "THCS") and tolerant of small typos.  Which plans cover which units is
:mod:`knowledge.geography` (``covers``) on the divisions dataset and the links learnt from
ingested plans (:mod:`knowledge.area_models`), loaded once per call.
"""
from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from document_parsing.text_utils import clean_space, fold
from knowledge import models
from knowledge.area_models import learnt_links
from knowledge.db import session_scope, write_transaction
from knowledge.geography import area_key, covers

from .errors import ReportingError
from .models import Unit


@dataclass
class UnitInfo:
    id: int
    name: str
    kind: str  # "sở" | "phòng" | "trường"
    area: str

    def label(self) -> str:
        """"Trường THCS Lê Quý Đôn (thành phố Cần Thơ)": unambiguous across areas."""
        return f"{self.name} ({self.area})"


@dataclass
class UnitImport:
    """What :func:`import_units` did."""

    added: int
    updated: int
    unchanged: int


KINDS = {"so": "sở", "phong": "phòng", "truong": "trường"}
SCHOOL = "trường"

_ABBREVIATIONS = (
    ("trung hoc pho thong", "thpt"), ("trung hoc co so", "thcs"), ("tieu hoc", "th"), ("mam non", "mn"),
    ("giao duc va dao tao", "gddt"), ("giao duc dao tao", "gddt"), ("gd dt", "gddt"), ("gd va dt", "gddt"),
    ("pho thong dan toc noi tru", "ptdtnt"), ("pho thong dan toc ban tru", "ptdtbt"), ("thanh pho", "tp"),
)
_UNIT_STOP = {"truong", "cua", "o", "tai", "don", "vi"}


def _unit_words(text: str) -> list[str]:
    """Folded words with the usual abbreviations applied, so "Trung học cơ sở" = "THCS"."""
    words = f" {' '.join(models.search_key(text).split())} "
    for long, short in _ABBREVIATIONS:
        words = words.replace(f" {long} ", f" {short} ")
    return words.split()


def _similar(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) <= 2 or len(b) <= 2:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= (0.8 if min(len(a), len(b)) >= 5 else 0.66) else 0.0


def _unit_info(unit: Unit) -> UnitInfo:
    return UnitInfo(id=unit.id, name=unit.name, kind=unit.kind, area=unit.area)


def _rank_units(units: Iterable[Unit], words: str) -> list[tuple[float, float, Unit]]:
    """``(score, precision, unit)`` of units matching the words, best first.  ``score`` is the
    share of the query's words found (typos tolerated); ``precision`` the share of the unit's
    name words the query named, to prefer "THCS Lê Quý Đôn" over "THPT Lê Quý Đôn" for
    "thcs le quy don"."""
    query = [w for w in _unit_words(words) if w not in _UNIT_STOP] or _unit_words(words)
    if not query:
        return []
    ranked = []
    for unit in units:
        name_words = _unit_words(unit.name)
        own = set(name_words) | set(_unit_words(unit.area))
        scores = [max((_similar(q, w) for w in own), default=0.0) for q in query]
        if not any(scores):
            continue
        score = sum(scores) / len(query)
        named = [w for w in name_words if w not in _UNIT_STOP]
        precision = sum(1 for w in named if any(_similar(q, w) for q in query)) / max(1, len(named))
        ranked.append((score, precision, unit))
    ranked.sort(key=lambda r: (-r[0], -r[1], r[2].name, r[2].area))
    return ranked


def _normal_kind(kind: str) -> str:
    value = KINDS.get(" ".join(fold(kind or "").split()))
    if value is None:
        raise ReportingError(f"Loại đơn vị “{kind}” không hợp lệ: chỉ nhận “sở”, “phòng” hoặc “trường”.")
    return value


def _check_unit_fields(name: str, kind: str, area: str) -> tuple[str, str, str]:
    name, area = clean_space(name or ""), clean_space(area or "")
    if not name:
        raise ReportingError("Thiếu tên đơn vị.")
    if not area or not area_key(area):
        raise ReportingError(f"Thiếu địa bàn (tỉnh/thành phố/huyện) của đơn vị “{name}”.")
    return name, _normal_kind(kind), area


def _new_unit(name: str, kind: str, area: str) -> Unit:
    return Unit(name=name, kind=kind, area=area, area_key=area_key(area), folded=models.search_key(name, area))


def add_unit(name: str, kind: str, area: str, *, session: Optional[Session] = None) -> UnitInfo:
    """Add one unit; the same name in the same area twice is refused."""
    name, kind, area = _check_unit_fields(name, kind, area)
    with write_transaction(session) as s:
        if s.execute(select(Unit.id).where(Unit.name == name, Unit.area == area)).first():
            raise ReportingError(f"Đơn vị “{name}” ({area}) đã có.")
        unit = _new_unit(name, kind, area)
        s.add(unit)
        s.flush()
        return _unit_info(unit)


def import_units(csv_path: Union[str, Path], *, session: Optional[Session] = None) -> UnitImport:
    """Add or update the units of a CSV file (columns ``name,kind,area``; UTF-8, BOM allowed).
    The whole file is checked first: one bad row refuses the file with every problem listed
    by line, and nothing is saved.  Units already present (same name and area) get their kind
    updated; units absent from the file are kept (reports refer to them)."""
    path = Path(csv_path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReportingError(f"Không tìm thấy tệp {path}.") from None
    except OSError as exc:
        raise ReportingError(f"Không đọc được tệp {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise ReportingError(f"Tệp {path} không phải UTF-8: hãy lưu lại dưới dạng CSV UTF-8.") from None
    reader = csv.DictReader(text.splitlines())
    missing = {"name", "kind", "area"} - set(reader.fieldnames or [])
    if missing:
        raise ReportingError(f"Tệp {path.name} thiếu cột: {', '.join(sorted(missing))} "
                             "(cần name,kind,area).")
    rows, problems, seen = [], [], set()
    for line, row in enumerate(reader, start=2):
        try:
            name, kind, area = _check_unit_fields(row.get("name") or "", row.get("kind") or "", row.get("area") or "")
        except ReportingError as exc:
            problems.append(f"dòng {line}: {exc.message}")
            continue
        if (name, area) in seen:
            problems.append(f"dòng {line}: “{name}” ({area}) lặp lại.")
            continue
        seen.add((name, area))
        rows.append((name, kind, area))
    if problems:
        raise ReportingError(f"Tệp {path.name} có lỗi, chưa nhập đơn vị nào:\n" + "\n".join(problems))
    added = updated = unchanged = 0
    with write_transaction(session) as s:
        existing = {(u.name, u.area): u for u in s.execute(select(Unit)).scalars()}
        for name, kind, area in rows:
            unit = existing.get((name, area))
            if unit is None:
                s.add(_new_unit(name, kind, area))
                added += 1
            elif unit.kind != kind:
                unit.kind = kind
                updated += 1
            else:
                unchanged += 1
    return UnitImport(added, updated, unchanged)


def list_units(area: Optional[str] = None, *, session: Optional[Session] = None) -> list[UnitInfo]:
    """All units (of an area and its districts when given), by area then name."""
    with session_scope(session) as s:
        units = s.execute(select(Unit).order_by(Unit.area, Unit.kind, Unit.name)).scalars().all()
        links = learnt_links(s) if area else None
        return [_unit_info(u) for u in units if area is None or covers(area, u.area, links)]


def find_units(words: str, area: Optional[str] = None, *, session: Optional[Session] = None) -> list[UnitInfo]:
    """Units whose name (and area) match the words, best first: accent-insensitive,
    abbreviation-aware ("trung hoc co so" = "THCS") and tolerant of small typos."""
    with session_scope(session) as s:
        units = s.execute(select(Unit)).scalars().all()
        if area:
            links = learnt_links(s)
            units = [u for u in units if covers(area, u.area, links)]
        ranked = _rank_units(units, words)
        if not ranked:
            return []
        full = [r for r in ranked if r[0] >= 0.999]
        kept = full or [r for r in ranked if r[0] >= 0.6]
        return [_unit_info(u) for _, _, u in kept]


def resolve_unit(s: Session, words: str) -> Unit:
    """The one unit the user meant, or :class:`ReportingError` listing the candidates."""
    if not clean_space(words or ""):
        raise ReportingError("Bạn chưa cho biết tên đơn vị (ví dụ “Trường THCS Lê Quý Đôn”).")
    units = s.execute(select(Unit)).scalars().all()
    ranked = _rank_units(units, words)
    exact = [u for _, _, u in ranked if _unit_words(u.name) == _unit_words(words)
             or _unit_words(f"{u.name} {u.area}") == _unit_words(words)]
    if len(exact) == 1:
        return exact[0]
    full = [r for r in ranked if r[0] >= 0.999]
    if len(full) == 1:
        return full[0][2]
    if len(full) > 1:
        best = [r for r in full if r[1] == full[0][1]]
        if len(best) == 1 and full[0][1] >= 0.999:
            return best[0][2]
        names = [_unit_info(u).label() for _, _, u in full[:6]]
        raise ReportingError(f"“{words}” khớp với nhiều đơn vị: {'; '.join(names)}. "
                             "Hãy ghi rõ tên trường và địa bàn.", names)
    near = [_unit_info(u).label() for score, _, u in ranked[:5] if score >= 0.5]
    hint = f" Có phải: {'; '.join(near)}?" if near else " Hãy kiểm tra lại tên hoặc liên hệ Phòng/Sở để được thêm đơn vị."
    raise ReportingError(f"Không tìm thấy đơn vị “{words}”.{hint}", near)


def covered_units(s: Session, issuer: Optional[str], area: Optional[str] = None) -> dict[int, UnitInfo]:
    """id → unit of every unit a plan of ``issuer`` covers, within ``area`` when given (a
    district of a provincial plan; the plan's own area means all of them), by area, kind and
    name.  Progress touches each unit once per target, so they are plain values loaded once."""
    if area and area_key(area) == area_key(issuer):
        area = None
    links = learnt_links(s)
    inside: dict[str, bool] = {}  # unit area → covered: a province's thousands of schools share a few areas
    units = {}
    rows = s.execute(select(Unit.id, Unit.name, Unit.kind, Unit.area)).all()
    for unit_id, name, kind, unit_area in sorted(rows, key=lambda r: (r[3], r[2], r[1])):  # same order on any database
        covered = inside.get(unit_area)
        if covered is None:
            covered = inside[unit_area] = covers(issuer, unit_area, links) and (not area or covers(area, unit_area, links))
        if covered:
            units[unit_id] = UnitInfo(unit_id, name, kind, unit_area)
    return units


def unit_covered(issuer: Optional[str], unit_area: str, *, session: Optional[Session] = None) -> bool:
    """Does a plan of ``issuer`` cover a unit of ``unit_area`` (as written: "huyện X, tỉnh Y"),
    with the areas learnt from the KB's plans?  The check :func:`reporting.saving.save_report`
    makes, for the chat to ask before a report is typed."""
    with session_scope(session) as s:
        return covers(issuer, unit_area, learnt_links(s))


__all__ = ["UnitInfo", "UnitImport", "KINDS", "SCHOOL", "add_unit", "import_units", "list_units", "find_units",
           "resolve_unit", "covered_units", "unit_covered", "area_key", "covers"]
