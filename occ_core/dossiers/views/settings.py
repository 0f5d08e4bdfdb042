"""The Order's own names for the dossier states. Only the names change: the legal sequence stays as the
law sets it (occ_core.dossiers.procedures)."""
from __future__ import annotations

from typing import Mapping

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.dossiers import procedures
from occ_core.dossiers.fields import InvalidData
from occ_core.web.forms import posted, refuse

NAME_LIMIT = 60
FIELD_PREFIX = "label_"


def renamed_states(tenant) -> dict[str, str]:
    return dict((tenant.preferences or {}).get(procedures.STATE_LABELS_PREFERENCE) or {})


def rename_states(tenant, names: Mapping[str, str]) -> dict:
    """Store the Order's names (an empty one, or the standard one, means the standard name); two states
    may not end up with the same name. Returns ``{state: [old name, new name]}`` of what changed."""
    renamed, errors = {}, {}
    for code, standard in procedures.STATES.items():
        name = " ".join(names.get(code, "").split())
        if len(name) > NAME_LIMIT:
            errors[code] = f"{standard}: al massimo {NAME_LIMIT} caratteri."
        elif name and name != standard:
            renamed[code] = name
    seen: dict[str, str] = {}
    for code, standard in procedures.STATES.items():
        shown = renamed.get(code, standard)
        other = seen.setdefault(shown.casefold(), code)
        if other != code:
            culprit = code if code in renamed else other
            first = other if culprit == code else code
            errors[culprit] = (f"{procedures.STATES[culprit]}: «{renamed[culprit]}» è già il nome dello stato "
                               f"«{procedures.STATES[first]}»; scelga un nome diverso.")
    if errors:
        raise InvalidData(errors)
    before = renamed_states(tenant)
    changes = {code: [procedures.state_label(tenant, code), renamed.get(code, procedures.STATES[code])]
               for code in procedures.STATES if before.get(code) != renamed.get(code)}
    preferences = {k: v for k, v in (tenant.preferences or {}).items() if k != procedures.STATE_LABELS_PREFERENCE}
    # A new dict: the JSON column notices only a new value, not a change inside the old one.
    tenant.preferences = preferences | ({procedures.STATE_LABELS_PREFERENCE: renamed} if renamed else {})
    return changes


def procedures_of_state() -> dict[str, list[str]]:
    uses: dict[str, list[str]] = {code: [] for code in procedures.STATES}
    for procedure in procedures.PROCEDURES.values():
        for state in procedures.states_of(procedure.code):
            uses[state].append(procedure.label)
    return uses


@view_config(route_name="dossier_states", renderer="occ_core:dossiers/templates/states.pt",
             permission="dossier:settings:edit")
def dossier_states(request):
    tenant = request.tenant
    values, errors = renamed_states(tenant), {}
    if request.method == "POST":
        names = {code: posted(request, FIELD_PREFIX + code) for code in procedures.STATES}
        try:
            changes = rename_states(tenant, names)
        except InvalidData as error:
            refuse(request, error)
            errors, values = error.errors, names
        else:
            if changes:
                audit(request, "dossier.state_labels.changed", object_type="Tenant", object_id=tenant.id,
                      details={"changes": changes})
            request.flash("Nomi degli stati salvati." if changes else "Nessuna modifica da salvare.",
                          "success" if changes else "info")
            return HTTPFound(request.route_url("dossier_states", tenant=tenant.slug))
    return {
        "page_title": "Nomi degli stati delle pratiche",
        "states": procedures.STATES, "values": values, "errors": errors, "prefix": FIELD_PREFIX,
        "uses": procedures_of_state(), "limit": NAME_LIMIT, "all_count": len(procedures.PROCEDURES),
        "sequences": [(p.label, [procedures.state_label(tenant, s) for s in procedures.states_of(p.code)])
                      for p in procedures.PROCEDURES.values()],
    }


def includeme(config):
    config.add_tenant_route("dossier_states", "/settings/dossier-states")
    config.scan("occ_core.dossiers.views.settings")
