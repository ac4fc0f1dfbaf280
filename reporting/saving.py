"""Saving a confirmed report, and reading its revisions back.

A report is written in one transaction when confirmed; a retried confirmation (same
``idempotency_key``) returns the first result and writes nothing; a second report of the same
unit, target and period is a new revision (author, time) and earlier revisions are kept.  The
report row carries its latest value, written in the same transaction (see
:mod:`reporting.models`).  A reporter may report only once approved, and only on plans whose
issuer's area covers their unit.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Union

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from document_parsing.text_utils import clean_space
from knowledge.area_models import learnt_links
from knowledge.db import session_scope, write_transaction
from knowledge.geography import covers

from .errors import ReportingError
from .models import Report, Reporter, ReportRevision, Unit
from .results import UnitResult
from .targets import current_target, option_of, plan_name
from .values import check_value, parse_value, reporting_period


@dataclass
class SavedReport:
    report_id: int
    revision: int
    created: bool  # False: this idempotency key was already saved, nothing written


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
    period = reporting_period(period_label)
    key = clean_space(idempotency_key or "") or f"auto-{uuid.uuid4().hex}"
    if len(key) > 200:
        key = "sha256-" + hashlib.sha256(key.encode()).hexdigest()
    comment = clean_space(comment) or None if comment else None
    for attempt in range(3):
        try:
            with write_transaction(session) as s:
                done = _existing(s, key)
                if done is not None:
                    return done
                reporter = s.get(Reporter, int(reporter_id))
                if reporter is None:
                    raise ReportingError("Bạn chưa đăng ký báo cáo; hãy đăng ký (họ tên, đơn vị, số điện thoại) trước.")
                if not reporter.approved:
                    raise ReportingError("Tài khoản báo cáo của bạn chưa được duyệt; hãy chờ Phòng/Sở duyệt rồi "
                                         "báo cáo lại.")
                target, doc, target_key = current_target(
                    s, target_id, "Không tìm thấy chỉ tiêu này (kế hoạch có thể vừa được cập nhật); "
                                  "hãy chọn lại chỉ tiêu.")
                unit = reporter.unit
                if not covers(doc.issuer, unit.area, learnt_links(s)):
                    raise ReportingError(f"Bạn chỉ được báo cáo cho đơn vị của mình: {unit.name} ({unit.area}) "
                                         f"không thuộc phạm vi {plan_name(doc)}.")
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
                report.latest_value, report.latest_comment, report.latest_reporter_id = number, comment, reporter.id
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
    period = reporting_period(period_label)
    with session_scope(session) as s:
        target, doc, key = current_target(s, target_id)
        option = option_of(target, doc)
        rows = s.execute(
            select(ReportRevision, Reporter.name, Unit).join(Report, ReportRevision.report_id == Report.id)
            .join(Reporter, ReportRevision.reporter_id == Reporter.id).join(Unit, Report.unit_id == Unit.id)
            .where(Report.unit_id == unit_id, Report.plan == doc.plan, Report.target_key == key,
                   Report.period_label == period.label).order_by(ReportRevision.revision)).all()
        return [UnitResult(unit_id=u.id, unit=u.name, kind=u.kind, area=u.area, value=r.value, revision=r.revision,
                           author=author, reported_at=r.created_at, comment=r.comment,
                           on_track=option.met_by(r.value) if option.is_rate() else None)
                for r, author, u in rows]


__all__ = ["SavedReport", "save_report", "report_history"]
