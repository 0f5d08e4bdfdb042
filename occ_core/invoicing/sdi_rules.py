"""The SdI's business checks that the schema does not make (standards.md section 3.4), run before issuing:
an invoice the SdI would reject is never numbered.

Each check answers in Italian, naming the line or field, with the SdI error code where there is one."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from stdnum.it import codicefiscale, iva

from occ_core.invoicing.codes import NATURES, RETIRED_NATURES
from occ_core.invoicing.preferences import identity_problem
from occ_core.invoicing.totals import compute, line_amount

DESCRIPTION_LIMIT = 1000
AMOUNT_LIMIT = Decimal("99999999999.99")  # eleven digits before the point
RECIPIENT_CODE = re.compile(r"[A-Z0-9]{7}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
POSTAL_CODE = re.compile(r"[0-9]{5}")
PROVINCE = re.compile(r"[A-Z]{2}")
# The schema's String*LatinType: Basic Latin and Latin-1 Supplement only (line ends become spaces).
LATIN = re.compile(r"[\u0020-\u007e\u00a0-\u00ff\n\r\t]")
# What a word processor types for the plain characters the schema wants.
PLAIN = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
         "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u20ac": "EUR", "\u2022": "-"}


def _latin(label: str, value: str, where: str = "") -> list[str]:
    wrong = next((char for char in value or "" if not LATIN.fullmatch(char)), None)
    if wrong is None:
        return []
    shown = f"«{wrong}»" if wrong.isprintable() else "non stampabile"
    hint = f" con «{PLAIN[wrong]}»" if wrong in PLAIN else ""
    return [f"{label}: il carattere {shown} (U+{ord(wrong):04X}) non è ammesso dalla fattura elettronica, che "
            f"accetta solo i caratteri latini: lo sostituisca{hint}{where}."]


def supplier_problems(tenant) -> list[str]:
    """The Order's own data written in the file: the schema's Latin patterns apply to them too."""
    where = " nei parametri dell'Ordine (pagina «Impostazioni dell'Ordine»)"
    problems = []
    for label, value in (("Ordine, denominazione", tenant.display_name), ("Ordine, indirizzo", tenant.address),
                         ("Ordine, comune", tenant.city)):
        problems += _latin(label, value, where)
    if tenant.province and not PROVINCE.fullmatch(tenant.province.upper()):
        problems.append("Ordine, provincia: si indica con la sigla di due lettere; la corregga nei parametri "
                        "dell'Ordine.")
    return problems


def line_problems(number: int, line) -> list[str]:
    problems = []
    label = f"Riga {number}"
    if not (line.description or "").strip():
        problems.append(f"{label}: manca la descrizione.")
    elif len(line.description) > DESCRIPTION_LIMIT:
        problems.append(f"{label}: la descrizione supera i {DESCRIPTION_LIMIT} caratteri.")
    problems += _latin(f"{label}, descrizione", line.description or "")
    if line.quantity <= 0:
        problems.append(f"{label}: la quantità deve essere maggiore di zero.")
    if line.amount != line_amount(line.quantity, line.unit_price):
        problems.append(f"{label}: l'importo non corrisponde a quantità per prezzo.")
    if max(abs(line.unit_price), abs(line.amount)) > AMOUNT_LIMIT:
        problems.append(f"{label}: importo troppo grande per la fattura elettronica.")
    if not Decimal("0") <= line.vat_rate <= Decimal("100"):
        problems.append(f"{label}: aliquota IVA non valida.")
    if line.vat_rate == 0:
        if line.vat_nature in RETIRED_NATURES:
            problems.append(f"{label}: il codice Natura {line.vat_nature} non è più ammesso dal 2021 "
                            "(errore SdI 00445): indicare il codice di dettaglio (ad esempio N2.2 o N3.6).")
        elif line.vat_nature not in NATURES:
            problems.append(f"{label}: con aliquota zero va indicata la Natura dell'operazione (errore SdI 00400).")
    elif line.vat_nature:
        problems.append(f"{label}: la Natura si indica solo per le righe senza IVA (errore SdI 00401).")
    return problems


def customer_problems(invoice) -> list[str]:
    problems = []
    if invoice.customer_kind == "consumer":
        if not (invoice.customer_first_name.strip() and invoice.customer_last_name.strip()):
            problems.append("Cliente: indicare nome e cognome.")
        if not codicefiscale.is_valid(invoice.customer_tax_code or ""):
            problems.append("Cliente: il codice fiscale manca o non è valido.")
    elif invoice.customer_kind == "business":
        if not invoice.customer_company.strip():
            problems.append("Cliente: indicare la denominazione.")
        if invoice.customer_vat_country == "IT" and not iva.is_valid(invoice.customer_vat_number or ""):
            problems.append("Cliente: la partita IVA manca o non è valida.")
        tax_code = invoice.customer_tax_code or ""
        if tax_code and not (codicefiscale.is_valid(tax_code) or iva.is_valid(tax_code)):
            problems.append("Cliente: il codice fiscale indicato non è valido.")
    else:
        problems.append("Cliente: tipo di cliente non valido.")
    if not (invoice.customer_address.strip() and invoice.customer_city.strip()):
        problems.append("Cliente: indicare indirizzo e comune.")
    if invoice.customer_country == "IT":
        if not POSTAL_CODE.fullmatch(invoice.customer_postal_code or ""):
            problems.append("Cliente: il CAP deve avere cinque cifre.")
        if invoice.customer_province and not PROVINCE.fullmatch(invoice.customer_province):
            problems.append("Cliente: la provincia si indica con la sigla di due lettere.")
    for label, value in (("Cliente, nome", invoice.customer_first_name), ("Cliente, cognome", invoice.customer_last_name),
                         ("Cliente, denominazione", invoice.customer_company),
                         ("Cliente, indirizzo", invoice.customer_address), ("Cliente, comune", invoice.customer_city)):
        problems += _latin(label, value)
    if not RECIPIENT_CODE.fullmatch(invoice.customer_recipient_code or ""):
        problems.append("Codice destinatario: sono sette caratteri, lettere maiuscole o cifre (0000000 se il "
                        "cliente non ne ha uno).")
    if invoice.customer_pec and not EMAIL.fullmatch(invoice.customer_pec):
        problems.append("PEC del cliente: l'indirizzo non è valido.")
    return problems


def problems(tenant, invoice, prefs) -> list[str]:
    """Everything that keeps ``invoice`` from being issued; empty when it can be."""
    found = []
    supplier = identity_problem(tenant)
    if supplier:
        found.append(supplier)
    found += supplier_problems(tenant)
    lines = list(invoice.lines)
    if not lines:
        found.append("La fattura non ha righe: ne aggiunga almeno una.")
    for number, line in enumerate(lines, start=1):
        found += line_problems(number, line)
    found += customer_problems(invoice)
    found += _latin("Causale", invoice.causale or "")
    if lines and not found:
        totals = compute(invoice, prefs)
        if (invoice.total, invoice.vat_amount, invoice.amount_due) != (totals.total, totals.vat, totals.amount_due):
            found.append("I totali non corrispondono alle righe: li ricalcoli salvando la bozza.")
        if totals.total < 0:
            found.append("Il totale del documento è negativo: per ridurre quanto fatturato si emette una nota di "
                         "credito.")
        if totals.total > AMOUNT_LIMIT:
            found.append("Il totale è troppo grande per la fattura elettronica.")
    return found


def date_problem(day: date, last_day: date | None) -> str | None:
    """Invoices are numbered in the order of their dates (art. 21 DPR 633/1972): one dated before the last
    issued invoice of its year would get a higher number with an earlier date."""
    if last_day is None or day >= last_day:
        return None
    return (f"La fattura sarebbe datata {day.strftime('%d/%m/%Y')}, prima dell'ultima fattura emessa nel "
            f"{day.year} (del {last_day.strftime('%d/%m/%Y')}): le fatture si numerano in ordine di data "
            "(art. 21 DPR 633/1972).")
