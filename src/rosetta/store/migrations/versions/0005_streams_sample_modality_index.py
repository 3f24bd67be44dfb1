"""streams indexed by (sample_id, modality): the sample listing's modality filter asks
whether a sample has a stream of a modality; the index replaces the one on sample_id alone

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_streams_sample_id_modality"), "streams", ["sample_id", "modality"])
    op.drop_index(op.f("ix_streams_sample_id"), table_name="streams")


def downgrade() -> None:
    op.create_index(op.f("ix_streams_sample_id"), "streams", ["sample_id"])
    op.drop_index(op.f("ix_streams_sample_id_modality"), table_name="streams")
