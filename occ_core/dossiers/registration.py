"""Registering an application in the dossier register and keeping the dossier's own data.

``open_dossier`` checks everything first and writes only then: a refused registration writes nothing and
takes no number. The number, the year and the moment of registration never change afterwards."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Mapping

from occ_core.db import utcnow
from occ_core.dossiers import numbering, procedures, summary
from occ_core.dossiers.actions import actor_id, announce, record_action
from occ_core.dossiers.fields import (
    Field,
    InvalidData,
    body_code,
    choice,
    court_case_number,
    day,
    flag,
    money,
    parse_fields,
    percent,
    person_code,
    text,
    vat_number,
)
from occ_core.dossiers.models import Debtor, Dossier, Transition
from occ_core.errors import UserError

PERSON_KINDS = {"fisica": "Persona fisica", "giuridica": "Persona giuridica (società, ente)"}
OPENING_REASON = "Registrazione dell'istanza"

DOSSIER_FIELDS = {
    "procedure": Field("Procedura", choice({code: p.label for code, p in procedures.PROCEDURES.items()})),
    "debtor_category": Field("Categoria del debitore", choice(procedures.DEBTOR_CATEGORIES)),
    "filed_on": Field("Data di presentazione dell'istanza", day(required=True, not_future=True)),
    "family": Field("Procedura familiare (più debitori della stessa famiglia, art. 66 CCII)", flag),
    "court": Field("Tribunale competente", text(120)),
    "court_case_number": Field("Numero di ruolo in tribunale (R.G.)", court_case_number),
    "subject": Field("Oggetto e note", text(4000)),
    "attivo": Field("Attivo dichiarato", money()),
    "passivo_declared": Field("Passivo dichiarato", money()),
    "satisfaction_percent": Field("Percentuale di soddisfazione proposta ai creditori", percent),
    "incarico_accepted_on": Field("Data di conferimento dell'incarico all'OCC", day(not_future=True)),
    "outcome": Field("Esito", choice(procedures.STATES, required=False)),
    "outcome_on": Field("Data dell'esito", day(not_future=True)),
    "outcome_notes": Field("Note sull'esito", text(4000)),
}
CREATE_FIELDS = ("procedure", "debtor_category", "filed_on", "family", "court", "subject")
# What the register fixes at registration, and the state, which only a transition moves.
FIXED = {
    "id": "L'identificativo della pratica non si può modificare.",
    "year": "L'anno del registro non si può modificare.",
    "number": "Il numero di registro non si può modificare.",
    "reference": "Il numero di registro non si può modificare.",
    "registered_at": "La data di registrazione non si può modificare.",
    "state": "Lo stato cambia solo con un passaggio di stato (POST …/transition).",
}

DEBTOR_FIELDS = {
    "person_kind": Field("Tipo di debitore", choice(PERSON_KINDS)),
    "last_name": Field("Cognome", text(100)),
    "first_name": Field("Nome", text(100)),
    "company_name": Field("Ragione sociale o denominazione", text(200)),
    "codice_fiscale": Field("Codice fiscale", text(40)),
    "partita_iva": Field("Partita IVA", vat_number),
}


def _unknown(data: Mapping, known, prefix: str = "") -> dict[str, str]:
    """Refuse what the caller may not set (a JSON client could send anything)."""
    fixed = FIXED if not prefix else {}
    return {prefix + str(key)[:40]: fixed.get(key) or f"«{str(key)[:40]}»: campo sconosciuto."
            for key in data if key not in known}


def _debtor(data, errors: dict) -> dict:
    if not isinstance(data, Mapping):
        errors["debtor"] = "Primo debitore: indicare i dati del debitore."
        return {}
    errors.update(_unknown(data, DEBTOR_FIELDS, "debtor."))
    values = parse_fields(DEBTOR_FIELDS, {name: data.get(name) for name in DEBTOR_FIELDS}, errors, "debtor.")
    kind = values.get("person_kind")
    if kind is None:
        return values  # already refused: which names are required depends on the kind
    if kind == "fisica":
        required = ("last_name", "first_name")
        values["company_name"] = ""
        code = person_code
    else:
        required = ("company_name",)
        values["last_name"] = values["first_name"] = ""
        code = body_code
    for name in required:
        if name in values and not values[name]:
            errors[f"debtor.{name}"] = f"{DEBTOR_FIELDS[name].label}: campo obbligatorio."
    if "codice_fiscale" in values:
        try:
            values["codice_fiscale"] = code(values["codice_fiscale"], DEBTOR_FIELDS["codice_fiscale"].label)
        except UserError as error:
            errors["debtor.codice_fiscale"] = error.message
    return values


def _check_debtors_fit(values: dict, kinds: set[str], errors: dict, field: str) -> None:
    """The procedure and the debtor category must suit each other and the kind of debtors."""
    if "procedure" not in values or "debtor_category" not in values:
        return  # already refused field by field
    procedure = procedures.PROCEDURES[values["procedure"]]
    category = values["debtor_category"]
    if procedure.categories and category not in procedure.categories:
        allowed = ", ".join(procedures.DEBTOR_CATEGORIES[code] for code in procedure.categories)
        errors["debtor_category"] = (f"Categoria del debitore: la procedura «{procedure.label}» è riservata a: "
                                     f"{allowed}.")
    if "giuridica" in kinds:
        if procedure.natural_persons_only:
            errors[field] = f"La procedura «{procedure.label}» è riservata alle persone fisiche."
        elif category == "consumatore":
            errors[field] = "Un consumatore è sempre una persona fisica: scelga un'altra categoria di debitore."
        elif values.get("family"):
            errors[field] = "Una procedura familiare riguarda persone fisiche della stessa famiglia."


def open_dossier(env, data: Mapping, now: datetime | None = None) -> Dossier:
    """Register the application described by ``data`` (the dossier's fields and ``debtor``, its first
    debtor) in the register of ``env``'s Order; ``now`` is the moment of registration."""
    errors = _unknown(data, (*CREATE_FIELDS, "debtor"))
    values = parse_fields(DOSSIER_FIELDS, {name: data.get(name) for name in CREATE_FIELDS}, errors)
    debtor = _debtor(data.get("debtor"), errors)
    _check_debtors_fit(values, {debtor.get("person_kind")}, errors, "debtor.person_kind")
    if errors:
        raise InvalidData(errors)
    db, tenant_id = env.dbsession, env.tenant.id
    now = now or utcnow()
    # Taken last, so that the counter row stays locked for as short a time as possible.
    year = numbering.register_year(now)
    number = numbering.allocate(db, tenant_id, year)
    dossier = Dossier(tenant_id=tenant_id, year=year, number=number, registered_at=now,
                      state=procedures.INITIAL_STATE, state_changed_at=now, created_by_id=actor_id(env), **values)
    dossier.debtors.append(Debtor(tenant_id=tenant_id, position=0, **debtor))
    db.add(dossier)
    db.flush()
    db.add(Transition(tenant_id=tenant_id, dossier_id=dossier.id, from_state="", to_state=dossier.state, at=now,
                      user_id=actor_id(env), reason=OPENING_REASON))
    summary.refresh(dossier)
    record_action(env, dossier, "dossier.opened", reference=dossier.reference, procedure=dossier.procedure)
    announce(env, dossier, "dossier.opened", procedure=dossier.procedure, state=dossier.state)
    return dossier


def procedure_locked(dossier: Dossier) -> bool:
    """The procedure is chosen for good with the filing in court (and a closed dossier keeps its own)."""
    return dossier.state not in procedures.COMMON_FLOW


def outcome_choices(procedure: str) -> list[str]:
    """The outcomes a dossier of ``procedure`` can have: the states where it ends."""
    return [state for state in procedures.states_of(procedure) if procedures.is_final(procedure, state)]


def update_dossier(dossier: Dossier, data: Mapping) -> dict:
    """Change the fields present in ``data``; returns ``{field: [old, new]}`` of what changed. (The change
    is audited by the tracking of audited rows.)"""
    errors = _unknown(data, DOSSIER_FIELDS)
    values = parse_fields(DOSSIER_FIELDS, data, errors)
    if "procedure" in values and values["procedure"] != dossier.procedure and procedure_locked(dossier):
        errors["procedure"] = ("Procedura: non si può più cambiare dopo il deposito in tribunale "
                               "o la chiusura della pratica.")
    merged = {name: getattr(dossier, name) for name in DOSSIER_FIELDS} | values
    if not errors:
        field = "procedure" if "procedure" in values else "debtor_category"
        _check_debtors_fit(merged, {d.person_kind for d in dossier.debtors}, errors, field)
        _check_dates_and_outcome(dossier, merged, errors)
    if errors:
        raise InvalidData(errors)
    changes = {}
    for name, value in values.items():
        old = getattr(dossier, name)
        if old != value:
            changes[name] = [old, value]
            setattr(dossier, name, value)
    if changes:
        summary.refresh(dossier)
    return changes


def _check_dates_and_outcome(dossier: Dossier, merged: dict, errors: dict) -> None:
    if not merged["family"] and len(dossier.debtors) > 1:
        errors["family"] = ("Procedura familiare: la pratica ha più debitori; per toglierla lasci un solo "
                            "debitore nella scheda Parti.")
    for name in ("incarico_accepted_on", "outcome_on"):
        if merged[name] is not None and merged[name] < merged["filed_on"]:
            errors[name] = f"{DOSSIER_FIELDS[name].label}: non può precedere la presentazione dell'istanza."
    if merged["outcome"] and merged["outcome"] not in outcome_choices(merged["procedure"]):
        errors["outcome"] = "Esito: scegliere uno degli esiti possibili della procedura."


def figures(dossier: Dossier) -> dict:
    """Attivo and passivo as declared and from the creditors, with the differences, and the percentages."""
    declared, from_creditors = dossier.passivo_declared, dossier.passivo_from_creditors
    satisfaction = dossier.satisfaction_percent
    return {
        "attivo": dossier.attivo,
        "passivo_declared": declared,
        "passivo_from_creditors": from_creditors,
        "passivo_difference": None if declared is None else declared - from_creditors,
        "passivo": dossier.passivo,
        "balance": None if dossier.attivo is None else dossier.attivo - dossier.passivo,
        "satisfaction_percent": satisfaction,
        "reduction_percent": None if satisfaction is None else Decimal("100") - satisfaction,
    }
