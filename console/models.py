"""The console's own tables: accounts, sessions, login failures, audit log, teach items,
conversation index, model versions and their publications.

They live in the shared database next to Rasa's `events` table and the store's tables, created by
the store's Alembic revisions `0003_console`, `0004_console_sessions` and
`0005_model_versions`. A separate `MetaData`, so `store.cli`'s autogenerate (which looks at
`store.models.metadata` only) never proposes to drop them.

`console_conversations` is a summary of the tracker store, one row per conversation, kept up to
date incrementally from Rasa's `events` table (`console.conversations.refresh_index`): the list
page then filters and sorts 10,000 conversations without scanning every event.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from store.models import NAMING, UTCDateTime

metadata = MetaData(naming_convention=NAMING)

ROLE_AGENT = "agent"
ROLE_ADMIN = "admin"
ROLES = (ROLE_AGENT, ROLE_ADMIN)

accounts = Table(
    "console_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(10), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
)

# One row per logged-in browser: the cookie holds a random token, this table its SHA-256. Logging
# out deletes the row, deactivating an account or changing its password deletes all of its rows:
# a copied cookie then opens nothing.
sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_console_sessions_account_id", "account_id"),
)

# Failed logins, by (lower-cased) name and by the client's address.
login_failures = Table(
    "console_login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False),
    Column("address", String(45), nullable=False, default=""),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_console_login_failures_username_at", "username", "at"),
    Index("ix_console_login_failures_address_at", "address", "at"),
)

audit_log = Table(
    "console_audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(255), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
    Index("ix_console_audit_log_at", "at"),
)

teach_items = Table(
    "console_teach_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, nullable=False, unique=True),
    Column("sender_id", String(255), nullable=False),
    Column("at", Float, nullable=False),
    Column("text", Text, nullable=False),
    Column("predicted_intent", String(80)),
    Column("confidence", Float),
    Column("reason", String(20), nullable=False),
    Column("intent", String(80)),
    Column("out_of_scope", Boolean, nullable=False, default=False),
    Column("agent", String(80)),
    Column("labelled_at", UTCDateTime),
    Column("exported_at", UTCDateTime),
    Index("ix_console_teach_items_at", "at"),
)

conversations = Table(
    "console_conversations",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("channel", String(40), nullable=False, default=""),
    Column("started_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("n_user", Integer, nullable=False, default=0),
    Column("first_text", Text, nullable=False, default=""),
    Column("intents", Text, nullable=False, default=" "),
    Column("commune_insee", String(10)),
    Column("procedure_id", String(80)),
    Column("fallback", Boolean, nullable=False, default=False),
    Column("handed_over", Boolean, nullable=False, default=False),
    Column("booking", Boolean, nullable=False, default=False),
    Column("search_text", Text, nullable=False, default=""),
    Index("ix_console_conversations_last_at", "last_at"),
)

state = Table(
    "console_state",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(255), nullable=False),
)

# One row per candidate model prepared from the console ("Préparer une nouvelle version",
# console/versions.py): its training job's progress, the model file, the gates' verdict and the
# scores beside the model in service (`report`, JSON). Kept after publication and rollback.
model_versions = Table(
    "console_model_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(80), nullable=False),
    # queued -> training -> testing -> ready | failed
    Column("status", String(12), nullable=False),
    Column("step", String(255), nullable=False, default=""),
    Column("pid", Integer),
    Column("examples", Integer, nullable=False, default=0),
    Column("path", String(500)),
    Column("sha256", String(64)),
    Column("gates_passed", Boolean),
    Column("report", Text, nullable=False, default="{}"),
    Column("finished_at", UTCDateTime),
)

# Every change of the model the Rasa servers pull (console/model_server.py serves the last row's
# file): publications and rollbacks, who and when. `version_id` is None for the model delivered
# in models/ (the one served before any publication).
model_publications = Table(
    "console_model_publications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(10), nullable=False),
    Column("version_id", Integer),
    Column("path", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
)
