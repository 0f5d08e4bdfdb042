"""Content a template takes from outside its file (which LibreOffice would fetch on the server) is refused;
what is embedded, and hyperlinks, are not."""
from __future__ import annotations

import pytest

from occ_core.forms.links import external_content
from occ_core.forms.rendering import unpack

from .conftest import odt

XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
DRAW = 'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"'


def image(href: str) -> str:
    return f'<text:p><draw:frame {DRAW} {XLINK}><draw:image xlink:href="{href}"/></draw:frame></text:p>'


def problems_of(body: str = "", header: str = "", embedded: bytes = b"<document-content/>") -> list[str]:
    """The problems of a document with ``body`` and page ``header``, a picture, and an object whose content is
    ``embedded``."""
    files = {**unpack(odt(body, header=header)), "Pictures/logo.png": b"\x89PNG", "Object 1/content.xml": embedded}
    return [str(problem) for problem in external_content(files)]


def test_embedded_content_and_hyperlinks_are_accepted():
    body = (image("Pictures/logo.png")
            + f'<text:p><draw:frame {DRAW} {XLINK}><draw:object xlink:href="./Object 1"/></draw:frame></text:p>'
            + f'<text:p {XLINK}><text:a xlink:href="https://www.ordineavvocati.milano.it">sito</text:a>'
            '<text:a xlink:href="file:///etc/passwd">solo un link</text:a></text:p>')
    assert problems_of(body) == []


@pytest.mark.parametrize("body, what, href", [
    (f'<text:section text:name="S" {XLINK}><text:section-source xlink:href="file:///etc/passwd"/></text:section>',
     "una sezione", "file:///etc/passwd"),
    (image("http://intranet.example.it/logo.png"), "un'immagine", "http://intranet.example.it/logo.png"),
    (image("../../etc/hostname"), "un'immagine", "../../etc/hostname"),
    (image("/etc/hostname"), "un'immagine", "/etc/hostname"),
    (image("Pictures/missing.png"), "un'immagine", "Pictures/missing.png"),
    (f'<text:p><draw:frame {DRAW} {XLINK}><draw:object xlink:href="file:///srv/foglio.ods"/></draw:frame></text:p>',
     "un oggetto", "file:///srv/foglio.ods"),
    # Another prefix for the same namespaces does not hide the element.
    ('<x:section-source xmlns:x="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
     'xmlns:l="http://www.w3.org/1999/xlink" l:href="smb://server/condiviso/testo.odt"/>', "una sezione", "smb://server/condiviso/testo.odt"),
    ('<text:dde-connection-decls><text:dde-connection-decl office:name="d" office:dde-application="soffice" '
     'office:dde-topic="/etc/passwd" office:dde-item="x"/></text:dde-connection-decls>',
     "dati di un altro programma (DDE)", "/etc/passwd"),
])
def test_content_linked_from_outside_is_refused_with_what_and_where_it_points(body, what, href):
    assert problems_of(body) == [
        f"il documento contiene un collegamento esterno per {what} («{href}»): inserisca il contenuto nel documento "
        "invece di collegarlo (in LibreOffice: Modifica › Collegamenti a file esterni › Scollega; per una sezione: "
        "Formato › Sezioni, togliendo il collegamento al file) e carichi di nuovo il modello"]


def test_the_page_styles_and_embedded_objects_are_looked_at_too():
    header = f'<style:background-image {XLINK} xlink:href="https://example.com/sfondo.png"/>'
    embedded = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                f'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" {XLINK}>'
                '<text:section-source xlink:href="file:///etc/shadow"/></office:document-content>').encode()
    problems = problems_of(header=header, embedded=embedded)
    assert len(problems) == 2
    assert "un'immagine («https://example.com/sfondo.png»)" in problems[0]
    assert "una sezione («file:///etc/shadow»)" in problems[1]
