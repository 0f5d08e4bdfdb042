"""The creditors tab of a dossier: the list with its totals, add, edit, delete, CSV export and import."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.dossiers import creditor_csv, parties
from occ_core.dossiers.models import Creditor
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.dossiers.views.parties import EDIT, TEMPLATES, VIEW, PartyScreens, add_party_screens, tab_url
from occ_core.errors import UserError
from occ_core.registrants.imports import discard_upload, load_upload, read_uploaded_file, size_text, store_upload
from occ_core.web import ui
from occ_core.web.forms import posted, refuse


@view_config(route_name="dossier_creditors", renderer=TEMPLATES + "creditors.pt", permission=VIEW)
def creditors_tab(request):
    dossier = dossier_from_url(request)
    return dossier_page(request, dossier, totals=parties.creditor_totals(dossier), kinds=parties.CREDITOR_KINDS,
                        ranks=parties.RANKS, can_edit=request.has_permission(EDIT))


CREDITORS = PartyScreens(
    "creditor", Creditor, parties.CREDITOR_SECTIONS, "dossier_creditors", parties.CREDITOR_DEFAULTS,
    "Nuovo creditore", "il creditore", add=lambda request, dossier, data: parties.add_creditor(dossier, data),
    update=parties.update_creditor, delete=parties.delete_creditor, values=parties.creditor_form_values)


@view_config(route_name="dossier_creditors_export", permission=VIEW)
def creditors_export(request):
    dossier = dossier_from_url(request)
    audit(request, "dossier.creditors_exported", object_type="Dossier", object_id=dossier.id,
          details={"rows": len(dossier.creditors)})
    return ui.csv_response(creditor_csv.export_rows(dossier.creditors),
                           f"creditori-pratica-{dossier.number}-{dossier.year}.csv")


def _preview(request, dossier, content: bytes, filename: str) -> dict:
    try:
        rows = creditor_csv.plan(dossier, content)
    except creditor_csv.CsvFormatError as error:
        raise UserError(str(error), field="file")
    valid = sum(1 for row in rows if row.creditor is not None)
    return {"step": "preview", "filename": filename, "rows": rows, "valid": valid,
            "token": store_upload(request, content) if valid else ""}


@view_config(route_name="dossier_creditors_import", renderer=TEMPLATES + "creditors_import.pt", permission=EDIT)
def creditors_import(request):
    dossier = dossier_from_url(request)
    values = {"step": "upload", "error": None, "ranks": parties.RANKS, "columns": creditor_csv.LABELS.values(),
              "max_size": size_text(int(request.registry.settings["occ.upload_max_bytes"]))}
    action = posted(request, "action") if request.method == "POST" else None
    try:
        if action == "preview":
            values.update(_preview(request, dossier, *read_uploaded_file(request)))
        elif action == "confirm":
            token = posted(request, "token")
            try:
                added, skipped = creditor_csv.apply(dossier, load_upload(request, token))
            except creditor_csv.CsvFormatError as error:
                raise UserError(str(error), field="file")
            discard_upload(request, token, after_commit=True)
            audit(request, "dossier.creditors_imported", object_type="Dossier", object_id=dossier.id,
                  details={"added": added, "skipped": skipped})
            request.flash(f"Importati {added} creditori" + (f"; {skipped} righe con errori non importate." if skipped
                                                             else "."))
            return HTTPFound(tab_url(request, "dossier_creditors", dossier))
        elif action == "cancel":
            discard_upload(request, posted(request, "token"))
            request.flash("Importazione annullata: nessun creditore è stato aggiunto.", "info")
            return HTTPFound(tab_url(request, "dossier_creditors", dossier))
    except UserError as error:
        values.update(step="upload", error=refuse(request, error))
    return dossier_page(request, dossier, **values)


def includeme(config):
    base = r"/dossiers/{id:\d{1,9}}/creditors"
    config.add_tenant_route("dossier_creditors", base)
    config.add_tenant_route("dossier_creditors_export", base + "/export.csv")
    config.add_tenant_route("dossier_creditors_import", base + "/import")
    add_party_screens(config, CREDITORS, base)
    config.scan("occ_core.dossiers.views.creditors")
