"""The fees actually collected and their split between the OCC and the dossier's gestori."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.compensation import collected, services, shares
from occ_core.compensation.money import equal_parts
from occ_core.fees.calculation import split
from occ_core.tenants.models import Tenant

D = Decimal


def advance_and_final(b, dossier):
    """Advance invoice (fee 1.000 + SG 125 + IVA) and final invoice (fee 3.014,10 + SG, less the 1.000 advanced)."""
    advance = b.invoice(dossier, "advance", [("fee", "1000.00"), ("general_expenses", "125.00")],
                        amount_due=D("1372.50"))
    final = b.invoice(dossier, "final", [("fee", "3014.10"), ("general_expenses", "376.76"),
                                         ("advance_deduction", "-1000.00")], amount_due=D("2916.85"))
    return advance, final


def test_collected_fee_follows_the_invoices_fee_share_and_refunds_reduce_it(books):
    with books() as b:
        dossier = b.dossier()
        advance, final = advance_and_final(b, dossier)
        b.movement(dossier, date(2026, 2, 10), "686.25", invoice=advance, description="Acconto, prima rata")
        b.movement(dossier, date(2026, 3, 10), "686.25", invoice=advance, description="Acconto, seconda rata")
        b.movement(dossier, date(2026, 4, 10), "2916.85", invoice=final, category="balance", description="Saldo")
        b.movement(dossier, date(2026, 4, 11), "100.00", invoice=advance, description="Rata con arrotondamento")
        note = b.invoice(dossier, "credit_note", [("fee", "100.00")], amount_due=D("122.00"), corrects=final)
        b.movement(dossier, date(2026, 5, 2), "122.00", invoice=note, direction="uscita", category="refund",
                   description="Rimborso della nota di credito")
        draft = b.invoice(dossier, "advance", [("fee", "500.00")], amount_due=D("610.00"), status="draft")
        b.movement(dossier, date(2026, 5, 3), "610.00", invoice=draft, description="Acconto su bozza")
        b.movement(dossier, date(2026, 5, 4), "50.00", category="balance", description="Bonifico senza fattura")
        b.movement(dossier, date(2026, 1, 16), "244.00", category="start_fee", description="Diritto di avvio")
        start = b.invoice(dossier, "invoice", [("start_fee", "200.00")], amount_due=D("244.00"))
        b.movement(dossier, date(2026, 1, 17), "244.00", invoice=start, category="start_fee",
                   description="Diritto di avvio fatturato")
        items = collected.collections(b.db)
        pending = collected.unmatched(b.db)
    assert [(i.description, i.amount, i.fee) for i in items] == [
        ("Acconto, prima rata", D("686.25"), D("500.00")),
        ("Acconto, seconda rata", D("686.25"), D("500.00")),
        ("Saldo", D("2916.85"), D("2014.10")),  # 3.014,10 less the 1.000 already invoiced as advance
        ("Rata con arrotondamento", D("100.00"), D("72.86")),  # 100 x 1000 / 1372,50 = 72,8597 half-up
        ("Rimborso della nota di credito", D("-122.00"), D("-100.00")),
    ]
    assert sum(i.fee for i in items[:3]) == D("3014.10")
    # Neither the start fee (invoiced or not) nor the spese generali are fee, and a collection without fee is
    # left out; receipts without an issued invoice wait.
    assert [m.description for m in pending] == ["Acconto su bozza", "Bonifico senza fattura"]


def test_period_limits_the_collections(books):
    with books() as b:
        dossier = b.dossier()
        advance, _final = advance_and_final(b, dossier)
        b.movement(dossier, date(2025, 12, 31), "686.25", invoice=advance)
        b.movement(dossier, date(2026, 1, 1), "686.25", invoice=advance)
        assert [i.on for i in collected.collections(b.db, date(2026, 1, 1), date(2026, 12, 31))] == [date(2026, 1, 1)]


def test_split_by_the_orders_rule_matches_fees_md_s8(books):
    assert split(D("3014.10"), D("80")) == (D("2411.28"), D("602.82"))
    with books() as b:
        dossier, gestore = b.dossier(), b.gestore("Alberti")
        b.appoint(dossier, gestore)
        invoice = b.invoice(dossier, lines=[("fee", "3014.10")], amount_due=D("3014.10"))
        b.movement(dossier, date(2026, 3, 1), "3014.10", invoice=invoice)
        [item] = shares.split_collections(b.db, b.tenant)
    assert (item.gestore_percent, item.gestore_amount, item.occ_amount) == (D("80.00"), D("2411.28"), D("602.82"))
    assert [(s.gestore_id, s.amount) for s in item.shares] == [(gestore.id, D("2411.28"))]


def test_orders_rule_and_dossier_override_with_reason_audited(books, dbtx, order):
    with dbtx() as db:
        tenant = db.get(Tenant, order.tenant.id)
        tenant.preferences = {**(tenant.preferences or {}), "fees": {"gestore_percent": "70.00"}}
    with books() as b:
        dossier, other, gestore = b.dossier(), b.dossier("Verdi"), b.gestore("Alberti")
        for d in (dossier, other):
            b.appoint(d, gestore)
            invoice = b.invoice(d, lines=[("fee", "1000.00")], amount_due=D("1000.00"))
            b.movement(d, date(2026, 3, 1), "1000.00", invoice=invoice)
        tenant = b.db.get(Tenant, order.tenant.id)
        env = SimpleNamespace(dbsession=b.db, tenant=tenant, identity=None, client_addr="")
        services.set_override(env, dossier, "55,5", "Il gestore ha svolto solo la fase iniziale")
        by_dossier = {i.collection.dossier_id: i for i in shares.split_collections(b.db, tenant)}
        [entry] = b.db.scalars(select(AuditEntry).where(AuditEntry.action == "compensation.split_overridden"))
    assert (by_dossier[dossier.id].gestore_amount, by_dossier[dossier.id].occ_amount) == (D("555.00"), D("445.00"))
    assert by_dossier[other.id].gestore_amount == D("700.00")
    assert entry.object_id == str(dossier.id)
    assert entry.details["reason"] == "Il gestore ha svolto solo la fase iniziale"


def test_college_shares_equally_and_declined_or_unaccepted_appointments_get_nothing(books):
    assert equal_parts(D("100.01"), 3) == [D("33.34"), D("33.34"), D("33.33")]
    with books() as b:
        dossier = b.dossier()
        alberti, bruni, corsi, dini = (b.gestore(n) for n in ("Alberti", "Bruni", "Corsi", "Dini"))
        b.appoint(dossier, alberti)
        b.appoint(dossier, bruni)
        b.appoint(dossier, corsi, declined=True, accepted=False)
        b.appoint(dossier, dini, accepted=False)
        invoice = b.invoice(dossier, lines=[("fee", "1000.01")], amount_due=D("1000.01"))
        b.movement(dossier, date(2026, 3, 1), "1000.01", invoice=invoice)
        [item] = shares.split_collections(b.db, b.tenant)
    assert item.gestore_amount == D("800.01")
    assert [(s.gestore_id, s.amount, s.college) for s in item.shares] == [(alberti.id, D("400.01"), 2),
                                                                          (bruni.id, D("400.00"), 2)]


def test_a_replaced_gestore_keeps_the_earlier_collections(books):
    with books() as b:
        dossier, alberti, bruni = b.dossier(), b.gestore("Alberti"), b.gestore("Bruni")
        first = b.appoint(dossier, alberti, date(2026, 1, 20))
        invoice = b.invoice(dossier, lines=[("fee", "1000.00")], amount_due=D("1000.00"))
        b.movement(dossier, date(2026, 2, 1), "500.00", invoice=invoice, description="Prima")
        b.appoint(dossier, bruni, date(2026, 3, 1), replaces=first)
        b.movement(dossier, date(2026, 3, 1), "250.00", invoice=invoice, description="Il giorno della sostituzione")
        b.movement(dossier, date(2026, 3, 2), "250.00", invoice=invoice, description="Dopo")
        items = shares.split_collections(b.db, b.tenant)
        alberti_shares = shares.shares_of(b.db, b.tenant, alberti.id)
        bruni_shares = shares.shares_of(b.db, b.tenant, bruni.id)
    assert [[s.gestore_id for s in i.shares] for i in items] == [[alberti.id], [alberti.id], [bruni.id]]
    assert sum(s.amount for s in alberti_shares) == D("600.00")
    assert [s.amount for s in bruni_shares] == [D("200.00")]


def test_a_collection_before_any_appointment_has_no_gestore_share(books):
    with books() as b:
        dossier = b.dossier()
        invoice = b.invoice(dossier, lines=[("fee", "100.00")], amount_due=D("100.00"))
        b.movement(dossier, date(2026, 3, 1), "100.00", invoice=invoice)
        [item] = shares.split_collections(b.db, b.tenant)
    assert item.gestore_amount == D("80.00") and item.shares == []
