"""An Order with its staff, and helpers that insert dossiers and gestori directly."""
import itertools
import threading
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from stdnum import luhn

from occ_core.clock import today
from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import summary
from occ_core.dossiers.models import Creditor, Debtor, Dossier, OtherParty
from occ_core.gestori.models import Gestore, GestoreLink, GestoreTraining
from occ_core.testing.factories import make_registrant, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "referente", "consultazione")


def cf(last_name: str, first_name: str, born: date = date(1970, 3, 9), female: bool = False) -> str:
    return make_codice_fiscale(last_name, first_name, born, female, "F205")


def piva(seed: int) -> str:
    base = f"{seed % 10_000_000 or 1:07d}015"  # 015: the Milano office code
    return base + luhn.calc_check_digit(base)


@pytest.fixture
def codes():
    """``codes.cf(last, first, born, female)`` and ``codes.piva(seed)``: valid codes for test parties."""
    return SimpleNamespace(cf=cf, piva=piva)


@pytest.fixture
def order(dbtx, pm):
    """The Order «milano» with a user per staff role: ``order.emails[role]``, ``order.ids[role]``."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano", "Ordine di Milano")
        users = {role: make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}") for role in ROLES}
    return SimpleNamespace(tenant=tenant, emails={r: u.email for r, u in users.items()},
                           ids={r: u.id for r, u in users.items()})


@pytest.fixture
def make_dossier():
    numbers = itertools.count(1)

    def make(db, tenant, *, procedure="liquidazione_controllata", court="Tribunale di Milano", passivo=None,
             debtors=None, creditors=(), parties=(), closed=False) -> Dossier:
        """A dossier of ``tenant`` in state INCARICO_CONFERITO; ``debtors``/``creditors``/``parties`` are
        dicts of column values (one consumer debtor by default)."""
        dossier = Dossier(tenant_id=tenant.id, year=2026, number=next(numbers), filed_on=date(2026, 1, 15),
                          procedure=procedure, state="INCARICO_CONFERITO", court=court,
                          passivo_declared=passivo, closed=closed)
        for position, data in enumerate(debtors or [{"last_name": "Bianchi", "first_name": "Luca",
                                                      "codice_fiscale": cf("Bianchi", "Luca")}]):
            dossier.debtors.append(Debtor(tenant_id=tenant.id, position=position, **data))
        for data in creditors:
            dossier.creditors.append(Creditor(tenant_id=tenant.id, **{"amount_claimed": Decimal("1000"), **data}))
        for data in parties:
            dossier.parties.append(OtherParty(tenant_id=tenant.id, **{"role": "avvocato", **data}))
        db.add(dossier)
        db.flush()
        summary.refresh(dossier)
        return dossier

    return make


@pytest.fixture
def make_gestore():
    born = itertools.count(0)

    def make(db, tenant, last_name, first_name, *, enrolled_on=None, trainings=(), links=(), **fields) -> Gestore:
        """A registrant enrolled as gestore (by default 100 days ago: first biennium, so in regola),
        available, in the circondario of Milano. ``trainings``: (date, hours); ``links``: dicts."""
        code = cf(last_name, first_name, date(1960, 1, 1) + timedelta(days=next(born) * 37))
        registrant = make_registrant(db, tenant, code, last_name=last_name, first_name=first_name)
        values = {"circondario": "Milano", "specialisations": [], "available": True, "status": "attivo",
                  "status_reason": "", **fields}
        gestore = Gestore(tenant_id=tenant.id, registrant_id=registrant.id,
                          enrolled_on=enrolled_on or today() - timedelta(days=100), **values)
        for on, hours in trainings:
            gestore.trainings.append(GestoreTraining(tenant_id=tenant.id, on=on, title="Corso", hours=Decimal(hours)))
        for data in links:
            gestore.links.append(GestoreLink(tenant_id=tenant.id, **data))
        db.add(gestore)
        db.flush()
        return gestore

    return make


@pytest.fixture
def concurrently(registry):
    """``concurrently(work, args)``: ``work(arg)`` for every arg, each in its own thread, all started at
    once; returns what each returned or raised, in order.

    Afterwards the engine's pool is emptied: an SQLite connection left idle in it keeps a stale schema,
    and a later test's ALTER TABLE on it would fail with "no such column"."""
    def run(work, args):
        start = threading.Barrier(len(args))
        outcomes = [None] * len(args)

        def target(index, arg):
            start.wait()
            try:
                outcomes[index] = work(arg)
            except Exception as error:  # handed back to the test, which asserts on it
                outcomes[index] = error

        threads = [threading.Thread(target=target, args=(i, arg)) for i, arg in enumerate(args)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return outcomes

    yield run
    registry["db.engine"].dispose()
