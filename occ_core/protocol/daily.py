"""The registro giornaliero di protocollo (DPR 445/2000 art. 53 and 61, Linee guida AgID; standards.md 1.4).

One register per protocol register and calendar day, from the register's first registration on: the day's
registrations in number order, each with its data as registered that day, then the day's annulments and the
day's corrections (older registrations' too), first and last number and the counts; as CSV and as PDF
(PDF/A-2b through LibreOffice when it is installed, a plain PDF otherwise, see ``daily_pdf``). Both files go
to the content-addressed storage and their SHA-256 into the row; the register's own impronta is its PDF's.

Why every calendar day, Saturdays, Sundays and holidays included: the norm wants the register of each day of
activity in the conservation system by the next working day, and a PEC may well be protocolled on a Saturday.
An unbroken series (one register a day, "nessuna registrazione" on quiet days) shows at a glance that no day
was left out, and needs no holiday calendar, which differs per Order (patron saint), to decide which days
count. The price is a few tens of kilobytes a day. The periodic task produces every missing day up to
yesterday, hourly: the register of a day exists on the following morning, whatever day it is.

A register is produced once and never changed: producing a day again returns the existing row (two producers
of one day at once, say two beat schedulers by mistake: the unique register and day refuses the second row,
that transaction fails and the next run finds the day done). Its sequence is the register's progressive number
of the year, in the order of production, which the periodic task keeps the order of the days. It can be
checked at any time (``verify_registers``): the files still hash to their digests, and the CSV built again
from the database is byte for byte the stored one, so that a registration edited or deleted behind the
application's back shows. For that to hold, the listing shows each registration as it stood at the end of its
day (a later correction gives back the earlier value, its ``old_value``), and the operators' names are those
recorded in the row when the register was produced."""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import func, select

from occ_core.accounts.models import User
from occ_core.clock import ROME, today as rome_today
from occ_core.db import utcnow
from occ_core.documents.storage import MissingContent, sha256_of
# The converter is shared (forms, invoices); the daily register names it from here as it always did.
from occ_core.office import SOFFICE_SETTING, soffice_of  # noqa: F401
from occ_core.protocol import services
from occ_core.protocol.numbering import format_number
from occ_core.protocol.models import Annulment, Correction, Correspondent, DailyRegister, ProtocolRegister, \
    Registration, RegistrationFile
from occ_core.web.ui import csv_bytes, fmt_date

log = logging.getLogger(__name__)

TITLE = "Registro giornaliero di protocollo"
PRODUCER = "Piattaforma OCC, produzione automatica"
SECTIONS = ("Registrazione", "Annullamento", "Correzione")
# What the register shows of a registration besides its correspondents and files.
REGISTERED_COLUMNS = (Registration.id, Registration.year, Registration.number, Registration.registered_at,
                      Registration.registered_by_id, Registration.direction, Registration.subject, Registration.means,
                      Registration.received_doc_date, Registration.received_doc_number)
CSV_HEADER = ("Sezione", "Anno", "Numero", "Data e ora", "Direzione", "Mezzo", "Mittente", "Destinatari", "Oggetto",
              "Data del documento ricevuto", "Numero del documento ricevuto", "Documenti e impronte SHA-256",
              "Operatore", "Dato corretto", "Valore precedente", "Nuovo valore", "Motivo",
              "Provvedimento di autorizzazione")


def stamp(moment: datetime) -> str:
    """Date and time to the second, in Italy: the order of the day's events must show."""
    return moment.astimezone(ROME).strftime("%d/%m/%Y %H:%M:%S")


def as_registered(registration, earlier: dict) -> dict:
    """The correctable data of ``registration`` as they read at the end of its day: a correction made later
    kept the value it replaced (in the form ``services.shown`` gives, the same as for the current value)."""
    return {name: earlier.get((registration.id, name),
                              services.shown(name, services.current_value(registration, name)))
            for name in services.CORRECTABLE}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Italian calendar day as a UTC interval [start, end) (23 or 25 hours when the clocks change)."""
    start = datetime.combine(day, time.min, ROME)
    end = datetime.combine(day + timedelta(days=1), time.min, ROME)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


@dataclass(frozen=True)
class RegisteredItem:
    year: int
    number: int
    at: datetime
    operator: str
    values: dict  # services.CORRECTABLE field -> its text as registered that day
    direction: str
    files: tuple  # (role, filename, sha256 hex)

    @property
    def correspondents(self) -> str:
        sender, recipients = self.values["mittente"], self.values["destinatari"]
        if sender and recipients:
            return f"Mittente: {sender}. Destinatari: {recipients}"
        return sender or recipients

    @property
    def files_text(self) -> str:
        return "; ".join(f"{name} ({role}) {digest}" for role, name, digest in self.files)


@dataclass(frozen=True)
class AnnulmentItem:
    year: int
    number: int
    at: datetime
    operator: str
    reason: str
    act: str


@dataclass(frozen=True)
class CorrectionItem:
    year: int
    number: int
    at: datetime
    operator: str
    field: str
    old: str
    new: str
    reason: str


@dataclass
class DayContent:
    """What one daily register says; the CSV and the PDF are two renderings of it."""

    order_name: str
    ipa_code: str
    aoo_code: str
    register_code: str
    register_name: str
    day: date
    sequence: int
    identifier: str
    producer: str
    produced_at: datetime
    registrations: list[RegisteredItem] = field(default_factory=list)
    annulments: list[AnnulmentItem] = field(default_factory=list)
    corrections: list[CorrectionItem] = field(default_factory=list)
    csv_sha256: str = ""

    @property
    def first_number(self) -> int | None:
        return self.registrations[0].number if self.registrations else None

    @property
    def last_number(self) -> int | None:
        return self.registrations[-1].number if self.registrations else None

    @property
    def size(self) -> int:
        return len(self.registrations) + len(self.annulments) + len(self.corrections)


def identifier_of(tenant, register: ProtocolRegister, day: date, sequence: int) -> str:
    """Persistent id ``<IPA><AOO>-<YYYYMMDD>-<nnn>``; a register other than the default one adds its code,
    so that two registers of one AOO never share an id."""
    office = f"{tenant.ipa_code}{tenant.aoo_code}" or tenant.slug.upper()
    middle = "" if register.is_default else f"-{register.code}"
    return f"{office}{middle}-{day:%Y%m%d}-{sequence:03d}"


class _Operators:
    """Names of the users who acted, read once; a recorded list (the register's) wins over the users table."""

    def __init__(self, db, recorded: dict | None):
        self.db, self.recorded = db, recorded
        self.names: dict[str, str] = dict(recorded or {})

    def load(self, ids) -> None:
        if self.recorded is not None:
            return
        wanted = {i for i in ids if i is not None and str(i) not in self.names}
        if wanted:
            for user_id, full_name, email in self.db.execute(
                    select(User.id, User.full_name, User.email).where(User.id.in_(wanted))):
                self.names[str(user_id)] = full_name or email

    def name(self, user_id) -> str:
        if user_id is None:
            return "sistema"
        return self.names.get(str(user_id), f"utente n. {user_id}")


def _registrations(db, of_the_day) -> list[SimpleNamespace]:
    """The day's registrations with their correspondents and files, read as plain rows (a busy day has
    thousands: loading them as ORM objects took ten times as long). ``services.current_value`` reads them
    as it reads a ``Registration``."""
    people, files = defaultdict(list), defaultdict(list)
    for row in db.execute(select(Correspondent.registration_id, Correspondent.role, Correspondent.name,
                                 Correspondent.tax_code, Correspondent.address).join(Registration)
                          .where(*of_the_day).order_by(Correspondent.registration_id, Correspondent.position)):
        people[row.registration_id].append(row)
    for row in db.execute(select(RegistrationFile.registration_id, RegistrationFile.role, RegistrationFile.filename,
                                 RegistrationFile.sha256).join(Registration)
                          .where(*of_the_day).order_by(RegistrationFile.registration_id, RegistrationFile.position)):
        files[row.registration_id].append(row)
    return [SimpleNamespace(**row._mapping, correspondents=people[row.id], files=files[row.id])
            for row in db.execute(select(*REGISTERED_COLUMNS).where(*of_the_day)
                                  .order_by(Registration.year, Registration.number))]


def _listing(db, register_id: int, day: date, operators: _Operators):
    start, end = day_bounds(day)
    of_register = Registration.register_id == register_id
    of_the_day = (of_register, Registration.registered_at >= start, Registration.registered_at < end)
    registrations = _registrations(db, of_the_day)
    earlier = {}
    for registration_id, name, old_value in db.execute(
            select(Correction.registration_id, Correction.field, Correction.old_value).join(Registration)
            .where(*of_the_day, Correction.corrected_at >= end)
            .order_by(Correction.corrected_at, Correction.id)):
        earlier.setdefault((registration_id, name), old_value)
    annulments = db.execute(
        select(Annulment, Registration.year, Registration.number).join(Registration)
        .where(of_register, Annulment.annulled_at >= start, Annulment.annulled_at < end)
        .order_by(Annulment.annulled_at, Annulment.id)).all()
    corrections = db.execute(
        select(Correction, Registration.year, Registration.number).join(Registration)
        .where(of_register, Correction.corrected_at >= start, Correction.corrected_at < end)
        .order_by(Correction.corrected_at, Correction.id)).all()
    operators.load([r.registered_by_id for r in registrations] + [a.annulled_by_id for a, _y, _n in annulments]
                   + [c.corrected_by_id for c, _y, _n in corrections])
    registered = [
        RegisteredItem(
            r.year, r.number, r.registered_at, operators.name(r.registered_by_id),
            as_registered(r, earlier), services.DIRECTIONS.get(r.direction, r.direction),
            tuple((f.role, f.filename, f.sha256.hex()) for f in r.files))
        for r in registrations]
    annulled = [AnnulmentItem(year, number, a.annulled_at, operators.name(a.annulled_by_id), a.reason,
                              f"{a.act_reference} del {fmt_date(a.act_date)}")
                for a, year, number in annulments]
    corrected = [CorrectionItem(year, number, c.corrected_at, operators.name(c.corrected_by_id),
                                services.CORRECTABLE.get(c.field, c.field), c.old_value, c.new_value, c.reason)
                 for c, year, number in corrections]
    return registered, annulled, corrected


def csv_rows(content: DayContent) -> list:
    rows = [CSV_HEADER]
    for item in content.registrations:
        values = item.values
        rows.append([SECTIONS[0], item.year, format_number(item.number), stamp(item.at), item.direction,
                     values["means"], values["mittente"], values["destinatari"], values["subject"],
                     values["received_doc_date"], values["received_doc_number"], item.files_text, item.operator,
                     *[""] * 5])
    for item in content.annulments:
        rows.append([SECTIONS[1], item.year, format_number(item.number), stamp(item.at), *[""] * 8, item.operator,
                     "", "", "", item.reason, item.act])
    for item in content.corrections:
        rows.append([SECTIONS[2], item.year, format_number(item.number), stamp(item.at), *[""] * 8, item.operator,
                     item.field, item.old, item.new, item.reason, ""])
    return rows


def _content(db, tenant, register, day, sequence, identifier, producer, produced_at, recorded_operators=None):
    operators = _Operators(db, recorded_operators)
    content = DayContent(
        order_name=tenant.occ_name or tenant.name, ipa_code=tenant.ipa_code, aoo_code=tenant.aoo_code,
        register_code=register.code, register_name=register.name, day=day, sequence=sequence,
        identifier=identifier, producer=producer, produced_at=produced_at)
    content.registrations, content.annulments, content.corrections = _listing(db, register.id, day, operators)
    return content, operators.names


def produce_days(db, tenant, storage, soffice, jobs, producer: str = PRODUCER) -> list[DailyRegister]:
    """Produce the registers of ``jobs`` [(register, day)], in that order, converting all the PDFs at once
    (one LibreOffice start for many days). Days already produced are returned as they are."""
    from occ_core.protocol.daily_pdf import render  # it builds on this module's content

    today = rome_today()
    results, pending, sequences = {}, [], {}
    for register, day in jobs:
        if day >= today:
            raise ValueError(f"the day {day} is not over yet")
        existing = db.scalar(select(DailyRegister).where(DailyRegister.register_id == register.id,
                                                         DailyRegister.day == day))
        if existing is not None:
            results[(register.id, day)] = existing
            continue
        key = (register.id, day.year)
        if key not in sequences:
            sequences[key] = db.scalar(select(func.coalesce(func.max(DailyRegister.sequence), 0)).where(
                DailyRegister.register_id == register.id, DailyRegister.day >= date(day.year, 1, 1),
                DailyRegister.day <= date(day.year, 12, 31)))
        sequences[key] += 1
        sequence = sequences[key]
        produced_at = utcnow()
        content, names = _content(db, tenant, register, day, sequence, identifier_of(tenant, register, day, sequence),
                                  producer, produced_at)
        csv = csv_bytes(csv_rows(content))
        content.csv_sha256 = storage.put(csv)
        pending.append((register, content, names))
    pdfs, pdf_format = render([content for _r, content, _n in pending], soffice)
    for (register, content, names), pdf in zip(pending, pdfs):
        row = DailyRegister(
            tenant_id=tenant.id, register_id=register.id, day=content.day, sequence=content.sequence,
            produced_at=content.produced_at, registrations=len(content.registrations),
            annulments=len(content.annulments), corrections=len(content.corrections),
            first_number=content.first_number, last_number=content.last_number, pdf_sha256=storage.put(pdf),
            pdf_format=pdf_format, csv_sha256=content.csv_sha256,
            details={"identifier": content.identifier, "producer": content.producer, "title": TITLE,
                     "order_name": content.order_name, "ipa_code": content.ipa_code, "aoo_code": content.aoo_code,
                     "register_code": content.register_code, "operators": names})
        db.add(row)
        results[(register.id, content.day)] = row
    db.flush()
    return [results[(register.id, day)] for register, day in jobs]


def produce(db, tenant, register, day: date, storage, soffice: str | None = None,
            producer: str = PRODUCER) -> DailyRegister:
    """The daily register of ``register`` for ``day`` (a day already over), produced now if it does not exist."""
    return produce_days(db, tenant, storage, soffice, [(register, day)], producer)[0]


def _last_activity(db, register_id: int) -> datetime | None:
    of_register = Registration.register_id == register_id
    moments = [db.scalar(select(func.max(Registration.registered_at)).where(of_register)),
               db.scalar(select(func.max(Annulment.annulled_at)).join(Registration).where(of_register)),
               db.scalar(select(func.max(Correction.corrected_at)).join(Registration).where(of_register))]
    moments = [moment for moment in moments if moment is not None]
    return max(moments) if moments else None


def missing_days(db, register: ProtocolRegister, until: date) -> list[date]:
    """Days from the register's first registration up to ``until`` (excluded) that have no daily register.
    A register no longer in use stops at the day of its last registration, annulment or correction."""
    first = db.scalar(select(func.min(Registration.registered_at)).where(Registration.register_id == register.id))
    if first is None:
        return []
    if not register.active:
        until = min(until, _last_activity(db, register.id).astimezone(ROME).date() + timedelta(days=1))
    done = set(db.scalars(select(DailyRegister.day).where(DailyRegister.register_id == register.id)))
    day, days = first.astimezone(ROME).date(), []
    while day < until:
        if day not in done:
            days.append(day)
        day += timedelta(days=1)
    return days


# Days converted by one LibreOffice start (starting it costs more than converting a short day): the demo's
# four months go in one, and a failed batch (written as plain PDFs instead) is never very large.
BATCH = 200


def produce_missing(env, tenant, today: date) -> list[DailyRegister]:
    """Every daily register missing up to yesterday, for every register of the Order (the periodic task)."""
    from occ_core.documents.storage import storage_of

    db = env.dbsession
    jobs = [(register, day)
            for register in db.scalars(select(ProtocolRegister).order_by(ProtocolRegister.id))
            for day in missing_days(db, register, today)]
    storage, soffice = storage_of(env.registry), soffice_of(env.registry.settings)
    produced = []
    for start in range(0, len(jobs), BATCH):
        produced += produce_days(db, tenant, storage, soffice, jobs[start:start + BATCH])
    if produced:
        log.info("Order %s: %d daily protocol registers produced", tenant.slug, len(produced))
    return produced


def stored_file_problem(storage, digest: str) -> str | None:
    """Why the content recorded under ``digest`` can no longer be trusted, or None if it is intact."""
    hasher = hashlib.sha256()
    try:
        with storage.open(digest) as stream:
            for chunk in iter(lambda: stream.read(1 << 16), b""):
                hasher.update(chunk)
    except MissingContent:
        return "non è più presente nell'archivio dei documenti"
    except ValueError:
        return "ha un'impronta registrata non valida"
    if hasher.hexdigest() != digest:
        return "è stato alterato: non corrisponde più alla sua impronta SHA-256"
    return None


def regenerated_csv(db, tenant, register, row: DailyRegister) -> bytes:
    """The CSV of ``row`` built again now from the database, with the operators' names it recorded."""
    details = row.details or {}
    content, _names = _content(db, tenant, register, row.day, row.sequence, details.get("identifier", ""),
                               details.get("producer", ""), row.produced_at, details.get("operators") or {})
    return csv_bytes(csv_rows(content))


def verify_registers(db, tenant, storage, today: date | None = None) -> list[str]:
    """Problems of the Order's daily registers, in Italian, each naming register and day (empty: all good).

    Each register's PDF and CSV must still be stored and hash to their digests, and its CSV built again from
    the database must be the stored one; every day up to the day before yesterday must have its register."""
    today = today or rome_today()
    problems = []
    for register in db.scalars(select(ProtocolRegister).order_by(ProtocolRegister.code)):
        for row in db.scalars(select(DailyRegister).where(DailyRegister.register_id == register.id)
                              .order_by(DailyRegister.day)):
            label = f"Registro giornaliero del {fmt_date(row.day)} (registro {register.code})"
            for kind, digest in (("PDF", row.pdf_sha256), ("CSV", row.csv_sha256)):
                problem = stored_file_problem(storage, digest)
                if problem:
                    problems.append(f"{label}: il file {kind} {problem}.")
            if sha256_of(regenerated_csv(db, tenant, register, row)) != row.csv_sha256:
                problems.append(f"{label}: le registrazioni, gli annullamenti o le correzioni del giorno nel "
                                "database non corrispondono più al registro prodotto (dati modificati o "
                                "cancellati dopo la sua produzione).")
        for day in missing_days(db, register, today - timedelta(days=1)):
            problems.append(f"Registro giornaliero del {fmt_date(day)} (registro {register.code}): non è stato "
                            "prodotto.")
    return problems
