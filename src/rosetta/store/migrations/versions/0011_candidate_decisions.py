"""candidate_decisions: what people decided about model candidates (accepted, edited,
rejected), with the model and what the decision changed, indexed per model and per person
of a project

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-09 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "candidate_decisions",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("annotation_id", sa.String(length=64), nullable=False),
        sa.Column("proposer", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("geometry", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("label_changed", sa.Boolean(), nullable=False),
        sa.Column("iou", sa.Float(), nullable=True),
        sa.Column("boundary_shift", sa.Float(), nullable=True),
        sa.Column("wer", sa.Float(), nullable=True),
        sa.Column("decided_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_candidate_decisions_project_id_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_candidate_decisions_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_candidate_decisions")),
    )
    op.create_index(
        op.f("ix_candidate_decisions_project_id_model_pk"),
        "candidate_decisions",
        ["project_id", "model", "pk"],
    )
    op.create_index(
        op.f("ix_candidate_decisions_project_id_decided_by_pk"),
        "candidate_decisions",
        ["project_id", "decided_by", "pk"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_candidate_decisions_project_id_decided_by_pk"), table_name="candidate_decisions"
    )
    op.drop_index(
        op.f("ix_candidate_decisions_project_id_model_pk"), table_name="candidate_decisions"
    )
    op.drop_table("candidate_decisions")
