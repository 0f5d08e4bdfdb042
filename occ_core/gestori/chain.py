"""The appointment log: append-only and hash-chained, so that any later change to an entry shows.

Each entry's hash is SHA-256 over the previous entry's hash followed by the canonical JSON of the
entry (seq, kind, at, dossier_id, user_id, payload): sorted keys, no insignificant spaces, no floats
(amounts and weights are strings). The first entry of an Order chains to 64 zeros. Anyone holding a
copy of the table can check the chain with these few lines and any SHA-256 tool."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select, text

from occ_core.db import utcnow
from occ_core.gestori.models import AppointmentLogEntry

GENESIS = "0" * 64
# Key of the PostgreSQL advisory lock that serialises appends (with the Order's id as second key).
LOCK_KEY = 202_014
KINDS = {
    "referente_declaration": "Dichiarazione del referente (assenza di conflitti dell'OCC)",
    "proposal": "Proposta di nomina",
    "draw": "Sorteggio",
    "appointment": "Nomina",
    "acceptance": "Accettazione dell'incarico",
    "independence": "Dichiarazione di indipendenza",
    "decline": "Rifiuto dell'incarico",
    "replacement": "Sostituzione",
    "policy": "Criteri di nomina modificati",
}


def plain(value):
    """``value`` made of JSON types only; floats are refused, since their text is not reproducible."""
    if isinstance(value, float):
        raise TypeError("the appointment log holds no floats: use Decimal or str")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise TypeError(f"{type(value).__name__} cannot go into the appointment log")


def canonical_json(value) -> str:
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, seq: int, kind: str, at: datetime, dossier_id, user_id, payload) -> str:
    content = canonical_json({"seq": seq, "kind": kind, "at": at, "dossier_id": dossier_id,
                              "user_id": user_id, "payload": payload})
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def lock(db, tenant_id: int) -> None:
    """Serialise the appends of one Order until commit, so that each reads the true last entry: the
    unique (tenant_id, seq) would otherwise refuse the second of two concurrent appends.

    Taken again by the same transaction it is a no-op; callers that check before they append (the
    appointments) take it first, so that their checks see every appointment already committed.

    PostgreSQL: an advisory lock, which waits for the other transaction rather than failing. SQLite has
    one writer at a time, but a transaction only becomes a writer at its first write: a write that
    changes nothing makes it one before the last entry is read."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key, :tenant)"), {"key": LOCK_KEY, "tenant": tenant_id})
    elif dialect == "sqlite":
        db.execute(text("UPDATE appointment_log SET seq = seq WHERE 0 = 1"))


def append(db, tenant_id: int, kind: str, payload: dict, dossier_id: int | None = None,
           user_id: int | None = None) -> AppointmentLogEntry:
    lock(db, tenant_id)
    last = db.execute(
        select(AppointmentLogEntry.seq, AppointmentLogEntry.hash)
        .where(AppointmentLogEntry.tenant_id == tenant_id)
        .order_by(AppointmentLogEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS)
    # Whole seconds: the stored timestamp reads back exactly the same on every database.
    at = utcnow().replace(microsecond=0)
    payload = plain(payload)
    entry = AppointmentLogEntry(
        tenant_id=tenant_id, seq=seq, kind=kind, payload=payload, at=at, dossier_id=dossier_id,
        user_id=user_id, prev_hash=prev_hash,
        hash=entry_hash(prev_hash, seq, kind, at, dossier_id, user_id, payload))
    db.add(entry)
    db.flush()
    return entry


def verify_chain(db, tenant_id: int) -> tuple[bool, int | None]:
    """(True, None) if every entry of the Order is in place and unchanged, else (False, the first seq that
    is missing or does not match its hash)."""
    expected, prev_hash = 1, GENESIS
    rows = db.scalars(select(AppointmentLogEntry).where(AppointmentLogEntry.tenant_id == tenant_id)
                      .order_by(AppointmentLogEntry.seq).execution_options(yield_per=500))
    for entry in rows:
        if entry.seq != expected:
            return False, expected
        recomputed = entry_hash(prev_hash, entry.seq, entry.kind, entry.at, entry.dossier_id, entry.user_id,
                                entry.payload)
        if entry.prev_hash != prev_hash or entry.hash != recomputed:
            return False, entry.seq
        expected, prev_hash = expected + 1, entry.hash
    return True, None


def entry_count(db, tenant_id: int) -> int:
    return db.scalar(select(func.count(AppointmentLogEntry.id)).where(AppointmentLogEntry.tenant_id == tenant_id))


def verification_message(db, tenant_id: int) -> tuple[bool, str]:
    """The outcome of ``verify_chain`` in words, for the log page and the command line."""
    ok, broken = verify_chain(db, tenant_id)
    if ok:
        return True, f"Catena integra: {entry_count(db, tenant_id)} voci verificate."
    return False, (f"Catena interrotta alla voce n. {broken}: la voce manca o è stata modificata dopo la "
                   f"registrazione. Le voci successive non sono più garantite.")


def latest(db, dossier_id: int, kind: str) -> AppointmentLogEntry | None:
    return db.scalar(select(AppointmentLogEntry).where(
        AppointmentLogEntry.dossier_id == dossier_id, AppointmentLogEntry.kind == kind)
        .order_by(AppointmentLogEntry.seq.desc()).limit(1))
