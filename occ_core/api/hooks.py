"""Core feature: the JSON API (token endpoint and OpenAPI document)."""
from occ_core.hookspecs import hookimpl


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.api.views")


@hookimpl
def occ_openapi_paths():
    from occ_core.api.openapi import PLATFORM_SERVER, operation, response

    token_request = {
        "type": "object", "required": ["email", "password"], "properties": {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string"},
            "tenant": {"type": "string", "description": "Codice dell'Ordine: il token vale solo per quell'Ordine"},
            "totp": {"type": "string", "description": "Codice a 6 cifre, per gli utenti con verifica in due passaggi"},
        },
    }
    token = {"type": "object", "required": ["access_token", "token_type", "expires_in"], "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string", "const": "bearer"},
        "expires_in": {"type": "integer", "description": "Validità in secondi"},
    }}
    servers = [{"url": PLATFORM_SERVER, "description": "Endpoint della piattaforma, fuori dagli Ordini"}]
    return {
        "/auth/token": {"servers": servers, "post": operation(
            "issueToken", "Ottiene un token di accesso", {"200": response("Token JWT", token)},
            (400, 401, 403, 429), body=token_request, public=True, tags=("Accesso",))},
        "/openapi.json": {"servers": servers, "get": operation(
            "openapiDocument", "Questo documento OpenAPI", {"200": response("Documento OpenAPI 3.1", {"type": "object"})},
            public=True, tags=("Accesso",))},
    }
