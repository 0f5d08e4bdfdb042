"""A registration's page: its data, documents with their impronta, annulment and corrections; the downloads
(documents, segnatura XML) and the forms that correct, annul, assign, classify and file it in a dossier."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.documents import filetypes
from occ_core.documents.services import content_disposition
from occ_core.documents.storage import MissingContent
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.protocol import numbering, segnatura, services
from occ_core.protocol.models import ProtocolRegister
from occ_core.protocol.views import TEMPLATES, dossier_choices, page_values, registration_from_url, url
from occ_core.web.forms import posted, refuse

TEMPLATE = TEMPLATES + "detail.pt"
CORRECTION_FIELDS = ("subject", "means", "received_doc_date", "received_doc_number", "destinatari",
                     "mittente_name", "mittente_tax_code", "mittente_address")
ANNUL_FIELDS = ("reason", "act_reference", "act_date")
REASSIGN_FIELDS = tuple(services.REASSIGNABLE)


def correspondent_text(person) -> str:
    """``"Costa Paola (CF CSTPLA58S42C933B) – costa.paola@pec.it"``; an address that is also the name (a PEC
    without a display name) is not repeated."""
    name, tax_code, address = person.name.strip(), person.tax_code.strip(), person.address.strip()
    who = " ".join(filter(None, (name, f"(CF {tax_code})" if tax_code else "")))
    return " – ".join(filter(None, (who, "" if address.lower() == name.lower() else address)))


def _correction_form(registration) -> dict:
    sender = services.current_value(registration, "mittente") or {}
    return {
        "subject": registration.subject, "means": registration.means,
        "received_doc_date": registration.received_doc_date.isoformat() if registration.received_doc_date else "",
        "received_doc_number": registration.received_doc_number,
        "destinatari": "\n".join("; ".join(filter(None, (p["name"], p["tax_code"], p["address"])))
                                 for p in services.current_value(registration, "destinatari")),
        **{f"mittente_{name}": sender.get(name, "") for name in ("name", "tax_code", "address")},
        "reason": "",
    }


def _page(request, registration, error: str | None = None, error_form: str | None = None,
          error_field: str | None = None, form: dict | None = None) -> dict:
    db = request.dbsession
    annulment = registration.annulment
    dossier = db.get(Dossier, registration.dossier_id) if registration.dossier_id else None
    people = services.user_names(db, [registration.registered_by_id, registration.assigned_to_id,
                                      annulment.annulled_by_id if annulment else None,
                                      *(c.corrected_by_id for c in registration.corrections)])
    forms = {"correct": _correction_form(registration), "annul": dict.fromkeys(ANNUL_FIELDS, ""),
             "reassign": {name: getattr(registration, name) or "" for name in REASSIGN_FIELDS},
             "dossier": {"dossier": dossier.reference if dossier else ""}}
    if error_form is not None:
        forms[error_form].update(form or {})
    open_for_changes = annulment is None
    return page_values(
        request, page_title=f"Protocollo {services.label(db, registration)}", registration=registration,
        code=db.get(ProtocolRegister, registration.register_id).code, dossier=dossier, annulment=annulment,
        people=people, senders=[c for c in registration.correspondents if c.role == "mittente"],
        recipients=[c for c in registration.correspondents if c.role == "destinatario"],
        correspondent=correspondent_text,
        correctable=services.CORRECTABLE, annul_only=services.correction_reading(request.tenant) == "annulla",
        forms=forms, error=error, error_form=error_form, error_field=error_field,
        digest_base64=segnatura.digest_base64, fmt_size=services.documents.fmt_size, type_of=filetypes.type_of,
        assignees=services.staff_members(db, request.tenant.id), dossiers=dossier_choices(request),
        number=numbering.format_number(registration.number),
        can_correct=open_for_changes and request.has_permission(services.CORRECT),
        can_annul=open_for_changes and request.has_permission(services.ANNUL),
        can_change=open_for_changes and request.has_permission(services.CREATE))


@view_config(route_name="protocol_registration", renderer=TEMPLATE, permission=services.VIEW)
def registration_page(request):
    registration = registration_from_url(request)
    audit(request, "protocol.viewed", object_type="Registration", object_id=registration.id)
    return _page(request, registration)


def _change(request, form_name: str, fields: tuple, action):
    """Run ``action(registration, form)`` on the registration of the URL and go back to its page with the
    message it returns; bad input shows the page again (400) with the message beside the form."""
    registration = registration_from_url(request)
    form = {name: posted(request, name) for name in fields}
    try:
        message = action(registration, form)
    except UserError as error:
        return _page(request, registration, refuse(request, error), form_name, error.field, form)
    text, kind = message if isinstance(message, tuple) else (message, "success")
    request.flash(text, kind)
    return HTTPFound(url(request, "protocol_registration", id=registration.id))


@view_config(route_name="protocol_correct", request_method="POST", renderer=TEMPLATE,
             permission=services.CORRECT)
def correct(request):
    def apply(registration, form):
        changes = {name: form[name] for name in ("subject", "means", "received_doc_date", "received_doc_number")}
        if registration.direction != "uscita":
            changes["mittente"] = {name: form[f"mittente_{name}"] for name in ("name", "tax_code", "address")}
        if registration.direction != "entrata":
            changes["destinatari"] = form["destinatari"]
        corrections = services.correct(request, registration, changes, form["reason"])
        fields = ", ".join(services.CORRECTABLE[c.field].lower() for c in corrections)
        return f"Correzione registrata ({fields}); i valori precedenti restano nello storico."

    return _change(request, "correct", (*CORRECTION_FIELDS, "reason"), apply)


@view_config(route_name="protocol_annul", request_method="POST", renderer=TEMPLATE, permission=services.ANNUL)
def annul(request):
    def apply(registration, form):
        services.annul(request, registration, **form)
        return "Registrazione annullata: resta consultabile, con il motivo e il provvedimento di autorizzazione."

    return _change(request, "annul", ANNUL_FIELDS, apply)


@view_config(route_name="protocol_reassign", request_method="POST", renderer=TEMPLATE,
             permission=services.CREATE)
def reassign(request):
    def apply(registration, form):
        if services.reassign(request, registration, form):
            return "Assegnazione e classificazione salvate."
        return "Nessuna modifica da salvare.", "info"

    return _change(request, "reassign", REASSIGN_FIELDS, apply)


@view_config(route_name="protocol_dossier", request_method="POST", renderer=TEMPLATE,
             permission=services.CREATE)
def file_in_dossier(request):
    def apply(registration, form):
        if not services.link_dossier(request, registration, form["dossier"]):
            return "Nessuna modifica: la registrazione era già in questa pratica.", "info"
        if registration.dossier_id is None:
            return "La registrazione non è più collegata a una pratica; i suoi documenti vi restano come ritirati."
        return "Registrazione collegata alla pratica; i suoi documenti sono nel fascicolo elettronico."

    return _change(request, "dossier", ("dossier",), apply)


@view_config(route_name="protocol_file", request_method="GET", permission=services.VIEW)
def download_file(request):
    registration = registration_from_url(request)
    position = request.matchdict.get("position", "")
    found = next((f for f in registration.files if str(f.position) == position), None)
    if found is None:
        raise HTTPNotFound()
    try:
        stream = request.document_storage.open(found.digest_hex)
    except MissingContent:
        raise HTTPNotFound()
    file_type = filetypes.type_of(found.media_type)
    response = Response(app_iter=FileIter(stream), content_type=found.media_type, content_length=found.size)
    response.content_disposition = content_disposition(
        "attachment", filetypes.download_name(found.filename, file_type) if file_type else found.filename)
    # Whatever the file holds, the browser runs none of it.
    response.headers["Content-Security-Policy"] = "sandbox; frame-ancestors 'none'"
    response.cache_control = "private, no-store"
    audit(request, "protocol.file_downloaded", object_type="Registration", object_id=registration.id,
          details={"position": found.position, "sha256": found.digest_hex, "filename": found.filename})
    return response


@view_config(route_name="protocol_segnatura", request_method="GET", permission=services.VIEW)
def download_segnatura(request):
    registration = registration_from_url(request)
    body = segnatura.build(request.dbsession, request.tenant, registration, request.registry.settings["occ.secret"])
    response = Response(body=body, content_type="application/xml", charset="utf-8")
    name = f"segnatura-{registration.year}-{numbering.format_number(registration.number)}.xml"
    response.content_disposition = content_disposition("attachment", name)
    audit(request, "protocol.segnatura_downloaded", object_type="Registration", object_id=registration.id)
    return response


def includeme(config):
    base = r"/protocol/{id:\d{1,9}}"
    config.add_tenant_route("protocol_registration", base)
    config.add_tenant_route("protocol_file", base + r"/files/{position:\d{1,3}}")
    config.add_tenant_route("protocol_segnatura", base + "/segnatura.xml")
    config.add_tenant_route("protocol_correct", base + "/correct")
    config.add_tenant_route("protocol_annul", base + "/annul")
    config.add_tenant_route("protocol_reassign", base + "/assign")
    config.add_tenant_route("protocol_dossier", base + "/dossier")
    config.scan("occ_core.protocol.views.detail")
