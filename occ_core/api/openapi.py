"""Building blocks of the OpenAPI 3.1 document, which is assembled from the ``occ_openapi_paths`` hook.

Paths are relative to the tenant server ``/{tenant}/api/v1``; a path item served elsewhere (the
token endpoint) says so with its own ``servers`` entry."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

OPENAPI_VERSION = "3.1.0"
TENANT_SERVER = "/{tenant}/api/v1"
PLATFORM_SERVER = "/api/v1"

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "Messaggio in italiano"}},
    "required": ["error"],
}
VALIDATION_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Messaggio per ogni campo non valido"},
    },
    "required": ["error", "errors"],
}
ERROR_DESCRIPTIONS = {
    400: "Richiesta malformata (ad esempio JSON non valido)",
    401: "Token assente, scaduto o rilasciato per un altro Ordine",
    403: "Il profilo non ha il permesso necessario",
    404: "Ordine o risorsa inesistente",
    422: "Dati non validi: nulla è stato salvato",
    429: "Troppi tentativi non riusciti",
}


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def response(description: str, schema: dict) -> dict:
    return {"description": description, "content": json_content(schema)}


def error_responses(*codes: int) -> dict:
    return {str(code): response(ERROR_DESCRIPTIONS[code], VALIDATION_SCHEMA if code == 422 else ERROR_SCHEMA)
            for code in codes}


def operation(operation_id: str, summary: str, ok: dict, errors=(), *, body: dict | None = None,
              parameters=(), public: bool = False, description: str = "", tags=()) -> dict:
    """An operation; ``ok`` maps status codes to responses, ``errors`` lists the error codes."""
    result = {"operationId": operation_id, "summary": summary, "tags": list(tags),
              "responses": {**ok, **error_responses(*errors)}}
    if description:
        result["description"] = description
    if parameters:
        result["parameters"] = list(parameters)
    if body is not None:
        result["requestBody"] = {"required": True, "content": json_content(body)}
    if public:
        result["security"] = []
    return result


def _absolute(url: str, application_url: str) -> str:
    return application_url + url if url.startswith("/") else url


def build_document(pm, application_url: str) -> dict:
    paths = {}
    for contribution in pm.hook.occ_openapi_paths():
        for path, item in (contribution or {}).items():
            if "servers" in item:
                # A copy: the hook may hand out the same dict on every call.
                item = {**item, "servers": [{**server, "url": _absolute(server["url"], application_url)}
                                            for server in item["servers"]]}
            # Two features may serve one path with different methods (reads and writes of dossiers).
            paths[path] = {**paths.get(path, {}), **item}
    try:
        release = version("occ-core")
    except PackageNotFoundError:
        release = "0"
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "API della piattaforma OCC",
            "version": release,
            "description": "API JSON della piattaforma per gli Organismi di Composizione della Crisi. "
                           "Ottenere un token con POST /api/v1/auth/token e inviarlo nell'intestazione "
                           "«Authorization: Bearer <token>». Gli errori sono sempre JSON con il campo «error».",
        },
        "servers": [{
            "url": _absolute(TENANT_SERVER, application_url),
            "variables": {"tenant": {"default": "demo", "description": "Codice dell'Ordine"}},
        }],
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        }},
        "security": [{"bearer": []}],
    }
