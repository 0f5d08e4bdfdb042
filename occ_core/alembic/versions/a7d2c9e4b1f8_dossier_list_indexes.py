"""indexes of the dossier list

The list's searches, measured on 100,000 dossiers (bench/dossiers.py):
- a state with a procedure read every dossier in the state to keep those of the procedure: the index on
  (Order, state) becomes (Order, state, procedure);
- a gestore read all the gestore's appointments to keep those in force: a partial index of the appointments in
  force, by gestore and dossier (carrying the Order on PostgreSQL), answers it alone;
- the count reaches dossiers by id from their debtors, creditors and appointments, and read each dossier's row
  for its Order and number: on PostgreSQL an index on the id carries them;
- PostgreSQL's full-text indexes keep no pending list (fastupdate off): every search scanned the entries added
  since the last vacuum, and dossiers and their parties are written far less often than they are searched.

Revision ID: a7d2c9e4b1f8
Revises: f1a2b3c4d5e6
Create Date: 2026-11-27 03:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7d2c9e4b1f8'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None

IN_FORCE = "ended_at IS NULL AND declined_at IS NULL"
FULL_TEXT_INDEXES = ("ix_dossiers_search_words", "ix_dossier_debtors_name_words", "ix_dossier_creditors_name_words")


def upgrade():
    op.drop_index("ix_dossiers_tenant_state", table_name="dossiers")
    op.create_index("ix_dossiers_tenant_state_procedure", "dossiers", ["tenant_id", "state", "procedure"])
    op.create_index("ix_appointments_in_force_by_gestore", "appointments", ["gestore_id", "dossier_id"],
                    postgresql_include=["tenant_id"], postgresql_where=sa.text(IN_FORCE),
                    sqlite_where=sa.text(IN_FORCE))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_dossiers_id_keys", "dossiers", ["id"], postgresql_include=["tenant_id", "year", "number"])
    for index in FULL_TEXT_INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for index in FULL_TEXT_INDEXES:
            op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
        op.drop_index("ix_dossiers_id_keys", table_name="dossiers")
    op.drop_index("ix_appointments_in_force_by_gestore", table_name="appointments")
    op.drop_index("ix_dossiers_tenant_state_procedure", table_name="dossiers")
    op.create_index("ix_dossiers_tenant_state", "dossiers", ["tenant_id", "state"])
