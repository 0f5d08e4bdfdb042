"""A gestore's invoices: a number is used once a year, an invoice is paid once even by two people at the same
moment, and the pages answer 404 to ids no row can have."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from occ_core.compensation import services
from occ_core.compensation.models import GestoreInvoice
from occ_core.errors import UserError
from occ_core.ledger.models import Movement
from occ_core.testing.factories import csrf_token, login

PAYERS = 6


def invoice_form(number: str, issued_on: date) -> services.InvoiceForm:
    return services.InvoiceForm(number, issued_on, Decimal("800.00"), None, None, None, "")


def record(b, gestore, number: str, issued_on: date) -> GestoreInvoice:
    env = SimpleNamespace(dbsession=b.db, tenant=b.tenant, identity=None)
    return services.record_invoice(env, gestore, invoice_form(number, issued_on))


def test_a_number_is_used_once_a_year_whatever_the_date(books):
    with books() as b:
        alberti, bruni = b.gestore("Alberti"), b.gestore("Bruni")
        record(b, alberti, "12", date(2024, 3, 31))
        with pytest.raises(UserError) as refused:
            record(b, alberti, "12", date(2024, 11, 3))  # the same invoice, its date mistyped
        assert refused.value.message == (
            "La fattura n. 12 del 31/03/2024 di questo gestore è già registrata: lo stesso numero non può ripetersi "
            "nello stesso anno. Controlli numero e data della fattura.")
        assert refused.value.field == "number"
        record(b, alberti, "12", date(2025, 1, 15))  # numbering starts again each year
        record(b, alberti, "13", date(2024, 11, 3))
        record(b, bruni, "12", date(2024, 11, 3))  # another gestore's numbers are his own
        assert b.db.scalar(select(func.count(GestoreInvoice.id))) == 4


def test_two_payments_at_the_same_moment_pay_the_invoice_once(books, order, tenant_env, registry):
    with books() as b:
        invoice = record(b, b.gestore("Alberti"), "7", date(2025, 6, 30))
        invoice_id, net_payable = invoice.id, invoice.net_payable
    start = threading.Barrier(PAYERS)

    def pay(_):
        start.wait(timeout=30)
        try:
            with tenant_env(order.tenant) as env:
                services.pay_invoice(env, env.dbsession.get(GestoreInvoice, invoice_id), "2025-07-10", "transfer", "")
        except UserError as error:
            return error.message
        return "pagata"

    try:
        with ThreadPoolExecutor(max_workers=PAYERS) as pool:
            outcomes = list(pool.map(pay, range(PAYERS), timeout=120))
    finally:
        # An SQLite connection left in the pool by a thread would keep a stale schema for later tests.
        registry["db.engine"].dispose()
    assert sorted(outcomes) == ["La fattura risulta già pagata."] * (PAYERS - 1) + ["pagata"]
    with books() as b:
        assert b.db.scalars(select(Movement.amount).where(Movement.gestore_invoice_id == invoice_id)).all() == [
            net_payable]


def test_ids_too_long_for_any_row_are_not_found(testapp, order, books):
    with books() as b:
        gestore = b.gestore("Alberti")
        invoice_id, gestore_id = record(b, gestore, "7", date(2025, 6, 30)).id, gestore.id
    login(testapp, order.emails["amministratore"])
    huge = "9" * 30
    base = "/milano/accounting/compensation"
    for path in (f"/milano/dossiers/{huge}/compensation", f"{base}/gestori/{huge}", f"{base}/gestori/{huge}/profile",
                 f"{base}/gestori/{huge}/invoices/new", f"{base}/invoices/{huge}/file"):
        testapp.get(path, status=404)
    token = csrf_token(testapp)
    for path in (f"/milano/dossiers/{huge}/compensation", f"{base}/gestori/{gestore_id}/invoices/{huge}/pay",
                 f"{base}/gestori/{huge}/invoices/{invoice_id}/pay"):
        testapp.post(path, {"csrf_token": token}, status=404)
