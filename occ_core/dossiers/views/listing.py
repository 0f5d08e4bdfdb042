"""The dossier list: filters, full-text search, sort, pages, saved filters, CSV export and print."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup, escape
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.view import view_config
from sqlalchemy import bindparam, select
from webob.multidict import MultiDict

from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.dossiers import listing, procedures
from occ_core.dossiers.models import SavedFilter
from occ_core.errors import UserError
from occ_core.gestori.models import Gestore
from occ_core.web import ui
from occ_core.web.forms import posted
from shared_registry.models import Registrant

TEMPLATE = "occ_core:dossiers/templates/listing.pt"
PRINT_TEMPLATE = "occ_core:dossiers/templates/listing_print.pt"
VIEW = "dossier:dossier:view"
PER_PAGE = 25
PRINT_LIMIT = 500
FILTER_NAME_LENGTH = 80
# What the list's form and links carry besides the filters.
LIST_PARAMS = ("sort",)


def _read(params) -> tuple[listing.DossierFilters, str]:
    return listing.DossierFilters.from_params(params), listing.parse_sort(params.get("sort"))


def _query(filters: listing.DossierFilters, sort: str) -> dict[str, str]:
    query = filters.params()
    if sort != listing.DEFAULT_SORT:
        query["sort"] = sort
    return query


# The list's form and saved filters, on every visit: built once, naming the Order themselves (so the automatic
# tenant criteria, which cost more than these small reads, are skipped).
_GESTORI = (select(Gestore.id, Registrant.last_name, Registrant.first_name)
            .join(Registrant, Registrant.id == Gestore.registrant_id)
            .where(Gestore.tenant_id == bindparam("tenant_id"), Registrant.tenant_id == bindparam("tenant_id"))
            .order_by(Registrant.last_name, Registrant.first_name)
            .execution_options(all_tenants=True))
_SAVED_FILTERS = (select(SavedFilter.id, SavedFilter.name, SavedFilter.query)
                  .where(SavedFilter.tenant_id == bindparam("tenant_id"), SavedFilter.user_id == bindparam("user_id"))
                  .order_by(SavedFilter.name)
                  .execution_options(all_tenants=True))


def _gestori(request) -> list[tuple[str, str]]:
    """(id, name) of the Order's gestori, for the filter; plain columns, as the list is long."""
    if not request.has_permission("gestori:gestore:view"):
        return []
    rows = request.dbsession.execute(_GESTORI, {"tenant_id": request.tenant.id})
    return [(str(gestore_id), f"{last_name} {first_name}") for gestore_id, last_name, first_name in rows]


def _saved_filters(request) -> list:
    """The user's saved filters: (id, name, query) rows."""
    return request.dbsession.execute(
        _SAVED_FILTERS, {"tenant_id": request.tenant.id, "user_id": request.identity.id}).all()


def _options(choices, chosen: str) -> Markup:
    """The <option>s of one of the filters' selects, ``chosen`` selected. Built here: through the template,
    the 49 states and the Order's gestori took longer than many a search."""
    return Markup("".join(f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
                          f"{escape(label)}</option>" for value, label in choices))


def _list_url(request, query: dict | None = None, route: str = "dossiers") -> str:
    return request.route_url(route, tenant=request.tenant.slug, _query=query or {})


# The columns whose heading sorts the list: the sort of the first click (the newest numbers and filings first,
# names from A), then the reverse on the next.
SORTING_COLUMNS = {"number": ("-number", "number"), "filed": ("-filed", "filed"), "debtor": ("debtor", "-debtor"),
                   "state": ("state", "state")}


def _column_sorting(request, filters: listing.DossierFilters, sort: str) -> dict[str, tuple[str, str | None]]:
    """Per sorting column: the address of the list sorted by it, and its aria-sort when the list is."""
    direction = "descending" if listing.SORTS[sort][1][0][1] else "ascending"
    return {column: (_list_url(request, {**filters.params(), "sort": reverse if sort == first else first}),
                     direction if sort in (first, reverse) else None)
            for column, (first, reverse) in SORTING_COLUMNS.items()}


def _page_values(request, params, **extra) -> dict:
    """The list page for the query ``params``; bad filters give their messages and status 400."""
    form = {name: params.get(name, "") for name in (*listing.DossierFilters.__dataclass_fields__, *LIST_PARAMS)}
    states = {code: procedures.state_label(request.tenant, code) for code in procedures.STATES}
    procedure_labels = {code: procedure.label for code, procedure in procedures.PROCEDURES.items()}
    gestori = _gestori(request)
    values = {
        "page_title": "Pratiche", "form": form, "states": states, "procedure_labels": procedure_labels,
        "gestori": gestori, "options": {
            "state": _options(states.items(), form["state"]),
            "procedure": _options(procedure_labels.items(), form["procedure"]),
            "regime": _options(procedures.REGIMES.items(), form["regime"]),
            "gestore": _options(gestori, form["gestore"]),
            "sort": _options(((code, label) for code, (label, _keys) in listing.SORTS.items()), form["sort"]),
        },
        "saved_filters": _saved_filters(request), "errors": {}, "dossiers": [], "pager": None, "more_than": None,
        "query": "", "filtered": False, "save_error": None, "save_name": "",
        "can_create": request.has_permission("dossier:dossier:create"),
    }
    values.update(extra)
    try:
        filters, sort = _read(params)
    except listing.InvalidFilters as error:
        request.response.status = 400
        values["errors"] = error.errors
        return values
    page = _page_number(params)
    rows, total = listing.search(request.dbsession, filters, sort, page, PER_PAGE, exact=False)
    query = _query(filters, sort)
    cap = listing.count_cap(filters)
    values.update(
        more_than=cap if total > cap else None, dossiers=rows, query=urlencode(query), filtered=filters.active,
        pager=ui.Pager(request, min(page, listing.last_page(total, PER_PAGE)), total, rows, PER_PAGE,
                       list_url=_list_url(request, query)),
        sorting=_column_sorting(request, filters, sort),
        export_url=_list_url(request, query, "dossiers_export"), print_url=_list_url(request, query, "dossiers_print"))
    return values


def _page_number(params) -> int:
    """``?page=N`` from 1; a number past the last page is clamped by the search, anything else is page 1."""
    text = params.get("page", "1")
    if not (isinstance(text, str) and text.isascii() and text.isdigit()):
        return 1
    digits = text.lstrip("0") or "0"
    return max(1, int(digits) if len(digits) <= 9 else 10 ** 9)


@view_config(route_name="dossiers", renderer=TEMPLATE, permission=VIEW)
def dossier_list(request):
    return _page_values(request, request.GET)


def _read_or_refuse(request):
    """(filters, sort) of the query string, or None and the list page with the filters' messages (400)."""
    try:
        return _read(request.GET), None
    except listing.InvalidFilters:
        values = _page_values(request, request.GET)
        return None, render_to_response(TEMPLATE, values, request, response=request.response)


@view_config(route_name="dossiers_export", permission=VIEW)
def dossier_export(request):
    read, refusal = _read_or_refuse(request)
    if read is None:
        return refusal
    rows = request.dbsession.scalars(listing.statement(request.dbsession, *read))
    tenant = request.tenant
    table = [["Numero", "Anno", "Data di deposito", "Procedura", "Categoria del debitore", "Procedura familiare",
              "Stato", "Debitore", "Codice fiscale o P. IVA del debitore", "Gestore", "Creditori",
              "Passivo dai creditori", "Passivo dichiarato", "Attivo", "Esito"]]
    for d in rows:
        table.append([d.number, d.year, ui.fmt_date(d.filed_on), procedures.procedure_label(d.procedure),
                      procedures.DEBTOR_CATEGORIES.get(d.debtor_category, d.debtor_category),
                      "Sì" if d.family else "No", procedures.state_label(tenant, d.state), d.debtor_name,
                      d.debtor_tax_code, d.gestore_names, d.creditor_count, d.passivo_from_creditors,
                      d.passivo_declared, d.attivo, procedures.STATES.get(d.outcome, d.outcome)])
    audit(request, "dossier.list_exported", object_type="Dossier",
          details={"filters": _query(*read), "rows": len(table) - 1})
    return ui.csv_response(table, f"pratiche-{tenant.slug}.csv")


@view_config(route_name="dossiers_print", renderer=PRINT_TEMPLATE, permission=VIEW)
def dossier_print(request):
    read, refusal = _read_or_refuse(request)
    if read is None:
        return refusal
    filters, sort = read
    shown = request.dbsession.scalars(listing.statement(request.dbsession, filters, sort).limit(PRINT_LIMIT + 1)).all()
    return {"page_title": "Elenco delle pratiche", "dossiers": shown[:PRINT_LIMIT], "cut": len(shown) > PRINT_LIMIT,
            "limit": PRINT_LIMIT, "description": describe(request, filters),
            "states": lambda code: procedures.state_label(request.tenant, code),
            "procedure_label": procedures.procedure_label, "printed_on": today(),
            "back_url": _list_url(request, _query(filters, sort))}


def describe(request, filters: listing.DossierFilters) -> list[str]:
    """The filters in words, for the printed list."""
    labels = {"q": "Ricerca", "year": "Anno", "number": "Numero", "state": "Stato", "procedure": "Procedura",
              "regime": "Normativa", "gestore": "Gestore", "debtor": "Debitore", "creditor": "Creditore",
              "filed_from": "Depositata dal", "filed_to": "Depositata fino al"}
    shown = {"state": lambda v: procedures.state_label(request.tenant, v), "procedure": procedures.procedure_label,
             "regime": lambda v: procedures.REGIMES.get(v, v),
             "gestore": lambda v: dict(_gestori(request)).get(v, v)}
    result = []
    for name, value in filters.params().items():
        if name in ("filed_from", "filed_to"):
            value = ui.fmt_date(getattr(filters, name))
        result.append(f"{labels[name]}: {shown.get(name, str)(value)}")
    return result


@view_config(route_name="dossier_filters", request_method="POST", renderer=TEMPLATE, permission=VIEW)
def save_filter(request):
    """Save the list's current query under a name (the same name again replaces it)."""
    name = " ".join(posted(request, "name").split())
    params = MultiDict(parse_qsl(posted(request, "query")[:2000]))
    try:
        if not name:
            raise UserError("Dia un nome al filtro da salvare.")
        if len(name) > FILTER_NAME_LENGTH:
            raise UserError(f"Il nome del filtro può avere al massimo {FILTER_NAME_LENGTH} caratteri.")
        query = urlencode(_query(*_read(params)))
    except UserError as error:
        request.response.status = 400
        request.tm.doom()
        return _page_values(request, params, save_error=error.message, save_name=name)
    db = request.dbsession
    saved = db.scalar(select(SavedFilter).where(SavedFilter.user_id == request.identity.id, SavedFilter.name == name))
    if saved is None:
        db.add(SavedFilter(tenant_id=request.tenant.id, user_id=request.identity.id, name=name, query=query))
        request.flash(f"Filtro «{name}» salvato.")
    else:
        saved.query = query
        request.flash(f"Filtro «{name}» aggiornato.")
    return HTTPFound(_list_url(request, dict(parse_qsl(query))))


@view_config(route_name="dossier_filter_delete", request_method="POST", permission=VIEW)
def delete_filter(request):
    saved = request.dbsession.scalar(select(SavedFilter).where(
        SavedFilter.id == int(request.matchdict["fid"]), SavedFilter.user_id == request.identity.id))
    if saved is None:
        raise HTTPNotFound()
    request.dbsession.delete(saved)
    request.flash(f"Filtro «{saved.name}» eliminato.")
    return HTTPFound(_list_url(request))


def includeme(config):
    config.add_tenant_route("dossiers", "/dossiers")
    config.add_tenant_route("dossiers_export", "/dossiers/export.csv")
    config.add_tenant_route("dossiers_print", "/dossiers/print")
    config.add_tenant_route("dossier_filters", "/dossiers/filters")
    config.add_tenant_route("dossier_filter_delete", r"/dossiers/filters/{fid:\d{1,9}}/delete")
    config.scan("occ_core.dossiers.views.listing")
