"""Agent messages waiting for the web page: the agent's words and reminders for rest/socketio.

Owned by the handoff process (`handoff/messages.py`). Rasa's REST channel answers only within a
request and the socket.io page may be closed, so a message an agent (or a reminder) sends to a
web conversation waits here until the page asks for it (GET /agent-messages, docs/handoff.md).

Revision ID: 0002_agent_messages
Revises: 0003_console (the console's revision was created first, on top of 0001; this one is
chained after it so that the history has a single head)
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_agent_messages"
down_revision = "0003_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("agent", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_messages")),
    )
    op.create_index(
        "ix_agent_messages_sender_delivered", "agent_messages", ["sender_id", "delivered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_agent_messages_sender_delivered", table_name="agent_messages")
    op.drop_table("agent_messages")
