"""The accounting landing page: the current year's figures and what needs attention."""
from __future__ import annotations

from datetime import date

from pyramid.view import view_config
from sqlalchemy import func, select

from occ_core.clock import today
from occ_core.invoicing.fatturapa import document_number
from occ_core.ledger import listing, services
from occ_core.ledger.models import Movement
from occ_core.ledger.views import TEMPLATES, url, url_if
from occ_core.money import ZERO

UNPAID_SHOWN = 20


def unpaid_invoices(request) -> list[dict]:
    """Issued invoices (credit notes aside) of which less than the amount due was collected, oldest first."""
    from occ_core.invoicing.models import Invoice

    invoices = request.dbsession.scalars(select(Invoice).where(
        Invoice.status == "issued", Invoice.kind != "credit_note").order_by(Invoice.issued_on, Invoice.id)).all()
    paid = services.paid_by_invoice(request.dbsession, [invoice.id for invoice in invoices])
    return [{"invoice": invoice, "label": document_number(invoice), "paid": paid.get(invoice.id, ZERO),
             "open": invoice.amount_due - paid.get(invoice.id, ZERO), "url": url_if(request, "invoice", id=invoice.id)}
            for invoice in invoices if paid.get(invoice.id, ZERO) < invoice.amount_due]


@view_config(route_name="accounting", renderer=TEMPLATES + "landing.pt", permission=services.VIEW)
def accounting(request):
    year = today().year
    in_year = listing.period_criteria(date(year, 1, 1), date(year, 12, 31))
    pending = request.dbsession.scalar(select(func.count()).select_from(Movement).where(
        *in_year, Movement.reconciliation == services.PENDING))
    unpaid = unpaid_invoices(request)
    return {
        "page_title": "Contabilità",
        "year": year,
        "totals": services.totals(request.dbsession, *in_year),
        "pending": pending,
        "pending_url": url(request, "accounting_movements", _query={
            "reconciliation": services.PENDING, "from": f"{year}-01-01", "to": f"{year}-12-31"}),
        "unpaid": unpaid[:UNPAID_SHOWN],
        "unpaid_count": len(unpaid),
        "unpaid_total": sum((row["open"] for row in unpaid), ZERO),
    }


def includeme(config):
    config.add_tenant_route("accounting", "/accounting")
    config.scan("occ_core.ledger.views.landing")
