"""Income and expenses of the Order's OCC (prima nota di cassa): recording, correcting, reconciling.

Services take ``env``: a request, or any object with ``dbsession``, ``tenant``, ``identity`` and
``registry`` (a task, a script, another feature posting its own rows). Every check runs before anything
is written, the receipt's content is stored before the row that names it, so a refused movement leaves no
trace. Rows posted by other features (``source`` other than "manuale") belong to them: they are changed
there, never by hand, and posting the same ``source``/``source_ref`` twice gives back the first row."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Mapping

from sqlalchemy import case, func, select

from occ_core.audit.services import record
from occ_core.clock import today
from occ_core.documents import services as documents
from occ_core.documents.storage import storage_of
from occ_core.dossiers.actions import actor_id
from occ_core.dossiers.fields import InvalidData, without_control_characters
from occ_core.errors import UserError
from occ_core.fees.services import latest_estimate
from occ_core.ledger.models import Movement
from occ_core.money import CENT, cents
from occ_core.web.forms import MONEY_LIMIT, parse_date, parse_money

VIEW, MANAGE, EXPORT = "accounting:movement:view", "accounting:movement:manage", "accounting:export"

INCOME, EXPENSE = "entrata", "uscita"
DIRECTIONS = {INCOME: "Entrata", EXPENSE: "Uscita"}
CATEGORIES = {
    INCOME: {
        "start_fee": "Diritti di avvio / contributo iniziale",
        "advance": "Acconto sul compenso",
        "balance": "Saldo del compenso",
        "expense_refund": "Rimborso spese anticipate",
        "other_income": "Altra entrata",
    },
    EXPENSE: {
        "refund": "Restituzione al debitore",
        "court_fee": "Contributo unificato",
        "stamp": "Marche da bollo",
        "postage": "Spese postali e di notifica",
        "auxiliary": "Ausiliari ed esperti",
        "gestore_fee": "Compenso al gestore",
        "other_expense": "Altra uscita",
    },
}
CATEGORY_LABELS = {code: label for options in CATEGORIES.values() for code, label in options.items()}
METHODS = {"transfer": "Bonifico", "pagopa": "pagoPA", "pos": "POS", "cash": "Contanti", "cheque": "Assegno",
           "other": "Altro"}
PENDING, RECONCILED = "pending", "reconciled"
RECONCILIATIONS = {PENDING: "Da riconciliare", RECONCILED: "Riconciliato"}
MANUAL = "manuale"
# What the debtor pays towards the preventivo: the start fee, advances, the balance (an invoice's payment is
# filed so, expenses and IVA included) and the refund of the expenses the OCC advanced for him; and what the
# OCC gives back to him.
PAID_TOWARDS_ESTIMATE = ("start_fee", "advance", "balance", "expense_refund")
GIVEN_BACK = "refund"
# The earliest day a movement of the platform may carry: nothing older than the OCC themselves (2012).
EARLIEST = date(2000, 1, 1)
# A value date may be a little ahead (a transfer ordered today for next week), never far in the future.
LATEST_AHEAD = timedelta(days=366)
DESCRIPTION_MAX, REFERENCE_MAX, NOTES_MAX, SOURCE_MAX, SOURCE_REF_MAX = 200, 140, 4000, 40, 80
# What ``update_movement`` may change: the dossier, the origin and the links to invoices stay as recorded.
EDITABLE = ("on", "direction", "category", "description", "amount", "method", "reference", "notes")
# The longest id a URL or a form may name (the routes' ``\d{1,9}``): ids stay far below it.
ID_DIGITS = 9


# --- checking input -----------------------------------------------------------------------------------------

def _text(value, label: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserError(f"{label}: indicare un testo.")
    value = without_control_characters(value).strip()
    if required and not value:
        raise UserError(f"{label}: campo obbligatorio.")
    if len(value) > limit:
        raise UserError(f"{label}: al massimo {limit} caratteri.")
    return value


def checked_day(value, label: str = "Data") -> date:
    """A movement's date: a ``date`` or text as typed (gg/mm/aaaa or ISO), neither absurdly old nor far
    ahead (a typo such as 2205 for 2025 would otherwise hide the row from every period)."""
    if isinstance(value, str):
        value = parse_date(value, label)
    if value is None:
        raise UserError(f"{label}: campo obbligatorio.")
    if not isinstance(value, date):
        raise UserError(f"{label}: indicare una data (gg/mm/aaaa).")
    if value < EARLIEST or value > today() + LATEST_AHEAD:
        raise UserError(f"{label}: la data {value.strftime('%d/%m/%Y')} non è plausibile.")
    return value


def checked_amount(value, label: str = "Importo") -> Decimal:
    """A positive amount in euro with at most two decimals; text is read the Italian way ("1.234,50").
    Floats are refused: their binary approximations are not money."""
    if isinstance(value, bool) or isinstance(value, float):
        raise UserError(f"{label}: indicare l'importo come testo o come numero decimale esatto.")
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, str):
        value = parse_money(value, label)
    if value is None:
        raise UserError(f"{label}: campo obbligatorio.")
    if not isinstance(value, Decimal) or not value.is_finite():
        raise UserError(f"{label}: importo non valido.")
    if value.as_tuple().exponent < -2 and value != value.quantize(CENT):
        raise UserError(f"{label}: indicare al massimo due decimali.")
    if value <= 0:
        raise UserError(f"{label}: l'importo deve essere maggiore di zero.")
    if value > MONEY_LIMIT:
        raise UserError(f"{label}: importo troppo grande.")
    return value.quantize(CENT)


def _choice(value, options: Mapping[str, str], label: str) -> str:
    value = value if isinstance(value, str) else ""
    if value not in options:
        raise UserError(f"{label}: " + ("scegliere una delle voci proposte." if value else "campo obbligatorio."))
    return value


def _category(category, direction: str) -> str:
    category = category if isinstance(category, str) else ""
    if category in CATEGORIES[direction]:
        return category
    if category in CATEGORY_LABELS:
        other = "un'entrata" if direction == EXPENSE else "un'uscita"
        raise UserError(f"Categoria: «{CATEGORY_LABELS[category]}» è {other}, non {_direction_name(direction)}.",
                        field="category")
    raise UserError("Categoria: scegliere una delle voci proposte.", field="category")


def _direction_name(direction: str) -> str:
    return "un'entrata" if direction == INCOME else "un'uscita"


def row_by_id(dbsession, model, raw_id, tenant_id: int):
    """The Order's row of ``model`` with id ``raw_id`` (a number, or the text of a URL or a form); None for
    anything else: an id that is no number, or longer than any id (``ID_DIGITS``), names no row."""
    if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)):
        return None
    text = str(raw_id)
    if not text.isdecimal() or len(text) > ID_DIGITS:
        return None
    return dbsession.scalar(select(model).where(model.tenant_id == tenant_id, model.id == int(text)))


def _row(env, model, value):
    """A row given as itself or by id; anything else is no row."""
    if isinstance(value, model):
        return value
    return row_by_id(env.dbsession, model, value, env.tenant.id)


def _same_order(env, row, what: str):
    if row is None or row.tenant_id != env.tenant.id:
        raise UserError(f"{what}: non trovata nell'Ordine.")
    return row


def _invoice(env, invoice, dossier, direction: str):
    """An invoice that a movement settles: issued, of this Order and of the same dossier; a collection
    settles an invoice, a refund settles a credit note."""
    if invoice is None:
        return None
    from occ_core.invoicing.models import Invoice

    invoice = _same_order(env, _row(env, Invoice, invoice), "Fattura")
    if invoice.status != "issued":
        raise UserError("Fattura: si può collegare solo una fattura emessa, non una bozza.", field="invoice")
    if invoice.dossier_id != (dossier.id if dossier is not None else None):
        raise UserError("Fattura: appartiene a un'altra pratica.", field="invoice")
    credit_note = invoice.kind == "credit_note"
    if direction == INCOME and credit_note:
        raise UserError("Fattura: una nota di credito si chiude con un'uscita (restituzione), non con un incasso.",
                        field="invoice")
    if direction == EXPENSE and not credit_note:
        raise UserError("Fattura: un'uscita può chiudere solo una nota di credito.", field="invoice")
    return invoice


def _gestore_invoice(env, gestore_invoice, dossier, direction: str):
    if gestore_invoice is None:
        return None
    from occ_core.compensation.models import GestoreInvoice

    gestore_invoice = _same_order(env, _row(env, GestoreInvoice, gestore_invoice), "Fattura del gestore")
    if direction != EXPENSE:
        raise UserError("Fattura del gestore: si salda con un'uscita.", field="gestore_invoice")
    if dossier is not None and gestore_invoice.dossier_id not in (None, dossier.id):
        raise UserError("Fattura del gestore: appartiene a un'altra pratica.", field="gestore_invoice")
    return gestore_invoice


@dataclass(frozen=True)
class Receipt:
    """A checked receipt, not stored yet."""

    content: bytes
    filename: str
    media_type: str


def _receipt(env, receipt) -> Receipt | None:
    """The receipt as the electronic file accepts documents: size limit and type told by the content (the
    media type the browser sent is ignored)."""
    if receipt is None:
        return None
    try:
        content, filename, _media_type = receipt
    except (TypeError, ValueError):
        raise UserError("Ricevuta: file non leggibile.", field="receipt") from None
    if not isinstance(content, (bytes, bytearray)):
        raise UserError("Ricevuta: file non leggibile.", field="receipt")
    try:
        file_type = documents.check_content(bytes(content), documents.max_bytes(env.registry.settings))
    except UserError as error:
        raise UserError(f"Ricevuta: {error.message}", field="receipt") from None
    name = documents.clean_filename(filename if isinstance(filename, str) else "")
    return Receipt(bytes(content), name, file_type.media_type)


def _checked(values: Mapping) -> dict:
    """The clean columns of a movement from ``values`` (the keyword arguments of ``record_movement``); every
    wrong field is named at once (``InvalidData.errors``), so a form can show them all."""
    errors: dict[str, str] = {}

    def clean(name, parse, *args):
        try:
            return parse(values[name], *args)
        except UserError as error:
            errors[name] = error.message

    direction = clean("direction", _choice, DIRECTIONS, "Tipo di movimento")
    clean_values = {
        "on": clean("on", checked_day),
        "direction": direction,
        "category": clean("category", _category, direction) if direction else None,
        "description": clean("description", _text, "Descrizione", DESCRIPTION_MAX, True),
        "amount": clean("amount", checked_amount),
        "method": clean("method", _choice, METHODS, "Modalità di pagamento"),
        "reference": clean("reference", _text, "Riferimento del pagamento", REFERENCE_MAX),
        "notes": clean("notes", _text, "Note", NOTES_MAX),
    }
    if errors:
        raise InvalidData(errors)
    return clean_values


# --- what every operation shares ----------------------------------------------------------------------------

def _audit(env, movement: Movement, action: str, **details) -> None:
    record(env.dbsession, action, tenant_id=movement.tenant_id, user_id=actor_id(env), object_type="Movement",
           object_id=movement.id, details={"dossier_id": movement.dossier_id, **details},
           ip=getattr(env, "client_addr", "") or "")


def describe(movement: Movement) -> dict:
    """What the audit keeps of a movement: enough to tell what was there after it changed or went."""
    return {"on": movement.on.isoformat(), "direction": movement.direction, "category": movement.category,
            "description": movement.description, "amount": format(movement.amount, "f"), "method": movement.method,
            "reference": movement.reference, "notes": movement.notes}


def _manual_only(movement: Movement, what: str) -> None:
    if movement.source != MANUAL:
        raise UserError(f"Questo movimento è registrato automaticamente ({movement.source}): non si può {what} "
                        "a mano; si corregge dall'operazione che lo ha generato.")


def _not_reconciled(movement: Movement, what: str) -> None:
    """What the bank statement (or the cash book) confirms stays as it is until the reconciliation is undone."""
    if movement.reconciliation == RECONCILED:
        raise UserError(f"Il movimento è riconciliato con l'estratto conto: per {what} annulli prima la "
                        "riconciliazione.")


def check_editable(movement: Movement) -> None:
    """A ``UserError`` saying why ``movement`` cannot be corrected by hand: posted by another feature, or
    reconciled (undo the reconciliation first, as to delete it)."""
    _manual_only(movement, "modificare")
    _not_reconciled(movement, "modificarlo")


# --- operations ---------------------------------------------------------------------------------------------

def record_movement(env, *, dossier=None, on, direction, category, description, amount, method="transfer",
                    reference="", invoice=None, gestore_invoice=None, receipt=None, notes="", source=MANUAL,
                    source_ref="") -> Movement:
    """Record one receipt or payment of the Order, of ``dossier`` or general (``dossier=None``).

    ``invoice`` / ``gestore_invoice`` (row or id) is what the movement settles; ``receipt`` is None or
    ``(bytes, filename, media_type)``. ``source``/``source_ref`` name the feature that posts the row:
    posting the same pair again returns the row already there, so a retried posting never counts twice."""
    if dossier is not None and dossier.tenant_id != env.tenant.id:
        raise UserError("Pratica: non trovata nell'Ordine.", field="dossier")
    source = _text(source, "Origine", SOURCE_MAX) or MANUAL
    source_ref = _text(source_ref, "Riferimento dell'origine", SOURCE_REF_MAX)
    if source != MANUAL and source_ref:
        existing = env.dbsession.scalar(select(Movement).where(
            Movement.tenant_id == env.tenant.id, Movement.source == source, Movement.source_ref == source_ref))
        if existing is not None:
            return existing
    values = _checked({"on": on, "direction": direction, "category": category, "description": description,
                        "amount": amount, "method": method, "reference": reference, "notes": notes})
    invoice = _invoice(env, invoice, dossier, values["direction"])
    gestore_invoice = _gestore_invoice(env, gestore_invoice, dossier, values["direction"])
    checked_receipt = _receipt(env, receipt)
    movement = Movement(tenant_id=env.tenant.id, dossier_id=dossier.id if dossier is not None else None,
                        invoice_id=invoice.id if invoice is not None else None,
                        gestore_invoice_id=gestore_invoice.id if gestore_invoice is not None else None,
                        source=source, source_ref=source_ref, reconciliation=PENDING,
                        created_by_id=actor_id(env), **values)
    if checked_receipt is not None:
        _attach(env, movement, checked_receipt)
    env.dbsession.add(movement)
    env.dbsession.flush()
    _audit(env, movement, "ledger.movement.recorded", **describe(movement), source=source, source_ref=source_ref,
           invoice_id=movement.invoice_id, gestore_invoice_id=movement.gestore_invoice_id)
    return movement


def _attach(env, movement: Movement, receipt: Receipt) -> None:
    storage = getattr(env, "document_storage", None) or storage_of(env.registry)
    movement.receipt_sha256 = storage.put(receipt.content)
    movement.receipt_filename = receipt.filename
    movement.receipt_media_type = receipt.media_type


def update_movement(env, movement: Movement, receipt=None, **changes) -> dict:
    """Correct a movement entered by hand; returns ``{field: [old, new]}`` of what changed (audited).

    Only the fields of ``EDITABLE`` change; a new ``receipt`` replaces the old one. A movement that
    settles an invoice keeps a direction that fits it; a reconciled one is not changed (``check_editable``)."""
    check_editable(movement)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UserError(f"«{sorted(unknown)[0][:40]}»: campo che non si può modificare.")
    current = {name: getattr(movement, name) for name in EDITABLE}
    values = _checked(current | changes)
    if movement.invoice_id is not None and values["direction"] != movement.direction:
        raise UserError("Tipo di movimento: il movimento salda una fattura, non si può invertire.", field="direction")
    if movement.gestore_invoice_id is not None and values["direction"] != EXPENSE:
        raise UserError("Tipo di movimento: il movimento salda la fattura di un gestore.", field="direction")
    checked_receipt = _receipt(env, receipt)
    before = describe(movement)
    for name, value in values.items():
        setattr(movement, name, value)
    if checked_receipt is not None:
        _attach(env, movement, checked_receipt)
    after = describe(movement)
    changed = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if checked_receipt is not None:
        changed["receipt"] = ["", checked_receipt.filename]
    if changed:
        env.dbsession.flush()
        _audit(env, movement, "ledger.movement.updated", changes=changed)
    return changed


def delete_movement(env, movement: Movement) -> None:
    """Delete a movement entered by mistake. What the bank statement or an invoice already confirms
    stays: a reconciled movement is first un-reconciled, one that settles an invoice cannot go."""
    _manual_only(movement, "eliminare")
    _not_reconciled(movement, "eliminarlo")
    if movement.invoice_id is not None or movement.gestore_invoice_id is not None:
        raise UserError("Il movimento salda una fattura: non si può eliminare.")
    _audit(env, movement, "ledger.movement.deleted", **describe(movement))
    env.dbsession.delete(movement)
    env.dbsession.flush()


def reconcile(env, movement: Movement, on=None) -> None:
    """Mark a movement as found in the bank statement (or in the cash book) on ``on`` (default today)."""
    if movement.reconciliation == RECONCILED:
        raise UserError("Il movimento è già riconciliato.")
    day = checked_day(on if on not in (None, "") else today(), "Data di riconciliazione")
    if day < movement.on:
        raise UserError("Data di riconciliazione: non può precedere la data del movimento.", field="reconciled_on")
    movement.reconciliation, movement.reconciled_on = RECONCILED, day
    _audit(env, movement, "ledger.movement.reconciled", reconciled_on=day.isoformat())


def unreconcile(env, movement: Movement) -> None:
    if movement.reconciliation != RECONCILED:
        raise UserError("Il movimento non è riconciliato.")
    previous = movement.reconciled_on
    movement.reconciliation, movement.reconciled_on = PENDING, None
    _audit(env, movement, "ledger.movement.unreconciled",
           reconciled_on=previous.isoformat() if previous else "")


# --- figures ------------------------------------------------------------------------------------------------

def _signed_sum(condition=None):
    """Income minus expenses (optionally only of the rows matching ``condition``), in SQL."""
    signed = case((Movement.direction == INCOME, Movement.amount), else_=-Movement.amount)
    if condition is not None:
        signed = case((condition, signed), else_=0)
    return func.coalesce(func.sum(signed), 0)


def totals(dbsession, *criteria) -> dict:
    """Income, expenses and balance of the movements matching ``criteria``."""
    income = func.coalesce(func.sum(case((Movement.direction == INCOME, Movement.amount), else_=0)), 0)
    expenses = func.coalesce(func.sum(case((Movement.direction == EXPENSE, Movement.amount), else_=0)), 0)
    row = dbsession.execute(select(income, expenses).where(*criteria)).one()
    income, expenses = cents(row[0]), cents(row[1])
    return {"income": income, "expenses": expenses, "balance": income - expenses}


def dossier_balance(dbsession, dossier) -> dict:
    """What the OCC received and paid for ``dossier``: ``income``, ``expenses``, ``balance``."""
    return totals(dbsession, Movement.dossier_id == dossier.id)


def paid_towards_estimate(dbsession, dossier) -> Decimal:
    """What the debtor paid towards the preventivo, net: start fee, advances, balance and refunds of the
    expenses advanced for him (``PAID_TOWARDS_ESTIMATE``), less the refunds the OCC gave back to him."""
    value = dbsession.scalar(select(_signed_sum()).where(
        Movement.dossier_id == dossier.id, Movement.category.in_((*PAID_TOWARDS_ESTIMATE, GIVEN_BACK))))
    return cents(value or 0)


def collected_against_estimate(dbsession, dossier) -> Decimal | None:
    """What the debtor still owes under the preventivo: the latest estimate's proposed total (compenso,
    spese generali, the preventivo's documented expenses and IVA) less what he paid towards it
    (``paid_towards_estimate``: start fee, advances, balance and refunds of expenses, less what was given
    back). Both sides count the same things: an invoice's payment, filed as balance, carries IVA and
    expenses as the total does. Negative when he paid more. None when no estimate was made, because
    without a preventivo nothing is owed yet (DM 202/2014 art. 10 co. 3)."""
    estimate = latest_estimate(dbsession, dossier)
    if estimate is None:
        return None
    return cents(estimate.proposed_total - paid_towards_estimate(dbsession, dossier))


def paid_by_invoice(dbsession, invoice_ids) -> dict[int, Decimal]:
    """How much was collected against each invoice (income rows linked to it)."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    rows = dbsession.execute(select(Movement.invoice_id, func.sum(Movement.amount)).where(
        Movement.invoice_id.in_(ids), Movement.direction == INCOME).group_by(Movement.invoice_id)).all()
    return {invoice_id: cents(total) for invoice_id, total in rows}
