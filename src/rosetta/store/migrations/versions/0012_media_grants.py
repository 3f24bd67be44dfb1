"""media_grants: short-lived grants to read one stream's media (the SHA-256 of each token,
the stream, sample and project, who granted it, why, and when it expires)

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-16 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "media_grants",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_media_grants_stream_id_streams")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_media_grants_sample_id_samples")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_media_grants_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_media_grants")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_media_grants_token_hash")),
    )
    op.create_index(op.f("ix_media_grants_expires_at"), "media_grants", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_media_grants_expires_at"), table_name="media_grants")
    op.drop_table("media_grants")
