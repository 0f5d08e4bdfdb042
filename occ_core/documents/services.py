"""The electronic file's operations: upload, new versions, visibility, withdrawal, reading a version.

Every check runs before anything is stored or written, so that bad input leaves no trace; content is
stored before the rows that name it, so that a committed row never lacks its content (a failed
commit may leave an unreferenced content in the storage, which is harmless)."""
from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import quote

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import FileIter, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from occ_core.audit.services import audit
from occ_core.db import utcnow
from occ_core.documents import checklist, filetypes
from occ_core.documents.models import Document, DocumentVersion
from occ_core.documents.storage import MissingContent, sha256_of
from occ_core.errors import UserError

log = logging.getLogger(__name__)

MAX_BYTES_SETTING = "occ.document_max_bytes"
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
DIRECTIONS = {"entrata": "In entrata", "uscita": "In uscita", "interno": "Interno"}
# Each level widens the circle of the one before: what the creditors see, the debtor and the gestore see too.
VISIBILITIES = {
    "interno": "Solo personale dell'OCC",
    "gestore": "Anche il gestore",
    "debitore": "Gestore e debitore",
    "creditori": "Gestore, debitore e creditori",
}
AUDIENCES = {
    "staff": tuple(VISIBILITIES),
    "gestore": ("gestore", "debitore", "creditori"),
    "debitore": ("debitore", "creditori"),
    "creditori": ("creditori",),
}
TITLE_MAX, NOTE_MAX, REASON_MAX, FILENAME_MAX = 200, 200, 200, 200
UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def max_bytes(settings) -> int:
    return int(settings.get(MAX_BYTES_SETTING) or DEFAULT_MAX_BYTES)


def fmt_size(size: int) -> str:
    """Bytes in Italian: "840 byte", "12,5 kB", "3,2 MB"."""
    if size < 1024:
        return f"{size} byte"
    value, unit = (size / 1048576, "MB") if size >= 1048576 else (size / 1024, "kB")
    return f"{value:.1f}".replace(".", ",").removesuffix(",0") + f" {unit}"


def clean_filename(name: str) -> str:
    """The uploaded file's own name, for display and downloads only: never a path anywhere."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = UNSAFE_IN_NAME.sub("", name).strip(" .") or "documento"
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:20] if dot else ""
        name = (stem if dot else name)[:FILENAME_MAX - len(extension) - 1] + (f".{extension}" if extension else "")
    return name


def check_content(content: bytes | None, limit: int) -> filetypes.FileType:
    if content is None:
        raise UserError("Selezioni il file da caricare.", field="file")
    if len(content) > limit:
        raise UserError(f"Il file supera la dimensione massima consentita di {fmt_size(limit)}: "
                        "lo riduca (per esempio scansionando a risoluzione più bassa) o lo divida in più parti.",
                        field="file")
    return filetypes.identify(content)


def _choice(value: str, choices: dict, message: str, field: str) -> str:
    if value not in choices:
        raise UserError(message, field=field)
    return value


def _limited(text: str, limit: int, label: str, field: str, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise UserError(f"Indichi {label}.", field=field)
    if len(text) > limit:
        raise UserError(f"{label[0].upper()}{label[1:]}: al massimo {limit} caratteri.", field=field)
    return text


def _new_version(db, storage, document: Document, number: int, content: bytes, file_type, filename: str,
                 user, note: str = "") -> DocumentVersion:
    version = DocumentVersion(
        tenant_id=document.tenant_id, version=number, sha256=storage.put(content), size=len(content),
        media_type=file_type.media_type, filename=clean_filename(filename),
        uploaded_by_id=user.id if user is not None else None, note=note)
    document.versions.append(version)
    db.flush()
    return version


def add_document(db, storage, dossier, user, *, content: bytes | None, filename: str, limit: int,
                 direction: str, category: str, title: str, visibility: str, description: str = "") -> Document:
    """A new document of ``dossier`` with its first version."""
    direction = _choice(direction, DIRECTIONS, "Indichi se il documento è in entrata, in uscita o interno.",
                        "direction")
    category = _choice(category, checklist.CATEGORIES, "Scelga la categoria del documento dall'elenco.", "category")
    visibility = _choice(visibility, VISIBILITIES, "Scelga chi può vedere il documento.", "visibility")
    title = _limited(title, TITLE_MAX, "il titolo del documento", "title", required=True)
    description = _limited(description, 5000, "la descrizione", "description")
    file_type = check_content(content, limit)
    document = Document(tenant_id=dossier.tenant_id, dossier_id=dossier.id, direction=direction, category=category,
                        title=title, visibility=visibility, description=description,
                        created_by_id=user.id if user is not None else None)
    db.add(document)
    _new_version(db, storage, document, 1, content, file_type, filename, user)
    return document


def add_version(db, storage, document: Document, user, *, content: bytes | None, filename: str, limit: int,
                note: str = "") -> DocumentVersion:
    """A new version of ``document``; the earlier ones stay. The same content as the current version is
    refused; the same content as an older one is accepted (it restores it) and noted."""
    if document.withdrawn_at is not None:
        raise UserError("Il documento è stato ritirato: non è possibile aggiungere nuove versioni.", field="file")
    note = _limited(note, NOTE_MAX, "la nota", "note")
    file_type = check_content(content, limit)
    digest = sha256_of(content)
    # Two new versions uploaded at the same moment must not take the same number: the document's row is
    # locked (PostgreSQL) and its versions read again under the lock.
    db.scalar(select(Document.id).where(Document.id == document.id).with_for_update())
    db.expire(document, ["versions"])
    current = document.current
    if current is not None and current.sha256 == digest:
        raise UserError(f"Il file è identico alla versione corrente (n. {current.version}): "
                        "non è stata registrata una nuova versione.", field="file")
    same = next((v for v in document.versions if v.sha256 == digest), None)
    if same is not None:
        note = " ".join(filter(None, (note, f"Contenuto identico alla versione n. {same.version}.")))[:NOTE_MAX]
    number = (current.version if current is not None else 0) + 1
    return _new_version(db, storage, document, number, content, file_type, filename, user, note)


def set_visibility(document: Document, visibility: str) -> bool:
    """Change who may see the document; False when nothing changed."""
    visibility = _choice(visibility, VISIBILITIES, "Scelga chi può vedere il documento.", "visibility")
    changed = document.visibility != visibility
    document.visibility = visibility
    return changed


def withdraw(document: Document, reason: str) -> None:
    """Mark the document as withdrawn, with the reason; it stays in the file with all its versions."""
    if document.withdrawn_at is not None:
        raise UserError("Il documento è già stato ritirato.", field="reason")
    document.withdrawn_reason = _limited(reason, REASON_MAX, "il motivo del ritiro", "reason", required=True)
    document.withdrawn_at = utcnow()


def visible_documents(db, dossier, audience: str) -> list[Document]:
    """The documents of ``dossier`` that ``audience`` ("staff", "gestore", "debitore", "creditori") may
    see, with their versions. The OCC's staff sees everything, withdrawn documents too; the others see
    only documents in force, of their visibility or a wider one."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    query = (select(Document).options(selectinload(Document.versions))
             .where(Document.dossier_id == dossier.id, Document.visibility.in_(AUDIENCES[audience]))
             .order_by(Document.created_at, Document.id))
    if audience != "staff":
        query = query.where(Document.withdrawn_at.is_(None))
    return list(db.scalars(query))


def find_document(db, dossier, document_id: str) -> Document | None:
    """A document of ``dossier`` by the id in a URL; the session's Order scope applies as well."""
    if not document_id.isdecimal():
        return None
    return db.scalar(select(Document).where(Document.id == int(document_id), Document.dossier_id == dossier.id))


def find_version(db, document: Document, number: str) -> DocumentVersion | None:
    if not number.isdecimal():
        return None
    return db.scalar(select(DocumentVersion).where(DocumentVersion.document_id == document.id,
                                                   DocumentVersion.version == int(number)))


def content_disposition(kind: str, filename: str) -> str:
    """``attachment`` or ``inline`` with the name twice: plain ASCII for old clients, UTF-8 for the rest."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = ASCII_UNSAFE.sub("_", ascii_name).strip("_") or "documento"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def version_response(request, document: Document, version: DocumentVersion, preview: bool = False) -> Response:
    """Serve a version: inline for a preview of a PDF or image, as a download otherwise; audited.

    Call it only with rows loaded through the request's Order-scoped session: the storage is read by
    digest, and the digest alone does not say whose the content is."""
    file_type = filetypes.type_of(version.media_type) or filetypes.TEXT
    inline = preview and file_type.inline
    try:
        stream = request.document_storage.open(version.sha256)
    except MissingContent:
        log.error("content %s of document version %s is missing from the storage", version.sha256, version.id)
        raise HTTPNotFound()
    response = Response(app_iter=FileIter(stream), content_type=version.media_type, content_length=version.size)
    if version.media_type.startswith("text/") or version.media_type.endswith("xml"):
        response.charset = "utf-8"
    name = filetypes.download_name(version.filename, file_type)
    response.content_disposition = content_disposition("inline" if inline else "attachment", name)
    # Whatever the file holds, the browser runs none of it and shows it in no frame of ours.
    response.headers["Content-Security-Policy"] = "sandbox; frame-ancestors 'none'"
    response.cache_control = "private, no-store"
    audit(request, "document.previewed" if inline else "document.downloaded", object_type="DocumentVersion",
          object_id=version.id, details={"dossier_id": document.dossier_id, "document_id": document.id,
                                         "version": version.version, "sha256": version.sha256,
                                         "filename": version.filename})
    return response
