"""The Order's templates and the documents generated from them.

Services take ``env``: a request, or any object with ``dbsession``, ``tenant``, ``identity`` and ``registry``
(tasks, scripts, benchmarks). Every check runs before anything is stored: an upload that does not render
against the sample data stores nothing, and a failed generation files nothing in the fascicolo."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from occ_core.audit.services import audit
from occ_core.db import utcnow
from occ_core.documents import filetypes
from occ_core.documents.models import Document
from occ_core.documents.services import add_document, clean_filename, fmt_size, max_bytes
from occ_core.documents.storage import storage_of
from occ_core.errors import UserError
from occ_core.forms import library
from occ_core.forms.context import dossier_context, sample_context
from occ_core.forms.links import external_content
from occ_core.forms.models import FormTemplate, FormTemplateVersion
from occ_core.forms.rendering import ODT_MEDIA_TYPE, Problem, TemplateProblem, check_template, render_odt, unpack
from occ_core.office import OfficeUnavailable, convert

MANAGE, GENERATE = "forms:template:manage", "forms:document:generate"
MAX_BYTES_SETTING = "forms.max_bytes"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
PDF_MEDIA_TYPE = "application/pdf"
DOCX = filetypes.OOXML["word/"]
CODE = re.compile(r"[a-z][a-z0-9_]{2,59}")
TITLE_MAX, DESCRIPTION_MAX, NOTE_MAX = 200, 1000, 200
DEFAULT_VERSION = 0  # the number that stands for the built-in default ("versione predefinita")


@dataclass(frozen=True)
class Generated:
    title: str
    filename: str
    content: bytes
    media_type: str
    document: Document | None = None


@dataclass(frozen=True)
class Entry:
    """A template as the Order sees it: a library default (with the Order's versions, if any) or its own."""
    code: str
    title: str
    description: str
    category: str
    requires: tuple[str, ...]
    row: FormTemplate | None
    builtin: bool

    @property
    def active_number(self) -> int:
        return self.row.active_number if self.row is not None and self.row.active_number else DEFAULT_VERSION

    @property
    def versions(self) -> list[FormTemplateVersion]:
        return list(self.row.versions) if self.row is not None else []


def _user(env):
    return getattr(env, "identity", None)


def _user_id(env) -> int | None:
    user = _user(env)
    return user.id if user is not None else None


def upload_limit(settings) -> int:
    return int(settings.get(MAX_BYTES_SETTING) or DEFAULT_MAX_BYTES)


# --- reading ---------------------------------------------------------------------------------------------

def _rows(db) -> dict[str, FormTemplate]:
    return {row.code: row for row in db.scalars(select(FormTemplate).order_by(FormTemplate.id))}


def _entry(code: str, row: FormTemplate | None) -> Entry:
    if code in library.CODES:
        default = library.default(code)
        return Entry(code, default.title, default.description, default.category, default.requires, row, True)
    return Entry(code, row.title, row.description, row.category, (), row, False)


def entries(db) -> list[Entry]:
    """The library's templates in their order, then the Order's own by title."""
    rows = _rows(db)
    own = sorted((row for code, row in rows.items() if code not in library.CODES), key=lambda row: row.title.lower())
    return [_entry(code, rows.get(code)) for code in library.CODES] + [_entry(row.code, row) for row in own]


def entry(db, code: str) -> Entry:
    """The template ``code`` of the Order; ``LookupError`` when there is none (an unknown code, another
    Order's own template)."""
    row = db.scalar(select(FormTemplate).where(FormTemplate.code == code)) if isinstance(code, str) else None
    if code not in library.CODES and row is None:
        raise LookupError(code)
    return _entry(code, row)


def version_content(env, entry: Entry, number: int) -> bytes:
    """The ODT of version ``number`` of ``entry`` (0: the built-in default); ``LookupError`` if none."""
    if number == DEFAULT_VERSION:
        if not entry.builtin:
            raise LookupError(number)
        return library.default(entry.code).content
    version = next((v for v in entry.versions if v.number == number), None)
    if version is None:
        raise LookupError(number)
    with storage_of(env.registry).open(version.sha256) as stream:
        return stream.read()


def active_content(env, entry: Entry) -> bytes:
    return version_content(env, entry, entry.active_number)


# --- generating ------------------------------------------------------------------------------------------

def to_pdf(env, files: list[bytes]) -> list[bytes]:
    """ODT documents as PDF in one LibreOffice start; ``OfficeUnavailable`` or ``ConversionFailed`` (both
    with a message for the user) otherwise."""
    return convert(env.registry.settings, [(content, ".odt") for content in files])


def _check_requirements(entry: Entry, context: dict) -> None:
    for name in entry.requires:
        if not context.get(name):
            raise UserError(f"Per generare «{entry.title}» {library.REQUIREMENTS[name]}.", field="code")


def generate(env, dossier, code: str, *, extra: dict | None = None, store: bool = True,
             pdf: bool = False) -> Generated:
    """The document of template ``code`` (the Order's active version, or the built-in default) for
    ``dossier``; ``extra`` adds names to the context (``protocollo``, ``comunicazione``, ``destinatario`` ...).

    With ``store`` it is filed in the dossier's fascicolo as an outgoing document; with ``pdf`` it is
    converted by LibreOffice first. ``UserError`` (``TemplateProblem`` with the place of each problem in the
    template, ``OfficeUnavailable``) when it cannot be made: nothing is stored then."""
    try:
        found = entry(env.dbsession, code)
    except LookupError:
        raise UserError("Il modello scelto non esiste: scelga un modello dall'elenco.", field="code") from None
    context = dossier_context(env, dossier, **(extra or {}))
    _check_requirements(found, context)
    content = render_odt(active_content(env, found), context)
    stem = f"{found.code}-{dossier.number}-{dossier.year}"
    filename, media_type = f"{stem}.odt", ODT_MEDIA_TYPE
    if pdf:
        [content] = to_pdf(env, [content])
        filename, media_type = f"{stem}.pdf", PDF_MEDIA_TYPE
    document = None
    if store:
        document = add_document(env.dbsession, storage_of(env.registry), dossier, _user(env), content=content,
                                filename=filename, limit=max_bytes(env.registry.settings), direction="uscita",
                                category=found.category, title=found.title, visibility="interno",
                                description=f"Generato dal modello «{found.title}» "
                                            f"({version_label(found.active_number)}).")
    return Generated(found.title, filename, content, media_type, document)


def version_label(number: int) -> str:
    return "versione predefinita" if number == DEFAULT_VERSION else f"versione {number}"


def preview(env, found: Entry, number: int, pdf: bool = False) -> Generated:
    """Version ``number`` of a template rendered against the sample dossier, to see it before using it."""
    content = render_odt(version_content(env, found, number), sample_context())
    stem = f"anteprima-{found.code}-{'predefinita' if number == DEFAULT_VERSION else number}"
    if pdf:
        return Generated(found.title, f"{stem}.pdf", to_pdf(env, [content])[0], PDF_MEDIA_TYPE)
    return Generated(found.title, f"{stem}.odt", content, ODT_MEDIA_TYPE)


# --- uploading and activating ----------------------------------------------------------------------------

def _text(value, limit: int, label: str, field: str, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise UserError(f"Indichi {label}.", field=field)
    if len(text) > limit:
        raise UserError(f"{label[0].upper()}{label[1:]}: al massimo {limit} caratteri.", field=field)
    return text


def _problems(content: bytes) -> list[Problem]:
    """What stops ``content`` from being used: content it takes from outside its file, which LibreOffice would
    fetch on the server, then whatever the sample data show."""
    try:
        linked = external_content(unpack(content))
    except TemplateProblem as problem:
        return problem.problems
    return linked or check_template(content, sample_context())


def checked_odt(env, content: bytes | None) -> tuple[bytes, str]:
    """An uploaded template as ODT that renders against the sample data, and what it was converted from.

    A Word file goes through LibreOffice; anything else, or a template with problems (content linked from
    outside its file among them), is refused with the reason (the place in the document of each problem)."""
    limit = upload_limit(env.registry.settings)
    if not content:
        raise UserError("Selezioni il file del modello da caricare (.odt o .docx).", field="file")
    if len(content) > limit:
        raise UserError(f"Il file supera la dimensione massima di {fmt_size(limit)} per un modello: tolga le "
                        "immagini più pesanti o le salvi a risoluzione più bassa.", field="file")
    try:
        kind = filetypes.identify(content)
    except UserError:
        kind = None
    converted_from = ""
    if kind is DOCX:
        try:
            [content] = convert(env.registry.settings, [(content, ".docx")], to="odt")
        except OfficeUnavailable:
            raise UserError("I file Word (.docx) vengono convertiti con LibreOffice, che non è installato su questo "
                            "server: apra il file in Word, lo salvi come «Testo OpenDocument (.odt)» e carichi il "
                            "file .odt.", field="file") from None
        converted_from = "docx"
    elif kind is None or kind.media_type != ODT_MEDIA_TYPE:
        raise UserError("Il modello deve essere un documento di testo OpenDocument (.odt) o Word (.docx).",
                        field="file")
    problems = _problems(content)
    if problems:
        raise TemplateProblem(problems)
    return content, converted_from


def _new_version(env, row: FormTemplate, content: bytes, filename: str, converted_from: str,
                 note: str) -> FormTemplateVersion:
    db = env.dbsession
    if row.id is not None:  # two uploads at once must not take the same number
        db.scalar(select(FormTemplate.id).where(FormTemplate.id == row.id).with_for_update())
    number = (db.scalar(select(func.max(FormTemplateVersion.number))
                        .where(FormTemplateVersion.template_id == row.id)) or 0) if row.id is not None else 0
    name = clean_filename(filename or "modello.odt")
    if converted_from:
        name = f"{name.rsplit('.', 1)[0]}.odt"
    version = FormTemplateVersion(tenant_id=row.tenant_id, number=number + 1,
                                  sha256=storage_of(env.registry).put(content), size=len(content), filename=name,
                                  converted_from=converted_from, note=note, uploaded_by_id=_user_id(env))
    row.versions.append(version)
    db.flush()
    return version


def upload(env, code: str, content: bytes | None, filename: str, note: str = "", activate: bool = True):
    """A new version of template ``code``, active at once when ``activate``."""
    found = entry(env.dbsession, code)
    note = _text(note, NOTE_MAX, "la nota", "note")
    content, converted_from = checked_odt(env, content)
    row = found.row
    if row is None:
        row = FormTemplate(tenant_id=env.tenant.id, code=found.code, title=found.title, description=found.description,
                           category=found.category, created_by_id=_user_id(env))
        env.dbsession.add(row)
    version = _new_version(env, row, content, filename, converted_from, note)
    audit(env, "forms.template.uploaded", object_type="form_template", object_id=found.code,
          details={"version": version.number, "sha256": version.sha256, "converted_from": converted_from,
                   "activated": activate})
    if activate:
        row.active_number = version.number
    return version


def create(env, code: str, title: str, description: str, content: bytes | None, filename: str, note: str = ""):
    """A template of the Order's own, with its first version (active)."""
    code = (code or "").strip().lower() if isinstance(code, str) else ""
    if not CODE.fullmatch(code):
        raise UserError("Il codice del modello va scritto in lettere minuscole, cifre e trattini bassi, da 3 a 60 "
                        "caratteri e iniziando con una lettera (esempio: lettera_avvocato).", field="code")
    if code in library.CODES or env.dbsession.scalar(select(FormTemplate.id).where(FormTemplate.code == code)):
        raise UserError(f"Esiste già un modello con il codice «{code}»: ne scelga un altro.", field="code")
    title = _text(title, TITLE_MAX, "il titolo del modello", "title", required=True)
    description = _text(description, DESCRIPTION_MAX, "la descrizione", "description")
    note = _text(note, NOTE_MAX, "la nota", "note")
    content, converted_from = checked_odt(env, content)
    row = FormTemplate(tenant_id=env.tenant.id, code=code, title=title, description=description,
                       created_by_id=_user_id(env))
    env.dbsession.add(row)
    version = _new_version(env, row, content, filename, converted_from, note)
    row.active_number = version.number
    audit(env, "forms.template.created", object_type="form_template", object_id=code,
          details={"title": title, "version": version.number, "sha256": version.sha256})
    return row


def activate(env, code: str, number: int) -> None:
    """Version ``number`` (0: the built-in default) becomes the one in use, after it renders again against
    the sample data; an earlier version is a rollback."""
    found = entry(env.dbsession, code)
    try:
        content = version_content(env, found, number)
    except LookupError:
        raise UserError("La versione scelta non esiste.", field="version") from None
    if number != DEFAULT_VERSION:
        problems = _problems(content)
        if problems:
            raise TemplateProblem(problems)
        version = next(v for v in found.versions if v.number == number)
        version.checked_at = utcnow()
    previous = found.active_number
    if found.row is not None:
        found.row.active_number = number or None
    audit(env, "forms.template.activated", object_type="form_template", object_id=found.code,
          details={"version": number, "previous": previous})
