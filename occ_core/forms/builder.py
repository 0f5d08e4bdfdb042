"""The default templates are written as short text files (``library/*.txt``) and made into real ODT here,
with the Order's letterhead in the page header: the sources stay readable in the repository, the Order
downloads a document that LibreOffice and Word open and edit like any other.

The source, after a header of ``name: value`` lines and a line ``---``:

- paragraphs are separated by an empty line (the lines of one paragraph are joined);
- ``# text`` a title, ``## text`` a heading;
- ``@ text`` a line of the addressee's block (on the right, as in Italian letters), ``> text`` a line
  aligned to the right (place and date, signatures), ``- text`` an item of a list, ``! text`` small print;
- ``| a | b |`` rows of a table (the first is its heading, repeated on every page); ``%% 8 3 3`` before a
  table gives the relative widths of its columns;
- ``**text**`` bold, within any line.

Placeholders (``{{ ... }}``, ``{% ... %}``) are plain text to the builder: a row or a paragraph holding only
``{% ... %}`` is what ``rendering`` lifts to repeat or leave out a row or a paragraph."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from occ_core.forms.rendering import ODT_MEDIA_TYPE, pack

TEXT_WIDTH_CM = 17.0
BOLD = re.compile(r"\*\*(.+?)\*\*")
NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"')
FONTS = ('<office:font-face-decls><style:font-face style:name="Liberation Serif" '
         'svg:font-family="&apos;Liberation Serif&apos;" style:font-family-generic="roman" '
         'style:font-pitch="variable"/></office:font-face-decls>')
PARAGRAPH_STYLES = {
    # name: (paragraph properties, text properties)
    "Standard": ('fo:text-align="justify" fo:margin-top="0cm" fo:margin-bottom="0.25cm" fo:line-height="125%"',
                 'style:font-name="Liberation Serif" fo:font-size="11pt" fo:language="it" fo:country="IT"'),
    "Titolo": ('fo:text-align="center" fo:margin-top="0.4cm" fo:margin-bottom="0.4cm" fo:keep-with-next="always"',
               'fo:font-size="13pt" fo:font-weight="bold"'),
    "Sezione": ('fo:text-align="start" fo:margin-top="0.35cm" fo:margin-bottom="0.15cm" fo:keep-with-next="always"',
                'fo:font-weight="bold"'),
    "Destinatario": ('fo:text-align="start" fo:margin-left="9cm" fo:margin-top="0cm" fo:margin-bottom="0cm"', ''),
    "Destra": ('fo:text-align="end" fo:margin-top="0cm" fo:margin-bottom="0cm"', ''),
    "Elenco": ('fo:text-align="justify" fo:margin-left="0.8cm" fo:text-indent="-0.4cm" fo:margin-bottom="0.1cm"', ''),
    "Nota": ('fo:text-align="justify" fo:margin-bottom="0.15cm"', 'fo:font-size="9pt"'),
    "Cella": ('fo:text-align="start" fo:margin-bottom="0cm"', 'fo:font-size="10pt"'),
    "Intestazione_tabella": ('fo:text-align="start" fo:margin-bottom="0cm"',
                             'fo:font-size="10pt" fo:font-weight="bold"'),
    "Intestazione": ('fo:text-align="center" fo:margin-bottom="0cm"', 'fo:font-size="9pt"'),
    "Intestazione_nome": ('fo:text-align="center" fo:margin-bottom="0cm"', 'fo:font-size="12pt" fo:font-weight="bold"'),
    "Pie": ('fo:text-align="center" fo:margin-bottom="0cm"', 'fo:font-size="8pt"'),
}
MARKERS = {"# ": "Titolo", "## ": "Sezione", "@ ": "Destinatario", "> ": "Destra", "- ": "Elenco", "! ": "Nota"}
LETTERHEAD = ("{{ ordine.occ }}", "{{ ordine.nome }}",
              "{{ ordine.indirizzo_completo }} – PEC {{ ordine.pec }}{% if ordine.telefono %} – tel. "
              "{{ ordine.telefono }}{% endif %}")
FOOTER = "{{ ordine.occ }} – pratica n. {{ pratica.riferimento }} – pagina "


@dataclass
class Source:
    """A library source: its header values and its body."""
    meta: dict
    body: str


def parse(text: str) -> Source:
    head, separator, body = text.partition("\n---\n")
    if not separator:
        raise ValueError("a library source needs a header and a line ---")
    meta = {}
    for line in head.splitlines():
        if line.strip():
            name, _colon, value = line.partition(":")
            meta[name.strip()] = value.strip()
    return Source(meta, body)


def inline(text: str) -> str:
    """Escaped text with ``**bold**`` spans (the quotes inside placeholders come back as secretary reads them)."""
    parts, last = [], 0
    for match in BOLD.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(f'<text:span text:style-name="Grassetto">{escape(match.group(1))}</text:span>')
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


def paragraph(style: str, text: str) -> str:
    return f'<text:p text:style-name="{style}">{inline(text)}</text:p>'


@dataclass
class Table:
    widths: list[float] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def columns(self) -> int:
        return max(len(row) for row in self.rows)

    def xml(self, number: int) -> str:
        columns, name = self.columns, f"Tabella{number}"
        out = [f'<table:table table:name="{name}" table:style-name="{name}">']
        out += [f'<table:table-column table:style-name="{name}.C{index}"/>' for index in range(columns)]
        for index, row in enumerate(self.rows):
            cells = row + [""] * (columns - len(row))
            style = "Intestazione_tabella" if index == 0 else "Cella"
            cells_xml = "".join(f'<table:table-cell table:style-name="Bordo" office:value-type="string">'
                                f'{paragraph(style, cell)}</table:table-cell>' for cell in cells)
            row_xml = f"<table:table-row>{cells_xml}</table:table-row>"
            out.append(f"<table:table-header-rows>{row_xml}</table:table-header-rows>" if index == 0 else row_xml)
        out.append("</table:table>")
        return "".join(out)

    def styles(self, number: int) -> str:
        widths = self.widths if len(self.widths) == self.columns else [1.0] * self.columns
        name, total = f"Tabella{number}", sum(widths)
        out = [f'<style:style style:name="{name}" style:family="table"><style:table-properties '
               f'style:width="{TEXT_WIDTH_CM}cm" table:align="margins" fo:margin-top="0.1cm" '
               f'fo:margin-bottom="0.3cm"/></style:style>']
        out += [f'<style:style style:name="{name}.C{index}" style:family="table-column"><style:table-column-properties '
                f'style:column-width="{TEXT_WIDTH_CM * width / total:.2f}cm"/></style:style>'
                for index, width in enumerate(widths)]
        return "".join(out)


def body_xml(body: str) -> tuple[str, str]:
    """The office:text content and the automatic styles of its tables."""
    out, styles, lines, table, widths = [], [], [], None, []

    def flush_paragraph():
        if lines:
            out.append(paragraph("Standard", " ".join(lines)))
            lines.clear()

    def flush_table():
        nonlocal table
        if table is not None:
            number = len(styles) + 1
            out.append(table.xml(number))
            styles.append(table.styles(number))
            table = None

    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            flush_paragraph()
            if table is None:
                table, widths = Table(widths=widths), []
            table.rows.append([cell.strip() for cell in line.strip("|").split("|")])
            continue
        flush_table()
        if not line:
            flush_paragraph()
        elif line.startswith("%% "):
            widths = [float(value) for value in line[3:].split()]
        elif marker := next((m for m in MARKERS if line.startswith(m)), None):
            flush_paragraph()
            text = line[len(marker):]
            out.append(paragraph(MARKERS[marker], ("– " if marker == "- " else "") + text))
        else:
            lines.append(line)
    flush_paragraph()
    flush_table()
    return "".join(out), "".join(styles)


def _style(name: str, family_props: tuple[str, str]) -> str:
    paragraph_props, text_props = family_props
    parent = '' if name == "Standard" else ' style:parent-style-name="Standard"'
    return (f'<style:style style:name="{name}" style:display-name="{name.replace("_", " ")}" '
            f'style:family="paragraph"{parent}><style:paragraph-properties {paragraph_props}/>'
            f'<style:text-properties {text_props}/></style:style>')


def styles_xml() -> str:
    named = "".join(_style(name, props) for name, props in PARAGRAPH_STYLES.items())
    header = "".join(paragraph("Intestazione_nome" if index == 0 else "Intestazione", line)
                     for index, line in enumerate(LETTERHEAD))
    footer = (f'<text:p text:style-name="Pie">{escape(FOOTER)}'
              '<text:page-number text:select-page="current">1</text:page-number></text:p>')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NAMESPACES}>{FONTS}<office:styles>'
        '<style:default-style style:family="paragraph"><style:text-properties style:font-name="Liberation Serif" '
        f'fo:font-size="11pt" fo:language="it" fo:country="IT"/></style:default-style>{named}'
        '<style:style style:name="Grassetto" style:family="text"><style:text-properties fo:font-weight="bold"/>'
        '</style:style></office:styles><office:automatic-styles>'
        '<style:page-layout style:name="A4"><style:page-layout-properties fo:page-width="21cm" '
        'fo:page-height="29.7cm" style:print-orientation="portrait" fo:margin-top="1.2cm" fo:margin-bottom="1.2cm" '
        'fo:margin-left="2cm" fo:margin-right="2cm"/><style:header-style><style:header-footer-properties '
        'fo:min-height="0cm" fo:margin-bottom="0.5cm" fo:padding-bottom="0.15cm" '
        'fo:border-bottom="0.5pt solid #000000"/></style:header-style><style:footer-style>'
        '<style:header-footer-properties fo:min-height="0cm" fo:margin-top="0.4cm"/></style:footer-style>'
        '</style:page-layout></office:automatic-styles><office:master-styles>'
        f'<style:master-page style:name="Standard" style:page-layout-name="A4"><style:header>{header}</style:header>'
        f'<style:footer>{footer}</style:footer></style:master-page></office:master-styles></office:document-styles>')


def content_xml(body: str) -> str:
    text, table_styles = body_xml(body)
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES}>{FONTS}'
            '<office:automatic-styles><style:style style:name="Bordo" style:family="table-cell">'
            '<style:table-cell-properties fo:padding="0.08cm" fo:border="0.5pt solid #000000"/></style:style>'
            f'{table_styles}</office:automatic-styles><office:body><office:text>{text}</office:text>'
            '</office:body></office:document-content>')


def meta_xml(title: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {NAMESPACES}><office:meta>'
            f'<dc:title>{escape(title)}</dc:title><meta:generator>Piattaforma OCC</meta:generator>'
            '</office:meta></office:document-meta>')


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    f'<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="{ODT_MEDIA_TYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    '</manifest:manifest>')


def build(source: Source) -> bytes:
    """The ODT of a library source."""
    return pack({"mimetype": ODT_MEDIA_TYPE.encode(), "content.xml": content_xml(source.body).encode("utf-8"),
                 "styles.xml": styles_xml().encode("utf-8"),
                 "meta.xml": meta_xml(source.meta.get("titolo", "")).encode("utf-8"),
                 "META-INF/manifest.xml": MANIFEST.encode("utf-8")})
