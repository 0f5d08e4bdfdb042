"""JSON API errors: raised by API views, rendered as JSON by ``occ_core.api.views``.

Raising aborts the request's transaction, so a failed API call never leaves half its work behind."""
from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(body)
        self.status = status
        self.body = body


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": message})


def invalid(errors: dict) -> ApiError:
    return ApiError(422, {"error": "Dati non validi: nessuna modifica salvata.", "errors": errors})


def not_found(message: str = "Risorsa non trovata.") -> ApiError:
    return ApiError(404, {"error": message})


def json_body(request, expected: type = dict):
    """The request's JSON body, which must be a ``expected`` (object or list)."""
    try:
        body = request.json_body
    except (ValueError, RecursionError):  # malformed JSON, not UTF-8, or nested past the parser's depth
        raise bad_request("Il corpo della richiesta non è JSON valido (UTF-8).")
    if not isinstance(body, expected):
        kind = "un oggetto" if expected is dict else "una lista"
        raise bad_request(f"Il corpo della richiesta deve essere {kind} JSON.")
    return body
