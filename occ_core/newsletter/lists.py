"""Custom mailing lists: members picked from the registry, typed, or imported from a CSV file."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from shared_registry.models import Registrant
from shared_registry.services import CsvFormatError, _decode, _delimiter

from occ_core.accounts.services import normalize_email
from occ_core.errors import UserError
from occ_core.newsletter.models import BOZZA, PROGRAMMATA, ListMember, MailingList, Newsletter

NAME_LIMIT = 200
MAX_ROWS = 20000
EMAIL_HEADERS = {"email", "e-mail", "indirizzo email", "indirizzo e-mail", "posta elettronica", "indirizzo"}
NAME_HEADERS = {"nome", "nominativo", "cognome e nome", "nome e cognome", "destinatario"}


def _name(text: str) -> str:
    name = " ".join((text or "").split())
    if len(name) > NAME_LIMIT:
        raise UserError(f"Nome: al massimo {NAME_LIMIT} caratteri.", field="name")
    return name


def create_list(db, tenant_id: int, name: str) -> MailingList:
    name = _name(name)
    if not name:
        raise UserError("Indichi il nome della lista.", field="name")
    if db.scalar(select(MailingList.id).where(MailingList.name == name)) is not None:
        raise UserError(f"Esiste già una lista «{name}».", field="name")
    found = MailingList(tenant_id=tenant_id, name=name)
    db.add(found)
    db.flush()
    return found


def delete_list(db, mailing_list: MailingList) -> None:
    waiting = db.scalar(select(Newsletter.subject).where(Newsletter.list_id == mailing_list.id,
                                                          Newsletter.state.in_((BOZZA, PROGRAMMATA))))
    if waiting is not None:
        raise UserError(f"La lista è usata dalla newsletter «{waiting}», non ancora inviata: "
                        "cambi i destinatari di quella prima di eliminare la lista.")
    db.delete(mailing_list)


def _existing(db, list_id: int) -> set[str]:
    return set(db.scalars(select(ListMember.email).where(ListMember.list_id == list_id)))


def add_member(db, mailing_list: MailingList, name: str, email: str, registrant_id: int | None = None) -> bool:
    """Add an address; False if the list already has it."""
    address = normalize_email(email)
    if address in _existing(db, mailing_list.id):
        return False
    db.add(ListMember(tenant_id=mailing_list.tenant_id, list_id=mailing_list.id, name=_name(name), email=address,
                      registrant_id=registrant_id))
    db.flush()
    return True


def add_registrant(db, mailing_list: MailingList, registrant_id: str) -> bool:
    registrant = db.scalar(select(Registrant).where(Registrant.id == int(registrant_id))) \
        if registrant_id.isdecimal() and len(registrant_id) <= 9 else None
    if registrant is None:
        raise UserError("Iscritto non trovato.")
    if not registrant.email:
        raise UserError(f"{registrant.full_name} non ha un indirizzo email nell'anagrafica.")
    return add_member(db, mailing_list, f"{registrant.first_name} {registrant.last_name}", registrant.email,
                      registrant.id)


def registrants_matching(db, text: str, limit: int = 20) -> list[Registrant]:
    """Registrants whose name, codice fiscale or email contains ``text``, to pick from."""
    text = " ".join((text or "").split())[:100]
    if len(text) < 2:
        return []
    pattern = f"%{text}%"
    return list(db.scalars(select(Registrant).where(
        Registrant.last_name.ilike(pattern) | Registrant.first_name.ilike(pattern)
        | Registrant.codice_fiscale.ilike(pattern) | Registrant.email.ilike(pattern)
        | (Registrant.last_name + " " + Registrant.first_name).ilike(pattern)
        | (Registrant.first_name + " " + Registrant.last_name).ilike(pattern)
    ).order_by(Registrant.last_name, Registrant.first_name).limit(limit)))


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def _columns(first: list[str]) -> tuple[int, int | None, bool]:
    """(email column, name column, whether the first row is a header); a file without a header has
    the address first and, optionally, the name second."""
    keys = [" ".join(value.strip().lower().split()) for value in first]
    if any(key in EMAIL_HEADERS for key in keys):
        email = next(i for i, key in enumerate(keys) if key in EMAIL_HEADERS)
        name = next((i for i, key in enumerate(keys) if key in NAME_HEADERS), None)
        return email, name, True
    return 0, 1 if len(first) > 1 else None, False


def _rows(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = _decode(content).lstrip("\r\n")
    except CsvFormatError as error:
        raise UserError(str(error), field="file")
    if not text.strip():
        raise UserError("Il file è vuoto.", field="file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]))
    rows = []
    try:
        for values in reader:
            if any(value.strip() for value in values):
                rows.append((reader.line_num, values))
            if len(rows) > MAX_ROWS:
                raise UserError(f"Il file ha più di {MAX_ROWS} righe: lo divida in più parti.", field="file")
    except csv.Error as error:
        raise UserError(f"Il file non è un CSV valido (riga {reader.line_num}): {error}.", field="file")
    return rows


def import_csv(db, mailing_list: MailingList, content: bytes) -> ImportResult:
    """Add every valid address of the file; each wrong row is reported with its line and left out."""
    rows = _rows(content)
    email_at, name_at, header = _columns(rows[0][1])
    result, present = ImportResult(), _existing(db, mailing_list.id)
    for line, values in rows[1:] if header else rows:
        raw = values[email_at].strip() if email_at < len(values) else ""
        try:
            address = normalize_email(raw)
            name = _name(values[name_at]) if name_at is not None and name_at < len(values) else ""
        except UserError as error:
            shown = f"«{raw[:60]}»: " if raw else ""
            result.errors.append((line, shown + ("manca l'indirizzo email." if not raw else error.message)))
            continue
        if address in present:
            result.already += 1
            continue
        present.add(address)
        db.add(ListMember(tenant_id=mailing_list.tenant_id, list_id=mailing_list.id, name=name, email=address))
        result.added += 1
    db.flush()
    return result
