"""The Order «milano» of the dossier tests, a dossier, and invoices written straight into their tables (the
invoicing feature issues them; here only what the ledger reads of them matters)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from occ_core.compensation.models import GestoreInvoice
from occ_core.invoicing.models import Invoice, InvoiceLine

from ..dossiers.conftest import appoint, open_dossier, order  # noqa: F401  (order: a fixture)


@pytest.fixture
def dossier_id(order, tenant_env):  # noqa: F811
    with tenant_env(order) as env:
        return open_dossier(env).id


def D(text) -> Decimal:
    return Decimal(text)


def make_invoice(db, dossier, *, kind="invoice", status="issued", number=1, on=date(2025, 3, 1), lines=(),
                 corrects=None, withholding=D("0")) -> Invoice:
    """An invoice with ``lines`` = ((category, amount, vat rate, natura), ...) and totals computed from them."""
    invoice = Invoice(tenant_id=dossier.tenant_id, kind=kind, status=status, dossier_id=dossier.id,
                      year=on.year if status == "issued" else None, number=number if status == "issued" else None,
                      issued_on=on if status == "issued" else None, customer_last_name="Verdi",
                      customer_first_name="Anna", corrects_id=corrects.id if corrects is not None else None)
    vat = D("0")
    for position, (category, amount, rate, nature) in enumerate(lines):
        invoice.lines.append(InvoiceLine(tenant_id=dossier.tenant_id, position=position, category=category,
                                         description=category, unit_price=D(amount), amount=D(amount),
                                         vat_rate=D(rate), vat_nature=nature))
        vat += (D(amount) * D(rate) / 100).quantize(D("0.01"))
    invoice.taxable_amount = sum((D(line[1]) for line in lines), D("0"))
    invoice.vat_amount = vat
    invoice.total = invoice.taxable_amount + vat
    invoice.withholding_amount = withholding
    invoice.amount_due = invoice.total - withholding
    db.add(invoice)
    db.flush()
    return invoice


def make_gestore_invoice(db, dossier, **fields) -> GestoreInvoice:
    """A gestore's parcella: fee 800, cassa 4%, IVA 22%, ritenuta 20% (fees.md S10 build-up)."""
    appointment = appoint(db, dossier)
    values = dict(number="7", issued_on=date(2025, 4, 10), fee=D("800.00"), pension_fund="TC02",
                  pension_fund_rate=D("4"), pension_fund_amount=D("32.00"), vat_rate=D("22"), vat_amount=D("183.04"),
                  withholding_rate=D("20"), withholding_amount=D("160.00"), total=D("1015.04"),
                  net_payable=D("855.04"))
    invoice = GestoreInvoice(tenant_id=dossier.tenant_id, gestore_id=appointment.gestore_id, dossier_id=dossier.id,
                             **(values | fields))
    db.add(invoice)
    db.flush()
    return invoice
