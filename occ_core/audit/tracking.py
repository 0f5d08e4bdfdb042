"""Automatic audit of every change to rows whose class sets ``__audited__ = True``.

Hooked on the session factory, so that a change is audited whatever path made it: a form, the CSV
import, the JSON API or a module's approval."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, inspect, insert

from occ_core.audit.models import AuditEntry
from occ_core.db import utcnow


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} byte>"
    return value


def _changes(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes() and attr.key not in ("updated_at",):
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[attr.key] = [_plain(old), _plain(new)]
    return changes


def _object_id(obj) -> str:
    # A new row gets its identity key only after this event, but its primary key is already set.
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return "" if None in values else ":".join(str(value) for value in values)


def _record_changes(session, flush_context):
    request = session.info.get("request")
    # Read the identity only if the request already resolved it: a query here would re-enter the flush.
    user = request.__dict__.get("identity") if request is not None else None
    rows = []
    for kind, objects in (("created", session.new), ("updated", session.dirty), ("deleted", session.deleted)):
        for obj in objects:
            if not getattr(obj, "__audited__", False):
                continue
            changes = _changes(obj) if kind != "deleted" else {}
            if kind == "updated" and not changes:
                continue
            rows.append({
                "tenant_id": getattr(obj, "tenant_id", None),
                "user_id": user.id if user is not None else None,
                "action": f"{obj.__tablename__}.{kind}",
                "object_type": type(obj).__name__,
                "object_id": _object_id(obj),
                "details": session.info.get("audit_details", {}) | {"changes": changes},
                "ip": (request.client_addr or "") if request is not None else "",
                "at": utcnow(),
            })
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def includeme(config):
    event.listen(config.registry["db.session_factory"], "after_flush", _record_changes)
