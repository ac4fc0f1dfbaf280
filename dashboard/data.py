"""Everything the dashboard reads from or writes to the knowledge base, in one module.

The views and the reminder sender call only these functions, so a change in the reporting
layer (:mod:`reporting`) or the knowledge base touches only this module.  Only public functions
are used; the two queries the reporting layer has no
function for (the periods a plan has reports for, and the reminders table) are written here
against the public models.

All functions are synchronous (SQLAlchemy sessions); the web app calls them in a thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

from sqlalchemy import func, select

from knowledge.db import session_scope, write_transaction
from knowledge.geography import area_key
from knowledge.queries import find_plans, format_value
from knowledge.staff import StaffInfo, authenticate, get_staff
from reporting import (MissingReport, Progress, ReporterInfo, ReportingError, list_reporters, local_time,
                       missing_reports, plan_progress)
from reporting.exports import FORMATS, export_report
from reporting.models import Report, Unit
from reporting.reminder_models import Reminder
from reporting.values import Period, parse_period

__all__ = ["PlanSummary", "ReminderRecord", "Claim", "ReportingError", "Progress", "MissingReport", "ReporterInfo",
           "StaffInfo", "FORMATS", "Period", "authenticate", "get_staff", "all_plans", "plans_for", "plan_for", "parse_period",
           "reported_periods", "format_value", "progress", "history", "missing", "approved_reporters", "export", "local_time",
           "claim_reminder", "finish_reminder", "reminders_for"]


@dataclass(frozen=True)
class PlanSummary:
    """A current plan a staff member may see, and the area their view of it is limited to."""

    plan: str  # documents.plan, the plan's stable name ("cantho-148-2017")
    name: str  # "Kế hoạch số 148/KH-UBND của Ủy ban nhân dân thành phố Cần Thơ"
    title: Optional[str]
    issuer: Optional[str]
    targets: int
    scope: Optional[str]  # None: every unit of the plan; else the staff member's own (narrower) area


def plans_for(staff: StaffInfo) -> list[PlanSummary]:
    """The current plans whose area the staff member's Sở/Phòng covers or lies in."""
    out = []
    for info in find_plans():
        key = area_key(info.issuer)
        if not staff.sees_area(key):
            continue
        out.append(PlanSummary(plan=info.plan, name=info.plan_name(), title=info.title, issuer=info.issuer,
                               targets=info.counts.get("targets", 0), scope=staff.scope(key)))
    return out


def all_plans() -> list[PlanSummary]:
    """Every current plan, unrestricted (the administrator's command line)."""
    return [PlanSummary(plan=i.plan, name=i.plan_name(), title=i.title, issuer=i.issuer,
                        targets=i.counts.get("targets", 0), scope=None) for i in find_plans()]


def plan_for(staff: StaffInfo, plan: str) -> Optional[PlanSummary]:
    """One of :func:`plans_for` by its exact name; None when it does not exist *or* is another
    area's (the page then says the same thing for both, so names of other areas' plans leak nothing)."""
    return next((p for p in plans_for(staff) if p.plan == plan), None)


def reported_periods(plan: str) -> list[Period]:
    """The periods any unit reported on for this plan, oldest first."""
    with session_scope() as s:
        labels = s.execute(select(Report.period_label, func.min(Report.period_start))
                           .where(Report.plan == plan).group_by(Report.period_label)).all()
    periods = []
    for label, _ in labels:
        try:
            periods.append(parse_period(label))
        except ValueError:
            continue
    return sorted(periods, key=lambda p: (p.start, p.end))


def progress(plan: PlanSummary, period: Period) -> list[Progress]:
    return plan_progress(plan.plan, period.label, plan.scope, units=True)


def history(plan: PlanSummary, periods: list[Period]) -> dict[int, list[tuple[Period, Optional[float]]]]:
    """target id → (period, the plan's figure) for each period, for the chart over periods."""
    out: dict[int, list[tuple[Period, Optional[float]]]] = {}
    for period in periods:
        for item in plan_progress(plan.plan, period.label, plan.scope):
            out.setdefault(item.target.target_id, []).append((period, item.aggregate))
    return out


def missing(plan: PlanSummary, period: Period) -> list[MissingReport]:
    """Schools (within the staff member's scope) that owe reports for the period."""
    return missing_reports(plan.scope, period.label, plan.plan)


def approved_reporters(unit_ids: set[int]) -> dict[int, list[ReporterInfo]]:
    out: dict[int, list[ReporterInfo]] = {}
    for reporter in list_reporters():
        if reporter.approved and reporter.unit_id in unit_ids:
            out.setdefault(reporter.unit_id, []).append(reporter)
    return out


def export(plan: PlanSummary, period: Period, fmt: str, folder: Path) -> Path:
    """The plan's progress for a period as a csv/xlsx/docx file in ``folder`` (the chat's export code)."""
    return export_report(plan.plan, period.label, fmt, folder, plan.scope)


# ---------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    unit_id: int
    reporter_id: Optional[int]
    channel: Optional[str]
    sent_by: str
    status: str
    detail: Optional[str]
    created_at: datetime  # UTC

    @property
    def when(self) -> str:
        return local_time(self.created_at)


def _record(r: Reminder) -> ReminderRecord:
    return ReminderRecord(r.id, r.unit_id, r.reporter_id, r.channel, r.sent_by, r.status, r.detail, r.created_at)


@dataclass(frozen=True)
class Claim:
    """The outcome of asking to remind a unit: ``rows`` to send now (one per reporter, status
    ``sending``), or ``recent``: reminders already made within the window (nothing to send)."""

    rows: list[ReminderRecord]
    recent: list[ReminderRecord]


def claim_reminder(plan: str, period_label: str, unit_id: int, sent_by: str,
                   messages: list[tuple[Optional[ReporterInfo], str, str, Optional[str]]],
                   window: timedelta) -> Claim:
    """Write the reminder rows for one unit — unless one was made for the same plan, period and
    unit within ``window`` (a double click): then nothing is written and that one is returned.

    ``messages``: (reporter or None, text, status, detail) per row.  The unit's row is locked
    (``FOR UPDATE`` on PostgreSQL; SQLite's writer lock serialises the whole transaction), so
    two requests at once cannot both pass the check."""
    now = datetime.utcnow()
    with write_transaction(None) as s:
        s.execute(select(Unit.id).where(Unit.id == unit_id).with_for_update()).first()
        recent = s.execute(select(Reminder).where(
            Reminder.plan == plan, Reminder.period_label == period_label, Reminder.unit_id == unit_id,
            Reminder.created_at >= now - window, Reminder.status.in_(("sending", "sent", "not_pushable", "no_reporter")))
            .order_by(Reminder.created_at)).scalars().all()
        if recent:
            return Claim([], [_record(r) for r in recent])
        rows = []
        for reporter, text, status, detail in messages:
            row = Reminder(plan=plan, period_label=period_label, unit_id=unit_id,
                           reporter_id=reporter.id if reporter else None, channel=reporter.channel if reporter else None,
                           sent_by=sent_by, status=status, detail=detail, text=text, created_at=now,
                           finished_at=None if status == "sending" else now)
            s.add(row)
            rows.append(row)
        s.flush()
        return Claim([_record(r) for r in rows], [])


def finish_reminder(reminder_id: int, status: str, detail: Optional[str] = None) -> None:
    with write_transaction(None) as s:
        row = s.get(Reminder, reminder_id)
        row.status, row.detail, row.finished_at = status, detail, datetime.utcnow()


def reminders_for(plan: str, period_label: str) -> dict[int, list[ReminderRecord]]:
    """unit id → its reminders for this plan and period, newest first."""
    with session_scope() as s:
        rows = s.execute(select(Reminder).where(Reminder.plan == plan, Reminder.period_label == period_label)
                         .order_by(Reminder.created_at.desc(), Reminder.id.desc())).scalars().all()
        out: dict[int, list[ReminderRecord]] = {}
        for r in rows:
            out.setdefault(r.unit_id, []).append(_record(r))
        return out
