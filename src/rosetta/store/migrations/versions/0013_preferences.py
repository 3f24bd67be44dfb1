"""candidates and judgements: the model outputs of preference samples and evaluators'
judgements of them (one per person and sample), indexed for a sample's reads and for
streaming a project's judgements

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-16 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "candidates",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("model_version", sa.String(length=200), nullable=True),
        sa.Column("streams", sa.Text(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_candidates_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["samples.id"],
            name=op.f("fk_candidates_sample_id_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_candidates")),
        sa.UniqueConstraint("id", name=op.f("uq_candidates_id")),
    )
    op.create_index(
        op.f("ix_candidates_sample_id_position"), "candidates", ["sample_id", "position"]
    )
    op.create_table(
        "judgements",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("presented", sa.Text(), nullable=False),
        sa.Column("pairs", sa.Text(), nullable=False),
        sa.Column("ranking", sa.Text(), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("rationale", sa.String(length=64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_judgements_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["samples.id"],
            name=op.f("fk_judgements_sample_id_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_judgements")),
        sa.UniqueConstraint("id", name=op.f("uq_judgements_id")),
        sa.UniqueConstraint("sample_id", "author", name=op.f("uq_judgements_sample_id_author")),
    )
    op.create_index(op.f("ix_judgements_project_id_pk"), "judgements", ["project_id", "pk"])


def downgrade() -> None:
    op.drop_index(op.f("ix_judgements_project_id_pk"), table_name="judgements")
    op.drop_table("judgements")
    op.drop_index(op.f("ix_candidates_sample_id_position"), table_name="candidates")
    op.drop_table("candidates")
