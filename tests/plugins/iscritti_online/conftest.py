"""Orders with the module «iscritti_online», registrants with activated accounts, and a live server."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from occ_core.db import bind_tenant
from occ_core.demo import demo_registrants
from occ_core.dispatch.models import OutboxMessage
from occ_core.testing.factories import PASSWORD, csrf_token, login, make_tenant, make_user
from shared_registry import services as registry_services
from shared_registry.models import Registrant

from iscritti_online.models import ChangeRequest
from iscritti_online.services import link_account

MODULE = "iscritti_online"


@dataclass(frozen=True)
class Order:
    """What a test needs to know of a prepared Order (plain values: the session is gone)."""

    tenant_id: int
    slug: str
    registrant_id: int
    codice_fiscale: str
    registrant_email: str
    registrant_pec: str
    iscritto: str
    segreteria: str
    amministratore: str

    def url(self, path: str) -> str:
        return f"/{self.slug}/iscritti{path}"


def add_registrant(db, tenant, index=0, **values) -> Registrant:
    data = {**demo_registrants(count=index + 1)[index], "credits": {2024: 20, 2025: 15}, **values}
    registrant, _created, _changes = registry_services.apply(db, tenant.id, registry_services.parse_record(data))
    return registrant


@pytest.fixture
def make_order(dbtx, pm):
    """``make_order(slug)``: an Order with the module (and any ``extra`` modules), one registrant with an
    activated account, a secretary and an administrator."""

    def build(slug="milano", extra=(), activated=True, **registrant_values) -> Order:
        with dbtx() as db:
            tenant = make_tenant(db, pm, slug, modules=[MODULE, *extra])
            bind_tenant(db, tenant.id)
            registrant = add_registrant(db, tenant, email=f"giulia@studio-{slug}.it",
                                        pec=f"giulia@pec-{slug}.it", phone="02 1234567", **registrant_values)
            bind_tenant(db, None)
            iscritto = make_user(db, f"iscritto@{slug}.example.it", tenant, "iscritto")
            if activated:
                bind_tenant(db, tenant.id)
                link_account(db, tenant, registrant, iscritto)
                bind_tenant(db, None)
            make_user(db, f"segreteria@{slug}.example.it", tenant, "segreteria")
            make_user(db, f"admin@{slug}.example.it", tenant, "amministratore")
            return Order(tenant.id, slug, registrant.id, registrant.codice_fiscale, registrant.email,
                         registrant.pec, iscritto.email, f"segreteria@{slug}.example.it", f"admin@{slug}.example.it")

    return build


@pytest.fixture
def read_registrant(dbtx):
    def read(order: Order) -> Registrant:
        with dbtx(order.tenant_id) as db:
            return db.scalar(select(Registrant).where(Registrant.id == order.registrant_id))
    return read


@pytest.fixture
def change_requests(dbtx):
    def read(order: Order) -> list[ChangeRequest]:
        with dbtx(order.tenant_id) as db:
            return list(db.scalars(select(ChangeRequest).order_by(ChangeRequest.id)))
    return read


@pytest.fixture
def outbox(dbtx):
    """Messages queued so far, oldest first, with their recipients' addresses."""
    def read() -> list[tuple[OutboxMessage, list[str]]]:
        with dbtx() as db:
            messages = list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            return [(message, [d.address for d in message.deliveries]) for message in messages]
    return read


@pytest.fixture
def mailed_link(outbox):
    """Path and query of the activation link in the last message sent to ``address``."""
    def find(address: str) -> str:
        body = [message.body_text for message, addresses in outbox() if address in addresses][-1]
        parts = urlsplit(re.search(r"https?://\S+/iscritti/attiva/conferma\?token=\S+", body).group(0))
        return f"{parts.path}?{parts.query}"
    return find


@pytest.fixture
def post(testapp):
    """``post(url, fields, status)``: a form POST as the browser sends it, with the session's CSRF token."""
    def send(url, fields, status=302):
        return testapp.post(url, {"csrf_token": csrf_token(testapp), **fields}, status=status)
    return send


@pytest.fixture
def sign_in(testapp):
    """Log in as ``email`` through the form, after logging out whoever was in."""
    def enter(email, password=PASSWORD):
        testapp.reset()
        return login(testapp, email, password)
    return enter
