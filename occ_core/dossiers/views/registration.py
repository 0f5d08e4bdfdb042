"""Registering an application ("Nuova pratica") and editing a dossier's own data."""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Mapping

from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import get_renderer
from pyramid.view import view_config

from occ_core.clock import today
from occ_core.dossiers import procedures, registration
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.fields import Field, InvalidData
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.web import ui
from occ_core.web.forms import posted, refuse

TEMPLATES = "occ_core:dossiers/templates/"


@dataclass(frozen=True)
class FormField:
    """How a field of a service's field table shows in a form; ``name`` is also the posted name."""

    name: str
    label: str
    input: str = "text"  # text, date, datetime-local, select, textarea, checkbox
    width: str = "col-md-6"
    hint: str = ""
    options: Mapping = dataclass_field(default_factory=dict)
    # Options in groups: ((group label, {code: label}), ...), for long lists.
    groups: tuple = ()
    autocomplete: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def form_field(fields: Mapping[str, Field], name: str, prefix: str = "", **layout) -> FormField:
    return FormField(prefix + name, fields[name].label, **layout)


def form_macros():
    """The ``field`` and ``sections`` macros of the dossier forms."""
    return get_renderer(TEMPLATES + "fields.pt").implementation()


PROCEDURE_GROUPS = tuple(
    (label, {code: p.label for code, p in procedures.PROCEDURES.items() if p.regime == regime})
    for regime, label in procedures.REGIMES.items()
)
D, DEBTOR = registration.DOSSIER_FIELDS, registration.DEBTOR_FIELDS

NEW_SECTIONS = (
    ("Istanza", (
        form_field(D, "procedure", input="select", groups=PROCEDURE_GROUPS),
        form_field(D, "debtor_category", input="select", options=procedures.DEBTOR_CATEGORIES,
                   hint="La ristrutturazione dei debiti e il piano del consumatore sono riservati ai consumatori; "
                        "il concordato minore ai debitori che non sono consumatori."),
        form_field(D, "filed_on", input="date", width="col-md-4"),
        form_field(D, "court", width="col-md-8", hint="Ad esempio: Tribunale di Milano."),
        form_field(D, "family", input="checkbox", width="col-12",
                   hint="Gli altri componenti della famiglia si aggiungono poi nella scheda Parti."),
        form_field(D, "subject", input="textarea", width="col-12"),
    )),
    ("Primo debitore", (
        form_field(DEBTOR, "person_kind", "debtor.", input="select", options=registration.PERSON_KINDS),
        form_field(DEBTOR, "codice_fiscale", "debtor.", hint="Anche omocodico. Si può aggiungere dopo, ma serve per "
                                                              "avviare l'istruttoria."),
        form_field(DEBTOR, "last_name", "debtor.", hint="Per le persone fisiche.", autocomplete="off"),
        form_field(DEBTOR, "first_name", "debtor.", hint="Per le persone fisiche.", autocomplete="off"),
        form_field(DEBTOR, "company_name", "debtor.", hint="Per le società e gli enti."),
        form_field(DEBTOR, "partita_iva", "debtor."),
    )),
)

EDIT_SECTIONS = (
    ("Procedura e tribunale", (
        form_field(D, "procedure", input="select", groups=PROCEDURE_GROUPS,
                   hint="Si può cambiare fino al deposito in tribunale."),
        form_field(D, "debtor_category", input="select", options=procedures.DEBTOR_CATEGORIES),
        form_field(D, "filed_on", input="date", width="col-md-4"),
        form_field(D, "court", width="col-md-5"),
        form_field(D, "court_case_number", width="col-md-3"),
        form_field(D, "family", input="checkbox", width="col-12"),
        form_field(D, "subject", input="textarea", width="col-12"),
    )),
    ("Attivo, passivo e proposta", (
        form_field(D, "attivo", width="col-md-4", hint="In euro, ad esempio 12.500,00."),
        form_field(D, "passivo_declared", width="col-md-4",
                   hint="Se vuoto vale il totale dei crediti dell'elenco dei creditori."),
        form_field(D, "satisfaction_percent", width="col-md-4",
                   hint="Il complemento a 100 è la percentuale di riduzione."),
    )),
    ("Incarico", (
        form_field(D, "incarico_accepted_on", input="date", width="col-md-4"),
    )),
)


def _posted_data(request, sections) -> dict:
    """The posted values of the form's fields, the first debtor's gathered under ``debtor``."""
    data: dict = {}
    for _title, fields in sections:
        for item in fields:
            target = data.setdefault("debtor", {}) if item.name.startswith("debtor.") else data
            target[item.name.removeprefix("debtor.")] = posted(request, item.name)
    return data


def _flat(data: dict) -> dict:
    """The posted data with the first debtor's fields back under their ``debtor.`` names, to redisplay."""
    return {**{k: v for k, v in data.items() if k != "debtor"},
            **{f"debtor.{k}": v for k, v in data.get("debtor", {}).items()}}


@view_config(route_name="dossier_new", renderer=TEMPLATES + "new.pt", permission="dossier:dossier:create")
def dossier_new(request):
    values = {"debtor.person_kind": "fisica", "debtor_category": "consumatore", "filed_on": ui.iso(today())}
    errors = {}
    if request.method == "POST":
        data = _posted_data(request, NEW_SECTIONS)
        try:
            dossier = registration.open_dossier(request, data)
        except InvalidData as error:
            refuse(request, error)
            errors, values = error.errors, _flat(data)
        else:
            request.flash(f"Pratica {dossier.reference} registrata. Aggiunga ora gli altri debitori e i creditori.")
            return HTTPFound(request.route_url("dossier", tenant=request.tenant.slug, id=dossier.id))
    return {"page_title": "Nuova pratica", "sections": NEW_SECTIONS, "values": values, "errors": errors,
            "form": form_macros()}


def edit_values(dossier) -> dict:
    """What the edit form shows for the stored dossier."""
    values = {}
    for name in registration.DOSSIER_FIELDS:
        value = getattr(dossier, name)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif name in ("attivo", "passivo_declared", "satisfaction_percent"):
            value = ui.fmt_decimal(value)
        values[name] = value
    return values


def edit_sections(request, dossier) -> tuple:
    """The edit form: the outcomes offered are those of the dossier's procedure."""
    outcomes = {"": "Nessun esito"} | {state: procedures.state_label(request.tenant, state)
                                       for state in registration.outcome_choices(dossier.procedure)}
    outcome = ("Esito", (
        form_field(D, "outcome", input="select", options=outcomes, width="col-md-6",
                   hint="Si compila da sé quando la pratica arriva a uno stato finale."),
        form_field(D, "outcome_on", input="date", width="col-md-6"),
        form_field(D, "outcome_notes", input="textarea", width="col-12"),
    ))
    sections = (*EDIT_SECTIONS, outcome)
    if registration.procedure_locked(dossier):
        first_title, first_fields = sections[0]
        sections = ((first_title, tuple(f for f in first_fields if f.name != "procedure")), *sections[1:])
    return sections


@view_config(route_name="dossier_edit", renderer=TEMPLATES + "edit.pt", permission="dossier:dossier:edit")
def dossier_edit(request):
    dossier = dossier_from_url(request)
    sections = edit_sections(request, dossier)
    values, errors = edit_values(dossier), {}
    if request.method == "POST":
        data = _posted_data(request, sections)
        try:
            changes = registration.update_dossier(dossier, data)
        except InvalidData as error:
            refuse(request, error)
            errors, values = error.errors, data
        else:
            request.flash("Dati della pratica aggiornati." if changes else "Nessuna modifica da salvare.",
                          "success" if changes else "info")
            return HTTPFound(request.route_url("dossier", tenant=request.tenant.slug, id=dossier.id))
    else:
        audit_read(request, dossier, "modifica")
    return dossier_page(request, dossier, sections=sections, values=values, errors=errors, form=form_macros(),
                        procedure_locked=registration.procedure_locked(dossier))


def includeme(config):
    config.add_tenant_route("dossier_new", "/dossiers/new")
    config.add_tenant_route("dossier_edit", r"/dossiers/{id:\d{1,9}}/edit")
    config.scan("occ_core.dossiers.views.registration")
