"""Registering correspondence: the «Nuova registrazione» form and «Protocolla una PEC»."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.documents.filetypes import ACCEPTED_TEXT
from occ_core.errors import UserError
from occ_core.protocol import pec_import, services
from occ_core.protocol.views import TEMPLATES, dossier_choices, page_values, uploads, url
from occ_core.web.forms import posted, refuse

NEW_FIELDS = ("direction", "subject", "means", "received_doc_date", "received_doc_number", "dossier",
              "classification", "assigned_to_id", "assigned_office", "notes", "destinatari")
SENDER_FIELDS = ("name", "tax_code", "address")
PEC_FIELDS = ("dossier", "classification", "assigned_to_id", "assigned_office")


def _form_values(request, form: dict, error: str | None = None, field: str | None = None, **extra) -> dict:
    limit = services.upload_limit(request)
    return page_values(request, form=form, error=error, error_field=field, dossiers=dossier_choices(request),
                       assignees=services.staff_members(request.dbsession, request.tenant.id),
                       accepted=ACCEPTED_TEXT, max_size=services.documents.fmt_size(limit), **extra)


def _registered(request, registration) -> HTTPFound:
    request.flash(f"Registrazione di protocollo {services.label(request.dbsession, registration)} eseguita.")
    return HTTPFound(url(request, "protocol_registration", id=registration.id))


def _new_form(request) -> dict:
    form = {name: posted(request, name) for name in NEW_FIELDS}
    form.update({f"mittente_{name}": posted(request, f"mittente_{name}") for name in SENDER_FIELDS})
    return form


def _new_data(form: dict) -> dict:
    data = {name: form[name] for name in NEW_FIELDS}
    data["mittente"] = {name: form[f"mittente_{name}"] for name in SENDER_FIELDS}
    return data


@view_config(route_name="protocol_new", request_method="GET", renderer=TEMPLATES + "new.pt",
             permission=services.CREATE)
def new_form(request):
    direction = request.GET.get("direction", "entrata")
    form = dict.fromkeys((*NEW_FIELDS, *(f"mittente_{name}" for name in SENDER_FIELDS)), "")
    form.update(direction=direction if direction in services.DIRECTIONS else "entrata", means="pec",
                dossier=request.GET.get("dossier", "")[:60])
    return _form_values(request, form, page_title="Nuova registrazione di protocollo")


@view_config(route_name="protocol_new", request_method="POST", renderer=TEMPLATES + "new.pt",
             permission=services.CREATE)
def register(request):
    form = _new_form(request)
    try:
        files = uploads(request, "primary")[:1] or [services.Upload("", None)]
        registration = services.register(request, _new_data(form), files + uploads(request, "attachments"))
    except UserError as error:
        return _form_values(request, form, refuse(request, error), error.field,
                            page_title="Nuova registrazione di protocollo")
    return _registered(request, registration)


@view_config(route_name="protocol_pec", request_method="GET", renderer=TEMPLATES + "pec.pt",
             permission=services.CREATE)
def pec_form(request):
    form = dict.fromkeys(PEC_FIELDS, "")
    form["dossier"] = request.GET.get("dossier", "")[:60]
    return _form_values(request, form, page_title="Protocolla una PEC ricevuta")


@view_config(route_name="protocol_pec", request_method="POST", renderer=TEMPLATES + "pec.pt",
             permission=services.CREATE)
def protocol_pec(request):
    form = {name: posted(request, name) for name in PEC_FIELDS}
    try:
        found = uploads(request, "file")
        registration = pec_import.protocol_pec(request, found[0].content if found else b"", form)
    except UserError as error:
        return _form_values(request, form, refuse(request, error), error.field,
                            existing=getattr(error, "registration", None),
                            page_title="Protocolla una PEC ricevuta")
    return _registered(request, registration)


def includeme(config):
    config.add_tenant_route("protocol_new", "/protocol/new")
    config.add_tenant_route("protocol_pec", "/protocol/pec")
    config.scan("occ_core.protocol.views.registration")
