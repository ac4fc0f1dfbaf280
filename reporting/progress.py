"""Progress of targets over the units a plan covers: one target, a whole plan, or the target
that best matches a question's words.

Each unit's figure is the latest value kept on its report (:mod:`reporting.models`), whatever
the number of revisions.  The figure over the units and the verdict follow :mod:`reporting.rule`;
the database sums the counted units' values per target (one GROUP BY on the index of migration
0013), so the figures of a whole plan never build a Python object per unit and target.  The
per-unit rows (:class:`~reporting.results.UnitResult`) are read only where they are shown: one
target's progress (the chat lists its units) and ``plan_progress(..., units=True)`` (the
dashboard's per-unit view, the exports).
"""
from __future__ import annotations

import gc
import json
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
from .targets import (TargetOption, current_target, one_plan, option_of, plan_targets, plans_for_area,
                      ranked_targets, target_keys, target_words)
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
    counted_ids: list[int]  # of ``counted``
    position: dict[str, int]  # the same ids as text, as the database joins them (_Tally.unit_ids) → index

    @classmethod
    def load(cls, s: Session, doc: models.Document, area: Optional[str]) -> "_Scope":
        infos = covered_units(s, doc.issuer, area)
        kind = SCHOOL if any(u.kind == SCHOOL for u in infos.values()) else ""
        counted = sorted((u for u in infos.values() if not kind or u.kind == kind), key=lambda u: u.name)
        units = {i: (u.name, u.kind, u.area) for i, u in infos.items()}
        ids = [u.id for u in counted]
        return cls(units, kind, counted, {unit_id: i for i, unit_id in enumerate(infos)}, ids,
                   {str(unit_id): i for i, unit_id in enumerate(ids)})


# The columns of reporting.models.Report / Reporter (tests fail if they are renamed).
_TALLY_SQL = ("SELECT target_key, count(*), sum(latest_value), {unit_ids} FROM reports"
              " WHERE plan = {m} AND period_label = {m} AND target_key IN ({keys}) AND latest_value IS NOT NULL"
              " AND {counted} GROUP BY target_key")
_LATEST_SQL = ("SELECT CASE target_key {cases} END, unit_id, latest_value, latest_revision, updated_at,"
               " latest_reporter_id, latest_comment FROM reports WHERE plan = {m} AND period_label = {m}")
_AUTHORS_SQL = ("SELECT id, name FROM reporters WHERE id IN (SELECT latest_reporter_id FROM reports"
                " WHERE plan = {m} AND period_label = {m} AND target_key IN ({keys}))")


@dataclass
class _Tally:
    """One target's figures over the counted units: how many reported a value, their sum, and
    which ones ("12,15,…", as the database joined them: one string instead of a row each)."""

    reported: int = 0
    total: float = 0.0
    unit_ids: str = ""

    def done(self) -> set[str]:
        """The ids of the units that reported, as text (the keys of :attr:`_Scope.position`)."""
        return set(self.unit_ids.split(",")) if self.unit_ids else set()


class _Reports:
    """The statements on the reports of one plan and period, on the DB-API cursor of the
    session's connection with bound parameters: a whole plan is 10,000 reports at a province's
    scale, and what costs is making Python objects of them (SQLAlchemy's row objects, SQLite's
    text-to-datetime processor).  A context manager: the cursor is closed on leaving."""

    def __init__(self, s: Session, plan: str, period_label: str, keys: list[str]):
        connection = s.connection()
        self.sqlite = connection.dialect.name == "sqlite"  # else PostgreSQL, the other supported database
        self.m = "?" if self.sqlite else "%s"
        self.cursor = connection.connection.cursor()
        self.plan, self.period_label, self.keys = plan, period_label, keys

    def __enter__(self) -> "_Reports":
        return self

    def __exit__(self, *exc) -> None:
        self.cursor.close()

    def tallies(self, counted: list[int]) -> dict[str, _Tally]:
        """target key → its :class:`_Tally` over the ``counted`` unit ids: one GROUP BY, answered
        from the index of migration 0013, so no row per unit reaches Python."""
        tallies = {key: _Tally() for key in self.keys}
        if not counted:
            return tallies
        m = self.m
        if self.sqlite:
            # One parameter for any number of units (SQLite allows 32,766).  The "+" keeps the
            # planner from seeking the index once per (target, unit) pair, which is slower than
            # reading the plan's index entries in order and testing each unit.
            in_counted, unit_ids, units = "+unit_id IN (SELECT value FROM json_each(?))", "group_concat(unit_id)", \
                json.dumps(counted)
        else:
            in_counted, unit_ids, units = "unit_id = ANY(%s)", "string_agg(CAST(unit_id AS TEXT), ',')", counted
        sql = _TALLY_SQL.format(m=m, keys=", ".join([m] * len(self.keys)), counted=in_counted, unit_ids=unit_ids)
        self.cursor.execute(sql, (self.plan, self.period_label, *self.keys, units))
        for key, reported, total, ids in self.cursor.fetchall():
            tallies[key] = _Tally(int(reported), float(total), ids or "")
        return tallies

    def latest(self, whole_plan: bool = False) -> tuple[dict[str, list], dict[int, str]]:
        """target key → rows (key number, unit_id, value, revision, time, author id, comment) of
        the latest value of every report (times as the driver returns them: see :func:`_time`),
        and author id → name (one string per reporter instead of one per row).

        ``whole_plan``: ``keys`` are all the plan's targets, and the rows are read through
        ``(plan, period_label)`` in the table's order (see migration 0013), those of an older
        version's targets dropped here; else the rows of ``keys`` are sought in the index."""
        m, keys = self.m, self.keys
        sql = _LATEST_SQL if whole_plan else _LATEST_SQL + f" AND target_key IN ({', '.join([m] * len(keys))})"
        # the target key comes back as its number in ``keys`` (a small int, never allocated)
        self.cursor.execute(sql.format(cases=" ".join(f"WHEN {m} THEN {i}" for i in range(len(keys))), m=m),
                            (*keys, self.plan, self.period_label, *(() if whole_plan else keys)))
        rows = self.cursor.fetchall()
        self.cursor.execute(_AUTHORS_SQL.format(m=m, keys=", ".join([m] * len(keys))),
                            (self.plan, self.period_label, *keys))
        authors = dict(self.cursor.fetchall())
        grouped: list[list] = [[] for _ in self.keys]
        for row in rows:
            if row[0] is not None:  # None: a target of an older version of the plan
                grouped[row[0]].append(row)
        return dict(zip(self.keys, grouped)), authors


def _time(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _unit_results(option: TargetOption, scope: _Scope, rows: list, authors: dict[int, str]) -> list[UnitResult]:
    """Each unit's latest figure (the units of ``scope`` that reported a value), by area, kind
    and name; a rate's ``on_track`` is ``option.met_by``, inlined: a whole plan is 10,000 rows."""
    units, rank = scope.units, scope.rank
    mine = sorted((r for r in rows if r[1] in units and r[2] is not None), key=lambda r: rank[r[1]])  # area asked
    when = datetime.fromisoformat if mine and isinstance(mine[0][4], str) else _time
    name = authors.get
    if not option.is_rate():
        return [UnitResult(u, *units[u], v, n, name(a, ''), when(t), c, None) for _, u, v, n, t, a, c in mine]
    if option.comparator == ">":
        floor = option.value + 1e-9
        return [UnitResult(u, *units[u], v, n, name(a, ''), when(t), c, v > floor) for _, u, v, n, t, a, c in mine]
    floor = option.value - 1e-9
    return [UnitResult(u, *units[u], v, n, name(a, ''), when(t), c, v >= floor) for _, u, v, n, t, a, c in mine]


def _progress(option: TargetOption, period: Period, area: Optional[str], scope: _Scope, tally: _Tally,
              results: Optional[list[UnitResult]]) -> Progress:
    """The figure over the counted units and its verdict (:mod:`reporting.rule`) from the
    target's tally; ``results`` are the per-unit rows when the caller asked for them."""
    rate = option.is_rate()
    covered, reported = len(scope.counted), tally.reported
    if reported == covered:
        unreported: list[UnitInfo] = []
    else:
        position = scope.position  # a set difference, then only the missing units in order
        unreported = [scope.counted[i] for i in sorted(position[t] for t in position.keys() - tally.done())]
    aggregate = reported_mean = on_track = None
    if reported:
        aggregate = tally.total / covered if rate else tally.total
        reported_mean = tally.total / reported if rate else None
        on_track = verdict(option.met_by(aggregate), reported, covered)
    noun = SCHOOL if scope.counted_kind == SCHOOL else "đơn vị"
    return Progress(target=option, period=period.label, area=area, units=results, aggregate=aggregate,
                    method="trung bình" if rate else "tổng", on_track=on_track,
                    missing_units=[u.name for u in unreported], citation=option.citation, covered=covered,
                    reported=reported, rule=rule_text(noun, rate), reported_mean=reported_mean,
                    unreported=unreported, counted_kind=scope.counted_kind)


def _one_target(s: Session, target: models.Target, doc: models.Document, key: str, period: Period,
                area: Optional[str]) -> Progress:
    """:func:`progress` of one target, with its units' rows."""
    scope = _Scope.load(s, doc, area)
    option = option_of(target, doc)
    with _Reports(s, doc.plan, period.label, [key]) as reports:
        tally = reports.tallies(scope.counted_ids)[key]
        rows, authors = reports.latest()
    return _progress(option, period, area, scope, tally, _unit_results(option, scope, rows[key], authors))


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
        return _one_target(s, target, doc, key, period, area)


def plan_progress(plan: str, period_label: str, area: Optional[str] = None, *, units: bool = False,
                  session: Optional[Session] = None) -> list[Progress]:
    """:func:`progress` of every target of a plan (in the plan's order): the figures, verdicts
    and missing units, summed per target by the database.  Each unit's own row
    (:attr:`Progress.units`) is built only with ``units=True`` — the per-unit views and the
    exports; without it ``units`` is None, because 10,000 unit rows cost more than the rest of
    the answer (bench/reports_aggregate.py)."""
    period = reporting_period(period_label)
    with session_scope(session) as s:
        doc = one_plan(s, plan)
        keys = target_keys(s, doc.id)
        targets = plan_targets(s, doc)
        if not targets:
            return []
        scope = _Scope.load(s, doc, area)
        options = [option_of(t, doc) for t in targets]
        with _Reports(s, doc.plan, period.label, sorted(set(keys.values()))) as reports:
            tallies = reports.tallies(scope.counted_ids)
            if not units:
                return [_progress(o, period, area, scope, tallies[keys[o.target_id]], None) for o in options]
            with _without_gc_pauses():
                rows, authors = reports.latest(whole_plan=True)
                return [_progress(o, period, area, scope, tallies[keys[o.target_id]],
                                  _unit_results(o, scope, rows[keys[o.target_id]], authors)) for o in options]


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
        return _one_target(s, target, doc, key, period, keep_area)


__all__ = ["progress", "plan_progress", "progress_by_words"]
