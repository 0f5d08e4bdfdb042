"""The demo Order's estimates: a saved preventivo on about a third of the demo dossiers with attivo or passivo,
made through the real service; safe to run again (a dossier with an estimate gets no other)."""
from __future__ import annotations

from sqlalchemy import or_, select

from occ_core.accounts.services import user_by_email
from occ_core.dossiers.models import Dossier
from occ_core.fees import inputs, services
from occ_core.fees.models import FeeEstimate

SHARE = 3  # one dossier in three
PROPOSALS = ("medio", "minimo", "medio", "massimo")


def load_demo(db, tenant) -> list[str]:
    from occ_core.demo import DEMO_USERS

    env = services.Env(db, tenant, user_by_email(db, DEMO_USERS["segreteria"][0]))
    estimated = select(FeeEstimate.dossier_id)
    dossiers = db.scalars(select(Dossier).where(Dossier.tenant_id == tenant.id,
                                                or_(Dossier.attivo.is_not(None), Dossier.passivo_declared.is_not(None)))
                          .order_by(Dossier.id))
    saved = 0
    for position, dossier in enumerate(dossiers):
        if position % SHARE or db.scalar(estimated.where(FeeEstimate.dossier_id == dossier.id).limit(1)):
            continue
        raw = {**services.dossier_defaults(dossier), "proposed": PROPOSALS[saved % len(PROPOSALS)],
               "reading": "range" if saved % 2 else "single"}
        services.save_estimate(env, dossier, inputs.read(raw, tenant), "Preventivo iniziale (dati dichiarati).")
        saved += 1
    return [f"Preventivi dei compensi: {saved} salvati sulle pratiche dimostrative."] if saved else []
