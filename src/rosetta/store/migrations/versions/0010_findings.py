"""findings: what QA checks found, one row per problem of a sample with its status (open,
resolved, waived), indexed for a project's listing by status and by check and for a
sample's findings; the authors of the work each is about, indexed by author; and each
project's cursor in the event log for incremental checks

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("check", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=True),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.Column("status_changed_at", sa.Float(), nullable=True),
        sa.Column("status_by", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_findings_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_findings_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_findings")),
        sa.UniqueConstraint("id", name=op.f("uq_findings_id")),
        sa.UniqueConstraint(
            "project_id", "sample_id", "key", name=op.f("uq_findings_project_id_sample_id_key")
        ),
    )
    op.create_index(
        op.f("ix_findings_project_id_status_pk"), "findings", ["project_id", "status", "pk"]
    )
    op.create_index(
        op.f("ix_findings_project_id_check_pk"), "findings", ["project_id", "check", "pk"]
    )
    op.create_index(op.f("ix_findings_sample_id_pk"), "findings", ["sample_id", "pk"])
    op.create_table(
        "finding_authors",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("finding_pk", PK, nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_pk"], ["findings.pk"], name=op.f("fk_finding_authors_finding_pk_findings")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_finding_authors")),
        sa.UniqueConstraint(
            "finding_pk", "author", name=op.f("uq_finding_authors_finding_pk_author")
        ),
    )
    op.create_index(
        op.f("ix_finding_authors_author_finding_pk"), "finding_authors", ["author", "finding_pk"]
    )
    op.create_table(
        "qa_cursors",
        sa.Column("pk", PK, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("event_pk", PK, nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_qa_cursors_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_qa_cursors")),
        sa.UniqueConstraint("project_id", name=op.f("uq_qa_cursors_project_id")),
    )


def downgrade() -> None:
    op.drop_table("qa_cursors")
    op.drop_index(op.f("ix_finding_authors_author_finding_pk"), table_name="finding_authors")
    op.drop_table("finding_authors")
    op.drop_index(op.f("ix_findings_sample_id_pk"), table_name="findings")
    op.drop_index(op.f("ix_findings_project_id_check_pk"), table_name="findings")
    op.drop_index(op.f("ix_findings_project_id_status_pk"), table_name="findings")
    op.drop_table("findings")
