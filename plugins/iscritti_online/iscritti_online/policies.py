"""Which registry fields a registrant may change, and how: the Order's choice per field.

Stored in ``tenant.preferences["iscritti_online"]["fields"]``; a field the Order never chose falls
back to the default, so a field added to the registry later starts as not editable."""
from __future__ import annotations

from shared_registry.fields import FIELDS

from occ_core.errors import UserError

NOT_EDITABLE, DIRECT, APPROVAL = "none", "direct", "approval"
POLICY_LABELS = {
    NOT_EDITABLE: "Non modificabile",
    DIRECT: "Modificabile direttamente",
    APPROVAL: "Modificabile con approvazione della segreteria",
}
# Status, category and registration data are the Albo's to keep (the codice fiscale is the key and
# is not among FIELDS): the Order cannot hand them to the registrant.
RESERVED = frozenset({"status", "category", "albo_section", "registration_number", "registration_date"})
CHOOSABLE = tuple(name for name in FIELDS if name not in RESERVED)
# Contact data changes often and is the registrant's own business; the PEC has legal value and the
# specialisations are published claims, so the secretariat checks them first.
DEFAULTS = {
    "email": DIRECT, "phone": DIRECT, "mobile": DIRECT, "address": DIRECT, "postal_code": DIRECT,
    "city": DIRECT, "province": DIRECT, "pec": APPROVAL, "specialisations": APPROVAL,
}
PREFERENCE_KEY = "iscritti_online"


def _stored(tenant) -> dict:
    return (tenant.preferences or {}).get(PREFERENCE_KEY, {}).get("fields", {})


def field_policies(tenant) -> dict[str, str]:
    """Policy of every choosable field, in the registry's field order."""
    stored = _stored(tenant)
    return {name: stored.get(name) if stored.get(name) in POLICY_LABELS else DEFAULTS.get(name, NOT_EDITABLE)
            for name in CHOOSABLE}


def editable_fields(tenant) -> dict[str, str]:
    return {name: policy for name, policy in field_policies(tenant).items() if policy != NOT_EDITABLE}


def _store(tenant, policies: dict) -> None:
    preferences = dict(tenant.preferences or {})
    preferences[PREFERENCE_KEY] = {**preferences.get(PREFERENCE_KEY, {}), "fields": dict(policies)}
    # A new dict, so that the JSON column is seen as changed.
    tenant.preferences = preferences


def ensure_defaults(tenant) -> None:
    if not _stored(tenant):
        _store(tenant, field_policies(tenant))


def set_field_policies(tenant, wanted: dict) -> dict[str, list[str]]:
    """Store the policies in ``wanted`` (field -> policy); return field -> [old, new] for what changed."""
    unknown = sorted(set(wanted) - set(CHOOSABLE))
    if unknown:
        raise UserError("Campi non configurabili: " + ", ".join(unknown) + ".")
    current = field_policies(tenant)
    for name, policy in wanted.items():
        if policy not in POLICY_LABELS:
            raise UserError(f"Scelta non valida per il campo «{FIELDS[name].label}».", field=name)
    changes = {name: [current[name], policy] for name, policy in wanted.items() if current[name] != policy}
    _store(tenant, {**current, **wanted})
    return changes
