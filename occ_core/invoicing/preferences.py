"""The Order's invoicing preferences (tenant.preferences["invoicing"]): tax regime, IBAN, payment terms,
the Natura of re-charged expenses, the bollo's re-charge, cassa previdenziale and ritenuta.

The Order's fiscal identity (partita IVA, codice fiscale, name, address) is not here: it lives on the Tenant
row, edited with the Order's other parameters."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal, InvalidOperation

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError
from stdnum.it import iva

from occ_core.errors import UserError
from occ_core.invoicing.codes import (NATURES, PAYMENT_REASONS, PENSION_FUNDS, REGIMES, RETIRED_NATURES,
                                      WITHHOLDINGS)

PREFERENCE = "invoicing"
MAX_PAYMENT_DAYS = 365
DECIMALS = ("vat_rate", "pension_fund_rate", "withholding_rate")


@dataclass(frozen=True)
class InvoicingPreferences:
    regime: str = "RF01"
    iban: str = ""
    payment_days: int = 30
    # IVA of the OCC's own services; 0 with a Natura for an Order outside the IVA field.
    vat_rate: Decimal = Decimal("22.00")
    vat_nature: str = ""
    # Expenses paid in the debtor's name and re-charged as they are (art. 15 DPR 633/72).
    expense_nature: str = "N1"
    # Whether the 2,00 of bollo virtuale is re-charged to the customer as a line of the invoice.
    stamp_recharge: bool = False
    # Cassa previdenziale and ritenuta: none unless the Order's regime needs them.
    pension_fund: str = ""
    pension_fund_rate: Decimal = Decimal("0.00")
    withholding: str = ""
    withholding_rate: Decimal = Decimal("0.00")
    withholding_reason: str = "A"


def _rate(value: Decimal, label: str, field: str) -> Decimal:
    if not Decimal("0") <= value <= Decimal("100"):
        raise UserError(f"{label}: indicare una percentuale da 0 a 100.", field=field)
    return value.quantize(Decimal("0.01"))


def checked_iban(value: str) -> str:
    """``value`` without spaces if it is an IBAN (or empty), else a ``UserError``."""
    account = stdnum_iban.compact(value or "")
    if not account:
        return ""
    try:
        return stdnum_iban.validate(account)
    except ValidationError:
        raise UserError("IBAN: il codice non è valido, lo controlli.", field="iban") from None


def validate(prefs: InvoicingPreferences) -> InvoicingPreferences:
    """``prefs`` made tidy if sound, else a ``UserError`` naming the first problem."""
    if prefs.regime not in REGIMES:
        raise UserError("Regime fiscale: scelta non valida.", field="regime")
    account = checked_iban(prefs.iban)
    if not 0 <= prefs.payment_days <= MAX_PAYMENT_DAYS:
        raise UserError(f"Termini di pagamento: indicare un numero di giorni da 0 a {MAX_PAYMENT_DAYS}.",
                        field="payment_days")
    vat_rate = _rate(prefs.vat_rate, "Aliquota IVA", "vat_rate")
    nature = prefs.vat_nature if vat_rate == 0 else ""
    if vat_rate == 0 and nature not in NATURES:
        raise UserError("Natura dei compensi senza IVA: indicare un codice valido.", field="vat_nature")
    if prefs.expense_nature not in NATURES or prefs.expense_nature in RETIRED_NATURES:
        raise UserError("Natura delle spese anticipate: scelta non valida.", field="expense_nature")
    if prefs.pension_fund and prefs.pension_fund not in PENSION_FUNDS:
        raise UserError("Cassa previdenziale: scelta non valida.", field="pension_fund")
    fund_rate = _rate(prefs.pension_fund_rate, "Aliquota della cassa", "pension_fund_rate")
    if prefs.pension_fund and fund_rate == 0:
        raise UserError("Cassa previdenziale: indicare l'aliquota.", field="pension_fund_rate")
    if prefs.withholding and prefs.withholding not in WITHHOLDINGS:
        raise UserError("Ritenuta: scelta non valida.", field="withholding")
    withholding_rate = _rate(prefs.withholding_rate, "Aliquota della ritenuta", "withholding_rate")
    if prefs.withholding and withholding_rate == 0:
        raise UserError("Ritenuta: indicare l'aliquota.", field="withholding_rate")
    if prefs.withholding_reason not in PAYMENT_REASONS:
        raise UserError("Causale della ritenuta: scelta non valida.", field="withholding_reason")
    return replace(prefs, iban=account, vat_rate=vat_rate, vat_nature=nature,
                   pension_fund_rate=fund_rate if prefs.pension_fund else Decimal("0.00"),
                   withholding_rate=withholding_rate if prefs.withholding else Decimal("0.00"))


def from_mapping(values: dict) -> InvoicingPreferences:
    """Preferences from stored JSON or a posted form (text values); ``UserError`` on a number that is none."""
    known = {f.name: f.type for f in fields(InvoicingPreferences)}
    chosen = {}
    for key, value in values.items():
        if key not in known:
            continue
        if key in DECIMALS:
            try:
                chosen[key] = Decimal(str(value).replace(",", ".").strip() or "0")
            except InvalidOperation:
                raise UserError("Indicare le percentuali come numeri (esempio: 22 o 4,00).", field=key) from None
            if not chosen[key].is_finite():
                raise UserError("Indicare le percentuali come numeri (esempio: 22 o 4,00).", field=key)
        elif key == "payment_days":
            text = str(value).strip()
            if not (text.isascii() and text.isdigit()) or len(text) > 4:
                raise UserError("Termini di pagamento: indicare un numero di giorni.", field=key)
            chosen[key] = int(text)
        elif key == "stamp_recharge":
            chosen[key] = value in (True, "1", "on", "true")
        else:
            chosen[key] = str(value).strip().upper() if key != "iban" else str(value)
    return validate(InvoicingPreferences(**chosen))


def preferences_of(tenant) -> InvoicingPreferences:
    """The Order's preferences; a stored value edited by hand into nonsense falls back to the defaults."""
    stored = (tenant.preferences or {}).get(PREFERENCE) or {}
    try:
        return from_mapping(dict(stored))
    except (AttributeError, TypeError, ValueError, UserError):
        return InvoicingPreferences()


def save(tenant, prefs: InvoicingPreferences) -> None:
    stored = {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(validate(prefs)).items()}
    tenant.preferences = {**(tenant.preferences or {}), PREFERENCE: stored}


def identity_problem(tenant) -> str | None:
    """Why the Order cannot issue invoices yet (its partita IVA, name or address), in Italian; None if it can."""
    if not tenant.partita_iva:
        return ("Manca la partita IVA dell'Ordine: la indichi nei parametri dell'Ordine (pagina «Impostazioni "
                "dell'Ordine») prima di emettere fatture.")
    if not iva.is_valid(tenant.partita_iva):
        return (f"La partita IVA dell'Ordine «{tenant.partita_iva}» non è valida: la corregga nei parametri "
                "dell'Ordine (pagina «Impostazioni dell'Ordine») prima di emettere fatture.")
    missing = [label for label, value in (("la denominazione", tenant.display_name), ("l'indirizzo", tenant.address),
                                          ("il CAP", tenant.postal_code), ("il comune", tenant.city)) if not value]
    if missing:
        return (f"Nei parametri dell'Ordine mancano {', '.join(missing)}: li indichi (pagina «Impostazioni "
                "dell'Ordine») prima di emettere fatture.")
    if len(tenant.postal_code) != 5 or not tenant.postal_code.isdigit():
        return "Il CAP dell'Ordine deve avere cinque cifre: lo corregga nei parametri dell'Ordine."
    return None
