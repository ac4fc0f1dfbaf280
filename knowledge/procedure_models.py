"""The procedures table: facts about online education procedures (dịch vụ công ngành giáo dục),
loaded from ``samples/procedures.yml`` by :mod:`knowledge.procedures`.

Kept apart from the plan tables (no document version): a procedure entry is a restated public
page with its own ``source`` URL and locality, replaced as a whole when the file changes.  The
whole entry stays in ``data`` (JSON) so that every field the page states can be quoted, and a
field the page lacks is never filled in.
"""
from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Text

from .models import Base


class Procedure(Base):
    """One entry of procedures.yml."""

    __tablename__ = "procedures"

    id = Column(Integer, primary_key=True)
    slug = Column(String(200), nullable=False, unique=True)  # the entry's ``id``
    name = Column(Text)  # null when the stored copy lacks it (``name_note`` says what it covers)
    locality = Column(Text)
    source = Column(Text, nullable=False)
    source_date = Column(String(100))
    data = Column(JSON, nullable=False)  # the whole entry as in the file
    content_hash = Column(String(64), nullable=False)  # sha256 of the entry, to skip unchanged rows
    folded = Column(Text, nullable=False, default=" ")  # name, locality, field, facts… (search_key)
