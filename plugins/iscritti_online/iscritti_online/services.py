"""Activation of registrants' accounts and changes of their registry data (direct or by request)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from occ_core.accounts import links
from occ_core.accounts.models import Membership, UsedLinkToken, User
from occ_core.accounts.passwords import hash_password
from occ_core.accounts.roles import add_membership, membership_of
from occ_core.accounts.services import create_user, normalize_email, user_by_email
from occ_core.db import read_named_order, utcnow
from occ_core.dispatch.services import queue_email
from occ_core.errors import UserError
from occ_core.registrants.display import display_value
from occ_core.web.ui import fmt_date
from shared_registry import services as registry
from shared_registry.fields import FIELDS, FieldError, normalize_codice_fiscale
from shared_registry.models import Registrant

from iscritti_online.models import APPROVED, PENDING, REJECTED, WITHDRAWN, ChangeRequest, RegistrantAccount
from iscritti_online.policies import DIRECT, editable_fields

ACTIVATION_PURPOSE = "iscritti_online-activation"
ACTIVATION_MINUTES = 48 * 60
ROLE = "iscritto"
CANCELLED = "cancellato"
DATE_FIELDS = frozenset({"birth_date", "registration_date"})
REASON_MAX_LENGTH = 2000


class FormErrors(UserError):
    """Several fields of one form are wrong: ``errors`` maps each to its message."""

    def __init__(self, errors: dict):
        super().__init__("Alcuni dati non sono validi: controlli i campi segnalati.")
        self.errors = errors


# --- values ------------------------------------------------------------------------------------

def to_plain(value):
    """A registry value as stored in a change request (JSON)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def form_value(name: str, value) -> str:
    """A registry value (or its JSON form) as a form field shows it: dates gg/mm/aaaa, one item per line."""
    if name in DATE_FIELDS and isinstance(value, str) and value:
        value = date.fromisoformat(value)
    if value is None:
        return ""
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, list):
        return "\n".join(value)
    return str(value)


def registry_rows(registrant: Registrant) -> list[tuple[str, str]]:
    """(label, value) of every registry field of ``registrant``, codice fiscale first."""
    return [("Codice fiscale", registrant.codice_fiscale)] + [
        (spec.label, display_value(name, getattr(registrant, name))) for name, spec in FIELDS.items()
    ]


# --- accounts ----------------------------------------------------------------------------------

def parse_activation_request(codice_fiscale: str, email: str) -> tuple[str, str]:
    try:
        code = normalize_codice_fiscale(codice_fiscale)
    except FieldError as error:
        raise UserError(error.message, field="codice_fiscale")
    return code, normalize_email(email)


def find_for_activation(db, tenant, code: str, address: str) -> Registrant | None:
    """The registrant of the Order with that codice fiscale and that email or PEC, unless cancelled."""
    registrant = registry.get_by_codice_fiscale(db, tenant.id, code)
    if registrant is None or registrant.status == CANCELLED:
        return None
    on_file = {(registrant.email or "").lower(), (registrant.pec or "").lower()} - {""}
    return registrant if address.lower() in on_file else None


def send_activation(request, registrant: Registrant, address: str) -> None:
    token = links.make_link_token(request.registry.settings["occ.secret"], ACTIVATION_PURPOSE, registrant.id,
                                  minutes=ACTIVATION_MINUTES, tenant=request.tenant.slug, email=address)
    link = request.route_url("iscritti_online.activate_confirm", tenant=request.tenant.slug,
                             _query={"token": token})
    queue_email(request, to=[(registrant.full_name, address)], purpose=ACTIVATION_PURPOSE,
                tenant_id=request.tenant.id, subject="Attivazione dell'area riservata iscritti",
                body_text=f"Gentile {registrant.first_name} {registrant.last_name},\n\n"
                          f"per attivare l'area riservata di {request.tenant.display_name} apra questo "
                          f"collegamento entro 48 ore e scelga la sua password:\n{link}\n\n"
                          "Il collegamento può essere usato una sola volta. Se non ha chiesto lei "
                          "l'attivazione, ignori questo messaggio.\n")


def check_activation(db, settings, tenant, token: str) -> tuple[dict, Registrant]:
    """The link's claims and its registrant, if the registry still matches what the link was sent for."""
    payload = links.read_link_token(settings["occ.secret"], token, ACTIVATION_PURPOSE)
    if db.get(UsedLinkToken, payload["jti"]) is not None:
        raise UserError("Il collegamento è già stato utilizzato: per entrare usi la pagina di accesso.")
    registrant = None
    registrant_id = links.subject_id(payload)
    if payload.get("tenant") == tenant.slug and registrant_id is not None:
        registrant = db.scalar(select(Registrant).where(Registrant.tenant_id == tenant.id,
                                                        Registrant.id == registrant_id))
    if registrant is None or find_for_activation(db, tenant, registrant.codice_fiscale,
                                                 payload.get("email", "")) is None:
        raise UserError("Il collegamento non è più valido: ripeta la richiesta di attivazione.")
    return payload, registrant


def activate(db, settings, tenant, token: str, password: str) -> tuple[User, Registrant]:
    """Set the password of the (new or existing) user of the link's address and link it to the registrant.

    The caller dooms the transaction on ``UserError``, so a refusal leaves the link unused."""
    hashed = hash_password(password)  # refuses a password against the policy
    payload, registrant = check_activation(db, settings, tenant, token)
    # Consumed before anything else is written: of two submissions of the same link, the second
    # stops here rather than on the unique email of the user the first one is creating.
    links.consume_link_token(db, settings["occ.secret"], token, ACTIVATION_PURPOSE)
    user = user_by_email(db, payload["email"])
    if user is None:
        user = create_user(db, payload["email"], f"{registrant.first_name} {registrant.last_name}")
    elif not user.active:
        raise UserError("L'utente con questo indirizzo è disattivato: contatti la segreteria dell'Ordine.")
    # Opening the mailed link proves control of the address, as a password reset does.
    user.password_hash = hashed
    user.email_verified_at = user.email_verified_at or utcnow()
    link_account(db, tenant, registrant, user)
    return user, registrant


def account_of(db, tenant, user) -> RegistrantAccount | None:
    if user is None:
        return None
    return db.scalar(select(RegistrantAccount).where(RegistrantAccount.tenant_id == tenant.id,
                                                     RegistrantAccount.user_id == user.id))


def link_account(db, tenant, registrant: Registrant, user: User) -> RegistrantAccount:
    """Make ``user`` the registrant's login in the Order, with the role «iscritto»."""
    membership = db.scalar(select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id))
    if membership is not None and membership.role.code != ROLE:
        # Turning a member of staff into a registrant would take their work permissions away.
        raise UserError("Questo indirizzo appartiene a un utente dell'Ordine con un altro profilo: "
                        "per l'area riservata contatti la segreteria.")
    linked = account_of(db, tenant, user)
    if linked is not None and linked.registrant_id != registrant.id:
        raise UserError("Questo indirizzo è già collegato a un altro iscritto: contatti la segreteria.")
    if membership is None:
        add_membership(db, tenant, user, ROLE)
    else:
        membership.active = True
    account = db.scalar(select(RegistrantAccount).where(RegistrantAccount.registrant_id == registrant.id))
    if account is None:
        account = RegistrantAccount(tenant_id=tenant.id, user_id=user.id, registrant_id=registrant.id)
        db.add(account)
    elif account.user_id != user.id:
        # The registrant activated another of their addresses: the previous login stops speaking for them.
        previous = membership_of(db, tenant, account.user_id)
        if previous is not None and previous.role.code == ROLE:
            previous.active = False
        account.user_id, account.activated_at = user.id, utcnow()
    db.flush()
    return account


# --- changes -----------------------------------------------------------------------------------

def policies_for(tenant, registrant: Registrant) -> dict[str, str]:
    """Editable fields of ``registrant``: none once cancelled from the Albo."""
    return {} if registrant.status == CANCELLED else editable_fields(tenant)


def split_changes(registrant: Registrant, policies: dict, data: dict) -> tuple[dict, dict]:
    """Validate submitted values; return the changed ones as (direct, needing approval).

    A field the Order did not make editable is refused, whatever the form sent."""
    refused = [name for name in data if name not in policies]
    if refused:
        labels = ", ".join(f"«{FIELDS[name].label if name in FIELDS else name}»" for name in refused)
        raise UserError(f"Non è consentito modificare: {labels}.")
    record = registry.parse_record({"codice_fiscale": registrant.codice_fiscale, **data}, partial=True)
    if record.errors:
        raise FormErrors(record.errors)
    direct, approval = {}, {}
    for name in data:
        if record.values[name] != getattr(registrant, name):
            (direct if policies[name] == DIRECT else approval)[name] = record.values[name]
    return direct, approval


def apply_values(db, registrant: Registrant, values: dict) -> None:
    """Write parsed values through the registry (which the audit log tracks)."""
    if values:
        registry.apply(db, registrant.tenant_id,
                       registry.ParsedRecord(codice_fiscale=registrant.codice_fiscale, values=values))


def pending_request(db, registrant: Registrant) -> ChangeRequest | None:
    return db.scalar(select(ChangeRequest).where(ChangeRequest.tenant_id == registrant.tenant_id,
                                                 ChangeRequest.registrant_id == registrant.id,
                                                 ChangeRequest.status == PENDING))


def submit_request(db, registrant: Registrant, changes: dict, user: User) -> str:
    """Record the registrant's wish for the fields that need approval; return what happened
    ("created", "updated", "withdrawn" or "unchanged").

    One request per registrant is pending at a time, and a new submission *replaces* its content
    rather than merging into it: the form shows the pending values, so what arrives is the whole
    current wish, and replacing is what lets a registrant take a change back (a submission that
    no longer differs from the registry withdraws the request). The row is updated in place so that
    the secretariat's link stays valid, and a field asked again with the same value keeps the
    registry value of its first asking, so that a change made meanwhile is still highlighted."""
    requested = {name: to_plain(value) for name, value in changes.items()}
    pending = pending_request(db, registrant)
    if pending is None:
        if not requested:
            return "unchanged"
        try:
            with db.begin_nested():
                db.add(ChangeRequest(tenant_id=registrant.tenant_id, registrant_id=registrant.id, requested=requested,
                                     previous={name: to_plain(getattr(registrant, name)) for name in requested},
                                     status=PENDING, created_by_id=user.id))
        except IntegrityError:  # a concurrent submission (a double click) created it first
            raise UserError("Una sua richiesta è appena stata registrata: ricarichi la pagina per vederla.")
        return "created"
    if requested == pending.requested:
        return "unchanged"
    pending.updated_at = utcnow()
    if not requested:
        pending.status = WITHDRAWN
        return "withdrawn"
    pending.previous = {
        name: pending.previous[name] if pending.requested.get(name) == value else to_plain(getattr(registrant, name))
        for name, value in requested.items()
    }
    pending.requested, pending.created_by_id = requested, user.id
    return "updated"


def _close(db, change_request: ChangeRequest, status: str, user: User, reason: str = "") -> None:
    """Decide a pending request once: of two concurrent decisions only the first finds it pending."""
    now = utcnow()
    claimed = db.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == change_request.id, ChangeRequest.status == PENDING)
        .values(status=status, reason=reason, decided_by_id=user.id, decided_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise UserError("La richiesta non è più in attesa: è già stata decisa o ritirata.")
    db.refresh(change_request)


def approve(db, change_request: ChangeRequest, user: User) -> None:
    registrant = change_request.registrant
    record = registry.parse_record({"codice_fiscale": registrant.codice_fiscale, **change_request.requested},
                                   partial=True)
    if record.errors:
        raise UserError("I valori richiesti non superano più i controlli dell'anagrafica: respinga la "
                        "richiesta indicandone il motivo.")
    _close(db, change_request, APPROVED, user)
    apply_values(db, registrant, {name: record.values[name] for name in change_request.requested})


def reject(db, change_request: ChangeRequest, user: User, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise UserError("Indichi il motivo per cui la richiesta è respinta.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise UserError(f"Il motivo può avere al massimo {REASON_MAX_LENGTH} caratteri.", field="reason")
    _close(db, change_request, REJECTED, user, reason)


def get_request(db, tenant, request_id: int) -> ChangeRequest | None:
    return db.scalar(select(ChangeRequest).where(ChangeRequest.tenant_id == tenant.id,
                                                 ChangeRequest.id == request_id))


def pending_requests(db, tenant) -> list[ChangeRequest]:
    return list(db.scalars(select(ChangeRequest).where(ChangeRequest.tenant_id == tenant.id,
                                                       ChangeRequest.status == PENDING)
                           .order_by(ChangeRequest.updated_at, ChangeRequest.id)))


# Every page of the secretariat shows the count (menu and dashboard): the statement is built once, and
# it names its Order itself, so the automatic tenant criteria (which cost more than the count) are skipped.
_PENDING_COUNT = (select(func.count()).select_from(ChangeRequest)
                  .where(ChangeRequest.tenant_id == bindparam("tenant_id"), ChangeRequest.status == PENDING)
                  .execution_options(all_tenants=True))


def pending_count(db, tenant) -> int:
    return read_named_order(db, _PENDING_COUNT, {"tenant_id": tenant.id}).scalar_one()


def history(db, registrant: Registrant) -> list[ChangeRequest]:
    # The pages name who decided each request: load those users at once, not one query per row.
    return list(db.scalars(select(ChangeRequest).where(ChangeRequest.tenant_id == registrant.tenant_id,
                                                       ChangeRequest.registrant_id == registrant.id)
                           .options(selectinload(ChangeRequest.decided_by))
                           .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())))


@dataclass(frozen=True)
class DiffRow:
    label: str
    previous: str
    current: str
    requested: str
    changed_meanwhile: bool


def diff_rows(change_request: ChangeRequest) -> list[DiffRow]:
    """Old -> new per field, with the registry's value now (which may differ from the old one)."""
    registrant = change_request.registrant
    rows = []
    for name, value in change_request.requested.items():
        previous = change_request.previous.get(name)
        current = to_plain(getattr(registrant, name))
        rows.append(DiffRow(FIELDS[name].label, display_value(name, previous), display_value(name, current),
                            display_value(name, value), current != previous))
    return rows


def notify_decision(request, change_request: ChangeRequest) -> None:
    """Tell the registrant (at the login that asked, else at the registry's address) what was decided."""
    registrant = change_request.registrant
    asker = change_request.created_by
    address = asker.email if asker is not None else (registrant.email or registrant.pec)
    if not address:
        return
    changes = "\n".join(f"- {row.label}: {row.requested}" for row in diff_rows(change_request))
    link = request.route_url("iscritti_online.profile", tenant=request.tenant.slug)
    if change_request.status == APPROVED:
        subject = "Richiesta di modifica dei dati approvata"
        outcome = "è stata approvata. I nuovi dati sono già registrati nell'anagrafica dell'Ordine."
    else:
        subject = "Richiesta di modifica dei dati respinta"
        outcome = f"non è stata accolta, per questo motivo:\n{change_request.reason}"
    queue_email(request, to=[(registrant.full_name, address)], purpose="iscritti_online-decision",
                tenant_id=request.tenant.id, subject=subject,
                body_text=f"Gentile {registrant.first_name} {registrant.last_name},\n\n"
                          f"la sua richiesta del {fmt_date(change_request.created_at)} di modificare questi dati:\n"
                          f"{changes}\n\n{outcome}\n\nPuò consultare i suoi dati e le sue richieste qui:\n{link}\n")
