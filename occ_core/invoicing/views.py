"""The invoices' screens under «Contabilità»: the list and its exports, a new draft, an invoice's page with
its forms (customer, lines, issue, payments, e-mail of the copy), the XML and the courtesy copy, and the
Order's invoicing settings.

Every invoice is looked up through the request's session, bound to the Order of the URL."""
from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.renderers import render
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.dispatch.services import queue_email
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.invoicing import codes, fatturapa, preferences, services, settlement, totals
from occ_core.invoicing.models import Invoice
from occ_core.ledger.services import METHODS, row_by_id
from occ_core.office import ConversionFailed, OfficeUnavailable, convert
from occ_core.web.forms import param, parse_date, parse_money, posted, refuse
from occ_core.web.ui import csv_response, fmt_date, fmt_money

TEMPLATES = "occ_core:invoicing/templates/"
DOSSIER_CHOICES = 300

log = logging.getLogger(__name__)


def includeme(config):
    config.add_tenant_route("invoices", "/accounting/invoices")
    config.add_tenant_route("invoices_export", "/accounting/invoices/export")
    config.add_tenant_route("invoice_new", "/accounting/invoices/new")
    config.add_tenant_route("invoice", "/accounting/invoices/{id}")
    config.add_tenant_route("invoice_xml", "/accounting/invoices/{id}/xml")
    config.add_tenant_route("invoice_copy", "/accounting/invoices/{id}/copy")
    config.add_tenant_route("invoicing_settings", "/settings/invoicing")
    config.scan("occ_core.invoicing.views")


def url(request, route: str, **parts) -> str:
    return request.route_url(route, tenant=request.tenant.slug, **parts)


def invoice_from_url(request) -> Invoice:
    invoice = services.find_invoice(request.dbsession, (request.matchdict or {}).get("id"))
    if invoice is None:
        raise HTTPNotFound()
    return invoice


def common(request, **values) -> dict:
    return {"codes": codes, "statuses": services.STATUSES, "payment_statuses": settlement.PAYMENT_STATUSES,
            "invoice_url": lambda route, **parts: url(request, route, **parts), "label": services.label,
            "customer_name": services.customer_name, "error": None, **values}


# --- list -----------------------------------------------------------------------------------------------------

def _filters(request) -> dict:
    year = param(request, "year").strip()
    return {"year": int(year) if year.isascii() and year.isdigit() and len(year) == 4 else None,
            "kind": param(request, "kind") if param(request, "kind") in codes.KINDS else "",
            "status": param(request, "status") if param(request, "status") in services.STATUSES else "",
            "payment": param(request, "payment") if param(request, "payment") in settlement.PAYMENT_STATUSES else "",
            "dossier": param(request, "dossier").strip()[:20], "customer": param(request, "customer").strip()[:60]}


def listed(request, filters: dict) -> list[dict]:
    query = select(Invoice, Dossier).outerjoin(Dossier, Dossier.id == Invoice.dossier_id)
    if filters["year"]:
        query = query.where(Invoice.year == filters["year"])
    if filters["kind"]:
        query = query.where(Invoice.kind == filters["kind"])
    if filters["status"]:
        query = query.where(Invoice.status == filters["status"])
    found = []
    for invoice, dossier in request.dbsession.execute(
            query.order_by(Invoice.year.desc().nulls_first(), Invoice.number.desc(), Invoice.id.desc())):
        reference = dossier.reference if dossier else ""
        name = services.customer_name(invoice)
        if filters["dossier"] and filters["dossier"] not in reference:
            continue
        if filters["customer"] and filters["customer"].lower() not in name.lower():
            continue
        found.append((invoice, reference, name))
    positions = settlement.positions(request.dbsession, [invoice for invoice, _, _ in found])
    rows = []
    for invoice, reference, name in found:
        position = positions.get(invoice.id)
        payment = position.status if position else ""
        if filters["payment"] and payment != filters["payment"]:
            continue
        rows.append({"invoice": invoice, "dossier": reference, "customer": name,
                     "settled": position.collected if position else None, "payment": payment})
    return rows


def _sign(row) -> int:
    return -1 if row["invoice"].kind == "credit_note" else 1


@view_config(route_name="invoices", renderer=TEMPLATES + "list.pt", permission=services.VIEW)
def invoice_list(request):
    filters = _filters(request)
    rows = listed(request, filters)
    issued = [row for row in rows if row["invoice"].status == services.ISSUED]
    sums = {name: sum((_sign(row) * getattr(row["invoice"], name) for row in issued), 0)
            for name in ("taxable_amount", "vat_amount", "total")}
    sums["settled"] = sum((_sign(row) * row["settled"] for row in issued), 0)
    if param(request, "format") == "csv":
        header = ["Numero", "Data", "Tipo", "Stato", "Pratica", "Cliente", "Codice fiscale", "Partita IVA",
                  "Imponibile", "IVA", "Esente", "Totale", "Ritenuta", "Da incassare", "Incassato", "Pagamento",
                  "File"]
        lines = [[fatturapa.document_number(r["invoice"]) if r["invoice"].number else "", fmt_date(r["invoice"].issued_on),
                  codes.KINDS[r["invoice"].kind], services.STATUSES[r["invoice"].status], r["dossier"], r["customer"],
                  r["invoice"].customer_tax_code, r["invoice"].customer_vat_number, r["invoice"].taxable_amount,
                  r["invoice"].vat_amount, r["invoice"].exempt_amount, r["invoice"].total,
                  r["invoice"].withholding_amount, r["invoice"].amount_due, r["settled"],
                  settlement.PAYMENT_STATUSES.get(r["payment"], ""), r["invoice"].xml_filename] for r in rows]
        return csv_response([header, *lines], "fatture.csv")
    return common(request, page_title="Fatture", rows=rows, filters=filters, sums=sums,
                  can_manage=request.has_permission(services.MANAGE),
                  csv_url=request.current_route_url(_query={**{k: v for k, v in request.GET.items()
                                                              if isinstance(v, str)}, "format": "csv"}))


@view_config(route_name="invoices_export", permission=services.VIEW)
def invoices_export(request):
    try:
        start = parse_date(param(request, "from"), "Dal")
        end = parse_date(param(request, "to"), "Al")
    except UserError as error:
        raise HTTPBadRequest(error.message) from None
    if start and end and start > end:
        raise HTTPBadRequest("Il periodo non è valido: la data iniziale è successiva a quella finale.")
    found = services.issued_between(request.dbsession, start, end)
    audit(request, "invoice.exported", object_type="Invoice",
          details={"from": start.isoformat() if start else "", "to": end.isoformat() if end else "",
                   "count": len(found)})
    response = Response(body=services.xml_zip(found), content_type="application/zip")
    period = "-".join(d.isoformat() for d in (start, end) if d) or "tutte"
    response.content_disposition = f'attachment; filename="fatture-{request.tenant.slug}-{period}.zip"'
    return response


# --- new draft ------------------------------------------------------------------------------------------------

def dossier_choices(request) -> list[tuple[int, str]]:
    rows = request.dbsession.execute(select(Dossier).where(Dossier.closed.is_(False))
                                     .order_by(Dossier.year.desc(), Dossier.number.desc()).limit(DOSSIER_CHOICES))
    return [(dossier.id, f"{dossier.reference} – {dossier.debtor_name}") for (dossier,) in rows]


def dossier_of(request, text: str) -> Dossier | None:
    return row_by_id(request.dbsession, Dossier, text, request.tenant.id)


@view_config(route_name="invoice_new", renderer=TEMPLATES + "new.pt", permission=services.MANAGE)
def invoice_new(request):
    chosen = {"dossier": param(request, "dossier"), "kind": param(request, "kind") or "invoice",
              "amount": param(request, "amount"), "corrects": param(request, "corrects")}
    # Opened from a dossier's «Contabilità» tab (its address names the dossier): the way back to it.
    came_from = dossier_of(request, request.GET.get("dossier", ""))
    values = common(request, page_title="Nuova fattura", chosen=chosen, dossiers=dossier_choices(request),
                    kinds={k: v for k, v in codes.KINDS.items() if k != "credit_note"},
                    back_url=url(request, "dossier_accounting", id=came_from.id) if came_from else None)
    if request.method != "POST":
        return values
    try:
        kind = chosen["kind"] if chosen["kind"] in codes.KINDS else None
        if kind is None:
            raise UserError("Tipo di documento non valido.", field="kind")
        corrects = services.find_invoice(request.dbsession, chosen["corrects"]) if kind == "credit_note" else None
        dossier = None
        if kind != "credit_note":
            dossier = dossier_of(request, chosen["dossier"])
            if dossier is None:
                raise UserError("Indicare la pratica da fatturare.", field="dossier")
        amount = parse_money(chosen["amount"], "Importo dell'acconto") if kind == "advance" else None
        invoice = services.create_draft(request, dossier, kind, amount=amount, corrects=corrects)
    except UserError as error:
        return {**values, "error": refuse(request, error)}
    request.flash("Bozza creata: controlli cliente e righe, poi emetta la fattura.")
    return HTTPFound(url(request, "invoice", id=invoice.id))


# --- an invoice -------------------------------------------------------------------------------------------------

def _header(request, invoice):
    # The form sends every field (an unchecked box sends nothing): what a request leaves out stays as it is.
    fields = [*services.CUSTOMER_FIELDS, "customer_kind", "causale", "due_on"]
    data = {name: posted(request, name) for name in fields if name in request.POST}
    if "customer_kind" in data:
        data["customer_withholds"] = posted(request, "customer_withholds")
    services.update_header(request, invoice, data)
    return "Dati della fattura salvati."


def _line_data(request) -> dict:
    return {name: posted(request, name) for name in ("category", "description", "quantity", "unit_price",
                                                     "vat_rate", "vat_nature")}


def _issue(request, invoice):
    if posted(request, "confirm") != "1":
        raise UserError("Per emettere la fattura confermi di aver controllato i dati: dopo non si potrà più modificare.")
    services.issue(request, invoice)
    return f"{services.label(invoice)} emessa: il file {invoice.xml_filename} è pronto."


def _payment(request, invoice):
    on = parse_date(posted(request, "on"), "Data del pagamento") or today()
    amount = parse_money(posted(request, "amount"), "Importo")
    if amount is None:
        raise UserError("Importo: campo obbligatorio.", field="amount")
    services.record_payment(request, invoice, on=on, amount=amount, method=posted(request, "method") or "transfer",
                            reference=posted(request, "reference"))
    return "Pagamento registrato."


def copy_values(request, invoice: Invoice, attachment: bool = False) -> dict:
    """The courtesy copy shows what was issued: the invoice's stored columns and lines, and what its own file
    says of the Order, the cassa, the ritenuta and the documents referred to; never today's preferences."""
    return common(request, page_title=f"Copia di cortesia – {services.label(invoice)}", invoice=invoice,
                  issued=fatturapa.read_back(invoice.xml), attachment=attachment)


def copy_attachments(request, invoice: Invoice) -> list[tuple[str, str, bytes]]:
    """The copy as an HTML page and, where LibreOffice converts it, as a PDF too."""
    html = render(TEMPLATES + "copy.pt", copy_values(request, invoice, attachment=True), request=request)
    name = f"copia-di-cortesia-{invoice.number}-{invoice.year}"
    files = [(f"{name}.html", "text/html", html.encode("utf-8"))]
    try:
        [pdf] = convert(request.registry.settings, [(html.encode("utf-8"), ".html")])
        files.append((f"{name}.pdf", "application/pdf", pdf))
    except OfficeUnavailable:
        pass
    except ConversionFailed as error:
        log.error("courtesy copy of invoice %s: no PDF, the HTML copy goes alone: %s", invoice.id, error.detail)
    return files


def _send_copy(request, invoice):
    if invoice.status != services.ISSUED or not invoice.customer_email:
        raise UserError("La copia si invia per e-mail solo per una fattura emessa a un cliente con indirizzo e-mail.")
    files = copy_attachments(request, invoice)
    body = (f"Gentile {services.customer_name(invoice)},\n\nle inviamo in allegato la copia di cortesia della "
            f"{services.label(invoice).lower()} del {fmt_date(invoice.issued_on)}, di importo "
            f"{fmt_money(invoice.total)}.\n\nL'originale è il file elettronico trasmesso tramite il Sistema di "
            "Interscambio e disponibile nella sua area riservata del sito dell'Agenzia delle Entrate.\n\n"
            f"{request.tenant.display_name}")
    queue_email(request, subject=f"{services.label(invoice)} – {request.tenant.display_name}", body_text=body,
                to=[(services.customer_name(invoice), invoice.customer_email)], purpose="invoice_copy",
                tenant_id=request.tenant.id, attachments=files)
    audit(request, "invoice.copy_sent", object_type="Invoice", object_id=invoice.id,
          details={"to": invoice.customer_email, "files": [name for name, _, _ in files]})
    return f"Copia di cortesia inviata a {invoice.customer_email}."


def _delete(request, invoice):
    services.delete_draft(request, invoice)
    return "Bozza eliminata."


ACTIONS = {
    "header": (services.MANAGE, _header),
    "add_line": (services.MANAGE, lambda r, i: services.add_line(r, i, _line_data(r)) and "Riga aggiunta."),
    "update_line": (services.MANAGE,
                    lambda r, i: services.update_line(r, i, posted(r, "line_id"), _line_data(r)) and "Riga salvata."),
    "remove_line": (services.MANAGE,
                    lambda r, i: services.remove_line(r, i, posted(r, "line_id")) or "Riga eliminata."),
    "issue": (services.ISSUE, _issue),
    "delete": (services.MANAGE, _delete),
    "payment": (services.MANAGE, _payment),
    "send_copy": (services.MANAGE, _send_copy),
}


def detail_values(request, invoice, **values) -> dict:
    db = request.dbsession
    issued = invoice.status == services.ISSUED
    position = settlement.position(db, invoice) if issued else None
    dossier = db.get(Dossier, invoice.dossier_id) if invoice.dossier_id else None
    corrected = db.get(Invoice, invoice.corrects_id) if invoice.corrects_id else None
    prefs = preferences.preferences_of(request.tenant)
    editable = not issued and request.has_permission(services.MANAGE)
    return common(
        request, page_title=services.label(invoice), invoice=invoice, dossier=dossier, corrected=corrected,
        editable=editable, can_issue=not issued and request.has_permission(services.ISSUE),
        can_manage=request.has_permission(services.MANAGE), position=position,
        payment=position.status if position else "",
        open_statuses=settlement.OPEN,
        payments=services.payments(db, invoice) if issued else [], methods=METHODS,
        summary=totals.compute(invoice, prefs) if not issued else None,
        identity_problem=preferences.identity_problem(request.tenant), today=today(),
        credit_notes=list(db.scalars(select(Invoice).where(Invoice.corrects_id == invoice.id))),
        settings_url=url(request, "tenant_settings") if request.has_permission("core:settings:edit") else None,
        **values)


@view_config(route_name="invoice", renderer=TEMPLATES + "detail.pt", permission=services.VIEW)
def invoice_page(request):
    invoice = invoice_from_url(request)
    if request.method != "POST":
        return detail_values(request, invoice)
    action = ACTIONS.get(posted(request, "action"))
    if action is None:
        raise HTTPBadRequest("Operazione non riconosciuta.")
    permission, run = action
    if not request.has_permission(permission):
        raise HTTPForbidden()
    try:
        message = run(request, invoice)
    except UserError as error:
        message = refuse(request, error)
        request.dbsession.expire_all()
        current = services.find_invoice(request.dbsession, invoice.id)
        if current is None:  # deleted meanwhile from another page
            request.flash(message, "danger")
            return HTTPFound(url(request, "invoices"))
        return detail_values(request, current, error=message)
    request.flash(message)
    if services.find_invoice(request.dbsession, invoice.id) is None:
        return HTTPFound(url(request, "invoices"))
    return HTTPFound(url(request, "invoice", id=invoice.id))


def _issued(request) -> Invoice:
    invoice = invoice_from_url(request)
    if invoice.status != services.ISSUED:
        raise HTTPNotFound()
    return invoice


@view_config(route_name="invoice_xml", permission=services.VIEW)
def invoice_xml(request):
    invoice = _issued(request)
    response = Response(body=invoice.xml, content_type="application/xml")
    response.content_disposition = f'attachment; filename="{invoice.xml_filename}"'
    return response


@view_config(route_name="invoice_copy", renderer=TEMPLATES + "copy.pt", permission=services.VIEW)
def invoice_copy(request):
    return copy_values(request, _issued(request))


# --- settings -------------------------------------------------------------------------------------------------

SETTING_FIELDS = ("regime", "iban", "payment_days", "vat_rate", "vat_nature", "expense_nature", "stamp_recharge",
                  "pension_fund", "pension_fund_rate", "withholding", "withholding_rate", "withholding_reason")


@view_config(route_name="invoicing_settings", renderer=TEMPLATES + "settings.pt", permission=services.SETTINGS)
def invoicing_settings(request):
    tenant = request.tenant
    current = preferences.preferences_of(tenant)
    values = common(request, page_title="Impostazioni di fatturazione", tenant=tenant,
                    identity_problem=preferences.identity_problem(tenant),
                    settings_url=url(request, "tenant_settings"))
    if request.method != "POST":
        return {**values, "prefs": current}
    try:
        chosen = preferences.from_mapping({name: posted(request, name) for name in SETTING_FIELDS})
    except UserError as error:
        return {**values, "prefs": current, "error": refuse(request, error)}
    if chosen != current:
        preferences.save(tenant, chosen)
        audit(request, "invoicing.settings.changed", object_type="Tenant", object_id=str(tenant.id),
              details={name: str(getattr(chosen, name)) for name in SETTING_FIELDS})
        request.flash("Impostazioni di fatturazione salvate.")
    else:
        request.flash("Nessuna modifica da salvare.", "info")
    return HTTPFound(url(request, "invoicing_settings"))
