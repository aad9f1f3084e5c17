"""Console sessions kept on the server, and login failures counted per client address.

Owned by the console (`console/models.py`): a session now ends on the server (logout,
deactivation, password change), and the lock-out counts failures per (name, address) so that
nobody can lock a colleague's account from their own machine.

Revision ID: 0004_console_sessions
Revises: 0002_agent_messages
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_console_sessions"
down_revision = "0002_agent_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )
    op.create_index("ix_console_sessions_account_id", "console_sessions", ["account_id"])
    with op.batch_alter_table("console_login_failures") as batch:
        batch.add_column(
            sa.Column("address", sa.String(length=45), nullable=False, server_default="")
        )
    op.create_index(
        "ix_console_login_failures_address_at", "console_login_failures", ["address", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_console_login_failures_address_at", table_name="console_login_failures")
    with op.batch_alter_table("console_login_failures") as batch:
        batch.drop_column("address")
    op.drop_index("ix_console_sessions_account_id", table_name="console_sessions")
    op.drop_table("console_sessions")
