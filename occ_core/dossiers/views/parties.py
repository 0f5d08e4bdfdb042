"""The parties tab of a dossier (debtors with household and income, other parties), and the add, edit and
delete screens of debtors, other parties and creditors, which all work the same way."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.dossiers import parties
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.models import Debtor, OtherParty
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.dossiers.party_fields import flat, form_values
from occ_core.errors import UserError
from occ_core.web.forms import posted, refuse

TEMPLATES = "occ_core:dossiers/templates/"
VIEW = "dossier:dossier:view"
EDIT = "dossier:dossier:edit"
ITEM = r"{item:\d{1,9}}"


@dataclass(frozen=True)
class PartyScreens:
    """What the add, edit and delete screens of one kind of party need to know."""

    name: str  # route names dossier_<name>_new, _edit, _delete
    model: type
    sections: tuple
    tab_route: str
    defaults: dict
    new_title: str
    noun: str  # "il debitore", as in "Eliminare il debitore X?"
    add: Callable  # (request, dossier, data)
    update: Callable  # (row, data)
    delete: Callable  # (row)
    values: Callable | None = None  # row -> what its form shows; by default the fields' stored values
    extra: Callable = field(default=lambda request, dossier, row: {})  # more values for the form's template

    def shown(self, row) -> dict:
        return self.values(row) if self.values else form_values(flat(self.sections), row)


def tab_url(request, route: str, dossier) -> str:
    return request.route_url(route, tenant=request.tenant.slug, id=dossier.id)


def name_of(row) -> str:
    return getattr(row, "display_name", None) or row.name


def _row(request, dossier, model):
    """The ``{item}`` row of ``model`` in ``dossier``; 404 for anything else."""
    row = request.dbsession.scalar(
        select(model).where(model.id == int(request.matchdict["item"]), model.dossier_id == dossier.id))
    if row is None:
        raise HTTPNotFound()
    return row


def _form(screens: PartyScreens, request, dossier, row):
    """Add (``row`` None) or edit: on a valid POST save and back to the tab, otherwise the form again with
    a message per field, status 400 and nothing written."""
    values = screens.shown(row) if row is not None else dict(screens.defaults)
    errors = {}
    if request.method == "POST":
        data = {item.name: posted(request, item.name) for item in flat(screens.sections)}
        try:
            if row is None:
                screens.add(request, dossier, data)
            else:
                screens.update(row, data)
        except UserError as error:
            refuse(request, error)
            errors = getattr(error, "errors", None) or {error.field or "form": error.message}
            values = data
        else:
            request.flash("Dati salvati.")
            return HTTPFound(tab_url(request, screens.tab_route, dossier))
    title = screens.new_title if row is None else f"Modifica di {name_of(row)}"
    return dossier_page(request, dossier, form_title=title, sections=screens.sections, values=values,
                        errors=errors, back_url=tab_url(request, screens.tab_route, dossier),
                        **{"asks_family": False, "family_checked": False, **screens.extra(request, dossier, row)})


def _delete(screens: PartyScreens, request, dossier, row):
    """Confirmation, then deletion by POST."""
    if request.method == "POST":
        screens.delete(row)
        request.flash(f"{name_of(row)} eliminato dalla pratica.")
        return HTTPFound(tab_url(request, screens.tab_route, dossier))
    return dossier_page(request, dossier, question=f"Eliminare {screens.noun} {name_of(row)} dalla pratica?",
                        back_url=tab_url(request, screens.tab_route, dossier))


def add_party_screens(config, screens: PartyScreens, base: str) -> None:
    """Routes and views of the add, edit and delete screens of ``screens``, under the path ``base``."""
    def new(request):
        return _form(screens, request, dossier_from_url(request), None)

    def edit(request):
        dossier = dossier_from_url(request)
        return _form(screens, request, dossier, _row(request, dossier, screens.model))

    def delete(request):
        dossier = dossier_from_url(request)
        return _delete(screens, request, dossier, _row(request, dossier, screens.model))

    for action, path, view, template in (("new", "/new", new, "party_form.pt"),
                                         ("edit", f"/{ITEM}/edit", edit, "party_form.pt"),
                                         ("delete", f"/{ITEM}/delete", delete, "confirm_delete.pt")):
        route = f"dossier_{screens.name}_{action}"
        config.add_tenant_route(route, base + path)
        config.add_view(view, route_name=route, renderer=TEMPLATES + template, permission=EDIT)


@view_config(route_name="dossier_parties", renderer=TEMPLATES + "parties.pt", permission=VIEW)
def parties_tab(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "parti")
    return dossier_page(request, dossier, kinds=parties.PERSON_KINDS, roles=parties.PARTY_ROLES,
                        can_edit=request.has_permission(EDIT))


def _asks_family(dossier, row) -> bool:
    # A second debtor makes the dossier a family procedure, which the user must confirm (CCII art. 66).
    return row is None and bool(dossier.debtors) and not dossier.family


DEBTORS = PartyScreens(
    "debtor", Debtor, parties.DEBTOR_SECTIONS, "dossier_parties", parties.DEBTOR_DEFAULTS, "Nuovo debitore",
    "il debitore",
    add=lambda request, dossier, data: parties.add_debtor(
        dossier, data, family=_asks_family(dossier, None) and posted(request, "family") == "1"),
    update=parties.update_debtor, delete=parties.delete_debtor,
    extra=lambda request, dossier, row: {"asks_family": _asks_family(dossier, row),
                                         "family_checked": posted(request, "family") == "1"})
OTHER_PARTIES = PartyScreens(
    "party", OtherParty, parties.PARTY_SECTIONS, "dossier_parties", parties.PARTY_DEFAULTS,
    "Nuovo soggetto interessato", "il soggetto", add=lambda request, dossier, data: parties.add_party(dossier, data),
    update=parties.update_party, delete=parties.delete_party)


def includeme(config):
    base = r"/dossiers/{id:\d{1,9}}/parties"
    config.add_tenant_route("dossier_parties", base)
    add_party_screens(config, DEBTORS, base + "/debtors")
    add_party_screens(config, OTHER_PARTIES, base + "/others")
    config.scan("occ_core.dossiers.views.parties")
