"""Areas learnt from documents: the province of a place no dataset knows (knowledge.area_models).

Revision ID: 0006_areas
Revises: 0005
Create Date: 2026-12-01 23:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_areas"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "learnt_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("child_key", sa.String(length=200), nullable=False),
        sa.Column("child_level", sa.String(length=20), nullable=False),
        sa.Column("child_name", sa.String(length=300), nullable=False),
        sa.Column("parent_key", sa.String(length=200), nullable=False),
        sa.Column("parent_name", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_learnt_areas_document_id_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learnt_areas")),
    )
    op.create_index("ix_learnt_areas_child_key", "learnt_areas", ["child_key"])
    op.create_index("ix_learnt_areas_document_id", "learnt_areas", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_learnt_areas_document_id", table_name="learnt_areas")
    op.drop_index("ix_learnt_areas_child_key", table_name="learnt_areas")
    op.drop_table("learnt_areas")
