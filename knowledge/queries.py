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
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

from sqlalchemy import Integer, and_, bindparam, cast, extract, func, join, literal, outerjoin, select, true, union_all
from sqlalchemy.orm import Session

from .db import session_scope
from . import fulltext, models
from document_parsing.agency_names import canonical_agency
from document_parsing.text_utils import nfc

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
    plan_date: Optional[str] = None  # ISO date of issue, to name a plan printed without a number
    plan_title: Optional[str] = None
    fact_id: Optional[int] = None  # the row's id in its table: the key of the full-text index

    def plan_name(self) -> str:
        """"Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ"; a plan printed
        without a number is named by issuer, date and title ("Kế hoạch của Ủy ban nhân dân huyện
        Mường Tè ngày 10/3/2022 về …"), never by its file name."""
        issuer = f" của {self.issuer}" if self.issuer else ""
        if self.plan_number:
            return f"Kế hoạch số {self.plan_number}{issuer}"
        if self.plan_date:
            year, month, day = (int(x) for x in self.plan_date.split("-"))
            when = f" ngày {day}/{month}/{year}"
        else:
            when = f" năm {self.plan_year}" if self.plan_year else ""
        title = _short_title(self.plan_title)
        about = f" về {title}" if title else ""
        name = f"Kế hoạch (không ghi số){issuer}{when}{about}"
        return name

    def citation(self) -> str:
        """"(Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ, mục III.2.a)"."""
        where = f", mục {self.section}" if self.section else ""
        return f"({self.plan_name()}{where})"


def _short_title(title: Optional[str]) -> str:
    """The subject of a plan's title ("Kế hoạch Ứng dụng CNTT …" → "ứng dụng CNTT …"), one line."""
    text = " ".join((title or "").split())
    text = re.sub(r"(?i)^(kế hoạch|quyết định)\s*:?\s*", "", text).strip(" .:")
    if text and text[:1].isupper() and not text[:2].isupper():
        text = text[:1].lower() + text[1:]
    if len(text) > 80:  # a whole title is a paragraph: its first words name it
        text = text[:80].rsplit(" ", 1)[0].rstrip(",;:-–") + "…"
    return text


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
    date_printed: Optional[str] = None  # as printed, even with a blank day
    signer: Optional[str] = None


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


def accented_words(text: str) -> list[str]:
    """Lowercase NFC words of ``text`` with one tone placement ("hoà" = "hòa").  Public because
    :mod:`reporting.targets` ranks targets with the same rule: a word typed with diacritics
    ("họp") must match as typed, not only folded ("hợp")."""
    low = nfc(text).lower()
    for old, new in _TONE_PLACEMENT.items():
        low = low.replace(old, new)
    return re.findall(r"[^\W_]+", low)


def marked_words(words: Words) -> set[str]:
    """The words of ``words`` typed *with* diacritics, lowercase, one tone placement ("Họp" →
    "họp"): the ones a row must print as typed."""
    if words is None:
        return set()
    raw = words if isinstance(words, str) else " ".join(words)
    return {w for w in accented_words(raw) if models.search_key(w).strip() != w}


def spellings(word: str) -> list[str]:
    """Every way of printing ``word`` (a word of :func:`accented_words`) that reads the same:
    "hòa" → ["hòa", "hoà"], for the full-text index, which holds words as printed."""
    found = [word]
    for old, new in _TONE_PLACEMENT.items():
        found += [w.replace(new, old) for w in found if new in w]
    return found


def _has_word(printed: str, forms: Sequence[str]) -> bool:
    """Whether one of ``forms`` occurs in ``printed`` as a whole word (between characters that
    are not letters or digits) — the words of :func:`accented_words`, found without splitting
    ``printed`` into words (a substring search is some ten times cheaper)."""
    for form in forms:
        start = printed.find(form)
        while start >= 0:
            end = start + len(form)
            if (start == 0 or not printed[start - 1].isalnum()) and (end == len(printed) or not printed[end].isalnum()):
                return True
            start = printed.find(form, start + 1)
    return False


def _accent_filter(rows: list, words: Words, *texts: Callable[[object], Optional[str]]) -> list:
    """Keep the rows whose text has every word the user typed *with* diacritics as typed:
    folding makes "hop" match both "họp" and "hợp", but a user who typed "họp" meant "họp".
    Words typed without diacritics stay accent-insensitive.  (Each such word must be one of the
    row's :func:`accented_words`: printed as a whole word in one of its :func:`spellings`.)"""
    marked = marked_words(words)
    if not marked:
        return rows
    forms = [spellings(w) for w in sorted(marked)]
    kept = []
    for row in rows:
        printed = nfc(" ".join(t(row) or "" for t in texts)).lower()
        if all(_has_word(printed, f) for f in forms):
            kept.append(row)
    return kept


def _all_words(column, words: Iterable[str]):
    """SQL: every word occurs as a whole word in a ``search_key`` column."""
    return and_(true(), *(column.like(f"% {w} %") for w in words))


# knowledge.models.SEARCHED kinds → knowledge.fulltext kinds
FULLTEXT_KINDS = {"appendix_project": "project"}


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _with_words(kind: str, words: list[str], doc_ids: Optional[list[int]] = None, *, dialect: str = "sqlite"):
    """``(from_clause, extra_where)`` for a search of ``models.SEARCHED[kind]`` rows having every
    folded word: the rows joined to their document (the documents table alone for ``"document"``),
    and a condition to add to the WHERE clause (None when there is none).

    Words are looked up in the full-text index (:mod:`knowledge.fulltext`: FTS5 on SQLite, a GIN
    index on PostgreSQL, current versions only): the fact ids having every word, within
    ``doc_ids`` when given.  The FROM clause starts from those ids, so SQLite and PostgreSQL fetch
    the matching rows by primary key rather than walk every current plan.  Without words it is
    the plain join."""
    model = models.SEARCHED[kind]
    document = models.Document
    wanted = sorted(set(words))
    if not wanted:
        base = model if model is document else join(model, document, model.document_id == document.id)
        return base, None
    matching = fulltext.matching_rows(dialect, FULLTEXT_KINDS.get(kind, kind), wanted, doc_ids)
    base = join(matching, model, model.id == matching.c.fact_id)
    if model is not document:
        base = join(base, document, model.document_id == document.id)
    return base, None


def _where(query, *clauses):
    return query.where(*(c for c in clauses if c is not None))


_YEAR = re.compile(r"^(19|20)\d\d$")


def _source(doc: models.Document, section: Optional[str]) -> dict:
    year = doc.date.year if doc.date else doc.period_start
    return dict(plan=doc.plan, plan_number=doc.number, issuer=doc.issuer, plan_year=year, section=section,
                plan_date=doc.date.isoformat() if doc.date else None, plan_title=doc.title)


# What a fact row needs of its document to be cited; selected after the fact's own columns.
_DOC_COLUMNS = (models.Document.id, models.Document.plan, models.Document.number, models.Document.issuer,
                func.coalesce(cast(extract("year", models.Document.date), Integer), models.Document.period_start),
                models.Document.date, models.Document.title)


def _rows(session: Session, query) -> list:
    """Plain result rows (Core execution: the ORM's per-row processing is not needed for columns)."""
    return session.connection().execute(query).all()


def _cited(rows, make: Callable) -> list:
    """``make(source, *fact_columns)`` for each row ending with :data:`_DOC_COLUMNS`; ``source``
    (the citation fields of the document, built once per document) is a dict to unpack."""
    sources: dict[int, dict] = {}
    cut = -len(_DOC_COLUMNS)
    out = []
    for row in rows:
        doc_id, plan, number, issuer, plan_year, date, title = row[cut:]
        source = sources.get(doc_id)
        if source is None:
            source = sources[doc_id] = dict(plan=plan, plan_number=number, issuer=issuer, plan_year=plan_year,
                                            plan_date=date.isoformat() if date else None, plan_title=title)
        out.append(make(source, *row[:cut]))
    return out


def _matching_plans(session: Session, words: Words) -> list[models.Document]:
    """Current plans whose name, number, issuer or title contain all the words; a year
    ("2020") matches the year of issue, any year of the period, or the printed text."""
    all_words = query_words(words)
    years = [int(w) for w in all_words if _YEAR.match(w)]
    plain = [w for w in all_words if not _YEAR.match(w)]
    base, extra = _with_words("document", plain, dialect=_dialect(session))
    query = _where(select(models.Document).select_from(base), models.Document.is_current.is_(True), extra)
    docs = session.execute(query.order_by(models.Document.plan, models.Document.id)).scalars().all()

    def has_year(doc: models.Document, year: int) -> bool:
        if f" {year} " in doc.folded or (doc.date and doc.date.year == year):
            return True
        return bool(doc.period_start and doc.period_end and doc.period_start <= year <= doc.period_end)

    docs = _accent_filter(docs, words, lambda d: d.plan, lambda d: d.number, lambda d: d.issuer, lambda d: d.title)
    return [d for d in docs if all(has_year(d, y) for y in years)]


def resolve_plan(session: Session, plan: Optional[str]) -> Optional[list[int]]:
    """Document ids of the current plans a ``plan`` argument names — its file stem, its number
    ("3381/KH-UBND", "3381") or words of its issuer or title — or None when ``plan`` is empty
    (no restriction); raises :class:`PlanNotFound`.  Public so that progress reporting
    (:mod:`reporting`) resolves a plan exactly as the questions do."""
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


def _current(ids: Optional[list[int]]):
    """The WHERE clause for facts: current version, and the resolved plan's documents when given."""
    clause = models.Document.is_current.is_(True)
    return and_(clause, models.Document.id.in_(ids)) if ids is not None else clause


def _agency_clause(agency: str):
    return _all_words(models.Agency.folded, query_words(canonical_agency(agency)))


# ---------------------------------------------------------------------------- queries


def find_plans(words: Words = None, *, session: Optional[Session] = None) -> list[PlanInfo]:
    """Current plans matching all ``words`` (province/district name, number, year…); all plans
    when ``words`` is empty."""
    with session_scope(session) as s:
        return _plan_infos(s, _matching_plans(s, words))


def document_info(plan: str, *, session: Optional[Session] = None) -> PlanInfo:
    """The front matter of one plan; raises :class:`PlanNotFound` / :class:`AmbiguousPlan`."""
    with session_scope(session) as s:
        ids = resolve_plan(s, plan) or []
        docs = s.execute(select(models.Document).where(models.Document.id.in_(ids))
                         .order_by(models.Document.plan)).scalars().all()
        if len(docs) > 1:
            raise AmbiguousPlan(plan, [d.plan for d in docs])
        return _plan_infos(s, docs)[0]


_COUNTED = (("targets", models.Target), ("tasks", models.Task), ("responsibilities", models.Responsibility),
            ("appendix_projects", models.AppendixProject), ("deadlines", models.Deadline))


def _plan_infos(session: Session, docs: list[models.Document]) -> list[PlanInfo]:
    """:class:`PlanInfo` of each document, with the fact counts of all of them from one query."""
    if not docs:
        return []
    counts_of = {doc.id: {key: 0 for key, _ in _COUNTED} for doc in docs}
    ids = list(counts_of)
    for start in range(0, len(ids), 500):  # one query per 500 plans (bound-parameter limits)
        chunk = ids[start:start + 500]
        parts = [select(literal(key).label("kind"), model.document_id, func.count().label("n"))
                 .where(model.document_id.in_(chunk)).group_by(model.document_id) for key, model in _COUNTED]
        for key, doc_id, n in session.execute(union_all(*parts)):
            counts_of[doc_id][key] = n
    infos = []
    for doc in docs:
        period = (doc.period_start, doc.period_end) if doc.period_start and doc.period_end else None
        infos.append(PlanInfo(**_source(doc, None), title=doc.title, level=doc.level,
                              date=doc.date.isoformat() if doc.date else None, parent=list(doc.parent or []),
                              period=period, version=doc.version, source_file=doc.source_file,
                              ingested_at=doc.ingested_at.isoformat(timespec="seconds"), counts=counts_of[doc.id],
                              date_printed=doc.date_printed, signer=doc.signer))
    return infos


_TARGET_COLUMNS = (models.Target.id, models.Target.section_path, models.Target.text, models.Target.value, models.Target.unit,
                   models.Target.comparator, models.Target.year, models.Target.subject, *_DOC_COLUMNS)


def _target_facts(rows) -> list[TargetFact]:
    return _cited(rows, lambda source, fact_id, section, text, value, unit, comparator, year, subject: TargetFact(
        **source, fact_id=fact_id, section=section, text=text, value=value, unit=unit, comparator=comparator, year=year,
        subject=subject))


@dataclass(frozen=True)
class _TargetShape:
    """Which filters a target query has: one SQL statement per shape, built once."""

    words: bool
    plan: bool
    year: bool = False
    min_value: bool = False
    unit: bool = False
    by_year: bool = False  # order by plan, year, position (else plan, position)
    limited: bool = False


@lru_cache(maxsize=None)
def _target_statement(dialect: str, shape: _TargetShape):
    """The query of :func:`targets` and :func:`plans_with_target` for one ``shape``, its values as
    bound parameters (``document_ids``, ``year``, ``min_value``, ``unit``, ``limit`` and those of
    :func:`knowledge.fulltext.matching_params`).  Built once: building and keying a statement of
    this size costs more than running it on SQLite.

    With words and a limit, the rows kept are the first ``limit`` matches in the full-text
    index's order (SQLite reads the index in that order and stops there, instead of joining and
    sorting every match of words as common as "họp trực tuyến" over a thousand plans), and are
    returned in plan order like the rows of the whole list."""
    t, d = models.Target, models.Document
    where = [d.is_current.is_(True)]
    if shape.plan:
        where.append(d.id.in_(bindparam("document_ids", expanding=True)))
    if shape.year:
        where.append(t.year == bindparam("year"))
    if shape.min_value:
        where.append(t.value >= bindparam("min_value"))
    if shape.unit:
        where.append(t.unit == bindparam("unit"))
    order = (d.plan, t.year, t.position) if shape.by_year else (d.plan, t.position)
    plain = join(t, d, t.document_id == d.id)
    if not shape.words:
        query = select(*_TARGET_COLUMNS).select_from(plain).where(*where).order_by(*order)
        return query.limit(bindparam("limit")) if shape.limited else query
    matching = fulltext.matching_statement(dialect, shape.plan)
    base = join(join(matching, t, t.id == matching.c.fact_id), d, t.document_id == d.id)
    if not shape.limited:
        return select(*_TARGET_COLUMNS).select_from(base).where(*where).order_by(*order)
    first = select(t.id).select_from(base).where(*where).order_by(matching.c.ordinal).limit(bindparam("limit"))
    return select(*_TARGET_COLUMNS).select_from(plain).where(t.id.in_(first.scalar_subquery())).order_by(*order)


def _select_targets(session: Session, subject_words: Words, ids: Optional[list[int]], limit: Optional[int],
                    by_year: bool = False, **values) -> list[TargetFact]:
    """Run :func:`_target_statement` for these values (``year``, ``min_value``, ``unit``: None
    for no filter), then keep the rows printing the words typed with diacritics."""
    dialect = _dialect(session)
    words = sorted(set(query_words(subject_words)))
    marked = marked_words(subject_words)
    values = {key: value for key, value in values.items() if value is not None}
    shape = _TargetShape(words=bool(words), plan=ids is not None, by_year=by_year, limited=limit is not None,
                         **{key: True for key in values})
    params = dict(values)
    if words:
        params.update(fulltext.matching_params(dialect, "target", words, ids,
                                               [spellings(w) for w in sorted(marked)]))
    if ids is not None:
        params["document_ids"] = list(ids)
    if limit is not None:
        params["limit"] = int(limit)
    statement = _target_statement(dialect, shape)
    found = session.connection().execute(statement, params).all()
    rows = _accent_filter(found, subject_words, lambda r: r.subject, lambda r: r.text)
    # the index is a first sieve, the printed words decide: when they dropped some of the first
    # ``limit`` matches, read further matches (twice as many each time) until ``limit`` are kept
    read = limit
    while limit is not None and words and len(rows) < limit and len(found) == read:
        read *= 2
        found = session.connection().execute(statement, params | {"limit": read}).all()
        rows = _accent_filter(found, subject_words, lambda r: r.subject, lambda r: r.text)
    if limit is not None and len(rows) > limit:  # keep the first ``limit`` in the index's order
        matching = fulltext.matching_statement(dialect, ids is not None)
        place = dict(session.connection().execute(
            select(matching.c.fact_id, matching.c.ordinal)
            .where(matching.c.fact_id.in_(bindparam("kept", expanding=True))),
            params | {"kept": [r.id for r in rows]}).all())
        first = set(sorted(place, key=place.get)[:limit])
        rows = [r for r in rows if r.id in first]
    return _target_facts(rows)


def targets(plan: Optional[str] = None, year: Optional[int] = None, subject_words: Words = None, *,
            session: Optional[Session] = None, limit: Optional[int] = None) -> list[TargetFact]:
    """Targets of current plans, optionally of one plan, for one year, about some words
    (searched in subject and text), in plan order.

    ``limit``: at most that many rows — with words, the first ones in the full-text index's order
    (plans in the order they became current, each plan's targets in its own order), returned in
    plan order; a chat answer or a page of results needs the first rows, and these SQLite reads
    without sorting every plan's.  Without words, the first ones in plan order."""
    with session_scope(session) as s:
        return _select_targets(s, subject_words, resolve_plan(s, plan), limit,
                               year=int(year) if year is not None else None)


def plans_with_target(subject_words: Words, min_value: Optional[float] = None, *, unit: Optional[str] = None,
                      session: Optional[Session] = None, limit: Optional[int] = None) -> list[TargetFact]:
    """Across all current plans: targets about ``subject_words`` whose figure is at least
    ``min_value`` (and in ``unit`` when given), ordered by plan then year — "which plans aim
    for at least 70% online meetings, and by when".  ``limit``: as in :func:`targets`."""
    with session_scope(session) as s:
        return _select_targets(s, subject_words, None, limit, by_year=True,
                               min_value=float(min_value) if min_value is not None else None, unit=unit)


def tasks(plan: Optional[str] = None, words: Words = None, *, session: Optional[Session] = None) -> list[TaskFact]:
    """Task items of current plans containing all ``words``."""
    with session_scope(session) as s:
        ids = resolve_plan(s, plan)
        base, extra = _with_words("task", query_words(words), ids, dialect=_dialect(s))
        query = _where(select(models.Task.id, models.Task.section_path, models.Task.text, *_DOC_COLUMNS)
                       .select_from(base),
                       _current(ids), extra)
        rows = _rows(s, query.order_by(models.Document.plan, models.Task.position))
        rows = _accent_filter(rows, words, lambda r: r.text)
        return _cited(rows, lambda source, fact_id, section, text: TaskFact(**source, fact_id=fact_id, section=section,
                                                                             text=text))


def responsibilities(agency: Optional[str] = None, task_words: Words = None, plan: Optional[str] = None, *,
                     role: Optional[str] = None, session: Optional[Session] = None) -> list[ResponsibilityFact]:
    """Who does what: by agency (abbreviations and missing accents allowed: "So TC"), by words
    of the task, by plan, by role."""
    with session_scope(session) as s:
        ids = resolve_plan(s, plan)
        base, extra = _with_words("responsibility", query_words(task_words), ids, dialect=_dialect(s))
        base = join(base, models.Agency, models.Responsibility.agency_id == models.Agency.id)
        query = _where(select(models.Responsibility.id, models.Responsibility.section_path, models.Responsibility.role,
                              models.Responsibility.task, models.Agency.name.label("agency"), *_DOC_COLUMNS)
                       .select_from(base), _current(ids), extra)
        if agency:
            query = query.where(_agency_clause(agency))
        if role:
            query = query.where(models.Responsibility.role == role)
        rows = _rows(s, query.order_by(models.Document.plan, models.Responsibility.position))
        rows = _accent_filter(rows, task_words, lambda r: r.task)
        return _cited(rows, lambda source, fact_id, section, role, task, name: ResponsibilityFact(
            **source, fact_id=fact_id, section=section, agency=name, role=role, task=task))


def deadlines(plan: Optional[str] = None, agency: Optional[str] = None, *,
              session: Optional[Session] = None) -> list[DeadlineFact]:
    """Dated or recurring obligations, optionally of one plan and one (responsible) agency."""
    with session_scope(session) as s:
        ids = resolve_plan(s, plan)
        d = models.Deadline
        query = (select(d.id, d.section_path, d.agency, models.Agency.name.label("agency_name"), d.what, d.to, d.when,
                        d.recurrence, d.month, d.day, *_DOC_COLUMNS)
                 .join_from(d, models.Document, d.document_id == models.Document.id)
                 .outerjoin(models.Agency, d.agency_id == models.Agency.id)
                 .where(_current(ids)))
        if agency:
            query = query.where(_agency_clause(agency))
        rows = _rows(s, query.order_by(models.Document.plan, d.position))
        return _cited(rows, lambda source, fact_id, section, printed, name, what, to, when, recurrence, month, day:
                      DeadlineFact(**source, fact_id=fact_id, section=section, agency=name or printed, what=what, to=to, when=when, recurrence=recurrence,
            month=month, day=day))


def appendix_projects(plan: Optional[str] = None, words: Words = None, *,
                      session: Optional[Session] = None) -> list[ProjectFact]:
    """Rows of the plans' appendix tables of projects, searched in name, lead and partners."""
    with session_scope(session) as s:
        ids = resolve_plan(s, plan)
        p = models.AppendixProject
        base, extra = _with_words("appendix_project", query_words(words), ids, dialect=_dialect(s))
        base = outerjoin(base, models.Agency, p.lead_agency_id == models.Agency.id)
        query = _where(select(p.id, p.no, p.name, p.lead, p.partners, p.years, models.Agency.name.label("lead_name"),
                              p.section_path,
                              *_DOC_COLUMNS).select_from(base), _current(ids), extra)
        rows = _rows(s, query.order_by(models.Document.plan, p.position))
        rows = _accent_filter(rows, words, lambda r: r.name, lambda r: r.lead,
                              lambda r: " ".join(r.partners or []),
                              lambda r: " ".join(canonical_agency(x) for x in [r.lead or "", *(r.partners or [])]))
        return _cited(rows, lambda source, fact_id, no, name, lead, partners, years, lead_name, section: ProjectFact(
            **source, fact_id=fact_id, section=section or f"PL.{no}", no=no, name=name, lead=lead_name or lead,
            partners=[canonical_agency(x) for x in partners or []], years=list(years or [])))


__all__ = [
    "Cited", "PlanInfo", "TargetFact", "TaskFact", "ResponsibilityFact", "DeadlineFact", "ProjectFact",
    "PlanNotFound", "AmbiguousPlan", "find_plans", "document_info", "targets", "plans_with_target", "tasks",
    "responsibilities", "deadlines", "appendix_projects", "format_value", "query_words", "accented_words",
    "resolve_plan", "marked_words", "spellings",
]
