"""The prima nota: every operation balances, and an invoice, its payment, a credit note and its refund, and
a gestore's invoice and its payment give the entries an accountant expects."""
from __future__ import annotations

from datetime import date

from hypothesis import given, settings, strategies as st

from occ_core.dossiers.models import Dossier
from occ_core.ledger import primanota, services
from occ_core.web.ui import csv_bytes

from .conftest import D, make_gestore_invoice, make_invoice

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def rows_of(operation) -> list[tuple]:
    return [(primanota.ACCOUNTS[r.account], str(r.debit), str(r.credit), r.vat) for r in operation.rows]


def test_invoice_payment_credit_note_and_gestore(order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        invoice = make_invoice(env.dbsession, dossier, number=1, on=date(2025, 3, 1), lines=(
            ("start_fee", "100.00", "22", ""), ("fee", "1000.00", "22", ""), ("expense", "98.00", "0", "N1")))
        note = make_invoice(env.dbsession, dossier, kind="credit_note", number=2, on=date(2025, 3, 20),
                            corrects=invoice, lines=(("fee", "200.00", "22", ""),))
        services.record_movement(env, dossier=dossier, on=date(2025, 3, 10), direction="entrata", category="balance",
                                 description="Pagamento fattura 1", amount=invoice.amount_due, invoice=invoice)
        services.record_movement(env, dossier=dossier, on=date(2025, 3, 25), direction="uscita", category="refund",
                                 description="Restituzione", amount="244", method="cash", invoice=note)
        gestore_invoice = make_gestore_invoice(env.dbsession, dossier)
        services.record_movement(env, dossier=dossier, on=date(2025, 4, 15), direction="uscita",
                                 category="gestore_fee", description="Compenso gestore", amount="855.04",
                                 gestore_invoice=gestore_invoice)
        services.record_movement(env, on=date(2025, 5, 2), direction="uscita", category="postage",
                                 description="Raccomandate", amount="12.30", method="cash")
        services.record_movement(env, on=date(2026, 1, 2), direction="uscita", category="postage",
                                 description="Fuori periodo", amount="1")
        found = primanota.operations(env.dbsession, order.id, *PERIOD)
        assert all(operation.balanced for operation in found)
        assert [operation.on for operation in found] == sorted(operation.on for operation in found)
        by_description = {operation.description: rows_of(operation) for operation in found}
    assert by_description["Fattura 1/2025 Verdi Anna"] == [
        ("Crediti v/clienti", "1440.00", "0.00", ""),
        ("Diritti di avvio", "0.00", "100.00", "22%"),
        ("Ricavi per prestazioni OCC", "0.00", "1000.00", "22%"),
        ("Rimborsi spese", "0.00", "98.00", "N1"),
        ("IVA a debito", "0.00", "242.00", "")]
    assert by_description[f"Pagamento fattura 1 ({dossier_reference(order, tenant_env, dossier_id)})"] == [
        ("Banca c/c", "1440.00", "0.00", ""), ("Crediti v/clienti", "0.00", "1440.00", "")]
    # The credit note reverses: the customer's credit goes down, revenue and IVA a debito too.
    assert by_description["Nota di credito 2/2025 Verdi Anna"] == [
        ("Crediti v/clienti", "0.00", "244.00", ""),
        ("Ricavi per prestazioni OCC", "200.00", "0.00", "22%"),
        ("IVA a debito", "44.00", "0.00", "")]
    assert by_description[f"Restituzione ({dossier_reference(order, tenant_env, dossier_id)})"] == [
        ("Cassa", "0.00", "244.00", ""), ("Crediti v/clienti", "244.00", "0.00", "")]
    gestore = next(rows for description, rows in by_description.items()
                   if description.startswith("Fattura del gestore"))
    assert gestore == [
        ("Compensi gestori", "800.00", "0.00", "22%"), ("Cassa previdenziale gestori", "32.00", "0.00", "22%"),
        ("IVA a credito", "183.04", "0.00", ""), ("Debiti v/gestori", "0.00", "855.04", ""),
        ("Erario c/ritenute da versare", "0.00", "160.00", "")]
    assert by_description[f"Compenso gestore ({dossier_reference(order, tenant_env, dossier_id)})"] == [
        ("Banca c/c", "0.00", "855.04", ""), ("Debiti v/gestori", "855.04", "0.00", "")]
    assert by_description["Raccomandate"] == [("Cassa", "0.00", "12.30", ""),
                                              ("Spese postali e di notifica", "12.30", "0.00", "")]
    assert "Fuori periodo" not in by_description


def dossier_reference(order, tenant_env, dossier_id) -> str:
    with tenant_env(order) as env:
        return env.dbsession.get(Dossier, dossier_id).reference


def test_ritenuta_and_bollo_keep_the_invoice_balanced(order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        invoice = make_invoice(env.dbsession, dossier, lines=(("fee", "1000.00", "22", ""),),
                               withholding=D("200.00"))
        invoice.stamp_duty, invoice.total = D("2.00"), invoice.total + D("2.00")
        invoice.amount_due = invoice.total - invoice.withholding_amount
        operation = primanota.invoice_operation(invoice)
    assert operation.balanced
    assert rows_of(operation) == [
        ("Crediti v/clienti", "1022.00", "0.00", ""), ("Erario c/ritenute subite", "200.00", "0.00", ""),
        ("Ricavi per prestazioni OCC", "0.00", "1000.00", "22%"), ("IVA a debito", "0.00", "220.00", ""),
        ("Rimborsi spese", "0.00", "2.00", "")]


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.tuples(st.sampled_from(["fee", "start_fee", "expense", "advance_deduction"]), amounts,
                                st.sampled_from([D("22"), D("0")])), min_size=1, max_size=5),
       pension=amounts, withholding=amounts, stamp=st.sampled_from([D("0"), D("2")]),
       credit_note=st.booleans())
def test_any_invoice_balances(lines, pension, withholding, stamp, credit_note):
    from occ_core.invoicing.models import Invoice, InvoiceLine

    invoice = Invoice(kind="credit_note" if credit_note else "invoice", number=1, year=2025,
                      issued_on=date(2025, 1, 1), customer_company="Alfa S.r.l.")
    for category, amount, rate in lines:
        signed = -amount if category == "advance_deduction" else amount
        invoice.lines.append(InvoiceLine(category=category, amount=signed, vat_rate=rate,
                                         vat_nature="" if rate else "N2.2"))
    taxable = sum((line.amount for line in invoice.lines), D("0"))
    invoice.vat_amount = sum(((line.amount * line.vat_rate / 100).quantize(D("0.01")) for line in invoice.lines),
                             D("0"))
    invoice.pension_fund_amount, invoice.withholding_amount, invoice.stamp_duty = pension, withholding, stamp
    invoice.total = taxable + invoice.vat_amount + pension + stamp
    invoice.amount_due = invoice.total - withholding
    operation = primanota.invoice_operation(invoice)
    assert operation.balanced
    assert all(row.debit >= 0 and row.credit >= 0 for row in operation.rows)


def test_the_csv_opens_in_excel(order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        services.record_movement(env, on=date(2025, 5, 2), direction="entrata", category="other_income",
                                 description="Contributo", amount="1234.5")
        content = csv_bytes(primanota.csv_rows(primanota.operations(env.dbsession, order.id, *PERIOD)))
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Data;Conto;Descrizione;Dare;Avere;IVA"
    assert lines[1:] == ["02/05/2025;Banca c/c;Contributo;1234,50;;",
                         "02/05/2025;Proventi diversi;Contributo;;1234,50;"]
