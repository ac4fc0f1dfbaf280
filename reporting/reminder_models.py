"""The ``reminders`` table (migration 0012_reminders): every reminder sent to a late unit's
reporter, by whom, when, and what came of it (used by :mod:`dashboard.reminders`).

One row per reporter reminded (or one row for a unit without an approved reporter, so the
dashboard can say so).  A row is written *before* the message goes out (status ``sending``) inside
a transaction that locks the unit's row, so two clicks on the same button — in one process or
in two — find each other and only the first sends; the row then gets the result.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text

from knowledge.models import Base

STATUSES = ("sending", "sent", "failed", "not_pushable", "no_reporter")


class Reminder(Base):
    __tablename__ = "reminders"

    id = Column(Integer, primary_key=True)
    plan = Column(String(200), nullable=False)  # documents.plan
    period_label = Column(String(40), nullable=False)  # canonical, as on reports
    unit_id = Column(Integer, ForeignKey("units.id"), nullable=False)
    reporter_id = Column(Integer, ForeignKey("reporters.id"))  # None: the unit has no approved reporter
    channel = Column(String(50))
    sent_by = Column(String(100), nullable=False)  # staff username, or "cli:<user>" from the command line
    status = Column(String(20), nullable=False)  # see STATUSES
    detail = Column(Text)  # the error, or why it cannot be pushed
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    finished_at = Column(DateTime)

    __table_args__ = (Index("ix_reminders_plan_period_unit", "plan", "period_label", "unit_id", "created_at"),)


__all__ = ["Reminder", "STATUSES"]
