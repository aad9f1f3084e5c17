"""Model versions prepared from the console, and the publications the Rasa servers pull.

Owned by the console (`console/models.py`, issue 17): each candidate model with its training
progress, gates and scores; each publication or rollback with who did it and when.

Revision ID: 0005_model_versions
Revises: 0004_console_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_model_versions"
down_revision = "0004_console_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("step", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("examples", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("gates_passed", sa.Boolean(), nullable=True),
        sa.Column("report", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_model_versions")),
    )
    op.create_table(
        "console_model_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_model_publications")),
    )


def downgrade() -> None:
    op.drop_table("console_model_publications")
    op.drop_table("console_model_versions")
