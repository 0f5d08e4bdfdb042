"""The page of the daily protocol registers, and the download of their PDF and CSV (each download audited)."""
from __future__ import annotations

import logging
from datetime import date

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import FileIter, Response
from pyramid.view import view_config
from sqlalchemy import func, select

from occ_core.audit.services import audit
from occ_core.deadlines.calendar import long_date
from occ_core.documents.services import content_disposition
from occ_core.documents.storage import MissingContent
from occ_core.protocol.daily import TITLE
from occ_core.protocol.models import DailyRegister, ProtocolRegister
from occ_core.protocol.numbering import format_number
from occ_core.protocol.services import VIEW
from occ_core.web import ui

log = logging.getLogger(__name__)
TEMPLATE = "occ_core:protocol/templates/daily.pt"
FILES = {"pdf": ("application/pdf", "pdf_sha256"), "csv": ("text/csv", "csv_sha256")}
PER_PAGE = 31


def includeme(config):
    config.add_tenant_route("protocol_daily", "/protocol/daily")
    config.add_tenant_route("protocol_daily_file", r"/protocol/daily/{id:\d{1,9}}/{kind:pdf|csv}")
    config.scan("occ_core.protocol.daily_views")


def number_range(row: DailyRegister) -> str:
    if row.first_number is None:
        return "nessuna registrazione"
    if row.first_number == row.last_number:
        return f"n. {format_number(row.first_number)}"
    return f"dal n. {format_number(row.first_number)} al n. {format_number(row.last_number)}"


@view_config(route_name="protocol_daily", request_method="GET", renderer=TEMPLATE, permission=VIEW)
def daily_registers(request):
    db = request.dbsession
    first, last = db.execute(select(func.min(DailyRegister.day), func.max(DailyRegister.day))).one()
    years = list(range(last.year, first.year - 1, -1)) if first else []
    statement = (select(DailyRegister, ProtocolRegister.code)
                 .join(ProtocolRegister, ProtocolRegister.id == DailyRegister.register_id)
                 .order_by(DailyRegister.day.desc(), ProtocolRegister.code))
    chosen, error = request.GET.get("year", ""), None
    if chosen:
        if chosen.isdecimal() and int(chosen) in years:
            year = int(chosen)
            statement = statement.where(DailyRegister.day >= date(year, 1, 1), DailyRegister.day <= date(year, 12, 31))
        else:
            error, chosen = "Scelga un anno dall'elenco: sono mostrati i registri di tutti gli anni.", ""
            request.response.status = 400
    return {"page_title": "Registri giornalieri di protocollo", "title": TITLE, "years": years, "year": chosen,
            "error": error, "pager": ui.paginate(request, statement, PER_PAGE), "pagination": ui.pagination_macro(),
            "long_date": long_date, "number_range": number_range,
            "protocol_url": request.route_url("protocol", tenant=request.tenant.slug),
            "file_url": lambda row, kind: request.route_url("protocol_daily_file", tenant=request.tenant.slug,
                                                            id=row.id, kind=kind)}


@view_config(route_name="protocol_daily_file", request_method="GET", permission=VIEW)
def daily_register_file(request):
    row = request.dbsession.scalar(select(DailyRegister).where(DailyRegister.id == int(request.matchdict["id"])))
    if row is None:
        raise HTTPNotFound()
    kind = request.matchdict["kind"]
    media_type, column = FILES[kind]
    digest = getattr(row, column)
    storage = request.document_storage
    try:
        size, stream = storage.size(digest), storage.open(digest)
    except (MissingContent, ValueError):
        log.error("the %s of daily protocol register %s (%s) is missing from the storage", kind, row.id, digest)
        raise HTTPNotFound()
    response = Response(app_iter=FileIter(stream), content_type=media_type, content_length=size)
    if kind == "csv":
        response.charset = "utf-8"
    identifier = (row.details or {}).get("identifier") or f"registro-giornaliero-{row.day:%Y%m%d}"
    response.content_disposition = content_disposition("attachment", f"{identifier}.{kind}")
    response.cache_control = "private, no-store"
    audit(request, "protocol.daily_register_downloaded", object_type="DailyRegister", object_id=row.id,
          details={"day": row.day.isoformat(), "file": kind, "sha256": digest, "identifier": identifier})
    return response
