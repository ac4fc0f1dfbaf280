"""Drop the word index ``search_words``: the full-text index of 0009 answers every word search.

Since 0009 every search by words goes through ``fulltext`` (FTS5 / GIN); nothing read
``search_words`` any more, yet the ingest still wrote one row per distinct word of every fact —
about a third of the time it took to store a plan.  The downgrade rebuilds it from the
``folded`` columns, as 0002 did.

Revision ID: 0010_drop_word_index
Revises: 0009_fulltext
Create Date: 2026-12-02 02:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0010_drop_word_index"
down_revision: Union[str, Sequence[str], None] = "0009_fulltext"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WORD_MAX = 60  # as 0002
SOURCES = {  # kind → (table, column holding the document id), as 0002
    "document": ("documents", "id"),
    "target": ("targets", "document_id"),
    "task": ("tasks", "document_id"),
    "responsibility": ("responsibilities", "document_id"),
    "appendix_project": ("appendix_projects", "document_id"),
}


def upgrade() -> None:
    with op.batch_alter_table("search_words", schema=None) as batch_op:
        batch_op.drop_index("ix_search_words_document_id")
    op.drop_table("search_words")


def downgrade() -> None:
    search_words = op.create_table(
        "search_words",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("word", sa.String(length=WORD_MAX), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("fact_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_search_words_document_id_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("kind", "word", "document_id", "fact_id", name=op.f("pk_search_words")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("search_words", schema=None) as batch_op:
        batch_op.create_index("ix_search_words_document_id", ["document_id"], unique=False)
    bind = op.get_bind()
    documents = sa.table("documents", sa.column("id"), sa.column("is_current")).alias("current_documents")
    for kind, (table, document_column) in SOURCES.items():
        source = sa.table(table, sa.column("id"), sa.column(document_column), sa.column("folded"))
        query = (sa.select(source.c.id, source.c[document_column], source.c.folded)
                 .join_from(source, documents, documents.c.id == source.c[document_column])
                 .where(documents.c.is_current == sa.true()))
        rows = [{"kind": kind, "word": word, "document_id": document_id, "fact_id": fact_id}
                for fact_id, document_id, folded in bind.execute(query).all()
                for word in {w[:WORD_MAX] for w in (folded or "").split()}]
        if rows:
            bind.execute(search_words.insert(), rows)
