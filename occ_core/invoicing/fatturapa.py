"""The FatturaPA file (formato FPR12, schema 1.2.2) of an issued invoice, and its validation.

Only the root element is in the namespace: the schema declares its elements unqualified. The file is
produced once, on issue, and kept byte for byte: it is what was sent, so it is never regenerated."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from lxml import etree

from occ_core.invoicing import numbering
from occ_core.invoicing.codes import DOCUMENT_TYPES, NATURES
from occ_core.invoicing.totals import Totals

NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
SCHEMA_FILE = "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"
SIGNATURE_SCHEMA = "xmldsig-core-schema.xsd"
# The folder holding the official schema (not shipped: the Agenzia's files are not ours to redistribute); when
# set, every file is validated against it before the invoice is issued.
SCHEMA_SETTING = "occ.fatturapa_schema_dir"
CAUSALE_CHUNK = 200
PAYMENT_TERMS = "TP02"  # pagamento completo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Linked:
    """An invoice this one refers to (DatiFattureCollegate): an advance deducted, the invoice a credit note
    corrects, with the numbers of the lines that refer to it."""

    document_number: str
    issued_on: object
    line_numbers: tuple[int, ...] = ()


def document_number(invoice) -> str:
    """The invoice's Numero: ``"12/2026"``."""
    return f"{invoice.number}/{invoice.year}"


def amount(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _add(parent, tag: str, text=None):
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _fill(parent, *pairs):
    """Sub-elements in schema order, skipping the empty optional ones."""
    for tag, text in pairs:
        if text not in (None, ""):
            _add(parent, tag, text)


def _address(parent, address, postal_code, city, province, country):
    sede = _add(parent, "Sede")
    _fill(sede, ("Indirizzo", address), ("CAP", postal_code), ("Comune", city), ("Provincia", province.upper()),
          ("Nazione", country or "IT"))


def _supplier(header, tenant, prefs):
    supplier = _add(header, "CedentePrestatore")
    data = _add(supplier, "DatiAnagrafici")
    vat = _add(data, "IdFiscaleIVA")
    _fill(vat, ("IdPaese", "IT"), ("IdCodice", tenant.partita_iva))
    _fill(data, ("CodiceFiscale", tenant.codice_fiscale.upper()))
    _fill(_add(data, "Anagrafica"), ("Denominazione", tenant.display_name[:80]))
    _add(data, "RegimeFiscale", prefs.regime)
    _address(supplier, tenant.address[:60], tenant.postal_code, tenant.city[:60], tenant.province, "IT")


def _customer(header, invoice):
    customer = _add(header, "CessionarioCommittente")
    data = _add(customer, "DatiAnagrafici")
    if invoice.customer_kind != "consumer" and invoice.customer_vat_number:
        vat = _add(data, "IdFiscaleIVA")
        _fill(vat, ("IdPaese", invoice.customer_vat_country or "IT"), ("IdCodice", invoice.customer_vat_number))
    _fill(data, ("CodiceFiscale", invoice.customer_tax_code.upper()))
    names = _add(data, "Anagrafica")
    if invoice.customer_kind == "consumer":
        _fill(names, ("Nome", invoice.customer_first_name), ("Cognome", invoice.customer_last_name))
    else:
        _fill(names, ("Denominazione", invoice.customer_company))
    _address(customer, invoice.customer_address, invoice.customer_postal_code, invoice.customer_city,
             invoice.customer_province, invoice.customer_country)


def _general(body, invoice, totals: Totals, linked):
    general = _add(body, "DatiGenerali")
    document = _add(general, "DatiGeneraliDocumento")
    _fill(document, ("TipoDocumento", DOCUMENT_TYPES[invoice.kind]), ("Divisa", "EUR"),
          ("Data", invoice.issued_on.isoformat()), ("Numero", document_number(invoice)))
    if totals.withholding:
        w = totals.withholding
        _fill(_add(document, "DatiRitenuta"), ("TipoRitenuta", w.kind), ("ImportoRitenuta", amount(w.amount)),
              ("AliquotaRitenuta", amount(w.rate)), ("CausalePagamento", w.reason))
    if totals.stamp_due:
        _fill(_add(document, "DatiBollo"), ("BolloVirtuale", "SI"), ("ImportoBollo", amount(totals.stamp_duty)))
    if totals.pension_fund:
        f = totals.pension_fund
        _fill(_add(document, "DatiCassaPrevidenziale"), ("TipoCassa", f.kind), ("AlCassa", amount(f.rate)),
              ("ImportoContributoCassa", amount(f.amount)), ("ImponibileCassa", amount(f.base)),
              ("AliquotaIVA", amount(f.vat_rate)), ("Ritenuta", "SI" if f.withheld else None), ("Natura", f.nature))
    _add(document, "ImportoTotaleDocumento", amount(totals.total))
    causale = " ".join(invoice.causale.split())
    for start in range(0, len(causale), CAUSALE_CHUNK):
        _add(document, "Causale", causale[start:start + CAUSALE_CHUNK])
    for link in linked:
        related = _add(general, "DatiFattureCollegate")
        for number in link.line_numbers:
            _add(related, "RiferimentoNumeroLinea", number)
        _fill(related, ("IdDocumento", link.document_number), ("Data", link.issued_on.isoformat()))


def _goods(body, invoice, totals: Totals):
    goods = _add(body, "DatiBeniServizi")
    for number, line in enumerate(invoice.lines, start=1):
        detail = _add(goods, "DettaglioLinee")
        _fill(detail, ("NumeroLinea", number), ("Descrizione", line.description),
              ("Quantita", f"{Decimal(line.quantity):.2f}"), ("PrezzoUnitario", amount(line.unit_price)),
              ("PrezzoTotale", amount(line.amount)), ("AliquotaIVA", amount(line.vat_rate)),
              ("Ritenuta", "SI" if line.withholding and totals.withholding else None),
              ("Natura", line.vat_nature))
    for summary in totals.summaries:
        _fill(_add(goods, "DatiRiepilogo"), ("AliquotaIVA", amount(summary.rate)), ("Natura", summary.nature),
              ("ImponibileImporto", amount(summary.taxable)), ("Imposta", amount(summary.tax)),
              ("EsigibilitaIVA", None if summary.nature else "I"),
              ("RiferimentoNormativo", NATURES.get(summary.nature, "")[:100]))


def _payment(body, invoice, totals: Totals):
    if invoice.kind == "credit_note" or totals.amount_due <= 0:
        return
    payment = _add(body, "DatiPagamento")
    _add(payment, "CondizioniPagamento", PAYMENT_TERMS)
    _fill(_add(payment, "DettaglioPagamento"), ("ModalitaPagamento", invoice.payment_method),
          ("DataScadenzaPagamento", invoice.due_on.isoformat() if invoice.due_on else None),
          ("ImportoPagamento", amount(totals.amount_due)), ("IBAN", invoice.iban))


def build(tenant, invoice, prefs, totals: Totals, linked=()) -> bytes:
    """The FPR12 file of ``invoice`` (numbered, dated, with its transmission number)."""
    root = etree.Element(f"{{{NAMESPACE}}}FatturaElettronica", nsmap={"p": NAMESPACE}, versione="FPR12")
    header = _add(root, "FatturaElettronicaHeader")
    transmission = _add(header, "DatiTrasmissione")
    sender = _add(transmission, "IdTrasmittente")
    _fill(sender, ("IdPaese", "IT"), ("IdCodice", tenant.codice_fiscale.upper() or tenant.partita_iva))
    _fill(transmission, ("ProgressivoInvio", numbering.progressive(invoice.transmission_number)),
          ("FormatoTrasmissione", "FPR12"), ("CodiceDestinatario", invoice.customer_recipient_code),
          ("PECDestinatario", invoice.customer_pec if invoice.customer_recipient_code == "0000000" else ""))
    _supplier(header, tenant, prefs)
    _customer(header, invoice)
    body = _add(root, "FatturaElettronicaBody")
    _general(body, invoice, totals, linked)
    _goods(body, invoice, totals)
    _payment(body, invoice, totals)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class StoredFund:
    kind: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Stored:
    """What an issued invoice's own file says beyond its columns: the supplier as it was on the day of issue,
    the cassa, the ritenuta's rate and the documents referred to. The courtesy copy shows these rather than
    the Order's current data and preferences, which may have changed since."""

    supplier_name: str
    supplier_address: str
    supplier_place: str
    supplier_vat_number: str
    supplier_tax_code: str
    pension_fund: StoredFund | None
    withholding_rate: Decimal | None
    linked: list[Linked]


def _parse(xml: bytes):
    return etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))


def read_back(xml: bytes) -> Stored:
    document = _parse(xml)
    supplier = document.find("FatturaElettronicaHeader/CedentePrestatore")
    general = document.find("FatturaElettronicaBody/DatiGenerali/DatiGeneraliDocumento")
    fund = general.find("DatiCassaPrevidenziale")
    rate = general.findtext("DatiRitenuta/AliquotaRitenuta")
    place = " ".join(filter(None, (supplier.findtext(f"Sede/{tag}") for tag in ("CAP", "Comune", "Provincia"))))
    return Stored(
        supplier_name=supplier.findtext("DatiAnagrafici/Anagrafica/Denominazione") or "",
        supplier_address=supplier.findtext("Sede/Indirizzo") or "", supplier_place=place,
        supplier_vat_number=supplier.findtext("DatiAnagrafici/IdFiscaleIVA/IdCodice") or "",
        supplier_tax_code=supplier.findtext("DatiAnagrafici/CodiceFiscale") or "",
        pension_fund=StoredFund(fund.findtext("TipoCassa"), Decimal(fund.findtext("AlCassa")),
                                Decimal(fund.findtext("ImportoContributoCassa"))) if fund is not None else None,
        withholding_rate=Decimal(rate) if rate else None,
        linked=[Linked(related.findtext("IdDocumento"), date.fromisoformat(related.findtext("Data")),
                       tuple(int(n.text) for n in related.iter("RiferimentoNumeroLinea")))
                for related in document.iterfind("FatturaElettronicaBody/DatiGenerali/DatiFattureCollegate")])


class _LocalSignatureSchema(etree.Resolver):
    """The FatturaPA schema imports xmldsig from the W3C site: read the copy beside it instead."""

    def __init__(self, directory: Path):
        super().__init__()
        self.directory = directory

    def resolve(self, url, pubid, context):
        if url.endswith(SIGNATURE_SCHEMA):
            return self.resolve_filename(str(self.directory / SIGNATURE_SCHEMA), context)
        return None


@lru_cache(maxsize=4)
def schema(directory: str) -> etree.XMLSchema:
    """The official schema found in ``directory`` (with its xmldsig), compiled without any network access."""
    folder = Path(directory)
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSignatureSchema(folder))
    return etree.XMLSchema(etree.parse(str(folder / SCHEMA_FILE), parser))


def configured_schema(settings) -> str | None:
    """The folder of ``occ.fatturapa_schema_dir`` if it holds the schema, else None (no validation)."""
    folder = (settings.get(SCHEMA_SETTING) or "").strip()
    if not folder:
        return None
    if not (Path(folder) / SCHEMA_FILE).is_file():
        log.warning("%s names %s, which does not hold %s: FatturaPA files are not validated", SCHEMA_SETTING,
                    folder, SCHEMA_FILE)
        return None
    return folder


def schema_errors(xml: bytes, directory) -> list[str]:
    """What the official schema says is wrong with ``xml`` (empty when valid), each with its element."""
    validator = schema(str(directory))
    if validator.validate(_parse(xml)):
        return []
    return [f"{(error.path or '').rsplit('/', 1)[-1]}: {error.message}" for error in validator.error_log]
