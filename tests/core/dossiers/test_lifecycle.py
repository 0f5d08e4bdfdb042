"""The state machine of every procedure: every legal path to a final state, refused jumps, guards that say
exactly what is missing, history, audit and after-commit events."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.clock import today
from occ_core.dossiers import lifecycle, procedures
from occ_core.dossiers.models import Dossier, Transition

from .conftest import appoint, file_report, make_ready, open_dossier

REASON = "Decisione comunicata dal tribunale"
VAT_NUMBER = "12345670124"


def legal_paths(procedure: str) -> list[list[str]]:
    """Every sequence of states from the application to a final state."""
    flow = procedures.PROCEDURES[procedure].flow

    def walk(path):
        following = flow.get(path[-1], ())
        if not following:
            yield path
        for state in following:
            yield from walk(path + [state])

    return list(walk([procedures.INITIAL_STATE]))


def reload(env, dossier_id):
    return env.dbsession.get(Dossier, dossier_id)


def test_every_procedure_has_paths_to_its_endings():
    for code in procedures.PROCEDURES:
        finals = {path[-1] for path in legal_paths(code)}
        assert "ARCHIVIATA" in finals and len(finals) >= 3, code


@pytest.mark.parametrize("procedure", sorted(procedures.PROCEDURES))
def test_every_legal_path_reaches_its_final_state(order, tenant_env, dbtx, procedure):
    paths = legal_paths(procedure)
    with tenant_env(order) as env:
        for path in paths:
            dossier = open_dossier(env, procedure)
            make_ready(env.dbsession, dossier)
            for state in path[1:]:
                assert state in {o.state for o in lifecycle.available_transitions(env.dbsession, dossier)
                                 if o.allowed}, (path, state)
                lifecycle.move(env, dossier, state, REASON)
                assert dossier.state == state
            final = path[-1]
            assert lifecycle.available_transitions(env.dbsession, dossier) == []
            assert (dossier.outcome, dossier.outcome_on, dossier.closed) == (final, today(), True)
            assert dossier.outcome_notes == REASON
            assert [t.to_state for t in dossier.transitions] == path
    with dbtx(order) as db:
        assert db.scalar(select(Transition).where(Transition.from_state == "")).reason
        steps = db.scalars(select(Transition).where(Transition.from_state != "")).all()
        assert len(steps) == sum(len(path) - 1 for path in paths)
        assert {t.reason for t in steps} == {REASON}


@pytest.mark.parametrize("procedure", sorted(procedures.PROCEDURES))
def test_jumps_outside_the_legal_sequence_are_refused(order, tenant_env, procedure):
    with tenant_env(order) as env:
        dossier = open_dossier(env, procedure)
        make_ready(env.dbsession, dossier)
        for state in procedures.states_of(procedure):
            dossier.state = state
            allowed = set(procedures.next_states(procedure, state))
            for target in set(procedures.STATES) - allowed:
                with pytest.raises(lifecycle.TransitionRefused) as refused:
                    lifecycle.move(env, dossier, target, REASON)
                assert dossier.state == state
                if allowed:
                    assert "i passaggi ammessi sono" in refused.value.message
                else:
                    assert "stato finale" in refused.value.message
        env.dbsession.flush()
        assert len(dossier.transitions) == 1  # only the registration


def test_refusal_names_the_allowed_steps_with_the_orders_names(order, tenant_env):
    with tenant_env(order) as env:
        env.tenant.preferences = {procedures.STATE_LABELS_PREFERENCE: {"ARCHIVIATA": "Chiusa senza seguito"}}
        dossier = open_dossier(env)
        with pytest.raises(lifecycle.TransitionRefused) as refused:
            lifecycle.move(env, dossier, "DEPOSITATO")
    assert refused.value.message == (
        "Dallo stato «Istanza ricevuta» non si può passare a «Depositato in tribunale»: i passaggi ammessi sono "
        "«Istruttoria della segreteria», «Chiusa senza seguito».")
    with pytest.raises(lifecycle.TransitionRefused, match="non esiste"):
        with tenant_env(order) as env:
            lifecycle.move(env, reload(env, dossier.id), "INVENTATO")


def missing_for(env, dossier, state):
    with pytest.raises(lifecycle.TransitionRefused) as refused:
        lifecycle.move(env, dossier, state)
    option = {o.state: o for o in lifecycle.available_transitions(env.dbsession, dossier)}[state]
    assert list(option.missing) == [item for item in refused.value.missing if item != "il motivo del passaggio"]
    return refused.value.missing


def test_guards_list_exactly_what_is_missing(order, tenant_env):
    with tenant_env(order) as env:
        db = env.dbsession
        dossier = open_dossier(env, debtor={"person_kind": "fisica", "last_name": "Verdi", "first_name": "Anna"})
        assert missing_for(env, dossier, "ISTRUTTORIA_SEGRETERIA") == [
            "almeno un debitore con codice fiscale o partita IVA (scheda Parti)"]
        dossier.debtors[0].partita_iva = VAT_NUMBER
        lifecycle.move(env, dossier, "ISTRUTTORIA_SEGRETERIA")
        lifecycle.move(env, dossier, "PREVENTIVO_EMESSO")

        assert missing_for(env, dossier, "INCARICO_CONFERITO") == [
            "la data di conferimento dell'incarico all'OCC da parte del debitore (Modifica dati)"]
        dossier.incarico_accepted_on = date(2025, 3, 20)
        lifecycle.move(env, dossier, "INCARICO_CONFERITO")

        assert missing_for(env, dossier, "GESTORE_NOMINATO") == [
            "la nomina di un gestore (scheda Gestore)",
            "la dichiarazione del referente sull'assenza di conflitti di interesse dell'OCC (scheda Gestore)"]
        declined = appoint(db, dossier, declined_at=datetime.now(timezone.utc))
        ended = appoint(db, dossier, last_name="Gialli",
                        ended_at=datetime.now(timezone.utc))
        assert declined.gestore_id != ended.gestore_id
        assert missing_for(env, dossier, "GESTORE_NOMINATO")[0] == "la nomina di un gestore (scheda Gestore)"
        pending = appoint(db, dossier, accepted=False, independent=False, last_name="Bruni")
        dossier.referente_declaration_at = datetime.now(timezone.utc)
        assert missing_for(env, dossier, "GESTORE_NOMINATO") == [
            "per il gestore Bruni Paolo: l'accettazione dell'incarico e la dichiarazione di indipendenza"]
        pending.accepted_at = datetime.now(timezone.utc)
        assert missing_for(env, dossier, "GESTORE_NOMINATO") == [
            "per il gestore Bruni Paolo: la dichiarazione di indipendenza"]
        pending.independence_declared_at = datetime.now(timezone.utc)
        lifecycle.move(env, dossier, "GESTORE_NOMINATO")
        lifecycle.move(env, dossier, "ISTRUTTORIA_GESTORE")

        report = file_report(db, dossier, withdrawn_at=datetime.now(timezone.utc), withdrawn_reason="Sostituita")
        assert report.id
        other_category = file_report(db, dossier)
        other_category.category = "elenco_creditori"
        assert missing_for(env, dossier, "RELAZIONE_REDATTA") == [
            "la relazione del gestore nel fascicolo (scheda Documenti)"]
        file_report(db, dossier)
        lifecycle.move(env, dossier, "RELAZIONE_REDATTA")

        assert missing_for(env, dossier, "DEPOSITATO") == ["il tribunale competente (Modifica dati)"]
        dossier.court = "Tribunale di Monza"
        lifecycle.move(env, dossier, "DEPOSITATO")
        assert missing_for(env, dossier, "INAMMISSIBILE") == ["il motivo del passaggio"]
        lifecycle.move(env, dossier, "INAMMISSIBILE", "  Difetto di meritevolezza  ")
        assert (dossier.outcome, dossier.closed, dossier.outcome_notes) == ("INAMMISSIBILE", True,
                                                                           "Difetto di meritevolezza")


def test_archiving_needs_a_reason_and_closes_the_dossier(order, tenant_env):
    with tenant_env(order) as env:
        dossier = open_dossier(env)
        assert {o.state: o.needs_reason for o in lifecycle.available_transitions(env.dbsession, dossier)} == {
            "ISTRUTTORIA_SEGRETERIA": False, "ARCHIVIATA": True}
        assert missing_for(env, dossier, "ARCHIVIATA") == ["il motivo del passaggio"]
        with pytest.raises(lifecycle.TransitionRefused, match="al massimo 2000 caratteri"):
            lifecycle.move(env, dossier, "ARCHIVIATA", "x" * 2001)
        assert (dossier.state, dossier.closed, dossier.outcome) == ("ISTANZA_RICEVUTA", False, "")
        lifecycle.move(env, dossier, "ARCHIVIATA", "Rinuncia del debitore")
        assert (dossier.state, dossier.closed, dossier.outcome) == ("ARCHIVIATA", True, "ARCHIVIATA")


def test_a_stale_move_is_refused(order, tenant_env):
    """Two users look at the same dossier; the second one's click must not move it again."""
    with tenant_env(order) as env:
        dossier_id = open_dossier(env).id
    with tenant_env(order) as env:
        lifecycle.move(env, reload(env, dossier_id), "ISTRUTTORIA_SEGRETERIA")
    with tenant_env(order) as env:
        with pytest.raises(lifecycle.TransitionRefused, match="Nel frattempo"):
            lifecycle.move(env, reload(env, dossier_id), "ARCHIVIATA", "Doppio clic", expected_from="ISTANZA_RICEVUTA")


def test_each_move_is_recorded_audited_and_announced_after_commit(order, tenant_env, dbtx, events):
    with tenant_env(order) as env:
        dossier = open_dossier(env)
        dossier_id = dossier.id
        assert events == []  # not before the commit
    assert [(e.name, e.subject_id, e.data["reference"]) for e in events] == [
        ("dossier.opened", str(dossier_id), dossier.reference)]
    with tenant_env(order) as env:
        lifecycle.move(env, reload(env, dossier_id), "ISTRUTTORIA_SEGRETERIA", "Documenti completi")
    changed = events[-1]
    assert (changed.name, changed.tenant_id) == ("dossier.state_changed", order.id)
    assert (changed.data["from"], changed.data["to"]) == ("ISTANZA_RICEVUTA", "ISTRUTTORIA_SEGRETERIA")
    with pytest.raises(RuntimeError):
        with tenant_env(order) as env:
            lifecycle.move(env, reload(env, dossier_id), "PREVENTIVO_EMESSO")
            raise RuntimeError("rolled back")
    assert len(events) == 2  # nothing announced for the rolled-back move
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        assert dossier.state == "ISTRUTTORIA_SEGRETERIA"
        assert [(t.from_state, t.to_state, t.reason) for t in dossier.transitions] == [
            ("", "ISTANZA_RICEVUTA", "Registrazione dell'istanza"),
            ("ISTANZA_RICEVUTA", "ISTRUTTORIA_SEGRETERIA", "Documenti completi")]
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.state_changed")).all()
        assert [(a.object_id, a.details["from_state"], a.details["to_state"]) for a in audited] == [
            (str(dossier_id), "ISTANZA_RICEVUTA", "ISTRUTTORIA_SEGRETERIA")]
