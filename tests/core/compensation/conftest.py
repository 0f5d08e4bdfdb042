"""An Order with staff, gestori and dossiers, and a small factory that inserts issued invoices and ledger
movements directly (the invoicing and ledger services are written in parallel)."""
import itertools
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from occ_core.demo import make_codice_fiscale
from occ_core.dossiers.models import Debtor, Dossier
from occ_core.gestori.models import Appointment, Gestore
from occ_core.invoicing.models import Invoice, InvoiceLine
from occ_core.ledger.models import Movement
from occ_core.testing.factories import make_registrant, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "referente", "consultazione", "gestore")


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 11, tzinfo=timezone.utc)


class Books:
    """Rows of one Order inserted directly: dossiers, gestori, appointments, invoices, movements."""

    def __init__(self, db, tenant):
        self.db, self.tenant = db, tenant
        self.numbers = itertools.count(1)

    def _add(self, row):
        self.db.add(row)
        self.db.flush()
        return row

    def dossier(self, debtor="Bianchi") -> Dossier:
        number = next(self.numbers)
        dossier = Dossier(tenant_id=self.tenant.id, year=2026, number=number, filed_on=date(2026, 1, 15),
                          procedure="liquidazione_controllata", state="INCARICO_CONFERITO", court="Tribunale di Milano")
        dossier.debtors.append(Debtor(tenant_id=self.tenant.id, position=0, last_name=debtor, first_name="Luca",
                                      codice_fiscale=make_codice_fiscale(debtor, "Luca", date(1970, 3, 9), False,
                                                                         "F205")))
        return self._add(dossier)

    def gestore(self, last_name, first_name="Anna") -> Gestore:
        born = date(1960, 1, 1) + timedelta(days=37 * next(self.numbers))
        registrant = make_registrant(self.db, self.tenant, make_codice_fiscale(last_name, first_name, born, True,
                                                                               "F205"),
                                     last_name=last_name, first_name=first_name)
        return self._add(Gestore(tenant_id=self.tenant.id, registrant_id=registrant.id, enrolled_on=date(2020, 1, 1),
                                 specialisations=[]))

    def appoint(self, dossier, gestore, on=date(2026, 1, 20), *, accepted=True, declined=False, replaces=None,
                ended_on=None) -> Appointment:
        appointment = self._add(Appointment(
            tenant_id=self.tenant.id, dossier_id=dossier.id, gestore_id=gestore.id, appointed_at=noon(on),
            accepted_at=noon(on) if accepted else None, declined_at=noon(on) if declined else None,
            ended_at=noon(ended_on) if ended_on else None))
        if replaces is not None:
            replaces.ended_at, replaces.replaced_by_id = noon(on), appointment.id
            self.db.flush()
        return appointment

    def invoice(self, dossier, kind="invoice", lines=(), *, amount_due, status="issued", corrects=None) -> Invoice:
        """``lines``: (category, taxable amount); ``amount_due`` is what the customer pays."""
        number = next(self.numbers)
        invoice = Invoice(tenant_id=self.tenant.id, kind=kind, status=status, dossier_id=dossier.id, year=2026,
                          number=number if status == "issued" else None, issued_on=date(2026, 2, 1),
                          corrects_id=corrects.id if corrects else None, total=amount_due, amount_due=amount_due)
        for position, (category, amount) in enumerate(lines, 1):
            invoice.lines.append(InvoiceLine(tenant_id=self.tenant.id, position=position, category=category,
                                             description=category, unit_price=Decimal(amount),
                                             amount=Decimal(amount)))
        return self._add(invoice)

    def movement(self, dossier, on, amount, *, invoice=None, direction="entrata", category="advance",
                 description="Incasso") -> Movement:
        return self._add(Movement(tenant_id=self.tenant.id, dossier_id=dossier.id, on=on, direction=direction,
                                  category=category, description=description, amount=Decimal(amount),
                                  invoice_id=invoice.id if invoice else None))


@pytest.fixture
def order(dbtx, pm):
    """The Order «milano» with a user per role: ``order.emails[role]``."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano", "Ordine di Milano")
        users = {role: make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}") for role in ROLES}
    return SimpleNamespace(tenant=tenant, emails={r: u.email for r, u in users.items()})


@pytest.fixture
def books(dbtx, order):
    """``with books() as b:`` a committed session of the Order with the factory ``b``."""
    from contextlib import contextmanager

    @contextmanager
    def open_books():
        with dbtx(order.tenant) as db:
            yield Books(db, order.tenant)

    return open_books
