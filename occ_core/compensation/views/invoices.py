"""A gestore's invoice to the OCC: recording it (the form proposes what is still due and shows the build-up
before saving), paying it through the ledger, and downloading its file."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.compensation import services, tax
from occ_core.compensation.views import (
    GESTORE, INVOICE_ID, TEMPLATES, gestore_from_url, invoice_from_url, page_values, url)
from occ_core.compensation.views.statement import statement_values
from occ_core.documents import services as documents
from occ_core.documents.storage import MissingContent
from occ_core.errors import UserError
from occ_core.gestori.models import Gestore
from occ_core.gestori.screening import gestore_name
from occ_core.web.forms import param, posted, read_upload, refuse
from occ_core.web.ui import fmt_amount

FIELDS = ("number", "issued_on", "fee", "dossier", "period_from", "period_to", "notes")


def includeme(config):
    config.add_tenant_route("compensation_invoice_new", GESTORE + "/invoices/new")
    config.add_tenant_route("compensation_invoice_pay", f"{GESTORE}/invoices/{INVOICE_ID}/pay")
    config.add_tenant_route("compensation_invoice_file", f"/accounting/compensation/invoices/{INVOICE_ID}/file")
    config.scan("occ_core.compensation.views.invoices")


def _proposal(request, gestore: Gestore) -> dict[str, str]:
    """The form's first values: the period and dossier of the query, and the compenso still due for them."""
    values = {name: param(request, name) for name in FIELDS}
    db = request.dbsession
    try:
        period = services.period_of(values["period_from"], values["period_to"])
    except UserError:
        period = services.current_year()
    dossier = next((d for d in services.dossiers_of(db, gestore.id) if str(d.id) == values["dossier"]), None)
    due = services.still_due(db, request.tenant, gestore.id, period, dossier.id if dossier else None)
    return {**values, "period_from": period.start.isoformat(), "period_to": period.end.isoformat(),
            "dossier": str(dossier.id) if dossier else "", "fee": fmt_amount(due) if due else ""}


def _form_values(request, gestore: Gestore, values: dict, built=None, error=None) -> dict:
    return page_values(request, page_title=f"Registra una fattura di {gestore_name(gestore)}", gestore=gestore,
                       values=values, built=built, error=error, profile=services.tax_profile(
                           request.dbsession, gestore.id), regimes=tax.REGIMES, funds=tax.PENSION_FUNDS,
                       dossiers=services.dossiers_of(request.dbsession, gestore.id))


@view_config(route_name="compensation_invoice_new", renderer=TEMPLATES + "invoice_new.pt",
             permission=services.MANAGE)
def new_invoice(request):
    gestore = gestore_from_url(request)
    if request.method != "POST":
        return _form_values(request, gestore, _proposal(request, gestore))
    values = {name: posted(request, name) for name in FIELDS}
    db = request.dbsession
    try:
        data = services.parse_invoice(db, gestore, values)
        if posted(request, "action") != "save":
            # The first submission only shows the build-up: nothing is written before it is confirmed.
            return _form_values(request, gestore, values, tax.build_up(data.fee, services.tax_profile(db, gestore.id)))
        field = request.POST.get("file")
        content = read_upload(field, documents.max_bytes(request.registry.settings))
        upload = (content, getattr(field, "filename", "") or "") if content else None
        invoice = services.record_invoice(request, gestore, data, upload)
    except UserError as error:
        return _form_values(request, gestore, values, error=refuse(request, error))
    request.flash(f"Fattura n. {invoice.number} registrata: netto da pagare "
                  f"{fmt_amount(invoice.net_payable)} euro.", "success")
    return HTTPFound(url(request, "compensation_statement", gestore_id=gestore.id))


@view_config(route_name="compensation_invoice_pay", request_method="POST", permission=services.MANAGE,
             renderer=TEMPLATES + "statement.pt")
def pay_invoice(request):
    gestore = gestore_from_url(request)
    invoice = invoice_from_url(request)
    if invoice.gestore_id != gestore.id:
        raise HTTPNotFound()
    try:
        movement = services.pay_invoice(request, invoice, posted(request, "on"), posted(request, "method"),
                                        posted(request, "reference"))
    except UserError as error:
        return statement_values(request, gestore, error=f"Pagamento non registrato. {refuse(request, error)}")
    target = url(request, "compensation_statement", gestore_id=gestore.id)
    request.flash(f"Pagamento di {fmt_amount(movement.amount)} euro registrato nei movimenti. La ritenuta "
                  "d'acconto resta da versare all'Erario con F24 entro il 16 del mese successivo.", "success")
    return HTTPFound(target)


@view_config(route_name="compensation_invoice_file", request_method="GET", permission=services.VIEW)
def invoice_file(request):
    invoice = invoice_from_url(request)
    if not invoice.receipt_sha256:
        raise HTTPNotFound()
    try:
        stream = request.document_storage.open(invoice.receipt_sha256)
    except MissingContent:
        raise HTTPNotFound()
    response = Response(app_iter=FileIter(stream), content_type=invoice.receipt_media_type)
    response.content_disposition = documents.content_disposition("attachment", invoice.receipt_filename)
    response.headers["Content-Security-Policy"] = "sandbox; frame-ancestors 'none'"
    response.cache_control = "private, no-store"
    audit(request, "compensation.invoice_file_downloaded", object_type="GestoreInvoice", object_id=invoice.id)
    return response
