"""Small, well-formed files of each accepted type, for the tests and the demo Order's documents."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

DATA_OID = bytes.fromhex("06092a864886f70d010701")  # CMS id-data
SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")


def pdf(text: str = "Documento di prova") -> bytes:
    """A one-page PDF that viewers open, with a correct cross-reference table."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")
    stream = b"BT /F1 14 Tf 72 760 Td (" + escaped + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 2, height: int = 2) -> bytes:
    """A grey PNG of the given size."""
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b""))


def jpeg() -> bytes:
    """The start of a JFIF image (enough for the type check; not a picture to look at)."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def tiff() -> bytes:
    """A little-endian TIFF header with an empty directory."""
    return b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"


def zip_archive(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            # OpenDocument wants "mimetype" first and uncompressed.
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def odt(text: str = "Documento di prova") -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
               f'<text:p>{text}</text:p></office:text></office:body></office:document-content>')
    return zip_archive([("mimetype", b"application/vnd.oasis.opendocument.text"),
                 ("content.xml", content.encode()),
                 ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest '
                  b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')])


def docx(text: str = "Documento di prova") -> bytes:
    return zip_archive([("[Content_Types].xml", b'<?xml version="1.0"?><Types '
                  b'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
                 ("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org'
                  f'/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body>'
                  '</w:document>'.encode())])


def fattura_xml() -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<p:FatturaElettronica versione="FPR12" '
            'xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">'
            '<FatturaElettronicaHeader/><FatturaElettronicaBody/></p:FatturaElettronica>\n').encode()


def csv_text() -> bytes:
    return "Creditore;Importo;Privilegio\nBanca Alfa;12.500,00;ipotecario\nFinanziaria Beta;3.200,50;chirografario\n" \
        .encode("utf-8")


def plain_text() -> bytes:
    return "Nota della segreteria: il debitore consegnerà le dichiarazioni dei redditi entro venerdì.\n".encode()


def eml() -> bytes:
    return (b"Received: from mx.pec.example.it by pec.example.it; Mon, 3 Mar 2025 10:00:00 +0100\r\n"
            b"From: debitore@example.it\r\nTo: occ@pec.example.it\r\nSubject: Integrazione documenti\r\n"
            b"Date: Mon, 3 Mar 2025 10:00:00 +0100\r\nMessage-ID: <1@example.it>\r\n\r\n"
            b"Allego le buste paga richieste.\r\n")


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def p7m(payload: bytes | None = None) -> bytes:
    """A CMS SignedData envelope around ``payload`` (a PDF by default), shaped like a CAdES .p7m
    (the signature itself is left out: the type check reads the envelope, not the signature)."""
    content = _der(0x30, DATA_OID + _der(0xA0, _der(0x04, payload if payload is not None else pdf())))
    signed = _der(0x30, _der(0x02, b"\x01") + _der(0x31, b"") + content + _der(0x31, b""))
    return _der(0x30, SIGNED_DATA_OID + _der(0xA0, signed))


def executable() -> bytes:
    """The start of a Windows program (MZ header): never accepted, whatever its name."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
