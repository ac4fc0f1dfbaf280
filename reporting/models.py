"""The progress-reporting tables: units (Sở, Phòng, schools), reporters, reports and their
revisions (migration 0005), the latest value kept on the report (migration 0011), and the staff
accounts (migration 0007, :mod:`knowledge.staff`).

How a report refers to a target.  A re-ingest of a plan makes a new :class:`~knowledge.models.Document`
version with *new* target rows, so a report keyed only by ``targets.id`` would lose its target
the day the plan file is fixed.  A report is therefore keyed by ``(plan, target_key)``: the
plan's stem (``documents.plan``, stable across versions) and a hash of the target's section
path, its wording and its rank among targets with that same section and wording (one sentence
"100% các trường THPT, 50% trường THCS…" yields several targets).  The section path and text
are kept readable beside the hash, and each revision also records the ``targets.id`` it was
made against.  Progress looks the current version's targets up by the same key, so reports
survive a re-ingest as long as the target's section and wording are unchanged; a target whose
wording changed starts afresh (its old reports stay stored, never rewritten).

A correction never overwrites: :class:`Report` is one (unit, target, period) and points at its
latest :class:`ReportRevision`; every confirmed value is a new revision with its author and
time.  ``idempotency_key`` is unique, so a confirmation retried by the chat (a double click, a
resent message) finds its revision instead of writing a second one, even under a race.

Why the latest value is also on the report.  Progress reads one figure per (unit, target,
period): the latest revision's.  Joining every report to its revision made the progress of a
whole plan cost ~150 ms at 10,000 reports; :func:`reporting.saving.save_report` therefore
writes ``latest_value``, ``latest_comment`` and ``latest_reporter_id`` on the report in the same
transaction as the revision (``updated_at`` is that revision's time), and progress reads the
reports alone.  Revisions stay the record; migration 0011 filled the columns from them.
Migration 0013 indexes ``(plan, period_label, target_key, unit_id, latest_value,
latest_reporter_id)``, so the figures of a plan (a sum per target) are read from the index
without touching the table; each unit's full row (with its comment) is read through
``(plan, period_label)``, in the table's order.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from knowledge.models import Base


class Unit(Base):
    """A reporting unit: the Sở or Phòng GD&ĐT of an area, or a school in it."""

    __tablename__ = "units"

    id = Column(Integer, primary_key=True)
    name = Column(String(300), nullable=False)
    kind = Column(String(20), nullable=False)  # "sở" | "phòng" | "trường"
    area = Column(String(200), nullable=False)  # "thành phố Cần Thơ", "huyện Mường Tè" (as in plan issuers)
    area_key = Column(String(200), nullable=False)  # folded place name without "tỉnh"/"huyện"…: "can tho"
    folded = Column(Text, nullable=False, default=" ")  # search_key(name, area)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    __table_args__ = (
        UniqueConstraint("name", "area"),
        Index("ix_units_area_key", "area_key"),
    )


class Reporter(Base):
    """A person who reports for one unit, known by their chat channel and user id.  Reports
    are accepted only once an administrator approved them (``approved``)."""

    __tablename__ = "reporters"

    id = Column(Integer, primary_key=True)
    channel = Column(String(50), nullable=False)  # "rest", "socketio", "telegram"…
    channel_user = Column(String(200), nullable=False)
    name = Column(String(200), nullable=False)
    unit_id = Column(Integer, ForeignKey("units.id"), nullable=False)
    phone = Column(String(20), nullable=False)  # normalised: "0912345678"
    approved = Column(Boolean, nullable=False, default=False)
    approved_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    updated_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    unit = relationship("Unit")

    __table_args__ = (
        UniqueConstraint("channel", "channel_user"),
        Index("ix_reporters_phone", "phone"),
    )


class Report(Base):
    """One unit's figure for one target and one period; its value is its latest revision."""

    __tablename__ = "reports"

    id = Column(Integer, primary_key=True)
    unit_id = Column(Integer, ForeignKey("units.id"), nullable=False)
    plan = Column(String(200), nullable=False)  # documents.plan: stable across re-ingests
    target_key = Column(String(64), nullable=False)  # see module docstring
    section_path = Column(String(100), nullable=False)
    target_text = Column(Text, nullable=False)
    period_label = Column(String(40), nullable=False)  # canonical: "năm 2024", "quý 2/2024"…
    period_kind = Column(String(20), nullable=False)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    latest_revision = Column(Integer, nullable=False, default=1)
    # the latest revision's value, comment and author, written with it (see module docstring)
    latest_value = Column(Float)
    latest_comment = Column(Text)
    # reporters.id (no FK: SQLite adds one to an existing table only by rebuilding it, and
    # dropping the old ``reports`` would cascade-delete every revision)
    latest_reporter_id = Column(Integer)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    updated_at = Column(DateTime, nullable=False, default=datetime.utcnow)  # the latest revision's time

    unit = relationship("Unit")
    revisions = relationship("ReportRevision", back_populates="report", order_by="ReportRevision.revision")

    __table_args__ = (
        UniqueConstraint("unit_id", "plan", "target_key", "period_label"),
        # progress(), plan_progress(), missing_reports(): the reports of one plan and period (and
        # target), with what the figures and the authors' lookup read, so they need the index alone
        # (migration 0013)
        Index("ix_reports_progress", "plan", "period_label", "target_key", "unit_id", "latest_value",
              "latest_reporter_id"),
        # plan_progress(units=True): every column of a plan's reports, read in the table's order
        Index("ix_reports_plan_period_label", "plan", "period_label"),
    )


class ReportRevision(Base):
    """One confirmed value of a report: never updated, never deleted."""

    __tablename__ = "report_revisions"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False)
    revision = Column(Integer, nullable=False)
    value = Column(Float, nullable=False)
    comment = Column(Text)
    reporter_id = Column(Integer, ForeignKey("reporters.id"), nullable=False)
    target_id = Column(Integer)  # targets.id at the time (no FK: target rows belong to plan versions)
    idempotency_key = Column(String(200), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    report = relationship("Report", back_populates="revisions")
    reporter = relationship("Reporter")

    __table_args__ = (UniqueConstraint("report_id", "revision"),)


class Staff(Base):
    """A staff member of a Sở or Phòng GD&ĐT who signs in on the web (migration 0007): sees
    per-unit progress, reporters' names, missing units and exports of the plans of their area.
    The password is stored only as an argon2 hash (:mod:`knowledge.staff`)."""

    __tablename__ = "staff"

    id = Column(Integer, primary_key=True)
    username = Column(String(100), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    unit_id = Column(Integer, ForeignKey("units.id"), nullable=False)
    password_hash = Column(String(300), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    updated_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    unit = relationship("Unit")


REPORTING_TABLES = (Unit, Reporter, Report, ReportRevision, Staff)
