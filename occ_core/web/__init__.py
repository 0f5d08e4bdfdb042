"""Web interface: layout, navigation, error pages, static assets."""
from __future__ import annotations

from pathlib import Path

from pyramid.events import BeforeRender
from pyramid.renderers import get_renderer
from pyramid.tweens import INGRESS

from occ_core.web import ui


def add_renderer_globals(event):
    request = event.get("request")
    if request is None:
        return
    event["layout"] = get_renderer("occ_core:web/templates/layout.pt").implementation()
    event["dossier_frame"] = get_renderer("occ_core:dossiers/templates/frame.pt").implementation()
    event["ui"] = ui
    event.setdefault("page_title", "")


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def security_headers_tween_factory(handler, registry):
    """No framing (clickjacking), no type sniffing, and no link tokens leaked through the Referer."""

    def tween(request):
        response = handler(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return tween


def includeme(config):
    config.add_tween("occ_core.web.security_headers_tween_factory")
    config.add_tween("occ_core.web.encoding.refuse_undecodable_urls_tween_factory", under=INGRESS)
    settings = config.get_settings()
    vendor = Path(settings.get("occ.vendor_dir") or Path.cwd() / "node_modules")
    config.add_static_view("static/vendor/bootstrap-italia", str(vendor / "bootstrap-italia" / "dist"),
                           cache_max_age=86400)
    config.add_static_view("static/vendor/htmx", str(vendor / "htmx.org" / "dist"), cache_max_age=86400)
    config.add_static_view("static/occ", "occ_core.web:static", cache_max_age=3600)
    config.add_subscriber(add_renderer_globals, BeforeRender)
    config.add_request_method(ui.flash, "flash")
    config.include("occ_core.web.views")
