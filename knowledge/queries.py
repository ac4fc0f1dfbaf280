"""The questions the chatbot asks the knowledge base, as plain functions returning dataclasses.

Matching is accent-insensitive and order-free: every word the user typed must appear, as a
whole word, in the row's folded text ("hop truc tuyen" finds "họp … trực tuyến").  A word
typed *with* diacritics must match them ("họp" does not find "tích hợp"; "hop" finds both).  Only
current versions of plans are searched.  Every result carries what it needs to be cited
(:meth:`Cited.citation`), because an answer without its plan and section cannot be checked.

Each function takes an optional ``session``; without one it opens (and closes) a session on
``$KB_URL``.  A ``plan`` argument may be the export name ("lamdong-3381-2017"), the number
("3381/KH-UBND") or words ("Lâm Đồng", "muong te 2022"); a plan that matches nothing raises
:class:`PlanNotFound` (its message is Vietnamese and can be shown as is).
"""
from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from . import models
from document_parsing.agency_names import canonical_agency

Words = Union[str, Sequence[str], None]

COMPARATOR_WORDS = {">=": "ít nhất", ">": "trên", "=": ""}


class PlanNotFound(LookupError):
    """No current plan matches what the user named."""

    def __init__(self, plan: str):
        super().__init__(f"Không tìm thấy kế hoạch “{plan}” trong cơ sở tri thức.")
        self.plan = plan


class AmbiguousPlan(LookupError):
    """Several current plans match where one was needed (``document_info``)."""

    def __init__(self, plan: str, candidates: list[str]):
        super().__init__(f"“{plan}” khớp với nhiều kế hoạch ({', '.join(candidates)}); "
                         "hãy nói rõ số hiệu hoặc tên tỉnh/huyện.")
        self.plan = plan
        self.candidates = candidates


# ---------------------------------------------------------------------------- result types


@dataclass(kw_only=True)
class Cited:
    """Where a fact comes from: the plan (number, issuer, year) and the section path."""

    plan: str  # export name, e.g. "lamdong-3381-2017"
    plan_number: Optional[str]
    issuer: Optional[str]
    plan_year: Optional[int]  # year of issue, else first year of the period
    section: Optional[str]

    def plan_name(self) -> str:
        """"Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ", or for a plan
        printed without a number "Kế hoạch của Ủy ban nhân dân huyện Mường Tè (2022)"."""
        issuer = f" của {self.issuer}" if self.issuer else ""
        if self.plan_number:
            return f"Kế hoạch số {self.plan_number}{issuer}"
        year = f" ({self.plan_year})" if self.plan_year else ""
        return f"Kế hoạch{issuer}{year}" if issuer else f"Kế hoạch {self.plan}{year}"

    def citation(self) -> str:
        """"(Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ, mục III.2.a)"."""
        where = f", mục {self.section}" if self.section else ""
        return f"({self.plan_name()}{where})"


@dataclass(kw_only=True)
class PlanInfo(Cited):
    """A plan's front matter and how much was extracted from it."""

    title: Optional[str]
    level: Optional[str]
    date: Optional[str]  # ISO
    parent: list[str]
    period: Optional[tuple[int, int]]
    version: int
    source_file: str
    ingested_at: str  # ISO, UTC
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(kw_only=True)
class TargetFact(Cited):
    text: str
    value: float
    unit: Optional[str]
    comparator: str
    year: Optional[int]
    subject: str

    def figure(self) -> str:
        """"ít nhất 70%", "trên 15 trường", "100%"."""
        words = COMPARATOR_WORDS.get(self.comparator, "")
        return " ".join(p for p in (words, format_value(self.value, self.unit)) if p)

    def describe(self) -> str:
        """One Vietnamese sentence-fragment: figure, subject, year."""
        year = f" vào năm {self.year}" if self.year else ""
        return f"{self.figure()} {self.subject or self.text}{year}"


@dataclass(kw_only=True)
class TaskFact(Cited):
    text: str


@dataclass(kw_only=True)
class ResponsibilityFact(Cited):
    agency: str
    role: str  # "chủ trì" | "phối hợp" | "thực hiện"
    task: str


@dataclass(kw_only=True)
class DeadlineFact(Cited):
    agency: Optional[str]
    what: str
    to: Optional[str]
    when: Optional[str]
    recurrence: Optional[str]
    month: Optional[int]
    day: Optional[int]


@dataclass(kw_only=True)
class ProjectFact(Cited):
    no: int
    name: str
    lead: Optional[str]  # canonical when known, else as printed
    partners: list[str]  # canonical
    years: list[int]


def format_value(value: float, unit: Optional[str]) -> str:
    """70.0, "%" → "70%"; 15.0, "trường" → "15 trường"; 2.5 → "2,5" (Vietnamese decimal comma)."""
    number = str(int(value)) if float(value).is_integer() else f"{value:g}".replace(".", ",")
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


# ---------------------------------------------------------------------------- helpers


@contextmanager
def _session(session: Optional[Session]) -> Iterator[Session]:
    if session is not None:
        yield session
        return
    from .db import open_session

    with open_session() as own:
        yield own


def query_words(words: Words) -> list[str]:
    """The folded words of a query: "Họp trực tuyến" / ["hop", "truc tuyen"] → ["hop", "truc", "tuyen"]."""
    if words is None:
        return []
    text = words if isinstance(words, str) else " ".join(words)
    return models.search_key(text).split()


# Old and new tone placement ("hoà"/"hòa", "thuỷ"/"thủy") are the same word to a reader.
_TONE_PLACEMENT = {old: new for old, new in (
    ("oà", "òa"), ("oá", "óa"), ("oả", "ỏa"), ("oã", "õa"), ("oạ", "ọa"), ("oè", "òe"), ("oé", "óe"),
    ("oẻ", "ỏe"), ("oẽ", "õe"), ("oẹ", "ọe"), ("uỳ", "ùy"), ("uý", "úy"), ("uỷ", "ủy"), ("uỹ", "ũy"), ("uỵ", "ụy"))}


def _accented_words(text: str) -> list[str]:
    """Lowercase NFC words of ``text`` with one tone placement."""
    low = unicodedata.normalize("NFC", text).lower()
    for old, new in _TONE_PLACEMENT.items():
        low = low.replace(old, new)
    return re.findall(r"[^\W_]+", low)


def _accent_filter(rows: list, words: Words, *texts: Callable[[object], Optional[str]]) -> list:
    """Keep the rows whose text has every word the user typed *with* diacritics as typed:
    folding makes "hop" match both "họp" and "hợp", but a user who typed "họp" meant "họp".
    Words typed without diacritics stay accent-insensitive."""
    if words is None:
        return rows
    raw = words if isinstance(words, str) else " ".join(words)
    marked = {w for w in _accented_words(raw) if models.search_key(w).strip() != w}
    if not marked:
        return rows
    return [row for row in rows
            if marked <= set(_accented_words(" ".join(t(row) or "" for t in texts)))]


def _all_words(column, words: Iterable[str]):
    """SQL: every word occurs as a whole word in a ``search_key`` column."""
    return and_(true(), *(column.like(f"% {w} %") for w in words))


_YEAR = re.compile(r"^(19|20)\d\d$")


def _source(doc: models.Document, section: Optional[str]) -> dict:
    year = doc.date.year if doc.date else doc.period_start
    return dict(plan=doc.plan, plan_number=doc.number, issuer=doc.issuer, plan_year=year, section=section)


def _matching_plans(session: Session, words: Words) -> list[models.Document]:
    """Current plans whose name, number, issuer or title contain all the words; a year
    ("2020") matches the year of issue, any year of the period, or the printed text."""
    all_words = query_words(words)
    years = [int(w) for w in all_words if _YEAR.match(w)]
    plain = [w for w in all_words if not _YEAR.match(w)]
    query = select(models.Document).where(models.Document.is_current.is_(True), _all_words(models.Document.folded, plain))
    docs = session.execute(query.order_by(models.Document.plan, models.Document.id)).scalars().all()

    def has_year(doc: models.Document, year: int) -> bool:
        if f" {year} " in doc.folded or (doc.date and doc.date.year == year):
            return True
        return bool(doc.period_start and doc.period_end and doc.period_start <= year <= doc.period_end)

    docs = _accent_filter(docs, words, lambda d: d.plan, lambda d: d.number, lambda d: d.issuer, lambda d: d.title)
    return [d for d in docs if all(has_year(d, y) for y in years)]


def _resolve_plan(session: Session, plan: Optional[str]) -> Optional[list[int]]:
    """Document ids for a ``plan`` argument (None: no restriction); raises :class:`PlanNotFound`."""
    if plan is None or not str(plan).strip():
        return None
    plan = str(plan).strip()
    current = models.Document.is_current.is_(True)
    ids = session.execute(select(models.Document.id).where(current, models.Document.plan == plan)).scalars().all()
    if not ids:
        number_key = "".join(models.search_key(plan).split())
        numbered = session.execute(select(models.Document.id, models.Document.number)
                                   .where(current, models.Document.number.isnot(None))).all()
        ids = [i for i, number in numbered if "".join(models.search_key(number).split()) == number_key]
    if not ids:
        ids = [d.id for d in _matching_plans(session, plan)]
    if not ids:
        raise PlanNotFound(plan)
    return list(ids)


def _current_docs(session: Session, plan: Optional[str]):
    """The WHERE clause for facts: current version, and the named plan when given."""
    ids = _resolve_plan(session, plan)
    clause = models.Document.is_current.is_(True)
    return and_(clause, models.Document.id.in_(ids)) if ids is not None else clause


def _agency_clause(agency: str):
    return _all_words(models.Agency.folded, query_words(canonical_agency(agency)))


# ---------------------------------------------------------------------------- queries


def find_plans(words: Words = None, *, session: Optional[Session] = None) -> list[PlanInfo]:
    """Current plans matching all ``words`` (province/district name, number, year…); all plans
    when ``words`` is empty."""
    with _session(session) as s:
        return [_plan_info(s, d) for d in _matching_plans(s, words)]


def document_info(plan: str, *, session: Optional[Session] = None) -> PlanInfo:
    """The front matter of one plan; raises :class:`PlanNotFound` / :class:`AmbiguousPlan`."""
    with _session(session) as s:
        ids = _resolve_plan(s, plan) or []
        docs = s.execute(select(models.Document).where(models.Document.id.in_(ids))
                         .order_by(models.Document.plan)).scalars().all()
        if len(docs) > 1:
            raise AmbiguousPlan(plan, [d.plan for d in docs])
        return _plan_info(s, docs[0])


def _plan_info(session: Session, doc: models.Document) -> PlanInfo:
    counts = {}
    for key, model in (("targets", models.Target), ("tasks", models.Task),
                       ("responsibilities", models.Responsibility),
                       ("appendix_projects", models.AppendixProject), ("deadlines", models.Deadline)):
        counts[key] = session.execute(select(func.count()).select_from(model)
                                      .where(model.document_id == doc.id)).scalar_one()
    period = (doc.period_start, doc.period_end) if doc.period_start and doc.period_end else None
    return PlanInfo(**_source(doc, None), title=doc.title, level=doc.level,
                    date=doc.date.isoformat() if doc.date else None, parent=list(doc.parent or []), period=period,
                    version=doc.version, source_file=doc.source_file,
                    ingested_at=doc.ingested_at.isoformat(timespec="seconds"), counts=counts)


def _target_fact(t: models.Target, doc: models.Document) -> TargetFact:
    return TargetFact(**_source(doc, t.section_path), text=t.text, value=t.value, unit=t.unit,
                      comparator=t.comparator, year=t.year, subject=t.subject)


def targets(plan: Optional[str] = None, year: Optional[int] = None, subject_words: Words = None, *,
            session: Optional[Session] = None) -> list[TargetFact]:
    """Targets of current plans, optionally of one plan, for one year, about some words
    (searched in subject and text)."""
    with _session(session) as s:
        query = (select(models.Target, models.Document).join(models.Document)
                 .where(_current_docs(s, plan), _all_words(models.Target.folded, query_words(subject_words))))
        if year is not None:
            query = query.where(models.Target.year == int(year))
        rows = s.execute(query.order_by(models.Document.plan, models.Target.position)).all()
        rows = _accent_filter(rows, subject_words, lambda r: r[0].subject, lambda r: r[0].text)
        return [_target_fact(t, d) for t, d in rows]


def plans_with_target(subject_words: Words, min_value: Optional[float] = None, *, unit: Optional[str] = None,
                      session: Optional[Session] = None) -> list[TargetFact]:
    """Across all current plans: targets about ``subject_words`` whose figure is at least
    ``min_value`` (and in ``unit`` when given), ordered by plan then year — "which plans aim
    for at least 70% online meetings, and by when"."""
    with _session(session) as s:
        query = (select(models.Target, models.Document).join(models.Document)
                 .where(models.Document.is_current.is_(True),
                        _all_words(models.Target.folded, query_words(subject_words))))
        if min_value is not None:
            query = query.where(models.Target.value >= float(min_value))
        if unit is not None:
            query = query.where(models.Target.unit == unit)
        rows = s.execute(query.order_by(models.Document.plan, models.Target.year, models.Target.position)).all()
        rows = _accent_filter(rows, subject_words, lambda r: r[0].subject, lambda r: r[0].text)
        return [_target_fact(t, d) for t, d in rows]


def tasks(plan: Optional[str] = None, words: Words = None, *, session: Optional[Session] = None) -> list[TaskFact]:
    """Task items of current plans containing all ``words``."""
    with _session(session) as s:
        query = (select(models.Task, models.Document).join(models.Document)
                 .where(_current_docs(s, plan), _all_words(models.Task.folded, query_words(words))))
        rows = s.execute(query.order_by(models.Document.plan, models.Task.position)).all()
        rows = _accent_filter(rows, words, lambda r: r[0].text)
        return [TaskFact(**_source(d, t.section_path), text=t.text) for t, d in rows]


def responsibilities(agency: Optional[str] = None, task_words: Words = None, plan: Optional[str] = None, *,
                     role: Optional[str] = None, session: Optional[Session] = None) -> list[ResponsibilityFact]:
    """Who does what: by agency (abbreviations and missing accents allowed: "So TC"), by words
    of the task, by plan, by role."""
    with _session(session) as s:
        query = (select(models.Responsibility, models.Agency, models.Document)
                 .join(models.Agency, models.Responsibility.agency_id == models.Agency.id)
                 .join(models.Document, models.Responsibility.document_id == models.Document.id)
                 .where(_current_docs(s, plan), _all_words(models.Responsibility.folded, query_words(task_words))))
        if agency:
            query = query.where(_agency_clause(agency))
        if role:
            query = query.where(models.Responsibility.role == role)
        rows = s.execute(query.order_by(models.Document.plan, models.Responsibility.position)).all()
        rows = _accent_filter(rows, task_words, lambda r: r[0].task)
        return [ResponsibilityFact(**_source(d, r.section_path), agency=a.name, role=r.role, task=r.task)
                for r, a, d in rows]


def deadlines(plan: Optional[str] = None, agency: Optional[str] = None, *,
              session: Optional[Session] = None) -> list[DeadlineFact]:
    """Dated or recurring obligations, optionally of one plan and one (responsible) agency."""
    with _session(session) as s:
        query = (select(models.Deadline, models.Document)
                 .join(models.Document, models.Deadline.document_id == models.Document.id)
                 .outerjoin(models.Agency, models.Deadline.agency_id == models.Agency.id)
                 .where(_current_docs(s, plan)))
        if agency:
            query = query.where(_agency_clause(agency))
        rows = s.execute(query.order_by(models.Document.plan, models.Deadline.position)).all()
        return [DeadlineFact(**_source(doc, d.section_path),
                             agency=d.agency_ref.name if d.agency_ref else d.agency, what=d.what, to=d.to,
                             when=d.when, recurrence=d.recurrence, month=d.month, day=d.day) for d, doc in rows]


def appendix_projects(plan: Optional[str] = None, words: Words = None, *,
                      session: Optional[Session] = None) -> list[ProjectFact]:
    """Rows of the plans' appendix tables of projects, searched in name, lead and partners."""
    with _session(session) as s:
        query = (select(models.AppendixProject, models.Document).join(models.Document)
                 .where(_current_docs(s, plan), _all_words(models.AppendixProject.folded, query_words(words))))
        rows = s.execute(query.order_by(models.Document.plan, models.AppendixProject.position)).all()
        rows = _accent_filter(rows, words, lambda r: r[0].name, lambda r: r[0].lead,
                              lambda r: " ".join(r[0].partners or []),
                              lambda r: " ".join(canonical_agency(x) for x in [r[0].lead or "", *(r[0].partners or [])]))
        return [ProjectFact(**_source(d, f"PL.{p.no}"), no=p.no, name=p.name,
                            lead=p.lead_agency.name if p.lead_agency else p.lead,
                            partners=[canonical_agency(x) for x in p.partners or []], years=list(p.years or []))
                for p, d in rows]


__all__ = [
    "Cited", "PlanInfo", "TargetFact", "TaskFact", "ResponsibilityFact", "DeadlineFact", "ProjectFact",
    "PlanNotFound", "AmbiguousPlan", "find_plans", "document_info", "targets", "plans_with_target", "tasks",
    "responsibilities", "deadlines", "appendix_projects", "format_value", "query_words",
]
