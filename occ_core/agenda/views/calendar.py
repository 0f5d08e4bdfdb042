"""The calendars: the Order's agenda (month, week, day, list), a dossier's «Agenda» tab, and the next
appointments on the dossier's summary."""
from __future__ import annotations

from dataclasses import replace

from markupsafe import Markup
from pyramid.httpexceptions import HTTPForbidden
from pyramid.renderers import get_renderer, render
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.agenda import calendar
from occ_core.agenda.hooks import DEADLINES, MANAGE, ROOMS, VIEW
from occ_core.agenda.models import Event
from occ_core.agenda.rooms import rooms_of
from occ_core.agenda.services import KINDS, as_id, references, where
from occ_core.agenda.views import TEMPLATES
from occ_core.clock import ROME, today
from occ_core.db import utcnow
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.gestori.models import Gestore
from occ_core.gestori.screening import gestore_name

NEXT_ON_SUMMARY = 3
DOSSIERS = "dossier:dossier:view"


def own_only(request) -> bool:
    """Whether the user sees only the appointments he takes part in: who may not see the Order's dossiers (a
    gestore, say) must not read their debtors and creditors in the Order's agenda either."""
    return not request.has_permission(DOSSIERS)


def visible_filters(request, filters: calendar.Filters = calendar.Filters()) -> calendar.Filters:
    return replace(filters, mine=True) if own_only(request) else filters


def display(request, events) -> dict:
    """What the templates need to show appointments: rooms, dossier numbers, gestori, links."""
    db = request.dbsession
    rooms = {room.id: room for room in rooms_of(db)}
    numbers = references(db, {event.dossier_id for event in events})
    slug = request.tenant.slug
    return {
        "rooms": rooms, "numbers": numbers, "kinds": KINDS,
        "gestori": dict(sorted(((gestore.id, gestore_name(gestore)) for gestore in db.scalars(select(Gestore))),
                               key=lambda item: item[1])),
        "where": lambda event: where(event, rooms.get(event.room_id)),
        "event_url": lambda event: request.route_url("agenda_event", tenant=slug, id=event.id),
        "dossier_url": lambda dossier_id: request.route_url("dossier", tenant=slug, id=dossier_id),
        "deadline_url": lambda deadline: request.route_url("dossier_deadlines", tenant=slug, id=deadline.dossier_id),
        "clock": lambda moment: moment.astimezone(ROME).strftime("%H:%M"),
        "can_manage": request.has_permission(MANAGE),
        "agenda_macros": get_renderer(TEMPLATES + "macros.pt").implementation(),
    }


@view_config(route_name="agenda", renderer=TEMPLATES + "calendar.pt", permission=VIEW)
def agenda(request):
    now = today()
    view = request.GET.get("view", "")
    view_period = calendar.period(view if view in calendar.VIEWS else "mese",
                                  calendar.parse_anchor(request.GET.get("date", ""), now))
    filters = visible_filters(request, calendar.Filters.from_params(request.GET))
    # A dossier that is not the Order's (or no longer exists) names nothing: ignored, as the other filters are.
    dossier_reference = references(request.dbsession, {filters.dossier}).get(filters.dossier)
    if dossier_reference is None:
        filters = replace(filters, dossier=None)
    days = calendar.calendar_days(request.dbsession, view_period, filters, request.identity,
                                  request.has_permission(DEADLINES))
    events = list({event.id: event for day in days.values() for event in day.events}.values())
    slug = request.tenant.slug

    def link(view_name: str = view_period.view, on=view_period.anchor) -> str:
        return request.route_url("agenda", tenant=slug, _query=[("view", view_name), ("date", on.isoformat())]
                                 + filters.query())

    return {
        **display(request, events),
        "page_title": "Agenda", "period": view_period, "days": days, "filters": filters, "today": now,
        "views": calendar.VIEWS, "link": link, "events": sorted(events, key=lambda e: (e.starts_at, e.id)),
        "deadlines": [deadline for day in days.values() for deadline in day.deadlines],
        "day_names": calendar.DAY_NAMES, "long_day": calendar.long_day,
        "room_choices": rooms_of(request.dbsession),
        "dossier_reference": dossier_reference,
        "can_configure": request.has_permission(ROOMS),
        "new_url": request.route_url("agenda_event_new", tenant=slug, _query={"date": view_period.anchor.isoformat()}),
    }


@view_config(route_name="dossier_agenda", renderer=TEMPLATES + "dossier_tab.pt", permission=VIEW)
def dossier_agenda(request):
    # The tab's frame shows the dossier: only to whoever may see dossiers.
    if not request.has_permission(DOSSIERS):
        raise HTTPForbidden()
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "agenda")
    events = list(request.dbsession.scalars(select(Event).where(Event.dossier_id == dossier.id)
                                            .order_by(Event.starts_at, Event.id)))
    now = utcnow()
    return dossier_page(
        request, dossier, **display(request, events),
        upcoming=[event for event in events if event.ends_at > now],
        past=[event for event in reversed(events) if event.ends_at <= now],
        new_url=request.route_url("agenda_event_new", tenant=request.tenant.slug, _query={"dossier": dossier.id}),
        calendar_url=request.route_url("agenda", tenant=request.tenant.slug, _query={"dossier": dossier.id}),
    )


def next_appointments(request) -> Markup | None:
    """The «Prossimi appuntamenti» card of the dossier's summary (the dossier of the URL)."""
    dossier_id = as_id((request.matchdict or {}).get("id", ""))
    if dossier_id is None:
        return None
    events = list(request.dbsession.scalars(
        select(Event).where(Event.dossier_id == dossier_id, Event.cancelled_at.is_(None), Event.ends_at > utcnow())
        .order_by(Event.starts_at).limit(NEXT_ON_SUMMARY)))
    values = {**display(request, events), "events": events,
              "tab_url": request.route_url("dossier_agenda", tenant=request.tenant.slug, id=dossier_id),
              "new_url": request.route_url("agenda_event_new", tenant=request.tenant.slug,
                                           _query={"dossier": dossier_id})}
    return Markup(render(TEMPLATES + "summary_slot.pt", values, request=request))
