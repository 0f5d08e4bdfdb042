"""JSON API: ``POST /{tenant}/api/v1/fee-estimates`` computes an estimate (the same JSON as ``occ preventivo
--json``) and, with ``dossier_id`` and ``"save": true``, saves it as the dossier's next version."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.api.errors import ApiError, json_body, not_found
from occ_core.api.openapi import operation, response
from occ_core.api.views import API
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.fees import calculation, inputs, services
from occ_core.fees.preferences import PROPOSED

PATH = "/fee-estimates"
SAVE_KEYS = ("dossier_id", "save", "notes")
# The largest id a dossier can have, as in the routes' ``\d{1,9}``: a larger number names no dossier.
LARGEST_ID = 10 ** 9 - 1


def includeme(config):
    config.add_tenant_route("api_fee_estimates", "/api/v1" + PATH, request_method="POST")
    config.scan("occ_core.fees.views.api")


def _dossier(request, dossier_id) -> Dossier:
    if isinstance(dossier_id, bool) or not isinstance(dossier_id, int) or dossier_id < 1:
        raise ApiError(400, {"error": "«dossier_id»: indicare l'identificativo numerico di una pratica.",
                             "field": "dossier_id"})
    dossier = request.dbsession.scalar(select(Dossier).where(Dossier.id == dossier_id)) \
        if dossier_id <= LARGEST_ID else None
    if dossier is None:
        raise not_found("Nessuna pratica con questo identificativo.")
    return dossier


@view_config(route_name="api_fee_estimates", permission=services.VIEW, **API)
def fee_estimate(request):
    body = json_body(request)
    save = body.get("save", False)
    if not isinstance(save, bool):
        raise ApiError(400, {"error": "«save»: indicare true o false.", "field": "save"})
    notes = body.get("notes", "")
    if not isinstance(notes, str):
        raise ApiError(400, {"error": "«notes»: indicare un testo.", "field": "notes"})
    try:
        asked = inputs.read({k: v for k, v in body.items() if k not in SAVE_KEYS}, request.tenant)
    except UserError as error:
        raise ApiError(400, {"error": error.message, "field": error.field})
    answer = asked.result.as_json()
    if not save:
        return answer
    if "dossier_id" not in body:
        raise ApiError(400, {"error": "Per salvare il preventivo indicare «dossier_id».", "field": "dossier_id"})
    dossier = _dossier(request, body["dossier_id"])
    if not request.has_permission(services.CREATE):
        raise HTTPForbidden()
    estimate = services.save_estimate(request, dossier, asked, notes)
    request.response.status = 201
    return {**answer, "saved": {"dossier_id": dossier.id, "version": estimate.version,
                                "proposed": estimate.proposed, "proposed_fee": str(estimate.proposed_fee),
                                "proposed_total": str(estimate.proposed_total)}}


# --- OpenAPI ---------------------------------------------------------------------------------------

TEXT_NUMBER = {"type": ["number", "string"], "description": "Numero (1234.5) o testo all'italiana (\"1.234,50\")"}
AMOUNT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "Euro, testo con due decimali"}
NULLABLE_AMOUNT = {**AMOUNT, "type": ["string", "null"]}
REQUEST_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["attivo", "passivo"], "properties": {
    "attivo": {**TEXT_NUMBER, "description": "Attivo (realizzato, nella liquidazione), euro"},
    "passivo": {**TEXT_NUMBER, "description": "Passivo (accertato, nella liquidazione), euro"},
    "reading": {"type": "string", "enum": list(calculation.READINGS),
                "description": "Lettura della riduzione dell'art. 16 co. 4 (predefinita: quella dell'Ordine)"},
    "reduction_percent": {**TEXT_NUMBER, "description": "Riduzione 15-40 %, per la lettura «single»"},
    "general_expenses_percent": {**TEXT_NUMBER, "description": "Spese generali 10-15 % (art. 14 co. 3)"},
    "incapiente": {"type": "boolean", "description": "Debitore incapiente: compenso dimezzato (art. 283 co. 6)"},
    "attributed": {**TEXT_NUMBER, "type": ["number", "string", "null"],
                   "description": "Totale attribuito ai creditori, per il limite dell'art. 16 co. 5"},
    "liquidation": {"type": "boolean", "description": "Procedura con liquidazione (art. 16 co. 1 e art. 18)"},
    "expenses": {"type": "array", "maxItems": calculation.MAX_EXPENSES,
                 "description": "Spese documentate: il loro totale, e il totale del preventivo, non oltre "
                                f"{calculation.AMOUNT_LIMIT} euro", "items": {
        "type": "object", "required": ["description", "amount"], "properties": {
            "description": {"type": "string", "maxLength": calculation.DESCRIPTION_LIMIT},
            "amount": TEXT_NUMBER,
            "taxable": {"type": "boolean", "description": "Soggetta a IVA; false per le anticipazioni in nome del "
                                                          "debitore (art. 15 DPR 633/72)"}}}},
    "proposed": {"type": "string", "enum": list(PROPOSED)},
    "dossier_id": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID},
    "save": {"type": "boolean", "description": "Con «dossier_id»: salva il preventivo come nuova versione"},
    "notes": {"type": "string"},
}}
BRACKET_SCHEMA = {"type": "object", "properties": {
    "bracket": {"type": "string"}, "from": AMOUNT, "to": NULLABLE_AMOUNT, "slice": AMOUNT, "min_percent": AMOUNT,
    "max_percent": AMOUNT, "min_amount": AMOUNT, "max_amount": AMOUNT}}
SIDE_SCHEMA = {"type": "object", "properties": {"brackets": {"type": "array", "items": BRACKET_SCHEMA},
                                                "minimo": AMOUNT, "massimo": AMOUNT}}
VALUE_SCHEMA = {"type": "object", "properties": {
    **{key: AMOUNT for key in ("base", "reduction_percent", "reduced", "compenso", "general_expenses", "fee",
                               "expenses", "taxable", "vat", "total")},
    "halved": NULLABLE_AMOUNT, "minimum_raised": {"type": "boolean"}, "capped": {"type": "boolean"}}}
RESULT_SCHEMA = {"type": "object", "required": ["rules_version", "inputs", "attivo", "passivo", "cap", "values"],
                 "properties": {
    "rules_version": {"type": "string"}, "inputs": {"type": "object"}, "attivo": SIDE_SCHEMA,
    "passivo": SIDE_SCHEMA, "general_expenses_percent": AMOUNT,
    "cap": {"type": "object", "properties": {"applies": {"type": "boolean"}, "percent": NULLABLE_AMOUNT,
                                             "amount": NULLABLE_AMOUNT, "reason": {"type": "string"},
                                             "capped": {"type": "array", "items": {"type": "string"}}}},
    "values": {"type": "object", "properties": {name: VALUE_SCHEMA for name in calculation.VALUES}},
    "saved": {"type": "object", "description": "Solo quando il preventivo è stato salvato"},
}}
BAD_INPUT_SCHEMA = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string", "description": "Messaggio in italiano"},
    "field": {"type": ["string", "null"], "description": "Il campo da correggere"}}}


def openapi_paths() -> dict:
    return {PATH: {"post": operation(
        "computeFeeEstimate", "Calcola un preventivo dei compensi (DM 202/2014)",
        {"200": response("Preventivo calcolato: minimo, medio e massimo, scaglione per scaglione", RESULT_SCHEMA),
         "201": response("Preventivo calcolato e salvato come nuova versione della pratica", RESULT_SCHEMA),
         "400": response("Dati non validi: nulla è stato salvato", BAD_INPUT_SCHEMA)},
        (401, 403, 404), body=REQUEST_SCHEMA, tags=("Compensi",),
        description="Gli importi della risposta sono testi con due decimali. Le opzioni non indicate prendono "
                    "i valori predefiniti dell'Ordine (lettura, riduzione, spese generali, compenso minimo, "
                    "arrotondamento, letture del limite dell'art. 16 co. 5); l'IVA è quella delle fatture "
                    "dell'Ordine (0 se i suoi compensi hanno una Natura).")}}
