"""Unsubscribing through the signed link of each newsletter, and subscribing again on request."""
from __future__ import annotations

from sqlalchemy import select, update

from occ_core.accounts.links import make_link_token, read_link_token
from occ_core.db import utcnow
from occ_core.dispatch.models import Delivery
from occ_core.dispatch.services import cancel_queued
from occ_core.errors import UserError
from occ_core.newsletter.models import IN_INVIO, Newsletter, Unsubscribe
from occ_core.protocol.numbering import INSERTS

PURPOSE = "newsletter.unsubscribe"
# An unsubscribe link must keep working in an old newsletter found in the mailbox years later.
LINK_MINUTES = 10 * 366 * 24 * 60
NOTE_LIMIT = 1000


def unsubscribe_url(settings, tenant, newsletter_id: int, address: str) -> str:
    token = make_link_token(settings["occ.secret"], PURPOSE, address, minutes=LINK_MINUTES, tenant=tenant.id,
                            newsletter=newsletter_id)
    return f"{settings['occ.base_url'].rstrip('/')}/{tenant.slug}/newsletter/unsubscribe?token={token}"


def read_link(settings, tenant, token: str) -> tuple[str, int | None]:
    """The address and newsletter of an unsubscribe link of ``tenant``, or a ``UserError``."""
    payload = read_link_token(settings["occ.secret"], token, PURPOSE)
    newsletter_id = payload.get("newsletter")
    if payload.get("tenant") != tenant.id:
        raise UserError("Il collegamento non è valido.")
    return str(payload["sub"]), newsletter_id if isinstance(newsletter_id, int) else None


def is_unsubscribed(db, address: str) -> bool:
    return db.scalar(select(Unsubscribe.id).where(Unsubscribe.email == address,
                                                  Unsubscribe.resubscribed_at.is_(None))) is not None


def unsubscribe(db, tenant_id: int, address: str, newsletter_id: int | None) -> int:
    """Record the request (once; asking again changes nothing) and take the address out of the queue of
    every newsletter still being sent; return how many queued copies were cancelled.

    Two requests at once (the mail program's one-click and the recipient's own click) are both answered: the
    second insert waits for the first and then does nothing, instead of breaking the unique address."""
    exists = newsletter_id is not None and db.get(Newsletter, newsletter_id) is not None
    db.execute(INSERTS[db.get_bind().dialect.name](Unsubscribe)
               .values(tenant_id=tenant_id, email=address, newsletter_id=newsletter_id if exists else None)
               .on_conflict_do_nothing(index_elements=["tenant_id", "email"]))
    db.execute(update(Unsubscribe).where(Unsubscribe.email == address, Unsubscribe.resubscribed_at.is_not(None))
               .values(unsubscribed_at=utcnow(), resubscribed_at=None, resubscribed_by_id=None))
    sending = select(Newsletter.message_id).where(Newsletter.state == IN_INVIO, Newsletter.message_id.is_not(None))
    return cancel_queued(db, Delivery.address == address, Delivery.message_id.in_(sending),
                         detail="Il destinatario ha annullato l'iscrizione alla newsletter.")


def resubscribe(found: Unsubscribe, user_id: int, note: str) -> None:
    """Subscribe an address again: only its owner can ask, so how they asked is required."""
    note = (note or "").strip()
    if not note:
        raise UserError("Indichi quando e come l'interessato ha chiesto di ricevere di nuovo la newsletter.",
                        field="note")
    if len(note) > NOTE_LIMIT:
        raise UserError(f"La nota può avere al massimo {NOTE_LIMIT} caratteri.", field="note")
    if found.resubscribed_at is not None:
        raise UserError("L'indirizzo non risulta disiscritto.")
    found.resubscribed_at, found.resubscribed_by_id, found.resubscribe_note = utcnow(), user_id, note
