"""What people do with deadlines: mark one done or reopen it, add one by hand, record a dated act, edit the
Order's rules. Services take ``env`` (a request or a task environment); bad input raises ``UserError`` before
anything is written."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from occ_core.audit.services import record
from occ_core.clock import today
from occ_core.db import utcnow
from occ_core.deadlines import catalogue
from occ_core.deadlines.calendar import fmt
from occ_core.deadlines.engine import Engine
from occ_core.deadlines.models import Deadline, DeadlineRule, Milestone
from occ_core.dossiers.actions import actor_id, record_action
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.procedures import PROCEDURES, STATES
from occ_core.errors import UserError
from occ_core.tenants.models import Tenant
from occ_core.web.forms import parse_date

TEXT_LIMIT = 200
LABEL_LIMIT = 200
CODE = re.compile(r"[A-Z0-9_]{1,20}")
TRIGGER = re.compile(r"[A-Za-z0-9_]{1,60}")
# Longest term a rule may give, per unit: beyond them a typo, not a legal term.
MAX_AMOUNT = {"giorni": 3650, "mesi": 120, "anni": 10}


def _text(value: str, label: str, field: str, required: bool = False, limit: int = TEXT_LIMIT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise UserError(f"{label}: campo obbligatorio.", field=field)
    if len(value) > limit:
        raise UserError(f"{label}: al massimo {limit} caratteri.", field=field)
    return value


def _date(value: str, label: str, field: str, *, not_future: bool = False) -> date:
    try:
        parsed = parse_date(value, label)
    except UserError as error:
        raise UserError(error.message, field=field) from None
    if parsed is None:
        raise UserError(f"{label}: indicare la data.", field=field)
    if not_future and parsed > today():
        raise UserError(f"{label}: la data non può essere successiva a oggi.", field=field)
    return parsed


def _choice(value: str, choices: dict, label: str, field: str) -> str:
    if value not in choices:
        raise UserError(f"{label}: scelta non valida.", field=field)
    return value


def _require_open(dossier: Dossier) -> None:
    if dossier.closed:
        raise UserError("La pratica è chiusa: le sue scadenze non si modificano più.")


def _engine(env, dossier: Dossier) -> Engine:
    return Engine(env.dbsession, env.dbsession.get(Tenant, dossier.tenant_id))


# --- a dossier's deadlines ----------------------------------------------------------------------------------

def mark_done(env, deadline: Deadline, note: str) -> Deadline | None:
    """Mark ``deadline`` done; gives the next occurrence when its rule recurs."""
    note = _text(note, "Nota", "note")
    _require_open(deadline.dossier)
    if deadline.done_at is not None:
        raise UserError("La scadenza è già segnata come fatta.")
    if deadline.cancelled_at is not None:
        raise UserError("La scadenza è annullata: non può essere segnata come fatta.")
    deadline.done_at, deadline.done_by_id, deadline.done_note = utcnow(), actor_id(env), note
    record_action(env, deadline.dossier, "deadline.done", deadline_id=deadline.id, label=deadline.label, note=note)
    return _engine(env, deadline.dossier).next_occurrence(deadline)


def reopen(env, deadline: Deadline) -> None:
    """Undo "fatta" (a mistake): the deadline is open again. A recurring deadline's next occurrence, if already
    created, stays: it is due anyway."""
    _require_open(deadline.dossier)
    if deadline.done_at is None:
        raise UserError("La scadenza non è segnata come fatta.")
    deadline.done_at, deadline.done_by_id, deadline.done_note = None, None, ""
    record_action(env, deadline.dossier, "deadline.reopened", deadline_id=deadline.id, label=deadline.label)


MANUAL_FIELDS = ("label", "due_on", "who")


def add_manual(env, dossier: Dossier, data: dict) -> Deadline:
    """A deadline the rules do not give (a term fixed by the judge, an internal one)."""
    label = _text(data.get("label"), "Descrizione", "label", required=True, limit=LABEL_LIMIT)
    due_on = _date(data.get("due_on"), "Data di scadenza", "due_on")
    who = _choice(data.get("who"), catalogue.WHO, "Chi deve agire", "who")
    _require_open(dossier)
    db = env.dbsession
    count = db.scalar(select(func.count(Deadline.id)).where(Deadline.dossier_id == dossier.id,
                                                             Deadline.trigger_ref.like("manuale:%")))
    author = getattr(getattr(env, "identity", None), "full_name", "") or "la segreteria"
    deadline = Deadline(tenant_id=dossier.tenant_id, dossier_id=dossier.id, label=label, who=who, kind="entro",
                        trigger_ref=f"manuale:{count + 1}", trigger_on=today(), due_on=due_on,
                        computation=[f"Scadenza inserita a mano da {author} il {fmt(today())}"])
    db.add(deadline)
    db.flush()
    record_action(env, dossier, "deadline.added", deadline_id=deadline.id, label=label, due_on=due_on.isoformat())
    return deadline


MILESTONE_FIELDS = ("kind", "on", "note")


def record_milestone(env, dossier: Dossier, data: dict) -> Milestone:
    """Record a dated act of the dossier and start the terms it triggers (through ``occ_dossier_act``)."""
    db = env.dbsession
    kind = _choice(data.get("kind"), catalogue.milestone_kinds(db), "Atto", "kind")
    on = _date(data.get("on"), "Data dell'atto", "on", not_future=True)
    note = _text(data.get("note"), "Nota", "note")
    _require_open(dossier)
    milestone = Milestone(tenant_id=dossier.tenant_id, dossier_id=dossier.id, kind=kind, on=on, note=note,
                          created_by_id=actor_id(env))
    db.add(milestone)
    db.flush()
    record_action(env, dossier, "deadline.milestone", milestone_id=milestone.id, kind=kind, on=on.isoformat())
    env.hooks.occ_dossier_act(env=env, dossier=dossier, kind="atto", name=kind, on=on, ref=f"milestone:{milestone.id}")
    return milestone


# --- the Order's rules --------------------------------------------------------------------------------------

RULE_FIELDS = ("code", "label", "trigger_kind", "trigger", "amount", "unit", "direction", "kind", "who", "source",
               "notes")
RULE_FLAGS = ("outside_hearing", "recurring", "active")


def _trigger(db, kind: str, trigger: str, code: str) -> str:
    if kind == "stato":
        return _choice(trigger, STATES, "Stato che fa decorrere il termine", "trigger")
    if kind == "scadenza":
        codes = set(db.scalars(select(DeadlineRule.code)))
        if trigger not in codes or trigger == code:
            raise UserError("Regola da cui decorre: indicare il codice di un'altra regola dell'Ordine.",
                            field="trigger")
        return trigger
    if not TRIGGER.fullmatch(trigger):
        raise UserError("Evento o atto: indicare un codice di lettere, cifre o trattini bassi (al massimo 60).",
                        field="trigger")
    return trigger.lower() if kind == "evento" else trigger.upper()


def parse_rule(db, data: dict, procedures: list[str], flags: set[str], code: str) -> dict:
    """The values of a rule from its form; ``code`` is the rule's (existing, or typed for a new one)."""
    values = {
        "label": _text(data.get("label"), "Descrizione", "label", required=True, limit=LABEL_LIMIT),
        "procedures": [_choice(p, PROCEDURES, "Procedure", "procedures") for p in procedures],
        "trigger_kind": _choice(data.get("trigger_kind"), catalogue.TRIGGER_KINDS, "Da cosa decorre", "trigger_kind"),
        "unit": _choice(data.get("unit"), catalogue.UNITS, "Unità", "unit"),
        "direction": _choice(data.get("direction"), catalogue.DIRECTIONS, "Direzione", "direction"),
        "kind": _choice(data.get("kind"), catalogue.KINDS, "Tipo di termine", "kind"),
        "who": _choice(data.get("who"), catalogue.WHO, "Chi deve agire", "who"),
        "source": _text(data.get("source"), "Fonte", "source"),
        "notes": _text(data.get("notes"), "Note", "notes", limit=2000),
        **{flag: flag in flags for flag in RULE_FLAGS},
    }
    values["trigger"] = _trigger(db, values["trigger_kind"], (data.get("trigger") or "").strip(), code)
    amount = (data.get("amount") or "").strip()
    limit = MAX_AMOUNT[values["unit"]]
    if not amount.isdecimal() or not 1 <= int(amount) <= limit:
        raise UserError(f"Durata: indicare un numero intero da 1 a {limit} {values['unit']}.", field="amount")
    values["amount"] = int(amount)
    if values["recurring"] and values["direction"] == "ritroso":
        raise UserError("Un termine a ritroso non può ripetersi.", field="recurring")
    return values


def update_rule(env, rule: DeadlineRule, values: dict) -> None:
    """Change a rule: deadlines already computed keep their dates; new acts use the new values."""
    for key, value in values.items():
        setattr(rule, key, value)
    record_rule(env, rule, "deadline.rule_changed", values)


def add_rule(env, tenant, code: str, values: dict) -> DeadlineRule:
    code = (code or "").strip().upper()
    if not CODE.fullmatch(code):
        raise UserError("Codice: da 1 a 20 lettere maiuscole, cifre o trattini bassi (ad esempio X1).", field="code")
    db = env.dbsession
    if db.scalar(select(DeadlineRule.id).where(DeadlineRule.code == code)) is not None:
        raise UserError(f"Codice: l'Ordine ha già una regola {code}.", field="code")
    rule = DeadlineRule(tenant_id=tenant.id, code=code, builtin=False, **values)
    db.add(rule)
    db.flush()
    record_rule(env, rule, "deadline.rule_added", values)
    return rule


def restore_rule(env, rule: DeadlineRule) -> None:
    if not rule.builtin or rule.code not in catalogue.BUILTIN_BY_CODE:
        raise UserError("Solo le regole predefinite possono essere ripristinate.")
    catalogue.restore(rule)
    record_rule(env, rule, "deadline.rule_restored", {})


def record_rule(env, rule: DeadlineRule, action: str, values: dict) -> None:
    env.dbsession.flush()
    record(env.dbsession, action, tenant_id=rule.tenant_id, user_id=actor_id(env), object_type="DeadlineRule",
           object_id=rule.id, details={"code": rule.code, **values}, ip=getattr(env, "client_addr", "") or "")
