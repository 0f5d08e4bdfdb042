"""JSON API of the registrant registry, keyed by codice fiscale, and its OpenAPI description.

Writes are idempotent upserts with the registry's merge semantics (see shared_registry.services):
repeating a request changes nothing and writes nothing."""
from __future__ import annotations

import math
import re
from decimal import Decimal

from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from occ_core.api.errors import ApiError, invalid, json_body, not_found
from occ_core.api.openapi import operation, response
from occ_core.api.views import API
from shared_registry import services
from shared_registry.fields import FIELDS, FieldError, normalize_codice_fiscale
from shared_registry.models import CATEGORIES, STATUSES, Registrant

PAGE_SIZE = 50
MAX_BATCH = 1000
VIEW = "registry:registrant:view"
EDIT = "registry:registrant:edit"


def _number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def registrant_json(registrant: Registrant) -> dict:
    data = {"id": registrant.id, "codice_fiscale": registrant.codice_fiscale, "gender": registrant.gender}
    for name in FIELDS:
        value = getattr(registrant, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    data["credits"] = {str(credit.year): _number(credit.credits) for credit in registrant.credits}
    data["created_at"] = registrant.created_at.isoformat()
    data["updated_at"] = registrant.updated_at.isoformat()
    return data


def _code(request) -> str:
    try:
        return normalize_codice_fiscale(request.matchdict["codice_fiscale"])
    except FieldError as error:
        raise invalid({"codice_fiscale": error.message})


def _choice_param(request, name: str, options: dict) -> str:
    value = request.GET.get(name, "")
    if value and value not in options:
        raise invalid({name: f"Valore non ammesso: usare uno tra {', '.join(options)}."})
    return value


@view_config(route_name="api_registrants", request_method="GET", permission=VIEW, **API)
def registrant_list(request):
    page_text = request.GET.get("page", "1")
    # Only ASCII digits: str.isdigit() also accepts "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,5}", page_text) or int(page_text) == 0:
        raise invalid({"page": "Il numero di pagina deve essere un intero positivo."})
    filters = {"text": request.GET.get("q", "")[:100], "category": _choice_param(request, "category", CATEGORIES),
               "status": _choice_param(request, "status", STATUSES)}
    db, tenant_id, page = request.dbsession, request.tenant.id, int(page_text)
    total = services.count(db, tenant_id, **filters)
    query = (services.search(db, tenant_id, **filters).options(selectinload(Registrant.credits))
             .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return {"items": [registrant_json(r) for r in db.scalars(query)], "total": total, "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)), "page_size": PAGE_SIZE}


@view_config(route_name="api_registrant", request_method="GET", permission=VIEW, **API)
def registrant_get(request):
    registrant = services.get_by_codice_fiscale(request.dbsession, request.tenant.id, _code(request))
    if registrant is None:
        raise not_found("Nessun iscritto con questo codice fiscale.")
    return registrant_json(registrant)


def _upsert(request, items: list) -> list[services.ImportRow]:
    """Plan every item, and write all of them or, if any is invalid, none (422)."""
    not_objects = [index for index, item in enumerate(items) if not isinstance(item, dict)]
    if not_objects:
        raise invalid({f"{index}": "Ogni elemento deve essere un oggetto JSON." for index in not_objects})
    rows = services.plan_upserts(request.dbsession, request.tenant.id, items, positions_label="elementi")
    failed = [row for row in rows if row.errors]
    if failed:
        raise ApiError(422, {
            "error": "Dati non validi: nessuna modifica salvata.",
            "errors": failed[0].errors if len(items) == 1 else {
                f"{row.line}.{field}": message for row in failed for field, message in row.errors.items()},
            "results": [{"index": row.line, "codice_fiscale": row.codice_fiscale, "errors": row.errors}
                        for row in failed],
        })
    services.apply_plan(request.dbsession, request.tenant.id, rows)
    return rows


def _outcome(row: services.ImportRow) -> dict:
    return {"codice_fiscale": row.codice_fiscale, "created": row.action == "nuovo", "changed": list(row.changes)}


@view_config(route_name="api_registrant", request_method="PUT", permission=EDIT, **API)
def registrant_put(request):
    code = _code(request)
    body = json_body(request)
    if "codice_fiscale" in body:
        try:
            same = normalize_codice_fiscale(body["codice_fiscale"]) == code
        except FieldError as error:
            raise invalid({"codice_fiscale": error.message})
        if not same:
            raise invalid({"codice_fiscale": "Il codice fiscale nel corpo non corrisponde a quello dell'indirizzo."})
    return _outcome(_upsert(request, [{**body, "codice_fiscale": code}])[0])


@view_config(route_name="api_registrants_batch", request_method="POST", permission=EDIT, **API)
def registrant_batch(request):
    items = json_body(request, list)
    if not items or len(items) > MAX_BATCH:
        raise invalid({"batch": f"Inviare da 1 a {MAX_BATCH} iscritti per richiesta."})
    return {"results": [{"index": row.line, **_outcome(row)} for row in _upsert(request, items)]}


# --- OpenAPI ---------------------------------------------------------------------------------------

CREDITS_SCHEMA = {
    "type": "object", "propertyNames": {"pattern": "^[0-9]{4}$"},
    "additionalProperties": {"type": ["number", "string"]},
    "description": "Crediti formativi per anno, ad esempio {\"2025\": 20}; gli anni non indicati restano invariati.",
}
CODE_SCHEMA = {"type": "string", "minLength": 16, "maxLength": 16, "description": "Codice fiscale (anche omocodico)"}


def _input_schema() -> dict:
    return {"type": "object", "additionalProperties": False, "properties": {
        "codice_fiscale": CODE_SCHEMA, **{name: spec.schema for name, spec in FIELDS.items()},
        "credits": CREDITS_SCHEMA,
    }}


def _output_schema() -> dict:
    schema = _input_schema()
    schema["properties"] = {**schema["properties"], "id": {"type": "integer"},
                            "gender": {"type": "string", "enum": ["M", "F"]},
                            "created_at": {"type": "string", "format": "date-time"},
                            "updated_at": {"type": "string", "format": "date-time"}}
    schema["required"] = ["id", "codice_fiscale", "last_name", "first_name"]
    return schema


OUTCOME_SCHEMA = {"type": "object", "properties": {
    "codice_fiscale": {"type": "string"}, "created": {"type": "boolean"},
    "changed": {"type": "array", "items": {"type": "string"},
                "description": "Campi modificati; i crediti come credits_<anno>"},
}, "required": ["codice_fiscale", "created", "changed"]}
CODE_PARAMETER = {"name": "codice_fiscale", "in": "path", "required": True, "schema": CODE_SCHEMA}
TAGS = ("Iscritti",)


def openapi_paths() -> dict:
    registrant = _output_schema()
    query = [{"name": name, "in": "query", "required": False, "schema": schema, "description": text}
             for name, schema, text in (
                 ("q", {"type": "string"}, "Cerca in nome, codice fiscale, numero di iscrizione, email"),
                 ("category", {"type": "string", "enum": list(CATEGORIES)}, "Categoria professionale"),
                 ("status", {"type": "string", "enum": list(STATUSES)}, "Stato dell'iscrizione"),
                 ("page", {"type": "integer", "minimum": 1}, "Pagina (50 iscritti per pagina)"))]
    page = {"type": "object", "properties": {
        "items": {"type": "array", "items": registrant}, "total": {"type": "integer"},
        "page": {"type": "integer"}, "pages": {"type": "integer"}, "page_size": {"type": "integer"},
    }, "required": ["items", "total", "page", "pages", "page_size"]}
    batch_result = {"type": "object", "properties": {"results": {"type": "array", "items": {
        "type": "object", "properties": {"index": {"type": "integer"}, **OUTCOME_SCHEMA["properties"]}}}}}
    return {
        "/registrants": {"get": operation(
            "listRegistrants", "Elenco degli iscritti, con ricerca e filtri", {"200": response("Una pagina di iscritti", page)},
            (401, 403, 404, 422), parameters=query, tags=TAGS)},
        "/registrants/{codice_fiscale}": {
            "parameters": [CODE_PARAMETER],
            "get": operation("getRegistrant", "Un iscritto", {"200": response("L'iscritto", registrant)},
                             (401, 403, 404, 422), tags=TAGS),
            "put": operation(
                "upsertRegistrant", "Crea o aggiorna un iscritto (idempotente)",
                {"200": response("Esito: creato, campi modificati (vuoto se nulla è cambiato)", OUTCOME_SCHEMA)},
                (400, 401, 403, 404, 422), body=_input_schema(), tags=TAGS,
                description="Per un nuovo iscritto servono cognome e nome; per uno esistente cambiano solo i campi "
                            "inviati. Data di nascita e sesso sono ricavati dal codice fiscale."),
        },
        "/registrants/batch": {"post": operation(
            "upsertRegistrants", "Crea o aggiorna più iscritti: tutti o nessuno",
            {"200": response("Esito per ogni elemento, nell'ordine della richiesta", batch_result)},
            (400, 401, 403, 404, 422), body={"type": "array", "items": _input_schema(), "maxItems": MAX_BATCH},
            tags=TAGS, description="Se anche un solo elemento non è valido non viene salvato nulla e la risposta "
                                   "422 elenca gli errori di ogni elemento in «results».")},
    }


def includeme(config):
    # The batch route comes first: "batch" would otherwise be read as a codice fiscale.
    config.add_tenant_route("api_registrants", "/api/v1/registrants")
    config.add_tenant_route("api_registrants_batch", "/api/v1/registrants/batch")
    config.add_tenant_route("api_registrant", "/api/v1/registrants/{codice_fiscale}")
    config.scan("occ_core.registrants.api")
