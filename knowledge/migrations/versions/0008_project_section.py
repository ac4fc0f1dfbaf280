"""Appendix projects: the section they are cited by ("PLI.3" when appendices are numbered).

Revision ID: 0008_project_section
Revises: 0007_identity_staff
Create Date: 2026-12-02 00:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_project_section"
down_revision: Union[str, Sequence[str], None] = "0007_identity_staff"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Plain ALTER TABLE (see 0004): no batch copy of a table other rows point to.
def upgrade() -> None:
    op.add_column("appendix_projects", sa.Column("section_path", sa.String(length=50), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE appendix_projects DROP COLUMN section_path")  # SQLite ≥ 3.35 and PostgreSQL
