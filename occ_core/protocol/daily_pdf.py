"""The daily register as PDF: PDF/A-2b converted by LibreOffice from a flat OpenDocument text, or a plain PDF
drawn with fpdf2 where LibreOffice is not installed or fails.

Many days go in one LibreOffice start (``render`` takes a list, ``occ_core.office.run`` converts them at
once): starting LibreOffice costs more than converting a day."""
from __future__ import annotations

import logging
import re
import textwrap
from pathlib import Path

from chameleon import PageTemplateFile
from fpdf import FPDF

from occ_core.deadlines.calendar import long_date
from occ_core.office import START_SECONDS, ConversionFailed, run
from occ_core.protocol.daily import TITLE, DayContent, stamp
from occ_core.protocol.numbering import reference

log = logging.getLogger(__name__)

PDFA, PLAIN = "PDF/A-2b", "PDF"
# writer_pdf_Export with SelectPdfVersion 2: PDF/A-2b (fonts embedded, XMP with pdfaid:part 2).
PDFA_FILTER = ('pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},'
               '"UseTaggedPDF":{"type":"boolean","value":"false"}}')
TEMPLATE = PageTemplateFile(str(Path(__file__).parent / "templates" / "daily_register_fodt.pt"))
# Widths in cm of the columns of each table, on A4 landscape with 1.2 cm margins (27.3 cm of text).
COLUMNS = {"meta": (8.0, 19.3), "registrations": (2.4, 2.9, 2.2, 5.5, 8.3, 3.0, 3.0),
           "annulments": (2.4, 2.9, 3.5, 11.5, 7.0), "corrections": (2.4, 2.9, 3.0, 3.0, 6.0, 6.0, 4.0)}
# Characters XML 1.0 does not allow: a stray one in a subject would make the whole document unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SECONDS_PER_LINE = 0.02
# Writer lays a table out again as it grows, in time that grows with the square of its rows (2,000 rows in one
# table: 30 s, in tables of 100: 7 s): a long day goes in consecutive tables of this many registrations.
TABLE_ROWS = 100


def number(year: int, value: int | None) -> str:
    return reference(year, value) if value is not None else "nessuna"


def metadata(content: DayContent) -> list[tuple[str, str]]:
    """The register's own data, at the top of the document (the PDF's metadata repeat the main ones)."""
    year = content.day.year
    return [
        ("Oggetto", TITLE),
        ("Identificativo", content.identifier),
        ("Ente", content.order_name),
        ("Codice IPA dell'amministrazione", content.ipa_code or "non indicato"),
        ("Codice dell'area organizzativa omogenea (AOO)", content.aoo_code or "non indicato"),
        ("Registro", f"{content.register_code} - {content.register_name}"),
        ("Giorno", long_date(content.day)),
        ("Numero progressivo del registro giornaliero", f"{content.sequence} del {year}"),
        ("Prima registrazione del giorno", number(year, content.first_number)),
        ("Ultima registrazione del giorno", number(year, content.last_number)),
        ("Registrazioni", str(len(content.registrations))),
        ("Annullamenti", str(len(content.annulments))),
        ("Correzioni", str(len(content.corrections))),
        ("Prodotto da", content.producer),
        ("Prodotto il", stamp(content.produced_at)),
        ("Impronta SHA-256 del file CSV dello stesso registro", content.csv_sha256),
    ]


def chunks(items: list, size: int = TABLE_ROWS) -> list[list]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def fodt(content: DayContent) -> str:
    text = TEMPLATE(content=content, title=TITLE, metadata=metadata(content), columns=COLUMNS, number=number,
                    stamp=stamp, long_date=long_date, chunks=chunks)
    return NOT_XML.sub(" ", text)


def render(contents: list[DayContent], soffice: str | None) -> tuple[list[bytes], str]:
    """The PDFs of ``contents`` and their format: PDF/A-2b when LibreOffice converts them, plain PDF otherwise.

    A failed conversion falls back to the plain PDF rather than leaving days without a register: the format
    is recorded in each register, and the norm's deadline (the next working day) matters more."""
    if not contents:
        return [], PDFA if soffice else PLAIN
    if soffice:
        timeout = START_SECONDS + SECONDS_PER_LINE * sum(content.size + 1 for content in contents)
        try:
            sources = [(fodt(content).encode("utf-8"), ".fodt") for content in contents]
            return run(soffice, sources, PDFA_FILTER, timeout), PDFA
        except ConversionFailed as error:
            log.error("daily protocol register: PDF/A conversion failed, writing a plain PDF instead: %s",
                      error.detail)
    return [plain_pdf(content) for content in contents], PLAIN


# --- plain PDF (fpdf2) -------------------------------------------------------------------------------
# A printed listing in a fixed-width font, wrapped here: fpdf2's own tables break lines in time that grows
# with the square of a cell's text (a day of 5,000 registrations took a minute), a fixed-width font needs
# no measuring at all.

# The standard PDF fonts know only Latin-1: typographic punctuation becomes its plain form, the rest "?".
TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                             "\u2014": "-", "\u2026": "...", "\u20ac": "EUR", "\u00b7": "-"})
FONT_SIZE, LINE_MM, GAP = 7, 3.1, "  "
# Characters per column (Courier 7 pt: 184 to a line of A4 landscape with 12 mm margins).
WIDTHS = {"meta": (50, 132), "registrations": (12, 19, 12, 34, 52, 22, 21), "annulments": (12, 19, 24, 70, 51),
          "corrections": (12, 19, 21, 20, 36, 36, 28)}
HEADERS = {
    "meta": ("Dato", "Valore"),
    "registrations": ("Numero", "Data e ora", "Verso, mezzo", "Mittente o destinatari", "Oggetto",
                      "Documento ricevuto", "Operatore"),
    "annulments": ("Numero", "Data e ora", "Operatore", "Motivo", "Provvedimento di autorizzazione"),
    "corrections": ("Numero", "Data e ora", "Operatore", "Dato corretto", "Valore precedente", "Nuovo valore",
                    "Motivo"),
}
FILES_INDENT = " " * (WIDTHS["registrations"][0] + len(GAP))


def latin1(text) -> str:
    return str(text).translate(TYPOGRAPHIC).encode("latin-1", "replace").decode("latin-1")


def text_row(widths, values) -> list[str]:
    """One row of a fixed-width table: each value wrapped in its column, the columns side by side."""
    columns = [textwrap.wrap(latin1(value), width) or [""] for value, width in zip(values, widths)]
    return [GAP.join((column[line] if line < len(column) else "").ljust(width)
                     for column, width in zip(columns, widths)).rstrip()
            for line in range(max(map(len, columns)))]


class _PlainPdf(FPDF):
    footer_text = ""
    running_header: list[str] = []

    def header(self):
        if self.page_no() > 1 and self.running_header:
            self._lines(self.running_header, bold=True)

    def footer(self):
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, f"{self.footer_text}{self.page_no()} di {{nb}}", align="C")

    def _lines(self, lines, bold=False):
        """Lines placed as they are (``text``: ten times quicker than ``cell``, which measures and wraps)."""
        for line in lines:
            if self.y + LINE_MM > self.page_break_trigger:  # a block longer than a page (a hundred attachments)
                self.add_page()
            self.set_font("Courier", "B" if bold else "", FONT_SIZE)
            self.text(self.l_margin, self.y + LINE_MM * 0.75, line)
            self.set_y(self.y + LINE_MM)

    def heading(self, text, size=11):
        self.set_font("Helvetica", "B", size)
        self.ln(2)
        self.cell(0, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def block(self, lines):
        """Lines kept on one page when they fit (a registration is not split across two)."""
        if self.get_y() + LINE_MM * (len(lines) + 1) > self.page_break_trigger:
            self.add_page()
        self._lines(lines)
        self.ln(0.8)

    def section(self, name, title, empty, rows):
        self.heading(title)
        if not rows:
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, empty, new_x="LMARGIN", new_y="NEXT")
            return
        self.running_header = text_row(WIDTHS[name], HEADERS[name])
        self._lines(self.running_header, bold=True)
        for lines in rows:
            self.block(lines)
        self.running_header = []


def _registration_lines(item) -> list[str]:
    values = item.values
    received = " n. ".join(filter(None, (values["received_doc_date"], values["received_doc_number"])))
    lines = text_row(WIDTHS["registrations"], (
        number(item.year, item.number), stamp(item.at), f"{item.direction}, {values['means']}",
        item.correspondents, values["subject"], received, item.operator))
    return lines + [FILES_INDENT + latin1(f"{name} ({role}) SHA-256 {digest}") for role, name, digest in item.files]


def plain_pdf(content: DayContent) -> bytes:
    pdf = _PlainPdf(orientation="L", unit="mm", format="A4")
    pdf.footer_text = latin1(f"{TITLE} {content.identifier} - {content.order_name} - pagina ")
    pdf.set_title(TITLE)
    pdf.set_subject(f"{TITLE} {content.identifier}")
    pdf.set_keywords(f"{content.identifier} registro {content.register_code} {content.day.isoformat()}")
    pdf.set_author(latin1(content.order_name))
    pdf.set_creator(latin1(content.producer))
    pdf.set_creation_date(content.produced_at)
    pdf.set_margins(12, 10, 12)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.heading(TITLE, size=15)
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, latin1(f"{content.order_name} - registro {content.register_code} ({content.register_name}) - "
                          f"{long_date(content.day)}"), new_x="LMARGIN", new_y="NEXT")
    pdf.section("meta", "Dati del registro", "", [text_row(WIDTHS["meta"], pair) for pair in metadata(content)])
    pdf.section("registrations", "Registrazioni del giorno", "Nessuna registrazione di protocollo in questo giorno.",
              [_registration_lines(item) for item in content.registrations])
    pdf.section("annulments", "Annullamenti del giorno", "Nessun annullamento in questo giorno.",
              [text_row(WIDTHS["annulments"], (number(item.year, item.number), stamp(item.at), item.operator,
                                               item.reason, item.act)) for item in content.annulments])
    pdf.section("corrections", "Correzioni del giorno", "Nessuna correzione in questo giorno.",
              [text_row(WIDTHS["corrections"], (number(item.year, item.number), stamp(item.at), item.operator,
                                                item.field, item.old, item.new, item.reason))
               for item in content.corrections])
    pdf.heading(f"Fine del registro giornaliero {content.identifier}", size=10)
    return bytes(pdf.output())
