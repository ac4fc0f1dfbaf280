"""The knowledge-base tables (SQLAlchemy 1.4 declarative), one per kind of extracted fact.

Every fact row belongs to one :class:`Document` *version*; re-ingesting a plan adds a new
version and clears ``is_current`` on the old one, so queries filter on ``is_current`` and old
answers stay reproducible.  ``position`` keeps the plan's own order for export.

Word searches go through the full-text index (:mod:`knowledge.fulltext`, FTS5 or a PostgreSQL
GIN index), written by the ingest in the same transaction as the facts.  Only the rows matched
in Python by their words (documents, agencies, targets, units, procedures) keep a ``folded``
column (see :func:`search_key`); the other fact tables lost theirs in migration 0014, as nothing
read them and filling them was a tenth of an ingest.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.orm import declarative_base, relationship

from document_parsing.text_utils import fold_words

Base = declarative_base()

# One naming convention so Alembic's generated constraint names are the same on every backend.
Base.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def key_words(*parts: str | None) -> list[str]:
    """The accent-folded words of ``parts``, punctuation a word break ("148/KH-UBND" →
    ["148", "kh", "ubnd"]): the words of :func:`search_key`."""
    return fold_words(" ".join(p for p in parts if p))


def search_key(*parts: str | None) -> str:
    """Accent-folded lowercase words separated by single spaces and padded with one space on
    each side, so that ``LIKE '% hop %'`` matches the whole word "họp" and not "hợp tác"'s
    neighbours: punctuation becomes a word break ("148/KH-UBND" → " 148 kh ubnd ")."""
    words = " ".join(key_words(*parts))
    return f" {words} " if words else " "


class Document(Base):
    """One ingested version of one plan file."""

    __tablename__ = "documents"

    id = Column(Integer, primary_key=True)
    plan = Column(String(200), nullable=False)  # export name: file stem without ".autonum"
    source_file = Column(String(500), nullable=False)
    format = Column(String(10), nullable=False)  # "txt" | "docx" | "pdf"
    content_hash = Column(String(64), nullable=False)  # sha256 of the parsed text (rendering-independent)
    identity = Column(String(600), nullable=False)  # what makes two files the same plan (see ingest)
    number = Column(String(100))
    issuer = Column(String(300))
    level = Column(String(20))
    date = Column(Date)
    parent = Column(JSON, nullable=False, default=list)
    title = Column(Text)
    period_start = Column(Integer)
    period_end = Column(Integer)
    date_printed = Column(String(100))  # "ngày 22 tháng 9 năm 2017"; "tháng 6 năm 2021" with a blank day
    signer = Column(String(200))
    version = Column(Integer, nullable=False, default=1)
    is_current = Column(Boolean, nullable=False, default=True)
    ingested_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    folded = Column(Text, nullable=False, default=" ")  # plan stem, number, issuer, title

    sections = relationship("Section", back_populates="document", cascade="all, delete-orphan",
                            order_by="Section.position")
    targets = relationship("Target", back_populates="document", cascade="all, delete-orphan",
                           order_by="Target.position")
    tasks = relationship("Task", back_populates="document", cascade="all, delete-orphan",
                         order_by="Task.position")
    responsibilities = relationship("Responsibility", back_populates="document", cascade="all, delete-orphan",
                                    order_by="Responsibility.position")
    appendix_projects = relationship("AppendixProject", back_populates="document", cascade="all, delete-orphan",
                                     order_by="AppendixProject.position")
    deadlines = relationship("Deadline", back_populates="document", cascade="all, delete-orphan",
                             order_by="Deadline.position")

    __table_args__ = (
        UniqueConstraint("identity", "version"),
        # At most one current version per plan, enforced by the database even under races.
        Index("ix_documents_one_current", "identity", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
        Index("ix_documents_is_current_plan", "is_current", "plan"),
        Index("ix_documents_number", "number"),
        Index("ix_documents_content_hash", "content_hash"),
    )


class Section(Base):
    """A numbered part of the plan with its text, for answers that quote a whole section."""

    __tablename__ = "sections"

    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    path = Column(String(100), nullable=False)  # "III.2.a"
    heading = Column(Text, nullable=False, default="")
    body = Column(Text, nullable=False, default="")

    document = relationship("Document", back_populates="sections")

    __table_args__ = (Index("ix_sections_document_path", "document_id", "path"),)


class Agency(Base):
    """An agency under its canonical name (``document_parsing.agency_names.canonical_agency``), shared by
    all plans so "who does what" can be asked across plans."""

    __tablename__ = "agencies"

    id = Column(Integer, primary_key=True)
    name = Column(String(300), nullable=False, unique=True)
    folded = Column(String(400), nullable=False)
    kind = Column(String(30), nullable=False, default="khác")

    __table_args__ = (Index("ix_agencies_folded", "folded"),)


class Target(Base):
    """One measurable figure of a plan ("70% cuộc họp … trực tuyến" by 2020)."""

    __tablename__ = "targets"

    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    section_path = Column(String(100), nullable=False)
    text = Column(Text, nullable=False)
    value = Column(Float, nullable=False)
    unit = Column(String(100))
    comparator = Column(String(4), nullable=False, default="=")
    year = Column(Integer)
    subject = Column(Text, nullable=False, default="")
    folded = Column(Text, nullable=False, default=" ")  # subject + text

    document = relationship("Document", back_populates="targets")

    __table_args__ = (
        # one plan's targets of one year without walking every plan's targets of that year
        Index("ix_targets_document_id_year", "document_id", "year"),
        Index("ix_targets_year", "year"),
    )


class Task(Base):
    """One task item of the plan's "Nhiệm vụ, giải pháp" part."""

    __tablename__ = "tasks"

    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    section_path = Column(String(100), nullable=False)
    text = Column(Text, nullable=False)

    document = relationship("Document", back_populates="tasks")

    __table_args__ = (Index("ix_tasks_document_id", "document_id"),)


class Responsibility(Base):
    """One agency with one role ("chủ trì" | "phối hợp" | "thực hiện") in one numbered item."""

    __tablename__ = "responsibilities"

    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    section_path = Column(String(100), nullable=False)
    agency_id = Column(Integer, ForeignKey("agencies.id"), nullable=False)
    role = Column(String(30), nullable=False)
    task = Column(Text, nullable=False, default="")

    document = relationship("Document", back_populates="responsibilities")
    agency = relationship("Agency")

    __table_args__ = (
        Index("ix_responsibilities_document_id", "document_id"),
        Index("ix_responsibilities_agency_id", "agency_id"),
    )


class AppendixProject(Base):
    """One row of the appendix table of projects: lead and partners as printed."""

    __tablename__ = "appendix_projects"

    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    no = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    lead = Column(String(300))  # as printed ("Sở GD&ĐT")
    lead_agency_id = Column(Integer, ForeignKey("agencies.id"))  # its canonical agency
    partners = Column(JSON, nullable=False, default=list)  # as printed
    years = Column(JSON, nullable=False, default=list)
    section_path = Column(String(50))  # "PL.3", "PLI.3" (numbered appendices); None in older versions

    document = relationship("Document", back_populates="appendix_projects")
    lead_agency = relationship("Agency")

    __table_args__ = (
        Index("ix_appendix_projects_document_id", "document_id"),
        Index("ix_appendix_projects_lead_agency_id", "lead_agency_id"),
    )


class Deadline(Base):
    """A dated or recurring obligation ("Hàng năm … gửi Phòng Tài chính - Kế hoạch")."""

    __tablename__ = "deadlines"

    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    section_path = Column(String(100), nullable=False)
    agency = Column(String(300))  # as printed
    agency_id = Column(Integer, ForeignKey("agencies.id"))
    what = Column(Text, nullable=False, default="")
    to = Column(String(300))
    when = Column(String(200))  # as printed
    recurrence = Column(String(20))
    month = Column(Integer)
    day = Column(Integer)

    document = relationship("Document", back_populates="deadlines")
    agency_ref = relationship("Agency")

    __table_args__ = (
        Index("ix_deadlines_document_id", "document_id"),
        Index("ix_deadlines_agency_id", "agency_id"),
    )


SEARCHED = {  # kind of searched row → its table (knowledge.queries searches them by words)
    "document": Document,
    "target": Target,
    "task": Task,
    "responsibility": Responsibility,
    "appendix_project": AppendixProject,
}

FACT_TABLES = (Section, Target, Task, Responsibility, AppendixProject, Deadline)
