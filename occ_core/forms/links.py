"""Content an uploaded template takes from outside its own file, refused.

A text document may show a section, an image, an object, a table or a font kept elsewhere (a path on the
computer where it was written, a web address): LibreOffice fetches it when it converts the generated letter
to PDF, on the server, from wherever the address points (``file:///etc/...``). A template's content must
therefore be inside its file, embedded. Hyperlinks (``text:a``) are only followed by whoever reads the
letter, and stay. Elements and attributes are matched by namespace, whatever prefix the file gives them."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit
from xml.parsers import expat

from occ_core.forms.rendering import Problem

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
HREF = "http://www.w3.org/1999/xlink href"
# What each element whose address LibreOffice loads is, for the message.
LINKED = {
    f"{TEXT} section-source": "una sezione",
    f"{DRAW} image": "un'immagine",
    f"{DRAW} fill-image": "un'immagine",
    f"{STYLE} background-image": "un'immagine",
    f"{TEXT} list-level-style-image": "un'immagine",
    f"{DRAW} object": "un oggetto",
    f"{DRAW} object-ole": "un oggetto",
    f"{DRAW} plugin": "un oggetto",
    f"{DRAW} applet": "un oggetto",
    f"{DRAW} floating-frame": "un oggetto",
    f"{TABLE} table-source": "una tabella",
    f"{SVG} font-face-uri": "un carattere",
}
# Dynamic data exchange: content another program gives, whatever the address says.
DDE = {f"{OFFICE} dde-source", f"{TEXT} dde-connection-decl", f"{TABLE} dde-link"}
ADVICE = ("inserisca il contenuto nel documento invece di collegarlo (in LibreOffice: Modifica › Collegamenti a "
          "file esterni › Scollega; per una sezione: Formato › Sezioni, togliendo il collegamento al file) e carichi "
          "di nuovo il modello")


def _inside(href: str, files: dict[str, bytes]) -> bool:
    """Whether ``href`` names a part of the package ("Pictures/logo.png", "./Object 1")."""
    if urlsplit(href).scheme or href.startswith(("/", "\\")):
        return False
    name = unquote(href).removeprefix("./").rstrip("/")
    return bool(name) and ".." not in name.split("/") and (
        name in files or any(part.startswith(name + "/") for part in files))


def _found_in(xml: bytes, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """(what, address) of each element of ``xml`` that takes content from outside the package."""
    found = []

    def start(name, attributes):
        if name in DDE:
            found.append(("dati di un altro programma (DDE)", attributes.get(f"{OFFICE} dde-topic", "")))
        elif name in LINKED and HREF in attributes and not _inside(attributes[HREF], files):
            found.append((LINKED[name], attributes[HREF]))

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        pass  # reading the template says what is wrong with the part, and where
    return found


def external_content(files: dict[str, bytes]) -> list[Problem]:
    """A problem for each piece of content the document (and each object embedded in it) takes from outside."""
    problems = []
    for name, xml in files.items():
        if name.rsplit("/", 1)[-1] in ("content.xml", "styles.xml"):
            for what, href in _found_in(xml, files):
                address = f" («{href}»)" if href else ""
                problems.append(Problem(f"il documento contiene un collegamento esterno per {what}{address}: "
                                        f"{ADVICE}"))
    return problems
