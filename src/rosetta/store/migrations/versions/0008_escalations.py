"""escalations: an annotator's question about a sample (or one object of it), a senior's
answer, and the guideline clarification it became; indexed for a project's queue by
status and for a sample's questions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-19 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("asked_by", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("clarified", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_escalations_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_escalations_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_escalations")),
        sa.UniqueConstraint("id", name=op.f("uq_escalations_id")),
    )
    op.create_index(
        op.f("ix_escalations_project_id_status_pk"),
        "escalations",
        ["project_id", "status", "pk"],
    )
    op.create_index(op.f("ix_escalations_sample_id_pk"), "escalations", ["sample_id", "pk"])


def downgrade() -> None:
    op.drop_index(op.f("ix_escalations_sample_id_pk"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_project_id_status_pk"), table_name="escalations")
    op.drop_table("escalations")
