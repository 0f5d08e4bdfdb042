"""FatturaPA: generating and validating 10,000 invoices' XML, against validating the same documents alone.

    .venv/bin/python bench/fatturapa.py [--count 10000] [--rounds 3]

No database: realistic invoices are built in memory (the ORM classes, never added to a session) in the mix
an OCC issues — advances to consumers with and without PEC, start fees, invoices with documented expenses
(N1) and the bollo, final invoices deducting an advance, credit notes, business customers with cassa and
ritenuta. Both measures parse the bytes and validate them against the official schema 1.2.2 (read from the
shared data, offline); the first also computes the totals and writes the XML. Rounds alternate the two
measures and the median of each is reported, with the ratio: how much the generation adds to validation."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from lxml import etree

from occ_core.invoicing import fatturapa, totals
from occ_core.invoicing.models import Invoice, InvoiceLine
from occ_core.invoicing.preferences import InvoicingPreferences
from occ_core.tenants.models import Tenant
from occ_core.testing.shared_data import SHARED_DATA

SCHEMA_DIR = SHARED_DATA / "fatturapa"
TENANT = Tenant(slug="bench", name="Ordine degli Avvocati di Milano", occ_name="OCC dell'Ordine di Milano",
                partita_iva="01234560157", codice_fiscale="80123450150", address="Via Freguglia 1",
                postal_code="20122", city="Milano", province="MI")
PLAIN = InvoicingPreferences(iban="IT60X0542811101000000123456")
PROFESSIONAL = replace(PLAIN, pension_fund="TC22", pension_fund_rate=Decimal("4.00"), withholding="RT01",
                       withholding_rate=Decimal("20.00"))
CONSUMER = {"customer_kind": "consumer", "customer_first_name": "Mario", "customer_last_name": "Rossi",
            "customer_company": "", "customer_tax_code": "RSSMRA80E17F205X", "customer_vat_number": "",
            "customer_withholds": False}
BUSINESS = {"customer_kind": "business", "customer_first_name": "", "customer_last_name": "",
            "customer_company": "Bianchi S.r.l.", "customer_tax_code": "07654320154",
            "customer_vat_number": "07654320154", "customer_withholds": True}


def line(category, description, price, rate="22.00", nature="", withholding=False, refers_to=None):
    price = Decimal(price)
    return InvoiceLine(category=category, description=description, quantity=Decimal("1.00"), unit_price=price,
                       amount=totals.line_amount(Decimal(1), price), vat_rate=Decimal(rate), vat_nature=nature,
                       withholding=withholding, refers_to_invoice_id=refers_to)


def make(index: int):
    """The ``index``-th invoice of the mix, numbered and dated, with its preferences and linked documents."""
    variant = index % 6
    cents = Decimal(index % 997) / 100
    customer = BUSINESS if variant == 5 else CONSUMER
    prefs = PROFESSIONAL if variant == 5 else PLAIN
    kind = {0: "advance", 1: "invoice", 2: "invoice", 3: "final", 4: "credit_note", 5: "advance"}[variant]
    reference = f"{index % 400 + 1}/2025"
    lines = {
        0: [line("fee", f"Acconto sul compenso dell'OCC, pratica {reference}", 500 + cents)],
        1: [line("start_fee", f"Spese di avvio della procedura, pratica {reference}", "200.00")],
        2: [line("fee", f"Compenso dell'OCC, pratica {reference}", 1800 + cents),
            line("general_expenses", "Spese generali 12,50%", "225.00"),
            line("expense", "Contributo unificato anticipato in nome del debitore", "98.00", "0.00", "N1"),
            line("stamp_recharge", "Rimborso imposta di bollo", "2.00", "0.00", "N1")],
        3: [line("fee", f"Compenso dell'OCC, pratica {reference}", 3000 + cents),
            line("general_expenses", "Spese generali 12,50%", "375.00"),
            line("advance_deduction", "Detrazione acconto: fattura n. 1/2026 del 02/01/2026", "-500.00",
                 refers_to=1)],
        4: [line("fee", f"Acconto sul compenso dell'OCC, pratica {reference}", 500 + cents)],
        5: [line("fee", f"Compenso dell'OCC, pratica {reference}", 1000 + cents, withholding=True)],
    }[variant]
    issued_on = date(2026, 1, 1) + timedelta(days=index % 300)
    invoice = Invoice(kind=kind, status="issued", year=2026, number=index + 1, issued_on=issued_on,
                      transmission_number=index + 1, customer_vat_country="IT", customer_address="Via Roma 1",
                      customer_postal_code="20121", customer_city="Milano", customer_province="MI",
                      customer_country="IT", customer_recipient_code="0000000",
                      customer_pec="mario.rossi@pec.example.it" if index % 2 else "",
                      causale=f"Procedura di composizione della crisi, pratica {reference}",
                      due_on=issued_on + timedelta(days=30), payment_method="MP05", iban=prefs.iban,
                      lines=lines, **customer)
    linked = [fatturapa.Linked("1/2026", date(2026, 1, 2), (3,) if kind == "final" else ())] \
        if kind in ("final", "credit_note") else []
    return invoice, prefs, linked


def generate(invoice, prefs, linked) -> bytes:
    result = totals.compute(invoice, prefs)
    totals.apply(invoice, result)
    return fatturapa.build(TENANT, invoice, prefs, result, linked)


def validate(schema, xml: bytes) -> None:
    if not schema.validate(etree.fromstring(xml)):
        sys.exit(f"documento non valido: {schema.error_log}")


def generate_and_validate(schema, cases) -> float:
    start = time.perf_counter()
    for case in cases:
        validate(schema, generate(*case))
    return time.perf_counter() - start


def validate_only(schema, documents) -> float:
    start = time.perf_counter()
    for xml in documents:
        validate(schema, xml)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    schema = fatturapa.schema(str(SCHEMA_DIR))
    cases = [make(index) for index in range(options.count)]
    documents = [generate(*case) for case in cases]
    sizes = [len(xml) for xml in documents]
    both, alone = [], []
    for _ in range(options.rounds):
        both.append(generate_and_validate(schema, cases))
        alone.append(validate_only(schema, documents))
    full, base = statistics.median(both), statistics.median(alone)
    print(f"FatturaPA FPR12, schema 1.2.2: {options.count} fatture, {options.rounds} giri alternati "
          f"(mediana), documenti di {min(sizes)}-{max(sizes)} byte")
    print(f"{'misura':<34}{'secondi':>10}{'fatture/s':>12}{'ms/fattura':>12}")
    for label, seconds in (("generazione + validazione", full), ("sola validazione (riferimento)", base)):
        print(f"{label:<34}{seconds:>10.3f}{options.count / seconds:>12.0f}{1000 * seconds / options.count:>12.3f}")
    print(f"rapporto generazione+validazione / sola validazione: {full / base:.2f}x "
          f"(la generazione aggiunge {1000 * (full - base) / options.count:.3f} ms a fattura)")


if __name__ == "__main__":
    main()
