"""The agenda's settings: the meeting rooms (with capacity and opening hours) and the reminders' offsets."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.agenda import reminders, rooms
from occ_core.agenda.hooks import ROOMS
from occ_core.agenda.models import Room
from occ_core.agenda.views import TEMPLATES
from occ_core.audit.services import audit
from occ_core.dossiers.fields import InvalidData
from occ_core.dossiers.views.registration import FormField, form_field, form_macros
from occ_core.errors import UserError
from occ_core.web.forms import posted, posted_all, refuse

R = rooms.ROOM_FIELDS
ROOM_FORM = (
    form_field(R, "name", width="col-md-6"),
    form_field(R, "capacity", input="number", width="col-md-3"),
    form_field(R, "active", input="checkbox", width="col-md-3"),
    form_field(R, "location", width="col-md-12", hint="Ad esempio: Via Freguglia 1, Milano, secondo piano."),
    form_field(R, "notes", input="textarea", width="col-12"),
)
HOURS_FORM = tuple(FormField(rooms.hours_field(day), name.capitalize(), width="col-md-6 col-xl-4")
                   for day, name in rooms.WEEKDAYS.items())
EMPTY_REMINDER_ROWS = 2


def _room_from_url(request) -> Room:
    room = request.dbsession.scalar(select(Room).where(Room.id == int(request.matchdict["id"])))
    if room is None:
        raise HTTPNotFound()
    return room


def _rooms_page(request, problem: str | None = None) -> dict:
    return {"page_title": "Sale riunioni", "rooms": rooms.rooms_of(request.dbsession),
            "describe_hours": rooms.describe_hours, "problem": problem}


@view_config(route_name="agenda_rooms", renderer=TEMPLATES + "rooms.pt", permission=ROOMS)
def room_list(request):
    return _rooms_page(request)


def _room_form(request, room: Room | None):
    values, errors = rooms.form_values(room), {}
    if request.method == "POST":
        values = {name: posted(request, name) for name in (*R, *(field.name for field in HOURS_FORM))}
        try:
            saved = rooms.save_room(request.dbsession, request.tenant.id, room, values)
        except InvalidData as error:
            refuse(request, error)
            errors = error.errors
        else:
            audit(request, "agenda.room.saved", object_type="Room", object_id=saved.id,
                  details={"name": saved.name, "capacity": saved.capacity, "opening_hours": saved.opening_hours,
                           "active": saved.active})
            request.flash(f"Sala «{saved.name}» salvata.")
            return HTTPFound(request.route_url("agenda_rooms", tenant=request.tenant.slug))
    return {"page_title": "Nuova sala" if room is None else f"Sala «{room.name}»", "room": room, "values": values,
            "errors": errors, "fields": ROOM_FORM, "hours": HOURS_FORM, "form": form_macros()}


@view_config(route_name="agenda_room_new", renderer=TEMPLATES + "room_form.pt", permission=ROOMS)
def room_new(request):
    return _room_form(request, None)


@view_config(route_name="agenda_room", renderer=TEMPLATES + "room_form.pt", permission=ROOMS)
def room_edit(request):
    return _room_form(request, _room_from_url(request))


@view_config(route_name="agenda_room_delete", request_method="POST", renderer=TEMPLATES + "rooms.pt",
             permission=ROOMS)
def room_delete(request):
    room = _room_from_url(request)
    name = room.name
    try:
        rooms.delete_room(request.dbsession, room)
    except UserError as error:
        return _rooms_page(request, refuse(request, error))
    audit(request, "agenda.room.deleted", object_type="Room", object_id=request.matchdict["id"], details={"name": name})
    request.flash(f"Sala «{name}» eliminata.")
    return HTTPFound(request.route_url("agenda_rooms", tenant=request.tenant.slug))


@view_config(route_name="agenda_reminders", renderer=TEMPLATES + "reminders.pt", permission=ROOMS)
def reminder_settings(request):
    tenant = request.tenant
    current = reminders.offsets_of(tenant)
    rows = [reminders.split_offset(minutes) for minutes in current]
    error = None
    if request.method == "POST":
        amounts, units = posted_all(request, "amount"), posted_all(request, "unit")
        try:
            wanted = reminders.parse_offsets(amounts, units)
        except UserError as refused:
            error = refuse(request, refused)
            rows = list(zip(amounts, units))
        else:
            if wanted == current:
                request.flash("Nessuna modifica da salvare.", "info")
            else:
                reminders.save_offsets(tenant, wanted)
                audit(request, "agenda.reminders.changed", object_type="Tenant", object_id=tenant.id,
                      details={"before": current, "after": wanted})
                request.flash("Promemoria salvati: valgono per i prossimi appuntamenti.")
            return HTTPFound(request.route_url("agenda_reminders", tenant=tenant.slug))
    return {"page_title": "Promemoria degli appuntamenti", "rows": rows + [("", "ore")] * EMPTY_REMINDER_ROWS,
            "units": reminders.UNITS, "error": error, "describe": reminders.describe_offset, "current": current,
            "limit": reminders.MAX_OFFSETS}
