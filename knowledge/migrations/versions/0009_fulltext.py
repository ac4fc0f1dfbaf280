"""Full-text index of every kind of fact (SQLite FTS5 / PostgreSQL tsvector with a GIN index).

See :mod:`knowledge.fulltext`: one row per searchable row of a current plan version (front
matter, sections, targets, tasks, responsibilities, appendix projects, deadlines) with its
folded and accented syllables, ranked by ``bm25()`` on SQLite and ``ts_rank_cd`` on PostgreSQL.
This revision creates the index and fills it for the current versions already stored, so an
existing knowledge base is searchable at once.

Revision ID: 0009_fulltext
Revises: 0008_project_section
Create Date: 2026-12-01 23:00:00

"""
from typing import Sequence, Union

from alembic import op
from sqlalchemy.orm import Session

revision: str = "0009_fulltext"
down_revision: Union[str, Sequence[str], None] = "0008_project_section"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from knowledge import fulltext, models

    bind = op.get_bind()
    for statement in fulltext.create_statements(bind.dialect.name):
        op.execute(statement)
    session = Session(bind=bind)
    current = session.query(models.Document).filter(models.Document.is_current.is_(True)).order_by(models.Document.id)
    for document in current:
        fulltext.index_rows(session, document.id, fulltext.document_rows(document))
    session.flush()


def downgrade() -> None:
    from knowledge import fulltext

    for statement in fulltext.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
