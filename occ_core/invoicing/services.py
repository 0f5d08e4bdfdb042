"""Invoices to the parties: drafts made from the dossier, edited line by line, issued once and then frozen.

Services take ``env``: a request, or any object with ``dbsession``, ``tenant``, ``identity`` and ``registry``.
Every check runs before anything is written; a refused operation raises ``UserError`` in Italian. An issued
invoice is never changed again, XML included: a mistake is corrected by a credit note."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from hashlib import sha256
from typing import Callable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from occ_core.audit.services import record
from occ_core.clock import ROME
from occ_core.db import utcnow
from occ_core.dossiers.actions import actor_id, record_action
from occ_core.dossiers.fields import without_control_characters
from occ_core.dossiers.models import Debtor, Dossier
from occ_core.errors import UserError
from occ_core.fees.services import latest_estimate
from occ_core.invoicing import fatturapa, numbering, sdi_rules, totals
from occ_core.invoicing.codes import CATEGORIES, CUSTOMER_KINDS, KINDS
from occ_core.invoicing.models import Invoice, InvoiceLine
from occ_core.invoicing.preferences import checked_iban, preferences_of
from occ_core.invoicing.settlement import credited_totals
from occ_core.ledger.models import Movement
from occ_core.ledger.services import row_by_id
from occ_core.money import CENT, ZERO, cents
from occ_core.web.forms import parse_date, parse_money
from occ_core.web.ui import fmt_money

VIEW, MANAGE, ISSUE = "accounting:invoice:view", "accounting:invoice:manage", "accounting:invoice:issue"
SETTINGS = "accounting:settings:edit"
DRAFT, ISSUED = "draft", "issued"
STATUSES = {DRAFT: "Bozza", ISSUED: "Emessa"}
NO_CODE = "0000000"
QUANTITY_LIMIT = Decimal("9999999999.99")
FROZEN = "La fattura è già emessa e non si modifica più: per correggerla emetta una nota di credito."
GONE = "La bozza non esiste più: è stata eliminata nel frattempo."
# Header fields of a draft: form name -> (column, label, length).
CUSTOMER_FIELDS = {
    "customer_first_name": ("Nome", 60), "customer_last_name": ("Cognome", 60),
    "customer_company": ("Denominazione", 80), "customer_tax_code": ("Codice fiscale", 16),
    "customer_vat_number": ("Partita IVA", 28), "customer_address": ("Indirizzo", 60),
    "customer_postal_code": ("CAP", 5), "customer_city": ("Comune", 60), "customer_province": ("Provincia", 2),
    "customer_recipient_code": ("Codice destinatario", 7), "customer_pec": ("PEC", 256),
    "customer_email": ("E-mail", 256), "iban": ("IBAN", 34),
}
UPPER_FIELDS = ("customer_tax_code", "customer_vat_number", "customer_province", "customer_recipient_code", "iban")
CAUSALE_LIMIT = 2000


# --- reading ------------------------------------------------------------------------------------------------

def find_invoice(db, invoice_id) -> Invoice | None:
    """The invoice of the session's Order with that id (text from a URL), or None."""
    return row_by_id(db, Invoice, invoice_id, db.info.get("tenant_id"))


def label(invoice: Invoice) -> str:
    """«Fattura di acconto n. 3/2026» or «Bozza di fattura di acconto»."""
    kind = KINDS[invoice.kind]
    if invoice.status == ISSUED:
        return f"{kind} n. {fatturapa.document_number(invoice)}"
    return f"Bozza: {kind.lower()}"


def customer_name(invoice: Invoice) -> str:
    if invoice.customer_kind == "consumer":
        return f"{invoice.customer_last_name} {invoice.customer_first_name}".strip()
    return invoice.customer_company


def payments(db, invoice: Invoice) -> list[Movement]:
    return list(db.scalars(select(Movement).where(Movement.invoice_id == invoice.id)
                           .order_by(Movement.on, Movement.id)))


def dossier_invoices(db, dossier_id: int) -> list[Invoice]:
    return list(db.scalars(select(Invoice).where(Invoice.dossier_id == dossier_id).order_by(Invoice.id)))


def fully_credited(invoice: Invoice, credited: Mapping[int, Decimal]) -> bool:
    return credited.get(invoice.id, ZERO) >= invoice.total > 0


def deducted_ids(db) -> set[int]:
    """The advance invoices deducted by an issued invoice that still stands (not fully credited): a draft
    deducts nothing until it is issued, and a final invoice wholly cancelled by credit notes gives its
    advances back to the next one."""
    rows = db.execute(select(InvoiceLine.refers_to_invoice_id, Invoice).join(
        Invoice, InvoiceLine.invoice_id == Invoice.id).where(
        Invoice.status == ISSUED, Invoice.kind != "credit_note", InvoiceLine.refers_to_invoice_id.is_not(None))).all()
    credited = credited_totals(db, {invoice.id for _, invoice in rows})
    return {advance_id for advance_id, invoice in rows if not fully_credited(invoice, credited)}


def _by_rate(lines, sign: int = 1, into: dict | None = None) -> dict[tuple[Decimal, str], Decimal]:
    """The amounts of ``lines`` per IVA rate and Natura, the bollo's re-charge aside."""
    found = {} if into is None else into
    for line in lines:
        if line.category != "stamp_recharge":
            key = (Decimal(line.vat_rate).quantize(CENT), line.vat_nature or "")
            found[key] = found.get(key, ZERO) + sign * line.amount
    return found


def advance_remainders(db, advances) -> dict[int, dict[tuple[Decimal, str], Decimal]]:
    """What is left of each advance per rate once its issued credit notes are taken off: what a final
    invoice may still deduct."""
    left = {advance.id: _by_rate(advance.lines) for advance in advances}
    if left:
        notes = db.scalars(select(Invoice).options(selectinload(Invoice.lines)).where(
            Invoice.kind == "credit_note", Invoice.status == ISSUED, Invoice.corrects_id.in_(left)))
        for note in notes:
            _by_rate(note.lines, -1, left[note.corrects_id])
    return left


def locked(db, invoice_id) -> Invoice | None:
    """The invoice read again from the database, its row locked until the transaction ends: what a page
    loaded earlier may be stale (issued or deleted meanwhile by a double click or another page). Lines come
    with it, fresh too, since whoever changes them holds this lock."""
    return db.scalar(select(Invoice).where(Invoice.id == invoice_id).options(selectinload(Invoice.lines))
                     .with_for_update().execution_options(populate_existing=True))


# --- drafts ---------------------------------------------------------------------------------------------------

def _draft(env, invoice: Invoice) -> Invoice:
    """``invoice`` locked and still a draft, or a ``UserError``: every change of a draft starts here."""
    current = locked(env.dbsession, invoice.id)
    if current is None:
        raise UserError(GONE)
    if current.status != DRAFT:
        raise UserError(FROZEN)
    return current


def _fit(value, length: int) -> str:
    return " ".join(str(value or "").split())[:length]


def copy_customer(invoice: Invoice, debtor: Debtor | None) -> None:
    """The dossier's debtor as CessionarioCommittente: a company (legal person or with a partita IVA) as a
    business, anyone else as a consumer identified by codice fiscale; seven zeros and the PEC if known."""
    if debtor is None:
        return
    business = debtor.person_kind == "giuridica" or bool(debtor.partita_iva)
    invoice.customer_kind = "business" if business else "consumer"
    invoice.customer_first_name = "" if business else _fit(debtor.first_name, 60)
    invoice.customer_last_name = "" if business else _fit(debtor.last_name, 60)
    invoice.customer_company = _fit(debtor.company_name or debtor.display_name, 80) if business else ""
    invoice.customer_tax_code = _fit(debtor.codice_fiscale, 16).upper()
    invoice.customer_vat_number = _fit(debtor.partita_iva, 28) if business else ""
    invoice.customer_address = _fit(debtor.address, 60)
    invoice.customer_postal_code = _fit(debtor.postal_code, 5)
    invoice.customer_city = _fit(debtor.city, 60)
    invoice.customer_province = _fit(debtor.province, 2).upper()
    invoice.customer_recipient_code = NO_CODE
    invoice.customer_pec = _fit(debtor.pec, 256)
    invoice.customer_email = _fit(debtor.email, 256)


def first_debtor(db, dossier: Dossier) -> Debtor | None:
    return db.scalar(select(Debtor).where(Debtor.dossier_id == dossier.id).order_by(Debtor.position, Debtor.id))


def _line(invoice: Invoice, category: str, description: str, unit_price: Decimal, vat_rate: Decimal,
          vat_nature: str = "", quantity: Decimal = Decimal("1.00"), refers_to: int | None = None) -> InvoiceLine:
    line = InvoiceLine(tenant_id=invoice.tenant_id, position=len(invoice.lines) + 1, category=category,
                       description=description, quantity=quantity, unit_price=cents(unit_price),
                       amount=totals.line_amount(quantity, unit_price), vat_rate=vat_rate,
                       vat_nature=vat_nature if vat_rate == 0 else "", withholding=False,
                       refers_to_invoice_id=refers_to)
    invoice.lines.append(line)
    return line


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def estimate_lines(db, invoice: Invoice, dossier: Dossier, prefs) -> None:
    """Compenso and spese generali of the dossier's latest preventivo (the value proposed to the debtor);
    nothing when there is none."""
    estimate = latest_estimate(db, dossier)
    if estimate is None:
        return
    proposed = ((estimate.result or {}).get("values") or {}).get(estimate.proposed) or {}
    compenso, general = _decimal(proposed.get("compenso")), _decimal(proposed.get("general_expenses"))
    if compenso is None:
        compenso, general = estimate.proposed_fee, None
    version = f"preventivo v. {estimate.version}"
    _line(invoice, "fee", f"Compenso dell'OCC per la pratica {dossier.reference} ({version})", compenso,
          prefs.vat_rate, prefs.vat_nature)
    if general:
        _line(invoice, "general_expenses", f"Spese generali ({version})", general, prefs.vat_rate, prefs.vat_nature)


def start_fee_line(env, invoice: Invoice, dossier: Dossier, prefs) -> None:
    """The Order's start fee; when it is set IVA included, the net is taken out of it (scorporo)."""
    from occ_core.fees.preferences import preferences_of as fee_preferences

    fees = fee_preferences(env.tenant)
    price = Decimal(fees.start_fee)
    if fees.start_fee_vat_included and prefs.vat_rate:
        price = cents(price * 100 / (100 + prefs.vat_rate))
    _line(invoice, "start_fee", f"Spese di avvio della procedura, pratica {dossier.reference}", price,
          prefs.vat_rate, prefs.vat_nature)


def has_start_fee(db, dossier: Dossier) -> bool:
    """Whether the dossier's start fee is already taken care of: invoiced (a draft too, so that two drafts do
    not both propose it), or recorded by the secretariat as a movement, collected without an invoice."""
    invoiced = (select(InvoiceLine.id).join(Invoice, InvoiceLine.invoice_id == Invoice.id)
                .where(Invoice.dossier_id == dossier.id, Invoice.kind != "credit_note",
                       InvoiceLine.category == "start_fee"))
    recorded = select(Movement.id).where(Movement.dossier_id == dossier.id, Movement.category == "start_fee")
    return db.scalar(select(invoiced.exists() | recorded.exists()))


def deduction_lines(db, invoice: Invoice, dossier: Dossier) -> None:
    """A negative line per rate of every issued advance of the dossier not yet deducted, referring to it:
    for the part its credit notes left, nothing for one credited in full."""
    taken = deducted_ids(db)
    advances = [a for a in dossier_invoices(db, dossier.id)
                if a.kind == "advance" and a.status == ISSUED and a.id not in taken]
    remainders = advance_remainders(db, advances)
    for advance in advances:
        for (rate, nature), amount in remainders[advance.id].items():
            if amount > 0:
                _line(invoice, "advance_deduction",
                      f"Detrazione acconto: fattura n. {fatturapa.document_number(advance)} del "
                      f"{advance.issued_on.strftime('%d/%m/%Y')}", -amount, rate, nature, refers_to=advance.id)


def copy_lines(invoice: Invoice, corrected: Invoice) -> None:
    """The corrected invoice's lines, without their references to advances: a credit note deducts nothing,
    and DatiFattureCollegate names the invoice it corrects instead."""
    for line in corrected.lines:
        if line.category != "stamp_recharge":
            _line(invoice, line.category, line.description, line.unit_price, line.vat_rate, line.vat_nature,
                  line.quantity)


def create_draft(env, dossier: Dossier | None, kind: str, *, amount: Decimal | None = None,
                 corrects: Invoice | None = None) -> Invoice:
    """A draft of ``kind`` for ``dossier`` with the lines proposed for it:

    - advance: one fee line of ``amount``;
    - invoice: the start fee while the dossier has none invoiced, then the latest preventivo's fee;
    - final: the latest preventivo's fee, less every issued advance not yet deducted;
    - credit_note: the whole of ``corrects`` (an issued invoice), lines editable before issue."""
    db, prefs = env.dbsession, preferences_of(env.tenant)
    if kind not in KINDS:
        raise UserError("Tipo di documento non valido.", field="kind")
    if kind == "credit_note":
        if corrects is None or corrects.status != ISSUED or corrects.kind == "credit_note":
            raise UserError("La nota di credito si fa a partire da una fattura emessa.", field="corrects")
        if fully_credited(corrects, credited_totals(db, [corrects.id])):
            raise UserError(f"La fattura n. {fatturapa.document_number(corrects)} è già stornata per intero da "
                            "note di credito.", field="corrects")
        dossier = db.get(Dossier, corrects.dossier_id) if corrects.dossier_id else None
    elif dossier is None:
        raise UserError("Indicare la pratica da fatturare.", field="dossier")
    if kind == "advance" and (amount is None or amount <= 0):
        raise UserError("Indicare l'importo dell'acconto richiesto (maggiore di zero).", field="amount")
    issue_day = datetime.now(ROME).date()
    invoice = Invoice(tenant_id=env.tenant.id, kind=kind, status=DRAFT, dossier_id=dossier.id if dossier else None,
                      corrects_id=corrects.id if corrects else None, created_by_id=actor_id(env),
                      iban=prefs.iban, payment_method="MP05", due_on=issue_day + timedelta(days=prefs.payment_days),
                      customer_withholds=False, lines=[])
    if corrects is not None:
        for column in ("customer_kind", "customer_withholds", "customer_country", "customer_vat_country",
                       *CUSTOMER_FIELDS):
            setattr(invoice, column, getattr(corrects, column))
        invoice.causale = (f"Nota di credito a storno della fattura n. {fatturapa.document_number(corrects)} del "
                           f"{corrects.issued_on.strftime('%d/%m/%Y')}")
        copy_lines(invoice, corrects)
    else:
        copy_customer(invoice, first_debtor(db, dossier))
        invoice.causale = f"{KINDS[kind]} per la procedura di composizione della crisi, pratica {dossier.reference}"
        if kind == "advance":
            _line(invoice, "fee", f"Acconto sul compenso dell'OCC, pratica {dossier.reference}", amount,
                  prefs.vat_rate, prefs.vat_nature)
        elif kind == "invoice" and not has_start_fee(db, dossier):
            start_fee_line(env, invoice, dossier, prefs)
        else:
            estimate_lines(db, invoice, dossier, prefs)
            if kind == "final":
                deduction_lines(db, invoice, dossier)
    db.add(invoice)
    recompute(invoice, prefs)
    db.flush()
    return invoice


def recompute(invoice: Invoice, prefs) -> totals.Totals:
    """Marks the lines that bear the ritenuta, adds or removes the bollo's re-charge line, renumbers the
    lines and stores the totals. Only for drafts: an issued invoice keeps what it was issued with."""
    applies = totals.withholding_applies(invoice, prefs)
    for line in invoice.lines:
        line.withholding = applies and line.category in totals.SERVICE_CATEGORIES
    recharges = [line for line in invoice.lines if line.category == "stamp_recharge"]
    wanted = prefs.stamp_recharge and totals.stamp_due(invoice.lines)
    if wanted and not recharges:
        _line(invoice, "stamp_recharge", "Rimborso imposta di bollo assolta in modo virtuale", totals.STAMP_DUTY,
              Decimal("0.00"), prefs.expense_nature)
    elif not wanted:
        for line in recharges:
            invoice.lines.remove(line)
    for position, line in enumerate(invoice.lines, start=1):
        line.position = position
    result = totals.compute(invoice, prefs)
    if result.withholding is None:
        # Lines marked Ritenuta=SI without DatiRitenuta are refused by the SdI (error 00415): a base of zero or
        # less (advances covering the fee) has no ritenuta, so no line bears one.
        for line in invoice.lines:
            line.withholding = False
    totals.apply(invoice, result)
    return result


def _text(value, label: str, limit: int, required: bool = False) -> str:
    text = without_control_characters(value if isinstance(value, str) else "").strip()
    if required and not text:
        raise UserError(f"{label}: campo obbligatorio.", field=label)
    if len(text) > limit:
        raise UserError(f"{label}: al massimo {limit} caratteri.", field=label)
    return text


def update_header(env, invoice: Invoice, data: Mapping) -> None:
    """Customer, causale, due date and payment of a draft, from form values; all checked before any is set."""
    invoice = _draft(env, invoice)
    kind = data.get("customer_kind", invoice.customer_kind)
    if kind not in CUSTOMER_KINDS:
        raise UserError("Tipo di cliente non valido.", field="customer_kind")
    values = {}
    for name, (field_label, limit) in CUSTOMER_FIELDS.items():
        text = _text(data.get(name, getattr(invoice, name)), field_label, limit)
        values[name] = text.upper().replace(" ", "") if name in UPPER_FIELDS else text
    values["customer_recipient_code"] = values["customer_recipient_code"] or NO_CODE
    values["iban"] = checked_iban(values["iban"])
    causale = _text(data.get("causale", invoice.causale), "Causale", CAUSALE_LIMIT)
    due_on = parse_date(data.get("due_on", ""), "Scadenza") if "due_on" in data else invoice.due_on
    for name, value in values.items():
        setattr(invoice, name, value)
    invoice.customer_kind = kind
    invoice.customer_withholds = data.get("customer_withholds") in ("1", "on", True) if "customer_withholds" in data \
        else invoice.customer_withholds
    invoice.causale, invoice.due_on = causale, due_on
    recompute(invoice, preferences_of(env.tenant))


def _line_values(data: Mapping, prefs) -> dict:
    category = data.get("category") or "other"
    if category not in CATEGORIES or category == "stamp_recharge":
        raise UserError("Riga: categoria non valida.", field="category")
    description = _text(data.get("description"), "Descrizione", sdi_rules.DESCRIPTION_LIMIT, required=True)
    quantity = _decimal(str(data.get("quantity") or "1").replace(",", "."))
    if quantity is None or quantity <= 0 or quantity > QUANTITY_LIMIT or quantity.as_tuple().exponent < -2:
        raise UserError("Quantità: indicare un numero maggiore di zero con al massimo due decimali.",
                        field="quantity")
    price = parse_money(data.get("unit_price") or "", "Prezzo")
    if price is None:
        raise UserError("Prezzo: campo obbligatorio.", field="unit_price")
    if price < 0 and category != "advance_deduction":
        raise UserError("Prezzo: un importo negativo è ammesso solo per detrarre un acconto; per ridurre una "
                        "fattura emessa si emette una nota di credito.", field="unit_price")
    rate = _decimal(str(data.get("vat_rate") if data.get("vat_rate") not in (None, "") else prefs.vat_rate)
                    .replace(",", "."))
    if rate is None or not 0 <= rate <= 100:
        raise UserError("Aliquota IVA non valida.", field="vat_rate")
    nature = (data.get("vat_nature") or "").strip().upper() if rate == 0 else ""
    if category == "expense" and rate == 0 and not nature:
        nature = prefs.expense_nature
    values = {"category": category, "description": description, "quantity": quantity.quantize(Decimal("0.01")),
              "unit_price": price, "vat_rate": rate.quantize(Decimal("0.01")), "vat_nature": nature}
    probe = InvoiceLine(amount=totals.line_amount(quantity, price), **values)
    problems = sdi_rules.line_problems(0, probe)
    if problems:
        message = problems[0].removeprefix("Riga 0: ")
        raise UserError(message[:1].upper() + message[1:], field="line")
    return values


def add_line(env, invoice: Invoice, data: Mapping) -> InvoiceLine:
    invoice = _draft(env, invoice)
    prefs = preferences_of(env.tenant)
    values = _line_values(data, prefs)
    line = _line(invoice, values["category"], values["description"], values["unit_price"], values["vat_rate"],
                 values["vat_nature"], values["quantity"])
    recompute(invoice, prefs)
    return line


def _line_of(invoice: Invoice, line_id) -> InvoiceLine:
    found = next((line for line in invoice.lines if str(line.id) == str(line_id)), None)
    if found is None:
        raise UserError("Riga non trovata in questa fattura.", field="line")
    return found


def update_line(env, invoice: Invoice, line_id, data: Mapping) -> InvoiceLine:
    invoice = _draft(env, invoice)
    prefs = preferences_of(env.tenant)
    line = _line_of(invoice, line_id)
    if line.category == "stamp_recharge":
        raise UserError("La riga del bollo si aggiorna da sola.", field="line")
    values = _line_values({"category": line.category, **data}, prefs)
    for name, value in values.items():
        setattr(line, name, value)
    line.amount = totals.line_amount(line.quantity, line.unit_price)
    recompute(invoice, prefs)
    return line


def remove_line(env, invoice: Invoice, line_id) -> None:
    invoice = _draft(env, invoice)
    invoice.lines.remove(_line_of(invoice, line_id))
    recompute(invoice, preferences_of(env.tenant))


def delete_draft(env, invoice: Invoice) -> None:
    env.dbsession.delete(_draft(env, invoice))
    env.dbsession.flush()


# --- issue ----------------------------------------------------------------------------------------------------

def linked_invoices(db, invoice: Invoice) -> list[fatturapa.Linked]:
    """DatiFattureCollegate: the invoice a credit note corrects, the advances a final invoice deducts."""
    if invoice.corrects_id:
        corrected = db.get(Invoice, invoice.corrects_id)
        return [fatturapa.Linked(fatturapa.document_number(corrected), corrected.issued_on)]
    refs: dict[int, list[int]] = {}
    for number, line in enumerate(invoice.lines, start=1):
        if line.refers_to_invoice_id:
            refs.setdefault(line.refers_to_invoice_id, []).append(number)
    linked = []
    for advance_id, line_numbers in refs.items():
        advance = db.get(Invoice, advance_id)
        linked.append(fatturapa.Linked(fatturapa.document_number(advance), advance.issued_on, tuple(line_numbers)))
    return linked


def deduction_problems(db, invoice: Invoice) -> list[str]:
    """Deduction lines that refer to no issued advance, to one already deducted by another invoice, or to
    more of it than its credit notes left."""
    taken = deducted_ids(db)
    found, deducted = [], {}
    for line in invoice.lines:
        if line.refers_to_invoice_id is None:
            continue
        advance = db.get(Invoice, line.refers_to_invoice_id)
        if advance is None or advance.status != ISSUED or advance.kind != "advance":
            found.append(f"Riga {line.position}: la detrazione deve riferirsi a una fattura di acconto emessa.")
        elif advance.id in taken:
            found.append(f"Riga {line.position}: l'acconto n. {fatturapa.document_number(advance)} è già stato "
                         "detratto da un'altra fattura.")
        else:
            deducted[advance] = deducted.get(advance, ZERO) - line.amount
    remainders = advance_remainders(db, deducted)
    for advance, amount in deducted.items():
        left = sum(remainders[advance.id].values(), ZERO)
        number = fatturapa.document_number(advance)
        if left <= 0:
            found.append(f"L'acconto n. {number} è stornato per intero da note di credito: tolga la riga che lo "
                         "detrae.")
        elif amount > left:
            found.append(f"La detrazione dell'acconto n. {number} ({fmt_money(amount)}) supera quanto ne resta "
                         f"dopo le note di credito ({fmt_money(left)}).")
    return found


def credit_problems(db, invoice: Invoice, corrected: Invoice | None) -> list[str]:
    """A credit note corrects an issued invoice, and all its issued credit notes together take off at most its
    total: an invoice is never credited twice."""
    if invoice.kind != "credit_note":
        return []
    if corrected is None or corrected.status != ISSUED or corrected.kind == "credit_note":
        return ["La nota di credito deve riferirsi a una fattura emessa."]
    left = corrected.total - credited_totals(db, [corrected.id]).get(corrected.id, ZERO)
    if invoice.total > left:
        return [f"La nota di credito ({fmt_money(invoice.total)}) supera quanto resta da stornare della fattura "
                f"n. {fatturapa.document_number(corrected)} ({fmt_money(left)}): le note di credito già emesse ne "
                "hanno stornato il resto."]
    return []


def last_issue_day(db, year: int) -> date | None:
    return db.scalar(select(func.max(Invoice.issued_on)).where(Invoice.status == ISSUED, Invoice.year == year))


def schema_problems(env, xml: bytes) -> list[str]:
    folder = fatturapa.configured_schema(getattr(env.registry, "settings", None) or {})
    return fatturapa.schema_errors(xml, folder) if folder else []


def issue(env, invoice: Invoice, clock: Callable[[], datetime] = utcnow) -> Invoice:
    """Check the invoice as the SdI would, give it the next number and the date (Rome), write its FatturaPA
    file and freeze it. Refused with every problem listed, and nothing changed, if anything is wrong.

    The draft's row is locked first, then the invoices it refers to (the one it corrects, the advances it
    deducts): a double click, or two final invoices deducting one advance, wait for each other and the
    second sees what the first did. A refusal after the number was taken rolls the transaction back, and
    the number with it."""
    db, tenant, prefs = env.dbsession, env.tenant, preferences_of(env.tenant)
    invoice = _draft(env, invoice)
    corrected = locked(db, invoice.corrects_id) if invoice.corrects_id else None
    for advance_id in sorted({line.refers_to_invoice_id for line in invoice.lines if line.refers_to_invoice_id}):
        locked(db, advance_id)
    result = recompute(invoice, prefs)
    moment = clock()
    day = moment.astimezone(ROME).date()
    problems = (sdi_rules.problems(tenant, invoice, prefs) + credit_problems(db, invoice, corrected)
                + deduction_problems(db, invoice))
    if problems:
        raise UserError("La fattura non può essere emessa: " + " ".join(problems))
    invoice.year, invoice.issued_on = day.year, day
    invoice.number = numbering.next_number(db, tenant.id, day.year)
    # Checked under the counter's lock, which makes the year's issues one at a time.
    problem = sdi_rules.date_problem(day, last_issue_day(db, day.year))
    if problem:
        raise UserError("La fattura non può essere emessa: " + problem)
    invoice.transmission_number = numbering.next_transmission(db, tenant.id)
    invoice.issued_at, invoice.issued_by_id = moment, actor_id(env)
    if invoice.due_on is None or invoice.due_on < day:
        invoice.due_on = day + timedelta(days=prefs.payment_days)
    invoice.iban = invoice.iban or prefs.iban
    invoice.xml = fatturapa.build(tenant, invoice, prefs, result, linked_invoices(db, invoice))
    errors = schema_problems(env, invoice.xml)
    if errors:
        raise UserError("La fattura non può essere emessa: il file FatturaPA non rispetta lo schema ufficiale ("
                        + "; ".join(errors[:5]) + "). Corregga i dati indicati e riprovi.")
    invoice.xml_sha256 = sha256(invoice.xml).hexdigest()
    invoice.xml_filename = numbering.xml_filename(tenant.partita_iva, invoice.transmission_number)
    invoice.status = ISSUED
    db.flush()
    details = {"invoice_id": invoice.id, "number": fatturapa.document_number(invoice), "kind": invoice.kind,
               "total": format(invoice.total, "f"), "xml_sha256": invoice.xml_sha256}
    if invoice.dossier_id:
        record_action(env, db.get(Dossier, invoice.dossier_id), "invoice.issued", **details)
    else:
        record(db, "invoice.issued", tenant_id=tenant.id, user_id=actor_id(env), object_type="Invoice",
               object_id=invoice.id, details=details)
    return invoice


# --- payments -------------------------------------------------------------------------------------------------

def payment_category(invoice: Invoice) -> tuple[str, str]:
    """Direction and ledger category of a payment of ``invoice``: a credit note is settled by a refund."""
    if invoice.kind == "credit_note":
        return "uscita", "refund"
    if invoice.kind == "advance":
        return "entrata", "advance"
    if invoice.lines and all(line.category in ("start_fee", "stamp_recharge") for line in invoice.lines):
        return "entrata", "start_fee"
    return "entrata", "balance"


def record_payment(env, invoice: Invoice, *, on, amount, method="transfer", reference="", description=""):
    """A collection (or, for a credit note, a refund) settling ``invoice``, in the ledger."""
    from occ_core.ledger.services import record_movement

    if invoice.status != ISSUED:
        raise UserError("Si registrano pagamenti solo di fatture emesse.")
    direction, category = payment_category(invoice)
    dossier = env.dbsession.get(Dossier, invoice.dossier_id) if invoice.dossier_id else None
    return record_movement(env, dossier=dossier, on=on, direction=direction, category=category,
                           description=description or f"Pagamento {label(invoice).lower()}", amount=amount,
                           method=method, reference=reference, invoice=invoice)


# --- exports --------------------------------------------------------------------------------------------------

def issued_between(db, start: date | None, end: date | None) -> list[Invoice]:
    query = select(Invoice).where(Invoice.status == ISSUED)
    if start:
        query = query.where(Invoice.issued_on >= start)
    if end:
        query = query.where(Invoice.issued_on <= end)
    return list(db.scalars(query.order_by(Invoice.year, Invoice.number)))


def xml_zip(invoices) -> bytes:
    """The FatturaPA files of ``invoices`` as a zip, each under its own name, as the accountant loads them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            archive.writestr(invoice.xml_filename, invoice.xml)
    return buffer.getvalue()
