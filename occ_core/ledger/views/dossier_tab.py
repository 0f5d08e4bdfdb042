"""The dossier's «Contabilità» tab: balance, preventivo against what the debtor paid towards it, movements,
invoices."""
from __future__ import annotations

from decimal import Decimal

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.fees.services import latest_estimate
from occ_core.invoicing.codes import KINDS
from occ_core.invoicing.fatturapa import document_number
from occ_core.ledger import services
from occ_core.ledger.models import Movement
from occ_core.ledger.views import TEMPLATES, blank_form, form_errors, form_values, posted_movement, \
    posted_receipt, url_if
from occ_core.money import ZERO
from occ_core.web.forms import refuse

TAB = TEMPLATES + "dossier_tab.pt"


def invoices_of(request, dossier) -> list[dict]:
    """The dossier's invoices, with what was collected against each."""
    from occ_core.invoicing.models import Invoice

    rows = request.dbsession.scalars(select(Invoice).where(Invoice.dossier_id == dossier.id)
                                     .order_by(Invoice.issued_on.desc().nulls_first(), Invoice.id.desc())).all()
    paid = services.paid_by_invoice(request.dbsession, [row.id for row in rows])
    return [{"invoice": row, "label": document_number(row) if row.status == "issued" else "bozza",
             "kind": KINDS.get(row.kind, row.kind), "paid": paid.get(row.id, ZERO),
             "url": url_if(request, "invoice", id=row.id)} for row in rows]


def estimate_parts(estimate) -> dict | None:
    """The proposed value of the preventivo as the debtor was given it: fee (compenso and spese generali),
    documented expenses, IVA, total."""
    proposed = ((estimate.result or {}).get("values") or {}).get(estimate.proposed) if estimate else None
    if not proposed:
        return None
    return {name: Decimal(proposed[name]) for name in ("fee", "expenses", "vat", "total")}


def tab_values(request, dossier, movement_form=None) -> dict:
    db = request.dbsession
    estimate = latest_estimate(db, dossier)
    movements = db.scalars(select(Movement).where(Movement.dossier_id == dossier.id)
                           .order_by(Movement.on.desc(), Movement.id.desc())).all()
    return dossier_page(request, dossier, **form_values(
        request,
        balance=services.dossier_balance(db, dossier),
        estimate=estimate,
        estimate_parts=estimate_parts(estimate),
        paid=services.paid_towards_estimate(db, dossier),
        owed=services.collected_against_estimate(db, dossier),
        movements=movements,
        invoices=invoices_of(request, dossier),
        invoice_new_url=url_if(request, "invoice_new", _query={"dossier": dossier.id}),
        movement_form=movement_form or blank_form(direction=services.INCOME),
        add_url=request.route_url("dossier_accounting", tenant=request.tenant.slug, id=dossier.id),
        show_dossier=False,
    ))


@view_config(route_name="dossier_accounting", request_method="GET", renderer=TAB, permission=services.VIEW)
def dossier_accounting(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "contabilita")
    return tab_values(request, dossier)


@view_config(route_name="dossier_accounting", request_method="POST", renderer=TAB, permission=services.MANAGE)
def dossier_movement_add(request):
    dossier = dossier_from_url(request)
    values = posted_movement(request)
    try:
        services.record_movement(request, dossier=dossier, receipt=posted_receipt(request), **values)
    except UserError as error:
        refuse(request, error)
        return tab_values(request, dossier, {"values": values, "errors": form_errors(error)})
    request.flash("Movimento registrato.")
    return HTTPFound(request.route_url("dossier_accounting", tenant=request.tenant.slug, id=dossier.id,
                                       _anchor="movements"))


def includeme(config):
    config.add_tenant_route("dossier_accounting", r"/dossiers/{id:\d{1,9}}/accounting")
    config.scan("occ_core.ledger.views.dossier_tab")
