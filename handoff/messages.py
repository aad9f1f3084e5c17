"""Messages waiting for a web conversation (REST or socket.io): table `agent_messages`.

The REST channel answers only within the person's own request, so an agent's message or a
reminder for a REST conversation is kept here (it is also in the conversation's tracker). No
HTTP route hands these out: `GET /agent-messages?sender=...`, without a token and keyed by the
sender alone, let anyone who knew a sender read and consume them (issue 16), and nothing used
it. Created by the store's migration 0002; erased by the console's retention.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import Engine

from store.db import get_engine, transaction
from store.models import UTC, UTCDateTime

# Its own MetaData: the table is created by migration 0002, and the store's autogenerate (which
# compares `store.models.metadata` with the database) must not see it as unknown.
metadata = MetaData()

agent_messages = Table(
    "agent_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("source", String(20), nullable=False),  # "agent" or "reminder"
    Column("agent", String(80)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_agent_messages_sender_delivered", "sender_id", "delivered_at"),
)


class MessageBox:
    """Store and hand out pending web messages."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = get_engine()
        return self._engine

    def put(self, sender_id: str, channel: str, text: str, source: str, agent: str | None) -> None:
        with transaction(self.engine) as session:
            session.execute(
                agent_messages.insert().values(
                    sender_id=sender_id,
                    channel=channel,
                    text=text,
                    source=source,
                    agent=agent,
                    created_at=dt.datetime.now(tz=UTC),
                )
            )

    def take(self, sender_id: str) -> list[dict[str, str]]:
        """The pending messages of a conversation, oldest first, marked delivered."""
        with transaction(self.engine) as session:
            rows = session.execute(
                select(agent_messages.c.id, agent_messages.c.text, agent_messages.c.source)
                .where(
                    agent_messages.c.sender_id == sender_id,
                    agent_messages.c.delivered_at.is_(None),
                )
                .order_by(agent_messages.c.id)
            ).all()
            if rows:
                session.execute(
                    update(agent_messages)
                    .where(agent_messages.c.id.in_([row.id for row in rows]))
                    .values(delivered_at=dt.datetime.now(tz=UTC))
                )
        return [{"text": row.text, "source": row.source} for row in rows]
