"""Registering correspondence in the protocol, and what may happen to a registration afterwards.

``register`` checks everything first and writes only then: bad input raises ``UserError`` (in Italian)
before any row is written or any number taken. The data of DPR 445/2000 art. 53 are never overwritten
silently: ``annul`` adds an annulment that leaves the registration legible, ``correct`` keeps every earlier
value in a ``Correction`` with its author and time; the number, the date and the impronta can only be
annulled. Classification, assignment and the dossier may change freely (``reassign``, ``link_dossier``),
and are audited.

Every function takes ``env``: a request, a Celery task's ``TaskEnv`` or a ``ProtocolEnv`` (scripts, the
demo, tests). On a bad input the caller must roll the transaction back, as a request does."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable, Mapping, Sequence

from sqlalchemy import select

from occ_core.accounts.models import Role, User
from occ_core.accounts.roles import membership_of, role_permissions
from occ_core.audit.services import record
from occ_core.clock import ROME
from occ_core.db import TenantViolation, utcnow
from occ_core.documents import filetypes
from occ_core.documents import services as documents
from occ_core.documents.models import Document
from occ_core.documents.storage import storage_of
from occ_core.dossiers.fields import body_code, day, text
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.events import DomainEvent, emit
from occ_core.dossiers import numbering as dossier_numbering
from occ_core.protocol import numbering
from occ_core.accounts.services import staff_users
from occ_core.protocol.models import Annulment, Correction, Correspondent, ProtocolRegister, Registration, \
    RegistrationFile
from occ_core.web import ui

DIRECTIONS = {"entrata": "In entrata", "uscita": "In uscita", "interno": "Interna"}
MEANS = {
    "pec": "PEC",
    "email": "Email",
    "posta": "Posta ordinaria",
    "raccomandata": "Raccomandata",
    "mano": "Consegna a mano",
    "portale": "Portale o area riservata",
    "altro": "Altro",
}
# What a correction may change (the rest of art. 53 can only be annulled), with the labels people read.
CORRECTABLE = {
    "subject": "Oggetto",
    "mittente": "Mittente",
    "destinatari": "Destinatari",
    "received_doc_date": "Data del documento ricevuto",
    "received_doc_number": "Numero del documento ricevuto",
    "means": "Mezzo di ricezione o di spedizione",
}
FIXED = {
    "number": "Il numero di protocollo non si può correggere: si può solo annullare la registrazione.",
    "year": "L'anno di protocollo non si può correggere: si può solo annullare la registrazione.",
    "registered_at": "La data di registrazione non si può correggere: si può solo annullare la registrazione.",
    "files": "Documenti e impronte non si possono correggere: si può solo annullare la registrazione.",
    "direction": "La direzione non si può correggere: annulli la registrazione e ne faccia una nuova.",
}
# The law admits two readings of correcting oggetto, mittente and destinatari; each Order chooses its own
# (tenant.preferences["protocol"]["corrections"]).
CORRECTION_READINGS = {
    "corregge": "Si correggono conservando il valore precedente, con data, ora e autore della modifica "
                "(DPCM 3 dicembre 2013, art. 8)",
    "annulla": "Non si correggono: si annulla la registrazione e se ne fa una nuova "
               "(Linee guida AgID sulla gestione documentale)",
}
DEFAULT_CORRECTION_READING = "corregge"
ANNUL_ONLY = ("subject", "mittente", "destinatari")
REASSIGNABLE = {"classification": "Classificazione", "assigned_to_id": "Assegnatario",
                "assigned_office": "Ufficio assegnatario"}
FILING_CATEGORY = "corrispondenza"
SUBJECT_MAX, REASON_MAX, NOTES_MAX, MAX_CORRESPONDENTS, MAX_FILES = 2000, 2000, 4000, 200, 100
OCTET_STREAM = "application/octet-stream"

VIEW, CREATE, CORRECT, ANNUL = ("protocol:registration:view", "protocol:registration:create",
                                "protocol:registration:correct", "protocol:registration:annul")


@dataclass(frozen=True)
class Upload:
    """A file to protocol: its own name (for display only) and its exact bytes. ``received`` marks what
    arrived as it is (a PEC's attachments): kept and fingerprinted whatever its type, it is filed in the
    dossier only if it is of an accepted type."""

    filename: str
    content: bytes | None
    received: bool = False


@dataclass
class ProtocolEnv:
    """What the services need outside a request or a task: scripts, the demo data, tests."""

    registry: object
    dbsession: object
    tenant: object
    identity: User | None = None
    tm: object | None = None
    active_modules: frozenset = field(default_factory=frozenset)

    @property
    def hooks(self):
        return self.registry.occ_plugins.relay(self.active_modules)


# --- what every operation shares ----------------------------------------------------------------------------

def _user(env) -> User | None:
    return getattr(env, "identity", None)


def _storage(env):
    return getattr(env, "document_storage", None) or storage_of(env.registry)


def upload_limit(env) -> int:
    """The largest file the Order may protocol (the electronic file's limit)."""
    return documents.max_bytes(env.registry.settings)


def allowed(env, permission: str) -> bool:
    """Whether the user of ``env`` holds ``permission`` in the Order (a request asks its security policy)."""
    if hasattr(env, "has_permission"):
        return bool(env.has_permission(permission))
    user = _user(env)
    membership = membership_of(env.dbsession, env.tenant, user.id) if user is not None else None
    if membership is None:
        return False
    role = env.dbsession.get(Role, membership.role_id)
    return permission in role_permissions(env.dbsession, env.registry.occ_plugins, role,
                                          getattr(env, "active_modules", frozenset()))


def _require(env, permission: str, message: str) -> User:
    user = _user(env)
    if user is None or not allowed(env, permission):
        raise UserError(message)
    return user


def _audit(env, registration: Registration, action: str, **details) -> None:
    user = _user(env)
    record(env.dbsession, action, tenant_id=registration.tenant_id, user_id=user.id if user else None,
           object_type="Registration", object_id=registration.id,
           details={"reference": label(env.dbsession, registration), **details},
           ip=getattr(env, "client_addr", "") or "")


def _announce(env, registration: Registration, name: str, **data) -> None:
    """The domain event, delivered to the modules once the transaction commits (never if rolled back)."""
    tm = getattr(env, "tm", None)
    if tm is None:
        return
    emit(tm, env.hooks, DomainEvent(name, registration.tenant_id, "Registration", str(registration.id), {
        "reference": numbering.reference(registration.year, registration.number), "year": registration.year,
        "number": registration.number, "direction": registration.direction,
        "dossier_id": registration.dossier_id, **data}))


def label(db, registration: Registration) -> str:
    """``"PROT 2026-0000042"``."""
    register = db.get(ProtocolRegister, registration.register_id)
    return numbering.reference(registration.year, registration.number, register.code if register else "")


def _not_annulled(registration: Registration, what: str) -> None:
    if registration.annulment is not None:
        raise UserError(f"La registrazione è annullata: non è più possibile {what}.")


def _locked(db, registration: Registration) -> Registration:
    """The registration read again under its row lock, so that two changes at once take their turn."""
    db.execute(select(Registration.id).where(Registration.id == registration.id).with_for_update())
    db.refresh(registration)
    db.expire(registration, ["annulment", "correspondents", "corrections", "files"])
    return registration


# --- input --------------------------------------------------------------------------------------------------

def _text(value, label: str, limit: int, required: bool = False) -> str:
    return text(limit, required)(value, label)


def _day(value, label: str, required: bool = False) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return day(required=required, not_future=True)(value, label)


def _correspondent(value, label: str) -> dict | None:
    """A correspondent from a form line ``"name; tax code; address"`` or a mapping with those keys."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(";")]
        if len(parts) > 3:
            raise UserError(f"{label}: «{value[:60]}» ha troppe parti; scriva nome; codice fiscale; indirizzo.")
        value = dict(zip(("name", "tax_code", "address"), parts))
    if not isinstance(value, Mapping) or set(value) - {"name", "tax_code", "address"}:
        raise UserError(f"{label}: indichi nome, codice fiscale o partita IVA e indirizzo.")
    name = _text(value.get("name"), f"{label}, nome o denominazione", 200)
    tax_code = body_code(value.get("tax_code"), f"{label}, codice fiscale o partita IVA")
    address = _text(value.get("address"), f"{label}, indirizzo", 300)
    if not name:
        if tax_code or address:
            raise UserError(f"{label}: indichi il nome o la denominazione.")
        return None
    return {"name": name, "tax_code": tax_code, "address": address}


def _recipients(value, label: str) -> list[dict]:
    """Recipients from a list, or from a text with one recipient per line."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if isinstance(value, Mapping) or not isinstance(value, Sequence):
        raise UserError(f"{label}: indichi un destinatario per riga.")
    found = [c for index, item in enumerate(value)
             if (c := _correspondent(item, f"{label}, riga {index + 1}")) is not None]
    if len(found) > MAX_CORRESPONDENTS:
        raise UserError(f"{label}: al massimo {MAX_CORRESPONDENTS}.")
    return found


def _correspondents_fit(direction: str, sender: dict | None, recipients: list[dict]) -> None:
    """Art. 53 lett. c: the sender of what comes in, the recipients of what goes out."""
    if direction == "entrata":
        if sender is None:
            raise UserError("Indichi il mittente della corrispondenza in entrata.", field="mittente")
        if recipients:
            raise UserError("Per la corrispondenza in entrata il destinatario è l'OCC: non indichi destinatari.",
                            field="destinatari")
    elif direction == "uscita":
        if not recipients:
            raise UserError("Indichi almeno un destinatario della corrispondenza in uscita.", field="destinatari")
        if sender is not None:
            raise UserError("Per la corrispondenza in uscita il mittente è l'OCC: non indichi un mittente.",
                            field="mittente")


def _received_fits(direction: str, received_date, received_number) -> None:
    if direction != "entrata" and (received_date or received_number):
        raise UserError("Data e numero del documento ricevuto si indicano solo per la corrispondenza in entrata.",
                        field="received_doc_date")


def _means(value) -> str:
    means = (value if isinstance(value, str) else "").strip() or "pec"
    if means not in MEANS:
        raise UserError("Scelga il mezzo di ricezione o di spedizione dall'elenco.", field="means")
    return means


def find_dossier(db, tenant_id: int, value) -> Dossier | None:
    """The Order's dossier named by ``value``: a ``Dossier``, its id, or its reference ``"12/2025"`` (what
    follows the reference, such as the debtor's name that the picker shows, is ignored); None for nothing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Dossier):
        found = value if value.tenant_id == tenant_id else None
    elif isinstance(value, int) and not isinstance(value, bool):
        found = db.scalar(select(Dossier).where(Dossier.tenant_id == tenant_id, Dossier.id == value))
    elif isinstance(value, str) and dossier_numbering.REFERENCE.match(value):
        found = dossier_numbering.by_reference(db, tenant_id, value)
    else:
        raise UserError("Indichi la pratica con numero e anno (per esempio 12/2025).", field="dossier")
    if found is None:
        raise UserError(f"La pratica «{str(value)[:40]}» non esiste in questo Ordine.", field="dossier")
    return found


def _assignee(env, value) -> int | None:
    """An active staff member of the Order, by user id (a number or its text); None for nobody."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or \
            value not in {user_id for user_id, _name in staff_members(env.dbsession, env.tenant.id)}:
        raise UserError("Scelga l'assegnatario tra gli utenti dell'Ordine.", field="assigned_to_id")
    return value


def _checked_files(files: Sequence, limit: int) -> list[tuple[Upload, str]]:
    """Each file with its media type, checked by content (the first is the primary document)."""
    uploads = [item if isinstance(item, Upload) else Upload(*item) for item in files]
    if not uploads:
        raise UserError("Alleghi il documento principale da protocollare.", field="primary")
    if len(uploads) > MAX_FILES:
        raise UserError(f"Si possono protocollare al massimo {MAX_FILES} file insieme.", field="attachments")
    checked = []
    for position, upload in enumerate(uploads):
        name = documents.clean_filename(upload.filename)
        where = "Documento principale" if position == 0 else f"Allegato «{name}»"
        try:
            media_type = documents.check_content(upload.content, limit).media_type
        except UserError as error:
            if not (upload.received and upload.content and len(upload.content) <= limit):
                raise UserError(f"{where}: {error.message}", field="primary" if position == 0 else "attachments")
            media_type = OCTET_STREAM
        checked.append((Upload(name, upload.content, upload.received), media_type))
    return checked


def _names(correspondents: list[dict]) -> str:
    joined = "; ".join(c["name"] for c in correspondents)
    return joined if len(joined) <= 500 else joined[:499] + "…"


# --- registering --------------------------------------------------------------------------------------------

def register(env, data: Mapping, files: Sequence, *, clock: Callable[[], datetime] = utcnow,
             source: str = "manuale", source_ref: str = "", protocol_register: ProtocolRegister | None = None,
             category: str = FILING_CATEGORY) -> Registration:
    """Protocol the correspondence described by ``data`` with ``files`` (``Upload`` or ``(name, bytes)``,
    the primary document first) in ``protocol_register`` (the Order's general register by default).

    ``data``: ``direction`` (entrata | uscita | interno), ``subject``, ``mittente`` (a mapping with name,
    tax_code, address, or a text "name; tax code; address"), ``destinatari`` (a list of the same, or a text
    with one per line), ``means``, ``received_doc_date``, ``received_doc_number``, ``dossier`` (a Dossier,
    its id or "12/2025"), ``classification``, ``assigned_to_id``, ``assigned_office``, ``notes``.
    With a dossier, every file is filed in its electronic file too (``category``). ``source_ref`` (a PEC's
    identificativo) makes the registration unique: the same reference twice is refused."""
    db = env.dbsession
    values, sender, recipients, dossier = _parsed(env, data)
    checked = _checked_files(files, upload_limit(env))
    if source_ref:
        _refuse_duplicate(db, env.tenant.id, source_ref)
    storage = _storage(env)
    # The content is stored before the rows that name it, and the number is taken last, so that the
    # counter stays locked for as short a time as possible.
    digests = [storage.put(upload.content) for upload, _media_type in checked]
    protocol_register = protocol_register or numbering.ensure_default_register(db, env.tenant.id)
    # The counter is written with a Core statement, which the session's tenant guard does not see.
    if protocol_register.tenant_id != env.tenant.id:
        raise TenantViolation(f"register {protocol_register.id} of tenant {protocol_register.tenant_id}")
    allocation = numbering.allocate(db, protocol_register, clock)
    if source_ref:
        _refuse_duplicate(db, env.tenant.id, source_ref)  # again, under the lock: two imports of one message take turns
    user = _user(env)
    registration = Registration(
        tenant_id=env.tenant.id, register_id=protocol_register.id, year=allocation.year, number=allocation.number,
        registered_at=allocation.registered_at, registered_by_id=user.id if user else None,
        dossier_id=dossier.id if dossier else None, source=source, source_ref=source_ref,
        correspondent_names=_names(([sender] if sender else []) + recipients), **values)
    people = ([("mittente", sender)] if sender else []) + [("destinatario", person) for person in recipients]
    for position, (role, person) in enumerate(people):
        registration.correspondents.append(Correspondent(tenant_id=env.tenant.id, role=role, position=position,
                                                         **person))
    for position, ((upload, media_type), digest) in enumerate(zip(checked, digests)):
        registration.files.append(RegistrationFile(
            tenant_id=env.tenant.id, position=position, role="primario" if position == 0 else "allegato",
            filename=upload.filename, media_type=media_type, size=len(upload.content),
            sha256=bytes.fromhex(digest)))
    db.add(registration)
    db.flush()
    if dossier is not None:
        _file_in_dossier(env, registration, dossier, category, [u.content for u, _m in checked])
    _audit(env, registration, "protocol.registered", direction=registration.direction,
           files=[{"name": f.filename, "sha256": f.digest_hex} for f in registration.files])
    _announce(env, registration, "protocol.registered")
    return registration


def _parsed(env, data: Mapping) -> tuple[dict, dict | None, list[dict], Dossier | None]:
    if not isinstance(data, Mapping):
        raise UserError("Dati della registrazione mancanti.")
    known = {"direction", "subject", "mittente", "destinatari", "means", "received_doc_date",
             "received_doc_number", "dossier", "classification", "assigned_to_id", "assigned_office", "notes"}
    unknown = sorted(str(key)[:40] for key in data if key not in known)
    if unknown:
        raise UserError(f"Campi sconosciuti: {', '.join(unknown)}.")
    direction = data.get("direction")
    if direction not in DIRECTIONS:
        raise UserError("Indichi se la corrispondenza è in entrata, in uscita o interna.", field="direction")
    values = {
        "direction": direction,
        "subject": _text(data.get("subject"), "Oggetto", SUBJECT_MAX, required=True),
        "means": _means(data.get("means")),
        "received_doc_date": _day(data.get("received_doc_date"), "Data del documento ricevuto"),
        "received_doc_number": _text(data.get("received_doc_number"), "Numero del documento ricevuto", 60),
        "classification": _text(data.get("classification"), "Classificazione", 60),
        "assigned_to_id": _assignee(env, data.get("assigned_to_id")),
        "assigned_office": _text(data.get("assigned_office"), "Ufficio assegnatario", 120),
        "notes": _text(data.get("notes"), "Note", NOTES_MAX),
    }
    sender = _correspondent(data.get("mittente"), "Mittente")
    recipients = _recipients(data.get("destinatari"), "Destinatari")
    _correspondents_fit(direction, sender, recipients)
    _received_fits(direction, values["received_doc_date"], values["received_doc_number"])
    return values, sender, recipients, find_dossier(env.dbsession, env.tenant.id, data.get("dossier"))


class AlreadyRegistered(UserError):
    """The message was protocolled before: ``registration`` is the one it has."""

    def __init__(self, message: str, registration: Registration):
        super().__init__(message, field="file")
        self.registration = registration


def _refuse_duplicate(db, tenant_id: int, source_ref: str) -> None:
    existing = find_by_source(db, tenant_id, source_ref)
    if existing is not None:
        raise AlreadyRegistered(f"Questo messaggio è già stato protocollato: registrazione {label(db, existing)} "
                                f"del {ui.fmt_datetime(existing.registered_at)}.", existing)


def find_by_source(db, tenant_id: int, source_ref: str) -> Registration | None:
    """The Order's registration of a message already protocolled (by its PEC identificativo)."""
    return db.scalar(select(Registration).where(Registration.tenant_id == tenant_id,
                                                Registration.source_ref == source_ref).order_by(Registration.id))


def _title(registration: Registration, position: int, filename: str) -> str:
    prefix = f"Prot. {numbering.reference(registration.year, registration.number)}"
    title = f"{prefix} – {registration.subject}" if position == 0 else f"{prefix} – allegato: {filename}"
    return title if len(title) <= documents.TITLE_MAX else title[:documents.TITLE_MAX - 1] + "…"


def _file_in_dossier(env, registration: Registration, dossier: Dossier, category: str,
                     contents: list[bytes] | None = None) -> None:
    """File each document of the registration in the dossier's electronic file (the types it accepts)."""
    storage = _storage(env)
    for registration_file in registration.files:
        if filetypes.type_of(registration_file.media_type) is None:
            continue
        content = contents[registration_file.position] if contents else \
            storage.open(registration_file.digest_hex).read()
        # Checked against the limit when protocolled: a lower limit set since must not stop the filing.
        document = documents.add_document(
            env.dbsession, storage, dossier, _user(env), content=content, filename=registration_file.filename,
            limit=max(upload_limit(env), len(content)), direction=registration.direction, category=category,
            title=_title(registration, registration_file.position, registration_file.filename),
            visibility="interno")
        env.dbsession.flush()
        registration_file.document_id = document.id


# --- annulment and corrections ------------------------------------------------------------------------------

def annul(env, registration: Registration, *, reason, act_reference, act_date,
          clock: Callable[[], datetime] = utcnow) -> Annulment:
    """Annul the whole registration (DPR 445/2000 art. 54): it stays legible, marked as annulled, with the
    reason, the authorising act and who annulled it when."""
    user = _require(env, ANNUL, "Non ha il permesso di annullare le registrazioni di protocollo.")
    reason = _text(reason, "Motivo dell'annullamento", REASON_MAX, required=True)
    act_reference = _text(act_reference, "Estremi del provvedimento di autorizzazione", 120, required=True)
    act_date = _day(act_date, "Data del provvedimento di autorizzazione", required=True)
    db = env.dbsession
    registration = _locked(db, registration)
    if registration.annulment is not None:
        raise UserError(f"La registrazione è già stata annullata il "
                        f"{ui.fmt_datetime(registration.annulment.annulled_at)}.")
    registered_on = registration.registered_at.astimezone(ROME).date()
    if act_date < registered_on:
        # An act cannot authorise annulling a registration that did not exist yet.
        raise UserError(f"Data del provvedimento di autorizzazione: non può precedere la registrazione "
                        f"({ui.fmt_date(registered_on)}).", field="act_date")
    annulment = Annulment(tenant_id=registration.tenant_id, registration_id=registration.id, annulled_at=clock(),
                          annulled_by_id=user.id, reason=reason, act_reference=act_reference, act_date=act_date)
    db.add(annulment)
    db.flush()
    db.expire(registration, ["annulment"])
    _audit(env, registration, "protocol.annulled", reason=reason, act_reference=act_reference,
           act_date=act_date.isoformat())
    _announce(env, registration, "protocol.annulled")
    return annulment


def describe_correspondent(person) -> str:
    """``"Banca Alfa (01234567890) <pec@banca.it>"``, from a row or a mapping."""
    get = person.get if isinstance(person, Mapping) else lambda name: getattr(person, name)
    return get("name") + (f" ({get('tax_code')})" if get("tax_code") else "") + \
        (f" <{get('address')}>" if get("address") else "")


def _people(registration: Registration, role: str) -> list[dict]:
    return [{"name": c.name, "tax_code": c.tax_code, "address": c.address}
            for c in registration.correspondents if c.role == role]


def current_value(registration: Registration, name: str):
    """The value of a correctable field, in the form ``correct`` takes it."""
    if name == "mittente":
        people = _people(registration, "mittente")
        return people[0] if people else None
    if name == "destinatari":
        return _people(registration, "destinatario")
    return getattr(registration, name)


def shown(name: str, value) -> str:
    """A correctable field's value as people read it (and as the correction keeps it)."""
    if name == "means":
        return MEANS.get(value, value or "")
    if name == "received_doc_date":
        return ui.fmt_date(value)
    if name == "mittente":
        return describe_correspondent(value) if value else ""
    if name == "destinatari":
        return "; ".join(describe_correspondent(person) for person in value)
    return value or ""


def _parse_correction(registration: Registration, name: str, value):
    if name == "subject":
        return _text(value, "Oggetto", SUBJECT_MAX, required=True)
    if name == "means":
        return _means(value)
    if name == "received_doc_date":
        return _day(value, CORRECTABLE[name])
    if name == "received_doc_number":
        return _text(value, CORRECTABLE[name], 60)
    if name == "mittente":
        return _correspondent(value, "Mittente")
    return _recipients(value, "Destinatari")


def correct(env, registration: Registration, changes: Mapping, reason,
            clock: Callable[[], datetime] = utcnow) -> list[Correction]:
    """Correct the fields in ``changes`` (see ``CORRECTABLE``); each change keeps the earlier value in a
    ``Correction`` with its author, time and ``reason``. A correction that changes nothing is refused."""
    user = _require(env, CORRECT, "Non ha il permesso di correggere le registrazioni di protocollo.")
    for name in changes:
        if name not in CORRECTABLE:
            raise UserError(FIXED.get(name) or f"«{str(name)[:40]}»: campo che non si può correggere.",
                            field=str(name)[:40])
    reason = _text(reason, "Motivo della correzione", REASON_MAX, required=True)
    db = env.dbsession
    registration = _locked(db, registration)
    _not_annulled(registration, "correggerla")
    new = {name: _parse_correction(registration, name, value) for name, value in changes.items()}
    if correction_reading(env.tenant) == "annulla":
        for name in ANNUL_ONLY:
            if name in new and new[name] != current_value(registration, name):
                raise UserError(f"{CORRECTABLE[name]}: per le regole scelte dall'Ordine non si corregge; annulli la "
                                "registrazione e ne faccia una nuova.", field=name)
    merged = {name: new.get(name, current_value(registration, name)) for name in CORRECTABLE}
    _correspondents_fit(registration.direction, merged["mittente"], merged["destinatari"])
    _received_fits(registration.direction, merged["received_doc_date"], merged["received_doc_number"])
    now = clock()
    corrections = []
    for name, value in new.items():
        old = current_value(registration, name)
        if value == old:
            continue
        corrections.append(Correction(tenant_id=registration.tenant_id, registration_id=registration.id,
                                      corrected_at=now, corrected_by_id=user.id, field=name,
                                      old_value=shown(name, old), new_value=shown(name, value), reason=reason))
        _apply(registration, name, value)
    if not corrections:
        raise UserError("I valori indicati sono uguali a quelli registrati: non c'è nulla da correggere.")
    db.add_all(corrections)
    registration.correspondent_names = _names(_people(registration, "mittente") +
                                              _people(registration, "destinatario"))
    db.flush()
    _audit(env, registration, "protocol.corrected", reason=reason,
           changes={c.field: [c.old_value, c.new_value] for c in corrections})
    return corrections


def correction_reading(tenant) -> str:
    """How the Order reads corrections of oggetto, mittente and destinatari (a key of CORRECTION_READINGS)."""
    reading = (tenant.preferences or {}).get("protocol", {}).get("corrections")
    return reading if reading in CORRECTION_READINGS else DEFAULT_CORRECTION_READING


def set_correction_reading(env, reading: str) -> bool:
    """Choose the Order's reading; False when it was already the one in force."""
    if reading not in CORRECTION_READINGS:
        raise UserError("Scelga una delle due regole proposte.", field="corrections")
    tenant = env.tenant
    if reading == correction_reading(tenant):
        return False
    preferences = dict(tenant.preferences or {})
    preferences["protocol"] = {**preferences.get("protocol", {}), "corrections": reading}
    tenant.preferences = preferences
    return True


def _apply(registration: Registration, name: str, value) -> None:
    if name not in ("mittente", "destinatari"):
        setattr(registration, name, value)
        return
    role = "mittente" if name == "mittente" else "destinatario"
    kept = [c for c in registration.correspondents if c.role != role]
    people = ([value] if value else []) if name == "mittente" else value
    added = [Correspondent(tenant_id=registration.tenant_id, role=role, **person) for person in people]
    # The sender comes first; positions are unique only per registration's order of display.
    ordered = added + kept if role == "mittente" else kept + added
    registration.correspondents = ordered
    for position, correspondent in enumerate(ordered):
        correspondent.position = position


# --- what may change freely ---------------------------------------------------------------------------------

def reassign(env, registration: Registration, data: Mapping) -> dict:
    """Change classification, assignee and office (the data the Linee guida leave modifiable); returns
    ``{field: [old, new]}`` of what changed, which is audited."""
    unknown = [str(key)[:40] for key in data if key not in REASSIGNABLE]
    if unknown:
        raise UserError(f"Campi che non si cambiano qui: {', '.join(unknown)}.")
    _not_annulled(registration, "riassegnarla o classificarla")
    parsed = {
        "classification": lambda v: _text(v, "Classificazione", 60),
        "assigned_to_id": lambda v: _assignee(env, v),
        "assigned_office": lambda v: _text(v, "Ufficio assegnatario", 120),
    }
    values = {name: parsed[name](value) for name, value in data.items()}
    changes = {name: [getattr(registration, name), value] for name, value in values.items()
               if getattr(registration, name) != value}
    for name, (_old, value) in changes.items():
        setattr(registration, name, value)
    if changes:
        _audit(env, registration, "protocol.reassigned", changes=changes)
    return changes


def link_dossier(env, registration: Registration, dossier, *, category: str = FILING_CATEGORY) -> bool:
    """File the registration in ``dossier`` (a Dossier, its id or "12/2025"; empty to take it out of its
    dossier). Its documents are filed in the new dossier's electronic file; those filed in the earlier one
    are withdrawn there (with the reason), never deleted. False when nothing changed."""
    _not_annulled(registration, "cambiarne la pratica")
    db = env.dbsession
    target = find_dossier(db, registration.tenant_id, dossier)
    if (target.id if target else None) == registration.dossier_id:
        return False
    previous = db.get(Dossier, registration.dossier_id) if registration.dossier_id else None
    reference = numbering.reference(registration.year, registration.number)
    reason = (f"Protocollo {reference} spostato nella pratica {target.reference}" if target
              else f"Protocollo {reference} tolto dalla pratica")
    for registration_file in registration.files:
        document = db.get(Document, registration_file.document_id) if registration_file.document_id else None
        if document is not None and document.withdrawn_at is None:
            documents.withdraw(document, reason)
        registration_file.document_id = None
    registration.dossier_id = target.id if target else None
    db.flush()
    if target is not None:
        _file_in_dossier(env, registration, target, category)
    _audit(env, registration, "protocol.filed", dossier_from=previous.reference if previous else None,
           dossier_to=target.reference if target else None)
    return True


# --- reading ------------------------------------------------------------------------------------------------

def find_registration(db, raw_id) -> Registration | None:
    """A registration of the session's Order by the id in a URL."""
    if isinstance(raw_id, str):
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10):
            return None
        raw_id = int(raw_id)
    return db.scalar(select(Registration).where(Registration.id == raw_id))


def find_by_number(db, tenant_id: int, year: int, number: int, code: str | None = None) -> Registration | None:
    """A registration by year and number in the register ``code`` (the default register if None)."""
    query = (select(Registration).join(ProtocolRegister, ProtocolRegister.id == Registration.register_id)
             .where(ProtocolRegister.tenant_id == tenant_id, Registration.year == year, Registration.number == number))
    query = query.where(ProtocolRegister.code == code) if code else query.where(ProtocolRegister.is_default)
    return db.scalar(query)


def staff_members(db, tenant_id: int) -> list[tuple[int, str]]:
    """(user id, name) of the Order's active staff, for the assignee choice."""
    return [(user_id, name or email) for user_id, name, email in staff_users(db, tenant_id)]


def user_names(db, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {user_id: name or email for user_id, name, email in
            db.execute(select(User.id, User.full_name, User.email).where(User.id.in_(ids)))}
