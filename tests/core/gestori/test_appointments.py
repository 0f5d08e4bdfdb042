"""The appointment itself: declaration first, override with reason, college of three, refusal,
replacement with history, and the draw's reproducibility."""
from dataclasses import replace as changed
from decimal import Decimal

import pytest
from sqlalchemy import select

from occ_core.clock import today
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.gestori import services
from occ_core.gestori.models import Appointment, AppointmentLogEntry
from occ_core.gestori.policy import PREFERENCE, Policy
from occ_core.gestori.screening import draw


@pytest.fixture
def desk(dbtx, order, make_gestore, make_dossier):
    """Three eligible gestori, one suspended, and a dossier with the referente's declaration."""
    with dbtx(order.tenant) as db:
        gestori = [make_gestore(db, order.tenant, last, first) for last, first in
                   (("Alberti", "Anna"), ("Bruni", "Bruno"), ("Corsi", "Carla"), ("Dotti", "Dario"))]
        suspended = make_gestore(db, order.tenant, "Esposito", "Elio", status="sospeso", status_reason="Morosità")
        dossier = make_dossier(db, order.tenant, passivo=Decimal("120000"))
        services.declare_no_conflict(db, order.tenant, dossier, order.ids["referente"])
        ids = [g.id for g in gestori]
        return dossier.id, ids, suspended.id


def run(dbtx, order, action, *args, **kwargs):
    """``action(db, tenant, dossier, *args)`` in its own committed transaction, as a request would."""
    with dbtx(order.tenant) as db:
        dossier = db.get(Dossier, args[0])
        return action(db, order.tenant, dossier, *args[1:], **kwargs)


def log_kinds(dbtx, order):
    with dbtx(order.tenant) as db:
        return [e.kind for e in db.scalars(select(AppointmentLogEntry).order_by(AppointmentLogEntry.seq))]


def test_appointing_the_proposed_gestore_needs_no_reason(dbtx, order, desk):
    dossier_id, ids, _ = desk
    referente = order.ids["referente"]
    proposal = run(dbtx, order, services.propose, dossier_id, referente, today())
    assert proposal.proposed.gestore.id == ids[0]
    run(dbtx, order, services.appoint, dossier_id, [ids[0]], referente, today())
    with dbtx(order.tenant) as db:
        appointment = db.scalar(select(Appointment))
        dossier = db.get(Dossier, dossier_id)
        # Passivo 120.000 (second bracket, 1,5) and one debtor with no creditors (first bracket, 0).
        assert appointment.weight == Decimal("1.5") and appointment.override_reason == ""
        assert dossier.gestore_names == "Alberti Anna"
    assert log_kinds(dbtx, order) == ["referente_declaration", "proposal", "appointment"]


def test_no_appointment_before_the_referentes_declaration(dbtx, order, make_dossier, desk):
    _dossier_id, ids, _ = desk
    with dbtx(order.tenant) as db:
        other = make_dossier(db, order.tenant).id
    with pytest.raises(UserError, match="referente deve dichiarare"):
        run(dbtx, order, services.appoint, other, [ids[0]], order.ids["referente"], today(), "motivo")


def test_override_requires_a_reason_and_never_reaches_a_barred_gestore(dbtx, order, desk):
    dossier_id, ids, suspended = desk
    referente = order.ids["referente"]
    run(dbtx, order, services.propose, dossier_id, referente, today())
    with pytest.raises(UserError, match="Indichi il motivo della scelta: la scelta è diversa dalla proposta"):
        run(dbtx, order, services.appoint, dossier_id, [ids[2]], referente, today(), "   ")
    with pytest.raises(UserError, match="Non è possibile nominare Esposito Elio: Sospeso.*Morosità"):
        run(dbtx, order, services.appoint, dossier_id, [suspended], referente, today(), "Esperto della materia")
    assert log_kinds(dbtx, order) == ["referente_declaration", "proposal"]
    run(dbtx, order, services.appoint, dossier_id, [ids[2]], referente, today(), "Conosce il settore agricolo")
    with dbtx(order.tenant) as db:
        appointment = db.scalar(select(Appointment))
        assert (appointment.gestore_id, appointment.override_reason) == (ids[2], "Conosce il settore agricolo")
        entry = db.scalar(select(AppointmentLogEntry).where(AppointmentLogEntry.kind == "appointment"))
        assert entry.payload["override"] is True and entry.payload["reason"] == "Conosce il settore agricolo"


def test_without_a_proposal_any_choice_needs_a_reason(dbtx, order, desk):
    dossier_id, ids, _ = desk
    with pytest.raises(UserError, match="non è stata chiesta la proposta"):
        run(dbtx, order, services.appoint, dossier_id, [ids[0]], order.ids["referente"], today())


def test_college_of_at_most_three(dbtx, order, desk):
    dossier_id, ids, _ = desk
    referente = order.ids["referente"]
    with pytest.raises(UserError, match="al massimo 3 gestori"):
        run(dbtx, order, services.appoint, dossier_id, ids[:4], referente, today(), "Pratica complessa")
    run(dbtx, order, services.appoint, dossier_id, ids[:2], referente, today(), "Pratica complessa")
    with pytest.raises(UserError, match="ne ha già 2 in carica"):
        run(dbtx, order, services.appoint, dossier_id, ids[2:4], referente, today(), "Serve un terzo e un quarto")
    with pytest.raises(UserError, match="Già nominato per questa pratica"):
        run(dbtx, order, services.appoint, dossier_id, [ids[0]], referente, today(), "Di nuovo")
    run(dbtx, order, services.appoint, dossier_id, [ids[2]], referente, today(), "Serve un terzo componente")
    with dbtx(order.tenant) as db:
        assert db.get(Dossier, dossier_id).gestore_names == "Alberti Anna, Bruni Bruno, Corsi Carla"
        entry = db.scalars(select(AppointmentLogEntry).where(AppointmentLogEntry.kind == "appointment")).all()[-1]
        assert entry.payload["collegial"] is True


def test_replacement_keeps_the_history(dbtx, order, desk):
    dossier_id, ids, suspended = desk
    referente = order.ids["referente"]
    run(dbtx, order, services.propose, dossier_id, referente, today())
    [first] = run(dbtx, order, services.appoint, dossier_id, [ids[0]], referente, today())

    def replace(new_id, reason, override=""):
        def action(db, tenant, dossier):
            old = services.appointment_of(db, dossier, first.id)
            return services.replace(db, tenant, dossier, old, new_id, referente, today(), reason, override)
        return run(dbtx, order, action, dossier_id)

    with pytest.raises(UserError, match="motivo della sostituzione"):
        replace(ids[1], "", "x")
    with pytest.raises(UserError, match="Non è possibile nominare Esposito Elio"):
        replace(suspended, "Malattia", "Scelta urgente")
    proposal = run(dbtx, order, services.propose, dossier_id, referente, today())
    assert proposal.proposed.gestore.id == ids[1]
    assert "Già nominato per questa pratica" in next(
        c.barriers for c in proposal.excluded if c.gestore.id == ids[0])
    replace(ids[1], "Malattia del gestore")
    with dbtx(order.tenant) as db:
        old, new = db.scalars(select(Appointment).order_by(Appointment.id)).all()
        assert old.ended_at is not None and old.end_reason == "Malattia del gestore"
        assert old.replaced_by_id == new.id and new.in_force and new.gestore_id == ids[1]
        assert db.get(Dossier, dossier_id).gestore_names == "Bruni Bruno"
    # The replaced gestore is not proposed again for this dossier.
    proposal = run(dbtx, order, services.propose, dossier_id, referente, today())
    assert "Già sostituito in questa pratica" in next(
        c.policy_reasons for c in proposal.excluded if c.gestore.id == ids[0])


def test_acceptance_independence_and_refusal(dbtx, order, desk):
    dossier_id, ids, _ = desk
    referente = order.ids["referente"]
    run(dbtx, order, services.propose, dossier_id, referente, today())
    [first] = run(dbtx, order, services.appoint, dossier_id, [ids[0]], referente, today())

    def on_appointment(action, *args):
        def call(db, tenant, dossier):
            return action(db, tenant, dossier, services.appointment_of(db, dossier, first.id), referente, *args)
        return run(dbtx, order, call, dossier_id)

    on_appointment(services.record_independence)
    with pytest.raises(UserError, match="già stata registrata"):
        on_appointment(services.record_independence)
    on_appointment(services.record_decline, "Troppi incarichi in corso")
    with dbtx(order.tenant) as db:
        appointment = db.get(Appointment, first.id)
        assert appointment.declined_at is not None and not appointment.in_force
        assert db.get(Dossier, dossier_id).gestore_names == ""
    with pytest.raises(UserError, match="non è in corso"):
        on_appointment(services.record_acceptance)
    proposal = run(dbtx, order, services.propose, dossier_id, referente, today())
    assert proposal.proposed.gestore.id == ids[1]
    assert "Ha rifiutato l'incarico per questa pratica" in next(
        c.policy_reasons for c in proposal.excluded if c.gestore.id == ids[0])


def test_draw_is_reproducible_from_the_logged_seed(dbtx, order, desk):
    dossier_id, ids, _ = desk
    with dbtx() as db:
        tenant = db.get(type(order.tenant), order.tenant.id)
        tenant.preferences = {PREFERENCE: changed(Policy(), draw="all").as_preference()}
    with dbtx(order.tenant) as db:
        tenant = db.get(type(order.tenant), order.tenant.id)
        proposal = services.propose(db, tenant, db.get(Dossier, dossier_id), order.ids["referente"], today())
    with dbtx(order.tenant) as db:
        entry = db.scalar(select(AppointmentLogEntry).where(AppointmentLogEntry.kind == "draw"))
        stored = entry.payload
    assert sorted(stored["candidates"]) == sorted(ids)
    assert len(stored["seed"]) == 32
    assert draw(stored["seed"], stored["candidates"]) == stored["chosen"] == proposal.proposed.gestore.id
    # Another seed may pick another gestore: over many seeds every candidate comes out.
    assert {draw(f"seme-{n}", stored["candidates"]) for n in range(200)} == set(ids)


def test_concurrent_appointments_never_exceed_the_college(dbtx, order, desk, concurrently):
    """Two referenti add the third member at the same moment: one succeeds, the other is told why not."""
    dossier_id, ids, _ = desk
    referente = order.ids["referente"]
    run(dbtx, order, services.appoint, dossier_id, ids[:2], referente, today(), "Pratica complessa")

    def add(gestore_id):
        run(dbtx, order, services.appoint, dossier_id, [gestore_id], referente, today(), "Terzo componente")
        return "nominato"

    outcomes = [o.message if isinstance(o, UserError) else o for o in concurrently(add, ids[2:4])]
    assert sorted(outcomes) == ["Un collegio può avere al massimo 3 gestori: la pratica ne ha già 3 in carica.",
                                "nominato"]
    with dbtx(order.tenant) as db:
        assert len(db.scalars(select(Appointment).where(Appointment.dossier_id == dossier_id)).all()) == 3


def test_a_proposal_outdated_by_another_appointment_needs_a_new_one(dbtx, order, desk, make_dossier):
    dossier_id, ids, _ = desk
    referente = order.ids["referente"]
    with dbtx(order.tenant) as db:
        other = make_dossier(db, order.tenant)
        services.declare_no_conflict(db, order.tenant, other, referente)
        other_id = other.id
    run(dbtx, order, services.propose, dossier_id, referente, today())
    run(dbtx, order, services.propose, other_id, referente, today())
    run(dbtx, order, services.appoint, other_id, [ids[0]], referente, today())
    # Alberti, proposed for both, now has a dossier more: the first proposal ranked by old loads.
    with pytest.raises(UserError, match="la proposta non è più attuale"):
        run(dbtx, order, services.appoint, dossier_id, [ids[0]], referente, today())
    proposal = run(dbtx, order, services.propose, dossier_id, referente, today())
    assert proposal.proposed.gestore.id == ids[1]
    run(dbtx, order, services.appoint, dossier_id, [ids[1]], referente, today())


@pytest.mark.parametrize("stored", [
    {"rotation": "a caso"}, {"draw_size": "tre"}, {"passivo_brackets": [["molto", "1"]]}, {"max_open": -1},
])
def test_a_policy_spoilt_by_hand_falls_back_to_the_defaults(stored):
    from types import SimpleNamespace

    from occ_core.gestori.policy import policy_of

    assert policy_of(SimpleNamespace(preferences={PREFERENCE: stored})) == Policy()
