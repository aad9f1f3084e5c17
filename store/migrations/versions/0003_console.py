"""Staff console tables: accounts, login failures, audit log, teach items, conversation index.

Owned by the console (`console/models.py`); the store's own tables are not touched.

Revision ID: 0003_console
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_console"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_console_accounts_username")),
    )
    op.create_table(
        "console_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_login_failures")),
    )
    op.create_index(
        "ix_console_login_failures_username_at", "console_login_failures", ["username", "at"]
    )
    op.create_table(
        "console_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_audit_log")),
    )
    op.create_index("ix_console_audit_log_at", "console_audit_log", ["at"])
    op.create_table(
        "console_teach_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=True),
        sa.Column("out_of_scope", sa.Boolean(), nullable=False),
        sa.Column("agent", sa.String(length=80), nullable=True),
        sa.Column("labelled_at", sa.DateTime(), nullable=True),
        sa.Column("exported_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_teach_items")),
        sa.UniqueConstraint("event_id", name=op.f("uq_console_teach_items_event_id")),
    )
    op.create_index("ix_console_teach_items_at", "console_teach_items", ["at"])
    op.create_table(
        "console_conversations",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("n_user", sa.Integer(), nullable=False),
        sa.Column("first_text", sa.Text(), nullable=False),
        sa.Column("intents", sa.Text(), nullable=False),
        sa.Column("commune_insee", sa.String(length=10), nullable=True),
        sa.Column("procedure_id", sa.String(length=80), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("handed_over", sa.Boolean(), nullable=False),
        sa.Column("booking", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_console_conversations")),
    )
    op.create_index("ix_console_conversations_last_at", "console_conversations", ["last_at"])
    op.create_table(
        "console_state",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_console_state")),
    )


def downgrade() -> None:
    op.drop_table("console_state")
    op.drop_index("ix_console_conversations_last_at", table_name="console_conversations")
    op.drop_table("console_conversations")
    op.drop_index("ix_console_teach_items_at", table_name="console_teach_items")
    op.drop_table("console_teach_items")
    op.drop_index("ix_console_audit_log_at", table_name="console_audit_log")
    op.drop_table("console_audit_log")
    op.drop_index("ix_console_login_failures_username_at", table_name="console_login_failures")
    op.drop_table("console_login_failures")
    op.drop_table("console_accounts")
