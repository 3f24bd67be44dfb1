"""stream clocks and sensors, sample ego poses, media artefacts, jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN: both backends add a nullable column in place (a batch
    # operation would rebuild the SQLite tables, which other tables' rows refer to)
    op.add_column("streams", sa.Column("clock", sa.Text(), nullable=True))
    op.add_column("streams", sa.Column("sensor", sa.Text(), nullable=True))
    op.add_column("samples", sa.Column("ego_poses", sa.Text(), nullable=True))

    op.create_table(
        "media_artifacts",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_media_artifacts_stream_id_streams")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_media_artifacts")),
        sa.UniqueConstraint("stream_id", "kind", name=op.f("uq_media_artifacts_stream_id_kind")),
    )

    op.create_table(
        "jobs",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_jobs_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_jobs")),
        sa.UniqueConstraint("id", name=op.f("uq_jobs_id")),
    )
    op.create_index(op.f("ix_jobs_status_pk"), "jobs", ["status", "pk"], unique=False)
    op.create_index(op.f("ix_jobs_target_kind"), "jobs", ["target", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_target_kind"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_status_pk"), table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("media_artifacts")
    op.drop_column("samples", "ego_poses")
    op.drop_column("streams", "sensor")
    op.drop_column("streams", "clock")
