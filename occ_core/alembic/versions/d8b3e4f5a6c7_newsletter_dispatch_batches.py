"""newsletter, mailing lists, unsubscribes, personalised deliveries

Revision ID: d8b3e4f5a6c7
Revises: c7a2d3e4f5b6
Create Date: 2026-11-26 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import shared_registry.db


revision = 'd8b3e4f5a6c7'
down_revision = 'c7a2d3e4f5b6'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
