"""login_attempts: failed password logins (user name, client address, when), counted in a
sliding window to rate-limit logins across server processes

Revision ID: 0014
Revises: 0013
Create Date: 2027-02-01 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_login_attempts")),
    )
    for column in ("name", "address", "at"):
        op.create_index(op.f(f"ix_login_attempts_{column}"), "login_attempts", [column])


def downgrade() -> None:
    for column in ("at", "address", "name"):
        op.drop_index(op.f(f"ix_login_attempts_{column}"), table_name="login_attempts")
    op.drop_table("login_attempts")
