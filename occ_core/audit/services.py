from __future__ import annotations

from occ_core.audit.models import AuditEntry


def record(db, action: str, *, tenant_id=None, user_id=None, object_type="", object_id="", details=None, ip=""):
    entry = AuditEntry(tenant_id=tenant_id, user_id=user_id, action=action, object_type=object_type,
                       object_id=str(object_id or ""), details=details or {}, ip=ip or "")
    db.add(entry)
    return entry


def audit(request, action: str, *, object_type="", object_id="", details=None, tenant=None, user=None):
    """Record an action of the current request's user in the current Order; ``request`` may also be a
    service environment of a task or script (no client address then)."""
    tenant = tenant if tenant is not None else getattr(request, "tenant", None)
    user = user if user is not None else request.identity
    return record(
        request.dbsession, action,
        tenant_id=tenant.id if tenant is not None else None,
        user_id=user.id if user is not None else None,
        object_type=object_type, object_id=object_id, details=details,
        ip=getattr(request, "client_addr", "") or "",
    )
