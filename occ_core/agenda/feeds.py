"""Personal iCalendar feeds: a URL that calendar programs poll without logging in.

The URL carries a token signed with the installation's secret (pyjwt) that names a ``CalendarFeed`` row
and its random nonce: revoking the row, or making a new one, kills the old URL at once.

What a feed holds. The secretariat (whoever may manage the agenda, ``agenda:event:manage``) gets every
appointment of the Order and every open deadline. Anyone else gets the appointments where they take
part (as a user of the Order, or as the gestore whose registry e-mail is theirs) and the open deadlines of
the dossiers where that gestore is appointed. Appointments from six months back are included, cancelled
ones too (STATUS:CANCELLED), so that subscribed calendars remove them."""
from __future__ import annotations

import secrets
from datetime import timedelta

import jwt
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from occ_core.agenda.models import CalendarFeed, Event, Participant
from occ_core.db import utcnow
from occ_core.deadlines.queries import open_deadlines
from occ_core.gestori.models import Appointment, Gestore
from shared_registry.models import Registrant

PURPOSE = "agenda-feed"
ALGORITHM = "HS256"
HISTORY = timedelta(days=183)
MANAGE = "agenda:event:manage"


def token_of(secret: str, feed: CalendarFeed) -> str:
    return jwt.encode({"purpose": PURPOSE, "sub": str(feed.id), "nonce": feed.nonce}, secret, algorithm=ALGORITHM)


def feed_of_token(db, secret: str, token: str) -> CalendarFeed | None:
    """The live feed that ``token`` names, or None (bad signature, revoked, replaced, another Order's)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "nonce", "purpose"]})
    except jwt.InvalidTokenError:
        return None
    if claims["purpose"] != PURPOSE or not str(claims["sub"]).isdecimal():
        return None
    return db.scalar(select(CalendarFeed).where(CalendarFeed.id == int(claims["sub"]),
                                                CalendarFeed.nonce == str(claims["nonce"]),
                                                CalendarFeed.revoked_at.is_(None)))


def active_feed(db, user_id: int) -> CalendarFeed | None:
    return db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
                     .order_by(CalendarFeed.id.desc()).limit(1))


def revoke(db, user_id: int) -> int:
    """Revoke the user's live feeds; how many there were."""
    feeds = db.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user_id,
                                                  CalendarFeed.revoked_at.is_(None))).all()
    for feed in feeds:
        feed.revoked_at = utcnow()
    db.flush()
    return len(feeds)


def renew(db, tenant_id: int, user_id: int) -> CalendarFeed:
    """A new feed for the user; the old URL, if any, stops working."""
    revoke(db, user_id)
    feed = CalendarFeed(tenant_id=tenant_id, user_id=user_id, nonce=secrets.token_urlsafe(24))
    db.add(feed)
    db.flush()
    return feed


def linked_gestori(db, email: str) -> list[int]:
    """The Order's gestori whose registry e-mail (or PEC) is the user's: that is how a user is a gestore."""
    address = (email or "").lower()
    if not address:
        return []
    return list(db.scalars(select(Gestore.id).join(Registrant, Registrant.id == Gestore.registrant_id)
                           .where(or_(func.lower(Registrant.email) == address,
                                      func.lower(Registrant.pec) == address))))


def mine(user_id: int, gestore_ids: list[int]):
    """The condition "the user takes part in the appointment", for queries of ``Event``."""
    return or_(Event.participants.any(Participant.user_id == user_id), Event.gestore_id.in_(gestore_ids or [0]))


def feed_content(db, user, everything: bool) -> tuple[list[Event], list]:
    """The appointments and the open deadlines of ``user``'s feed (see the module's docstring)."""
    query = (select(Event).options(selectinload(Event.participants))
             .where(Event.ends_at >= utcnow() - HISTORY).order_by(Event.starts_at, Event.id))
    deadlines = open_deadlines(db)
    if not everything:
        gestore_ids = linked_gestori(db, user.email)
        query = query.where(mine(user.id, gestore_ids))
        appointed = set(db.scalars(select(Appointment.dossier_id).where(
            Appointment.gestore_id.in_(gestore_ids or [0]), Appointment.ended_at.is_(None),
            Appointment.declined_at.is_(None))))
        deadlines = [deadline for deadline in deadlines if deadline.dossier_id in appointed]
    return list(db.scalars(query)), deadlines
