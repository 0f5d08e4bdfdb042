"""What every change to a dossier leaves behind: the audit entry and the after-commit domain event.

Services take ``env``: a request, or a Celery task's ``TaskEnv`` (which has no user and no address), so the
same rules apply to the screens, the JSON API and background work."""
from __future__ import annotations

from occ_core.audit.services import audit, record
from occ_core.dossiers.models import Dossier
from occ_core.events import DomainEvent, emit


def actor_id(env) -> int | None:
    user = getattr(env, "identity", None)
    return user.id if user is not None else None


def record_action(env, dossier: Dossier, action: str, **details) -> None:
    record(env.dbsession, action, tenant_id=dossier.tenant_id, user_id=actor_id(env), object_type="Dossier",
           object_id=dossier.id, details=details, ip=getattr(env, "client_addr", "") or "")


def announce(env, dossier: Dossier, name: str, **data) -> None:
    """Tell the modules about ``name`` once the transaction commits (never for a rolled-back one)."""
    emit(env.tm, env.hooks, DomainEvent(name, dossier.tenant_id, "Dossier", str(dossier.id),
                                        {"reference": dossier.reference, **data}))


def audit_read(request, dossier: Dossier, page: str) -> None:
    """Every read of a debtor's file is audited (who, when, which page, from where)."""
    audit(request, "dossier.viewed", object_type="Dossier", object_id=dossier.id, details={"page": page})
