"""Plugin manager: discovery through the ``occ.plugins`` entry points and the per-tenant relay."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable
from importlib.metadata import entry_points, version, PackageNotFoundError

import pluggy

from occ_core import hookspecs

ENTRY_POINT_GROUP = "occ.plugins"

# Core features register through the same manager as the modules; they are always active.
CORE_FEATURES = (
    "occ_core.tenants.hooks",
    "occ_core.accounts.hooks",
    "occ_core.audit.hooks",
    "occ_core.dispatch.hooks",
    "occ_core.registrants.hooks",
    "occ_core.dossiers.hooks",
    "occ_core.dossiers.hooks_parties",
    "occ_core.documents.hooks",
    "occ_core.gestori.hooks",
    "occ_core.protocol.hooks",
    "occ_core.protocol.hooks_daily",
    "occ_core.deadlines.hooks",
    "occ_core.agenda.hooks",
    "occ_core.fees.hooks",
    "occ_core.ledger.hooks",
    "occ_core.invoicing.hooks",
    "occ_core.compensation.hooks",
    "occ_core.forms.hooks",
    "occ_core.communications.hooks",
    "occ_core.statistics.hooks",
    "occ_core.newsletter.hooks",
    "occ_core.api.hooks",
    "occ_core.web.hooks",
)


@dataclass(frozen=True)
class ModuleInfo:
    """Static facts of an optional module, exposed by its plugin object as ``MODULE``."""

    name: str
    label: str
    description: str = ""
    distribution: str = ""

    @property
    def version(self) -> str:
        try:
            return version(self.distribution)
        except PackageNotFoundError:
            return "?"


@dataclass(frozen=True)
class NavItem:
    """An entry of the Order's menu. The menu is built once per Order configuration, role and host and kept
    (see ``occ_core.web.menu``), so an entry holds no live figure itself: ``count(request)``, when given, is
    called on every page and shown after the label, "Richieste iscritti (3)"."""

    label: str
    url: str
    icon: str = "it-folder"
    order: int = 100
    # The paths under which a page belongs to the entry: one prefix or several (the longest match wins).
    active_prefix: str | tuple[str, ...] = ""
    count: Callable[[Any], int] | None = None


@dataclass(frozen=True)
class Widget:
    title: str
    body: str
    order: int = 100
    url: str = ""


@dataclass(frozen=True)
class PermissionSpec:
    name: str
    label: str
    group: str
    default_roles: tuple[str, ...] = field(default_factory=tuple)
    module: str | None = None


class OccPluginManager(pluggy.PluginManager):
    def __init__(self):
        super().__init__("occ")
        self.add_hookspecs(hookspecs)
        self.modules: dict[str, ModuleInfo] = {}
        self._relays: dict[frozenset, "TenantRelay"] = {}

    def load(self, extra=()):
        """Register core features, the installed modules, and ``extra`` (name, plugin) pairs."""
        for dotted in CORE_FEATURES:
            self.register(importlib.import_module(dotted), name=dotted)
        found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for name, plugin in [(ep.name, ep.load()) for ep in found] + list(extra):
            self.register(plugin, name=name)
            info = getattr(plugin, "MODULE", None)
            if info is not None:
                self.modules[info.name] = info
        self.check_pending()
        return self

    def relay(self, active_modules) -> "TenantRelay":
        """Hook caller that leaves out the installed modules not in ``active_modules``."""
        excluded = frozenset(self.modules) - frozenset(active_modules)
        relay = self._relays.get(excluded)
        if relay is None:
            relay = self._relays[excluded] = TenantRelay(self, excluded)
        return relay


class TenantRelay:
    """Per-tenant view of ``pm.hook`` built on ``subset_hook_caller``; cached per set of exclusions."""

    def __init__(self, pm: OccPluginManager, excluded: frozenset):
        self._pm = pm
        self._excluded = [pm.get_plugin(name) for name in excluded]
        self._callers = {}

    def __getattr__(self, name):
        caller = self._callers.get(name)
        if caller is None:
            caller = self._callers[name] = self._pm.subset_hook_caller(name, self._excluded)
        return caller
