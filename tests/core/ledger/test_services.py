"""Recording, correcting, reconciling and deleting movements, and the dossier's figures (service level)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.clock import today
from occ_core.documents import samples
from occ_core.documents.storage import storage_of
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.fees import inputs, services as fee_services
from occ_core.fees.models import FeeEstimate
from occ_core.ledger import services
from occ_core.ledger.models import Movement
from occ_core.testing.factories import make_tenant

from ..dossiers.conftest import open_dossier
from .conftest import D, make_gestore_invoice, make_invoice

VALID = dict(on=date(2025, 4, 1), direction="entrata", category="advance", description="Acconto",
             amount="1.250,50", method="transfer", reference="TRN123")


def record(env, dossier_id, **changes):
    dossier = env.dbsession.get(Dossier, dossier_id) if dossier_id is not None else None
    return services.record_movement(env, dossier=dossier, **(VALID | changes))


def count(dbtx, order, model, *criteria):
    with dbtx(order) as db:
        return db.scalar(select(func.count()).select_from(model).where(*criteria))


def test_a_movement_is_recorded_with_its_receipt_and_audited(order, tenant_env, dbtx, registry, dossier_id):
    with tenant_env(order) as env:
        movement = record(env, dossier_id, receipt=(samples.pdf(), "../../quietanza.pdf", "text/html"))
        movement_id = movement.id
    with dbtx(order) as db:
        movement = db.get(Movement, movement_id)
        assert (movement.amount, movement.direction, movement.category, movement.source) == (
            D("1250.50"), "entrata", "advance", "manuale")
        assert (movement.reconciliation, movement.receipt_filename, movement.receipt_media_type) == (
            "pending", "quietanza.pdf", "application/pdf")
        assert storage_of(registry).open(movement.receipt_sha256).read() == samples.pdf()
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "ledger.movement.recorded"))
        assert entry.object_id == str(movement_id) and entry.details["amount"] == "1250.50"


def test_general_movements_have_no_dossier(order, tenant_env, dbtx):
    with tenant_env(order) as env:
        movement = record(env, None, direction="uscita", category="other_expense", description="Canone software",
                          amount=Decimal("120"))
        assert movement.dossier_id is None and movement.amount == D("120.00")


@pytest.mark.parametrize("changes, message", [
    ({"amount": "0"}, "maggiore di zero"),
    ({"amount": "-5"}, "maggiore di zero"),
    ({"amount": "12,345"}, "al massimo due decimali"),
    ({"amount": Decimal("1.234")}, "al massimo due decimali"),
    ({"amount": 1.5}, "numero decimale esatto"),
    ({"amount": "dieci euro"}, "importo non valido"),
    ({"amount": ""}, "campo obbligatorio"),
    ({"amount": Decimal("NaN")}, "importo non valido"),
    ({"amount": "1000000000000"}, "troppo grande"),
    ({"on": date(1850, 1, 1)}, "non è plausibile"),
    ({"on": today() + timedelta(days=800)}, "non è plausibile"),
    ({"on": "31/02/2025"}, "non è valida"),
    ({"on": None}, "campo obbligatorio"),
    ({"direction": "laterale"}, "Tipo di movimento"),
    ({"category": "court_fee"}, "«Contributo unificato» è un'uscita"),
    ({"direction": "uscita", "category": "advance"}, "è un'entrata"),
    ({"category": "tips"}, "Categoria: scegliere"),
    ({"method": "bitcoin"}, "Modalità di pagamento"),
    ({"description": "   "}, "Descrizione: campo obbligatorio"),
    ({"description": "x" * 201}, "al massimo 200"),
    ({"reference": ["a"]}, "indicare un testo"),
    ({"receipt": (samples.executable(), "virus.exe", "application/pdf")}, "Ricevuta: Il tipo del file"),
    ({"receipt": (b"", "vuoto.pdf", "application/pdf")}, "Ricevuta: Il file è vuoto"),
    ({"receipt": "not a tuple"}, "Ricevuta: file non leggibile"),
])
def test_bad_input_is_refused_and_nothing_is_written(order, tenant_env, dbtx, dossier_id, changes, message):
    with tenant_env(order) as env:
        with pytest.raises(UserError) as refused:
            record(env, dossier_id, **changes)
    text = " ".join(getattr(refused.value, "errors", {}).values()) or refused.value.message
    assert message in text
    assert count(dbtx, order, Movement) == 0
    assert count(dbtx, order, AuditEntry, AuditEntry.action.like("ledger.%")) == 0


def test_every_wrong_field_is_named_at_once(order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        with pytest.raises(UserError) as refused:
            record(env, dossier_id, amount="0", description="", method="?")
    assert set(refused.value.errors) == {"amount", "description", "method"}


def test_invoices_must_be_issued_of_the_same_dossier_and_fit_the_direction(order, tenant_env, dbtx, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        other = open_dossier(env)
        issued = make_invoice(env.dbsession, dossier, lines=(("fee", "100.00", "22", ""),))
        draft = make_invoice(env.dbsession, dossier, status="draft", lines=(("fee", "100.00", "22", ""),))
        foreign = make_invoice(env.dbsession, other, number=2, lines=(("fee", "100.00", "22", ""),))
        note = make_invoice(env.dbsession, dossier, kind="credit_note", number=3, corrects=issued,
                            lines=(("fee", "50.00", "22", ""),))
        gestore_invoice = make_gestore_invoice(env.dbsession, dossier)
        ids = issued.id, draft.id, foreign.id, note.id, gestore_invoice.id
    issued, draft, foreign, note, gestore_invoice = ids
    for changes, message in (({"invoice": draft}, "non una bozza"), ({"invoice": foreign}, "un'altra pratica"),
                             ({"invoice": note}, "nota di credito si chiude"),
                             ({"invoice": 999999}, "non trovata"),
                             ({"direction": "uscita", "category": "refund", "invoice": issued}, "solo una nota"),
                             ({"gestore_invoice": gestore_invoice}, "si salda con un'uscita")):
        with tenant_env(order) as env:
            with pytest.raises(UserError, match=message):
                record(env, dossier_id, **changes)
    with tenant_env(order) as env:
        paid = record(env, dossier_id, invoice=issued, amount="122")
        refund = record(env, dossier_id, direction="uscita", category="refund", invoice=note, amount="61")
        fee = record(env, dossier_id, direction="uscita", category="gestore_fee", gestore_invoice=gestore_invoice,
                     amount="855,04")
        assert (paid.invoice_id, refund.invoice_id, fee.gestore_invoice_id) == (issued, note, gestore_invoice)
        assert services.paid_by_invoice(env.dbsession, [issued, note]) == {issued: D("122.00")}
    assert count(dbtx, order, Movement) == 3


def test_another_orders_dossier_is_refused(order, tenant_env, dbtx, pm, dossier_id):
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
    with tenant_env(roma) as env:
        with pytest.raises(UserError, match="Pratica: non trovata"):
            services.record_movement(env, dossier=Dossier(id=dossier_id, tenant_id=order.id), **VALID)
    assert count(dbtx, roma, Movement) == 0


def test_a_posting_is_recorded_once(order, tenant_env, dbtx, dossier_id):
    for _ in range(2):
        with tenant_env(order) as env:
            record(env, dossier_id, source="fatturazione", source_ref="invoice:1:payment")
    assert count(dbtx, order, Movement) == 1


def test_update_changes_manual_rows_and_audits_old_and_new(order, tenant_env, dbtx, dossier_id):
    with tenant_env(order) as env:
        movement = record(env, dossier_id)
        posted = record(env, dossier_id, source="fatturazione", source_ref="x")
        ids = movement.id, posted.id
    with tenant_env(order) as env:
        movement, posted = (env.dbsession.get(Movement, i) for i in ids)
        assert services.update_movement(env, movement, amount="1300", method="cash", description="Acconto") == {
            "amount": ["1250.50", "1300.00"], "method": ["transfer", "cash"]}
        assert services.update_movement(env, movement, amount="1300") == {}
        with pytest.raises(UserError, match="automaticamente"):
            services.update_movement(env, posted, amount="1")
        with pytest.raises(UserError, match="non si può modificare"):
            services.update_movement(env, movement, dossier_id=1)
        with pytest.raises(UserError):
            services.update_movement(env, movement, category="court_fee")
    with dbtx(order) as db:
        assert db.get(Movement, ids[0]).amount == D("1300.00")
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "ledger.movement.updated")).all()
        assert [e.details["changes"] for e in entries] == [{"amount": ["1250.50", "1300.00"],
                                                            "method": ["transfer", "cash"]}]


def test_delete_keeps_what_the_bank_or_an_invoice_confirms(order, tenant_env, dbtx, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        invoice = make_invoice(env.dbsession, dossier, lines=(("fee", "100.00", "22", ""),))
        plain, reconciled, linked = record(env, dossier_id), record(env, dossier_id), record(env, dossier_id,
                                                                                             invoice=invoice)
        posted = record(env, dossier_id, source="fatturazione", source_ref="y")
        services.reconcile(env, reconciled, date(2025, 4, 3))
        ids = plain.id, reconciled.id, linked.id, posted.id
    with tenant_env(order) as env:
        plain, reconciled, linked, posted = (env.dbsession.get(Movement, i) for i in ids)
        for row, message in ((reconciled, "annulli prima"), (linked, "salda una fattura"),
                             (posted, "automaticamente")):
            with pytest.raises(UserError, match=message):
                services.delete_movement(env, row)
        services.delete_movement(env, plain)
    assert count(dbtx, order, Movement) == 3
    with dbtx(order) as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "ledger.movement.deleted"))
        assert entry.object_id == str(ids[0]) and entry.details["amount"] == "1250.50"


def test_reconciliation(order, tenant_env, dbtx, dossier_id):
    with tenant_env(order) as env:
        movement = record(env, dossier_id)
        with pytest.raises(UserError, match="non può precedere"):
            services.reconcile(env, movement, date(2025, 3, 31))
        with pytest.raises(UserError, match="non è riconciliato"):
            services.unreconcile(env, movement)
        services.reconcile(env, movement, "05/04/2025")
        assert (movement.reconciliation, movement.reconciled_on) == ("reconciled", date(2025, 4, 5))
        with pytest.raises(UserError, match="già riconciliato"):
            services.reconcile(env, movement)
        services.unreconcile(env, movement)
        assert (movement.reconciliation, movement.reconciled_on) == ("pending", None)
    with dbtx(order) as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("ledger.movement.%re%"))
                             .order_by(AuditEntry.id)).all()
    assert actions == ["ledger.movement.recorded", "ledger.movement.reconciled", "ledger.movement.unreconciled"]


def test_balance_and_what_the_debtor_still_owes(order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        assert services.collected_against_estimate(env.dbsession, dossier) is None
        assert services.dossier_balance(env.dbsession, dossier) == {
            "income": D("0"), "expenses": D("0"), "balance": D("0")}
        for version, total in ((1, "3000.00"), (2, "2500.00")):
            env.dbsession.add(FeeEstimate(tenant_id=order.id, dossier_id=dossier.id, version=version,
                                          rules_version="test", proposed_fee=D(total), proposed_total=D(total)))
        for direction, category, amount in (("entrata", "start_fee", "200"), ("entrata", "advance", "1000"),
                                            ("entrata", "expense_refund", "50"), ("uscita", "court_fee", "98"),
                                            ("uscita", "refund", "100"), ("entrata", "balance", "300")):
            record(env, dossier_id, direction=direction, category=category, amount=amount)
        record(env, None, amount="999")  # a general movement counts for no dossier
        assert services.dossier_balance(env.dbsession, dossier) == {
            "income": D("1550.00"), "expenses": D("198.00"), "balance": D("1352.00")}
        # Start fee, advance, balance and the refund of expenses, less what was given back; the court fee is the
        # OCC's own payment.
        assert services.paid_towards_estimate(env.dbsession, dossier) == D("1450.00")
        # The latest version of the preventivo counts.
        assert services.collected_against_estimate(env.dbsession, dossier) == D("1050.00")


def test_what_is_owed_counts_the_preventivos_expenses_and_iva_on_both_sides(order, tenant_env, dossier_id):
    """The preventivo's total has its expenses and IVA; so have the payments towards it: an invoice paid in
    full (filed as balance) and the refund of the court fee the OCC advanced settle it exactly."""
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        asked = inputs.read({"attivo": "30000", "passivo": "100000", "reading": "single", "reduction_percent": "25",
                             "expenses": [{"description": "Contributo unificato", "amount": "98"}]}, env.tenant)
        estimate = fee_services.save_estimate(env, dossier, asked)
        assert estimate.proposed_total == D("3390.86") + D("98.00") + D("745.99")
        invoice = make_invoice(env.dbsession, dossier, lines=(("fee", "3014.10", "22", ""),
                                                               ("general_expenses", "376.76", "22", "")))
        record(env, dossier_id, direction="uscita", category="court_fee", amount="98")
        record(env, dossier_id, category="expense_refund", amount="98", description="Rimborso contributo")
        assert services.collected_against_estimate(env.dbsession, dossier) == D("4136.85")
        record(env, dossier_id, category="balance", amount=invoice.amount_due, invoice=invoice, description="Saldo")
        assert services.paid_towards_estimate(env.dbsession, dossier) == D("4234.85")
        assert services.collected_against_estimate(env.dbsession, dossier) == D("0.00")
        record(env, dossier_id, direction="uscita", category="refund", amount="100", description="Restituzione")
        assert services.collected_against_estimate(env.dbsession, dossier) == D("100.00")


def test_a_reconciled_movement_is_corrected_only_after_unreconciling(order, tenant_env, dbtx, dossier_id):
    with tenant_env(order) as env:
        movement = record(env, dossier_id)
        services.reconcile(env, movement, date(2025, 4, 3))
        with pytest.raises(UserError, match="riconciliato con l'estratto conto: per modificarlo annulli prima"):
            services.update_movement(env, movement, amount="1")
        assert movement.amount == D("1250.50")
        services.unreconcile(env, movement)
        assert services.update_movement(env, movement, amount="1") == {"amount": ["1250.50", "1.00"]}
    with dbtx(order) as db:
        assert [e.details["changes"] for e in db.scalars(select(AuditEntry).where(
            AuditEntry.action == "ledger.movement.updated"))] == [{"amount": ["1250.50", "1.00"]}]


def test_rows_are_found_by_id_only_in_their_order(order, tenant_env, dbtx, pm, dossier_id):
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
    with tenant_env(order) as env:
        movement_id = record(env, dossier_id).id
        for raw in (movement_id, str(movement_id)):
            assert services.row_by_id(env.dbsession, Movement, raw, order.id).id == movement_id
        for raw in ("9" * 30, 10 ** 30, "-1", "1.0", "", None, True, ["1"]):
            assert services.row_by_id(env.dbsession, Movement, raw, order.id) is None
    with dbtx(roma) as db:
        assert services.row_by_id(db, Movement, movement_id, roma.id) is None
