"""Word index for searches: ``search_words`` (folded word → fact), filled for existing facts.

Word searches used ``LIKE '% word %'`` over the ``folded`` columns of every version of every
plan; at a thousand plans that is a scan of tens of thousands of rows per query.  The new table
holds one row per distinct folded word of each searchable row (documents, targets, tasks,
responsibilities, appendix projects) of the *current* versions, and is kept by the ingest in the
transaction that changes which version is current.  This revision builds it from the ``folded``
columns already stored, so an existing KB answers exactly as before.  The targets' index on
``document_id`` becomes one on ``(document_id, year)``.  On SQLite the table is
``WITHOUT ROWID`` (the key is the table).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WORD_MAX = 60  # as knowledge.models.WORD_MAX when this revision was written
SOURCES = {  # kind → (table, column holding the document id)
    'document': ('documents', 'id'),
    'target': ('targets', 'document_id'),
    'task': ('tasks', 'document_id'),
    'responsibility': ('responsibilities', 'document_id'),
    'appendix_project': ('appendix_projects', 'document_id'),
}
BATCH = 5000


def upgrade() -> None:
    """Upgrade schema."""
    search_words = op.create_table('search_words',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('word', sa.String(length=WORD_MAX), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('fact_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_search_words_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kind', 'word', 'document_id', 'fact_id', name=op.f('pk_search_words')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('search_words', schema=None) as batch_op:
        batch_op.create_index('ix_search_words_document_id', ['document_id'], unique=False)

    # one plan's targets of one year: (document_id, year) replaces the index on document_id alone,
    # which SQLite's planner ranked below ix_targets_year and so walked every plan's 2020 targets
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_index('ix_targets_document_id')
        batch_op.create_index('ix_targets_document_id_year', ['document_id', 'year'], unique=False)

    bind = op.get_bind()
    for kind, (table, document_column) in SOURCES.items():
        # only current versions are indexed (as the ingest keeps it)
        documents = sa.table('documents', sa.column('id'), sa.column('is_current')).alias('current_documents')
        source = sa.table(table, sa.column('id'), sa.column(document_column), sa.column('folded'))
        query = (sa.select(source.c.id, source.c[document_column], source.c.folded)
                 .join_from(source, documents, documents.c.id == source.c[document_column])
                 .where(documents.c.is_current == sa.true()).order_by(source.c.id))
        rows = []
        for fact_id, document_id, folded in bind.execute(query).all():
            rows.extend({'kind': kind, 'word': word, 'document_id': document_id, 'fact_id': fact_id}
                        for word in {w[:WORD_MAX] for w in (folded or '').split()})
            if len(rows) >= BATCH:
                bind.execute(search_words.insert(), rows)
                rows = []
        if rows:
            bind.execute(search_words.insert(), rows)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_index('ix_targets_document_id_year')
        batch_op.create_index('ix_targets_document_id', ['document_id'], unique=False)

    with op.batch_alter_table('search_words', schema=None) as batch_op:
        batch_op.drop_index('ix_search_words_document_id')

    op.drop_table('search_words')
