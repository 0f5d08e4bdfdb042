"""«Il mio calendario»: the personal feed's URL (create, renew, revoke) and the feed itself, which calendar
programs read without logging in."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from occ_core.accounts.models import User
from occ_core.agenda import feeds, ics
from occ_core.agenda.hooks import DEADLINES, MANAGE, VIEW
from occ_core.agenda.views import TEMPLATES
from occ_core.agenda.views.events import calendar_response
from occ_core.audit.services import audit
from occ_core.db import utcnow
from occ_core.web.forms import posted


def feed_url(request, feed) -> str:
    return request.route_url("agenda_feed", tenant=request.tenant.slug,
                             token=feeds.token_of(request.registry.settings["occ.secret"], feed))


@view_config(route_name="agenda_my_calendar", renderer=TEMPLATES + "my_calendar.pt", permission=VIEW)
def my_calendar(request):
    db, user = request.dbsession, request.identity
    if request.method == "POST":
        action = posted(request, "action")
        if action == "renew":
            feed = feeds.renew(db, request.tenant.id, user.id)
            audit(request, "agenda.feed.created", object_type="CalendarFeed", object_id=feed.id)
            request.flash("Nuovo collegamento creato: l'indirizzo precedente, se c'era, non funziona più.")
        elif action == "revoke" and feeds.revoke(db, user.id):
            audit(request, "agenda.feed.revoked", object_type="User", object_id=user.id)
            request.flash("Collegamento revocato: il calendario non riceverà più aggiornamenti.")
        else:
            request.flash("Nessuna operazione eseguita.", "info")
        return HTTPFound(request.route_url("agenda_my_calendar", tenant=request.tenant.slug))
    feed = feeds.active_feed(db, user.id)
    return {"page_title": "Il mio calendario", "feed": feed, "url": feed_url(request, feed) if feed else "",
            "everything": request.has_permission(MANAGE)}


@view_config(route_name="agenda_feed", permission=NO_PERMISSION_REQUIRED)
def feed(request):
    db = request.dbsession
    found = feeds.feed_of_token(db, request.registry.settings["occ.secret"], request.matchdict["token"])
    user = db.get(User, found.user_id) if found is not None else None
    role_id = request.order_config.role_of(db, request.tenant.id, user.id) if user is not None and user.active else None
    permissions = request.order_config.permissions_of(role_id)
    # A revoked feed, or the feed of someone who left the Order or lost the agenda, is simply not there.
    if role_id is None or VIEW not in permissions:
        raise HTTPNotFound()
    events, deadlines = feeds.feed_content(db, user, MANAGE in permissions)
    components = ics.components_of(db, events)
    if DEADLINES in permissions:
        components += [ics.deadline_component(deadline, f"{request.tenant.slug}.occ") for deadline in deadlines]
    found.last_used_at = utcnow()
    return calendar_response(ics.to_bytes(f"Agenda - {request.tenant.display_name}", components), "agenda.ics")
