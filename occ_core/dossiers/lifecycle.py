"""Moving a dossier along the legal sequence of its procedure (occ-law.md 3.8), one guarded step at a time.

A guard lists, in Italian, exactly what the dossier still lacks for a step; a refused step changes
nothing. Every step is recorded (who, when, why), audited, and announced to the modules after commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from occ_core.clock import today
from occ_core.db import utcnow
from occ_core.dossiers import procedures
from occ_core.dossiers.actions import actor_id, announce, record_action
from occ_core.dossiers.models import Dossier, Transition
from occ_core.dossiers.summary import gestori_in_force
from occ_core.errors import UserError
from occ_core.accounts.models import User
from occ_core.tenants.models import Tenant

# Endings that say the procedure failed or was given up: whoever records one must say why.
NEGATIVE_ENDINGS = frozenset({
    "ARCHIVIATA", "NON_OMOLOGATO", "RIGETTATO", "RIGETTO", "INAMMISSIBILE", "REVOCATO", "RISOLTO", "CESSATO",
    "ATTESTAZIONE_NESSUN_ATTIVO",
})
# The document category the electronic file gives the gestore's report.
REPORT_CATEGORY = "relazione_gestore"
REASON_LIMIT = 2000


def _debtor_identified(db: Session, dossier: Dossier) -> list[str]:
    if any(d.codice_fiscale or d.partita_iva for d in dossier.debtors):
        return []
    return ["almeno un debitore con codice fiscale o partita IVA (scheda Parti)"]


def _incarico_conferred(db: Session, dossier: Dossier) -> list[str]:
    return [] if dossier.incarico_accepted_on else ["la data di conferimento dell'incarico all'OCC da parte del "
                                                    "debitore (Modifica dati)"]


def _gestore_ready(db: Session, dossier: Dossier) -> list[str]:
    missing = []
    appointed = gestori_in_force(dossier)
    if not appointed:
        missing.append("la nomina di un gestore (scheda Gestore)")
    elif not any(a.accepted_at and a.independence_declared_at for a in appointed):
        for appointment in appointed:
            lacks = [what for what, done in (("l'accettazione dell'incarico", appointment.accepted_at),
                                             ("la dichiarazione di indipendenza", appointment.independence_declared_at))
                     if not done]
            missing.append(f"per il gestore {appointment.gestore.registrant.full_name}: {' e '.join(lacks)}")
    if dossier.referente_declaration_at is None:
        missing.append("la dichiarazione del referente sull'assenza di conflitti di interesse dell'OCC "
                       "(scheda Gestore)")
    return missing


def _report_filed(db: Session, dossier: Dossier) -> list[str]:
    from occ_core.documents.models import Document

    filed = db.scalar(select(exists().where(
        Document.dossier_id == dossier.id, Document.category == REPORT_CATEGORY, Document.withdrawn_at.is_(None))))
    return [] if filed else ["la relazione del gestore nel fascicolo (scheda Documenti)"]


def _court_known(db: Session, dossier: Dossier) -> list[str]:
    return [] if dossier.court.strip() else ["il tribunale competente (Modifica dati)"]


GUARDS = {
    "ISTRUTTORIA_SEGRETERIA": _debtor_identified,
    "INCARICO_CONFERITO": _incarico_conferred,
    "GESTORE_NOMINATO": _gestore_ready,
    "RELAZIONE_REDATTA": _report_filed,
    "DEPOSITATO": _court_known,
}


def needs_reason(state: str) -> bool:
    return state in NEGATIVE_ENDINGS


@dataclass(frozen=True)
class Option:
    """A state the dossier may move to next, and what it still lacks for it."""

    state: str
    label: str
    missing: tuple[str, ...]
    needs_reason: bool
    final: bool

    @property
    def allowed(self) -> bool:
        return not self.missing


def _label(db: Session, dossier: Dossier, state: str) -> str:
    return procedures.state_label(db.get(Tenant, dossier.tenant_id), state)


def available_transitions(db: Session, dossier: Dossier) -> list[Option]:
    """Every next state of the legal sequence, each with the items its guard still misses."""
    return [
        Option(state, _label(db, dossier, state), tuple(GUARDS[state](db, dossier)) if state in GUARDS else (),
               needs_reason(state), procedures.is_final(dossier.procedure, state))
        for state in procedures.next_states(dossier.procedure, dossier.state)
    ]


class TransitionRefused(UserError):
    """The step is not in the legal sequence, or the dossier lacks what ``missing`` lists."""

    def __init__(self, message: str, missing: list[str] | tuple[str, ...] = ()):
        super().__init__(message, field="to_state")
        self.missing = list(missing)


def _refusal(db: Session, dossier: Dossier, to_state: str, reason: str) -> TransitionRefused | None:
    following = procedures.next_states(dossier.procedure, dossier.state)
    label = _label(db, dossier, to_state)
    if to_state not in following:
        current = _label(db, dossier, dossier.state)
        if not following:
            return TransitionRefused(f"La pratica è nello stato finale «{current}»: non ha altri passaggi.")
        allowed = ", ".join(f"«{_label(db, dossier, state)}»" for state in following)
        return TransitionRefused(f"Dallo stato «{current}» non si può passare a «{label}»: "
                                 f"i passaggi ammessi sono {allowed}.")
    missing = GUARDS[to_state](db, dossier) if to_state in GUARDS else []
    if needs_reason(to_state) and not reason:
        missing.append("il motivo del passaggio")
    if missing:
        return TransitionRefused(f"Per passare a «{label}» manca: {'; '.join(missing)}.", missing)
    return None


def move(env, dossier: Dossier, to_state: str, reason: str = "", expected_from: str | None = None,
         effective_on: date | None = None) -> Transition:
    """Move ``dossier`` to ``to_state`` on behalf of ``env``'s user; raises ``TransitionRefused`` (and
    changes nothing) when the step is not allowed. ``expected_from`` is the state the user saw;
    ``effective_on`` the date of the act the step records (a decree of last week), today if omitted."""
    db = env.dbsession
    reason = (reason or "").strip()
    if to_state not in procedures.STATES:
        raise TransitionRefused("Lo stato indicato non esiste.")
    if effective_on is not None and effective_on > today():
        raise TransitionRefused("La data dell'atto non può essere successiva a oggi.")
    if len(reason) > REASON_LIMIT:
        raise TransitionRefused(f"Il motivo può contenere al massimo {REASON_LIMIT} caratteri.")
    # The row lock makes a second, simultaneous move of the same dossier wait and then see the new state.
    stored = db.scalar(select(Dossier.state).where(Dossier.id == dossier.id).with_for_update())
    if stored != dossier.state or (expected_from is not None and expected_from != stored):
        raise TransitionRefused("Nel frattempo lo stato della pratica è cambiato: ricarichi la pagina e verifichi "
                                "prima di procedere.")
    refusal = _refusal(db, dossier, to_state, reason)
    if refusal is not None:
        raise refusal
    now, from_state = utcnow(), dossier.state
    dossier.state, dossier.state_changed_at = to_state, now
    if procedures.is_final(dossier.procedure, to_state):
        dossier.outcome, dossier.outcome_on, dossier.closed = to_state, today(), True
        if reason:
            dossier.outcome_notes = reason
    transition = Transition(tenant_id=dossier.tenant_id, dossier_id=dossier.id, from_state=from_state,
                            to_state=to_state, at=now, user_id=actor_id(env), reason=reason, effective_on=effective_on)
    db.add(transition)
    db.flush()
    # Legal terms run from the act: the modules (deadlines) compute them in this same transaction.
    env.hooks.occ_dossier_act(env=env, dossier=dossier, kind="stato", name=to_state, on=effective_on or today(),
                              ref=f"transition:{transition.id}")
    record_action(env, dossier, "dossier.state_changed", from_state=from_state, to_state=to_state, reason=reason)
    announce(env, dossier, "dossier.state_changed", **{"from": from_state, "to": to_state, "reason": reason})
    return transition


def history(db: Session, dossier: Dossier) -> list[tuple[Transition, str]]:
    """The dossier's transitions, oldest first, each with the name of who made it."""
    rows = db.execute(select(Transition, User.full_name, User.email).outerjoin(User, User.id == Transition.user_id)
                      .where(Transition.dossier_id == dossier.id).order_by(Transition.at, Transition.id))
    return [(transition, full_name or email or "Sistema") for transition, full_name, email in rows]
