"""All the Order's movements (general ones included): filters, totals, pages, CSV, the general form, and the
actions on one movement (edit, delete, reconcile, receipt) shared by the list and the dossier tab."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.documents.services import content_disposition
from occ_core.documents.storage import MissingContent
from occ_core.errors import UserError
from occ_core.ledger import listing, services
from occ_core.ledger.views import TEMPLATES, back, came_from, blank_form, form_errors, form_values, movement_from_url, \
    posted_movement, posted_receipt, url
from occ_core.web import ui
from occ_core.web.forms import posted, refuse

LIST = TEMPLATES + "movements.pt"
EDIT = TEMPLATES + "edit.pt"
REFUSED = TEMPLATES + "refused.pt"


def list_values(request, movement_form=None) -> dict:
    chosen = listing.filters(request.dbsession, request.tenant.id, request.GET)
    if chosen.errors:
        request.response.status = 400
    return form_values(
        request,
        page_title="Movimenti",
        chosen=chosen,
        pager=ui.paginate(request, listing.statement(chosen.criteria)),
        pagination=ui.pagination_macro(),
        totals=services.totals(request.dbsession, *chosen.criteria),
        csv_url=request.route_url("accounting_movements_csv", tenant=request.tenant.slug, _query=chosen.raw),
        movement_form=movement_form or blank_form(direction=services.INCOME),
        add_url=url(request, "accounting_movements"),
        show_dossier=True,
    )


@view_config(route_name="accounting_movements", request_method="GET", renderer=LIST, permission=services.VIEW)
def movements(request):
    return list_values(request)


@view_config(route_name="accounting_movements", request_method="POST", renderer=LIST, permission=services.MANAGE)
def general_movement_add(request):
    """A general movement of the Order (rent, software, insurance...): no dossier."""
    values = posted_movement(request)
    try:
        services.record_movement(request, receipt=posted_receipt(request), **values)
    except UserError as error:
        refuse(request, error)
        return list_values(request, {"values": values, "errors": form_errors(error)})
    request.flash("Movimento registrato.")
    return back(request, url(request, "accounting_movements"))


@view_config(route_name="accounting_movements_csv", permission=services.VIEW)
def movements_csv(request):
    chosen = listing.filters(request.dbsession, request.tenant.id, request.GET)
    if chosen.errors:
        raise HTTPBadRequest("Filtri non validi: " + " ".join(chosen.errors.values()))
    audit(request, "ledger.export.movements", object_type="Movement", details={"filters": chosen.raw})
    return ui.csv_response(listing.csv_rows(request.dbsession, chosen.criteria), "movimenti.csv")


def edit_values(request, movement, movement_form) -> dict:
    return form_values(request, page_title="Modifica movimento", movement=movement, movement_form=movement_form,
                       came_from=came_from(request, url(request, "accounting_movements")))


def editable_from_url(request):
    """The URL's movement and None, or None and the page that says why it cannot be corrected (400)."""
    movement = movement_from_url(request)
    try:
        services.check_editable(movement)
    except UserError as error:
        return None, render_to_response(REFUSED, refused(request, error), request, response=request.response)
    return movement, None


@view_config(route_name="accounting_movement_edit", request_method="GET", renderer=EDIT,
             permission=services.MANAGE)
def movement_edit(request):
    movement, refusal = editable_from_url(request)
    if refusal is not None:
        return refusal
    values = {name: getattr(movement, name) for name in ("category", "description", "method", "reference", "notes")}
    values |= {"on": movement.on.isoformat(), "amount": ui.fmt_amount(movement.amount)}
    return edit_values(request, movement, {"values": values, "errors": {}})


@view_config(route_name="accounting_movement_edit", request_method="POST", renderer=EDIT,
             permission=services.MANAGE)
def movement_save(request):
    movement, refusal = editable_from_url(request)
    if refusal is not None:
        return refusal
    values = posted_movement(request)
    try:
        changed = services.update_movement(request, movement, receipt=posted_receipt(request), **values)
    except UserError as error:
        refuse(request, error)
        return edit_values(request, movement, {"values": values, "errors": form_errors(error)})
    if changed:
        request.flash("Movimento aggiornato.")
    else:
        request.flash("Nessuna modifica da salvare.", "info")
    return back(request, url(request, "accounting_movements"))


def refused(request, error: UserError) -> dict:
    """A refused action from a list's button: the reason, and the way back (400, nothing changed)."""
    return {"page_title": "Operazione non eseguita", "message": refuse(request, error),
            "came_from": came_from(request, url(request, "accounting_movements"))}


def _act(request, action, done: str):
    movement = movement_from_url(request)
    try:
        action(movement)
    except UserError as error:
        return refused(request, error)
    request.flash(done)
    return back(request, url(request, "accounting_movements"))


@view_config(route_name="accounting_movement_delete", request_method="POST", renderer=REFUSED,
             permission=services.MANAGE)
def movement_delete(request):
    return _act(request, lambda m: services.delete_movement(request, m), "Movimento eliminato.")


@view_config(route_name="accounting_movement_reconcile", request_method="POST", renderer=REFUSED,
             permission=services.MANAGE)
def movement_reconcile(request):
    return _act(request, lambda m: services.reconcile(request, m, posted(request, "reconciled_on") or today()),
                "Movimento riconciliato.")


@view_config(route_name="accounting_movement_unreconcile", request_method="POST", renderer=REFUSED,
             permission=services.MANAGE)
def movement_unreconcile(request):
    return _act(request, lambda m: services.unreconcile(request, m), "Riconciliazione annullata.")


@view_config(route_name="accounting_movement_receipt", permission=services.VIEW)
def movement_receipt(request):
    """The receipt of a movement found through the Order's session (the digest alone says nothing of whose
    it is); audited, as every read of a debtor's papers."""
    movement = movement_from_url(request)
    if not movement.receipt_sha256:
        raise HTTPNotFound()
    try:
        stream = request.document_storage.open(movement.receipt_sha256)
    except MissingContent:
        raise HTTPNotFound() from None
    audit(request, "ledger.receipt.downloaded", object_type="Movement", object_id=movement.id,
          details={"dossier_id": movement.dossier_id})
    response = Response(app_iter=FileIter(stream),
                        content_type=movement.receipt_media_type or "application/octet-stream")
    response.content_disposition = content_disposition("attachment", movement.receipt_filename or "ricevuta")
    return response


def includeme(config):
    config.add_tenant_route("accounting_movements", "/accounting/movements")
    config.add_tenant_route("accounting_movements_csv", "/accounting/movements/movimenti.csv")
    for action in ("edit", "delete", "reconcile", "unreconcile", "receipt"):
        config.add_tenant_route(f"accounting_movement_{action}", rf"/accounting/movements/{{mid:\d{{1,9}}}}/{action}")
    config.scan("occ_core.ledger.views.movements")
