"""workflow and tasks: a project's versioned workflow and one row per task slot, indexed
for the next task (project, stage, status, priority descending, pk)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_workflows_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_workflows")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_workflows_project_id_version")),
    )
    op.create_table(
        "tasks",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.Float(), nullable=True),
        sa.Column("priority", sa.Float(), server_default=sa.literal_column("0"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_tasks_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_tasks_sample_id_samples")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_tasks_user_id_users")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_tasks")),
        sa.UniqueConstraint("id", name=op.f("uq_tasks_id")),
        sa.UniqueConstraint(
            "sample_id", "stage", "slot", name=op.f("uq_tasks_sample_id_stage_slot")
        ),
    )
    op.create_index(
        op.f("ix_tasks_user_id_project_id_status"), "tasks", ["user_id", "project_id", "status"]
    )
    op.create_index(op.f("ix_tasks_project_id_pk"), "tasks", ["project_id", "pk"])
    op.create_index(
        "ix_tasks_next",
        "tasks",
        ["project_id", "stage", "status", sa.literal_column("priority DESC"), "pk"],
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_next", table_name="tasks")
    op.drop_index(op.f("ix_tasks_project_id_pk"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_user_id_project_id_status"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_table("workflows")
