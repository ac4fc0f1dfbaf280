"""The targets a reporter may report on, and how a report finds its target again.

A target is offered as a :class:`TargetOption` (what the chat shows and cites).  Reports refer
to targets by a stable key (see :mod:`reporting.models`): :func:`target_keys` computes it and
:func:`current_target` finds the same target in the current version of its plan, so reports
survive a re-ingest of the plan file.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from document_parsing.text_utils import clean_space
from knowledge import models
from knowledge.area_models import learnt_links
from knowledge.db import session_scope
from knowledge.geography import covers
from knowledge.queries import (AmbiguousPlan, Cited, PlanNotFound, accented_words, format_value, marked_words,
                               resolve_plan)

from .errors import ReportingError
from .models import Unit

if TYPE_CHECKING:
    from .reporters import ReporterInfo


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

    def is_rate(self) -> bool:
        """A "%" target (or one without a unit) is a rate each unit reaches or not; any other
        unit ("trường", "phòng học") is a count for the whole area."""
        return self.unit == "%" or not self.unit

    def met_by(self, value: float) -> bool:
        """Does ``value`` reach the target?  ">" is strict; ">=" and "=" mean "reach at least"
        (a plan's "70% cuộc họp trực tuyến" is a goal, and 75% has reached it)."""
        if self.comparator == ">":
            return value > self.value + 1e-9
        return value >= self.value - 1e-9


_TARGET_KEYS: dict[tuple, dict[int, str]] = {}
"""(database, document id, ingest time) → {target id: target key}: a document version never
changes once ingested, and the progress of a whole plan should not re-read its targets' text."""


def target_keys(s: Session, doc_id: int) -> dict[int, str]:
    """The stable key of each target of a document version (see :mod:`reporting.models`)."""
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


def _cited(doc: models.Document, section: Optional[str]) -> Cited:
    year = doc.date.year if doc.date else doc.period_start
    return Cited(plan=doc.plan, plan_number=doc.number, issuer=doc.issuer, plan_year=year, section=section)


def plan_name(doc: models.Document) -> str:
    """"Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ" (as answers cite it)."""
    return _cited(doc, None).plan_name()


def option_of(t: models.Target, doc: models.Document) -> TargetOption:
    """A target row of ``doc`` as the chat shows it, with its citation."""
    return TargetOption(target_id=t.id, plan=doc.plan, plan_number=doc.number, issuer=doc.issuer,
                        section=t.section_path, text=t.text, value=t.value, unit=t.unit, comparator=t.comparator,
                        year=t.year, citation=_cited(doc, t.section_path).citation(), subject=t.subject or "",
                        plan_name=plan_name(doc))


def plan_targets(s: Session, doc: models.Document) -> list[models.Target]:
    """The targets of one plan version in the plan's order."""
    return s.execute(select(models.Target).where(models.Target.document_id == doc.id)
                     .order_by(models.Target.position)).scalars().all()


def current_docs(s: Session) -> list[models.Document]:
    """The current version of every plan, by plan stem."""
    return s.execute(select(models.Document).where(models.Document.is_current.is_(True))
                     .order_by(models.Document.plan)).scalars().all()


def one_plan(s: Session, plan: str) -> models.Document:
    """The one current plan that ``plan`` names (stem, number or words); a
    :class:`ReportingError` when none or several do."""
    try:
        ids = resolve_plan(s, plan) or []
    except PlanNotFound as exc:
        raise ReportingError(str(exc)) from None
    docs = s.execute(select(models.Document).where(models.Document.id.in_(ids))
                     .order_by(models.Document.plan)).scalars().all()
    if len(docs) != 1:
        if not docs:
            raise ReportingError(str(PlanNotFound(plan)))
        raise ReportingError(str(AmbiguousPlan(plan, [d.plan for d in docs])), [d.plan for d in docs])
    return docs[0]


def plans_for_area(s: Session, area_words: Optional[str]) -> list[models.Document]:
    """The current plans covering an area ("Mường Tè": its own plan and the Lai Châu one), all
    of them without an area; a :class:`ReportingError` when the KB has none for it."""
    docs = current_docs(s)
    if not clean_space(area_words or ""):
        return docs
    links = learnt_links(s)
    found = [d for d in docs if covers(d.issuer, area_words, links)]
    if not found:
        raise ReportingError(f"Chưa có kế hoạch nào của “{area_words}” trong cơ sở tri thức.")
    return found


_TARGET_STOP = {"chi", "tieu", "bao", "cao", "ty", "ti", "le", "muc", "cac", "cua", "va", "duoc", "so", "ve",
                "tien", "do", "ket", "qua", "nam", "hoc", "quy", "cho", "the", "nao", "bao", "nhieu"}


def target_words(words: str) -> set[str]:
    """The folded words of a question that may name a target (request words and years dropped)."""
    found = set(models.search_key(words or "").split())
    return {w for w in found - _TARGET_STOP if not re.fullmatch(r"\d{4}", w)}


def ranked_targets(s: Session, docs: list[models.Document], words: str,
                   year: Optional[int] = None) -> list[tuple[models.Target, models.Document]]:
    """Targets of ``docs`` ranked by how many of the words they contain (accent-folded, whole
    words); without words all targets in plan order.  A ``year`` breaks ties in favour of the
    target whose year is the nearest not before it."""
    if not docs:
        return []
    by_id = {d.id: d for d in docs}
    order = {d.id: i for i, d in enumerate(docs)}
    rows = s.execute(select(models.Target).where(models.Target.document_id.in_(list(by_id)))).scalars().all()
    wanted = target_words(words)
    # words typed with diacritics count again when they match as typed: "họp" is not "hợp"
    marked = marked_words(words)
    scored = []
    for t in rows:
        overlap = len(wanted & set(t.folded.split())) if wanted else 0
        if wanted and not overlap:
            continue
        if marked:
            overlap += len(marked & set(accented_words(f"{t.subject} {t.text}")))
        if year is not None and t.year is not None:
            distance = (t.year - year) if t.year >= year else 1000 + (year - t.year)
        else:
            distance = 500
        scored.append(((-overlap, distance if wanted else 0, order[t.document_id], t.position), t))
    scored.sort(key=lambda x: x[0])
    return [(t, by_id[t.document_id]) for _, t in scored]


def candidate_targets(reporter: "ReporterInfo", words: str, limit: int = 5, *,
                      session: Optional[Session] = None) -> list[TargetOption]:
    """Targets the reporter may report on that best match the words (all in plan order when the words are empty).  Only targets of current
    plans covering the reporter's unit are offered, since :func:`reporting.saving.save_report`
    refuses any other."""
    with session_scope(session) as s:
        unit = s.get(Unit, reporter.unit_id)
        if unit is None:
            raise ReportingError(f"Đơn vị “{reporter.unit}” không còn trong danh sách; hãy đăng ký lại.")
        links = learnt_links(s)
        docs = [d for d in current_docs(s) if covers(d.issuer, unit.area, links)]
        return [option_of(t, d) for t, d in ranked_targets(s, docs, words)[:limit]]


def target_option(target_id: int, *, session: Optional[Session] = None) -> TargetOption:
    """One target by id (the id the chat kept from :func:`candidate_targets`)."""
    with session_scope(session) as s:
        target = s.get(models.Target, int(target_id))
        if target is None:
            raise ReportingError("Không tìm thấy chỉ tiêu này (kế hoạch có thể vừa được cập nhật); hãy chọn lại.")
        return option_of(target, target.document)


def current_target(s: Session, target_id: int,
                   missing: str = "Không tìm thấy chỉ tiêu này.") -> tuple[models.Target, models.Document, str]:
    """The target's row in the current version of its plan (the same key), its document and key;
    the row itself when its plan has no current version or the target was reworded.  An unknown
    id is a :class:`ReportingError` with the message ``missing``."""
    target = s.get(models.Target, int(target_id))
    if target is None:
        raise ReportingError(missing)
    doc = target.document
    key = target_keys(s, doc.id)[target.id]
    if not doc.is_current:
        current = s.execute(select(models.Document).where(models.Document.plan == doc.plan,
                                                          models.Document.is_current.is_(True))).scalars().first()
        if current is not None:
            for target_id, other in target_keys(s, current.id).items():
                if other == key:
                    return s.get(models.Target, target_id), current, key
    return target, doc, key


__all__ = ["TargetOption", "target_keys", "plan_name", "option_of", "plan_targets", "current_docs", "one_plan",
           "plans_for_area", "target_words", "ranked_targets", "candidate_targets", "target_option",
           "current_target"]
