"""JSON API of the dossier register, writes: register a dossier, change its data, move it to its next
state. (Lists and reads are in ``occ_core.dossiers.api_read``.)

Every route has a method predicate, so the read routes on the same paths stay reachable whatever the
order in which the two modules add their routes. A refused request writes nothing: the error aborts the
transaction, so not even a register number is used up."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from occ_core.api.errors import ApiError, invalid, json_body, not_found
from occ_core.api.openapi import operation, response
from occ_core.api.views import API
from occ_core.dossiers import lifecycle, procedures, registration
from occ_core.dossiers.fields import InvalidData
from occ_core.dossiers.pages import dossier_from_url

PREFIX = "/api/v1/dossiers"
TAGS = ("Pratiche",)


def dossier_url(request, dossier) -> str:
    return f"{request.application_url}/{request.tenant.slug}{PREFIX}/{dossier.id}"


def dossier_outcome(request, dossier) -> dict:
    """What a write answers: the dossier's identity in the register, its state and its next steps."""
    return {
        "id": dossier.id, "reference": dossier.reference, "year": dossier.year, "number": dossier.number,
        "procedure": dossier.procedure, "state": dossier.state,
        "state_label": procedures.state_label(request.tenant, dossier.state),
        "outcome": dossier.outcome, "closed": dossier.closed, "url": dossier_url(request, dossier),
        "next": [{"state": o.state, "label": o.label, "missing": list(o.missing), "needs_reason": o.needs_reason}
                 for o in lifecycle.available_transitions(request.dbsession, dossier)],
    }


def _dossier(request):
    try:
        return dossier_from_url(request)
    except HTTPNotFound:
        raise not_found("Nessuna pratica con questo identificativo.")


@view_config(route_name="api_dossier_create", permission="dossier:dossier:create", **API)
def dossier_create(request):
    try:
        dossier = registration.open_dossier(request, json_body(request))
    except InvalidData as error:
        raise invalid(error.errors)
    request.response.status = 201
    request.response.location = dossier_url(request, dossier)
    return dossier_outcome(request, dossier)


@view_config(route_name="api_dossier_update", permission="dossier:dossier:edit", **API)
def dossier_update(request):
    dossier = _dossier(request)
    try:
        changes = registration.update_dossier(dossier, json_body(request))
    except InvalidData as error:
        raise invalid(error.errors)
    return {**dossier_outcome(request, dossier), "changed": sorted(changes)}


@view_config(route_name="api_dossier_transition", permission="dossier:dossier:transition", **API)
def dossier_transition(request):
    dossier = _dossier(request)
    body = json_body(request)
    wrong = {key: "Campo sconosciuto." for key in body if key not in ("to", "reason", "from")}
    for key in ("to", "reason", "from"):
        if body.get(key) is not None and not isinstance(body[key], str):
            wrong[key] = "Indicare un testo."
    if not wrong and body.get("to") not in procedures.STATES:
        wrong["to"] = "Indicare il codice di uno stato (ad esempio ISTRUTTORIA_SEGRETERIA)."
    if wrong:
        raise invalid(wrong)
    from_state = dossier.state
    try:
        lifecycle.move(request, dossier, body["to"], body.get("reason") or "", expected_from=body.get("from"))
    except lifecycle.TransitionRefused as error:
        raise ApiError(409, {"error": error.message, "missing": error.missing})
    return {**dossier_outcome(request, dossier), "from": from_state}


# --- OpenAPI ---------------------------------------------------------------------------------------

def _text(limit: int) -> dict:
    return {"type": "string", "maxLength": limit}


DATE = {"type": ["string", "null"], "format": "date", "description": "AAAA-MM-GG (anche GG/MM/AAAA)"}
MONEY = {"type": ["number", "string", "null"], "minimum": 0,
         "description": "Euro, come numero (1234.56) o testo all'italiana (\"1.234,56\")"}
FIELD_SCHEMAS = {
    "procedure": {"type": "string", "enum": list(procedures.PROCEDURES),
                  "description": "Si può cambiare solo prima del deposito in tribunale"},
    "debtor_category": {"type": "string", "enum": list(procedures.DEBTOR_CATEGORIES)},
    "filed_on": {**DATE, "type": "string", "description": "Data di presentazione dell'istanza, non futura"},
    "family": {"type": "boolean", "description": "Procedura familiare (art. 66 CCII)"},
    "court": _text(120),
    "court_case_number": _text(40),
    "subject": _text(4000),
    "attivo": MONEY,
    "passivo_declared": MONEY,
    "satisfaction_percent": {"type": ["number", "string", "null"], "minimum": 0, "maximum": 100,
                             "description": "Percentuale di soddisfazione proposta ai creditori"},
    "incarico_accepted_on": DATE,
    "outcome": {"type": "string", "enum": ["", *procedures.STATES],
                "description": "Uno degli stati finali della procedura, o vuoto"},
    "outcome_on": DATE,
    "outcome_notes": _text(4000),
}
DEBTOR_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["person_kind"], "properties": {
    "person_kind": {"type": "string", "enum": list(registration.PERSON_KINDS)},
    "last_name": _text(100), "first_name": _text(100), "company_name": _text(200),
    "codice_fiscale": {"type": "string", "description": "16 caratteri per le persone fisiche (anche omocodico), "
                                                        "11 cifre per società ed enti"},
    "partita_iva": {"type": "string", "pattern": "^[0-9]{11}$"},
}, "description": "Primo debitore: cognome e nome per le persone fisiche, ragione sociale per le altre"}
STATE = {"type": "string", "enum": list(procedures.STATES)}
OUTCOME_SCHEMA = {"type": "object", "required": ["id", "reference", "year", "number", "state", "next"], "properties": {
    "id": {"type": "integer"}, "reference": {"type": "string", "description": "Numero/anno del registro"},
    "year": {"type": "integer"}, "number": {"type": "integer"}, "procedure": {"type": "string"},
    "state": STATE, "state_label": {"type": "string"}, "outcome": {"type": "string"}, "closed": {"type": "boolean"},
    "url": {"type": "string"},
    "next": {"type": "array", "description": "Passaggi di stato ammessi e cosa manca per ciascuno", "items": {
        "type": "object", "properties": {"state": STATE, "label": {"type": "string"},
                                         "missing": {"type": "array", "items": {"type": "string"}},
                                         "needs_reason": {"type": "boolean"}}}},
}}
REFUSED_SCHEMA = {"type": "object", "required": ["error", "missing"], "properties": {
    "error": {"type": "string"}, "missing": {"type": "array", "items": {"type": "string"}}}}
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def openapi_paths() -> dict:
    create = {"type": "object", "additionalProperties": False,
              "required": ["procedure", "debtor_category", "filed_on", "debtor"],
              "properties": {**{name: FIELD_SCHEMAS[name] for name in registration.CREATE_FIELDS},
                             "debtor": DEBTOR_SCHEMA}}
    update = {"type": "object", "additionalProperties": False, "properties": FIELD_SCHEMAS}
    transition = {"type": "object", "additionalProperties": False, "required": ["to"], "properties": {
        "to": STATE, "reason": {"type": "string", "maxLength": lifecycle.REASON_LIMIT,
                                "description": "Obbligatorio per l'archiviazione e gli esiti negativi"},
        "from": {**STATE, "description": "Stato atteso: se nel frattempo è cambiato il passaggio è rifiutato"}}}
    return {
        "/dossiers": {"post": operation(
            "createDossier", "Registra una nuova pratica",
            {"201": response("Pratica registrata con il suo numero di registro", OUTCOME_SCHEMA)},
            (400, 401, 403, 404, 422), body=create, tags=TAGS,
            description="Assegna il numero progressivo dell'anno (fuso orario di Roma). Lo stato iniziale è "
                        "ISTANZA_RICEVUTA.")},
        "/dossiers/{id}": {"parameters": [ID_PARAMETER], "patch": operation(
            "updateDossier", "Modifica i dati di una pratica",
            {"200": response("Esito, con i campi modificati in «changed»", {
                **OUTCOME_SCHEMA, "properties": {**OUTCOME_SCHEMA["properties"],
                                                 "changed": {"type": "array", "items": {"type": "string"}}}})},
            (400, 401, 403, 404, 422), body=update, tags=TAGS,
            description="Cambiano solo i campi inviati. Numero, anno, data di registrazione e stato non si "
                        "modificano (lo stato cambia con …/transition).")},
        "/dossiers/{id}/transition": {"parameters": [ID_PARAMETER], "post": operation(
            "transitionDossier", "Fa passare la pratica allo stato successivo",
            {"200": response("Passaggio eseguito", {
                **OUTCOME_SCHEMA, "properties": {**OUTCOME_SCHEMA["properties"], "from": STATE}}),
             "409": response("Passaggio non ammesso: «missing» elenca cosa manca", REFUSED_SCHEMA)},
            (400, 401, 403, 404, 422), body=transition, tags=TAGS)},
    }


def includeme(config):
    config.add_tenant_route("api_dossier_create", PREFIX, request_method="POST")
    config.add_tenant_route("api_dossier_update", PREFIX + r"/{id:\d{1,9}}", request_method="PATCH")
    config.add_tenant_route("api_dossier_transition", PREFIX + r"/{id:\d{1,9}}/transition", request_method="POST")
    config.scan("occ_core.dossiers.api")
