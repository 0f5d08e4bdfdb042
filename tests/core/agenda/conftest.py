"""An Order with its staff, a room open on working days, two gestori and a dossier with a debtor and a
creditor that have addresses; appointments are fixed through the real services."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.agenda import services
from occ_core.agenda.models import Event, Room
from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import registration
from occ_core.dossiers.models import Creditor
from occ_core.gestori.models import Appointment, Gestore
from occ_core.hookspecs import hookimpl
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_registrant, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "referente", "consultazione", "gestore")
WORKING_DAYS = {day: [["09:00", "13:00"], ["14:00", "18:00"]] for day in ("1", "2", "3", "4", "5")}


@dataclass
class Case:
    tenant: Tenant
    users: dict  # role -> user id
    room_id: int
    small_room_id: int
    gestore_id: int
    other_gestore_id: int
    dossier_id: int
    reference: str
    debtor_key: str
    creditor_key: str


def gestore(db, tenant, last_name: str, email: str) -> Gestore:
    code = make_codice_fiscale(last_name, "Paolo", date(1965, 9, 3), False, "F205")
    registrant = make_registrant(db, tenant, code, last_name=last_name, first_name="Paolo", email=email)
    row = Gestore(tenant_id=tenant.id, registrant_id=registrant.id, enrolled_on=date(2020, 1, 1))
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def case(dbtx, pm, tenant_env) -> Case:
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        users = {role: make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}").id
                 for role in ROLES}
    with tenant_env(tenant) as env:
        db = env.dbsession
        room = Room(tenant_id=tenant.id, name="Sala Verde", location="Via Freguglia 1", capacity=8,
                    opening_hours=WORKING_DAYS)
        small = Room(tenant_id=tenant.id, name="Saletta", capacity=2, opening_hours={"1": [["09:00", "12:00"]]})
        db.add_all([room, small])
        neri = gestore(db, env.tenant, "Neri", "paolo.neri@studio.it")
        bianchi = gestore(db, env.tenant, "Bianchi", "paolo.bianchi@studio.it")
        dossier = registration.open_dossier(env, {
            "procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore", "filed_on": "2025-03-10",
            "family": False, "court": "Tribunale di Milano", "subject": "",
            "debtor": {"person_kind": "fisica", "last_name": "Verdi", "first_name": "Anna",
                       "codice_fiscale": make_codice_fiscale("Verdi", "Anna", date(1970, 4, 12), True, "F205")}})
        dossier.debtors[0].email = "anna.verdi@example.it"
        dossier.creditors.append(Creditor(tenant_id=tenant.id, name="Banca Lombarda S.p.A.",
                                          pec="legale@pec.bancalombarda.it", amount_claimed=Decimal("1000")))
        db.add(Appointment(tenant_id=tenant.id, dossier_id=dossier.id, gestore_id=neri.id,
                           accepted_at=datetime.now(timezone.utc)))
        db.flush()
        return Case(tenant, users, room.id, small.id, neri.id, bianchi.id, dossier.id, dossier.reference,
                    f"debitore:{dossier.debtors[0].id}", f"creditore:{dossier.creditors[0].id}")


def form(case: Case, **changes) -> dict:
    """What the appointment form posts: a meeting with the debtor on Monday 14 July 2025, 10:00-11:00, in the
    room, with the gestore, the debtor and a user of the Order."""
    return {"kind": "incontro_debitore", "title": "Incontro con il debitore", "start_day": "2025-07-14",
            "start_time": "10:00", "end_time": "11:00", "end_day": "", "all_day": "", "dossier": case.reference,
            "room_id": str(case.room_id), "place": "", "gestore_id": str(case.gestore_id), "online_url": "",
            "description": "", "guests": "", "users": [str(case.users["segreteria"])],
            "parties": [case.debtor_key], **changes}


@pytest.fixture
def fix(tenant_env, case):
    """``fix(**changes)``: save an appointment through the service and return its id (raises if refused)."""

    def save(event_id=None, **changes):
        with tenant_env(case.tenant) as env:
            event = env.dbsession.get(Event, event_id) if event_id else None
            return services.save_event(env, form(case, **changes), event).id

    return save


def count_events(dbtx, case) -> int:
    with dbtx(case.tenant) as db:
        return db.scalar(select(func.count(Event.id)))


class ActRecorder:
    """A listener of ``occ_dossier_act``, as the deadlines engine is one."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def occ_dossier_act(self, env, dossier, kind, name, on, ref):
        self.calls.append((dossier.id, kind, name, on, ref))


@pytest.fixture
def acts(pm):
    recorder = ActRecorder()
    pm.register(recorder)
    yield recorder.calls
    pm.unregister(recorder)
