"""Progress of targets over the units a plan covers: one target, a whole plan, or the target
that best matches a question's words.

Each unit's figure is the latest value kept on its report (:mod:`reporting.models`), so a whole
plan is one query over the reports of that plan and period (joined to the reporters' names),
whatever the number of revisions.  The figure over the units and the verdict follow
:mod:`reporting.rule`.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from knowledge import models
from knowledge.db import session_scope
from knowledge.geography import area_key

from .errors import ReportingError
from .results import Progress, UnitResult
from .rule import rule_text, verdict
from .targets import (current_target, one_plan, option_of, plan_targets, plans_for_area, ranked_targets,
                      target_keys, target_words)
from .units import SCHOOL, UnitInfo, covered_units
from .values import Period, reporting_period


@dataclass
class _Scope:
    """The units a plan covers (optionally within one area), loaded once per call, and which of
    them carry the plan's figure: its schools, or every unit when it covers no school."""

    units: dict[int, tuple[str, str, str]]  # id → (name, kind, area) as a UnitResult has them; by area, kind, name
    counted_kind: str  # SCHOOL, or "" for every kind
    counted: list[UnitInfo]  # by name
    rank: dict[int, int]  # unit id → position in ``units``

    @classmethod
    def load(cls, s: Session, doc: models.Document, area: Optional[str]) -> "_Scope":
        infos = covered_units(s, doc.issuer, area)
        kind = SCHOOL if any(u.kind == SCHOOL for u in infos.values()) else ""
        counted = sorted((u for u in infos.values() if not kind or u.kind == kind), key=lambda u: u.name)
        units = {i: (u.name, u.kind, u.area) for i, u in infos.items()}
        return cls(units, kind, counted, {unit_id: i for i, unit_id in enumerate(infos)})


# The columns of reporting.models.Report / Reporter (tests fail if they are renamed).
_LATEST_SQL = ("SELECT CASE target_key {cases} END, unit_id, latest_value, latest_revision, updated_at,"
               " latest_reporter_id, latest_comment FROM reports"
               " WHERE plan = {m} AND period_label = {m} AND target_key IN ({keys})")
_AUTHORS_SQL = ("SELECT id, name FROM reporters WHERE id IN"
                " (SELECT latest_reporter_id FROM reports WHERE plan = {m} AND period_label = {m})")


def _latest_rows(s: Session, plan: str, keys: list[str], period_label: str) -> tuple[dict[str, list], dict]:
    """target key → rows (key number, unit_id, value, revision, time, author id, comment) of the
    latest value of every report of one plan for one period (times as the driver returns them:
    see :func:`_time`), and author id → name.

    Two fixed statements on the DB-API cursor of the session's connection, with bound
    parameters: a whole plan is 10,000 rows at a province's scale, and what costs is making
    Python objects of them — SQLAlchemy's row objects and SQLite's text-to-datetime processor
    cost more than the rest of the plan's progress (bench/reports_aggregate.py).  So the target
    key comes back as its number in ``keys`` (a small int, never allocated), and the authors'
    names from a second query, one string per reporter instead of one per row."""
    connection = s.connection()
    m = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    try:
        cursor.execute(_LATEST_SQL.format(cases=" ".join(f"WHEN {m} THEN {i}" for i in range(len(keys))), m=m,
                                          keys=", ".join([m] * len(keys))), (*keys, plan, period_label, *keys))
        rows = cursor.fetchall()
        cursor.execute(_AUTHORS_SQL.format(m=m), (plan, period_label))
        authors = dict(cursor.fetchall())
    finally:
        cursor.close()
    grouped: list[list] = [[] for _ in keys]
    for row in rows:
        grouped[row[0]].append(row)
    return dict(zip(keys, grouped)), authors


def _time(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _progress(target: models.Target, doc: models.Document, period: Period, area: Optional[str], scope: _Scope,
              rows: list, authors: dict[int, str]) -> Progress:
    option = option_of(target, doc)
    rate = option.is_rate()
    met_by = option.met_by
    units, kind, rank = scope.units, scope.counted_kind, scope.rank
    mine = sorted((r for r in rows if r[1] in units and r[2] is not None), key=lambda r: rank[r[1]])  # area asked
    when = datetime.fromisoformat if mine and isinstance(mine[0][4], str) else _time
    name = authors.get
    # one comprehension per case, option.met_by inlined: a whole plan is 10,000 rows
    if not rate:
        results = [UnitResult(u, *units[u], v, n, name(a, ''), when(t), c, None) for _, u, v, n, t, a, c in mine]
    elif option.comparator == ">":
        floor = option.value + 1e-9
        results = [UnitResult(u, *units[u], v, n, name(a, ''), when(t), c, v > floor) for _, u, v, n, t, a, c in mine]
    else:
        floor = option.value - 1e-9
        results = [UnitResult(u, *units[u], v, n, name(a, ''), when(t), c, v >= floor) for _, u, v, n, t, a, c in mine]
    counted = [r for r in results if r.kind == kind] if kind else results
    done = {r.unit_id for r in counted}
    unreported = [u for u in scope.counted if u.id not in done]
    covered, reported = len(scope.counted), len(counted)
    aggregate = reported_mean = on_track = None
    if counted:
        total = sum(r.value for r in counted)
        aggregate = total / covered if rate else total
        reported_mean = total / reported if rate else None
        on_track = verdict(met_by(aggregate), reported, covered)
    noun = SCHOOL if kind == SCHOOL else "đơn vị"
    return Progress(target=option, period=period.label, area=area, units=results, aggregate=aggregate,
                    method="trung bình" if rate else "tổng", on_track=on_track,
                    missing_units=[u.name for u in unreported], citation=option.citation, covered=covered,
                    reported=reported, rule=rule_text(noun, rate), reported_mean=reported_mean,
                    unreported=unreported, counted_kind=kind)


@contextmanager
def _without_gc_pauses():
    """The cyclic garbage collector held off while a plan's results are built: 10,000 unit
    results (no reference cycles among them) would otherwise trigger several collections of
    everything the process holds — the difference between p50 and p95 in
    bench/reports_aggregate.py.  Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def progress(target_id: int, period_label: str, area: Optional[str] = None, *,
             session: Optional[Session] = None) -> Progress:
    """Progress of one target in one period over the units its plan covers: each unit's latest
    figure, the figure over all of them (:mod:`reporting.rule`), whether it is on track, and the
    units that have not reported.  ``area`` narrows to one district or province of the plan
    ("Mường Tè")."""
    period = reporting_period(period_label)
    with session_scope(session) as s:
        target, doc, key = current_target(s, target_id)
        scope = _Scope.load(s, doc, area)
        rows, authors = _latest_rows(s, doc.plan, [key], period.label)
        return _progress(target, doc, period, area, scope, rows[key], authors)


def plan_progress(plan: str, period_label: str, area: Optional[str] = None, *,
                  session: Optional[Session] = None) -> list[Progress]:
    """:func:`progress` of every target of a plan (in the plan's order), from one query on the
    reports."""
    period = reporting_period(period_label)
    with session_scope(session) as s:
        doc = one_plan(s, plan)
        keys = target_keys(s, doc.id)
        targets = plan_targets(s, doc)
        scope = _Scope.load(s, doc, area)
        with _without_gc_pauses():
            rows, authors = _latest_rows(s, doc.plan, sorted(set(keys.values())), period.label)
            return [_progress(t, doc, period, area, scope, rows[keys[t.id]], authors) for t in targets]


def progress_by_words(words: str, period_label: str, area_words: Optional[str] = None, *,
                      session: Optional[Session] = None) -> Progress:
    """Progress of the target best matching the words in the plans covering an area, for the
    chat's "tiến độ chỉ tiêu họp trực tuyến của Cần Thơ năm 2024?"."""
    period = reporting_period(period_label)
    with session_scope(session) as s:
        docs = plans_for_area(s, area_words)
        if not target_words(words):
            raise ReportingError("Bạn muốn xem tiến độ chỉ tiêu nào? Hãy nêu nội dung, ví dụ “họp trực tuyến”.")
        ranked = ranked_targets(s, docs, words, period.year)
        if not ranked:
            where = f" của {area_words}" if area_words else ""
            raise ReportingError(f"Không tìm thấy chỉ tiêu “{words}” trong kế hoạch{where}.")
        target, doc = ranked[0]
        keep_area = area_words if area_words and area_key(area_words) != area_key(doc.issuer) else None
        key = target_keys(s, doc.id)[target.id]
        scope = _Scope.load(s, doc, keep_area)
        rows, authors = _latest_rows(s, doc.plan, [key], period.label)
        return _progress(target, doc, period, keep_area, scope, rows[key], authors)


__all__ = ["progress", "plan_progress", "progress_by_words"]
