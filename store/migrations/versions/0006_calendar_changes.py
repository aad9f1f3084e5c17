"""Staff's changes to the tour calendar, laid over reference/tours.yml (issue 15).

One row per change made in the console's "Calendrier" section (`store.models.CalendarChangeRow`):
who, when, why, the change itself (kind + JSON payload), and who undid it when it was undone.

Revision ID: 0006_calendar_changes
Revises: 0005_model_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_calendar_changes"
down_revision = "0005_model_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=80), nullable=True),
        sa.CheckConstraint(
            "(undone_at IS NULL) = (undone_by IS NULL)", name=op.f("ck_calendar_changes_undone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_changes")),
    )


def downgrade() -> None:
    op.drop_table("calendar_changes")
