"""The official schemas and real PEC messages that live beside the repository (``../shared/data``, or the folder
named by ``OCC_SHARED_DATA``), and PEC envelopes built around them for tests."""
from __future__ import annotations

import base64
import os
from pathlib import Path

SHARED_DATA = Path(os.environ.get("OCC_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
PEC = SHARED_DATA / "pec"
TRANSPORT = PEC / "go-pec__email_3.eml"
IDENTIFICATIVO = "CZPXCJRZKQDRVYXFAZYUIAWNACDAAHEVAEXAKN@example.com"


def original_of_transport() -> bytes:
    """postacert.eml of the busta di trasporto, cut out by hand: from its first header to the CRLF that opens
    the provider's signature boundary (RFC 2046: that line end belongs to the boundary)."""
    raw = TRANSPORT.read_bytes()
    return raw[raw.index(b"Received: from example (example [127.0.0.1])"):
               raw.index(b"\r\n------B4AB3697AC6503157C6A512A44E9D900\r\nContent-Type: application/pkcs7-signature")]


def original_with_attachments() -> bytes:
    """The original message inside the consegna receipt go-pec__email_2.eml, with its two PDF attachments."""
    raw = (PEC / "go-pec__email_2.eml").read_bytes()
    return raw[raw.index(b"Received: from example.com (example.example.com"):
               raw.index(b"\n------------=_1620909330-7034-4196--")]


def daticert_of(identificativo: str) -> bytes:
    """The daticert.xml of the real busta, with another identificativo."""
    return (PEC / "go-pec__email_3__daticert.xml").read_bytes().replace(
        IDENTIFICATIVO.encode(), identificativo.encode(), 1)


def busta(original: bytes, identificativo="opec.20260301.1@pec.example.it", headers=b"X-Trasporto: posta-certificata",
          daticert=None):
    """A busta di trasporto as providers build it (S/MIME envelope, notice, daticert.xml, postacert.eml)."""
    daticert = daticert or daticert_of(identificativo)
    return b"\r\n".join([
        b"From: \"Per conto di: no-reply@example.com\" <posta-certificata@example.com>", headers,
        b"Subject: POSTA CERTIFICATA: Subject", b"MIME-Version: 1.0",
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg="sha-256"; boundary="OUT"',
        b"", b"This is an S/MIME signed message", b"", b"--OUT", b'Content-Type: multipart/mixed; boundary="IN"', b"",
        b"--IN", b"Content-Type: text/plain; charset=utf-8", b"", b"Messaggio di posta certificata", b"",
        b"--IN", b'Content-Type: application/xml; name="daticert.xml"',
        b'Content-Disposition: inline; filename="daticert.xml"', b"Content-Transfer-Encoding: base64", b"",
        base64.encodebytes(daticert).strip(), b"",
        b"--IN", b'Content-Type: message/rfc822; name="postacert.eml"',
        b'Content-Disposition: inline; filename="postacert.eml"', b"", original,
        b"--IN--", b"", b"--OUT", b'Content-Type: application/pkcs7-signature; name="smime.p7s"',
        b"Content-Transfer-Encoding: base64", b"", b"MII=", b"--OUT--", b""])
