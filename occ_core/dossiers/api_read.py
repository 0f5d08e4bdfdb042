"""JSON API of the dossier register, reads: the list (the filters of the list page) and one dossier with
its debtors, creditors and other parties. Writes are in ``occ_core.dossiers.api``, on the same paths with
other methods: every route here has the GET predicate."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from occ_core.api.errors import invalid, not_found
from occ_core.api.openapi import operation, response
from occ_core.api.views import API
from occ_core.dossiers import listing, parties, procedures
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.api import ID_PARAMETER, PREFIX, TAGS, dossier_url
from occ_core.dossiers.pages import dossier_from_url

VIEW = "dossier:dossier:view"
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
LIST_FIELDS = ("id", "year", "number", "reference", "registered_at", "filed_on", "procedure", "debtor_category",
               "family", "state", "debtor_name", "debtor_tax_code", "gestore_names", "creditor_count",
               "passivo_from_creditors", "passivo_declared", "attivo", "satisfaction_percent", "outcome",
               "outcome_on", "closed")
DETAIL_FIELDS = ("court", "court_case_number", "subject", "incarico_accepted_on", "outcome_notes")
DEBTOR_FIELDS = ("id", "position", *(field.name for field in parties.DEBTOR_FIELDS))
CREDITOR_FIELDS = ("id", *(field.name for field in parties.CREDITOR_FIELDS if field.name not in parties.EXCLUSION_PARTS),
                   "exclusion_reason")
PARTY_FIELDS = ("id", *(field.name for field in parties.PARTY_FIELDS))


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _row(obj, names) -> dict:
    return {name: _plain(getattr(obj, name)) for name in names}


def dossier_item(request, dossier) -> dict:
    return {**_row(dossier, LIST_FIELDS), "procedure_label": procedures.procedure_label(dossier.procedure),
            "state_label": procedures.state_label(request.tenant, dossier.state), "url": dossier_url(request, dossier)}


def _positive(request, name: str, default: int, maximum: int, errors: dict) -> int:
    text = request.GET.get(name, "")
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 6) or not 1 <= int(text) <= maximum:
        errors[name] = f"Indicare un numero intero tra 1 e {maximum}."
        return default
    return int(text)


@view_config(route_name="api_dossiers", permission=VIEW, **API)
def dossier_list(request):
    errors = {}
    page = _positive(request, "page", 1, 10 ** 6, errors)
    size = _positive(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE, errors)
    try:
        filters = listing.DossierFilters.from_params(request.GET)
        sort = listing.parse_sort(request.GET.get("sort"))
    except listing.InvalidFilters as error:
        errors.update(error.errors)
    if errors:
        raise invalid(errors)
    rows, total = listing.search(request.dbsession, filters, sort, page, size)
    return {"items": [dossier_item(request, dossier) for dossier in rows], "total": total,
            "page": min(page, listing.last_page(total, size)), "pages": listing.last_page(total, size),
            "page_size": size}


@view_config(route_name="api_dossier", permission=VIEW, **API)
def dossier_read(request):
    try:
        dossier = dossier_from_url(request)
    except HTTPNotFound:
        raise not_found("Nessuna pratica con questo identificativo.")
    audit_read(request, dossier, "api")
    totals = parties.creditor_totals(dossier)
    return {
        **dossier_item(request, dossier), **_row(dossier, DETAIL_FIELDS),
        "debtors": [_row(debtor, DEBTOR_FIELDS) for debtor in dossier.debtors],
        "creditors": [_row(creditor, CREDITOR_FIELDS) for creditor in dossier.creditors],
        "parties": [_row(party, PARTY_FIELDS) for party in dossier.parties],
        "creditor_totals": {
            "total": _plain(totals.total), "secured": _plain(totals.secured),
            "excluded_from_vote": _plain(totals.excluded_amount), "admitted_to_vote": _plain(totals.admitted_to_vote),
            "difference_from_declared": _plain(totals.difference),
            "by_rank": {s.key: _plain(s.amount) for s in totals.by_rank},
            "by_class": {s.key: _plain(s.amount) for s in totals.by_class},
        },
    }


# --- OpenAPI ---------------------------------------------------------------------------------------

MONEY = {"type": ["string", "null"], "pattern": r"^[0-9]+\.[0-9]{2}$", "description": "Euro, con il punto decimale"}
DATE = {"type": ["string", "null"], "format": "date"}
TEXT = {"type": "string"}


def _object(properties: dict, required=()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required)}


def _party_schema(fields, extra: dict) -> dict:
    kinds = {"date": DATE, "money": MONEY, "flag": {"type": "boolean"}, "count": {"type": "integer"}}
    properties = {"id": {"type": "integer"}, **extra}
    for field in fields:
        schema = kinds.get(field.kind, TEXT)
        if field.kind == "choice":
            schema = {"type": "string", "enum": ["", *field.choices], "description": "; ".join(
                f"{code}: {label}" for code, label in field.choices.items())}
        properties[field.name] = {**schema, "title": field.label}
    return _object(properties, ("id",))


def openapi_paths() -> dict:
    item_properties = {
        "id": {"type": "integer"}, "year": {"type": "integer"}, "number": {"type": "integer"},
        "reference": {"type": "string", "description": "Numero/anno del registro"},
        "registered_at": {"type": "string", "format": "date-time"}, "filed_on": DATE,
        "procedure": {"type": "string", "enum": list(procedures.PROCEDURES)}, "procedure_label": TEXT,
        "debtor_category": {"type": "string", "enum": list(procedures.DEBTOR_CATEGORIES)},
        "family": {"type": "boolean"}, "state": {"type": "string", "enum": list(procedures.STATES)},
        "state_label": TEXT, "debtor_name": TEXT, "debtor_tax_code": TEXT, "gestore_names": TEXT,
        "creditor_count": {"type": "integer"}, "passivo_from_creditors": MONEY, "passivo_declared": MONEY,
        "attivo": MONEY, "satisfaction_percent": {**MONEY, "description": "Percentuale"}, "outcome": TEXT,
        "outcome_on": DATE, "closed": {"type": "boolean"}, "url": TEXT,
    }
    item = _object(item_properties, ("id", "reference", "state"))
    creditor_fields = [f for f in parties.CREDITOR_FIELDS if f.name not in parties.EXCLUSION_PARTS]
    detail = _object({
        **item_properties, **{name: TEXT for name in DETAIL_FIELDS}, "incarico_accepted_on": DATE,
        "debtors": {"type": "array", "items": _party_schema(parties.DEBTOR_FIELDS, {"position": {"type": "integer"}})},
        "creditors": {"type": "array", "items": _party_schema(creditor_fields, {"exclusion_reason": TEXT})},
        "parties": {"type": "array", "items": _party_schema(parties.PARTY_FIELDS, {})},
        "creditor_totals": _object({
            **{name: MONEY for name in ("total", "secured", "excluded_from_vote", "admitted_to_vote",
                                        "difference_from_declared")},
            "by_rank": {"type": "object", "additionalProperties": MONEY, "description": "Importo per grado"},
            "by_class": {"type": "object", "additionalProperties": MONEY,
                         "description": "Importo per classe (chiave vuota: senza classe)"}}),
    }, ("id", "reference", "debtors", "creditors", "parties"))
    page = _object({"items": {"type": "array", "items": item}, "total": {"type": "integer"},
                    "page": {"type": "integer"}, "pages": {"type": "integer"}, "page_size": {"type": "integer"}},
                   ("items", "total", "page", "pages", "page_size"))
    query = [{"name": name, "in": "query", "required": False, "schema": schema, "description": text}
             for name, schema, text in (
                 ("q", TEXT, "Ricerca libera: nomi, codici fiscali e partite IVA di debitori, creditori e altri "
                             "soggetti (ogni parola deve comparire); un numero del registro nella forma "
                             "numero/anno trova quella pratica"),
                 ("year", {"type": "integer"}, "Anno del registro"),
                 ("number", TEXT, "Numero del registro, anche nella forma numero/anno"),
                 ("state", {"type": "string", "enum": list(procedures.STATES)}, "Stato"),
                 ("procedure", {"type": "string", "enum": list(procedures.PROCEDURES)}, "Procedura"),
                 ("regime", {"type": "string", "enum": list(procedures.REGIMES)}, "Normativa (CCII o L. 3/2012)"),
                 ("gestore", TEXT, "Identificativo del gestore nell'elenco, o parte del nome"),
                 ("debtor", TEXT, "Nome, codice fiscale o partita IVA di un debitore"),
                 ("creditor", TEXT, "Nome, codice fiscale o partita IVA di un creditore"),
                 ("filed_from", {"type": "string", "format": "date"}, "Depositata dal (compreso)"),
                 ("filed_to", {"type": "string", "format": "date"}, "Depositata fino al (compreso)"),
                 ("sort", {"type": "string", "enum": list(listing.SORTS)}, "Ordinamento; predefinito -number"),
                 ("page", {"type": "integer", "minimum": 1}, "Pagina"),
                 ("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                  f"Pratiche per pagina (predefinito {PAGE_SIZE})"))]
    return {
        "/dossiers": {"get": operation(
            "listDossiers", "Elenco delle pratiche, con ricerca e filtri", {"200": response("Una pagina di pratiche", page)},
            (401, 403, 404, 422), parameters=query, tags=TAGS)},
        "/dossiers/{id}": {"parameters": [ID_PARAMETER], "get": operation(
            "getDossier", "Una pratica con debitori, creditori e altri soggetti",
            {"200": response("La pratica", detail)}, (401, 403, 404), tags=TAGS,
            description="Ogni lettura è registrata nel registro degli accessi.")},
    }


def includeme(config):
    config.add_tenant_route("api_dossiers", PREFIX, request_method="GET")
    config.add_tenant_route("api_dossier", PREFIX + r"/{id:\d{1,9}}", request_method="GET")
    config.scan("occ_core.dossiers.api_read")
