"""An Order with staff, registrants of several kinds and a gestore; helpers to draft newsletters."""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from occ_core.clock import today
from occ_core.demo import make_codice_fiscale
from occ_core.gestori.models import Gestore
from occ_core.newsletter import services
from occ_core.testing.factories import make_registrant, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "consultazione", "gestore")
# (last name, first name, category, status, email): the active lawyers with an email are the segment.
REGISTRANTS = [
    ("Rossi", "Mario", "avvocato", "attivo", "mario.rossi@studio.it"),
    ("Bianchi", "Luca", "avvocato", "attivo", "segreteria@studioassociato.it"),
    ("Verdi", "Anna", "avvocato", "attivo", "Segreteria@StudioAssociato.it"),  # the same address: sent once
    ("Neri", "Paolo", "avvocato", "attivo", ""),
    ("Gialli", "Carla", "commercialista", "attivo", "carla.gialli@studio.it"),
    ("Blu", "Sara", "avvocato", "sospeso", "sara.blu@studio.it"),
    ("Marrone", "Elena", "avvocato", "attivo", "elena.marrone@studio.it"),
]
SEGMENT = {"audience": "iscritti", "iscritti_category": "avvocato", "iscritti_status": "attivo"}
SEGMENT_ADDRESSES = ["elena.marrone@studio.it", "mario.rossi@studio.it", "segreteria@studioassociato.it"]


def add_registrants(db, tenant, rows):
    born = date(1970, 1, 1)
    for index, (last, first, category, status, email) in enumerate(rows):
        code = make_codice_fiscale(last, first, born + timedelta(days=index), False, "F205")
        make_registrant(db, tenant, code, last_name=last, first_name=first, category=category, status=status,
                        email=email)


@pytest.fixture
def order(dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano", "Ordine di Milano")
        users = {role: make_user(db, f"{role}@milano.it", tenant, role, full_name=f"Utente {role}") for role in ROLES}
    with dbtx(tenant) as db:
        add_registrants(db, tenant, REGISTRANTS)
        gestore = make_registrant(db, tenant, make_codice_fiscale("Viola", "Ugo", date(1965, 2, 2), False, "F205"),
                                  last_name="Viola", first_name="Ugo", category="commercialista",
                                  email="ugo.viola@studio.it")
        db.add(Gestore(tenant_id=tenant.id, registrant_id=gestore.id, enrolled_on=today() - timedelta(days=100),
                       circondario="Milano", specialisations=[]))
    return SimpleNamespace(tenant=tenant, ids={role: user.id for role, user in users.items()},
                           emails={role: user.email for role, user in users.items()},
                           segment=SEGMENT, segment_addresses=SEGMENT_ADDRESSES)


@pytest.fixture
def draft(dbtx, order):
    """``draft(**values)``: a newsletter draft of the Order (to the segment unless told), by the secretariat."""

    def make(**values):
        fields = {"subject": "Novità di novembre", "body_html": "<p>Gentili colleghi, <b>buone notizie</b>.</p>",
                  **SEGMENT, **values}
        with dbtx(order.tenant) as db:
            found = services.read_draft(db, order.tenant.id, fields)
            return services.save_draft(db, order.tenant.id, None, found, order.ids["segreteria"]).id

    return make

