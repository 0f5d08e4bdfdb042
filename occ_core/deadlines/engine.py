"""From dated acts to deadlines: which rules an act starts, and keeping their deadlines right afterwards.

- An act (a state reached, an agenda event saved, a milestone) creates the deadlines of the Order's active
  rules for the dossier's procedure, once: (dossier, rule, trigger_ref) is unique, so a repeated call adds
  nothing. The same act with another date (an event moved) re-computes its deadlines that are not done.
- A chained rule ("scadenza" + another rule's code) counts from the other deadline's due date, and follows
  it when that date changes.
- A recurring rule produces its next occurrence when the previous one is marked done; the k-th occurrence
  counts k terms from the original act, so that clamped month ends and holidays never make the series drift.
- An event cancelled (``on`` None) cancels the open deadlines it started, and those chained to them.
- A dossier that reaches a final state has its open deadlines cancelled ("pratica chiusa"): nobody must act
  on them any more, and the lists never show a closed dossier's deadline as overdue.
Deadlines already done are never changed: they record what happened."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from occ_core.db import utcnow
from occ_core.deadlines import calendar, catalogue, preferences
from occ_core.deadlines.models import Deadline, DeadlineRule
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.procedures import state_label
from occ_core.tenants.models import Tenant

# A chain of rules longer than this is an Order's rule pointing back at itself.
MAX_CHAIN = 10
REASON_LIMIT = 200


class Engine:
    """The Order's rules and calendar, loaded once for a batch of acts (a request, the demo data)."""

    def __init__(self, db: Session, tenant: Tenant):
        self.db, self.tenant = db, tenant
        catalogue.ensure_rules(db, tenant)
        self.prefs = preferences.preferences_of(tenant)
        self.calendar = self.prefs.calendar(tenant.province)
        self.rules = list(db.scalars(select(DeadlineRule).where(DeadlineRule.tenant_id == tenant.id,
                                                                DeadlineRule.active.is_(True))
                                     .order_by(DeadlineRule.id)))

    def matching(self, dossier: Dossier, kind: str, name: str) -> list[DeadlineRule]:
        return [rule for rule in self.rules if rule.trigger_kind == kind and rule.trigger == name
                and (not rule.procedures or dossier.procedure in rule.procedures)]

    def compute(self, dossier: Dossier, rule: DeadlineRule, start: date, occurrence: int = 1
                ) -> calendar.Computation:
        term = calendar.Term(rule.amount * occurrence, rule.unit, rule.direction, rule.kind, rule.outside_hearing)
        intro = None
        if occurrence > 1:
            intro = (f"Termine ricorrente ogni {calendar.Term(rule.amount, rule.unit).describe()}: "
                     f"{occurrence}ª scadenza, {term.describe()} dal {calendar.fmt(start)}")
        return calendar.compute(self.calendar, term, start, backward_reading=self.prefs.backward, intro=intro,
                                suspension=calendar.august_suspension(dossier.procedure, dossier.filed_on, rule.kind))

    # --- acts ---------------------------------------------------------------------------------------------

    def act(self, dossier: Dossier, kind: str, name: str, on: date | None, ref: str) -> list[Deadline]:
        """Apply one act (see the module's docstring); gives the deadlines it created or re-computed."""
        if on is None:
            cancel(self.db, dossier, ref, "Evento annullato")
            return []
        if dossier.closed:
            close(self.db, dossier, f"Pratica chiusa: {state_label(self.tenant, dossier.state)}")
            return []
        produced = []
        for rule in self.matching(dossier, kind, name):
            produced += self.produce(dossier, rule, ref, on)
        return produced

    def produce(self, dossier: Dossier, rule: DeadlineRule, ref: str, on: date, depth: int = 0) -> list[Deadline]:
        """The deadline of ``rule`` started by ``ref`` on ``on`` (created, or re-computed if its start moved or
        it had been cancelled), and those of the rules chained to it."""
        deadline = self.db.scalar(select(Deadline).where(Deadline.dossier_id == dossier.id,
                                                         Deadline.rule_id == rule.id, Deadline.trigger_ref == ref))
        if deadline is not None and deadline.done_at is not None:
            return []
        changed = []
        if deadline is None:
            result = self.compute(dossier, rule, on)
            deadline = Deadline(tenant_id=dossier.tenant_id, dossier_id=dossier.id, rule_id=rule.id,
                                label=rule.label, who=rule.who, kind=rule.kind, trigger_ref=ref, trigger_on=on,
                                due_on=result.due_on, computation=result.steps)
            self.db.add(deadline)
            self.db.flush()
            changed.append(deadline)
        elif deadline.trigger_on != on or deadline.cancelled_at is not None:
            result = self.compute(dossier, rule, on)
            deadline.trigger_on, deadline.due_on, deadline.computation = on, result.due_on, result.steps
            deadline.cancelled_at, deadline.cancelled_reason = None, ""
            changed.append(deadline)
        if depth < MAX_CHAIN:
            for child in self.matching(dossier, "scadenza", rule.code):
                changed += self.produce(dossier, child, f"deadline:{deadline.id}", deadline.due_on, depth + 1)
        return changed

    def next_occurrence(self, deadline: Deadline) -> Deadline | None:
        """The next occurrence of a recurring deadline just done (None if not recurring, or already there)."""
        rule, dossier = deadline.rule, deadline.dossier
        if rule is None or not rule.recurring or not rule.active or dossier.closed:
            return None
        ref = f"deadline:{deadline.id}"
        if self.db.scalar(select(Deadline.id).where(Deadline.dossier_id == dossier.id, Deadline.rule_id == rule.id,
                                                    Deadline.trigger_ref == ref)) is not None:
            return None
        # Every occurrence keeps the original act's date: the k-th is k terms after it.
        occurrence = 1 + self.db.scalar(select(func.count(Deadline.id)).where(
            Deadline.dossier_id == dossier.id, Deadline.rule_id == rule.id,
            Deadline.trigger_on == deadline.trigger_on))
        result = self.compute(dossier, rule, deadline.trigger_on, occurrence)
        following = Deadline(tenant_id=dossier.tenant_id, dossier_id=dossier.id, rule_id=rule.id,
                             label=f"{rule.label} (n. {occurrence})", who=rule.who, kind=rule.kind, trigger_ref=ref,
                             trigger_on=deadline.trigger_on, due_on=result.due_on, computation=result.steps)
        self.db.add(following)
        self.db.flush()
        return following


def _open_of(db: Session, dossier: Dossier, *conditions) -> list[Deadline]:
    return list(db.scalars(select(Deadline).where(Deadline.dossier_id == dossier.id, Deadline.done_at.is_(None),
                                                  Deadline.cancelled_at.is_(None), *conditions)))


def _cancel_all(deadlines: list[Deadline], reason: str) -> None:
    now = utcnow()
    for deadline in deadlines:
        deadline.cancelled_at, deadline.cancelled_reason = now, reason[:REASON_LIMIT]


def cancel(db: Session, dossier: Dossier, ref: str, reason: str) -> int:
    """Cancel the open deadlines started by ``ref`` and, down the chain, those counted from them."""
    count, refs = 0, [ref]
    for _ in range(MAX_CHAIN + 1):
        found = _open_of(db, dossier, Deadline.trigger_ref.in_(refs))
        if not found:
            break
        _cancel_all(found, reason)
        count += len(found)
        refs = [f"deadline:{deadline.id}" for deadline in found]
    return count


def close(db: Session, dossier: Dossier, reason: str) -> int:
    """Cancel every open deadline of a dossier that the procedure no longer needs."""
    found = _open_of(db, dossier)
    _cancel_all(found, reason)
    return len(found)


def apply_act(env, dossier: Dossier, kind: str, name: str, on: date | None, ref: str) -> list[Deadline]:
    """The ``occ_dossier_act`` hook's work, for one act."""
    db = env.dbsession
    return Engine(db, db.get(Tenant, dossier.tenant_id)).act(dossier, kind, name, on, ref)
