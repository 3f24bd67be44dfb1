"""workforce: task kinds (work, gold, training, qualification), hidden candidates and gold
scores on task slots; people's skills and the skills a sample's slots require; the gold
samples' uses; qualification results; the counts of the stratified second review

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-26 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy of the table, which would lose ix_tasks_next's DESC)
    op.add_column(
        "tasks",
        sa.Column("kind", sa.String(length=20), server_default=sa.text("'work'"), nullable=False),
    )
    op.add_column(
        "tasks",
        sa.Column(
            "candidates_hidden",
            sa.Boolean(),
            server_default=sa.literal_column("false"),
            nullable=False,
        ),
    )
    op.add_column("tasks", sa.Column("score", sa.Float(), nullable=True))
    op.add_column("tasks", sa.Column("score_detail", sa.Text(), nullable=True))
    op.create_index(op.f("ix_tasks_project_id_kind_pk"), "tasks", ["project_id", "kind", "pk"])
    op.create_table(
        "user_skills",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("skill", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_skills_user_id_users")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_user_skills")),
        sa.UniqueConstraint("user_id", "skill", name=op.f("uq_user_skills_user_id_skill")),
    )
    op.create_table(
        "sample_skills",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("skill", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_sample_skills_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_sample_skills")),
        sa.UniqueConstraint("sample_id", "skill", name=op.f("uq_sample_skills_sample_id_skill")),
    )
    op.create_table(
        "gold_uses",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("skill", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_gold_uses_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_gold_uses_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_gold_uses")),
        sa.UniqueConstraint("sample_id", "purpose", name=op.f("uq_gold_uses_sample_id_purpose")),
    )
    op.create_index(
        op.f("ix_gold_uses_project_id_purpose_pk"), "gold_uses", ["project_id", "purpose", "pk"]
    )
    op.create_table(
        "qualifications",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("skill", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_qualifications_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_qualifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_qualifications")),
        sa.UniqueConstraint(
            "project_id",
            "user_id",
            "skill",
            name=op.f("uq_qualifications_project_id_user_id_skill"),
        ),
    )
    op.create_table(
        "review_strata",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("stratum", sa.String(length=300), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_review_strata_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_review_strata")),
        sa.UniqueConstraint(
            "project_id", "stratum", name=op.f("uq_review_strata_project_id_stratum")
        ),
    )


def downgrade() -> None:
    op.drop_table("review_strata")
    op.drop_table("qualifications")
    op.drop_index(op.f("ix_gold_uses_project_id_purpose_pk"), table_name="gold_uses")
    op.drop_table("gold_uses")
    op.drop_table("sample_skills")
    op.drop_table("user_skills")
    op.drop_index(op.f("ix_tasks_project_id_kind_pk"), table_name="tasks")
    for column in ("score_detail", "score", "candidates_hidden", "kind"):
        op.drop_column("tasks", column)
