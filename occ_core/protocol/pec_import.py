"""Protocolling an incoming PEC from its .eml (the busta di trasporto that the provider delivers).

What is registered, and why:

- The primary document is the original message, ``postacert.eml``, byte for byte as the busta carries it:
  the certified content (text and attachments together), whose impronta anyone can recompute from the same
  PEC. Its attachments follow as the registration's attachments, each with the impronta of its decoded
  bytes. Everything is kept as received, whatever its type; only the types that the electronic file accepts
  are also filed in the dossier.
- The sender is ``daticert.xml``'s ``mittente`` (the certified address), named as the original's From says;
  the subject is the original's; the PEC's date (daticert, else the original's Date) is the date of the
  document received; ``daticert``'s ``identificativo`` is the registration's ``source_ref``, so the same
  PEC is protocolled once only.
- Receipts (accettazione, consegna, mancata consegna ...) and anomaly envelopes are not correspondence and
  are refused with a message that says what they are.

The provider's S/MIME signature is not verified here (that needs the providers' certificates); daticert.xml
is read as untrusted XML: entity declarations are refused and nothing is fetched."""
from __future__ import annotations

import email
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Iterator, Mapping

from occ_core.clock import ROME
from occ_core.errors import UserError
from occ_core.documents.services import fmt_size
from occ_core.dossiers.fields import without_control_characters
from occ_core.protocol.services import Upload, register, upload_limit
from occ_core.web import ui

RECEIPTS = {
    "accettazione": "una ricevuta di accettazione",
    "non-accettazione": "un avviso di non accettazione",
    "presa-in-carico": "una ricevuta di presa in carico",
    "avvenuta-consegna": "una ricevuta di avvenuta consegna",
    "errore-consegna": "un avviso di mancata consegna",
    "preavviso-errore-consegna": "un preavviso di mancata consegna",
    "rilevazione-virus": "un avviso di rilevazione di virus",
}
NOT_PEC = ("Il file non è un messaggio di posta elettronica certificata (busta di trasporto con daticert.xml "
           "e postacert.eml): lo protocolli come corrispondenza ordinaria.")
ENVELOPE_PREFIX = "POSTA CERTIFICATA: "
LINE_END = re.compile(rb"\r?\n")
BLANK_LINE = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class PecMessage:
    identificativo: str
    sender_address: str
    sender_name: str
    subject: str
    sent_at: datetime | None
    original: bytes
    attachments: list[Upload]


def _header(message: Message, name: str) -> str:
    return str(message.get(name, "") or "").strip()


def parse(raw: bytes) -> PecMessage:
    """The certified message of a PEC busta di trasporto; ``UserError`` for anything else."""
    if not raw:
        raise UserError("Selezioni il file .eml del messaggio PEC.", field="file")
    envelope = email.message_from_bytes(raw, policy=policy.compat32)
    receipt = _header(envelope, "X-Ricevuta").lower()
    if receipt:
        raise UserError(_receipt_message(receipt), field="file")
    if _header(envelope, "X-Trasporto").lower() == "errore":
        raise UserError("Il messaggio è una busta di anomalia: il gestore PEC l'ha ricevuto da una casella non "
                        "certificata o con errori. Non è una PEC: lo protocolli come email ordinaria.", field="file")
    parts = _leaves(envelope)
    daticert = _daticert(next((p for p in parts if (p.get_filename() or "").lower() == "daticert.xml"), None))
    kind = daticert.get("tipo", "")
    if kind != "posta-certificata":
        raise UserError(_receipt_message(kind) if kind in RECEIPTS else NOT_PEC, field="file")
    container = next((p for p in parts if p.get_content_type() == "message/rfc822"), None)
    if container is None:
        raise UserError("Il messaggio PEC non contiene il messaggio originale (postacert.eml): non può essere "
                        "protocollato.", field="file")
    original_bytes = _exact_body(raw, envelope, container)
    original = email.message_from_bytes(original_bytes, policy=policy.compat32)
    name, address = _sender(original, daticert.get("mittente", ""))
    subject = _decoded(original.get("Subject")) or daticert.get("oggetto", "").removeprefix(ENVELOPE_PREFIX)
    return PecMessage(identificativo=daticert.get("identificativo", ""), sender_address=address,
                      sender_name=name, subject=subject.strip() or "(senza oggetto)",
                      sent_at=daticert.get("sent_at") or _date(original), original=original_bytes,
                      attachments=list(_attachments(original)))


def _receipt_message(kind: str) -> str:
    what = RECEIPTS.get(kind, f"una ricevuta PEC ({kind[:40]})")
    return (f"Il messaggio è {what}, non corrispondenza: le ricevute PEC non si protocollano. "
            "Carichi la busta di trasporto («POSTA CERTIFICATA: ...») del messaggio ricevuto.")


def _tree(message: Message) -> Iterator[Message]:
    """Every part of the message's own MIME tree, depth first; a message inside it (message/rfc822) is one
    part, never entered (a daticert.xml inside the original must not pass for the provider's)."""
    stack = [message]
    while stack:
        part = stack.pop(0)
        yield part
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            stack[:0] = part.get_payload()


def _leaves(message: Message) -> list[Message]:
    return [part for part in _tree(message) if part.get_content_maintype() != "multipart"]


def _daticert(part: Message | None) -> dict:
    if part is None:
        raise UserError(NOT_PEC, field="file")
    content = part.get_payload(decode=True) or b""
    if b"<!ENTITY" in content:
        raise UserError("Il file daticert.xml del messaggio contiene dichiarazioni non ammesse: il messaggio non "
                        "può essere protocollato automaticamente.", field="file")
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        raise UserError("Il file daticert.xml del messaggio PEC non è leggibile: il messaggio non può essere "
                        "protocollato automaticamente.", field="file") from None
    found = {"tipo": (root.get("tipo") or "").strip().lower()}
    for key, path in (("mittente", "intestazione/mittente"), ("oggetto", "intestazione/oggetto"),
                      ("identificativo", "dati/identificativo")):
        found[key] = " ".join((root.findtext(path) or "").split())
    found["sent_at"] = _daticert_time(root.find("dati/data"))
    if found["tipo"] == "posta-certificata" and not found["identificativo"]:
        raise UserError("Il file daticert.xml non riporta l'identificativo del messaggio PEC: il messaggio non può "
                        "essere protocollato automaticamente.", field="file")
    return found


def _daticert_time(element) -> datetime | None:
    """``<data zona="+0200"><giorno>14/05/2021</giorno><ora>12:02:08</ora></data>`` as an aware datetime."""
    if element is None:
        return None
    text = f"{element.findtext('giorno', '').strip()} {element.findtext('ora', '').strip()} " \
           f"{(element.get('zona') or '+0000').strip()}"
    try:
        return datetime.strptime(text, "%d/%m/%Y %H:%M:%S %z")
    except ValueError:
        return None


def _exact_body(raw: bytes, envelope: Message, container: Message) -> bytes:
    """The bytes of the message/rfc822 part exactly as the busta carries them: from the end of its headers to
    the next boundary of the envelope, whichever level it closes (a regenerated message would differ in
    folding and line ends, and so in its impronta). A part sent in base64, against RFC 2046, is decoded."""
    if _header(container, "Content-Transfer-Encoding").lower() in ("base64", "quoted-printable"):
        return container.get_payload(decode=True) or b""
    boundaries = [re.escape(part.get_boundary().encode("latin-1", "replace")) for part in _tree(envelope)
                  if part.get_content_maintype() == "multipart" and part.get_boundary()]
    delimiter = re.compile(rb"\r?\n--(?:" + b"|".join(boundaries) + rb")(?:--)?[ \t]*(?=\r?\n|$)")
    for piece in delimiter.split(raw)[1:] if boundaries else []:
        # What follows the delimiter's line: the part's headers, an empty line, its body.
        found = BLANK_LINE.split(LINE_END.sub(b"", piece, count=1), maxsplit=1)
        if len(found) != 2:
            continue
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(found[0] + b"\n\n")
        if headers.get_content_type() == "message/rfc822" and headers.get_filename() == container.get_filename():
            return found[1]
    raise UserError("Il messaggio originale (postacert.eml) non è leggibile: il messaggio non può essere "
                    "protocollato automaticamente.", field="file")


def _decoded(value) -> str:
    """A header's text with its encoded words (RFC 2047) decoded; the raw text when they are malformed."""
    text = str(value or "")
    try:
        text = str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        pass
    return " ".join(without_control_characters(text).split())


def _sender(original: Message, certified: str) -> tuple[str, str]:
    """(name, address): the certified address of daticert, with the original's display name for it."""
    pairs = getaddresses([str(original.get("From") or "")])
    name, address = (_decoded(pairs[0][0]), pairs[0][1]) if pairs else ("", "")
    address = certified or address
    if not address:
        raise UserError("Il messaggio PEC non indica il mittente: non può essere protocollato automaticamente.",
                        field="file")
    return " ".join(name.split()) or address, address


def _date(original: Message) -> datetime | None:
    try:
        moment = parsedate_to_datetime(_header(original, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def _attachments(original: Message) -> Iterator[Upload]:
    """The original message's attachments: every leaf with a file name or marked as attachment; a message
    forwarded as attachment is one file (.eml)."""
    number = 0
    for part in _leaves(original):
        disposition = part.get_content_disposition()
        filename = _decoded(part.get_filename())
        if part is original or not (filename or disposition == "attachment"):
            continue
        number += 1
        if part.get_content_type() == "message/rfc822":
            content = part.get_payload(0).as_bytes() if part.get_payload() else b""
        else:
            content = part.get_payload(decode=True) or b""
        yield Upload(filename or f"allegato-{number}", content, received=True)


def protocol_pec(env, raw: bytes, data: Mapping | None = None, **options):
    """Protocol the PEC ``raw`` (the .eml of a busta di trasporto) as incoming correspondence; ``data`` may
    add ``dossier``, ``classification``, ``assigned_to_id``, ``assigned_office`` and ``notes``; ``options``
    go to ``services.register``. The same PEC twice is refused, naming the registration it already has."""
    limit = upload_limit(env)
    if raw and len(raw) > limit:
        raise UserError(f"Il messaggio supera la dimensione massima consentita di {fmt_size(limit)}.", field="file")
    message = parse(raw)
    allowed = {"dossier", "classification", "assigned_to_id", "assigned_office", "notes"}
    extra = {key: value for key, value in (data or {}).items() if key in allowed}
    sent = message.sent_at.astimezone(ROME) if message.sent_at else None
    note = (f"PEC ricevuta da {message.sender_address}"
            + (f", inviata il {ui.fmt_datetime(message.sent_at)}" if sent else "")
            + f"; identificativo {message.identificativo}.")
    fields = {
        "direction": "entrata", "subject": message.subject[:2000], "means": "pec",
        "mittente": {"name": message.sender_name[:200], "address": message.sender_address[:300]},
        "received_doc_date": sent.date() if sent else None,
        **extra,
        "notes": "\n".join(filter(None, (extra.get("notes", ""), note))),
    }
    files = [Upload("postacert.eml", message.original, received=True), *message.attachments]
    return register(env, fields, files, source="pec", source_ref=message.identificativo[:255], **options)

