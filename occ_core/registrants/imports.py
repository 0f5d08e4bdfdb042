"""CSV import of the Albo's export: upload and preview, then confirm; nothing is written before.

Between preview and confirm the file waits under ``<occ.var_dir>/imports/<tenant id>-<token>.csv``.
The form carries only the token, which must be 32 hex digits: the path is built by us, never taken
from the request, and the tenant id in the name keeps one Order from confirming another's file."""
from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.registrants.display import display_value
from occ_core.web.forms import posted, read_upload, refuse
from shared_registry import services
from shared_registry.fields import label_of

TEMPLATE = "occ_core:registrants/templates/import.pt"
TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")
# Previews that were never confirmed are removed after this long.
UPLOAD_TTL_SECONDS = 24 * 3600
# A preview lists at most this many rows (the counts always cover the whole file).
PREVIEW_ROWS = 1000


def _uploads_dir(request) -> Path:
    return Path(request.registry.settings["occ.var_dir"]) / "imports"


def _upload_path(request, token: str) -> Path:
    if not TOKEN_PATTERN.match(token):
        raise UserError("Il file caricato non è più disponibile: lo carichi di nuovo.")
    return _uploads_dir(request) / f"{request.tenant.id}-{token}.csv"


def _remove_stale_uploads(folder: Path) -> None:
    limit = time.time() - UPLOAD_TTL_SECONDS
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass  # another process removed it first


def store_upload(request, content: bytes) -> str:
    folder = _uploads_dir(request)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_uploads(folder)
    token = secrets.token_hex(16)
    descriptor = os.open(_upload_path(request, token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    return token


def load_upload(request, token: str) -> bytes:
    path = _upload_path(request, token)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError("Il file caricato non è più disponibile: lo carichi di nuovo.")


def discard_upload(request, token: str, after_commit: bool = False) -> None:
    """Remove the stored file; ``after_commit`` keeps it until the import's changes are saved."""
    path = _upload_path(request, token)
    if after_commit:
        request.tm.get().addAfterCommitHook(lambda committed: committed and path.unlink(missing_ok=True))
    else:
        path.unlink(missing_ok=True)


def size_text(size: int) -> str:
    return f"{size / 1048576:.0f} MB" if size >= 1048576 else f"{max(1, size // 1024)} kB"


def read_uploaded_file(request) -> tuple[bytes, str]:
    """Content and name of the uploaded file, within the size limit."""
    upload = request.POST.get("file")
    limit = int(request.registry.settings["occ.upload_max_bytes"])
    content = read_upload(upload, limit)
    if content is None:
        raise UserError("Selezioni il file CSV da importare.", field="file")
    if len(content) > limit:
        raise UserError(f"Il file supera la dimensione massima consentita ({size_text(limit)}).", field="file")
    if not content.strip():
        raise UserError("Il file è vuoto.", field="file")
    return content, os.path.basename((upload.filename or "").replace("\\", "/"))[:100]


def _preview(request, content: bytes, filename: str) -> dict:
    try:
        rows = services.preview_import(request.dbsession, request.tenant.id, content)
    except services.CsvFormatError as error:
        raise UserError(str(error), field="file")
    counts = services.import_counts(rows)
    to_apply = counts["nuovo"] + counts["modifica"]
    shown = [row for row in rows if row.action != "invariato"]
    return {
        "step": "preview", "filename": filename, "counts": counts, "rows": shown[:PREVIEW_ROWS],
        "hidden_rows": len(shown) - len(shown[:PREVIEW_ROWS]),
        "token": store_upload(request, content) if to_apply else "", "to_apply": to_apply,
    }


@view_config(route_name="registrants_import", renderer=TEMPLATE, permission="registry:registrant:import")
def registrants_import(request):
    values = {"page_title": "Importazione dall'Albo", "step": "upload", "error": None,
              "display_value": display_value, "label_of": label_of,
              "max_size": size_text(int(request.registry.settings["occ.upload_max_bytes"])),
              "columns": [label_of(name) for name in services.CSV_COLUMNS]}
    action = posted(request, "action") if request.method == "POST" else None
    try:
        if action == "preview":
            values.update(_preview(request, *read_uploaded_file(request)))
        elif action == "confirm":
            token = posted(request, "token")
            content = load_upload(request, token)
            try:
                counts = services.apply_import(request.dbsession, request.tenant.id, content)
            except services.CsvFormatError as error:
                raise UserError(str(error), field="file")
            discard_upload(request, token, after_commit=True)
            audit(request, "registry.imported", object_type="Registrant", details={"counts": counts})
            request.flash(f"Importazione completata: {counts['nuovo']} nuovi, {counts['modifica']} modificati, "
                          f"{counts['invariato']} invariati, {counts['errore']} righe con errori non importate.")
            return HTTPFound(request.route_url("registrants", tenant=request.tenant.slug))
        elif action == "cancel":
            discard_upload(request, posted(request, "token"))
            request.flash("Importazione annullata: nessun dato è stato modificato.", "info")
            return HTTPFound(request.route_url("registrants_import", tenant=request.tenant.slug))
    except UserError as error:
        values.update(step="upload", error=refuse(request, error))
    return values
