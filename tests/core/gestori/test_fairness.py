"""Rotation over many simulated appointments stays fair.

The bound: each proposal goes to the eligible gestore with the least load (min), and a dossier weighs at
most W. After the appointment the new maximum is at most max(old max, min + W) and the new minimum is
at least the old one, so max - min <= max(old spread, W): starting from 0, the spread never exceeds W.
With the default weights W = 3 (passivo over 500.000) + 1 (more than 25 creditors) = 4; counted raw,
every dossier weighs 1. The test checks the bound after every one of 300 appointments."""
import random
from dataclasses import replace
from decimal import Decimal

import pytest

from occ_core.clock import today
from occ_core.gestori import services
from occ_core.gestori.policy import PREFERENCE, Policy
from occ_core.gestori.screening import loads
from occ_core.tenants.models import Tenant

GESTORI = 10


@pytest.mark.parametrize("rotation, dossiers", [("weighted", 300), ("raw", 120)])
def test_rotation_spreads_the_load_evenly(dbtx, order, make_gestore, make_dossier, rotation, dossiers):
    policy = replace(Policy(), rotation=rotation)
    with dbtx() as db:
        db.get(Tenant, order.tenant.id).preferences = {PREFERENCE: policy.as_preference()}
    rng = random.Random(2026)
    referente = order.ids["referente"]
    with dbtx(order.tenant) as db:
        tenant = db.get(Tenant, order.tenant.id)
        gestori = [make_gestore(db, tenant, f"Gestore{chr(65 + n)}", "Prova").id for n in range(GESTORI)]
        # Not eligible: never proposed, so never loaded.
        make_gestore(db, tenant, "Sospeso", "Prova", status="sospeso", status_reason="Disciplinare")
    weights = []
    for _ in range(dossiers):
        # One transaction per dossier, as the referente's requests would be.
        with dbtx(order.tenant) as db:
            dossier = make_dossier(db, tenant, passivo=Decimal(rng.choice([20_000, 90_000, 300_000, 2_000_000])))
            dossier.creditor_count = rng.choice([3, 15, 60])
            services.declare_no_conflict(db, tenant, dossier, referente)
            proposal = services.propose(db, tenant, dossier, referente, today())
            [appointment] = services.appoint(db, tenant, dossier, [proposal.proposed.gestore.id], referente, today())
            weights.append(appointment.weight)
            counted = loads(db, tenant.id)
            by_gestore = [counted.get(g, (0, Decimal("0")))[0 if rotation == "raw" else 1] for g in gestori]
            assert max(by_gestore) - min(by_gestore) <= (1 if rotation == "raw" else policy.max_weight)
    with dbtx(order.tenant) as db:
        assert len(set(weights)) == 7  # every sum of a passivo bracket (1; 1,5; 2; 3) and a creditor one (0; 0,5; 1)
        assert policy.max_weight == Decimal("4")
        counted = loads(db, tenant.id)
        assert set(counted) == set(gestori)
        assert sum(count for count, _ in counted.values()) == dossiers
        assert sum(total for _, total in counted.values()) == sum(weights)


def test_weighted_rotation_balances_work_that_raw_counting_does_not(dbtx, order, make_gestore, make_dossier):
    """Two gestori, alternating heavy (4) and light (1) dossiers: counted raw, one gets every heavy one."""
    referente = order.ids["referente"]
    spreads = {}
    for rotation in ("raw", "weighted"):
        with dbtx() as db:
            db.get(Tenant, order.tenant.id).preferences = {PREFERENCE: replace(Policy(), rotation=rotation).as_preference()}
        with dbtx(order.tenant) as db:
            tenant = db.get(Tenant, order.tenant.id)
            pair = [make_gestore(db, tenant, f"{rotation}{n}", "Prova") for n in range(2)]
            for n in range(20):
                heavy = n % 2 == 0
                dossier = make_dossier(db, tenant, passivo=Decimal(2_000_000 if heavy else 10_000))
                dossier.creditor_count = 60 if heavy else 1
                services.declare_no_conflict(db, tenant, dossier, referente)
                proposal = services.propose(db, tenant, dossier, referente, today())
                services.appoint(db, tenant, dossier, [proposal.proposed.gestore.id], referente, today())
            counted = loads(db, tenant.id)
            totals = [counted[g.id][1] for g in pair]
            spreads[rotation] = max(totals) - min(totals)
            for gestore in pair:  # out of the way of the next round
                gestore.status, gestore.status_reason = "cancellato", "Fine della prova"
    assert spreads["raw"] == Decimal("30")  # 10 heavy (4) to one, 10 light (1) to the other
    assert spreads["weighted"] <= Decimal("4")
