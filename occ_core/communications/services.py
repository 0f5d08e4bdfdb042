"""Sending a communication of a dossier: checked first, then in one transaction protocolled as outgoing
(with the SHA-256 impronta of every file), queued in the dispatch outbox (one message per channel, one
delivery per address, sent after commit) and recorded with its recipients.

Bad input raises ``UserError`` before anything is written; the caller rolls the transaction back, as a
request does. Services take ``env``: a request or a Celery task's ``TaskEnv`` (automatic notices)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from occ_core.communications import parties, texts
from occ_core.communications.models import MANUAL, NOTICE, Communication, CommunicationRecipient
from occ_core.dispatch.models import Delivery
from occ_core.dispatch.services import queue_message
from occ_core.documents.models import Document
from occ_core.documents.storage import storage_of
from occ_core.dossiers.actions import actor_id, record_action
from occ_core.dossiers.models import Dossier
from occ_core.db import utcnow
from occ_core.errors import UserError
from occ_core.protocol import services as protocol
from occ_core.web import ui

DOCUMENT_VIEW = "dossier:document:view"
# The outbox keeps attachments in the message row: a communication carries letters, not archives.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_RECIPIENTS = 200
TEXT_FILENAME = "comunicazione.txt"


@dataclass
class Draft:
    """What the user (or a notice) asks to send: ``recipients`` are (candidate key, channel) pairs."""

    subject: str
    body: str
    recipients: list[tuple[str, str]]
    template_code: str = ""
    document_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Addressed:
    candidate: parties.Candidate
    channel: str
    address: str


@dataclass(frozen=True)
class File:
    filename: str
    media_type: str
    content: bytes


def context_of(env, dossier: Dossier, extra: dict | None = None) -> dict:
    """The variables of a communication's text: the modulistica's, plus the event's own (``extra``)."""
    from occ_core.forms.context import dossier_context

    return dossier_context(env, dossier, **(extra or {}))


def resolve_recipients(env, dossier: Dossier, chosen: list[tuple[str, str]]) -> list[Addressed]:
    """The chosen recipients with their address on the chosen channel; a party twice on one channel once."""
    if not chosen:
        raise UserError("Scelga almeno un destinatario.", field="destinatari")
    if len(chosen) > MAX_RECIPIENTS:
        raise UserError(f"Si possono scegliere al massimo {MAX_RECIPIENTS} destinatari.", field="destinatari")
    specs = parties.active_channels(env)
    known = {candidate.key: candidate for candidate in parties.candidates(env.dbsession, dossier)}
    resolved, seen = [], set()
    for key, channel in chosen:
        candidate = known.get(key)
        if candidate is None:
            raise UserError("Uno dei destinatari scelti non è tra le parti della pratica: ricarichi la pagina.",
                            field="destinatari")
        spec = specs.get(channel)
        if spec is None:
            raise UserError(f"{candidate.name}: il canale di invio «{channel[:40]}» non è disponibile per "
                            "l'Ordine.", field="destinatari")
        address = parties.address_for(candidate, spec)
        if not address:
            raise UserError(f"{candidate.name}: nessun indirizzo per il canale «{spec.label}».", field="destinatari")
        if (key, channel) not in seen:
            seen.add((key, channel))
            resolved.append(Addressed(candidate, channel, address))
    return resolved


def _attachments(env, dossier: Dossier, document_ids: list[int]) -> list[File]:
    """The current version of each chosen document of the dossier's file, if the user may see the file."""
    if not document_ids:
        return []
    if not protocol.allowed(env, DOCUMENT_VIEW):
        raise UserError("Non ha il permesso di consultare i documenti della pratica: non può allegarli.",
                        field="documenti")
    rows = {document.id: document for document in env.dbsession.scalars(
        select(Document).options(selectinload(Document.versions))
        .where(Document.dossier_id == dossier.id, Document.id.in_(document_ids), Document.withdrawn_at.is_(None)))}
    missing = [document_id for document_id in document_ids if document_id not in rows]
    if missing:
        raise UserError("Uno dei documenti scelti non è più nel fascicolo della pratica: ricarichi la pagina.",
                        field="documenti")
    storage = storage_of(env.registry)
    files = []
    for document_id in dict.fromkeys(document_ids):
        version = rows[document_id].current
        with storage.open(version.sha256) as stream:
            files.append(File(version.filename, version.media_type, stream.read()))
    return files


def _main_document(env, dossier: Dossier, template_code: str, extra: dict) -> File | None:
    """The template of the modulistica rendered for the dossier: PDF when LibreOffice is configured."""
    if not template_code:
        return None
    from occ_core.forms.services import generate
    from occ_core.office import soffice_of

    generated = generate(env, dossier, template_code, extra=extra, store=False,
                         pdf=soffice_of(env.registry.settings) is not None)
    return File(generated.filename, generated.media_type, generated.content)


def template_choices(env) -> dict[str, str]:
    """The Order's templates of the modulistica, by code."""
    from occ_core.forms.services import entries

    return {entry.code: entry.title for entry in entries(env.dbsession)}


def document_extra(recipients: list[Addressed], subject: str, body: str) -> dict:
    """What the generated document knows of the communication; a letter to one party also names it."""
    extra = {"comunicazione": {"oggetto": subject, "testo": body, "data": ui.fmt_date(utcnow())}}
    if len(recipients) == 1:
        item = recipients[0]
        extra["destinatario"] = {"nominativo": item.candidate.name, "indirizzo": item.address,
                                 "ruolo": item.candidate.role}
    return extra


def _means(recipients: list[Addressed]) -> str:
    used = {item.channel for item in recipients}
    channel = used.pop() if len(used) == 1 else "altro"
    return channel if channel in protocol.MEANS else "altro"


def _register(env, dossier: Dossier, subject: str, recipients: list[Addressed], files: list[File]):
    destinatari = [{"name": item.candidate.name[:200], "tax_code": item.candidate.tax_code,
                    "address": item.address[:300]} for item in recipients]
    data = {"direction": "uscita", "subject": subject, "destinatari": destinatari, "means": _means(recipients),
            "dossier": dossier}
    return protocol.register(env, data, [(file.filename, file.content) for file in files])


def protocol_footer(db, registration) -> str:
    """What every message of a communication ends with: its protocol number and each file's impronta."""
    lines = ["", "--", f"Comunicazione protocollata in uscita: {protocol.label(db, registration)} del "
             f"{ui.fmt_datetime(registration.registered_at)}.", "Impronte SHA-256 dei documenti:"]
    lines += [f"- {item.filename}: {item.digest_hex}" for item in registration.files]
    return "\n".join(lines)


def _queue(env, communication: Communication, recipients: list[Addressed], subject: str, body: str,
           files: list[File], purpose: str) -> None:
    """One outbox message per channel, one delivery per address: two parties sharing an address (the debtor
    and the lawyer's firm) get one message, which both recipients' rows point at."""
    specs = parties.active_channels(env)
    by_channel: dict[str, dict[str, list[Addressed]]] = {}
    for item in recipients:
        by_channel.setdefault(item.channel, {}).setdefault(item.address.lower(), []).append(item)
    for channel, by_address in by_channel.items():
        carries = (specs[channel].capabilities or {}).get("attachments", False)
        message = queue_message(
            env.dbsession, env.tm, env.registry, tenant_id=communication.tenant_id, channel=channel, subject=subject,
            body_text=body, recipients=[(items[0].candidate.name, items[0].address) for items in by_address.values()],
            purpose=purpose, created_by_id=actor_id(env),
            attachments=[(f.filename, f.media_type, f.content) for f in files] if carries else ())
        for delivery, items in zip(message.deliveries, by_address.values()):
            for item in items:
                communication.recipients.append(CommunicationRecipient(
                    tenant_id=communication.tenant_id, position=len(communication.recipients),
                    party_kind=item.candidate.kind, party_id=item.candidate.party_id, name=item.candidate.name[:200],
                    address=item.address[:300], channel=channel, delivery_id=delivery.id))


def claim_notice(env, dossier: Dossier, notice_kind: str, notice_key: str) -> Communication | None:
    """The row of the notice ``notice_key``, created now; None when the key was already used (the event was
    answered before, or is being answered by a concurrent run)."""
    communication = Communication(tenant_id=dossier.tenant_id, dossier_id=dossier.id, kind=NOTICE,
                                  notice_kind=notice_kind, notice_key=notice_key, subject="", body="",
                                  created_by_id=actor_id(env))
    db = env.dbsession
    try:
        with db.begin_nested():
            db.add(communication)
            db.flush()
    except IntegrityError:
        return None
    return communication


def preview(env, dossier: Dossier, draft: Draft) -> tuple[str, str]:
    """Subject and text of ``draft`` as they would be sent (without the protocol's footer); writes nothing."""
    known = {candidate.key: candidate.name for candidate in parties.candidates(env.dbsession, dossier)}
    names = [known[key] for key, _channel in draft.recipients if key in known]
    return texts.render(draft.subject, draft.body, context_of(env, dossier, {"destinatari": names}))


def send(env, dossier: Dossier, draft: Draft, *, extra: dict | None = None,
         communication: Communication | None = None) -> Communication:
    """Check, protocol, queue and record ``draft``; ``communication`` is a notice's claimed row."""
    recipients = resolve_recipients(env, dossier, draft.recipients)
    extra = {**(extra or {}), "destinatari": [item.candidate.name for item in recipients]}
    subject, body = texts.render(draft.subject, draft.body, context_of(env, dossier, extra))
    main = _main_document(env, dossier, draft.template_code, {**extra, **document_extra(recipients, subject, body)})
    if main is None and not body:
        raise UserError("Scriva il testo della comunicazione o scelga un modello da allegare.", field="testo")
    attachments = _attachments(env, dossier, draft.document_ids)
    files = ([main] if main else [File(TEXT_FILENAME, "text/plain", body.encode("utf-8"))]) + attachments
    if sum(len(file.content) for file in files) > MAX_ATTACHMENT_BYTES:
        raise UserError(f"Il documento e gli allegati superano insieme {MAX_ATTACHMENT_BYTES // 1048576} MB: "
                        "ne scelga meno.", field="documenti")
    registration = _register(env, dossier, subject, recipients, files)
    if communication is None:
        communication = Communication(tenant_id=dossier.tenant_id, dossier_id=dossier.id, kind=MANUAL,
                                      created_by_id=actor_id(env), subject="", body="")
        env.dbsession.add(communication)
    communication.subject, communication.body = subject, body
    communication.template_code, communication.registration_id = draft.template_code, registration.id
    env.dbsession.flush()
    purpose = f"communications.{communication.notice_kind or MANUAL}:{communication.id}"
    _queue(env, communication, recipients, subject, body + "\n" + protocol_footer(env.dbsession, registration),
           files, purpose)
    env.dbsession.flush()
    record_action(env, dossier, "communication.sent", communication_id=communication.id,
                  notice=communication.notice_kind, registration=protocol.label(env.dbsession, registration),
                  recipients=[f"{item.candidate.name} <{item.address}> ({item.channel})" for item in recipients])
    return communication


# --- reading ------------------------------------------------------------------------------------------

def communications_of(db, dossier: Dossier) -> list[Communication]:
    """The dossier's communications, newest first, with their recipients."""
    return list(db.scalars(select(Communication).options(selectinload(Communication.recipients))
                           .where(Communication.dossier_id == dossier.id)
                           .order_by(Communication.created_at.desc(), Communication.id.desc())))


def deliveries_of(db, communications: list[Communication]) -> dict[int, Delivery]:
    """The outbox deliveries of the recipients, with their events, in one query."""
    ids = {r.delivery_id for c in communications for r in c.recipients if r.delivery_id is not None}
    if not ids:
        return {}
    return {d.id: d for d in db.scalars(select(Delivery).options(selectinload(Delivery.events))
                                        .where(Delivery.id.in_(ids)))}


def find_communication(db, dossier: Dossier, raw_id: str) -> Communication | None:
    if not (raw_id.isascii() and raw_id.isdecimal() and len(raw_id) < 10):
        return None
    return db.scalar(select(Communication).options(selectinload(Communication.recipients))
                     .where(Communication.id == int(raw_id), Communication.dossier_id == dossier.id))
