"""Tenant lifecycle: creation, contracts, module activation."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy import select
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale, iva

from occ_core.clock import today
from occ_core.errors import UserError
from occ_core.plugins import ModuleInfo
from occ_core.tenants.models import Contract, Tenant, TenantModule
from shared_registry.fields import EMAIL_PATTERN

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
# Path segments that are not tenants.
RESERVED_SLUGS = {"admin", "api", "static", "login", "logout", "password", "verify", "account", "health"}


def get_tenant(db, slug: str) -> Tenant | None:
    return db.scalar(select(Tenant).where(Tenant.slug == slug))


NAME_LENGTH = Tenant.name.type.length
OCC_PREFIX = "OCC "


def create_tenant(db, pm, slug: str, name: str) -> Tenant:
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
        raise UserError(
            "Il codice dell'Ordine deve iniziare con una lettera e contenere solo lettere minuscole, "
            "cifre e trattini (da 2 a 40 caratteri), e non può essere una parola riservata."
        )
    if not name:
        raise UserError("Indicare il nome dell'Ordine.")
    # The OCC is named after the Order ("OCC " + name), in a column as long as the name's.
    if len(name) > NAME_LENGTH - len(OCC_PREFIX):
        raise UserError(f"Il nome dell'Ordine può avere al massimo {NAME_LENGTH - len(OCC_PREFIX)} caratteri.")
    if get_tenant(db, slug) is not None:
        raise UserError(f"Esiste già un Ordine con codice «{slug}».")
    tenant = Tenant(slug=slug, name=name, occ_name=OCC_PREFIX + name, preferences={})
    db.add(tenant)
    db.flush()
    pm.hook.occ_tenant_created(tenant=tenant, dbsession=db)
    return tenant


def contracts_of(db, tenant: Tenant) -> list[Contract]:
    return list(
        db.scalars(
            select(Contract)
            .where(Contract.tenant_id == tenant.id)
            .order_by(Contract.module, Contract.valid_from)
            .execution_options(all_tenants=True)
        )
    )


def add_contract(db, pm, tenant: Tenant, module: str, valid_from: date, valid_until: date | None, notes=""):
    if module not in pm.modules:
        raise UserError(f"Il modulo «{module}» non è installato su questa piattaforma.")
    if valid_from is None:
        raise UserError("Indicare la data di inizio del contratto.")
    if valid_until is not None and valid_until < valid_from:
        raise UserError("La data di fine del contratto precede quella di inizio.")
    for other in contracts_of(db, tenant):
        # Two contracts for one module over the same days would make its end date ambiguous.
        if other.module == module and other.valid_from <= (valid_until or date.max) \
                and valid_from <= (other.valid_until or date.max):
            until = f" al {other.valid_until:%d/%m/%Y}" if other.valid_until else ", senza scadenza"
            raise UserError(f"Il modulo «{module}» ha già un contratto dal {other.valid_from:%d/%m/%Y}{until}, che "
                            "copre parte di questo periodo: chiuda quello o scelga date che non si sovrappongano.")
    contract = Contract(tenant_id=tenant.id, module=module, valid_from=valid_from,
                        valid_until=valid_until, notes=notes or "")
    db.add(contract)
    db.flush()
    return contract


def available_modules(db, pm, tenant: Tenant, day: date | None = None) -> set[str]:
    """Installed modules that a contract covers on ``day``."""
    day = day or today()
    return {c.module for c in contracts_of(db, tenant) if c.covers(day) and c.module in pm.modules}


def enabled_modules(db, tenant: Tenant) -> set[str]:
    rows = db.scalars(
        select(TenantModule.module)
        .where(TenantModule.tenant_id == tenant.id, TenantModule.enabled.is_(True))
        .execution_options(all_tenants=True)
    )
    return set(rows)


def active_modules(db, pm, tenant: Tenant, day: date | None = None) -> frozenset[str]:
    """Active = available today under a contract and enabled by the Order."""
    return frozenset(available_modules(db, pm, tenant, day) & enabled_modules(db, tenant))


def set_module_enabled(db, pm, tenant: Tenant, module: str, enabled: bool, user_id: int | None = None):
    if enabled:
        if module not in available_modules(db, pm, tenant):
            raise UserError(f"Il modulo «{module}» non è coperto da un contratto in corso.")
        veto = pm.hook.occ_module_available(tenant=tenant, module=module, dbsession=db)
        if veto is False:
            raise UserError(f"Il modulo «{module}» non può essere attivato per questo Ordine.")
    row = db.scalar(
        select(TenantModule)
        .where(TenantModule.tenant_id == tenant.id, TenantModule.module == module)
        .execution_options(all_tenants=True)
    )
    if row is None:
        row = TenantModule(tenant_id=tenant.id, module=module, enabled=False)
        db.add(row)
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    row.changed_by_id = user_id
    db.flush()
    hook = pm.hook.occ_module_enabled if enabled else pm.hook.occ_module_disabled
    hook(tenant=tenant, module=module, dbsession=db)
    return True


def end_contract(contract: Contract, last_day: date | None) -> date | None:
    """End ``contract`` early on ``last_day``; return the previous end. Extending is a new contract."""
    if last_day is None:
        raise UserError("Indicare l'ultimo giorno del contratto.", field="valid_until")
    if last_day < contract.valid_from:
        raise UserError("La data di fine del contratto precede quella di inizio.", field="valid_until")
    if contract.valid_until is not None and last_day > contract.valid_until:
        raise UserError("Un contratto si può solo anticipare: per prolungarlo ne registri uno nuovo.",
                        field="valid_until")
    previous, contract.valid_until = contract.valid_until, last_day
    return previous


@dataclass(frozen=True)
class ModuleState:
    """An installed module as an Order sees it: the contract covering today (if any) and its switch."""

    info: ModuleInfo
    contract: Contract | None
    enabled: bool

    @property
    def active(self) -> bool:
        return self.contract is not None and self.enabled


def module_states(db, pm, tenant: Tenant, day: date | None = None) -> list[ModuleState]:
    day = day or today()
    contracts = contracts_of(db, tenant)
    enabled = enabled_modules(db, tenant)
    states = []
    for name, info in sorted(pm.modules.items(), key=lambda item: item[1].label):
        covering = [c for c in contracts if c.module == name and c.covers(day)]
        # With overlapping contracts the one lasting longest says until when the module is available.
        contract = max(covering, key=lambda c: c.valid_until or date.max, default=None)
        states.append(ModuleState(info, contract, name in enabled))
    return states


def active_modules_by_tenant(db, pm, day: date | None = None) -> dict[int, set[str]]:
    """``active_modules`` of every Order in two queries, for the platform operator's list."""
    day = day or today()
    available = defaultdict(set)
    for contract in db.scalars(select(Contract).execution_options(all_tenants=True)):
        if contract.covers(day) and contract.module in pm.modules:
            available[contract.tenant_id].add(contract.module)
    enabled = db.execute(
        select(TenantModule.tenant_id, TenantModule.module)
        .where(TenantModule.enabled.is_(True))
        .execution_options(all_tenants=True)
    )
    active = defaultdict(set)
    for tenant_id, module in enabled:
        if module in available[tenant_id]:
            active[tenant_id].add(module)
    return active


# --- configuration parameters of the Order ---------------------------------------------------------

LOGO_MAX_BYTES = 512 * 1024
# The content decides, never the file name: a renamed text file must not pass for an image.
LOGO_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _validated_by(validate: Callable[[str], str], message: str):
    """A check from a python-stdnum ``validate``, which also returns the code in its compact form."""

    def check(value: str) -> str:
        try:
            return validate(value)
        except ValidationError:
            raise UserError(message.format(value=value))

    return check


# An 11-digit codice fiscale (a body's) is checked as a partita IVA, a 16-character one as a person's.
_codice_fiscale = _validated_by(codicefiscale.validate, "Il codice fiscale «{value}» non è valido: per un ente "
                                                        "servono 11 cifre, per una persona 16 caratteri.")
_partita_iva = _validated_by(iva.validate, "La partita IVA «{value}» non è valida: servono 11 cifre con il "
                                           "carattere di controllo corretto.")


def _matching(pattern: str, message: str, normalize: Callable[[str], str] = str.strip):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        value = normalize(value)
        if not compiled.fullmatch(value):
            raise UserError(message.format(value=value))
        return value

    return check


_email = _matching(EMAIL_PATTERN.pattern, "L'indirizzo «{value}» non è valido.", str.lower)


@dataclass(frozen=True)
class Parameter:
    """A configuration parameter of the Order: a column of ``Tenant`` with its label and check."""

    name: str
    label: str
    check: Callable[[str], str] | None = None
    required: bool = False
    input_type: str = "text"
    hint: str = ""

    @property
    def max_length(self) -> int:
        return Tenant.__table__.c[self.name].type.length

    def parse(self, raw) -> str:
        # Anything but text (a file posted in place of the field) counts as empty.
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            if self.required:
                raise UserError(f"Il campo «{self.label}» è obbligatorio.")
            return ""
        text = self.check(text) if self.check else text
        if len(text) > self.max_length:
            raise UserError(f"Il campo «{self.label}» può contenere al massimo {self.max_length} caratteri.")
        return text


PARAMETER_SECTIONS = (
    ("Ordine e Organismo", (
        Parameter("name", "Denominazione dell'Ordine", required=True),
        Parameter("occ_name", "Denominazione dell'Organismo (OCC)",
                  hint="Se vuota si usa la denominazione dell'Ordine."),
        Parameter("codice_fiscale", "Codice fiscale", _codice_fiscale,
                  hint="11 cifre per un ente, 16 caratteri per una persona."),
        Parameter("partita_iva", "Partita IVA", _partita_iva, hint="11 cifre."),
    )),
    ("Sede", (
        Parameter("address", "Indirizzo"),
        Parameter("postal_code", "CAP", _matching(r"[0-9]{5}", "Il CAP «{value}» non è valido: servono 5 cifre.")),
        Parameter("city", "Comune"),
        Parameter("province", "Provincia", _matching(
            r"[A-Z]{2}", "La provincia «{value}» non è valida: indicare la sigla di 2 lettere (es. MI).",
            lambda value: value.strip().upper()), hint="Sigla di 2 lettere, ad esempio MI."),
    )),
    ("Recapiti", (
        Parameter("email", "Email", _email, input_type="email"),
        Parameter("pec", "PEC", _email, input_type="email"),
        Parameter("phone", "Telefono", _matching(
            r"\+?[0-9 ./-]{5,}", "Il numero di telefono «{value}» non è valido."), input_type="tel"),
    )),
    ("Protocollo informatico", (
        Parameter("ipa_code", "Codice IPA", _matching(
            r"[A-Za-z0-9_.-]+", "Il codice IPA «{value}» può contenere solo lettere, cifre, punti e trattini."),
            hint="Codice dell'ente nell'Indice dei domicili digitali della PA, se presente."),
        Parameter("aoo_code", "Codice AOO", _matching(
            r"[A-Za-z0-9_.-]+", "Il codice AOO «{value}» può contenere solo lettere, cifre, punti e trattini."),
            hint="Area organizzativa omogenea indicata nella segnatura di protocollo."),
    )),
    ("Referente dell'Organismo", (
        Parameter("referente_name", "Nome e cognome del referente"),
        Parameter("referente_email", "Email del referente", _email, input_type="email"),
    )),
)
PARAMETERS = {parameter.name: parameter for _title, group in PARAMETER_SECTIONS for parameter in group}


class InvalidParameters(UserError):
    """Some parameters are wrong; ``errors`` maps each field (``logo`` included) to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Alcuni dati non sono validi: li corregga e salvi di nuovo.", field=next(iter(errors)))
        self.errors = errors


def logo_type(content: bytes) -> str:
    """The MIME type of an acceptable logo, read from its first bytes."""
    if len(content) > LOGO_MAX_BYTES:
        raise UserError("Il logo supera la dimensione massima di 512 KB.", field="logo")
    for signature, mime_type in LOGO_SIGNATURES:
        if content.startswith(signature):
            return mime_type
    raise UserError("Il file caricato non è un'immagine PNG, JPEG o GIF.", field="logo")


def _describe_logo(content: bytes | None, mime_type: str) -> str | None:
    return f"{mime_type}, {len(content)} byte" if content else None


def update_parameters(tenant: Tenant, data, logo: bytes | None = None, remove_logo: bool = False) -> dict:
    """Check every parameter of ``data`` (and the new ``logo``) and write them only if all are valid.

    Returns ``{field: [old, new]}`` of what changed (the logo described by type and size)."""
    values, errors = {}, {}
    for name, parameter in PARAMETERS.items():
        try:
            values[name] = parameter.parse(data.get(name))
        except UserError as error:
            errors[name] = error.message
    new_type = None
    if logo:
        try:
            new_type = logo_type(logo)
        except UserError as error:
            errors["logo"] = error.message
    if errors:
        raise InvalidParameters(errors)
    changes = {name: [getattr(tenant, name), value] for name, value in values.items()
               if getattr(tenant, name) != value}
    old_logo, old_type = tenant.logo, tenant.logo_type
    if new_type is not None:
        tenant.logo, tenant.logo_type = logo, new_type
    elif remove_logo:
        tenant.logo, tenant.logo_type = None, ""
    if tenant.logo != old_logo:
        changes["logo"] = [_describe_logo(old_logo, old_type), _describe_logo(tenant.logo, tenant.logo_type)]
    for name, value in values.items():
        setattr(tenant, name, value)
    return changes
