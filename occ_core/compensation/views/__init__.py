"""The compensation pages under «Contabilità»: the overview per gestore and its CSV export, a gestore's
statement and tax profile, his invoices (recording, paying, the file), and the dossier's «Compensi» tab."""
from __future__ import annotations

from occ_core.compensation import services
from occ_core.compensation.models import GestoreInvoice
from occ_core.errors import UserError
from occ_core.gestori.models import Gestore
from occ_core.gestori.screening import gestore_name
from occ_core.ledger.views import row_from_url
from occ_core.web.forms import param, refuse

PARTS = ("overview", "statement", "invoices", "dossier_tab")
TEMPLATES = "occ_core:compensation/templates/"
# The ids in the pages' URLs, as long as any id can be (longer ones match no route: 404).
GESTORE = r"/accounting/compensation/gestori/{gestore_id:\d{1,9}}"
INVOICE_ID = r"{invoice_id:\d{1,9}}"


def includeme(config):
    for part in PARTS:
        config.include(f"occ_core.compensation.views.{part}")


def url(request, route: str, **parts) -> str:
    return request.route_url(route, tenant=request.tenant.slug, **parts)


def gestore_from_url(request) -> Gestore:
    return row_from_url(request, Gestore, "gestore_id")


def invoice_from_url(request) -> GestoreInvoice:
    return row_from_url(request, GestoreInvoice, "invoice_id")


def requested_period(request) -> tuple[services.Period, str | None]:
    """The period of the query (``dal``, ``al``; the current year by default) and the message of a wrong
    one, which answers 400 and shows the current year instead."""
    try:
        return services.period_of(param(request, "dal"), param(request, "al")), None
    except UserError as error:
        return services.current_year(), refuse(request, error)


def page_values(request, **values) -> dict:
    """What every compensation page needs; the «Contabilità» sub-menu (``accounting_menu``) comes from the
    ledger's renderer globals."""
    return {"name_of": gestore_name, "can_manage": request.has_permission(services.MANAGE), "error": None,
            "comp_url": lambda route, **parts: url(request, route, **parts), **values}
