"""The segnatura validates against the AgID schema 3.0.0 (read from ../shared/data, never copied here), carries
the impronta as base64 of the raw digest, and its seal verifies with an independent canonicalisation."""
import base64
import hashlib
import hmac
from datetime import datetime, timezone

import pytest
from lxml import etree

from occ_core.protocol import segnatura
from occ_core.protocol.models import Registration
from occ_core.tenants.models import Tenant
from occ_core.testing.shared_data import SHARED_DATA

from .conftest import documents, incoming, outgoing

P = {"p": segnatura.PROT, "ds": segnatura.DS}


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(SHARED_DATA / "protocollo" / "segnatura_protocollo.xsd")))


@pytest.fixture
def build(order, dbtx, registry):
    def make(registration_id, tenant=order):
        with dbtx(tenant) as db:
            registration = db.get(Registration, registration_id)
            xml = segnatura.build(db, db.get(Tenant, tenant.id), registration, registry.settings["occ.secret"])
            files = [(f.filename, f.media_type, f.sha256) for f in registration.files]
        return xml, files

    return make


def valid(schema, xml: bytes):
    document = etree.fromstring(xml)
    assert schema.validate(document), schema.error_log.last_error
    return document


def texts(document, path):
    return [element.text for element in document.xpath(path, namespaces=P)]


def with_codes(dbtx, order, ipa="ordav_mi", aoo="A1B2C3"):
    with dbtx() as db:
        tenant = db.get(Tenant, order.id)
        tenant.ipa_code, tenant.aoo_code, tenant.pec = ipa, aoo, "occ@pec.ordine.example.it"


def test_incoming_with_two_attachments(order, register, build, schema, dbtx):
    with_codes(dbtx, order)
    xml, files = build(register(incoming(classification="3.2 - Rapporti con i creditori", dossier="1/2025"),
                                documents(attachments=2)))
    document = valid(schema, xml)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    identifier = "p:Intestazione/p:Identificatore/"
    assert texts(document, identifier + "p:CodiceAmministrazione") == ["ordav_mi"]
    assert texts(document, identifier + "p:CodiceAOO") == ["A1B2C3"]
    assert texts(document, identifier + "p:CodiceRegistro") == ["PROT"]
    assert texts(document, identifier + "p:NumeroRegistrazione") == ["0000001"]
    assert texts(document, "p:Intestazione/p:Classifica/p:CodiceFlat") == ["3.2"]
    assert texts(document, "p:Intestazione/p:Classifica/p:Denominazione") == ["Rapporti con i creditori"]
    assert texts(document, "p:Intestazione/p:Fascicolo/p:CodiceFascicolo") == ["1/2025"]
    assert texts(document, "p:Descrizione/p:Mittente/p:PersonaGiuridica/p:Denominazione") == ["Banca Alfa S.p.A."]
    assert texts(document, "p:Descrizione/p:Mittente/p:PersonaGiuridica/p:PIVAoCF") == ["01234560017"]
    assert texts(document, "p:Descrizione/p:Destinatario/p:Amministrazione/p:CodiceIPAAOO") == ["A1B2C3"]
    described = document.xpath("p:Descrizione/p:DocumentoPrimario | p:Descrizione/p:Allegato", namespaces=P)
    assert [(d.get(f"{{{segnatura.PROT}}}nomeFile"), d.get(f"{{{segnatura.PROT}}}mimeType"),
             d.find("p:Impronta", P).text) for d in described] == [
        (name, media_type, base64.b64encode(raw).decode()) for name, media_type, raw in files]
    assert [d.tag.split("}")[1] for d in described] == ["DocumentoPrimario", "Allegato", "Allegato"]


def test_outgoing_to_two_recipients(order, register, build, schema, dbtx):
    with_codes(dbtx, order)
    document = valid(schema, build(register(outgoing()))[0])
    assert texts(document, "p:Descrizione/p:Mittente/p:Amministrazione/p:CodiceIPAAmministrazione") == ["ordav_mi"]
    assert texts(document, "p:Descrizione/p:Destinatario/p:PersonaGiuridica/p:Denominazione") == ["Banca Alfa S.p.A."]
    assert texts(document, "p:Descrizione/p:Destinatario/p:PersonaFisica/p:Cognome") == ["Rossi Mario"]
    assert texts(document, "p:Descrizione/p:Destinatario/p:PersonaFisica/p:CodiceFiscale") == ["RSSMRA80E17F205X"]
    assert texts(document, "p:Descrizione/p:Destinatario//p:IndirizzoTelematico") == [
        "banca.alfa@pec.example.it", "mario.rossi@example.it"]
    assert texts(document, "p:Intestazione/p:Classifica/p:Denominazione") == ["Non classificato"]
    assert document.xpath("p:Intestazione/p:Fascicolo", namespaces=P) == []


def test_without_the_orders_codes_the_placeholders_are_plain(order, register, build, schema):
    document = valid(schema, build(register({"direction": "interno", "subject": "Nota", "means": "mano"}))[0])
    assert texts(document, "p:Intestazione/p:Identificatore/p:CodiceAmministrazione") == ["senza-ipa-milano"]
    assert texts(document, "p:Intestazione/p:Identificatore/p:CodiceAOO") == ["senza-aoo-milano"]
    assert "segnaposto" in document.find("p:Intestazione/p:Identificatore/p:CodiceAmministrazione", P).get(
        f"{{{segnatura.PROT}}}descrizione")
    assert segnatura.missing_codes(order) == ["codice IPA dell'amministrazione", "codice dell'AOO"]


def test_date_and_time_are_those_of_rome(order, register, build, schema):
    xml, _files = build(register(clock=lambda: datetime(2025, 12, 31, 23, 0, 1, tzinfo=timezone.utc)))
    document = valid(schema, xml)
    assert texts(document, "p:Intestazione/p:Identificatore/p:DataRegistrazione") == ["2026-01-01"]
    assert texts(document, "p:Intestazione/p:Identificatore/p:OraRegistrazione") == ["00:00:01+01:00"]


def enveloped_digest(xml: bytes) -> bytes:
    """SHA-256 of the segnatura without its signature (the enveloped-signature transform keeps the text around
    it), in exclusive C14N."""
    document = etree.fromstring(xml)
    signature = document.find("ds:Signature", P)
    signature.getprevious().tail = (signature.getprevious().tail or "") + (signature.tail or "")
    document.remove(signature)
    return hashlib.sha256(etree.tostring(document, method="c14n", exclusive=True)).digest()


def test_the_seal_verifies_with_exclusive_canonicalisation(order, register, build, registry):
    """Digest and HMAC recomputed with lxml's exclusive C14N 1.0 (not the standard library's code that made
    them); any change to the segnatura breaks it, and another Order's key does not fit."""
    xml, _files = build(register(outgoing(), documents(attachments=1)))
    signature = etree.fromstring(xml).find("ds:Signature", P)
    signed_info = signature.find("ds:SignedInfo", P)
    assert signed_info.find("ds:CanonicalizationMethod", P).get("Algorithm") == segnatura.EXCLUSIVE_C14N
    digest = enveloped_digest(xml)
    assert signed_info.find("ds:Reference/ds:DigestValue", P).text == base64.b64encode(digest).decode()
    key = segnatura.seal_key(registry.settings["occ.secret"], order.id)
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
    assert signature.find("ds:SignatureValue", P).text == \
        base64.b64encode(hmac.new(key, canonical, hashlib.sha256).digest()).decode()
    assert segnatura.seal_key(registry.settings["occ.secret"], order.id + 1) != key
    assert enveloped_digest(xml.replace(b"Comunicazione ai creditori", b"Comunicazione ai debitori")) != digest


def test_control_characters_typed_or_received_never_reach_the_xml(order, register, build, schema, dbtx):
    with_codes(dbtx, order)
    sender = {"name": "Banca\x01 Alfa\x0b S.p.A.", "tax_code": "01234560017", "address": "banca.alfa@pec.example.it"}
    document = valid(schema, build(register(incoming(subject="Precisazione\x02 del credito\x1f", mittente=sender)))[0])
    assert texts(document, "p:Intestazione/p:Oggetto") == ["Precisazione del credito"]
    assert "Banca Alfa S.p.A." in etree.tostring(document, encoding="unicode")
