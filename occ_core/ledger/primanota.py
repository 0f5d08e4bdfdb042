"""The prima nota for the accountant: every operation of a period as a balanced double entry.

Three sources: the invoices the OCC issued (revenue and IVA a debito against the customer's credit), the
movements (money in and out of the bank or the cash box), and the gestori's invoices to the OCC (costs and
IVA a credito against what is owed to the gestore and the ritenuta to pay to the Erario). A credit note
is its invoice's entry reversed. Accounting programs import the rows; the chart is deliberately small and
named in Italian so the accountant maps it to his own in one go."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from occ_core.invoicing.fatturapa import document_number
from occ_core.ledger import services
from occ_core.ledger.models import Movement
from occ_core.money import ZERO

# The chart of accounts (piano dei conti) the export posts to: identifier -> name.
ACCOUNTS = {
    "bank": "Banca c/c",
    "cash": "Cassa",
    "customers": "Crediti v/clienti",
    "withholding_suffered": "Erario c/ritenute subite",
    "fee_revenue": "Ricavi per prestazioni OCC",
    "expense_recharges": "Rimborsi spese",
    "start_fees": "Diritti di avvio",
    "pension_fund_charged": "Contributo cassa previdenziale addebitato",
    "vat_payable": "IVA a debito",
    "advances_received": "Clienti c/anticipi",
    "other_income": "Proventi diversi",
    "debtor_refunds": "Restituzioni ai debitori",
    "court_fees": "Contributo unificato",
    "stamps": "Imposta di bollo",
    "postage": "Spese postali e di notifica",
    "auxiliaries": "Compensi ad ausiliari ed esperti",
    "gestori_fees": "Compensi gestori",
    "gestori_pension_fund": "Cassa previdenziale gestori",
    "vat_receivable": "IVA a credito",
    "gestori_payable": "Debiti v/gestori",
    "withholding_payable": "Erario c/ritenute da versare",
    "other_expenses": "Oneri diversi",
}
# Where an invoice line's amount goes (InvoiceLine.category); anything else is the OCC's fee.
LINE_ACCOUNTS = {"start_fee": "start_fees", "expense": "expense_recharges", "stamp_recharge": "expense_recharges"}
# The other side of a movement that settles no invoice, by category.
CATEGORY_ACCOUNTS = {
    "start_fee": "start_fees", "advance": "advances_received", "balance": "fee_revenue",
    "expense_refund": "expense_recharges", "other_income": "other_income",
    "refund": "debtor_refunds", "court_fee": "court_fees", "stamp": "stamps", "postage": "postage",
    "auxiliary": "auxiliaries", "gestore_fee": "gestori_fees", "other_expense": "other_expenses",
}
HEADER = ("Data", "Conto", "Descrizione", "Dare", "Avere", "IVA")


@dataclass
class Row:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    vat: str = ""


@dataclass
class Operation:
    on: date
    description: str
    rows: list[Row] = field(default_factory=list)

    def post(self, account: str, amount: Decimal, debit: bool, vat: str = "") -> None:
        """One side of the entry; a negative amount (a deduction) goes to the other side."""
        if not amount:
            return
        if amount < 0:
            amount, debit = -amount, not debit
        self.rows.append(Row(account, amount if debit else ZERO, ZERO if debit else amount, vat))

    def reversed(self) -> "Operation":
        return Operation(self.on, self.description,
                         [Row(r.account, r.credit, r.debit, r.vat) for r in self.rows])

    @property
    def balanced(self) -> bool:
        return sum(r.debit for r in self.rows) == sum(r.credit for r in self.rows)


def _vat_code(line) -> str:
    return line.vat_nature or f"{format(line.vat_rate.normalize(), 'f')}%"


def invoice_operation(invoice) -> Operation:
    """An issued invoice: the customer owes the amount due (the ritenuta goes to the Erario instead);
    revenue by line category, IVA and cassa charged in avere. Whatever of the total the lines do not
    explain (the bollo charged on the document) is a recharged expense, so the entry always balances."""
    kind = "Nota di credito" if invoice.kind == "credit_note" else "Fattura"
    name = invoice.customer_company or f"{invoice.customer_last_name} {invoice.customer_first_name}".strip()
    operation = Operation(invoice.issued_on, f"{kind} {document_number(invoice)} {name}".strip())
    operation.post("customers", invoice.amount_due, debit=True)
    operation.post("withholding_suffered", invoice.withholding_amount, debit=True)
    revenue: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for line in invoice.lines:
        revenue[(LINE_ACCOUNTS.get(line.category, "fee_revenue"), _vat_code(line))] += line.amount
    for (account, vat), amount in revenue.items():
        operation.post(account, amount, debit=False, vat=vat)
    operation.post("pension_fund_charged", invoice.pension_fund_amount, debit=False)
    operation.post("vat_payable", invoice.vat_amount, debit=False)
    explained = sum(revenue.values(), ZERO) + invoice.pension_fund_amount + invoice.vat_amount
    operation.post("expense_recharges", invoice.total - explained, debit=False)
    # A credit note carries positive amounts: it is the reverse of an invoice.
    return operation.reversed() if invoice.kind == "credit_note" else operation


def movement_operation(movement: Movement) -> Operation:
    """Money in or out: the bank (or the cash box, for cash) against the customer's credit when the movement
    settles an invoice, against the gestore's debt when it pays his invoice, else the category's account."""
    money = "cash" if movement.method == "cash" else "bank"
    if movement.invoice_id is not None:
        other = "customers"
    elif movement.gestore_invoice_id is not None:
        other = "gestori_payable"
    else:
        other = CATEGORY_ACCOUNTS.get(movement.category, "other_income" if movement.direction == services.INCOME
                                      else "other_expenses")
    reference = f" ({movement.dossier.reference})" if movement.dossier is not None else ""
    operation = Operation(movement.on, f"{movement.description}{reference}")
    income = movement.direction == services.INCOME
    operation.post(money, movement.amount, debit=income)
    operation.post(other, movement.amount, debit=not income)
    return operation


def gestore_invoice_operation(invoice, gestore_name: str = "") -> Operation:
    """A gestore's invoice to the OCC: fee, cassa, IVA (and the bollo) in dare; what the OCC pays him and the
    ritenuta it withholds for the Erario in avere."""
    who = f"Fattura del gestore {gestore_name}" if gestore_name else "Fattura del gestore"
    operation = Operation(invoice.issued_on, f"{who} n. {invoice.number}")
    vat = invoice.vat_nature or (f"{format(invoice.vat_rate.normalize(), 'f')}%" if invoice.vat_rate else "")
    operation.post("gestori_fees", invoice.fee, debit=True, vat=vat)
    operation.post("gestori_pension_fund", invoice.pension_fund_amount, debit=True, vat=vat)
    operation.post("vat_receivable", invoice.vat_amount, debit=True)
    operation.post("stamps", invoice.total - invoice.fee - invoice.pension_fund_amount - invoice.vat_amount,
                   debit=True)
    operation.post("gestori_payable", invoice.net_payable, debit=False)
    operation.post("withholding_payable", invoice.withholding_amount, debit=False)
    return operation


def operations(db, tenant_id: int, start: date, end: date) -> list[Operation]:
    """Every operation of the Order between ``start`` and ``end`` (both included), by date."""
    from occ_core.compensation.models import GestoreInvoice
    from occ_core.gestori.models import Gestore
    from occ_core.invoicing.models import Invoice

    found = [invoice_operation(invoice) for invoice in db.scalars(select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.status == "issued", Invoice.issued_on >= start,
        Invoice.issued_on <= end).order_by(Invoice.issued_on, Invoice.id))]
    found += [movement_operation(movement) for movement in db.scalars(select(Movement).where(
        Movement.tenant_id == tenant_id, Movement.on >= start, Movement.on <= end).order_by(Movement.on, Movement.id))]
    for invoice, gestore in db.execute(select(GestoreInvoice, Gestore).join(
            Gestore, Gestore.id == GestoreInvoice.gestore_id).where(
            GestoreInvoice.tenant_id == tenant_id, GestoreInvoice.issued_on >= start,
            GestoreInvoice.issued_on <= end).order_by(GestoreInvoice.issued_on, GestoreInvoice.id)):
        found.append(gestore_invoice_operation(invoice, gestore.registrant.full_name))
    return sorted(found, key=lambda operation: operation.on)


def csv_rows(found: list[Operation]) -> list:
    rows = [HEADER]
    for operation in found:
        for row in operation.rows:
            rows.append((operation.on.strftime("%d/%m/%Y"), ACCOUNTS[row.account], operation.description,
                         row.debit if row.debit else "", row.credit if row.credit else "", row.vat))
    return rows
