"""reviews: reviewers' decisions on annotations and verdicts on whole samples, appended
with the revision each judged, indexed for the latest decision per object of a sample

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("object_kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("object_revision", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_reviews_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_reviews_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_reviews")),
    )
    op.create_index(
        op.f("ix_reviews_sample_id_object_kind_object_id_pk"),
        "reviews",
        ["sample_id", "object_kind", "object_id", "pk"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reviews_sample_id_object_kind_object_id_pk"), table_name="reviews")
    op.drop_table("reviews")
