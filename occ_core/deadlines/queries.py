"""Read-only questions about deadlines, for this package's pages and for the agenda (calendar, alerts page).

Every query runs in the Order's scoped session, so it sees only the Order's own deadlines. A deadline of a
closed dossier is never "open", "due" or "overdue": the procedure is over and nobody must act any more."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, contains_eager

from occ_core.deadlines.models import Deadline
from occ_core.dossiers.models import Dossier

# Days before the due date in which an open deadline is "in scadenza", unless the Order chose otherwise.
DEFAULT_WINDOW_DAYS = 7

STATUS_LABELS = {
    "fatta": "Fatta",
    "annullata": "Annullata",
    "scaduta": "Scaduta",
    "in_scadenza": "In scadenza",
    "decorsa": "Termine decorso",
    "aperta": "Aperta",
}
# Bootstrap Italia badge colour of each status.
STATUS_BADGES = {
    "fatta": "success",
    "annullata": "secondary",
    "scaduta": "danger",
    "in_scadenza": "warning",
    "decorsa": "info",
    "aperta": "primary",
}


def status_of(deadline: Deadline, today: date, days: int = DEFAULT_WINDOW_DAYS) -> str:
    """The status code of ``deadline`` on ``today`` (a key of ``STATUS_LABELS``).

    An "entro" deadline is due by its date: "in_scadenza" within ``days`` of it, "scaduta" after it.
    A "dal" deadline is the earliest date of an act (e.g. esdebitazione): it can never be late, and from that
    date on it is "decorsa" (the act may now be done)."""
    if deadline.done_at is not None:
        return "fatta"
    if deadline.cancelled_at is not None:
        return "annullata"
    if deadline.kind == "dal":
        return "decorsa" if deadline.due_on <= today else "aperta"
    if deadline.due_on < today:
        return "scaduta"
    if deadline.due_on <= today + timedelta(days=days):
        return "in_scadenza"
    return "aperta"


# A deadline still to be met, of a dossier still running.
OPEN = (Deadline.done_at.is_(None), Deadline.cancelled_at.is_(None), Dossier.closed.is_(False))


def _open() -> Select:
    """Open deadlines with their dossier loaded; earliest first."""
    return (select(Deadline).join(Dossier, Dossier.id == Deadline.dossier_id).options(contains_eager(Deadline.dossier))
            .where(*OPEN).order_by(Deadline.due_on, Deadline.id))


# The dashboard shows these counts on every visit (see occ_core.agenda.views.alerts): the statement is built
# once, and it names its Order itself, so the automatic tenant criteria (which cost more than the counts) are
# skipped.
ALERT_COUNTS = (
    select(func.count().filter(Deadline.due_on < bindparam("today")).label("late"),
           func.count().filter(Deadline.due_on >= bindparam("today")).label("soon"))
    .select_from(Deadline).join(Dossier, Dossier.id == Deadline.dossier_id)
    .where(Deadline.tenant_id == bindparam("tenant_id"), Deadline.kind == "entro", *OPEN,
           Deadline.due_on <= bindparam("until"))
    .execution_options(all_tenants=True))


def alert_parameters(tenant_id: int, today: date, days: int) -> dict:
    """The values of ALERT_COUNTS' parameters: open "entro" deadlines overdue (``late``) and due from ``today``
    to ``today + days`` (``soon``)."""
    return {"tenant_id": tenant_id, "today": today, "until": today + timedelta(days=days)}


def open_deadlines(db: Session, start: date | None = None, end: date | None = None) -> list[Deadline]:
    """Open deadlines (of both kinds) falling between ``start`` and ``end`` included; either bound may be
    omitted. For calendars: each row has ``.dossier`` loaded."""
    query = _open()
    if start is not None:
        query = query.where(Deadline.due_on >= start)
    if end is not None:
        query = query.where(Deadline.due_on <= end)
    return list(db.scalars(query))


def due_soon(db: Session, today: date, days: int = DEFAULT_WINDOW_DAYS) -> list[Deadline]:
    """Open "entro" deadlines due from ``today`` to ``today + days`` included."""
    return list(db.scalars(_open().where(Deadline.kind == "entro", Deadline.due_on >= today,
                                         Deadline.due_on <= today + timedelta(days=days))))


def overdue(db: Session, today: date) -> list[Deadline]:
    """Open "entro" deadlines whose date is before ``today``."""
    return list(db.scalars(_open().where(Deadline.kind == "entro", Deadline.due_on < today)))
