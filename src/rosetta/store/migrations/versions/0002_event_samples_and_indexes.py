"""event samples, sample and flagged-annotation indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 00:25:30.968162
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables whose rows' events get their ``sample_id`` filled in, by object kind.
_KINDS = {"annotation": "annotations", "entity": "entities", "link": "links"}


def upgrade() -> None:
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_annotations_flagged",
            ["project_id", "pk"],
            unique=False,
            sqlite_where=sa.text("flags != '[]'"),
            postgresql_where=sa.text("flags != '[]'"),
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sample_id", sa.String(length=64), nullable=True))

    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_samples_project_id_pk"), ["project_id", "pk"], unique=False
        )

    # events of objects that still exist learn their sample; those of deleted ones cannot
    for kind, table in _KINDS.items():
        op.execute(
            sa.text(
                f"UPDATE events SET sample_id = (SELECT sample_id FROM {table} "
                f"WHERE {table}.id = events.object_id) WHERE object_kind = :kind"
            ).bindparams(kind=kind)
        )


def downgrade() -> None:
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_samples_project_id_pk"))

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("sample_id")

    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_annotations_flagged",
            sqlite_where=sa.text("flags != '[]'"),
            postgresql_where=sa.text("flags != '[]'"),
        )
