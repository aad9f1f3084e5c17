"""Initial tables: bookings, slot claims, handoff requests, reminders.

Timestamps are naive UTC DateTime columns (`store.models.UTCDateTime` converts). The slot claims'
primary key (place_key, slot_start) is the constraint that lets a slot be taken once while active.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27 05:36:22.998133
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("operator", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("place_kind", sa.String(length=8), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("place_label", sa.String(length=300), nullable=False),
        sa.Column("slot_start", sa.DateTime(), nullable=False),
        sa.Column("slot_end", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("contact_phone", sa.String(length=16), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("agent", sa.String(length=80), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("place_kind IN ('bus', 'desk')", name=op.f("ck_bookings_place_kind")),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'moved', 'refused', 'cancelled')",
            name=op.f("ck_bookings_status"),
        ),
        sa.CheckConstraint(
            "contact_phone IS NOT NULL OR contact_email IS NOT NULL",
            name=op.f("ck_bookings_contact"),
        ),
        sa.CheckConstraint("slot_end > slot_start", name=op.f("ck_bookings_slot_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("code", name=op.f("uq_bookings_code")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_place_slot", ["place_kind", "place_id", "slot_start"], unique=False
        )
        batch_op.create_index("ix_bookings_sender", ["sender_id"], unique=False)
        batch_op.create_index("ix_bookings_status", ["status"], unique=False)

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("contact_phone", sa.String(length=16), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("preferred_time", sa.String(length=120), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.Column("agent", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('handoff', 'callback')", name=op.f("ck_handoff_requests_kind")
        ),
        sa.CheckConstraint(
            "status IN ('waiting', 'taken', 'done', 'abandoned')",
            name=op.f("ck_handoff_requests_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_requests")),
    )
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_handoff_requests_status_created", ["status", "created_at"], unique=False
        )

    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled')", name=op.f("ck_reminders_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_reminders_attempts")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_reminders_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index("ix_reminders_booking", ["booking_id"], unique=False)
        batch_op.create_index("ix_reminders_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "slot_claims",
        sa.Column("place_key", sa.String(length=60), nullable=False),
        sa.Column("slot_start", sa.DateTime(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_slot_claims_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("place_key", "slot_start", name=op.f("pk_slot_claims")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_slot_claims_booking_id")),
    )


def downgrade() -> None:
    op.drop_table("slot_claims")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_status_due")
        batch_op.drop_index("ix_reminders_booking")

    op.drop_table("reminders")
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_handoff_requests_status_created")

    op.drop_table("handoff_requests")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_status")
        batch_op.drop_index("ix_bookings_sender")
        batch_op.drop_index("ix_bookings_place_slot")

    op.drop_table("bookings")
