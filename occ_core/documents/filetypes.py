"""What a file is, told from its content alone: the name and the browser's content type are ignored.

Only the formats an OCC's file holds are accepted (an allowlist): PDF, signed CAdES (.p7m), PNG,
JPEG, TIFF, OpenDocument and Office Open XML, XML (FatturaPA too), UTF-8 text and CSV, and email
messages (.eml). libmagic (python-magic) was considered and not used: it does not recognise CAdES
envelopes or CSV, its answers change with the system's magic database, and it needs a C library on
every host; the checks below are few, exact and the same everywhere."""
from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from dataclasses import dataclass

from occ_core.errors import UserError


@dataclass(frozen=True)
class FileType:
    media_type: str
    label: str
    # Extensions that fit the content; the first one is given to a download whose name has none of them.
    extensions: tuple[str, ...]
    inline: bool = False  # shown in the browser by the preview (PDF and images)


PDF = FileType("application/pdf", "PDF", (".pdf",), inline=True)
P7M = FileType("application/pkcs7-mime", "Firmato digitalmente (CAdES .p7m)", (".p7m",))
PNG = FileType("image/png", "Immagine PNG", (".png",), inline=True)
JPEG = FileType("image/jpeg", "Immagine JPEG", (".jpg", ".jpeg"), inline=True)
TIFF = FileType("image/tiff", "Immagine TIFF", (".tif", ".tiff"), inline=True)
XML = FileType("application/xml", "XML", (".xml",))
TEXT = FileType("text/plain", "Testo", (".txt",))
CSV = FileType("text/csv", "CSV", (".csv", ".txt"))
EML = FileType("message/rfc822", "Messaggio email", (".eml",))
ODF = {
    "application/vnd.oasis.opendocument.text": FileType(
        "application/vnd.oasis.opendocument.text", "Documento OpenDocument", (".odt",)),
    "application/vnd.oasis.opendocument.spreadsheet": FileType(
        "application/vnd.oasis.opendocument.spreadsheet", "Foglio di calcolo OpenDocument", (".ods",)),
    "application/vnd.oasis.opendocument.presentation": FileType(
        "application/vnd.oasis.opendocument.presentation", "Presentazione OpenDocument", (".odp",)),
    "application/vnd.oasis.opendocument.graphics": FileType(
        "application/vnd.oasis.opendocument.graphics", "Disegno OpenDocument", (".odg",)),
}
# Office Open XML: the main part's folder tells the kind of document.
OOXML = {
    "word/": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      "Documento Word", (".docx",)),
    "xl/": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "Foglio di calcolo Excel", (".xlsx",)),
    "ppt/": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                     "Presentazione PowerPoint", (".pptx",)),
}
BY_MEDIA_TYPE = {t.media_type: t for t in (PDF, P7M, PNG, JPEG, TIFF, XML, TEXT, CSV, EML,
                                           *ODF.values(), *OOXML.values())}

ACCEPTED_TEXT = ("PDF, file firmati digitalmente (.p7m), immagini PNG, JPEG o TIFF, documenti OpenDocument "
                 "o Office (.odt, .ods, .docx, .xlsx ...), XML (anche FatturaPA), testo o CSV in UTF-8 "
                 "e messaggi email (.eml)")

# The DER encoding of the OID of PKCS#7 / CMS signedData (1.2.840.113549.1.7.2), which CAdES wraps.
SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\s]+")
PEM_ARMOUR = re.compile(rb"-----(BEGIN|END) [A-Z0-9 ]+-----")
HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
# Headers that every mail system writes, so that a text with a "Nota:" line is not taken for an email.
MAIL_HEADERS = {b"from", b"received", b"return-path", b"delivered-to", b"message-id", b"mime-version"}
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg")
UTF8_BOM = b"\xef\xbb\xbf"
CSV_SEPARATORS = (";", ",", "\t")
SAMPLE = 64 * 1024  # how much of a text file the checks look at


def identify(content: bytes) -> FileType:
    """The type of ``content``; ``UserError`` (in Italian) for an empty file or a type not accepted."""
    if not content:
        raise UserError("Il file è vuoto: selezioni un file con un contenuto.", field="file")
    for check in (_binary, _office, _signed, _text):
        found = check(content)
        if found is not None:
            return found
    raise UserError(_refusal(content), field="file")


def _refusal(content: bytes) -> str:
    """Why the file is refused, as precisely as its content allows."""
    if _is_html(_head(content)):
        return "Le pagine web (HTML) non sono ammesse nel fascicolo: salvi la pagina in PDF e carichi il PDF."
    if b"\x00" not in content[:SAMPLE] and _looks_like_legacy_text(content[:SAMPLE]):
        return ("Il file di testo non è in codifica UTF-8: lo salvi di nuovo scegliendo la codifica UTF-8 "
                "(in Excel: «CSV UTF-8»), oppure lo carichi in PDF.")
    return f"Il tipo del file non è ammesso. Sono accettati: {ACCEPTED_TEXT}."


def _looks_like_legacy_text(sample: bytes) -> bool:
    """Text in an old single-byte code page (Windows-1252), as Excel and Notepad still write it."""
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.95 * len(text)


def _binary(content: bytes) -> FileType | None:
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    return None


def _office(content: bytes) -> FileType | None:
    """OpenDocument (first entry ``mimetype``) and Office Open XML (``[Content_Types].xml``) are zip
    files; any other zip is refused. Only the small ``mimetype`` entry is ever decompressed."""
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return ODF.get(declared)
            if "[Content_Types].xml" in names:
                return next((kind for folder, kind in OOXML.items() if any(n.startswith(folder) for n in names)),
                            None)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, KeyError,
            ValueError):
        return None
    return None


def _is_signed_data(der: bytes) -> bool:
    """An ASN.1 SEQUENCE (definite or indefinite length) whose first element is the signedData OID."""
    if len(der) < 2 + len(SIGNED_DATA_OID) or der[0] != 0x30:
        return False
    length = der[1]
    if length == 0x80:
        start = 2
    elif 0x81 <= length <= 0x84:
        start = 2 + (length - 0x80)
    else:
        return False
    return der[start:start + len(SIGNED_DATA_OID)] == SIGNED_DATA_OID


def _signed(content: bytes) -> FileType | None:
    if _is_signed_data(content):
        return P7M
    # Some signing tools save the envelope in base64, with or without PEM armour.
    unarmoured = PEM_ARMOUR.sub(b"", content[:SAMPLE])
    if not BASE64_TEXT.fullmatch(unarmoured):
        return None
    # The envelope's first bytes (SEQUENCE header and OID) are in the first 64 base64 characters.
    try:
        decoded = base64.b64decode(b"".join(unarmoured.split())[:64])
    except (binascii.Error, ValueError):
        return None
    return P7M if _is_signed_data(decoded) else None


def _text(content: bytes) -> FileType | None:
    """UTF-8 text without NUL bytes: XML, email, CSV or plain text. Web pages are not accepted."""
    if b"\x00" in content:
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = _head(content)
    if _is_html(head):
        return None
    if head.startswith(b"<?xml") or (head.startswith(b"<") and head[1:2].isalpha()):
        return XML
    if _is_email(head):
        return EML
    return CSV if _is_csv(text[:SAMPLE]) else TEXT


def _head(content: bytes) -> bytes:
    return content[:SAMPLE].removeprefix(UTF8_BOM).lstrip()


def _is_html(head: bytes) -> bool:
    """Markup that a browser would run as a page (HTML, XHTML, SVG); an email or a text that merely
    contains such a tag further on is not one."""
    lowered = head[:1024].lower()
    return lowered.startswith(b"<") and any(marker in lowered for marker in HTML_MARKERS)


def _is_email(head: bytes) -> bool:
    """RFC 5322 headers up to the first empty line, among them at least one that mail systems write."""
    headers, separator, _body = head.replace(b"\r\n", b"\n").partition(b"\n\n")
    if not separator:
        return False
    names = set()
    for line in headers.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded header goes on
        if not HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower())
    return bool(names & MAIL_HEADERS)


def _is_csv(text: str) -> bool:
    """At least two lines that all have the same, non-zero number of one separator."""
    lines = [line for line in text.lstrip("\ufeff").splitlines()[:20] if line.strip()]
    if len(lines) < 2:
        return False
    if not text.endswith(("\n", "\r")) and len(text) >= SAMPLE:
        lines = lines[:-1]  # the sample may cut the last line
    return any(lines[0].count(sep) > 0 and all(line.count(sep) == lines[0].count(sep) for line in lines)
               for sep in CSV_SEPARATORS)


def download_name(filename: str, file_type: FileType) -> str:
    """The uploaded name with an extension that fits the content: "lettera.exe" holding a PDF is
    downloaded as "lettera.pdf", so that no computer opens it with the wrong program."""
    lowered = filename.lower()
    if lowered.endswith(file_type.extensions):
        return filename
    stem = filename.rsplit(".", 1)[0] if "." in filename.lstrip(".") else filename
    return (stem or "documento") + file_type.extensions[0]


def type_of(media_type: str) -> FileType | None:
    return BY_MEDIA_TYPE.get(media_type)
