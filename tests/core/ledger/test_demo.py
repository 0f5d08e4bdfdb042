"""The whole demo Order, as `make run` loads it, and its accounting: every kind of invoice issued through the
real services, numbered without gaps in date order, each file valid against the official schema, the
collections split with the gestori who then invoice the OCC, and a prima nota that balances."""
from collections import defaultdict
from datetime import date

from sqlalchemy import select

from occ_core.clock import today
from occ_core.compensation.models import GestoreInvoice
from occ_core.demo import load_demo
from occ_core.invoicing import fatturapa
from occ_core.invoicing.models import Invoice
from occ_core.ledger import primanota
from occ_core.ledger.models import Movement
from occ_core.tenants.models import Tenant
from occ_core.testing.shared_data import SHARED_DATA


def test_the_demo_order_has_a_consistent_accounting(dbtx, registry):
    with dbtx() as db:
        load_demo(db, registry)
    with dbtx() as db:
        tenant = db.scalar(select(Tenant).where(Tenant.slug == "demo"))
    tenant_id = tenant.id
    with dbtx(tenant) as db:
        invoices = db.scalars(select(Invoice).where(Invoice.tenant_id == tenant_id)
                              .order_by(Invoice.year, Invoice.number)).all()
        assert {i.kind for i in invoices} == {"invoice", "advance", "final", "credit_note"}
        assert all(i.status == "issued" for i in invoices)
        by_year = defaultdict(list)
        for invoice in invoices:
            by_year[invoice.year].append(invoice)
        for year, issued in by_year.items():
            assert [i.number for i in issued] == list(range(1, len(issued) + 1)), year
            assert [i.issued_on for i in issued] == sorted(i.issued_on for i in issued), year
        for invoice in invoices:
            assert fatturapa.schema_errors(invoice.xml, SHARED_DATA / "fatturapa") == [], invoice.xml_filename
        assert len({i.xml_filename for i in invoices}) == len(invoices)

        movements = db.scalars(select(Movement).where(Movement.tenant_id == tenant_id)).all()
        collected = [m for m in movements if m.invoice_id and m.direction == "entrata"]
        assert collected and all(m.amount > 0 for m in collected)
        assert any(m.dossier_id is None for m in movements)
        assert {"court_fee", "stamp", "expense_refund", "postage"} <= {m.category for m in movements}
        gestori_invoices = db.scalars(select(GestoreInvoice).where(GestoreInvoice.tenant_id == tenant_id)).all()
        assert gestori_invoices
        paid = {m.gestore_invoice_id for m in movements if m.gestore_invoice_id}
        assert paid and paid <= {g.id for g in gestori_invoices}
        for gestore_invoice in gestori_invoices:
            assert gestore_invoice.net_payable == gestore_invoice.total - gestore_invoice.withholding_amount

        operations = primanota.operations(db, tenant_id, date(2000, 1, 1), today())
        assert len(operations) > len(invoices) and all(operation.balanced for operation in operations)
