"""The accounting screens: the landing page and its sub-menu, the movements, the dossier's «Contabilità»
tab, the exports. Each part registers its own routes.

The invoices and the gestori's compensation have their own packages; their routes are linked only where
they exist, so these pages never depend on them being installed."""
from __future__ import annotations

from urllib.parse import urlsplit

from pyramid.events import BeforeRender
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.interfaces import IRoutesMapper
from pyramid.renderers import get_renderer
from sqlalchemy import select

from occ_core.clock import today
from occ_core.documents.services import max_bytes
from occ_core.dossiers.views.registration import FormField, form_macros
from occ_core.ledger import services
from occ_core.ledger.models import Movement
from occ_core.web.forms import param, posted, read_upload

PARTS = ("landing", "movements", "dossier_tab", "exports")
TEMPLATES = "occ_core:ledger/templates/"
MENU_TEMPLATE = TEMPLATES + "accounting_menu.pt"
# The sub-menu of every accounting page: (label, route name); a link shows if the route exists and the
# user may open its page.
MENU = (
    ("Riepilogo", "accounting"),
    ("Movimenti", "accounting_movements"),
    ("Fatture", "invoices"),
    ("Compensi gestori", "compensation"),
    ("Esportazioni", "accounting_exports"),
    ("Calcolo preventivo", "fee_calculator"),
)


def route_exists(request, name: str) -> bool:
    return request.registry.getUtility(IRoutesMapper).get_route(name) is not None


def url_if(request, name: str, **parts) -> str | None:
    """The URL of the Order's route ``name``, or None when no installed feature registers it."""
    if not route_exists(request, name):
        return None
    return request.route_url(name, tenant=request.tenant.slug, **parts)


def _view_permission(request, route_name: str) -> str | None:
    """The permission of the page (GET view) of a route, as the view declared it: the menu needs no list
    of other features' permissions, and never links a page that would answer 403."""
    for item in request.registry.introspector.get_category("views") or ():
        view = item["introspectable"]
        if view["route_name"] == route_name and view["request_methods"] in (None, "GET", ("GET",)):
            permission = next((r["value"] for r in item["related"] if r.category_name == "permissions"), None)
            return permission
    return None


def menu_links(request) -> list[dict]:
    """The accounting sub-menu of ``request`` (``request.accounting_links``)."""
    if request.tenant is None:
        return []
    links = []
    for label, name in MENU:
        if not route_exists(request, name):
            continue
        permission = _view_permission(request, name)
        if permission is not None and not request.has_permission(permission):
            continue
        url = request.route_url(name, tenant=request.tenant.slug)
        links.append({"label": label, "url": url, "current": request.path == urlsplit(url).path})
    return links


def _renderer_globals(event):
    """The sub-menu macro for every template: ``<metal:m use-macro="accounting_menu.macros['menu']"/>``."""
    if event.get("request") is not None:
        event["accounting_menu"] = get_renderer(MENU_TEMPLATE).implementation()


def url(request, route: str, **parts) -> str:
    return request.route_url(route, tenant=request.tenant.slug, **parts)


def row_from_url(request, model, key: str):
    """The Order's row of ``model`` whose id is the URL's ``key``; 404 for anything else."""
    row = services.row_by_id(request.dbsession, model, (request.matchdict or {}).get(key), request.tenant.id)
    if row is None:
        raise HTTPNotFound()
    return row


def movement_from_url(request):
    return row_from_url(request, Movement, "mid")


def came_from(request, fallback: str) -> str:
    """The page a form was on (a path of the same Order only: never an address from outside)."""
    target = posted(request, "came_from") or param(request, "came_from")
    prefix = f"/{request.tenant.slug}/"
    if not target.startswith(prefix) or "//" in target or "\\" in target:
        return fallback
    return target


def back(request, fallback: str) -> HTTPFound:
    return HTTPFound(came_from(request, fallback))


# --- the movement form, the same on the dossier tab, the general list and the edit page -----------------------

CATEGORY_GROUPS = (("Entrate", services.CATEGORIES[services.INCOME]),
                   ("Uscite", services.CATEGORIES[services.EXPENSE]))
FIELDS = (
    FormField("on", "Data", input="date", width="col-md-3"),
    FormField("category", "Categoria", input="select", groups=CATEGORY_GROUPS, width="col-md-5",
              hint="La categoria dice anche se è un'entrata o un'uscita."),
    FormField("amount", "Importo", width="col-md-4", hint="In euro, ad esempio 1.250,00."),
    FormField("description", "Descrizione", width="col-md-8"),
    FormField("method", "Modalità di pagamento", input="select", options=services.METHODS, width="col-md-4"),
    FormField("reference", "Riferimento del pagamento", width="col-md-6",
              hint="CRO/TRN del bonifico, IUV dell'avviso pagoPA, numero della ricevuta."),
    FormField("receipt", "Ricevuta (quietanza)", input="file", width="col-md-6",
              hint="PDF o immagine; facoltativa."),
    FormField("notes", "Note", input="textarea", width="col-12"),
)
POSTED = ("on", "category", "amount", "description", "method", "reference", "notes")


def direction_of(category: str) -> str:
    """The direction a category belongs to; an unknown one is refused by the category's own check."""
    return next((d for d, options in services.CATEGORIES.items() if category in options), services.INCOME)


def posted_movement(request) -> dict:
    """The form's values as ``record_movement`` takes them."""
    values = {name: posted(request, name) for name in POSTED}
    values["direction"] = direction_of(values["category"])
    return values


def posted_receipt(request):
    field = request.POST.get("receipt")
    content = read_upload(field, max_bytes(request.registry.settings))
    if not content and not getattr(field, "filename", ""):
        return None
    return content, getattr(field, "filename", "") or "", getattr(field, "type", "") or ""


def form_errors(error) -> dict:
    """``{field: message}`` of a refused movement, for the form macro."""
    return getattr(error, "errors", None) or {error.field or "description": error.message}


def blank_form(**values) -> dict:
    # Most movements are recorded on the day they happen, as the invoice's payment form assumes too.
    return {"values": {"method": "transfer", "on": today().isoformat(), **values}, "errors": {}}


def invoice_links(request):
    """For the movements table: ``{invoice_id: (label, url)}`` of the invoices its movements settle, one
    query for the whole table; nothing when the invoices' pages are not installed."""
    def links(movements) -> dict:
        ids = {movement.invoice_id for movement in movements if movement.invoice_id}
        if not ids or not route_exists(request, "invoice"):
            return {}
        from occ_core.invoicing.models import Invoice
        from occ_core.invoicing.services import label

        return {invoice.id: (label(invoice), url_if(request, "invoice", id=invoice.id))
                for invoice in request.dbsession.scalars(select(Invoice).where(Invoice.id.in_(ids)))}
    return links


def form_values(request, **values) -> dict:
    """What a template with the movement form (and the movements table) needs."""
    return {"fields": FIELDS, "form": form_macros(), "came_from": request.path_qs if request.method == "GET" else
            came_from(request, request.path), "invoice_links": invoice_links(request),
            "can_manage": request.has_permission(services.MANAGE), "labels": labels(), **values}


def labels() -> dict:
    return {"directions": services.DIRECTIONS, "categories": services.CATEGORY_LABELS, "methods": services.METHODS,
            "reconciliations": services.RECONCILIATIONS, "manual": services.MANUAL}


def includeme(config):
    config.add_subscriber(_renderer_globals, BeforeRender)
    config.add_request_method(menu_links, "accounting_links", reify=True)
    for part in PARTS:
        config.include(f"occ_core.ledger.views.{part}")
