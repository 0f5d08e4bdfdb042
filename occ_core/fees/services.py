"""Saving fee estimates on a dossier, as numbered versions with their inputs and their result.

Services take ``env``: a request, or any object with ``dbsession``, ``tenant`` and ``identity`` (the demo data,
scripts), so the screens, the JSON API and the demo save estimates the same way."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from occ_core.dossiers.actions import actor_id, record_action
from occ_core.dossiers.models import Dossier
from occ_core.fees.inputs import Request
from occ_core.fees.models import FeeEstimate

VIEW, CREATE, SETTINGS = "fees:estimate:view", "fees:estimate:create", "fees:settings:edit"
LIQUIDATIONS = ("liquidazione_controllata", "liquidazione_patrimonio")
INCAPIENTE = ("esdebitazione_incapiente",)
NOTES_LIMIT = 2000


@dataclass(frozen=True)
class Env:
    """What the services need outside a request: the demo data, scripts, benchmarks."""
    dbsession: object
    tenant: object
    identity: object | None = None


def dossier_defaults(dossier: Dossier) -> dict:
    """The inputs an estimate of ``dossier`` starts from: its attivo and passivo, and the liquidation or
    incapiente case its procedure implies."""
    return {"attivo": str(dossier.attivo or Decimal("0")), "passivo": str(dossier.passivo or Decimal("0")),
            "liquidation": dossier.procedure in LIQUIDATIONS, "incapiente": dossier.procedure in INCAPIENTE}


def save_estimate(env, dossier: Dossier, request: Request, notes: str = "") -> FeeEstimate:
    """A new version of ``dossier``'s estimate: ``request`` as ``occ_core.fees.inputs.read`` computed it."""
    db = env.dbsession
    result = request.result
    # Two users saving at once must not both take the same version number.
    db.scalar(select(Dossier.id).where(Dossier.id == dossier.id).with_for_update())
    version = (db.scalar(select(func.max(FeeEstimate.version)).where(FeeEstimate.dossier_id == dossier.id)) or 0) + 1
    proposed = result.values[request.proposed]
    estimate = FeeEstimate(tenant_id=dossier.tenant_id, dossier_id=dossier.id, version=version,
                           rules_version=result.rules_version, inputs=request.inputs.as_json(),
                           result=result.as_json(), proposed=request.proposed, proposed_fee=proposed.fee,
                           proposed_total=proposed.total, notes=(notes or "").strip()[:NOTES_LIMIT],
                           created_by_id=actor_id(env))
    db.add(estimate)
    db.flush()
    record_action(env, dossier, "fees.estimate.saved", version=version, proposed=request.proposed,
                  proposed_fee=str(proposed.fee), proposed_total=str(proposed.total))
    return estimate


def estimates_of(dbsession, dossier: Dossier) -> list[FeeEstimate]:
    return list(dbsession.scalars(select(FeeEstimate).where(FeeEstimate.dossier_id == dossier.id)
                                  .order_by(FeeEstimate.version.desc())))


def latest_estimate(dbsession, dossier: Dossier) -> FeeEstimate | None:
    """The dossier's current preventivo: estimates are never edited, the highest version is the one given."""
    return dbsession.scalar(select(FeeEstimate).where(FeeEstimate.dossier_id == dossier.id)
                            .order_by(FeeEstimate.version.desc()).limit(1))


def estimate_version(dbsession, dossier: Dossier, version: int) -> FeeEstimate | None:
    return dbsession.scalar(select(FeeEstimate).where(FeeEstimate.dossier_id == dossier.id,
                                                      FeeEstimate.version == version))
