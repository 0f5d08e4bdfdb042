"""The documents tab of a dossier: checklist, documents by category with their versions, and the forms
to upload, add versions, change visibility and withdraw; downloads and previews of any version.

Every document and version is looked up through the request's session, which is bound to the Order of
the URL, and inside the dossier of the URL: only a row found that way leads to the storage."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.audit.services import audit
from occ_core.documents import checklist, filetypes, services
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.web.forms import posted, read_upload, refuse

TEMPLATE = "occ_core:documents/templates/documents.pt"
DOCUMENT = "/dossiers/{id}/documents/{document}"
UPLOAD_FIELDS = ("direction", "category", "title", "visibility", "description")
DEFAULT_FORM = {"direction": "entrata", "category": "", "title": "", "visibility": "interno", "description": ""}


def includeme(config):
    config.add_tenant_route("dossier_documents", "/dossiers/{id}/documents")
    config.add_tenant_route("dossier_document_version", DOCUMENT + "/versions")
    config.add_tenant_route("dossier_document_download", DOCUMENT + "/versions/{version}/download")
    config.add_tenant_route("dossier_document_preview", DOCUMENT + "/versions/{version}/preview")
    config.add_tenant_route("dossier_document_visibility", DOCUMENT + "/visibility")
    config.add_tenant_route("dossier_document_withdraw", DOCUMENT + "/withdraw")
    config.scan("occ_core.documents.views")


def _tab(request, dossier, form=None, error=None, error_document=None, error_field=None) -> dict:
    db = request.dbsession
    documents = services.visible_documents(db, dossier, "staff")
    user_ids = {v.uploaded_by_id for d in documents for v in d.versions} - {None}
    people = {user_id: name or email for user_id, name, email in db.execute(
        select(User.id, User.full_name, User.email).where(User.id.in_(user_ids)))} if user_ids else {}
    by_category = {}
    for document in documents:
        by_category.setdefault(document.category, []).append(document)
    required = checklist.checklist_of(db, dossier)
    return dossier_page(
        request, dossier,
        documents=documents,
        sections=[(checklist.category_of(code), by_category[code])
                  for code in checklist.in_checklist_order(by_category)],
        completeness=checklist.Completeness.of(required), required=required,
        categories=checklist.CATEGORIES, groups=checklist.GROUPS,
        directions=services.DIRECTIONS, visibilities=services.VISIBILITIES,
        people=people, fmt_size=services.fmt_size, type_of=filetypes.type_of,
        max_size=services.fmt_size(services.max_bytes(request.registry.settings)),
        accepted=filetypes.ACCEPTED_TEXT,
        form={**DEFAULT_FORM, **(form or {})}, error=error, error_document=error_document, error_field=error_field,
        can_upload=request.has_permission("dossier:document:upload"),
        can_manage=request.has_permission("dossier:document:manage"),
        tab_url=request.route_url("dossier_documents", tenant=request.tenant.slug, id=dossier.id),
        document_url=lambda name, document, **kw: request.route_url(
            name, tenant=request.tenant.slug, id=dossier.id, document=document.id, **kw),
    )


def _uploaded(request) -> tuple[bytes | None, str]:
    """Content (at most one byte over the limit) and name of the posted file; None if no file came."""
    field = request.POST.get("file")
    content = read_upload(field, services.max_bytes(request.registry.settings))
    filename = getattr(field, "filename", "") or ""
    return (None if not content and not filename else content), filename


def _back_to(request, dossier, document=None) -> HTTPFound:
    url = request.route_url("dossier_documents", tenant=request.tenant.slug, id=dossier.id)
    return HTTPFound(url + (f"#document-{document.id}" if document is not None else ""))


def _audit_upload(request, document, version):
    audit(request, "document.uploaded", object_type="DocumentVersion", object_id=version.id,
          details={"dossier_id": document.dossier_id, "document_id": document.id, "version": version.version,
                   "sha256": version.sha256, "size": version.size, "media_type": version.media_type})


def _document_or_404(request, dossier):
    document = services.find_document(request.dbsession, dossier, request.matchdict.get("document", ""))
    if document is None:
        raise HTTPNotFound()
    return document


@view_config(route_name="dossier_documents", request_method="GET", renderer=TEMPLATE,
             permission="dossier:document:view")
def documents_tab(request):
    return _tab(request, dossier_from_url(request))


@view_config(route_name="dossier_documents", request_method="POST", renderer=TEMPLATE,
             permission="dossier:document:upload")
def upload_document(request):
    dossier = dossier_from_url(request)
    form = {name: posted(request, name) for name in UPLOAD_FIELDS}
    try:
        content, filename = _uploaded(request)
        document = services.add_document(
            request.dbsession, request.document_storage, dossier, request.identity, content=content,
            filename=filename, limit=services.max_bytes(request.registry.settings), **form)
    except UserError as error:
        return _tab(request, dossier, form=form, error=refuse(request, error), error_field=error.field)
    _audit_upload(request, document, document.current)
    request.flash(f"Documento «{document.title}» caricato nel fascicolo.")
    return _back_to(request, dossier, document)


def _on_document(request, change):
    """Apply ``change(document)`` to the document of the URL and return to the tab, flashing the message
    it returns; bad input shows the tab again with the message beside the document."""
    dossier = dossier_from_url(request)
    document = _document_or_404(request, dossier)
    try:
        message = change(document)
    except UserError as error:
        return _tab(request, dossier, error=refuse(request, error), error_document=document.id)
    if message:
        request.flash(message)
    return _back_to(request, dossier, document)


@view_config(route_name="dossier_document_version", request_method="POST", renderer=TEMPLATE,
             permission="dossier:document:upload")
def upload_version(request):
    def add(document):
        content, filename = _uploaded(request)
        version = services.add_version(
            request.dbsession, request.document_storage, document, request.identity, content=content,
            filename=filename, limit=services.max_bytes(request.registry.settings), note=posted(request, "note"))
        _audit_upload(request, document, version)
        return f"Versione n. {version.version} di «{document.title}» caricata."

    return _on_document(request, add)


@view_config(route_name="dossier_document_visibility", request_method="POST", renderer=TEMPLATE,
             permission="dossier:document:manage")
def change_visibility(request):
    def change(document):
        if services.set_visibility(document, posted(request, "visibility")):
            return f"Visibilità di «{document.title}»: {services.VISIBILITIES[document.visibility]}."
        return None

    return _on_document(request, change)


@view_config(route_name="dossier_document_withdraw", request_method="POST", renderer=TEMPLATE,
             permission="dossier:document:manage")
def withdraw_document(request):
    def withdraw(document):
        services.withdraw(document, posted(request, "reason"))
        return f"Documento «{document.title}» ritirato: resta nel fascicolo con il motivo indicato."

    return _on_document(request, withdraw)


def _serve(request, preview: bool):
    dossier = dossier_from_url(request)
    document = _document_or_404(request, dossier)
    version = services.find_version(request.dbsession, document, request.matchdict.get("version", ""))
    if version is None:
        raise HTTPNotFound()
    return services.version_response(request, document, version, preview=preview)


@view_config(route_name="dossier_document_download", request_method="GET", permission="dossier:document:view")
def download_version(request):
    return _serve(request, preview=False)


@view_config(route_name="dossier_document_preview", request_method="GET", permission="dossier:document:view")
def preview_version(request):
    return _serve(request, preview=True)
