"""The fees the OCC actually collected, per dossier and period: the base of the gestori's compensation.

A collection is a ledger receipt (``entrata``) that settles an issued invoice; its fee portion is the part
of the amount that pays the invoice's fee: amount x (net fee of the invoice / amount due of the invoice),
where the net fee is the sum of the ``fee`` lines less the advances deducted (``advance_deduction`` lines,
negative). A refund (``uscita`` linked to an invoice, typically a credit note) reduces it by the same rule.
Spese generali, the start fee and documented expenses are the OCC's own and never split with the gestore.

A receipt of an advance or a balance that settles no issued invoice cannot be split (nobody knows what part
of it is fee): it is listed as «da abbinare a una fattura» until it is linked to one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select

from occ_core.invoicing.models import Invoice
from occ_core.invoicing.services import label
from occ_core.ledger.models import Movement
from occ_core.money import ZERO, cents

FEE_LINES = ("fee", "advance_deduction")
# Receipts that are (partly) fee and so must be linked to an invoice before they can be split.
FEE_RECEIPTS = ("advance", "balance")


@dataclass(frozen=True)
class Collection:
    movement_id: int
    dossier_id: int
    on: date
    description: str
    # Signed: a refund is negative.
    amount: Decimal
    fee: Decimal
    invoice_label: str


def net_fee(invoice: Invoice) -> Decimal:
    return sum((line.amount for line in invoice.lines if line.category in FEE_LINES), ZERO)


def fee_portion(movement: Movement, invoice: Invoice) -> Decimal:
    """The fee in ``movement``, signed (negative for a refund), rounded half-up to the cent."""
    if not invoice.amount_due:
        return ZERO
    ratio = net_fee(invoice) / invoice.amount_due
    if invoice.kind == "credit_note":
        # A credit note may carry its amounts with either sign: what it gives back is always a refund.
        ratio = abs(ratio)
    portion = cents(movement.amount * ratio)
    return portion if movement.direction == "entrata" else -portion


def _in_period(statement, start: date | None, end: date | None, dossier_ids):
    if start is not None:
        statement = statement.where(Movement.on >= start)
    if end is not None:
        statement = statement.where(Movement.on <= end)
    if dossier_ids is not None:
        statement = statement.where(Movement.dossier_id.in_(list(dossier_ids)))
    return statement.where(Movement.dossier_id.is_not(None)).order_by(Movement.on, Movement.id)


def collections(db, start: date | None = None, end: date | None = None, dossier_ids=None) -> list[Collection]:
    """The collections and refunds on issued invoices of the Order's dossiers between ``start`` and ``end``
    that carry some fee: the payment of an invoice of the start fee alone has nothing to split, and a row
    of € 0,00 would only puzzle the gestore."""
    rows = db.execute(_in_period(
        select(Movement, Invoice).join(Invoice, Invoice.id == Movement.invoice_id)
        .where(Invoice.status == "issued", Movement.direction.in_(("entrata", "uscita"))),
        start, end, dossier_ids)).all()
    found = [Collection(movement.id, movement.dossier_id, movement.on, movement.description,
                        movement.amount if movement.direction == "entrata" else -movement.amount,
                        fee_portion(movement, invoice), label(invoice))
             for movement, invoice in rows]
    return [collection for collection in found if collection.fee]


def unmatched(db, start: date | None = None, end: date | None = None, dossier_ids=None) -> list[Movement]:
    """Receipts of advances and balances that settle no issued invoice: «da abbinare a una fattura»."""
    issued = select(Invoice.id).where(Invoice.status == "issued")
    return list(db.scalars(_in_period(
        select(Movement).where(Movement.direction == "entrata", Movement.category.in_(FEE_RECEIPTS),
                               or_(Movement.invoice_id.is_(None), Movement.invoice_id.not_in(issued))),
        start, end, dossier_ids)))
