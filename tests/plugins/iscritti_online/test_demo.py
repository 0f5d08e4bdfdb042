"""The demo Order has an activated registrant with one request waiting for the secretariat."""
from sqlalchemy import select

from occ_core.demo import DEMO_PASSWORD, DEMO_USERS, demo_registrants, load_demo

from iscritti_online.demo import DEMO_EMAIL
from iscritti_online.models import PENDING, ChangeRequest, RegistrantAccount


def test_demo_registrant_and_pending_request(testapp, sign_in, dbtx, registry):
    for _ in range(2):  # loading the demo again adds nothing
        with dbtx() as db:
            load_demo(db, registry)
    with dbtx() as db:
        account = db.scalar(select(RegistrantAccount))
        assert account.registrant.codice_fiscale == demo_registrants()[0]["codice_fiscale"]
        assert account.registrant.email == account.user.email == DEMO_EMAIL
        [request] = db.scalars(select(ChangeRequest)).all()
        assert request.status == PENDING and set(request.requested) == {"pec", "specialisations"}

    sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    page = testapp.get("/demo/iscritti/profilo")
    assert "Richiesta in attesa" in page.text
    sign_in(DEMO_USERS["segreteria"][0], DEMO_PASSWORD)
    assert "Richieste iscritti (1)" in testapp.get("/demo/").text
