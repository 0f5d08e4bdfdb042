"""The pages of the modulistica: the Order's templates under the settings (list, versions, upload, rollback,
new templates, downloads and previews against the sample data, the catalogue of the data) and the
«Modulistica» tab of a dossier, which generates a document and files it in the fascicolo.

Templates are looked up through the request's session, bound to the Order of the URL: another Order's
template is a 404 like an unknown one."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.documents.models import Document
from occ_core.documents.services import content_disposition, fmt_size
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.forms import services
from occ_core.forms.context import VARIABLES, protocol_data
from occ_core.forms.rendering import TemplateProblem
from occ_core.protocol import services as protocol
from occ_core.protocol.models import Registration
from occ_core.protocol.numbering import reference
from occ_core.web.forms import param, posted, read_upload, refuse
from occ_core.web.ui import fmt_date, fmt_datetime

TEMPLATES = "occ_core:forms/templates/"
VERSION = "/settings/forms/{code}/versions/{number:\\d{1,6}}"
REGISTRATIONS_SHOWN = 50
DOCUMENT_VIEW = "dossier:document:view"


def includeme(config):
    config.add_tenant_route("forms_templates", "/settings/forms")
    config.add_tenant_route("forms_template_new", "/settings/forms/new")
    config.add_tenant_route("forms_template", "/settings/forms/{code}")
    config.add_tenant_route("forms_template_activate", "/settings/forms/{code}/activate")
    config.add_tenant_route("forms_template_download", VERSION + "/download")
    config.add_tenant_route("forms_template_preview", VERSION + "/preview")
    config.add_tenant_route("dossier_forms", r"/dossiers/{id:\d{1,9}}/forms")
    config.scan("occ_core.forms.views")


def _entry_or_404(request) -> services.Entry:
    try:
        return services.entry(request.dbsession, request.matchdict.get("code", ""))
    except LookupError:
        raise HTTPNotFound() from None


def _uploaded(request) -> tuple[bytes | None, str]:
    field = request.POST.get("file")
    content = read_upload(field, services.upload_limit(request.registry.settings))
    return content or None, getattr(field, "filename", "") or ""


UPLOAD_REFUSED = ("Il modello non è stato caricato perché non può essere compilato con i dati di prova. Corregga "
                  "nel documento i punti indicati e lo carichi di nuovo.")
ACTIVATION_REFUSED = ("La versione non è stata attivata perché non può più essere compilata con i dati "
                      "disponibili. Corregga nel documento i punti indicati e ne carichi una nuova versione.")
PREVIEW_REFUSED = "L'anteprima non è disponibile: il modello non può essere compilato con i dati di prova."
GENERATION_REFUSED = ("Il documento non è stato generato: il modello in uso non può essere compilato con i dati di "
                      "questa pratica. Completi i dati indicati o corregga il modello.")


def _refused(request, error: UserError, intro: str) -> dict:
    """The message and, for a template with problems, the list of them with their places."""
    message = refuse(request, error)
    if isinstance(error, TemplateProblem):
        return {"error": intro, "problems": [str(problem) for problem in error.problems]}
    return {"error": message, "problems": []}


def _file(generated: services.Generated, disposition: str = "attachment") -> Response:
    response = Response(body=generated.content, content_type=generated.media_type)
    response.content_disposition = content_disposition(disposition, generated.filename)
    response.cache_control = "private, no-store"
    return response


# --- the Order's templates -------------------------------------------------------------------------------

def _list_values(request, **values) -> dict:
    return {"page_title": "Modulistica", "entries": services.entries(request.dbsession), "variables": VARIABLES,
            "version_label": services.version_label, "fmt_date": fmt_date,
            "url": lambda name, **kw: request.route_url(name, tenant=request.tenant.slug, **kw), **values}


@view_config(route_name="forms_templates", renderer=TEMPLATES + "templates.pt", permission=services.MANAGE)
def templates_list(request):
    return _list_values(request)


def _template_values(request, found: services.Entry, **values) -> dict:
    user_ids = {v.uploaded_by_id for v in found.versions} - {None}
    people = dict(request.dbsession.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    return {"page_title": f"Modello «{found.title}»", "entry": found, "people": people,
            "versions": sorted(found.versions, key=lambda v: v.number, reverse=True),
            "max_size": fmt_size(services.upload_limit(request.registry.settings)),
            "fmt_datetime": fmt_datetime, "fmt_size": fmt_size, "error": None, "problems": [],
            "form": {"note": "", "activate": True},
            "url": lambda name, **kw: request.route_url(name, tenant=request.tenant.slug, code=found.code, **kw),
            **values}


@view_config(route_name="forms_template", request_method="GET", renderer=TEMPLATES + "template.pt",
             permission=services.MANAGE)
def template_page(request):
    return _template_values(request, _entry_or_404(request))


@view_config(route_name="forms_template", request_method="POST", renderer=TEMPLATES + "template.pt",
             permission=services.MANAGE)
def upload_version(request):
    found = _entry_or_404(request)
    form = {"note": posted(request, "note"), "activate": posted(request, "activate") == "1"}
    try:
        content, filename = _uploaded(request)
        version = services.upload(request, found.code, content, filename, form["note"], form["activate"])
    except UserError as error:
        return _template_values(request, found, form=form, **_refused(request, error, UPLOAD_REFUSED))
    state = "ed è ora in uso" if form["activate"] else "e può essere attivata dall'elenco delle versioni"
    request.flash(f"Versione {version.number} di «{found.title}» caricata {state}.")
    return HTTPFound(request.route_url("forms_template", tenant=request.tenant.slug, code=found.code))


@view_config(route_name="forms_template_activate", request_method="POST", renderer=TEMPLATES + "template.pt",
             permission=services.MANAGE)
def activate_version(request):
    found = _entry_or_404(request)
    number = posted(request, "number")
    try:
        if not number.isdecimal() or len(number) > 6:
            raise UserError("Scelga la versione da attivare dall'elenco.", field="number")
        services.activate(request, found.code, int(number))
    except UserError as error:
        return _template_values(request, found, **_refused(request, error, ACTIVATION_REFUSED))
    request.flash(f"«{found.title}»: è ora in uso la {services.version_label(int(number))}.")
    return HTTPFound(request.route_url("forms_template", tenant=request.tenant.slug, code=found.code))


@view_config(route_name="forms_template_new", request_method="GET", renderer=TEMPLATES + "new.pt",
             permission=services.MANAGE)
def new_template(request):
    return _new_values(request, {"code": "", "title": "", "description": "", "note": ""})


def _new_values(request, form: dict, **values) -> dict:
    return {"page_title": "Nuovo modello dell'Ordine", "form": form, "error": None, "problems": [], "field": None,
            "max_size": fmt_size(services.upload_limit(request.registry.settings)), **values}


@view_config(route_name="forms_template_new", request_method="POST", renderer=TEMPLATES + "new.pt",
             permission=services.MANAGE)
def create_template(request):
    form = {name: posted(request, name) for name in ("code", "title", "description", "note")}
    try:
        if form["code"].strip().lower() == "new":
            raise UserError("Il codice «new» è riservato: ne scelga un altro.", field="code")
        content, filename = _uploaded(request)
        row = services.create(request, form["code"], form["title"], form["description"], content, filename,
                              form["note"])
    except UserError as error:
        return _new_values(request, form, field=error.field, **_refused(request, error, UPLOAD_REFUSED))
    request.flash(f"Modello «{row.title}» aggiunto e in uso.")
    return HTTPFound(request.route_url("forms_template", tenant=request.tenant.slug, code=row.code))


def _version_number(request) -> int:
    return int(request.matchdict["number"])


@view_config(route_name="forms_template_download", request_method="GET", permission=services.MANAGE)
def download_version(request):
    found = _entry_or_404(request)
    number = _version_number(request)
    try:
        content = services.version_content(request, found, number)
    except LookupError:
        raise HTTPNotFound() from None
    suffix = "predefinito" if number == services.DEFAULT_VERSION else f"v{number}"
    return _file(services.Generated(found.title, f"modello-{found.code}-{suffix}.odt", content,
                                    services.ODT_MEDIA_TYPE))


@view_config(route_name="forms_template_preview", request_method="GET", renderer=TEMPLATES + "template.pt",
             permission=services.MANAGE)
def preview_version(request):
    found = _entry_or_404(request)
    try:
        generated = services.preview(request, found, _version_number(request), pdf=param(request, "format") == "pdf")
    except LookupError:
        raise HTTPNotFound() from None
    except UserError as error:
        return _template_values(request, found, **_refused(request, error, PREVIEW_REFUSED))
    return _file(generated)


# --- the dossier's tab -----------------------------------------------------------------------------------
# The tab is open to whoever generates documents; what it shows of the protocol (registrations, the ricevuta
# with correspondents and impronte) and of the fascicolo (the documents generated before) follows the
# user's permissions on those.

PROTOCOL_REFUSED = ("I documenti che riportano una registrazione di protocollo sono riservati a chi può consultare "
                    "il protocollo.")


def _generated_documents(db, dossier) -> list[Document]:
    return list(db.scalars(select(Document).where(
        Document.dossier_id == dossier.id, Document.direction == "uscita",
        Document.description.like("Generato dal modello%")).order_by(Document.id.desc()).limit(20)))


def _speaks_of_protocol(entry: services.Entry) -> bool:
    return "protocollo" in entry.requires


def _offered_entries(request) -> list[services.Entry]:
    entries = services.entries(request.dbsession)
    if request.has_permission(protocol.VIEW):
        return entries
    return [entry for entry in entries if not _speaks_of_protocol(entry)]


def _tab(request, dossier, **values) -> dict:
    db = request.dbsession
    can_see_protocol, can_download = request.has_permission(protocol.VIEW), request.has_permission(DOCUMENT_VIEW)
    registrations = list(db.scalars(select(Registration).where(Registration.dossier_id == dossier.id)
                                    .order_by(Registration.id.desc()).limit(REGISTRATIONS_SHOWN))) \
        if can_see_protocol else []
    return dossier_page(
        request, dossier, entries=_offered_entries(request), registrations=registrations, reference=reference,
        can_see_protocol=can_see_protocol, can_download=can_download,
        generated=_generated_documents(db, dossier) if can_download else [], fmt_datetime=fmt_datetime,
        document_url=lambda document: request.route_url(
            "dossier_document_download", tenant=request.tenant.slug, id=dossier.id, document=document.id,
            version=document.current.version),
        tab_url=request.route_url("dossier_forms", tenant=request.tenant.slug, id=dossier.id),
        # The Order's settings page, which links the templates too, is the administrators' alone.
        templates_url=request.route_url("forms_templates", tenant=request.tenant.slug)
        if request.has_permission(services.MANAGE) else None,
        **{"form": {"code": "", "format": "odt", "registration": ""}, "error": None, "problems": [], **values})


@view_config(route_name="dossier_forms", request_method="GET", renderer=TEMPLATES + "dossier.pt",
             permission=services.GENERATE)
def dossier_tab(request):
    return _tab(request, dossier_from_url(request))


def _protocol_extra(request, dossier, code: str, value: str) -> dict:
    """The protocol registration the document speaks of (the ricevuta di protocollo), of this dossier only;
    nothing of the protocol for who may not consult it."""
    if not request.has_permission(protocol.VIEW) and (value or any(
            entry.code == code and _speaks_of_protocol(entry) for entry in services.entries(request.dbsession))):
        raise UserError(PROTOCOL_REFUSED, field="registration")
    if not value:
        return {}
    registration = request.dbsession.scalar(select(Registration).where(
        Registration.id == int(value), Registration.dossier_id == dossier.id)) if value.isdecimal() else None
    if registration is None:
        raise UserError("Scelga la registrazione di protocollo dall'elenco.", field="registration")
    return {"protocollo": protocol_data(registration)}


@view_config(route_name="dossier_forms", request_method="POST", renderer=TEMPLATES + "dossier.pt",
             permission=services.GENERATE)
def generate_document(request):
    dossier = dossier_from_url(request)
    form = {"code": posted(request, "code"), "format": posted(request, "format") or "odt",
            "registration": posted(request, "registration")}
    try:
        if form["format"] not in ("odt", "pdf"):
            raise UserError("Scelga il formato del documento: ODT o PDF.", field="format")
        extra = _protocol_extra(request, dossier, form["code"], form["registration"])
        generated = services.generate(request, dossier, form["code"], extra=extra, pdf=form["format"] == "pdf")
    except UserError as error:
        return _tab(request, dossier, form=form, **_refused(request, error, GENERATION_REFUSED))
    if not request.has_permission(DOCUMENT_VIEW):
        # Filed in the fascicolo, which this user may not open: the document he made comes back to him here.
        return _file(generated)
    request.flash(f"Documento «{generated.title}» generato e archiviato nel fascicolo come documento in uscita "
                  f"({generated.filename}).")
    return HTTPFound(request.route_url("dossier_forms", tenant=request.tenant.slug, id=dossier.id)
                     + f"#document-{generated.document.id}")

