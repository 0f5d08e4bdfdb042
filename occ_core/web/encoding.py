"""Addresses whose percent-escapes are not UTF-8 («%ff»): refused before anything reads them.

WebOb decodes the path and the query string as UTF-8 wherever they are first read (routing, a view, an error
view), and a stray byte there is a UnicodeDecodeError, a server error. They are checked once, first."""
from __future__ import annotations

from urllib.parse import unquote_to_bytes

from pyramid.response import Response

MESSAGE = "Indirizzo non valido: contiene caratteri codificati in modo errato (non UTF-8)."


def _decodable(environ) -> bool:
    try:
        # PEP 3333: PATH_INFO carries the bytes as Latin-1; the query string is still percent-encoded.
        environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        unquote_to_bytes(environ.get("QUERY_STRING", "")).decode("utf-8")
    except UnicodeError:
        return False
    return True


def refuse_undecodable_urls_tween_factory(handler, registry):
    def tween(request):
        if _decodable(request.environ):
            return handler(request)
        if "/api/" in request.environ.get("PATH_INFO", ""):
            return Response(json_body={"error": MESSAGE}, status=400, charset="utf-8")
        return Response(MESSAGE, status=400, content_type="text/plain", charset="utf-8")

    return tween
