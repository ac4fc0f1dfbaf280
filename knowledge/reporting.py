"""Progress reporting on plan targets: units, reporters, reports, and progress per area.

Teachers and school staff report how far their unit has come on a target of the plan that
covers it; the Sở/Phòng reads progress against every target.  The rules that make the figures
trustworthy live here, not in the chat:

* a reporter is tied to one existing unit and may report only once approved, and only on plans
  whose issuer's area covers that unit (a school of huyện Mường Tè: the Mường Tè plan, and the
  Lai Châu plan when there is one);
* a report is written in one transaction when confirmed; a retried confirmation (same
  ``idempotency_key``) returns the first result and writes nothing; a second report of the same
  unit, target and period is a new revision (author, time), earlier revisions are kept;
* every user error raises :class:`ReportingError` with a Vietnamese message to show as is, and
  nothing is half-saved.

How reports survive a re-ingest of a plan: see :mod:`knowledge.reporting_models`.

Every function takes an optional ``session``; without one it opens its own on ``$KB_URL``.
Writing functions commit: given a session, they first commit what it holds, then write and
commit in a transaction of their own (on SQLite a ``BEGIN IMMEDIATE`` one, so two confirmations
at once queue instead of failing).
"""
from __future__ import annotations

import csv
import difflib
import hashlib
import re
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from document_parsing.text_utils import clean_space, fold
from .area_models import learnt_links
from .db import session_scope
from .geography import area_key, covers
from . import models
from .queries import AmbiguousPlan, Cited, PlanNotFound, _accented_words, _resolve_plan, format_value
from .report_values import Period, check_value, parse_period, parse_value
from .reporting_models import Report, Reporter, ReportRevision, Unit

# ---------------------------------------------------------------------------- errors and results


class ReportingError(Exception):
    """A user error (unknown unit, unapproved reporter, bad number…) with a Vietnamese message
    that the chat and the CLI show as is.  ``candidates`` lists what the user may have meant."""

    def __init__(self, message: str, candidates: Optional[list[str]] = None):
        super().__init__(message)
        self.message = message
        self.candidates = candidates or []


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


@dataclass
class ReporterInfo:
    id: int
    name: str
    unit: str
    unit_id: int
    area: str
    phone: str
    approved: bool
    channel: str
    channel_user: str


@dataclass
class TargetOption:
    """A target a reporter may report on, with what the chat needs to show and cite it."""

    target_id: int
    plan: str
    plan_number: Optional[str]
    issuer: Optional[str]
    section: str
    text: str
    value: float
    unit: Optional[str]
    comparator: str
    year: Optional[int]
    citation: str
    subject: str = ""
    plan_name: str = ""  # "Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ"

    def figure(self) -> str:
        """"ít nhất 70%", "100%"."""
        words = {">=": "ít nhất", ">": "trên"}.get(self.comparator, "")
        return " ".join(p for p in (words, format_value(self.value, self.unit)) if p)


@dataclass
class SavedReport:
    report_id: int
    revision: int
    created: bool  # False: this idempotency key was already saved, nothing written


@dataclass
class UnitResult:
    """One unit's latest figure for a target and period."""

    unit_id: int
    unit: str
    kind: str
    area: str
    value: float
    revision: int
    author: str
    reported_at: datetime  # UTC
    comment: Optional[str]
    on_track: Optional[bool]  # None for counts: a count target is for the whole area


@dataclass
class Progress:
    """Progress of one target in one period, over the units its plan covers (or one area)."""

    target: TargetOption
    period: str  # canonical label
    area: Optional[str]
    units: list[UnitResult]
    aggregate: Optional[float]  # None when no unit reported
    method: str  # "trung bình" (a "%" target) | "tổng" (a count)
    on_track: Optional[bool]
    missing_units: list[str]  # names of units that should have reported and have not
    citation: str

    def summary(self) -> str:
        """One Vietnamese paragraph for the chat."""
        target = self.target
        where = f" tại {self.area}" if self.area else ""
        head = f"Chỉ tiêu “{target.subject or target.text}” ({target.figure()}){where}, {self.period}: "
        if self.aggregate is None:
            body = "chưa có đơn vị nào báo cáo."
        else:
            verdict = "đạt" if self.on_track else "chưa đạt"
            body = (f"{self.method} {format_value(round(self.aggregate, 1), target.unit)} "
                    f"từ {len(self.units)} đơn vị — {verdict}.")
        missing = ""
        if self.missing_units:
            shown = ", ".join(self.missing_units[:8]) + (" …" if len(self.missing_units) > 8 else "")
            missing = f" Chưa báo cáo ({len(self.missing_units)}): {shown}."
        return f"{head}{body}{missing} {self.citation}"


@dataclass
class MissingReport:
    """A unit that has not reported every target of a plan covering it for a period."""

    unit_id: int
    unit: str
    area: str
    plan: str
    plan_name: str
    missing: list[str] = field(default_factory=list)  # "III.2.a: 70% cuộc họp …"
    total: int = 0


# ---------------------------------------------------------------------------- sessions




@contextmanager
def write_transaction(session: Optional[Session]) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on any exception."""
    from .db import WRITE_OPTION, open_session

    if session is None:
        with open_session() as own, own.begin():
            own.connection(execution_options={WRITE_OPTION: True})
            yield own
        return
    if session.in_transaction():
        session.commit()
    with session.begin():
        session.connection(execution_options={WRITE_OPTION: True})
        yield session


_writing = write_transaction  # the name used inside this module


# ---------------------------------------------------------------------------- areas

# Which plans cover which units: knowledge.geography (area_key, covers) on the divisions dataset
# and the links learnt from ingested plans (knowledge.area_models), loaded once per call.


# ---------------------------------------------------------------------------- units

KINDS = {"so": "sở", "phong": "phòng", "truong": "trường"}

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
    with _writing(session) as s:
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
    with _writing(session) as s:
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


def _resolve_unit(s: Session, words: str) -> Unit:
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


# ---------------------------------------------------------------------------- reporters

_PHONE_HELP = "hãy nhập số di động 10 chữ số (ví dụ 0912 345 678 hoặc +84 912 345 678)"


def normalise_phone(phone: str) -> str:
    """A Vietnamese phone number as 10 (mobile) or 11 (landline 02x) digits starting with 0:
    "+84 912.345.678" → "0912345678".  Raises :class:`ReportingError`."""
    raw = clean_space(phone or "")
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isdigit() or not (re.fullmatch(r"0[35789]\d{8}", digits) or re.fullmatch(r"02\d{9}", digits)):
        raise ReportingError(f"Số điện thoại “{raw}” không hợp lệ: {_PHONE_HELP}.")
    return digits


def _reporter_info(r: Reporter) -> ReporterInfo:
    return ReporterInfo(id=r.id, name=r.name, unit=r.unit.name, unit_id=r.unit_id, area=r.unit.area, phone=r.phone,
                        approved=r.approved, channel=r.channel, channel_user=r.channel_user)


def register_reporter(channel: str, channel_user: str, name: str, unit_name: str, phone: str, *,
                      session: Optional[Session] = None) -> ReporterInfo:
    """Register (or update) the reporter behind one chat user.  The unit must exist (fuzzy
    match; ambiguity or no match raises with the candidates); the phone must be Vietnamese.
    Re-registering keeps the approval only if the unit is unchanged: approval vouches for
    "this person reports for this unit", not for the person alone."""
    name = clean_space(name or "")
    if not name:
        raise ReportingError("Bạn chưa cho biết họ tên.")
    if not clean_space(channel or "") or not clean_space(str(channel_user or "")):
        raise ReportingError("Không xác định được tài khoản trò chuyện của bạn; hãy thử lại.")
    phone = normalise_phone(phone)
    for attempt in range(2):
        try:
            with _writing(session) as s:
                unit = _resolve_unit(s, unit_name)
                reporter = s.execute(select(Reporter).where(Reporter.channel == channel,
                                                            Reporter.channel_user == str(channel_user))
                                     ).scalar_one_or_none()
                now = datetime.utcnow()
                if reporter is None:
                    reporter = Reporter(channel=channel, channel_user=str(channel_user), approved=False,
                                        created_at=now)
                    s.add(reporter)
                elif reporter.unit_id != unit.id:
                    reporter.approved, reporter.approved_at = False, None
                reporter.name, reporter.unit, reporter.phone, reporter.updated_at = name, unit, phone, now
                s.flush()
                return _reporter_info(reporter)
        except IntegrityError:  # the same user registering twice at once: update the winner's row
            if attempt:
                raise
    raise AssertionError("unreachable")


def get_reporter(channel: str, channel_user: str, *, session: Optional[Session] = None) -> Optional[ReporterInfo]:
    """The reporter behind a chat user, or None if they never registered."""
    with session_scope(session) as s:
        reporter = s.execute(select(Reporter).where(Reporter.channel == channel,
                                                    Reporter.channel_user == str(channel_user))).scalar_one_or_none()
        return _reporter_info(reporter) if reporter else None


def approve_reporter(reporter_id_or_phone: Union[int, str], *, session: Optional[Session] = None) -> ReporterInfo:
    """Approve a reporter by id ("12") or phone ("0912 345 678"); a phone shared by several
    registrations is refused with their ids, so an administrator approves exactly whom they mean."""
    key = clean_space(str(reporter_id_or_phone))
    with _writing(session) as s:
        if key.isdigit() and len(key) < 9:
            found = s.execute(select(Reporter).where(Reporter.id == int(key))).scalars().all()
        else:
            found = s.execute(select(Reporter).where(Reporter.phone == normalise_phone(key))).scalars().all()
        if not found:
            raise ReportingError(f"Không tìm thấy người báo cáo “{key}”.")
        if len(found) > 1:
            ids = [f"{r.id} ({r.name}, {r.unit.name}, {r.channel})" for r in found]
            raise ReportingError(f"Số {key} có {len(found)} đăng ký: {'; '.join(ids)}. Hãy duyệt theo mã số.", ids)
        reporter = found[0]
        if not reporter.approved:
            reporter.approved, reporter.approved_at = True, datetime.utcnow()
        s.flush()
        return _reporter_info(reporter)


def list_reporters(pending_only: bool = False, *, session: Optional[Session] = None) -> list[ReporterInfo]:
    """Reporters (only those awaiting approval with ``pending_only``), oldest first."""
    with session_scope(session) as s:
        query = select(Reporter).order_by(Reporter.id)
        if pending_only:
            query = query.where(Reporter.approved.is_(False))
        return [_reporter_info(r) for r in s.execute(query).scalars()]


# ---------------------------------------------------------------------------- targets

_TARGET_KEYS: dict[tuple, dict[int, str]] = {}
"""(database, document id, ingest time) → {target id: target key}: a document version never
changes once ingested, and the progress of a whole plan should not re-read its targets' text."""


def _target_keys(s: Session, doc_id: int) -> dict[int, str]:
    """The stable key of each target of a document version (see :mod:`knowledge.reporting_models`)."""
    doc = s.get(models.Document, doc_id)
    cache_key = (str(s.get_bind().url), doc_id, doc.ingested_at if doc else None)
    keys = _TARGET_KEYS.get(cache_key)
    if keys is None:
        rows = s.execute(select(models.Target.id, models.Target.section_path, models.Target.text)
                         .where(models.Target.document_id == doc_id).order_by(models.Target.position)).all()
        seen: dict[tuple[str, str], int] = defaultdict(int)
        keys = {}
        for target_id, section, text in rows:
            text = clean_space(text)
            rank = seen[(section, text)]
            seen[(section, text)] += 1
            keys[target_id] = hashlib.sha256(f"{section}\x1f{text}\x1f{rank}".encode()).hexdigest()[:40]
        if len(_TARGET_KEYS) > 256:
            _TARGET_KEYS.clear()
        _TARGET_KEYS[cache_key] = keys
    return keys


def _citation(doc: models.Document, section: Optional[str]) -> str:
    year = doc.date.year if doc.date else doc.period_start
    return Cited(plan=doc.plan, plan_number=doc.number, issuer=doc.issuer, plan_year=year,
                 section=section).citation()


def _plan_name(doc: models.Document) -> str:
    year = doc.date.year if doc.date else doc.period_start
    return Cited(plan=doc.plan, plan_number=doc.number, issuer=doc.issuer, plan_year=year,
                 section=None).plan_name()


def _option(t: models.Target, doc: models.Document) -> TargetOption:
    return TargetOption(target_id=t.id, plan=doc.plan, plan_number=doc.number, issuer=doc.issuer,
                        section=t.section_path, text=t.text, value=t.value, unit=t.unit, comparator=t.comparator,
                        year=t.year, citation=_citation(doc, t.section_path), subject=t.subject or "",
                        plan_name=_plan_name(doc))


def _current_docs(s: Session) -> list[models.Document]:
    return s.execute(select(models.Document).where(models.Document.is_current.is_(True))
                     .order_by(models.Document.plan)).scalars().all()


_TARGET_STOP = {"chi", "tieu", "bao", "cao", "ty", "ti", "le", "muc", "cac", "cua", "va", "duoc", "so", "ve",
                "tien", "do", "ket", "qua", "nam", "hoc", "quy", "cho", "the", "nao", "bao", "nhieu"}


def _target_words(words: str) -> set[str]:
    found = set(models.search_key(words or "").split())
    return {w for w in found - _TARGET_STOP if not re.fullmatch(r"\d{4}", w)}


def _ranked_targets(s: Session, docs: list[models.Document], words: str,
                    year: Optional[int] = None) -> list[tuple[models.Target, models.Document]]:
    """Targets of ``docs`` ranked by how many of the words they contain (accent-folded, whole
    words); without words all targets in plan order.  A ``year`` breaks ties in favour of the
    target whose year is the nearest not before it."""
    if not docs:
        return []
    by_id = {d.id: d for d in docs}
    order = {d.id: i for i, d in enumerate(docs)}
    rows = s.execute(select(models.Target).where(models.Target.document_id.in_(list(by_id)))).scalars().all()
    wanted = _target_words(words)
    # words typed with diacritics count again when they match as typed: "họp" is not "hợp"
    marked = {w for w in _accented_words(words or "") if models.search_key(w).strip() != w}
    scored = []
    for t in rows:
        overlap = len(wanted & set(t.folded.split())) if wanted else 0
        if wanted and not overlap:
            continue
        if marked:
            overlap += len(marked & set(_accented_words(f"{t.subject} {t.text}")))
        if year is not None and t.year is not None:
            distance = (t.year - year) if t.year >= year else 1000 + (year - t.year)
        else:
            distance = 500
        scored.append(((-overlap, distance if wanted else 0, order[t.document_id], t.position), t))
    scored.sort(key=lambda x: x[0])
    return [(t, by_id[t.document_id]) for _, t in scored]


def _covering_docs(s: Session, unit_area: str) -> list[models.Document]:
    links = learnt_links(s)
    return [d for d in _current_docs(s) if covers(d.issuer, unit_area, links)]


def unit_covered(issuer: Optional[str], unit_area: str, *, session: Optional[Session] = None) -> bool:
    """Does a plan of ``issuer`` cover a unit of ``unit_area`` (as written: "huyện X, tỉnh Y"),
    with the areas learnt from the KB's plans?  The check :func:`save_report` makes, for the
    chat to ask before a report is typed."""
    with session_scope(session) as s:
        return covers(issuer, unit_area, learnt_links(s))


def candidate_targets(reporter: ReporterInfo, words: str, limit: int = 5, *,
                      session: Optional[Session] = None) -> list[TargetOption]:
    """Targets the reporter may report on that best match the words (all in plan order when
    the words are empty).  Only targets of current plans covering the reporter's unit are
    offered, since :func:`save_report` refuses any other."""
    with session_scope(session) as s:
        unit = s.get(Unit, reporter.unit_id)
        if unit is None:
            raise ReportingError(f"Đơn vị “{reporter.unit}” không còn trong danh sách; hãy đăng ký lại.")
        ranked = _ranked_targets(s, _covering_docs(s, unit.area), words)
        return [_option(t, d) for t, d in ranked[:limit]]


def target_option(target_id: int, *, session: Optional[Session] = None) -> TargetOption:
    """One target by id (the id the chat kept from :func:`candidate_targets`)."""
    with session_scope(session) as s:
        target = s.get(models.Target, int(target_id))
        if target is None:
            raise ReportingError("Không tìm thấy chỉ tiêu này (kế hoạch có thể vừa được cập nhật); hãy chọn lại.")
        return _option(target, target.document)


def _current_target(s: Session, target: models.Target) -> tuple[models.Target, models.Document, str]:
    """The target's row in the current version of its plan (the same key), its document and key;
    the row itself when its plan has no current version or the target was reworded."""
    doc = target.document
    key = _target_keys(s, doc.id)[target.id]
    if not doc.is_current:
        current = s.execute(select(models.Document).where(models.Document.plan == doc.plan,
                                                          models.Document.is_current.is_(True))).scalars().first()
        if current is not None:
            for target_id, other in _target_keys(s, current.id).items():
                if other == key:
                    return s.get(models.Target, target_id), current, key
    return target, doc, key


# ---------------------------------------------------------------------------- saving


def _period(label: str) -> Period:
    try:
        return parse_period(label)
    except ValueError as exc:
        raise ReportingError(str(exc)) from None


def _existing(s: Session, idempotency_key: str) -> Optional[SavedReport]:
    row = s.execute(select(ReportRevision.report_id, ReportRevision.revision)
                    .where(ReportRevision.idempotency_key == idempotency_key)).first()
    return SavedReport(row.report_id, row.revision, False) if row else None


def save_report(reporter_id: int, target_id: int, period_label: str, value: Union[float, str],
                comment: Optional[str] = None, idempotency_key: Optional[str] = None, *,
                session: Optional[Session] = None) -> SavedReport:
    """Store a confirmed figure in one transaction and return its report id and revision.

    The same ``idempotency_key`` again returns the first result with ``created=False`` and
    writes nothing (the chat should derive it from the confirmation it is answering).  A
    figure for a (unit, target, period) already reported becomes the next revision.  Refused
    with :class:`ReportingError`: an unknown or unapproved reporter, an unknown target, a plan
    that does not cover the reporter's unit, an invalid value or period."""
    period = _period(period_label)
    key = clean_space(idempotency_key or "") or f"auto-{uuid.uuid4().hex}"
    if len(key) > 200:
        key = "sha256-" + hashlib.sha256(key.encode()).hexdigest()
    comment = clean_space(comment) or None if comment else None
    for attempt in range(3):
        try:
            with _writing(session) as s:
                done = _existing(s, key)
                if done is not None:
                    return done
                reporter = s.get(Reporter, int(reporter_id))
                if reporter is None:
                    raise ReportingError("Bạn chưa đăng ký báo cáo; hãy đăng ký (họ tên, đơn vị, số điện thoại) trước.")
                if not reporter.approved:
                    raise ReportingError("Tài khoản báo cáo của bạn chưa được duyệt; hãy chờ Phòng/Sở duyệt rồi "
                                         "báo cáo lại.")
                target = s.get(models.Target, int(target_id))
                if target is None:
                    raise ReportingError("Không tìm thấy chỉ tiêu này (kế hoạch có thể vừa được cập nhật); "
                                         "hãy chọn lại chỉ tiêu.")
                target, doc, target_key = _current_target(s, target)
                unit = reporter.unit
                if not covers(doc.issuer, unit.area, learnt_links(s)):
                    raise ReportingError(f"Bạn chỉ được báo cáo cho đơn vị của mình: {unit.name} ({unit.area}) "
                                         f"không thuộc phạm vi {_plan_name(doc)}.")
                try:
                    number = parse_value(value, target.unit) if isinstance(value, str) else check_value(value, target.unit)
                except ValueError as exc:
                    raise ReportingError(str(exc)) from None
                report = s.execute(select(Report).where(
                    Report.unit_id == unit.id, Report.plan == doc.plan, Report.target_key == target_key,
                    Report.period_label == period.label).with_for_update()).scalar_one_or_none()
                now = datetime.utcnow()
                if report is None:
                    report = Report(unit_id=unit.id, plan=doc.plan, target_key=target_key,
                                    section_path=target.section_path, target_text=target.text,
                                    period_label=period.label, period_kind=period.kind, period_start=period.start,
                                    period_end=period.end, latest_revision=0, created_at=now)
                    s.add(report)
                    s.flush()
                revision = report.latest_revision + 1
                s.add(ReportRevision(report_id=report.id, revision=revision, value=number, comment=comment,
                                     reporter_id=reporter.id, target_id=target.id, idempotency_key=key,
                                     created_at=now))
                report.latest_revision, report.updated_at = revision, now
                s.flush()
                return SavedReport(report.id, revision, True)
        except IntegrityError:
            # A concurrent confirmation won the race (same key, or the same report created at
            # once): the next attempt finds its row and answers from it or adds a revision.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def report_history(unit_id: int, target_id: int, period_label: str, *,
                   session: Optional[Session] = None) -> list[UnitResult]:
    """Every revision of one unit's report, oldest first (what a correction left behind)."""
    period = _period(period_label)
    with session_scope(session) as s:
        target = s.get(models.Target, int(target_id))
        if target is None:
            raise ReportingError("Không tìm thấy chỉ tiêu này.")
        target, doc, key = _current_target(s, target)
        rows = s.execute(
            select(ReportRevision, Reporter.name, Unit).join(Report, ReportRevision.report_id == Report.id)
            .join(Reporter, ReportRevision.reporter_id == Reporter.id).join(Unit, Report.unit_id == Unit.id)
            .where(Report.unit_id == unit_id, Report.plan == doc.plan, Report.target_key == key,
                   Report.period_label == period.label).order_by(ReportRevision.revision)).all()
        return [UnitResult(unit_id=u.id, unit=u.name, kind=u.kind, area=u.area, value=r.value, revision=r.revision,
                           author=author, reported_at=r.created_at, comment=r.comment,
                           on_track=_meets(r.value, target) if target.unit == "%" or not target.unit else None)
                for r, author, u in rows]


# ---------------------------------------------------------------------------- progress


def _meets(value: float, target: Union[models.Target, TargetOption]) -> bool:
    """Is ``value`` on track for the target?  ">" is strict; ">=" and "=" mean "reach at least"
    (a plan's "70% cuộc họp trực tuyến" is a goal, and 75% has reached it)."""
    if target.comparator == ">":
        return value > target.value + 1e-9
    return value >= target.value - 1e-9


def _is_rate(unit: Optional[str]) -> bool:
    return unit == "%" or not unit


@dataclass(frozen=True)
class _Member:
    """A covered unit as plain values: progress of a whole plan touches each one per target."""

    id: int
    name: str
    kind: str
    area: str


@dataclass
class _Scope:
    """The units a plan covers (optionally within one area), loaded once per call."""

    units: dict[int, _Member]

    @classmethod
    def load(cls, s: Session, doc: models.Document, area: Optional[str]) -> "_Scope":
        if area and area_key(area) == area_key(doc.issuer):
            area = None  # the plan's own area: every covered unit
        links = learnt_links(s)
        units = {}
        for unit_id, name, kind, unit_area in s.execute(select(Unit.id, Unit.name, Unit.kind, Unit.area)).all():
            if not covers(doc.issuer, unit_area, links):
                continue
            if area and not covers(area, unit_area, links):
                continue
            units[unit_id] = _Member(unit_id, name, kind, unit_area)
        return cls(units)


def _latest_rows(s: Session, plan: str, keys: list[str], period_label: str) -> dict[str, list]:
    """target key → rows (unit_id, value, revision, created_at, author, comment) of the latest
    revisions of one plan's reports for one period, from one query."""
    query = (select(Report.target_key, Report.unit_id, ReportRevision.value, ReportRevision.revision,
                    ReportRevision.created_at, Reporter.name, ReportRevision.comment)
             .join(ReportRevision, and_(ReportRevision.report_id == Report.id,
                                        ReportRevision.revision == Report.latest_revision))
             .join(Reporter, ReportRevision.reporter_id == Reporter.id)
             .where(Report.plan == plan, Report.period_label == period_label))
    if len(keys) == 1:
        query = query.where(Report.target_key == keys[0])
    out: dict[str, list] = defaultdict(list)
    wanted = set(keys)
    for row in s.connection().execute(query).all():
        if row[0] in wanted:
            out[row[0]].append(row[1:])
    return out


def _progress(target: models.Target, doc: models.Document, period: Period, area: Optional[str], scope: _Scope,
              rows: list) -> Progress:
    option = _option(target, doc)
    rate = _is_rate(option.unit)
    units = scope.units
    results = []
    for unit_id, value, revision, created_at, author, comment in rows:
        unit = units.get(unit_id)
        if unit is None:
            continue  # outside the area asked about
        results.append(UnitResult(unit_id=unit_id, unit=unit.name, kind=unit.kind, area=unit.area, value=value,
                                  revision=revision, author=author, reported_at=created_at, comment=comment,
                                  on_track=_meets(value, option) if rate else None))
    results.sort(key=lambda r: (r.area, r.kind, r.unit))
    # Schools carry the figure; a Sở/Phòng's own report counts only when no school reported.
    counted = [r for r in results if r.kind == "trường"] or results
    aggregate = None
    if counted:
        total = sum(r.value for r in counted)
        aggregate = total / len(counted) if rate else total
    reported = {r.unit_id for r in results}
    kinds = {r.kind for r in counted} or {"trường"}
    missing = sorted(u.name for u in units.values() if u.kind in kinds and u.id not in reported)
    return Progress(target=option, period=period.label, area=area, units=results, aggregate=aggregate,
                    method="trung bình" if rate else "tổng",
                    on_track=None if aggregate is None else _meets(aggregate, option),
                    missing_units=missing, citation=option.citation)


def progress(target_id: int, period_label: str, area: Optional[str] = None, *,
             session: Optional[Session] = None) -> Progress:
    """Progress of one target in one period: each covered unit's latest figure, the aggregate
    (mean of a "%" target, sum of a count), whether it is on track, and the units (schools,
    or whatever kind reported) that have not reported.  ``area`` narrows to one district or
    province of the plan ("Mường Tè")."""
    period = _period(period_label)
    with session_scope(session) as s:
        target = s.get(models.Target, int(target_id))
        if target is None:
            raise ReportingError("Không tìm thấy chỉ tiêu này.")
        target, doc, key = _current_target(s, target)
        scope = _Scope.load(s, doc, area)
        rows = _latest_rows(s, doc.plan, [key], period.label).get(key, [])
        return _progress(target, doc, period, area, scope, rows)


def _one_plan(s: Session, plan: str) -> models.Document:
    try:
        ids = _resolve_plan(s, plan) or []
    except PlanNotFound as exc:
        raise ReportingError(str(exc)) from None
    docs = s.execute(select(models.Document).where(models.Document.id.in_(ids))
                     .order_by(models.Document.plan)).scalars().all()
    if len(docs) != 1:
        if not docs:
            raise ReportingError(str(PlanNotFound(plan)))
        raise ReportingError(str(AmbiguousPlan(plan, [d.plan for d in docs])), [d.plan for d in docs])
    return docs[0]


def plan_progress(plan: str, period_label: str, area: Optional[str] = None, *,
                  session: Optional[Session] = None) -> list[Progress]:
    """:func:`progress` of every target of a plan (in the plan's order), from two queries."""
    period = _period(period_label)
    with session_scope(session) as s:
        doc = _one_plan(s, plan)
        keys = _target_keys(s, doc.id)
        targets = s.execute(select(models.Target).where(models.Target.document_id == doc.id)
                            .order_by(models.Target.position)).scalars().all()
        scope = _Scope.load(s, doc, area)
        rows = _latest_rows(s, doc.plan, list(set(keys.values())), period.label)
        return [_progress(t, doc, period, area, scope, rows.get(keys[t.id], [])) for t in targets]


def _docs_for_area(s: Session, area_words: Optional[str]) -> list[models.Document]:
    docs = _current_docs(s)
    if not clean_space(area_words or ""):
        return docs
    links = learnt_links(s)
    found = [d for d in docs if covers(d.issuer, area_words, links)]
    if not found:
        raise ReportingError(f"Chưa có kế hoạch nào của “{area_words}” trong cơ sở tri thức.")
    return found


def progress_by_words(words: str, period_label: str, area_words: Optional[str] = None, *,
                      session: Optional[Session] = None) -> Progress:
    """Progress of the target best matching the words in the plans covering an area, for the
    chat's "tiến độ chỉ tiêu họp trực tuyến của Cần Thơ năm 2024?"."""
    period = _period(period_label)
    with session_scope(session) as s:
        docs = _docs_for_area(s, area_words)
        if not _target_words(words):
            raise ReportingError("Bạn muốn xem tiến độ chỉ tiêu nào? Hãy nêu nội dung, ví dụ “họp trực tuyến”.")
        ranked = _ranked_targets(s, docs, words, period.year)
        if not ranked:
            where = f" của {area_words}" if area_words else ""
            raise ReportingError(f"Không tìm thấy chỉ tiêu “{words}” trong kế hoạch{where}.")
        target, doc = ranked[0]
        keep_area = area_words if area_words and area_key(area_words) != area_key(doc.issuer) else None
        key = _target_keys(s, doc.id)[target.id]
        scope = _Scope.load(s, doc, keep_area)
        rows = _latest_rows(s, doc.plan, [key], period.label).get(key, [])
        return _progress(target, doc, period, keep_area, scope, rows)


def missing_reports(area_words: Optional[str], period_label: str, plan: Optional[str] = None, *,
                    session: Optional[Session] = None) -> list[MissingReport]:
    """Schools of an area that have not reported every target of the plans covering them for
    a period, with the targets they owe (by unit name)."""
    period = _period(period_label)
    with session_scope(session) as s:
        docs = [_one_plan(s, plan)] if plan else _docs_for_area(s, area_words)
        out = []
        for doc in docs:
            keep_area = area_words if area_words and area_key(area_words) != area_key(doc.issuer) else None
            scope = _Scope.load(s, doc, keep_area)
            keys = _target_keys(s, doc.id)
            targets = s.execute(select(models.Target).where(models.Target.document_id == doc.id)
                                .order_by(models.Target.position)).scalars().all()
            done = set(s.execute(select(Report.unit_id, Report.target_key)
                                 .where(Report.plan == doc.plan, Report.period_label == period.label)).all())
            for unit in sorted(scope.units.values(), key=lambda u: (u.area, u.name)):
                if unit.kind != "trường":
                    continue
                owed = [f"{t.section_path}: {format_value(t.value, t.unit)} {t.subject or t.text}"
                        for t in targets if (unit.id, keys[t.id]) not in done]
                if owed:
                    out.append(MissingReport(unit_id=unit.id, unit=unit.name, area=unit.area, plan=doc.plan,
                                             plan_name=_plan_name(doc), missing=owed, total=len(targets)))
        return out


def local_time(moment: datetime) -> str:
    """A stored UTC time as Vietnam reads it: "05/03/2024 14:30" (UTC+7, no daylight saving)."""
    return (moment + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")


__all__ = [
    "ReportingError", "UnitInfo", "UnitImport", "ReporterInfo", "TargetOption", "SavedReport", "UnitResult",
    "Progress", "MissingReport", "add_unit", "import_units", "list_units", "find_units", "register_reporter",
    "get_reporter", "approve_reporter", "list_reporters", "candidate_targets", "target_option", "save_report",
    "report_history", "progress", "plan_progress", "progress_by_words", "missing_reports", "normalise_phone",
    "area_key", "covers", "unit_covered", "local_time",
]
