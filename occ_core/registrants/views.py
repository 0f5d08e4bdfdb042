"""Registry screens: list with search, filters and CSV export; registrant page; create and edit forms."""
from __future__ import annotations

from dataclasses import dataclass

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from occ_core.accounts.models import User
from occ_core.audit.models import AuditEntry
from occ_core.registrants.display import display_value
from occ_core.web import ui
from occ_core.web.forms import posted_all
from shared_registry import services
from shared_registry.fields import FIELDS, label_of
from shared_registry.models import CATEGORIES, STATUSES, Registrant

TEMPLATES = "occ_core:registrants/templates/"
PAGE_SIZE = 25
STATUS_BADGES = {"attivo": "bg-success", "sospeso": "bg-warning text-dark", "cancellato": "bg-secondary"}
# Audit details that say nothing to the secretariat.
TECHNICAL_KEYS = {"id", "tenant_id", "registrant_id", "created_at", "updated_at"}


@dataclass(frozen=True)
class FormField:
    name: str
    input: str = "text"  # text, date, email, tel, select, textarea
    width: str = "col-md-6"
    autocomplete: str = ""

    @property
    def label(self) -> str:
        return FIELDS[self.name].label

    @property
    def options(self) -> dict:
        return {"category": CATEGORIES, "status": STATUSES}.get(self.name, {})


FORM_SECTIONS = (
    ("Dati anagrafici", (
        FormField("last_name", autocomplete="family-name"), FormField("first_name", autocomplete="given-name"),
        FormField("birth_date", "date", "col-md-4"), FormField("birth_place", width="col-md-5"),
        FormField("birth_province", width="col-md-3"),
    )),
    ("Iscrizione all'Albo", (
        FormField("category", "select"), FormField("status", "select"),
        FormField("albo_section", width="col-md-4"), FormField("registration_number", width="col-md-4"),
        FormField("registration_date", "date", "col-md-4"),
        FormField("specialisations", "textarea", "col-12"),
    )),
    ("Recapiti", (
        FormField("email", "email", autocomplete="email"), FormField("pec", "email"),
        FormField("phone", "tel", autocomplete="tel"), FormField("mobile", "tel"),
        FormField("address", width="col-md-6", autocomplete="street-address"),
        FormField("postal_code", width="col-md-2", autocomplete="postal-code"),
        FormField("city", width="col-md-2"), FormField("province", width="col-md-2"),
    )),
)
NEW_CREDIT_ROWS = 2


def _filters(request) -> dict:
    """Search and filters of the list; unknown filter values are ignored rather than refused."""
    return {
        "text": request.GET.get("q", "").strip()[:100],
        "category": request.GET.get("category", "") if request.GET.get("category") in CATEGORIES else "",
        "status": request.GET.get("status", "") if request.GET.get("status") in STATUSES else "",
    }


def _query_of(filters: dict, **changes) -> dict:
    query = {"q": filters["text"], "category": filters["category"], "status": filters["status"], **changes}
    return {key: value for key, value in query.items() if value}


@view_config(route_name="registrants", renderer=TEMPLATES + "list.pt", permission="registry:registrant:view")
def registrant_list(request):
    tenant_id = request.tenant.id
    db = request.dbsession
    filters = _filters(request)
    pager = ui.paginate(request, services.search(db, tenant_id, **filters), per_page=PAGE_SIZE)
    status_counts = services.counts_by(db, tenant_id, "status", filters["text"], filters["category"])
    category_counts = services.counts_by(db, tenant_id, "category", filters["text"], status=filters["status"])

    def url(**changes):
        return request.route_url("registrants", tenant=request.tenant.slug, _query=_query_of(filters, **changes))

    return {
        "page_title": "Iscritti", "pager": pager, "registrants": [row[0] for row in pager.items],
        "filters": filters, "url": url, "status_counts": status_counts, "category_counts": category_counts,
        "categories": CATEGORIES, "statuses": STATUSES, "status_badges": STATUS_BADGES,
        "export_url": request.route_url("registrants_export", tenant=request.tenant.slug, _query=_query_of(filters)),
        "can_edit": request.has_permission("registry:registrant:edit"),
        "can_import": request.has_permission("registry:registrant:import"),
    }


@view_config(route_name="registrants_export", permission="registry:registrant:view")
def registrant_export(request):
    filters = _filters(request)
    query = services.search(request.dbsession, request.tenant.id, **filters).options(selectinload(Registrant.credits))
    return ui.csv_response(services.export_rows(request.dbsession.scalars(query).all()),
                           f"iscritti-{request.tenant.slug}.csv")


def _registrant_or_404(request) -> Registrant:
    registrant = request.dbsession.scalar(
        select(Registrant).options(selectinload(Registrant.credits))
        .where(Registrant.tenant_id == request.tenant.id, Registrant.id == int(request.matchdict["id"]))
    )
    if registrant is None:
        raise HTTPNotFound()
    return registrant


def history_of(request, registrant: Registrant) -> list[dict]:
    """The audit entries of the registrant and of its training credits, newest first, readable."""
    credit_years = {str(credit.id): credit.year for credit in registrant.credits}
    query = (
        select(AuditEntry, User.full_name, User.email)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.tenant_id == request.tenant.id, or_(
            and_(AuditEntry.object_type == "Registrant", AuditEntry.object_id == str(registrant.id)),
            and_(AuditEntry.object_type == "TrainingCredit", AuditEntry.object_id.in_(list(credit_years))),
        ))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(200)
    )
    history = []
    for entry, full_name, email in request.dbsession.execute(query):
        changes = (entry.details or {}).get("changes", {})
        if entry.object_type == "TrainingCredit":
            year = (changes.get("year") or [None, None])[1] or credit_years.get(entry.object_id, "")
            rows = [(label_of(f"credits_{year}"), display_value("credits", old), display_value("credits", new))
                    for key, (old, new) in changes.items() if key == "credits"]
        else:
            rows = [(label_of(key), display_value(key, old), display_value(key, new))
                    for key, (old, new) in changes.items() if key not in TECHNICAL_KEYS]
        history.append({
            "at": entry.at, "who": full_name or email or "Sistema",
            "what": {"created": "Inserimento", "updated": "Modifica", "deleted": "Eliminazione"}.get(
                entry.action.rsplit(".", 1)[-1], entry.action),
            "rows": rows,
        })
    return history


@view_config(route_name="registrant", renderer=TEMPLATES + "detail.pt", permission="registry:registrant:view")
def registrant_page(request):
    registrant = _registrant_or_404(request)
    groups = request.hooks.occ_registrant_menu(request=request, registrant=registrant)
    menu = sorted((item for group in groups for item in group or ()), key=lambda item: item.order)
    credits = sorted(registrant.credits, key=lambda credit: credit.year, reverse=True)
    return {
        "page_title": registrant.full_name, "registrant": registrant, "menu": menu, "credits": credits,
        "sections": FORM_SECTIONS, "display_value": display_value, "categories": CATEGORIES,
        "statuses": STATUSES, "status_badges": STATUS_BADGES, "history": history_of(request, registrant),
        "can_edit": request.has_permission("registry:registrant:edit"),
    }


def _form_values(registrant: Registrant | None) -> dict:
    """What the form shows for a stored registrant (or the defaults of a new one)."""
    if registrant is None:
        return {"codice_fiscale": "", "category": "avvocato", "status": "attivo"}
    values = {"codice_fiscale": registrant.codice_fiscale}
    for name in FIELDS:
        value = getattr(registrant, name)
        if name == "specialisations":
            value = "\n".join(value or [])
        elif name in ("birth_date", "registration_date"):
            value = ui.iso(value)
        values[name] = value
    return values


def _credit_rows(request, registrant: Registrant | None) -> list[tuple[str, str]]:
    if request.method == "POST":
        rows = list(zip(posted_all(request, "credit_year"), posted_all(request, "credit_amount")))
    else:
        rows = [(str(c.year), services.format_credits(c.credits)) for c in (registrant.credits if registrant else [])]
    return rows + [("", "")] * NEW_CREDIT_ROWS


def _posted_record(request, codice_fiscale: str) -> dict:
    data = {name: request.POST.get(name, "") for name in FIELDS}
    data["codice_fiscale"] = codice_fiscale
    pairs = [(year.strip(), amount.strip()) for year, amount in
             zip(posted_all(request, "credit_year"), posted_all(request, "credit_amount"))]
    data["credits"] = ";".join(f"{year}:{amount}" for year, amount in pairs if year or amount)
    return data


def _form(request, registrant: Registrant | None):
    """Create (``registrant`` None) or edit form. The codice fiscale of a registrant never changes."""
    values = _form_values(registrant)
    errors = {}
    if request.method == "POST":
        code = registrant.codice_fiscale if registrant is not None else request.POST.get("codice_fiscale", "")
        data = _posted_record(request, code)
        record = services.parse_record(data)
        errors = dict(record.errors)
        if registrant is None and not errors and services.get_by_codice_fiscale(
                request.dbsession, request.tenant.id, record.codice_fiscale) is not None:
            errors["codice_fiscale"] = f"Esiste già un iscritto con codice fiscale {record.codice_fiscale}."
        if not errors:
            saved, created, changes = services.apply(request.dbsession, request.tenant.id, record)
            if created:
                request.flash(f"Iscritto {saved.full_name} inserito.")
            else:
                request.flash("Dati aggiornati." if changes else "Nessuna modifica da salvare.",
                              "success" if changes else "info")
            return HTTPFound(request.route_url("registrant", tenant=request.tenant.slug, id=saved.id))
        values = {**data, "specialisations": request.POST.get("specialisations", "")}
        request.response.status = 400
    return {
        "page_title": f"Modifica di {registrant.full_name}" if registrant else "Nuovo iscritto",
        "registrant": registrant, "values": values, "errors": errors, "sections": FORM_SECTIONS,
        "credit_rows": _credit_rows(request, registrant), "labels": {name: label_of(name) for name in errors},
    }


@view_config(route_name="registrant_new", renderer=TEMPLATES + "form.pt", permission="registry:registrant:edit")
def registrant_new(request):
    return _form(request, None)


@view_config(route_name="registrant_edit", renderer=TEMPLATES + "form.pt", permission="registry:registrant:edit")
def registrant_edit(request):
    return _form(request, _registrant_or_404(request))


def includeme(config):
    config.add_tenant_route("registrants", "/registrants")
    config.add_tenant_route("registrants_export", "/registrants/export.csv")
    config.add_tenant_route("registrants_import", "/registrants/import")
    config.add_tenant_route("registrant_new", "/registrants/new")
    config.add_tenant_route("registrant", r"/registrants/{id:\d{1,9}}")
    config.add_tenant_route("registrant_edit", r"/registrants/{id:\d{1,9}}/edit")
    config.scan("occ_core.registrants.views")
    config.scan("occ_core.registrants.imports")
