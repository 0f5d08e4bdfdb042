"""The secretariat's alerts: today's appointments, deadlines due soon and overdue ones; and the dashboard's
widget with their numbers."""
from __future__ import annotations

from datetime import time, timedelta

from markupsafe import Markup
from pyramid.view import view_config
from sqlalchemy import bindparam, func, select

from occ_core.agenda.calendar import events_between, long_day
from occ_core.agenda.hooks import DEADLINES, VIEW
from occ_core.agenda.models import Event
from occ_core.agenda.services import rome_moment
from occ_core.agenda.views import TEMPLATES
from occ_core.agenda.views.calendar import display, own_only, visible_filters
from occ_core.clock import today
from occ_core.db import read_named_order
from occ_core.deadlines.catalogue import WHO
from occ_core.deadlines.preferences import window_days
from occ_core.deadlines.queries import ALERT_COUNTS, alert_parameters, due_soon, overdue
from occ_core.plugins import Widget


# The widget's three numbers in one round trip, built once; the statement names its Order itself, so the
# automatic tenant criteria are skipped.
_TODAYS_EVENTS = (select(func.count(Event.id))
                  .where(Event.tenant_id == bindparam("tenant_id"), Event.cancelled_at.is_(None),
                         Event.starts_at < bindparam("end"), Event.ends_at > bindparam("start")))
_DEADLINE_COUNTS = ALERT_COUNTS.subquery()
_WIDGET_COUNTS = (select(_TODAYS_EVENTS.scalar_subquery(), _DEADLINE_COUNTS.c.late, _DEADLINE_COUNTS.c.soon)
                  .execution_options(all_tenants=True))


@view_config(route_name="agenda_alerts", renderer=TEMPLATES + "alerts.pt", permission=VIEW)
def alerts(request):
    now, db = today(), request.dbsession
    todays = [event for event in events_between(db, now, now + timedelta(days=1), visible_filters(request),
                                                 request.identity) if event.cancelled_at is None]
    with_deadlines = request.has_permission(DEADLINES)
    window = window_days(request.tenant)
    return {
        **display(request, todays),
        "page_title": "Scadenze e avvisi", "today": now, "todays": todays, "window": window,
        "with_deadlines": with_deadlines, "who": WHO,
        "soon": due_soon(db, now, window) if with_deadlines else [],
        "late": overdue(db, now) if with_deadlines else [],
        "long_day": long_day,
    }


def widget(request) -> Widget:
    """Today's appointments, deadlines due within the Order's window and overdue ones (one statement)."""
    now, db, window = today(), request.dbsession, window_days(request.tenant)
    events, late, soon = read_named_order(db, _WIDGET_COUNTS, {
        "start": rome_moment(now, time(0)), "end": rome_moment(now + timedelta(days=1), time(0)),
        **alert_parameters(request.tenant.id, now, window)}).one()
    if own_only(request):
        events = sum(event.cancelled_at is None for event in events_between(
            db, now, now + timedelta(days=1), visible_filters(request), request.identity))
    items = [Markup("<p class='mb-1'>Appuntamenti di oggi: <strong>{}</strong></p>").format(events)]
    if request.has_permission(DEADLINES):
        items += [Markup("<p class='mb-1'>Scadenze nei prossimi {} giorni: <strong>{}</strong></p>").format(window, soon),
                  Markup("<p class='mb-1'>Scadenze superate: <strong>{}</strong></p>").format(late)]
    body = Markup("<div id='agenda-widget'>{}</div>").format(Markup("").join(items))
    return Widget(title="Scadenze e avvisi", body=body, order=20,
                  url=request.route_url("agenda_alerts", tenant=request.tenant.slug))
