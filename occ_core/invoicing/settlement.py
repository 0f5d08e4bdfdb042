"""Where issued invoices stand: what was collected against them, what their credit notes took off, what is
still to collect or to refund. The invoice list, the invoice's page and the ledger's landing read it from here,
for a whole page of invoices at once (two aggregated queries, however many invoices).

A credit note settles its invoice by itself: an invoice fully credited is «stornata» whatever was paid, and
what was paid beyond what is left of it is a refund that its credit notes owe, in the order they were issued."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, or_, select

from occ_core.invoicing.models import Invoice
from occ_core.ledger.models import Movement
from occ_core.money import ZERO

CREDIT_NOTE, ISSUED = "credit_note", "issued"
PAYMENT_STATUSES = {"unpaid": "Da incassare", "partial": "Incassata in parte", "paid": "Incassata",
                    "credited": "Stornata", "refund_due": "Da rimborsare", "refunded": "Rimborsata"}
# The statuses that still wait for a payment or a refund: only these take one more.
OPEN = ("unpaid", "partial", "refund_due")


@dataclass(frozen=True)
class Position:
    """``collected``: the entrate less the uscite recorded against the document (for a credit note, the
    refunds, as a positive amount); ``credited``: the amount due of the invoice's issued credit notes;
    ``status``: a key of ``PAYMENT_STATUSES``, empty for a credit note that owes no refund."""

    due: Decimal
    credited: Decimal
    collected: Decimal
    to_collect: Decimal
    to_refund: Decimal
    status: str


def _net_paid(db, ids) -> dict[int, Decimal]:
    signed = case((Movement.direction == "entrata", Movement.amount), else_=-Movement.amount)
    rows = db.execute(select(Movement.invoice_id, func.sum(signed)).where(Movement.invoice_id.in_(ids))
                      .group_by(Movement.invoice_id))
    return {invoice_id: Decimal(amount).quantize(ZERO) for invoice_id, amount in rows}


def credited_totals(db, invoice_ids) -> dict[int, Decimal]:
    """ImportoTotaleDocumento of the issued credit notes of each invoice (only those that have some)."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    rows = db.execute(select(Invoice.corrects_id, func.sum(Invoice.total)).where(
        Invoice.kind == CREDIT_NOTE, Invoice.status == ISSUED, Invoice.corrects_id.in_(ids))
        .group_by(Invoice.corrects_id))
    return {invoice_id: Decimal(total).quantize(ZERO) for invoice_id, total in rows}


def _invoice_position(due: Decimal, credited: Decimal, collected: Decimal) -> Position:
    left = due - credited - collected
    if credited > 0 and credited >= due:
        status = "credited"
    elif left <= 0:
        status = "paid"
    else:
        status = "partial" if collected > 0 else "unpaid"
    return Position(due, credited, collected, max(left, ZERO), ZERO, status)


def _note_positions(notes, overpaid: Decimal, paid: dict[int, Decimal]) -> dict[int, Position]:
    positions = {}
    for note_id, due in notes:
        owed = min(due, overpaid)
        overpaid -= owed
        refunded = -paid.get(note_id, ZERO)
        if owed <= 0 and refunded <= 0:
            status = ""
        else:
            status = "refunded" if refunded >= owed else "refund_due"
        positions[note_id] = Position(due, ZERO, refunded, ZERO, max(owed - refunded, ZERO), status)
    return positions


def positions(db, invoices) -> dict[int, Position]:
    """The position of each issued invoice or credit note among ``invoices`` (drafts have none)."""
    issued = [invoice for invoice in invoices if invoice.status == ISSUED]
    corrected = {invoice.corrects_id if invoice.kind == CREDIT_NOTE else invoice.id for invoice in issued}
    if not corrected:
        return {}
    rows = db.execute(select(Invoice.id, Invoice.kind, Invoice.corrects_id, Invoice.amount_due).where(or_(
        Invoice.id.in_(corrected),
        (Invoice.kind == CREDIT_NOTE) & (Invoice.status == ISSUED) & Invoice.corrects_id.in_(corrected)))
        .order_by(Invoice.id)).all()
    paid = _net_paid(db, [row.id for row in rows])
    dues = {row.id: row.amount_due for row in rows if row.kind != CREDIT_NOTE}
    notes: dict[int, list[tuple[int, Decimal]]] = {}
    for row in rows:
        if row.kind == CREDIT_NOTE:
            notes.setdefault(row.corrects_id, []).append((row.id, row.amount_due))
    found = {}
    for invoice_id, due in dues.items():
        credited = sum((note_due for _, note_due in notes.get(invoice_id, ())), ZERO)
        collected = paid.get(invoice_id, ZERO)
        found[invoice_id] = _invoice_position(due, credited, collected)
        found.update(_note_positions(notes.get(invoice_id, ()), max(collected + credited - due, ZERO), paid))
    return {invoice.id: found[invoice.id] for invoice in issued if invoice.id in found}


def position(db, invoice: Invoice) -> Position | None:
    return positions(db, [invoice]).get(invoice.id)


def still_to_collect(db, invoices) -> dict[int, Decimal]:
    """What the customer still owes on each issued invoice of ``invoices`` (credit notes aside): its amount due
    less its issued credit notes and what was collected; zero when settled or overpaid."""
    invoices = [invoice for invoice in invoices if invoice.kind != CREDIT_NOTE]
    return {invoice_id: found.to_collect for invoice_id, found in positions(db, invoices).items()}
