"""An Order with a user for each staff role, dossiers registered through the real services, and what the
guards of the lifecycle ask for (gestore appointed and declared, report in the file)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from occ_core.demo import make_codice_fiscale
from occ_core.documents.models import Document
from occ_core.dossiers import procedures, registration
from occ_core.dossiers.models import Dossier
from occ_core.gestori.models import Appointment, Gestore
from occ_core.hookspecs import hookimpl
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_registrant, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "referente", "consultazione", "gestore")
CF_DEBTOR = make_codice_fiscale("Verdi", "Anna", date(1970, 4, 12), True, "F205")


@pytest.fixture
def order(dbtx, pm):
    """The Order «milano» with one user per staff role (``<role>@milano.it``)."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        for role in ROLES:
            make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}")
    return tenant


def category_for(procedure: str) -> str:
    known = procedures.PROCEDURES.get(procedure)
    return known.categories[0] if known and known.categories else "consumatore"


def application(procedure="ristrutturazione_consumatore", debtor=None, **fields) -> dict:
    """What the «Nuova pratica» form or the API sends for a plausible application."""
    return {
        "procedure": procedure, "debtor_category": category_for(procedure), "filed_on": "2025-03-10",
        "family": False, "court": "", "subject": "",
        "debtor": debtor if debtor is not None else {"person_kind": "fisica", "last_name": "Verdi",
                                                      "first_name": "Anna", "codice_fiscale": CF_DEBTOR},
        **fields,
    }


def open_dossier(env, procedure="ristrutturazione_consumatore", now=None, **fields) -> Dossier:
    return registration.open_dossier(env, application(procedure, **fields), now=now)


def appoint(db, dossier, accepted=True, independent=True, last_name="Neri", **fields) -> Appointment:
    """A gestore of the list (the registrant «<last_name> Paolo») appointed to ``dossier``, with the
    declarations asked for."""
    code = make_codice_fiscale(last_name, "Paolo", date(1965, 9, 3), False, "F205")
    registrant = make_registrant(db, db.get(Tenant, dossier.tenant_id), code, last_name=last_name, first_name="Paolo")
    gestore = db.scalar(select(Gestore).where(Gestore.registrant_id == registrant.id))
    if gestore is None:
        gestore = Gestore(tenant_id=dossier.tenant_id, registrant_id=registrant.id, enrolled_on=date(2020, 1, 1))
        db.add(gestore)
        db.flush()
    now = datetime.now(timezone.utc)
    appointment = Appointment(tenant_id=dossier.tenant_id, dossier_id=dossier.id, gestore_id=gestore.id,
                              accepted_at=now if accepted else None,
                              independence_declared_at=now if independent else None, **fields)
    db.add(appointment)
    db.flush()
    return appointment


def file_report(db, dossier, **fields) -> Document:
    document = Document(tenant_id=dossier.tenant_id, dossier_id=dossier.id, category="relazione_gestore",
                        title="Relazione particolareggiata", **fields)
    db.add(document)
    db.flush()
    return document


def make_ready(db, dossier) -> None:
    """Everything every guard of the common phase asks for."""
    dossier.incarico_accepted_on = date(2025, 3, 20)
    dossier.referente_declaration_at = datetime.now(timezone.utc)
    dossier.court = "Tribunale di Milano"
    appoint(db, dossier)
    file_report(db, dossier)


class EventRecorder:
    """A listener of the domain events, as a module would register one."""

    def __init__(self):
        self.events = []

    @hookimpl
    def occ_domain_event(self, event):
        self.events.append(event)


@pytest.fixture
def events(pm):
    recorder = EventRecorder()
    pm.register(recorder)
    yield recorder.events
    pm.unregister(recorder)
