"""Drop the ``folded`` column of sections, tasks, responsibilities, appendix projects and deadlines.

Those columns held each row's accent-folded words for the ``LIKE`` searches and the word index
that the full-text index (0009, 0010) replaced; nothing has read them since, yet the ingest still
folded every section body and fact for them — about a tenth of the time it took to store a plan.
Documents, agencies and targets keep theirs: they are still matched in Python by their words.

The downgrade adds the columns back and fills them as the ingest used to
(``knowledge.models.search_key`` of the same columns, agencies under their canonical name), so
0010's downgrade can rebuild its word index from them.

Revision ID: 0014_drop_fact_folded
Revises: 0013_report_progress_index
Create Date: 2026-12-02 05:45:00

"""
from typing import Callable, Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014_drop_fact_folded"
down_revision: Union[str, Sequence[str], None] = "0013_report_progress_index"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("sections", "tasks", "responsibilities", "appendix_projects", "deadlines")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("folded")


def _key_parts() -> dict[str, tuple[tuple[str, ...], Callable]]:
    """table → (columns read, row → the parts of its search key), as the ingest wrote them."""
    from document_parsing.agency_names import canonical_agency

    def agency(name):
        return canonical_agency(name or "")

    return {
        "sections": (("heading", "body"), lambda r: (r.heading, r.body)),
        "tasks": (("text",), lambda r: (r.text,)),
        "responsibilities": (("task",), lambda r: (r.task,)),
        "appendix_projects": (("name", "lead", "partners"),
                              lambda r: (r.name, agency(r.lead), *(agency(p) for p in r.partners or []))),
        "deadlines": (("agency", "what", "to", "when"),
                      lambda r: (agency(r.agency), r.what, agency(r.to), r.when)),
    }


def downgrade() -> None:
    from knowledge.models import search_key

    bind = op.get_bind()
    for table, (columns, parts) in _key_parts().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("folded", sa.Text(), nullable=False, server_default=" "))
        source = sa.table(table, sa.column("id"), sa.column("folded"),
                          *(sa.column(c, sa.JSON() if c == "partners" else None) for c in columns))
        rows = bind.execute(sa.select(source.c.id, *(source.c[c] for c in columns))).all()
        if rows:
            bind.execute(source.update().where(source.c.id == sa.bindparam("row_id"))
                         .values(folded=sa.bindparam("key")),
                         [{"row_id": r.id, "key": search_key(*parts(r))} for r in rows])
