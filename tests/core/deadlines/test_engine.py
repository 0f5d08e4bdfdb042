"""The engine: dated acts of a dossier (state moves, agenda events, milestones) create its deadlines once,
chained and recurring rules follow, moved and cancelled events and closed dossiers keep the list right."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from occ_core.clock import today
from occ_core.deadlines import catalogue, preferences, queries, services
from occ_core.deadlines.models import Deadline, DeadlineRule, Milestone
from occ_core.dossiers import lifecycle
from occ_core.dossiers.models import Transition
from occ_core.errors import UserError
from occ_core.testing.factories import make_tenant

from .conftest import add_dossier, deadlines_of

L3 = "accordo_composizione"


def hearing(env, dossier, on, event_id=7):
    """What the agenda does when a hearing of the dossier is saved, moved (``on``) or cancelled (None)."""
    env.hooks.occ_dossier_act(env=env, dossier=dossier, kind="evento", name="udienza", on=on, ref=f"event:{event_id}")


def test_rules_are_seeded_for_a_new_order_and_never_twice(order, dbtx, pm):
    with dbtx(order) as db:
        codes = set(db.scalars(select(DeadlineRule.code)))
        assert codes == {rule.code for rule in catalogue.BUILTIN}
        assert {"D21", "D22"}.isdisjoint(codes) and {"D1", "D16", "D16B", "D20"} <= codes
        d3 = db.scalar(select(DeadlineRule).where(DeadlineRule.code == "D3"))
        d3.amount = 25
        db.delete(db.scalar(select(DeadlineRule).where(DeadlineRule.code == "D20")))
    with dbtx(order) as db:
        assert catalogue.ensure_rules(db, order) == 1  # only the missing one comes back
        assert catalogue.ensure_rules(db, order) == 0
        assert db.scalar(select(DeadlineRule.amount).where(DeadlineRule.code == "D3")) == 25
    with dbtx() as db:
        other = make_tenant(db, pm, "cuneo")
    with dbtx(other) as db:
        assert db.scalar(select(func.count(DeadlineRule.id))) == len(catalogue.BUILTIN)


def test_a_state_reached_creates_its_deadlines_once(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order)
        transition = lifecycle.move(env, dossier, "DECRETO_AMMISSIBILITA", effective_on=date(2025, 4, 1))
        assert transition.effective_on == date(2025, 4, 1)
        # The hook called again for the same act (a retry) adds nothing.
        env.hooks.occ_dossier_act(env=env, dossier=dossier, kind="stato", name="DECRETO_AMMISSIBILITA",
                                  on=date(2025, 4, 1), ref=f"transition:{transition.id}")
        found = deadlines_of(env.dbsession, dossier)
        assert list(found) == ["D3"] and len(found["D3"]) == 1
        d3 = found["D3"][0]
        assert (d3.trigger_on, d3.due_on, d3.who, d3.trigger_ref) == (
            date(2025, 4, 1), date(2025, 5, 2), "occ", f"transition:{transition.id}")
        assert "01/05/2025 Festa del Lavoro: prorogato al 02/05/2025" in d3.computation


def test_a_move_without_a_date_counts_from_today_and_a_future_date_is_refused(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order)
        with pytest.raises(lifecycle.TransitionRefused, match="successiva a oggi"):
            lifecycle.move(env, dossier, "DECRETO_AMMISSIBILITA", effective_on=today() + timedelta(days=1))
        assert dossier.state == "DEPOSITATO"
        lifecycle.move(env, dossier, "DECRETO_AMMISSIBILITA")
        assert deadlines_of(env.dbsession, dossier)["D3"][0].trigger_on == today()


def test_chained_rule_runs_from_the_end_of_its_parent(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order, state="DECRETO_AMMISSIBILITA")
        lifecycle.move(env, dossier, "COMUNICAZIONE_CREDITORI", effective_on=date(2025, 5, 1))
        found = deadlines_of(env.dbsession, dossier)
        d4, d5 = found["D4"][0], found["D5"][0]
        assert (d4.due_on, d4.who) == (date(2025, 5, 21), "creditori")
        assert (d5.trigger_ref, d5.trigger_on, d5.due_on) == (f"deadline:{d4.id}", date(2025, 5, 21), date(2025, 6, 3))


def test_recurring_report_every_six_months_from_the_omologa(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order, state="RELAZIONE_OCC_POST_OSSERVAZIONI")
        lifecycle.move(env, dossier, "OMOLOGATO", effective_on=date(2025, 1, 31))
        first = deadlines_of(env.dbsession, dossier)["D6"][0]
        assert first.due_on == date(2025, 7, 31)
        second = services.mark_done(env, first, "Relazione depositata")
        assert (first.done_note, second.label) == ("Relazione depositata", f"{first.label} (n. 2)")
        # Twelve months from the omologa: Saturday 31 January 2026, so Monday 2 February.
        assert second.due_on == date(2026, 2, 2)
        assert second.trigger_on == date(2025, 1, 31) and second.trigger_ref == f"deadline:{first.id}"
        assert any("2ª scadenza, 12 mesi dal 31/01/2025" in step for step in second.computation)
        third = services.mark_done(env, second, "")
        assert third.due_on == date(2026, 7, 31)  # no drift from the clamped or moved dates before
        with pytest.raises(UserError, match="già segnata come fatta"):
            services.mark_done(env, second, "")
        services.reopen(env, second)
        assert second.done_at is None
        services.mark_done(env, second, "")  # done again: the third occurrence is not made twice
        assert len(deadlines_of(env.dbsession, dossier)["D6"]) == 3


def test_hearing_event_gives_backward_terms_that_follow_it(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order, L3, "DECRETO_UDIENZA", filed_on=date(2020, 11, 2))
        hearing(env, dossier, date(2021, 3, 16))
        found = deadlines_of(env.dbsession, dossier)
        d16, d16b = found["D16"][0], found["D16B"][0]
        assert (d16.due_on, d16b.due_on) == (date(2021, 3, 6), date(2021, 2, 4))  # occ-law.md T6
        # The hearing moves: both follow, once.
        hearing(env, dossier, date(2021, 3, 30))
        assert (d16.due_on, d16b.due_on) == (date(2021, 3, 20), date(2021, 2, 18))
        assert len(deadlines_of(env.dbsession, dossier)["D16"]) == 1
        # A done deadline records what happened: it does not move any more.
        services.mark_done(env, d16b, "Comunicazione inviata via PEC")
        hearing(env, dossier, date(2021, 4, 13))
        assert (d16.due_on, d16b.due_on) == (date(2021, 4, 3), date(2021, 2, 18))
        # Cancelled: the open one is cancelled, the done one stays; scheduled again, it comes back.
        hearing(env, dossier, None)
        assert d16.cancelled_reason == "Evento annullato" and d16b.cancelled_at is None
        hearing(env, dossier, date(2021, 4, 13))
        assert d16.cancelled_at is None and d16.due_on == date(2021, 4, 3)


def test_the_order_may_bring_backward_terms_to_the_previous_working_day(order, tenant_env):
    with tenant_env(order) as env:
        preferences.save(env.tenant, preferences.Preferences(backward="anticipato"))
        dossier = add_dossier(env.dbsession, order, L3, "DECRETO_UDIENZA", filed_on=date(2020, 11, 2))
        hearing(env, dossier, date(2021, 3, 16))
        found = deadlines_of(env.dbsession, dossier)
        assert found["D16"][0].due_on == date(2021, 3, 5)
        assert found["D16B"][0].due_on == date(2021, 2, 3)


def test_events_of_other_kinds_and_rules_of_other_procedures_start_nothing(order, tenant_env):
    with tenant_env(order) as env:
        ccii = add_dossier(env.dbsession, order, "concordato_minore", "DECRETO_APERTURA")
        hearing(env, ccii, date(2025, 3, 16))
        env.hooks.occ_dossier_act(env=env, dossier=ccii, kind="evento", name="incontro_debitore",
                                  on=date(2025, 3, 1), ref="event:9")
        assert deadlines_of(env.dbsession, ccii) == {}
        l3 = add_dossier(env.dbsession, order, "liquidazione_patrimonio", "DEPOSITATO", filed_on=date(2021, 6, 1))
        lifecycle.move(env, l3, "DECRETO_APERTURA", effective_on=date(2021, 7, 1))
        lifecycle.move(env, ccii, "COMUNICAZIONE_CREDITORI", effective_on=date(2025, 4, 1))
        assert deadlines_of(env.dbsession, l3) == {}  # D7 is for the concordato minore only


def test_l3_dossier_pending_in_2022_keeps_the_august_suspension(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order, "liquidazione_patrimonio", "DECRETO_APERTURA",
                              filed_on=date(2021, 6, 1))
        lifecycle.move(env, dossier, "INVENTARIO", effective_on=date(2022, 7, 20))
        d20 = deadlines_of(env.dbsession, dossier)["D20"][0]
        assert d20.due_on == date(2022, 9, 19)  # 30 + 31 days: Sunday 18 September -> Monday 19
        assert "sospensione feriale dal 01/08/2022 al 31/08/2022: +31 giorni" in d20.computation


def test_a_milestone_starts_its_terms(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order, state="GESTORE_NOMINATO")
        milestone = services.record_milestone(env, dossier, {"kind": "NOTIFICA_UFFICI", "on": "10/03/2025",
                                                             "note": "PEC agli uffici"})
        d2 = deadlines_of(env.dbsession, dossier)["D2"][0]
        assert (d2.trigger_ref, d2.due_on, d2.who) == (f"milestone:{milestone.id}", date(2025, 3, 25), "uffici")
        for data, message in (({"kind": "INVENTATO", "on": "2025-03-10"}, "Atto: scelta non valida"),
                              ({"kind": "NOTIFICA_UFFICI", "on": "31/02/2025"}, "non è valida"),
                              ({"kind": "NOTIFICA_UFFICI", "on": ""}, "indicare la data"),
                              ({"kind": "NOTIFICA_UFFICI", "on": (today() + timedelta(days=2)).isoformat()},
                               "successiva a oggi")):
            with pytest.raises(UserError, match=message):
                services.record_milestone(env, dossier, data)
        assert env.dbsession.scalar(select(func.count(Milestone.id))) == 1


def test_a_closed_dossier_has_no_open_deadlines(order, tenant_env):
    with tenant_env(order) as env:
        db = env.dbsession
        dossier = add_dossier(db, order, state="DECRETO_AMMISSIBILITA")
        lifecycle.move(env, dossier, "COMUNICAZIONE_CREDITORI", effective_on=date(2025, 5, 1))
        d4 = deadlines_of(db, dossier)["D4"][0]
        services.mark_done(env, d4, "")
        dossier.state = "RELAZIONE_OCC_POST_OSSERVAZIONI"
        lifecycle.move(env, dossier, "NON_OMOLOGATO", "Il tribunale non ha omologato il piano")
        d5 = deadlines_of(db, dossier)["D5"][0]
        assert d5.cancelled_reason == "Pratica chiusa: Non omologato"
        assert d4.done_at is not None and d4.cancelled_at is None
        assert queries.overdue(db, date(2030, 1, 1)) == [] and queries.open_deadlines(db) == []
        with pytest.raises(UserError, match="chiusa"):
            services.add_manual(env, dossier, {"label": "Altro", "due_on": "2025-12-01", "who": "occ"})


def test_rules_edited_or_switched_off_apply_to_new_acts(order, tenant_env):
    with tenant_env(order) as env:
        db = env.dbsession
        d3 = db.scalar(select(DeadlineRule).where(DeadlineRule.code == "D3"))
        services.update_rule(env, d3, {"amount": 20, "active": True})
        first = add_dossier(db, order)
        lifecycle.move(env, first, "DECRETO_AMMISSIBILITA", effective_on=date(2025, 4, 1))
        assert deadlines_of(db, first)["D3"][0].due_on == date(2025, 4, 22)  # 21 April: Easter Monday
        services.update_rule(env, d3, {"active": False})
        second = add_dossier(db, order)
        lifecycle.move(env, second, "DECRETO_AMMISSIBILITA", effective_on=date(2025, 4, 1))
        assert deadlines_of(db, second) == {}
        services.restore_rule(env, d3)
        assert (d3.amount, d3.active) == (30, True)


def test_manual_deadlines(order, tenant_env):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order)
        first = services.add_manual(env, dossier, {"label": "Memoria integrativa", "due_on": "2025-09-15",
                                                   "who": "gestore"})
        second = services.add_manual(env, dossier, {"label": "Udienza di rinvio", "due_on": "16/09/2025",
                                                    "who": "tribunale"})
        assert (first.trigger_ref, second.trigger_ref) == ("manuale:1", "manuale:2")
        assert second.due_on == date(2025, 9, 16) and first.rule_id is None
        for data, message in (({"label": "", "due_on": "2025-09-15", "who": "occ"}, "Descrizione"),
                              ({"label": "X", "due_on": "domani", "who": "occ"}, "non è valida"),
                              ({"label": "X", "due_on": "2025-09-15", "who": "nessuno"}, "Chi deve agire"),
                              ({"label": "X" * 201, "due_on": "2025-09-15", "who": "occ"}, "200 caratteri")):
            with pytest.raises(UserError, match=message):
                services.add_manual(env, dossier, data)
        assert env.dbsession.scalar(select(func.count(Deadline.id))) == 2


def test_queries_for_the_agenda(order, tenant_env, dbtx, pm):
    day = date(2025, 6, 10)
    with tenant_env(order) as env:
        db = env.dbsession
        dossier = add_dossier(db, order)
        rows = {label: services.add_manual(env, dossier, {"label": label, "due_on": due.isoformat(), "who": "occ"})
                for label, due in (("scaduta", day - timedelta(days=1)), ("oggi", day),
                                   ("fra sette", day + timedelta(days=7)), ("fra otto", day + timedelta(days=8)))}
        done = services.add_manual(env, dossier, {"label": "fatta", "due_on": day.isoformat(), "who": "occ"})
        services.mark_done(env, done, "")
        dal = services.add_manual(env, dossier, {"label": "dal", "due_on": day.isoformat(), "who": "tribunale"})
        dal.kind = "dal"
        db.flush()
        assert [d.label for d in queries.overdue(db, day)] == ["scaduta"]
        assert [d.label for d in queries.due_soon(db, day, 7)] == ["oggi", "fra sette"]
        assert [d.label for d in queries.open_deadlines(db, day, day + timedelta(days=8))] == [
            "oggi", "dal", "fra sette", "fra otto"]
        assert {label: queries.status_of(d, day) for label, d in rows.items()} == {
            "scaduta": "scaduta", "oggi": "in_scadenza", "fra sette": "in_scadenza", "fra otto": "aperta"}
        assert queries.status_of(done, day) == "fatta" and queries.status_of(dal, day) == "decorsa"
        assert queries.status_of(dal, day - timedelta(days=1)) == "aperta"
        assert queries.open_deadlines(db)[0].dossier.reference == dossier.reference
    with dbtx() as db:
        other = make_tenant(db, pm, "asti")
    with dbtx(other) as db:
        assert queries.open_deadlines(db) == [] and queries.overdue(db, day) == []


def test_the_transition_keeps_the_act_date(order, tenant_env, dbtx):
    with tenant_env(order) as env:
        dossier = add_dossier(env.dbsession, order)
        lifecycle.move(env, dossier, "DECRETO_AMMISSIBILITA", effective_on=date(2025, 4, 1))
    with dbtx(order) as db:
        assert db.scalar(select(Transition.effective_on)) == date(2025, 4, 1)
