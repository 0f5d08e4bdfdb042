"""Protocolling an incoming PEC from the real messages in ../shared/data/pec: the original message is the
primary document byte for byte, its attachments follow; receipts and non-PEC messages are refused."""
import base64
import hashlib
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from occ_core.documents import samples
from occ_core.documents.models import Document
from occ_core.errors import UserError
from occ_core.protocol import pec_import, services
from occ_core.protocol.models import Registration

from occ_core.testing.shared_data import (
    IDENTIFICATIVO, PEC, TRANSPORT, busta, daticert_of, original_of_transport, original_with_attachments)

def protocol(protocol_env, order, raw, **data):
    with protocol_env(order) as env:
        return pec_import.protocol_pec(env, raw, data).id


def files_of(dbtx, order, registration_id):
    with dbtx(order) as db:
        registration = db.get(Registration, registration_id)
        return registration, [(f.filename, f.media_type, f.sha256, f.document_id) for f in registration.files]


def test_the_real_transport_envelope_is_protocolled(order, protocol_env, dbtx):
    registration, files = files_of(dbtx, order, protocol(protocol_env, order, TRANSPORT.read_bytes()))
    assert (registration.direction, registration.means, registration.source) == ("entrata", "pec", "pec")
    assert registration.subject == "POSTA CERTIFICATA: SUBJECT"  # the original message's own subject
    assert registration.correspondent_names == "no-reply@example.com"
    assert registration.source_ref == IDENTIFICATIVO
    assert registration.received_doc_date == date(2021, 5, 14)
    assert IDENTIFICATIVO in registration.notes and "14/05/2021 12:02" in registration.notes
    assert files == [("postacert.eml", "message/rfc822", hashlib.sha256(original_of_transport()).digest(), None)]


def test_attachments_of_the_original_message_with_their_impronta(order, protocol_env, dbtx):
    original = original_with_attachments()
    registration_id = protocol(protocol_env, order, busta(original), dossier="1/2025")
    registration, files = files_of(dbtx, order, registration_id)
    attachment = base64.b64decode(b"J..GCg==")  # what the sample's (placeholder) PDF parts decode to
    assert [(name, media_type, digest) for name, media_type, digest, _doc in files] == [
        ("postacert.eml", "message/rfc822", hashlib.sha256(original).digest()),
        ("=pdf.pdf?=", "application/octet-stream", hashlib.sha256(attachment).digest()),
        ("=pdf.pdf?=", "application/octet-stream", hashlib.sha256(attachment).digest())]
    assert registration.subject == "Subject" and registration.correspondent_names == "no-reply"
    assert registration.dossier_id == order.dossier_id
    # The message is filed in the dossier; the attachments, of no accepted type, only in the protocol (and
    # inside the message itself).
    with dbtx(order) as db:
        filed = db.scalars(select(Document).where(Document.dossier_id == order.dossier_id)).all()
    assert [d.id for d in filed] == [files[0][3]] and files[1][3] is None


def test_the_same_pec_is_protocolled_once(order, protocol_env, snapshot):
    protocol(protocol_env, order, TRANSPORT.read_bytes())
    before = snapshot()
    with pytest.raises(services.AlreadyRegistered, match="già stato protocollato: registrazione PROT"):
        protocol(protocol_env, order, TRANSPORT.read_bytes())
    assert snapshot() == before


@pytest.mark.parametrize(("name", "message"), [
    ("java-pec-parser__accettazione.eml", "è una ricevuta di accettazione, non corrispondenza"),
    ("java-pec-parser__consegna.eml", "è un avviso di mancata consegna"),
    ("go-pec__email_2.eml", "è una ricevuta di avvenuta consegna"),
])
def test_receipts_are_refused(order, protocol_env, snapshot, name, message):
    before = snapshot()
    with pytest.raises(UserError, match=message):
        protocol(protocol_env, order, (PEC / name).read_bytes())
    assert snapshot() == before


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "Selezioni il file .eml"),
    (samples.eml(), "non è un messaggio di posta elettronica certificata"),
    (samples.pdf(), "non è un messaggio di posta elettronica certificata"),
    (busta(original_of_transport(), headers=b"X-Trasporto: errore"), "busta di anomalia"),
    (busta(original_of_transport()).replace(b'message/rfc822; name="postacert.eml"', b"text/plain"),
     "non contiene il messaggio originale"),
    (busta(original_of_transport(), identificativo=""), "non riporta l'identificativo"),
])
def test_what_is_not_a_certified_message_is_refused(order, protocol_env, snapshot, raw, message):
    before = snapshot()
    with pytest.raises(UserError, match=message):
        protocol(protocol_env, order, raw)
    assert snapshot() == before


def test_daticert_with_entities_is_refused():
    hostile = daticert_of("opec.2@pec.example.it").replace(
        b"<postacert", b'<!DOCTYPE p [<!ENTITY a "aaaa">]>\n<postacert', 1)
    with pytest.raises(UserError, match="dichiarazioni non ammesse"):
        pec_import.parse(busta(original_of_transport(), daticert=hostile))


def test_a_pec_over_the_size_limit_is_refused(order, protocol_env, small_uploads, snapshot):
    before = snapshot()
    with pytest.raises(UserError, match="supera la dimensione massima consentita di 1000 byte"):
        protocol(protocol_env, order, TRANSPORT.read_bytes())
    assert snapshot() == before


CUTS = st.lists(st.tuples(st.integers(0, 10 ** 5), st.integers(0, 120), st.sampled_from(
    [b"", b"--", b"\r\n", b"\r\n\r\n", b'boundary="x"', b"Content-Type: multipart/mixed\r\n", b"message/rfc822",
     b"Content-Transfer-Encoding: base64\r\n", b'filename="=?utf-8?q?a=ZZ?="', b"\x00\xff"])), max_size=6)


@settings(max_examples=150, deadline=None)
@given(cuts=CUTS)
def test_a_damaged_pec_is_refused_or_read_never_broken(cuts):
    """Whatever a damaged or crafted .eml holds, the import answers with a message, never with an error."""
    raw = busta(original_with_attachments())
    for position, length, insert in cuts:
        position %= len(raw)
        raw = raw[:position] + insert + raw[position + length:]
    try:
        message = pec_import.parse(raw)
    except UserError:
        return
    assert message.identificativo and isinstance(message.original, bytes)
