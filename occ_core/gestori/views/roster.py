"""The list of gestori: list with filters and CSV export, enrolment, page of a gestore and its forms."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.clock import today
from occ_core.dossiers import procedures
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.gestori import roster
from occ_core.gestori.models import Appointment, Gestore, GestoreLink, GestoreTraining
from occ_core.gestori.screening import STATUSES, gestore_name
from occ_core.gestori.training import bienni, fmt_hours, rule_of, status_of, REQUIRED_HOURS
from occ_core.gestori.views import TEMPLATES, form_reader
from occ_core.web import ui
from occ_core.web.forms import posted, refuse

STATUS_BADGES = {"attivo": "bg-success", "sospeso": "bg-warning text-dark", "decaduto": "bg-danger",
                 "cancellato": "bg-secondary"}
ID = r"{id:\d{1,9}}"


def includeme(config):
    config.add_tenant_route("gestori", "/gestori")
    config.add_tenant_route("gestori_export", "/gestori/export.csv")
    config.add_tenant_route("gestore_new", "/gestori/new")
    config.add_tenant_route("gestore", f"/gestori/{ID}")
    config.add_tenant_route("gestore_edit", f"/gestori/{ID}/edit")
    config.add_tenant_route("gestore_status", f"/gestori/{ID}/status")
    config.add_tenant_route("gestore_training_add", f"/gestori/{ID}/trainings")
    config.add_tenant_route("gestore_training_delete", f"/gestori/{ID}/trainings/{{child:\\d{{1,9}}}}/delete")
    config.add_tenant_route("gestore_link_add", f"/gestori/{ID}/links")
    config.add_tenant_route("gestore_link_delete", f"/gestori/{ID}/links/{{child:\\d{{1,9}}}}/delete")
    config.scan("occ_core.gestori.views.roster")


def _filters(request) -> dict:
    """The list's filters; unknown values are ignored rather than refused."""
    get = {name: (request.GET.get(name) or "").strip()[:100] for name in roster.FILTERS}
    return {**get,
            "status": get["status"] if get["status"] in STATUSES else "",
            "regola": get["regola"] if get["regola"] in ("si", "no") else ""}


def _filtered(request) -> tuple[list, list]:
    found = roster.rows(request.dbsession, request.tenant.id, rule_of(request.tenant), today())
    return found, roster.apply_filters(found, _filters(request))


@view_config(route_name="gestori", renderer=TEMPLATES + "list.pt", permission="gestori:gestore:view")
def gestori_list(request):
    every, found = _filtered(request)
    filters = _filters(request)
    topics = sorted({s for row in every for s in row.gestore.specialisations or [] if s not in procedures.PROCEDURES})
    return {
        "page_title": "Elenco dei gestori della crisi", "pager": ui.paginate_list(request, found),
        "filters": filters, "statuses": STATUSES, "status_badges": STATUS_BADGES,
        "specialisations": [(code, p.label) for code, p in procedures.PROCEDURES.items()] + [(t, t) for t in topics],
        "circondari": sorted({row.gestore.circondario for row in every if row.gestore.circondario}),
        "export_url": request.route_url("gestori_export", tenant=request.tenant.slug,
                                        _query={k: v for k, v in filters.items() if v}),
        "can_edit": request.has_permission("gestori:gestore:edit"),
        "can_see_log": request.has_permission("gestori:log:view"),
        "can_configure": request.has_permission("gestori:settings:edit"),
    }


@view_config(route_name="gestori_export", permission="gestori:gestore:view")
def gestori_export(request):
    _every, found = _filtered(request)
    return ui.csv_response(roster.export_rows(found), f"gestori-{request.tenant.slug}.csv")


def _gestore_or_404(request) -> Gestore:
    gestore = request.dbsession.scalar(select(Gestore).where(Gestore.tenant_id == request.tenant.id,
                                                              Gestore.id == int(request.matchdict["id"])))
    if gestore is None:
        raise HTTPNotFound()
    return gestore


def _form_values(gestore: Gestore | None, request=None) -> dict:
    if request is not None and request.method == "POST":
        value, values = form_reader(request)
        names = ("enrolled_on", "partita_iva", "degree", "course_hours", "course_completed_on",
                 "traineeship_completed_on", "circondario", "topics", "available", "notes", "registrant")
        return {**{name: value(name) for name in names}, "specialisation": values("specialisation")}
    if gestore is None:
        return {"available": "1", "enrolled_on": ui.iso(today()), "specialisation": []}
    specialisations = gestore.specialisations or []
    return {
        "enrolled_on": ui.iso(gestore.enrolled_on), "partita_iva": gestore.partita_iva, "degree": gestore.degree,
        "course_hours": "" if gestore.course_hours is None else str(gestore.course_hours),
        "course_completed_on": ui.iso(gestore.course_completed_on),
        "traineeship_completed_on": ui.iso(gestore.traineeship_completed_on), "circondario": gestore.circondario,
        "specialisation": [s for s in specialisations if s in procedures.PROCEDURES],
        "topics": "\n".join(s for s in specialisations if s not in procedures.PROCEDURES),
        "available": "1" if gestore.available else "", "notes": gestore.notes,
    }


def _form_page(request, gestore: Gestore | None, error: str | None = None, candidates=()) -> dict:
    return {
        "page_title": f"Modifica di {gestore_name(gestore)}" if gestore else "Iscrizione di un gestore nell'elenco",
        "gestore": gestore, "values": _form_values(gestore, request), "error": error, "candidates": candidates,
        "query": (request.GET.get("q") or "").strip()[:100], "procedures": procedures.PROCEDURES,
    }


@view_config(route_name="gestore_new", renderer=TEMPLATES + "form.pt", permission="gestori:gestore:edit")
def gestore_new(request):
    """Step one finds the registrant (name or codice fiscale), step two records the enrolment."""
    candidates = roster.enrollable(request.dbsession, request.tenant.id, (request.GET.get("q") or "")[:100])
    if request.method == "POST":
        value, values = form_reader(request)
        try:
            gestore = roster.enrol(request.dbsession, request.tenant.id, value("registrant"),
                                   roster.parse_details(value, values))
        except UserError as error:
            return _form_page(request, None, refuse(request, error), candidates)
        request.flash(f"{gestore_name(gestore)} è stato iscritto nell'elenco dei gestori.")
        return HTTPFound(request.route_url("gestore", tenant=request.tenant.slug, id=gestore.id))
    return _form_page(request, None, None, candidates)


@view_config(route_name="gestore_edit", renderer=TEMPLATES + "form.pt", permission="gestori:gestore:edit")
def gestore_edit(request):
    gestore = _gestore_or_404(request)
    if request.method == "POST":
        value, values = form_reader(request)
        try:
            roster.update(gestore, roster.parse_details(value, values))
        except UserError as error:
            return _form_page(request, gestore, refuse(request, error))
        request.flash("Dati del gestore salvati.")
        return HTTPFound(request.route_url("gestore", tenant=request.tenant.slug, id=gestore.id))
    return _form_page(request, gestore)


def _appointments_of(request, gestore: Gestore) -> list:
    return list(request.dbsession.execute(
        select(Appointment, Dossier).join(Dossier, Dossier.id == Appointment.dossier_id)
        .where(Appointment.gestore_id == gestore.id).order_by(Appointment.appointed_at.desc())))


def _detail(request, gestore: Gestore, errors: dict | None = None) -> dict:
    day = today()
    return {
        "page_title": gestore_name(gestore), "gestore": gestore, "statuses": STATUSES,
        "status_badges": STATUS_BADGES, "training": status_of(gestore, day, rule_of(request.tenant)),
        "bienni": list(reversed(bienni(gestore.enrolled_on, [(t.on, t.hours) for t in gestore.trainings], day))),
        "required_hours": REQUIRED_HOURS, "fmt_hours": fmt_hours, "link_kinds": roster.LINK_KINDS,
        "specialisation_label": roster.specialisation_label, "appointments": _appointments_of(request, gestore),
        "errors": errors or {}, "form": {name: posted(request, name) for name in request.POST} if errors else {},
        "today": ui.iso(day),
        "can_edit": request.has_permission("gestori:gestore:edit"),
    }


@view_config(route_name="gestore", renderer=TEMPLATES + "detail.pt", permission="gestori:gestore:view")
def gestore_page(request):
    return _detail(request, _gestore_or_404(request))


def _change(request, section: str, change, message: str):
    """Run ``change(gestore)`` for a form of the gestore's page: back to the page, or the page again with
    the message in ``section`` (400, nothing written)."""
    gestore = _gestore_or_404(request)
    try:
        change(gestore)
    except UserError as error:
        return _detail(request, gestore, {section: refuse(request, error)})
    request.flash(message)
    return HTTPFound(request.route_url("gestore", tenant=request.tenant.slug, id=gestore.id) + f"#{section}")


@view_config(route_name="gestore_status", request_method="POST", renderer=TEMPLATES + "detail.pt",
             permission="gestori:gestore:edit")
def gestore_status(request):
    return _change(request, "status", lambda g: roster.change_status(
        g, posted(request, "status"), posted(request, "reason"), posted(request, "since")),
        "Stato del gestore aggiornato.")


@view_config(route_name="gestore_training_add", request_method="POST", renderer=TEMPLATES + "detail.pt",
             permission="gestori:gestore:edit")
def gestore_training_add(request):
    return _change(request, "training", lambda g: roster.add_training(
        request.dbsession, g, posted(request, "on"), posted(request, "title"), posted(request, "provider"),
        posted(request, "hours"), today()), "Formazione registrata.")


@view_config(route_name="gestore_link_add", request_method="POST", renderer=TEMPLATES + "detail.pt",
             permission="gestori:gestore:edit")
def gestore_link_add(request):
    return _change(request, "links", lambda g: roster.add_link(
        request.dbsession, g, posted(request, "kind"), posted(request, "name"), posted(request, "codice_fiscale"),
        posted(request, "partita_iva"), posted(request, "description"), posted(request, "ended_on")),
        "Legame dichiarato registrato.")


def _delete_child(request, model, section: str, message: str):
    def delete(gestore):
        child = roster.child_of(request.dbsession, model, gestore, request.matchdict["child"])
        if child is None:
            raise HTTPNotFound()
        request.dbsession.delete(child)

    return _change(request, section, delete, message)


@view_config(route_name="gestore_training_delete", request_method="POST", renderer=TEMPLATES + "detail.pt",
             permission="gestori:gestore:edit")
def gestore_training_delete(request):
    return _delete_child(request, GestoreTraining, "training", "Formazione eliminata.")


@view_config(route_name="gestore_link_delete", request_method="POST", renderer=TEMPLATES + "detail.pt",
             permission="gestori:gestore:edit")
def gestore_link_delete(request):
    return _delete_child(request, GestoreLink, "links", "Legame eliminato.")
