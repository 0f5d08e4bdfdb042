"""An Order with a user per staff role and a way to work inside it as a background task does (the hooks'
``env``); dossiers are register rows in a chosen state and procedure."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from occ_core.deadlines.models import Deadline
from occ_core.dossiers.models import Dossier
from occ_core.testing.factories import make_tenant, make_user

ROLES = ("amministratore", "segreteria", "referente", "consultazione", "gestore")


@pytest.fixture
def order(dbtx, pm):
    """The Order «torino» (province TO) with one user per staff role (``<role>@torino.it``)."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "torino")
        tenant.province, tenant.email, tenant.occ_name = "TO", "occ@ordine-torino.it", "OCC dell'Ordine di Torino"
        for role in ROLES:
            make_user(db, f"{role}@torino.it", tenant, role, full_name=f"Utente {role}")
    return tenant


def add_dossier(db, tenant, procedure="ristrutturazione_consumatore", state="DEPOSITATO",
                filed_on=date(2025, 1, 10), number=None, **fields) -> Dossier:
    number = number or (db.scalar(select(Dossier.number).order_by(Dossier.number.desc()).limit(1)) or 0) + 1
    dossier = Dossier(tenant_id=tenant.id, year=filed_on.year, number=number, filed_on=filed_on, procedure=procedure,
                      state=state, debtor_name="Bianchi Laura", court="Tribunale di Torino", **fields)
    db.add(dossier)
    db.flush()
    return dossier


def deadlines_of(db, dossier) -> dict[str, list[Deadline]]:
    """The dossier's deadlines by rule code ("manuale" for those added by hand), oldest first."""
    found: dict[str, list[Deadline]] = {}
    for deadline in db.scalars(select(Deadline).where(Deadline.dossier_id == dossier.id).order_by(Deadline.id)):
        found.setdefault(deadline.rule.code if deadline.rule else "manuale", []).append(deadline)
    return found
