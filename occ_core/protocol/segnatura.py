"""The segnatura di protocollo (AgID Linee guida, Allegato 6, schema 3.0.0): the XML that binds a
registration's identifier, subject, correspondents and the impronta of each document.

Choices the schema leaves to us, and why:

- The Order's codes. ``CodiceAmministrazione`` and ``CodiceAOO`` are the Order's IPA codes (settings of the
  Order). When one is missing the segnatura carries a placeholder that cannot be taken for a real IPA code,
  ``senza-ipa-<slug>`` / ``senza-aoo-<slug>``, described as such, and the protocol pages warn about it.
- The seal. The schema requires ``ds:Signature`` (AgID wants the AOO's qualified electronic seal, XAdES
  baseline B), and a qualified seal needs the Order's certificate in a signing device, which the platform does
  not hold. The segnatura is therefore sealed by the platform: an enveloped XML signature (exclusive
  canonicalisation, SHA-256 digest of the whole segnatura) whose value is an HMAC-SHA256 under a key derived
  from the platform's secret and the Order. It proves to the platform that a segnatura is the one it issued,
  unaltered; it is not a qualified seal, and says so in ``KeyName``.
- Correspondents. The platform keeps a correspondent's name as one text: with a personal codice fiscale it is
  a ``PersonaFisica`` whose whole name is in ``Cognome`` (splitting names guesses wrong too often), otherwise a
  ``PersonaGiuridica``; an e-mail or PEC address becomes an ``IndirizzoTelematico``. Postal addresses are left
  out (the schema wants them split into street, number, CAP and ISTAT code).
- Classification. ``"3.2 - Rapporti con i creditori"`` gives ``CodiceFlat`` 3.2 and ``Denominazione`` the rest;
  a classification without " - " is both; an unclassified registration says "Non classificato".
- The other side. For incoming correspondence the recipient is the Order's AOO, for outgoing the sender is;
  internal correspondence without correspondents names the AOO on both sides.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET

from sqlalchemy import select

from occ_core.clock import ROME
from occ_core.dossiers.models import Dossier
from occ_core.protocol import numbering
from occ_core.protocol.models import ProtocolRegister, Registration

PROT = "http://www.agid.gov.it/protocollo/"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
KEY_NAME = "Sigillo informatico della piattaforma OCC (HMAC-SHA256, non qualificato)"
PERSON_CODE = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]")
COMPANY_CODE = re.compile(r"[0-9]{11}")
SIGNATURE = f"{{{DS}}}Signature"

ET.register_namespace("prot", PROT)
ET.register_namespace("ds", DS)


def order_codes(tenant) -> tuple[str, str]:
    """The Order's IPA code and AOO code, or their placeholders (see the module's notes)."""
    return tenant.ipa_code or f"senza-ipa-{tenant.slug}", tenant.aoo_code or f"senza-aoo-{tenant.slug}"


def missing_codes(tenant) -> list[str]:
    """Which of the Order's codes the segnatura lacks, in words, for the warning of the protocol pages."""
    return [label for label, value in (("codice IPA dell'amministrazione", tenant.ipa_code),
                                       ("codice dell'AOO", tenant.aoo_code)) if not value]


def digest_base64(raw: bytes) -> str:
    """The impronta as the segnatura carries it: base64 of the 32 raw bytes (44 characters), not of the hex."""
    return base64.b64encode(raw).decode("ascii")


def _add(parent, name: str, text: str | None = None, namespace: str = PROT, **attributes) -> ET.Element:
    element = ET.SubElement(parent, f"{{{namespace}}}{name}",
                            {(f"{{{PROT}}}{key}" if namespace == PROT else key): value
                             for key, value in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _order(parent, tenant) -> None:
    ipa, aoo = order_codes(tenant)
    amministrazione = _add(parent, "Amministrazione")
    _add(amministrazione, "DenominazioneAmministrazione", tenant.display_name)
    if COMPANY_CODE.fullmatch(tenant.codice_fiscale or ""):
        _add(amministrazione, "CFAmministrazione", tenant.codice_fiscale)
    _add(amministrazione, "CodiceIPAAmministrazione", ipa)
    if tenant.pec:
        _add(_add(amministrazione, "ContattiAmministrazione"), "IndirizzoTelematico", tenant.pec)
    _add(amministrazione, "CodiceIPAAOO", aoo)


def _correspondent(parent, person) -> None:
    contacts = person.address if "@" in person.address else ""
    if PERSON_CODE.fullmatch(person.tax_code):
        subject = _add(parent, "PersonaFisica")
        _add(subject, "Nome", "")
        _add(subject, "Cognome", person.name)
        _add(subject, "CodiceFiscale", person.tax_code)
        contacts_name = "Contatti"
    else:
        subject = _add(parent, "PersonaGiuridica")
        _add(subject, "Denominazione", person.name)
        if COMPANY_CODE.fullmatch(person.tax_code):
            _add(subject, "PIVAoCF", person.tax_code)
        contacts_name = "ContattiPersonaGiuridica"
    if contacts:
        _add(_add(subject, contacts_name), "IndirizzoTelematico", contacts)


def _classification(parent, classification: str) -> None:
    code, separator, name = classification.partition(" - ")
    element = _add(parent, "Classifica")
    _add(element, "Denominazione", (name.strip() if separator else code) or "Non classificato")
    _add(element, "CodiceFlat", code.strip())


def _identifier(parent, tenant, register: ProtocolRegister, registration: Registration) -> None:
    ipa, aoo = order_codes(tenant)
    placeholder = " (codice non indicato dall'Ordine: segnaposto della piattaforma)"
    identifier = _add(parent, "Identificatore")
    _add(identifier, "CodiceAmministrazione", ipa,
         descrizione=tenant.display_name + ("" if tenant.ipa_code else placeholder))
    _add(identifier, "CodiceAOO", aoo, **({} if tenant.aoo_code else {"descrizione": placeholder.strip(" ()")}))
    _add(identifier, "CodiceRegistro", register.code)
    _add(identifier, "NumeroRegistrazione", numbering.format_number(registration.number))
    local = registration.registered_at.astimezone(ROME)
    _add(identifier, "DataRegistrazione", local.date().isoformat())
    _add(identifier, "OraRegistrazione", local.isoformat(timespec="seconds").split("T", 1)[1])


def build(db, tenant, registration: Registration, secret: str) -> bytes:
    """The segnatura of ``registration`` of ``tenant`` as UTF-8 XML, sealed (see the module's notes)."""
    register = db.get(ProtocolRegister, registration.register_id)
    root = ET.Element(f"{{{PROT}}}SegnaturaInformatica", {f"{{{PROT}}}versione": "3.0.0", f"{{{PROT}}}lang": "it"})
    header = _add(root, "Intestazione")
    _identifier(header, tenant, register, registration)
    _add(header, "Oggetto", registration.subject)
    _classification(header, registration.classification)
    if registration.dossier_id is not None:
        dossier = db.scalar(select(Dossier).where(Dossier.id == registration.dossier_id))
        folder = _add(header, "Fascicolo")
        _add(folder, "Denominazione", f"Pratica di composizione della crisi n. {dossier.reference}")
        _add(folder, "CodiceFascicolo", dossier.reference)
    description = _add(root, "Descrizione")
    senders = [c for c in registration.correspondents if c.role == "mittente"]
    recipients = [c for c in registration.correspondents if c.role == "destinatario"]
    for name, people in (("Mittente", senders[:1]), ("Destinatario", recipients)):
        for person in people or [None]:
            party = _add(description, name)
            if person is None:
                _order(party, tenant)
            else:
                _correspondent(party, person)
    for registration_file in registration.files:
        document = _add(description, "DocumentoPrimario" if registration_file.position == 0 else "Allegato",
                        nomeFile=registration_file.filename, mimeType=registration_file.media_type)
        _add(document, "Impronta", digest_base64(registration_file.sha256), algoritmo="SHA-256")
    _seal(root, seal_key(secret, tenant.id))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def seal_key(secret: str, tenant_id: int) -> bytes:
    """The Order's sealing key, derived from the platform's secret: one Order's key says nothing of another's."""
    return hmac.new(secret.encode("utf-8"), f"segnatura-protocollo:{tenant_id}".encode(), hashlib.sha256).digest()


def _canonical(xml_text: str, **options) -> bytes:
    """Canonical XML. The standard library implements C14N 2.0, which for these documents (no comments, no
    processing instructions, only the namespaces in use) gives the same bytes as exclusive C14N 1.0: the tests
    check it against lxml's exclusive canonicalisation."""
    return ET.canonicalize(xml_text, **options).encode("utf-8")


def _seal(root: ET.Element, key: bytes) -> None:
    """Append the enveloped signature: the digest of the document without it, and the HMAC of SignedInfo."""
    signature = _add(root, "Signature", namespace=DS)
    signed_info = _add(signature, "SignedInfo", namespace=DS)
    _add(signed_info, "CanonicalizationMethod", namespace=DS, Algorithm=EXCLUSIVE_C14N)
    _add(signed_info, "SignatureMethod", namespace=DS, Algorithm=HMAC_SHA256)
    reference = _add(signed_info, "Reference", namespace=DS, URI="")
    transforms = _add(reference, "Transforms", namespace=DS)
    _add(transforms, "Transform", namespace=DS, Algorithm=ENVELOPED)
    _add(transforms, "Transform", namespace=DS, Algorithm=EXCLUSIVE_C14N)
    _add(reference, "DigestMethod", namespace=DS, Algorithm=SHA256)
    digest_value = _add(reference, "DigestValue", namespace=DS)
    value = _add(signature, "SignatureValue", namespace=DS)
    _add(_add(signature, "KeyInfo", namespace=DS), "KeyName", KEY_NAME, namespace=DS)
    ET.indent(root, space="  ")
    document = _canonical(ET.tostring(root, encoding="unicode"), exclude_tags={SIGNATURE})
    digest_value.text = base64.b64encode(hashlib.sha256(document).digest()).decode("ascii")
    alone = copy.deepcopy(signed_info)
    alone.tail = None
    signed = _canonical(ET.tostring(alone, encoding="unicode"))
    value.text = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
