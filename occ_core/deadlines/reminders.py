"""The daily e-mail digest of deadlines: one message per recipient and day, through the dispatch outbox.

Recipients: the Order's secretariat (tenant.email) gets every deadline due within the Order's window and every
overdue one; each gestore appointed on a dossier (with an e-mail address in the registry) gets those of his
dossiers. The outbox's purpose carries the day ("deadlines.digest:2025-06-03"): a recipient who already has
that day's digest gets no second one, however often the task runs."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from occ_core.clock import today as rome_today
from occ_core.deadlines import catalogue, preferences, queries
from occ_core.deadlines.calendar import fmt
from occ_core.deadlines.models import Deadline
from occ_core.dispatch.models import Delivery, OutboxMessage
from occ_core.dispatch.services import queue_message

PURPOSE = "deadlines.digest"


@dataclass
class Digest:
    name: str
    address: str
    overdue: list = field(default_factory=list)
    due: list = field(default_factory=list)


def _line(deadline: Deadline) -> str:
    dossier = deadline.dossier
    debtor = f" ({dossier.debtor_name})" if dossier.debtor_name else ""
    return (f"- {fmt(deadline.due_on)} · pratica {dossier.reference}{debtor} · {deadline.label} · a cura di: "
            f"{catalogue.WHO.get(deadline.who, deadline.who)}")


def _gestori_by_dossier(db, dossier_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    from occ_core.gestori.models import Appointment

    found: dict[int, list[tuple[str, str]]] = {}
    appointments = db.scalars(select(Appointment).where(
        Appointment.dossier_id.in_(dossier_ids), Appointment.ended_at.is_(None), Appointment.declined_at.is_(None)))
    for appointment in appointments:
        registrant = appointment.gestore.registrant
        if registrant is not None and registrant.email:
            found.setdefault(appointment.dossier_id, []).append((registrant.full_name, registrant.email))
    return found


def digests(db, tenant, today) -> list[Digest]:
    """Who gets which deadlines today."""
    late, soon = queries.overdue(db, today), queries.due_soon(db, today, preferences.window_days(tenant))
    if not late and not soon:
        return []
    by_address: dict[str, Digest] = {}

    def add(name: str, address: str, deadline: Deadline, late_one: bool) -> None:
        digest = by_address.setdefault(address.strip().lower(), Digest(name, address.strip()))
        (digest.overdue if late_one else digest.due).append(deadline)

    gestori = _gestori_by_dossier(db, {d.dossier_id for d in late + soon})
    for late_one, rows in ((True, late), (False, soon)):
        for deadline in rows:
            if tenant.email:
                add(tenant.occ_name or tenant.name, tenant.email, deadline, late_one)
            for name, address in gestori.get(deadline.dossier_id, ()):
                add(name, address, deadline, late_one)
    return list(by_address.values())


def body(digest: Digest, tenant, today, days: int, url: str) -> str:
    parts = [f"Gentile {digest.name},", "",
             f"ecco le scadenze delle pratiche dell'{tenant.occ_name or tenant.name} al {fmt(today)}.", ""]
    if digest.overdue:
        parts += ["Scadute:", *map(_line, digest.overdue), ""]
    if digest.due:
        parts += [f"In scadenza nei prossimi {days} giorni:", *map(_line, digest.due), ""]
    parts += [f"L'elenco completo è nella pagina Scadenze: {url}", "", "Messaggio automatico, non rispondere."]
    return "\n".join(parts)


def send_digests(env) -> int:
    """Queue today's digests not yet queued; gives how many were queued."""
    db, tenant, today = env.dbsession, env.tenant, rome_today()
    purpose = f"{PURPOSE}:{today.isoformat()}"
    sent = {address.lower() for address in db.scalars(
        select(Delivery.address).join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .where(OutboxMessage.purpose == purpose, OutboxMessage.tenant_id == tenant.id))}
    days = preferences.window_days(tenant)
    url = f"{env.settings['occ.base_url'].rstrip('/')}/{tenant.slug}/deadlines"
    queued = 0
    for digest in digests(db, tenant, today):
        if digest.address.lower() in sent:
            continue
        subject = (f"Scadenze al {fmt(today)}: {len(digest.overdue)} scadute, {len(digest.due)} in scadenza")
        queue_message(db, env.tm, env.registry, tenant_id=tenant.id, channel="email", subject=subject,
                      body_text=body(digest, tenant, today, days, url), recipients=[(digest.name, digest.address)],
                      purpose=purpose)
        queued += 1
    return queued
