"""The dossier's «Comunicazioni» tab: the log of its communications and notices, composing a new one (with a
preview), a communication's page, and the request of the missing documents."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.communications import notices, parties, services, texts
from occ_core.communications.hooks import SEND, VIEW
from occ_core.communications.views import TEMPLATES, shared_values
from occ_core.documents import checklist
from occ_core.documents.services import visible_documents
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.protocol import services as protocol
from occ_core.protocol.models import Registration
from occ_core.web.forms import posted, posted_all, refuse

BASE = r"/dossiers/{id:\d{1,9}}/communications"


def includeme(config):
    config.add_tenant_route("dossier_communications", BASE)
    config.add_tenant_route("dossier_communication_new", BASE + "/new")
    config.add_tenant_route("dossier_communication_documents", BASE + "/documents-request")
    config.add_tenant_route("dossier_communication", BASE + r"/{communication:\d{1,9}}")
    config.scan("occ_core.communications.views.dossier")


def _url(request, route: str, dossier, **parts) -> str:
    return request.route_url(route, tenant=request.tenant.slug, id=dossier.id, **parts)


def _log_values(request, dossier, rows) -> dict:
    """The rows of communications with their deliveries and protocol labels, for the log and a detail page."""
    db = request.dbsession
    registration_ids = {row.registration_id for row in rows if row.registration_id}
    registrations = {r.id: r for r in db.scalars(select(Registration).where(Registration.id.in_(registration_ids)))} \
        if registration_ids else {}
    can_see_protocol = request.has_permission(protocol.VIEW)
    return {
        **shared_values(request), "communications": rows, "deliveries": services.deliveries_of(db, rows),
        "registrations": registrations, "protocol_label": lambda registration: protocol.label(db, registration),
        "protocol_url": (lambda registration: request.route_url("protocol_registration", tenant=request.tenant.slug,
                                                                id=registration.id)) if can_see_protocol else None,
        "detail_url": lambda row: _url(request, "dossier_communication", dossier, communication=row.id),
        "notice_labels": {code: kind.label for code, kind in notices.KINDS.items()},
    }


@view_config(route_name="dossier_communications", renderer=TEMPLATES + "tab.pt", permission=VIEW)
def communications_tab(request, error: str | None = None, chosen: tuple = ()):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "comunicazioni")
    can_send = request.has_permission(SEND)
    missing = checklist.missing_from_debtor(request.dbsession, dossier) \
        if can_send and notices.enabled(request.dbsession, notices.DOCUMENTS) else []
    return dossier_page(request, dossier, **_log_values(request, dossier, services.communications_of(
        request.dbsession, dossier)), can_send=can_send, missing=missing, error=error, chosen=chosen,
        new_url=_url(request, "dossier_communication_new", dossier),
        documents_url=_url(request, "dossier_communication_documents", dossier))


@view_config(route_name="dossier_communication_documents", request_method="POST", permission=SEND,
             renderer=TEMPLATES + "tab.pt")
def request_documents(request):
    dossier = dossier_from_url(request)
    categories = posted_all(request, "documento")
    try:
        communication = notices.request_documents(request, dossier, categories, posted(request, "nota"))
    except UserError as error:
        message = refuse(request, error)
        return communications_tab(request, error=message, chosen=tuple(categories))
    request.flash("Richiesta di documenti protocollata e messa in coda per l'invio.", "success")
    return HTTPFound(_url(request, "dossier_communication", dossier, communication=communication.id))


@view_config(route_name="dossier_communication", renderer=TEMPLATES + "detail.pt", permission=VIEW)
def communication_page(request):
    dossier = dossier_from_url(request)
    communication = services.find_communication(request.dbsession, dossier, request.matchdict["communication"])
    if communication is None:
        raise HTTPNotFound()
    audit_read(request, dossier, "comunicazione")
    values = _log_values(request, dossier, [communication])
    registration = values["registrations"].get(communication.registration_id)
    return dossier_page(request, dossier, **values, communication=communication, registration=registration,
                        back_url=_url(request, "dossier_communications", dossier))


# --- composing ----------------------------------------------------------------------------------------

def _draft(request) -> services.Draft:
    keys = list(dict.fromkeys(posted_all(request, "destinatario")))
    # An id that is not a number names no document: the service answers that it is not in the file.
    document_ids = [int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 10 else 0
                    for raw in posted_all(request, "documento")]
    return services.Draft(subject=posted(request, "oggetto"), body=posted(request, "testo"),
                          recipients=[(key, posted(request, f"canale-{key}")) for key in keys],
                          template_code=posted(request, "modello"), document_ids=document_ids)


def _compose_values(request, dossier, draft: services.Draft, preview=None, error=None, field=None) -> dict:
    specs = parties.active_channels(request)
    candidates = [(candidate, parties.reachable(candidate, specs), parties.default_channel(candidate, specs))
                  for candidate in parties.candidates(request.dbsession, dossier)]
    can_attach = request.has_permission(services.DOCUMENT_VIEW)
    documents = [d for d in visible_documents(request.dbsession, dossier, "staff") if d.withdrawn_at is None] \
        if can_attach else []
    from occ_core.forms.context import VARIABLES

    return dossier_page(
        request, dossier, draft=draft, chosen=dict(draft.recipients), candidates=candidates, specs=specs,
        kinds=parties.KINDS, documents=documents, can_attach=can_attach, templates=services.template_choices(request),
        variables=VARIABLES, preview=preview, error=error, error_field=field,
        back_url=_url(request, "dossier_communications", dossier))


@view_config(route_name="dossier_communication_new", renderer=TEMPLATES + "compose.pt", permission=SEND)
def compose(request):
    dossier = dossier_from_url(request)
    if request.method != "POST":
        code = request.GET.get("modello", "")
        code = code if code in services.template_choices(request) else ""
        subject, body = texts.prefilled(code)
        return _compose_values(request, dossier, services.Draft(subject, body, [], code))
    draft = _draft(request)
    try:
        if posted(request, "azione") == "anteprima":
            shown = services.preview(request, dossier, draft)
            request.tm.doom()  # a preview writes nothing
            return _compose_values(request, dossier, draft, preview=shown)
        communication = services.send(request, dossier, draft)
    except UserError as error:
        message = refuse(request, error)
        return _compose_values(request, dossier, draft, error=message, field=error.field)
    request.flash(f"Comunicazione protocollata e messa in coda per l'invio a {len(communication.recipients)} "
                  "destinatari.", "success")
    return HTTPFound(_url(request, "dossier_communication", dossier, communication=communication.id))
