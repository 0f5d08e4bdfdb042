"""Pages of the agenda: calendars, appointments, rooms and reminders, alerts, personal calendar feeds."""
TEMPLATES = "occ_core:agenda/templates/"
EVENT = r"/agenda/events/{id:\d{1,9}}"


def includeme(config):
    config.add_tenant_route("agenda", "/agenda")
    config.add_tenant_route("agenda_alerts", "/agenda/alerts")
    config.add_tenant_route("agenda_event_new", "/agenda/events/new")
    config.add_tenant_route("agenda_event", EVENT)
    config.add_tenant_route("agenda_event_edit", EVENT + "/edit")
    config.add_tenant_route("agenda_event_cancel", EVENT + "/cancel")
    config.add_tenant_route("agenda_event_ics", EVENT + ".ics")
    config.add_tenant_route("agenda_my_calendar", "/agenda/my-calendar")
    config.add_tenant_route("agenda_feed", r"/agenda/feed/{token:[A-Za-z0-9_.\-]{1,400}}.ics")
    config.add_tenant_route("dossier_agenda", r"/dossiers/{id:\d{1,9}}/agenda")
    config.add_tenant_route("agenda_rooms", "/settings/rooms")
    config.add_tenant_route("agenda_room_new", "/settings/rooms/new")
    config.add_tenant_route("agenda_room", r"/settings/rooms/{id:\d{1,9}}")
    config.add_tenant_route("agenda_room_delete", r"/settings/rooms/{id:\d{1,9}}/delete")
    config.add_tenant_route("agenda_reminders", "/settings/reminders")
    config.scan("occ_core.agenda.views")
