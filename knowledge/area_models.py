"""Areas learnt from documents (migration 0006): which province a place no dataset knows lies in.

:mod:`knowledge.geography` knows Vietnam's divisions from the ``vietnam-provinces`` dataset; a
fictional or newly created place ("huyện Hòa Mỹ") is placed only by the plan that names it.
The ingest stores each :class:`~knowledge.geography.AreaLink` a plan states, in the same
transaction as the plan's facts and tied to that document version, so a link is used while the
version that stated it is current and a corrected plan replaces its links with the new ones.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Session

from .geography import AreaLink
from .models import Base, Document


class LearntArea(Base):
    """"``child`` lies in ``parent``", as the document version ``document_id`` says."""

    __tablename__ = "learnt_areas"

    id = Column(Integer, primary_key=True)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    child_key = Column(String(200), nullable=False)  # geography.area_key: "hoa my"
    child_level = Column(String(20), nullable=False)  # "huyện", "xã", "tỉnh" or ""
    child_name = Column(String(300), nullable=False)  # as written: "huyện Hòa Mỹ"
    parent_key = Column(String(200), nullable=False)  # "son giang"
    parent_name = Column(String(300), nullable=False)  # "tỉnh Sơn Giang"
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    __table_args__ = (
        Index("ix_learnt_areas_child_key", "child_key"),
        Index("ix_learnt_areas_document_id", "document_id"),
    )


def link_rows(document_id: int, links: Iterable[AreaLink]) -> list[dict]:
    """The :class:`LearntArea` rows of the links a document version states (every column given,
    so that the ingest inserts them with its other rows, in its transaction)."""
    now = datetime.utcnow()
    return [dict(document_id=document_id, child_key=link.child[:200], child_level=link.child_level,
                 child_name=link.child_name[:300], parent_key=link.parent[:200], parent_name=link.parent_name[:300],
                 created_at=now)
            for link in links]


def learnt_links(session: Session) -> dict[str, set[str]]:
    """child key → parent keys, from the current versions of the plans (the mapping that
    :func:`knowledge.geography.covers` takes)."""
    query = (select(LearntArea.child_key, LearntArea.parent_key)
             .join(Document, Document.id == LearntArea.document_id)
             .where(Document.is_current.is_(True)))
    links: dict[str, set[str]] = defaultdict(set)
    for child, parent in session.execute(query):
        links[child].add(parent)
    return dict(links)
