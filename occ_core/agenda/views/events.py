"""An appointment: its page, the form to fix or change it, its cancellation and its .ics file."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from occ_core.agenda import ics, services
from occ_core.agenda.calendar import parse_anchor
from occ_core.agenda.feeds import linked_gestori
from occ_core.agenda.hooks import MANAGE, VIEW
from occ_core.agenda.models import Event
from occ_core.agenda.rooms import describe_hours, rooms_of
from occ_core.agenda.views import TEMPLATES
from occ_core.agenda.views.calendar import display, own_only
from occ_core.clock import ROME, today
from occ_core.dossiers.fields import InvalidData
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.views.registration import form_field, form_macros
from occ_core.errors import UserError
from occ_core.web.forms import posted, posted_all, refuse

FORM = TEMPLATES + "event_form.pt"
F = services.EVENT_FIELDS
WHEN_FIELDS = (
    form_field(F, "start_day", input="date", width="col-md-4"),
    form_field(F, "start_time", input="time", width="col-md-4", hint="Ora italiana."),
    form_field(F, "end_time", input="time", width="col-md-4"),
    form_field(F, "all_day", input="checkbox", width="col-md-4"),
    form_field(F, "end_day", input="date", width="col-md-8",
               hint="Lasci vuoto se l'appuntamento finisce lo stesso giorno."),
)
PLACE_FIELDS = (
    form_field(F, "place", width="col-md-6", hint="Ad esempio il tribunale, con l'aula."),
    form_field(F, "online_url", input="url", width="col-md-6", hint="Indirizzo completo, ad esempio https://…"),
)

GUEST_FIELDS = (form_field(F, "guests", input="textarea", width="col-12",
                           hint="Ad esempio: Mario Rossi, mario.rossi@example.it"),)
NOTE_FIELDS = (form_field(F, "description", input="textarea", width="col-12"),)


def event_from_url(request) -> Event:
    raw = (request.matchdict or {}).get("id", "")
    event = request.dbsession.scalar(select(Event).options(selectinload(Event.participants))
                                     .where(Event.id == int(raw))) if raw.isdecimal() else None
    if event is None or (own_only(request) and not takes_part(request, event)):
        raise HTTPNotFound()
    return event


def takes_part(request, event: Event) -> bool:
    user = request.identity
    return (any(participant.user_id == user.id for participant in event.participants)
            or event.gestore_id in linked_gestori(request.dbsession, user.email))


def _form(request, event: Event | None, values: dict, dossier: Dossier | None, errors=None, problem=None) -> dict:
    db = request.dbsession
    rooms = [room for room in rooms_of(db) if room.active or (event is not None and room.id == event.room_id)]
    room_options = {"": "Nessuna sala (luogo esterno o riunione online)",
                    **{str(room.id): room.name for room in rooms}}
    gestore_options = {"": "Nessun gestore",
                       **{str(gestore_id): name for gestore_id, name
                          in services.gestori_choices(db, event.gestore_id if event is not None else None)}}
    return {
        "page_title": "Nuovo appuntamento" if event is None else f"Modifica di «{event.title}»",
        "event": event, "values": values, "errors": errors or {}, "problem": problem,
        "main_fields": (
            form_field(F, "kind", input="select", options={"": "Scelga il tipo", **services.KINDS},
                       width="col-md-4"),
            form_field(F, "title", width="col-md-8"),
            form_field(F, "dossier", width="col-md-4", hint="Numero di registro, ad esempio 12/2025; facoltativo."),
        ),
        "when_fields": WHEN_FIELDS,
        "place_fields": (form_field(F, "room_id", input="select", options=room_options, width="col-md-12"),
                         *PLACE_FIELDS),
        "people_fields": (form_field(F, "gestore_id", input="select", options=gestore_options, width="col-md-6"),),
        "guest_fields": GUEST_FIELDS, "note_fields": NOTE_FIELDS,
        "members": services.staff_members(db),
        "parties": services.dossier_parties(dossier),
        "rooms": rooms, "describe_hours": describe_hours,
        "form": form_macros(),
        "cancel_url": (request.route_url("agenda_event", tenant=request.tenant.slug, id=event.id) if event is not None
                       else request.route_url("agenda", tenant=request.tenant.slug)),
    }


def _posted(request) -> dict:
    data = {name: posted(request, name) for name in F}
    data["users"], data["parties"] = posted_all(request, "users"), posted_all(request, "parties")
    data["sequence"] = posted(request, "sequence")
    return data


def _save(request, event: Event | None):
    data = _posted(request)
    try:
        saved = services.save_event(request, data, event)
    except UserError as error:
        # The form again, with the parties of the dossier it names (a wrong number is among the errors).
        dossier = services.dossier_by_reference(request.dbsession, data["dossier"])
        problem = refuse(request, error)
        if isinstance(error, InvalidData):
            return _form(request, event, data, dossier, errors=error.errors)
        return _form(request, event, data, dossier, problem=problem)
    request.flash("Appuntamento salvato." if event is None else "Appuntamento modificato.")
    return HTTPFound(request.route_url("agenda_event", tenant=request.tenant.slug, id=saved.id))


@view_config(route_name="agenda_event_new", renderer=FORM, permission=MANAGE)
def event_new(request):
    if request.method == "POST":
        return _save(request, None)
    raw = request.GET.get("dossier", "")
    dossier = request.dbsession.scalar(select(Dossier).where(Dossier.id == services.as_id(raw))) if raw else None
    on = parse_anchor(request.GET.get("date", ""), today())
    return _form(request, None, services.new_form_values(request.dbsession, on, dossier), dossier)


@view_config(route_name="agenda_event_edit", renderer=FORM, permission=MANAGE)
def event_edit(request):
    event = event_from_url(request)
    if event.cancelled_at is not None:
        raise HTTPNotFound()
    if request.method == "POST":
        return _save(request, event)
    dossier = request.dbsession.get(Dossier, event.dossier_id) if event.dossier_id else None
    return _form(request, event, services.form_values(event, dossier), dossier)


def _page(request, event: Event, error: str | None = None, reason: str = "") -> dict:
    return {
        **display(request, [event]),
        "page_title": event.title, "event": event, "error": error, "reason": reason,
        "participant_kinds": services.PARTICIPANT_KINDS, "when": services.describe_when(event),
        "ics_url": request.route_url("agenda_event_ics", tenant=request.tenant.slug, id=event.id),
        "day_url": request.route_url("agenda", tenant=request.tenant.slug, _query={
            "view": "giorno", "date": event.starts_at.astimezone(ROME).date().isoformat()}),
    }


@view_config(route_name="agenda_event", renderer=TEMPLATES + "event.pt", permission=VIEW)
def event_page(request):
    return _page(request, event_from_url(request))


@view_config(route_name="agenda_event_cancel", request_method="POST", renderer=TEMPLATES + "event.pt",
             permission=MANAGE)
def event_cancel(request):
    event = event_from_url(request)
    reason = posted(request, "reason")
    try:
        services.cancel_event(request, event, reason)
    except UserError as error:
        return _page(request, event, refuse(request, error), reason)
    request.flash("Appuntamento annullato.")
    return HTTPFound(request.route_url("agenda_event", tenant=request.tenant.slug, id=event.id))


def calendar_response(body: bytes, filename: str) -> Response:
    response = Response(body=body, content_type=ics.CONTENT_TYPE, charset="utf-8")
    response.content_disposition = f'attachment; filename="{filename}"'
    return response


@view_config(route_name="agenda_event_ics", permission=VIEW)
def event_ics(request):
    event = event_from_url(request)
    return calendar_response(ics.to_bytes(event.title, ics.components_of(request.dbsession, [event])),
                             f"appuntamento-{event.id}.ics")
