"""Versions of the visio offer saved in the console, laid over reference/visio_offer.yml (issue 18).

One row per saved version (`store.models.VisioOfferVersion`): who, when, why and the whole offer
as JSON; the latest is the offer in use.

Revision ID: 0007_visio_offer
Revises: 0006_calendar_changes
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_visio_offer"
down_revision = "0006_calendar_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visio_offer_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visio_offer_versions")),
    )


def downgrade() -> None:
    op.drop_table("visio_offer_versions")
