"""The menu of every page: the Order's entries, given by the hooks of the core and of the active modules, or
the platform operator's.

An Order's menu depends only on its configuration (active modules, permissions of each role), on the
user's role and on the host its URLs name, so it is built once for each of them and kept with the
configuration (``occ_core.tenants.cache``): a change of modules or permissions builds it again. Its HTML is
kept too, per active entry and per value of the live counts (``NavItem.count``): asking fifteen hooks for
their entries, each generating a URL and checking a permission, and rendering them on every page would
cost a good part of a page."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from markupsafe import Markup
from pyramid.renderers import render

from occ_core.plugins import NavItem

TEMPLATES = "occ_core:web/templates/"
OPERATOR_ITEMS = (
    NavItem("Ordini", "/admin", order=10, active_prefix="/admin/tenants"),
    NavItem("Posta in uscita", "/admin/outbox", order=20, active_prefix="/admin/outbox"),
    NavItem("Posta locale", "/admin/mail", order=25, active_prefix="/admin/mail"),
    NavItem("Registro accessi", "/admin/audit", order=30, active_prefix="/admin/audit"),
)


@dataclass
class Menu:
    items: tuple
    # (fragment template, active entries, hidden URLs) -> (live counts, HTML)
    rendered: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.items)

    def html(self, request, fragment: str, hide_active: bool = False, hidden: tuple = ()) -> Markup:
        """The entries rendered by ``fragment``, leaving out those whose URL is in ``hidden`` and, with
        ``hide_active``, the entries of the current page."""
        active = active_entries(request.current_path, self.items)
        counts = self.counts(request)
        key = (fragment, active, hide_active, hidden)
        found = self.rendered.get(key)
        if found is None or found[0] != counts:
            found = self.rendered[key] = (counts, self._render(request, fragment, active, hide_active, hidden))
        return found[1]

    def counts(self, request) -> tuple:
        """The live figures of the entries that have one, asked once per request."""
        key = ("occ.menu_counts", id(self))
        if key not in request.__dict__:
            request.__dict__[key] = tuple(item.count(request) if item.count is not None else None
                                          for item in self.items)
        return request.__dict__[key]

    def _render(self, request, fragment, active, hide_active, hidden) -> Markup:
        entries = [(item, label(item, count), index in active)
                   for index, (item, count) in enumerate(zip(self.items, self.counts(request)))
                   if item.url not in hidden and not (hide_active and index in active)]
        return Markup(render(TEMPLATES + fragment, {"entries": entries}, request=request)) if entries else Markup()


@lru_cache(maxsize=4096)
def _path_of(url: str) -> str:
    return urlsplit(url).path


def _lead(path: str, item: NavItem) -> int:
    """How far ``item`` leads the page's ``path``: all the way when it is the entry's own page, the length of
    its longest prefix that starts the path otherwise, 0 when none does."""
    # Menu URLs are absolute for Orders and relative for the operator: compare paths.
    if path == _path_of(item.url):
        return len(path) + 1
    prefixes = (item.active_prefix,) if isinstance(item.active_prefix, str) else item.active_prefix
    return max((len(prefix) for prefix in prefixes if prefix and path.startswith(prefix)), default=0)


def active_entries(path: str, items) -> tuple:
    """The indexes of the entries the page belongs to: those that lead its path the longest way (the alerts
    page is under «Avvisi», not under «Agenda», whose prefix it shares)."""
    leads = [_lead(path, item) for item in items]
    longest = max(leads, default=0)
    return tuple(index for index, lead in enumerate(leads) if lead and lead == longest)


def label(item: NavItem, count: int | None) -> str:
    return item.label if count is None else f"{item.label} ({count})"


def current_path(request) -> str:
    """``request.path``, which WebOb quotes anew on every access (the menu asks for it once per entry)."""
    return request.path


def menu_of_request(request) -> Menu:
    """``request.menu``: the Order's menu for the user's role, the operator's under /admin, or none."""
    if request.identity is None:
        return Menu(())
    if request.tenant is not None and request.role_id is not None:
        menus = request.order_config.menus
        key = (request.role_id, request.application_url)
        menu = menus.get(key)
        if menu is None:
            groups = request.hooks.occ_navigation_items(request=request)
            items = sorted((item for group in groups for item in group or ()), key=lambda item: item.order)
            menu = menus[key] = Menu(tuple(items))
        return menu
    if request.path.startswith("/admin") and request.identity.is_operator:
        return Menu(OPERATOR_ITEMS)
    return Menu(())


def includeme(config):
    config.add_request_method(menu_of_request, "menu", reify=True)
    config.add_request_method(current_path, reify=True)
