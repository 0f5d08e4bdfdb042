"""Appointing gestori to a dossier: the referente's declaration, the proposal and its draw, the decision,
acceptance, independence, refusal and replacement. Every step is written to the appointment log.

Functions take the session, the Order and the acting user's id (not a request), so that the command
line and the simulations of the tests use exactly what the screens use."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from occ_core.db import utcnow
from occ_core.dossiers import summary
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.gestori import chain
from occ_core.gestori.models import Appointment, AppointmentLogEntry
from occ_core.gestori.policy import policy_of
from occ_core.gestori.screening import Candidate, appointments_in_force, draw, gestore_name, rank, screen
from occ_core.gestori.training import rule_of

MAX_COLLEGE = 3  # CNDCEC model regulation: a collegial gestore has at most three members
REASON_LIMIT = 2000


@dataclass
class Proposal:
    proposed: Candidate | None
    ranked: list[Candidate]
    excluded: list[Candidate]
    entry: object  # the log entry of the proposal


def _start(db, tenant, dossier: Dossier) -> None:
    """Refuse a closed dossier; then wait for any other appointment work of the Order to commit, so
    that the counts and checks that follow (college size, loads) see it."""
    if dossier.closed:
        raise UserError("La pratica è chiusa: non si possono più nominare gestori.")
    chain.lock(db, tenant.id)


def _reason(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise UserError(message, field="reason")
    if len(text) > REASON_LIMIT:
        raise UserError(f"Il motivo può contenere al massimo {REASON_LIMIT} caratteri.", field="reason")
    return text


def declare_no_conflict(db, tenant, dossier: Dossier, user_id: int) -> None:
    """The referente's declaration that the OCC has no conflict of interest (DM 202/2014 art. 10 co. 2)."""
    _start(db, tenant, dossier)
    if dossier.referente_declaration_at is not None:
        raise UserError("La dichiarazione del referente è già stata registrata per questa pratica.")
    dossier.referente_declaration_at = utcnow()
    dossier.referente_declaration_by_id = user_id
    chain.append(db, tenant.id, "referente_declaration", {"dossier": dossier.reference}, dossier.id, user_id)


def _summary(candidate: Candidate) -> dict:
    return {"id": candidate.gestore.id, "name": candidate.name, "count": candidate.count,
            "weighted": candidate.weighted, "open": candidate.open_dossiers, "local": candidate.local,
            "competent": candidate.competent}


def propose(db, tenant, dossier: Dossier, user_id: int, today: date) -> Proposal:
    """Rank the eligible gestori by the Order's criteria and, if the Order draws, draw among them."""
    _start(db, tenant, dossier)
    policy = policy_of(tenant)
    candidates = screen(db, dossier, policy, rule_of(tenant), today)
    ranked = rank(candidates, policy)
    excluded = [c for c in candidates if not c.eligible]
    proposed = ranked[0] if ranked else None
    draw_payload = None
    if ranked and policy.draw != "off":
        pool = ranked[:policy.draw_size] if policy.draw == "top" else ranked
        seed = secrets.token_hex(16)
        ids = [c.gestore.id for c in pool]
        chosen = draw(seed, ids)
        proposed = next(c for c in pool if c.gestore.id == chosen)
        draw_payload = {"seed": seed, "candidates": ids, "chosen": chosen, "chosen_name": proposed.name,
                        "method": "sha256(seed:ids) mod n"}
    payload = {
        "dossier": dossier.reference, "weight": policy.weight(dossier.passivo, dossier.creditor_count),
        "policy": policy.as_preference(), "training_rule": rule_of(tenant), "on": today,
        "ranked": [_summary(c) for c in ranked],
        "excluded": [{"id": c.gestore.id, "name": c.name, "reasons": c.barriers + c.policy_reasons}
                     for c in excluded],
        "proposed": proposed.gestore.id if proposed else None,
        "proposed_name": proposed.name if proposed else "",
    }
    entry = chain.append(db, tenant.id, "proposal", payload, dossier.id, user_id)
    if draw_payload is not None:
        chain.append(db, tenant.id, "draw", {**draw_payload, "proposal_seq": entry.seq}, dossier.id, user_id)
    return Proposal(proposed, ranked, excluded, entry)


def current_proposal(db, dossier: Dossier) -> tuple[int | None, str]:
    """The gestore of the dossier's latest proposal (the draw's outcome when drawn), and why none can be
    followed without a reason: no proposal, or one made before another appointment of the Order had
    changed the loads it ranked by."""
    entry = chain.latest(db, dossier.id, "proposal")
    if entry is None:
        return None, "non è stata chiesta la proposta"
    later = db.scalars(select(AppointmentLogEntry.dossier_id).where(
        AppointmentLogEntry.tenant_id == dossier.tenant_id, AppointmentLogEntry.seq > entry.seq,
        AppointmentLogEntry.kind.in_(("appointment", "replacement"))).distinct()).all()
    if dossier.id in later:
        return None, "la proposta è già stata seguita da una nomina di questa pratica"
    if later:
        return None, "la proposta non è più attuale, perché dopo di essa sono state registrate altre nomine"
    return entry.payload.get("proposed"), ""


def _check_choice(db, tenant, dossier: Dossier, gestore_ids: list[int], today: date,
                  override_reason: str) -> tuple[list[Candidate], str]:
    """The chosen gestori, screened: a barrier refuses the choice, and choosing someone other than the
    proposed gestore needs a reason. Returns the candidates and the reason (empty when not needed)."""
    by_id = {c.gestore.id: c for c in screen(db, dossier, policy_of(tenant), rule_of(tenant), today)}
    chosen = []
    for gestore_id in gestore_ids:
        candidate = by_id.get(gestore_id)
        if candidate is None:
            raise UserError("Il gestore scelto non è nell'elenco dell'Ordine.", field="gestore")
        if candidate.barriers:
            raise UserError(f"Non è possibile nominare {candidate.name}: {'; '.join(candidate.barriers)}.",
                            field="gestore")
        chosen.append(candidate)
    proposal, why = current_proposal(db, dossier)
    if proposal is not None and set(gestore_ids) == {proposal}:
        return chosen, ""
    why = why or "la scelta è diversa dalla proposta"
    return chosen, _reason(override_reason, f"Indichi il motivo della scelta: {why} (DM 202/2014 art. 10 co. 2).")


def _new_appointment(db, tenant, dossier: Dossier, candidate: Candidate, user_id: int, reason: str) -> Appointment:
    weight = policy_of(tenant).weight(dossier.passivo, dossier.creditor_count)
    appointment = Appointment(tenant_id=tenant.id, dossier_id=dossier.id, gestore_id=candidate.gestore.id,
                              weight=weight, appointed_by_id=user_id, override_reason=reason,
                              appointed_at=utcnow())
    db.add(appointment)
    db.flush()
    return appointment


def _log_appointment(appointment: Appointment, candidate: Candidate) -> dict:
    return {"appointment": appointment.id, "gestore": candidate.gestore.id, "name": candidate.name,
            "weight": appointment.weight, "policy_reasons": candidate.policy_reasons}


def appoint(db, tenant, dossier: Dossier, gestore_ids: list[int], user_id: int, today: date,
            override_reason: str = "") -> list[Appointment]:
    """Appoint one gestore, or a college of up to three, to ``dossier``."""
    _start(db, tenant, dossier)
    if dossier.referente_declaration_at is None:
        raise UserError("Prima della nomina il referente deve dichiarare che l'OCC non si trova in conflitto "
                        "di interessi (DM 202/2014 art. 10 co. 2).")
    gestore_ids = list(dict.fromkeys(gestore_ids))
    if not gestore_ids:
        raise UserError("Scelga il gestore da nominare.", field="gestore")
    in_force = appointments_in_force(db, dossier)
    if len(in_force) + len(gestore_ids) > MAX_COLLEGE:
        raise UserError(f"Un collegio può avere al massimo {MAX_COLLEGE} gestori: la pratica ne ha già "
                        f"{len(in_force)} in carica.", field="gestore")
    chosen, reason = _check_choice(db, tenant, dossier, gestore_ids, today, override_reason)
    appointments = [_new_appointment(db, tenant, dossier, c, user_id, reason) for c in chosen]
    chain.append(db, tenant.id, "appointment", {
        "dossier": dossier.reference, "proposed": current_proposal(db, dossier)[0], "override": bool(reason),
        "reason": reason, "collegial": len(in_force) + len(chosen) > 1,
        "gestori": [_log_appointment(a, c) for a, c in zip(appointments, chosen)],
    }, dossier.id, user_id)
    summary.refresh(dossier)
    return appointments


def appointment_of(db, dossier: Dossier, appointment_id) -> Appointment:
    text = str(appointment_id or "")
    appointment = db.scalar(select(Appointment).where(
        Appointment.id == int(text), Appointment.dossier_id == dossier.id)) if text.isdecimal() and len(text) < 10 else None
    if appointment is None or not appointment.in_force:
        raise UserError("L'incarico indicato non è in corso per questa pratica.")
    return appointment


def _record(db, tenant, dossier: Dossier, appointment: Appointment, user_id: int, kind: str, **payload) -> None:
    chain.append(db, tenant.id, kind, {"dossier": dossier.reference, "appointment": appointment.id,
                                       "gestore": appointment.gestore_id,
                                       "name": gestore_name(appointment.gestore), **payload}, dossier.id, user_id)
    summary.refresh(dossier)


def record_acceptance(db, tenant, dossier: Dossier, appointment: Appointment, user_id: int) -> None:
    if appointment.accepted_at is not None:
        raise UserError("L'accettazione è già stata registrata.")
    appointment.accepted_at = utcnow()
    _record(db, tenant, dossier, appointment, user_id, "acceptance")


def record_independence(db, tenant, dossier: Dossier, appointment: Appointment, user_id: int) -> None:
    if appointment.independence_declared_at is not None:
        raise UserError("La dichiarazione di indipendenza è già stata registrata.")
    appointment.independence_declared_at = utcnow()
    _record(db, tenant, dossier, appointment, user_id, "independence")


def record_decline(db, tenant, dossier: Dossier, appointment: Appointment, user_id: int, reason: str) -> None:
    """The gestore refuses the appointment (before accepting it; afterwards he is replaced)."""
    if appointment.accepted_at is not None:
        raise UserError("Il gestore ha già accettato: per cambiarlo usi la sostituzione.")
    reason = (reason or "").strip()[:REASON_LIMIT]
    appointment.declined_at = utcnow()
    appointment.end_reason = reason
    _record(db, tenant, dossier, appointment, user_id, "decline", reason=reason)


def replace(db, tenant, dossier: Dossier, appointment: Appointment, new_gestore_id: int, user_id: int,
            today: date, reason: str, override_reason: str = "") -> Appointment:
    """End ``appointment`` and appoint ``new_gestore_id`` in its place; the old row stays, pointing at
    the new one."""
    _start(db, tenant, dossier)
    reason = _reason(reason, "Indichi il motivo della sostituzione.")
    if new_gestore_id == appointment.gestore_id:
        raise UserError("Il nuovo gestore deve essere diverso da quello sostituito.", field="gestore")
    chosen, override = _check_choice(db, tenant, dossier, [new_gestore_id], today, override_reason)
    new = _new_appointment(db, tenant, dossier, chosen[0], user_id, override)
    appointment.ended_at = utcnow()
    appointment.end_reason = reason
    appointment.replaced_by_id = new.id
    _record(db, tenant, dossier, appointment, user_id, "replacement", reason=reason, override=bool(override),
            override_reason=override, new=_log_appointment(new, chosen[0]))
    return new


def history(db, dossier: Dossier) -> list[Appointment]:
    return list(db.scalars(select(Appointment).where(Appointment.dossier_id == dossier.id).order_by(Appointment.id)))

