"""An Order with its staff and a dossier whose five parties have addresses: the debtor (PEC and e-mail), two
creditors (PEC), the debtor's lawyer and the appointed gestore; a tax office of the debtor's province."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.communications.models import Communication, TaxOffice
from occ_core.demo import make_codice_fiscale
from occ_core.dispatch.models import Delivery
from occ_core.documents.services import add_document
from occ_core.documents.storage import storage_of
from occ_core.dossiers import registration
from occ_core.dossiers.models import Creditor, OtherParty
from occ_core.gestori.models import Appointment, Gestore
from occ_core.protocol.models import Registration
from occ_core.testing.factories import csrf_token, login, make_registrant, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "consultazione")
STATEMENT = "Estratto conto al 31/12/2024: saldo debitore 12.345,67 euro.\n".encode()
ADDRESSES = ("anna.verdi@example.it", "legale@pec.bancalombarda.it", "recupero@pec.finanziaria.it",
             "avv.rossi@studiorossi.it", "paolo.neri@studio.it")


@dataclass
class Case:
    tenant: object
    dossier_id: int
    reference: str
    keys: dict  # debitore, creditore, creditore2, avvocato, gestore, ufficio -> candidate key
    document_id: int  # a document of the fascicolo

    @property
    def base(self) -> str:
        return f"/{self.tenant.slug}/dossiers/{self.dossier_id}/communications"


@pytest.fixture
def case(dbtx, pm, tenant_env) -> Case:
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        for role in ROLES:
            make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}")
    with tenant_env(tenant) as env:
        db = env.dbsession
        dossier = registration.open_dossier(env, {
            "procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore", "filed_on": "2025-03-10",
            "family": False, "court": "Tribunale di Milano", "subject": "",
            "debtor": {"person_kind": "fisica", "last_name": "Verdi", "first_name": "Anna",
                       "codice_fiscale": make_codice_fiscale("Verdi", "Anna", date(1970, 4, 12), True, "F205")}})
        debtor = dossier.debtors[0]
        debtor.email, debtor.pec, debtor.city, debtor.province = ADDRESSES[0], "anna.verdi@pec.it", "Milano", "MI"
        for name, pec in (("Banca Lombarda S.p.A.", ADDRESSES[1]), ("Finanziaria Alfa S.p.A.", ADDRESSES[2])):
            dossier.creditors.append(Creditor(tenant_id=tenant.id, name=name, pec=pec, amount_claimed=Decimal("1000")))
        dossier.parties.append(OtherParty(tenant_id=tenant.id, role="avvocato", name="Avv. Marco Rossi",
                                          email=ADDRESSES[3]))
        registrant = make_registrant(db, env.tenant, make_codice_fiscale("Neri", "Paolo", date(1965, 9, 3), False,
                                                                         "F205"),
                                     last_name="Neri", first_name="Paolo", email=ADDRESSES[4])
        gestore = Gestore(tenant_id=tenant.id, registrant_id=registrant.id, enrolled_on=date(2020, 1, 1))
        db.add(gestore)
        db.flush()
        db.add(Appointment(tenant_id=tenant.id, dossier_id=dossier.id, gestore_id=gestore.id,
                           accepted_at=datetime.now(timezone.utc)))
        document = add_document(db, storage_of(env.registry), dossier, None, content=STATEMENT,
                                filename="estratto-conto.txt", limit=10_000, direction="entrata", category="altro",
                                title="Estratto conto", visibility="interno")
        office = TaxOffice(tenant_id=tenant.id, kind="entrate", name="Agenzia delle Entrate – DP Milano",
                           pec="dp.milano@pce.agenziaentrate.it", province="MI")
        db.add(office)
        db.flush()
        keys = {"debitore": f"debitore:{debtor.id}", "creditore": f"creditore:{dossier.creditors[0].id}",
                "creditore2": f"creditore:{dossier.creditors[1].id}", "avvocato": f"parte:{dossier.parties[0].id}",
                "gestore": f"gestore:{gestore.id}", "ufficio": f"ufficio:{office.id}"}
        return Case(tenant, dossier.id, dossier.reference, keys, document.id)


def compose_form(case: Case, recipients=("debitore", "creditore", "creditore2", "avvocato", "gestore"),
                 channel="email", **fields) -> list[tuple[str, str]]:
    """What the compose form posts: the text, each chosen recipient with its channel, the action."""
    data = [("oggetto", "Avviso alle parti – pratica {{ pratica.riferimento }}"),
            ("testo", "Gentili destinatari,\nla pratica di {{ debitore.nominativo }} prosegue."),
            ("modello", ""), ("azione", "invia")]
    data = [(name, fields.pop(name, value)) for name, value in data] + list(fields.items())
    for role in recipients:
        data += [("destinatario", case.keys[role]), (f"canale-{case.keys[role]}", channel)]
    return data


@pytest.fixture
def post_compose(testapp):
    """``post_compose(case, form, status)``: post the compose form as the logged-in user."""

    def post(case: Case, form, status=302):
        return testapp.post(f"{case.base}/new", [("csrf_token", csrf_token(testapp)), *form], status=status)

    return post


def counts(dbtx, case) -> tuple[int, int, int]:
    """Communications, protocol registrations and outbox deliveries of the Order."""
    with dbtx(case.tenant) as db:
        return tuple(db.scalar(select(func.count(model.id))) for model in (Communication, Registration, Delivery))


@pytest.fixture
def as_user(testapp):
    def log_in(role: str):
        testapp.reset()  # whoever was logged in before leaves
        login(testapp, f"{role}@milano.it")
        return testapp

    return log_in
