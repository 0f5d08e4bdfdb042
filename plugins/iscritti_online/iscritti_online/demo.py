"""Demo data: an activated registrant of the demo Order, with one change request waiting for approval."""
from __future__ import annotations

from occ_core.accounts.services import create_user, user_by_email
from occ_core.demo import DEMO_PASSWORD, DEMO_SLUG, demo_registrants
from occ_core.tenants.services import enabled_modules
from shared_registry.services import get_by_codice_fiscale

from iscritti_online.services import apply_values, history, link_account, submit_request

DEMO_EMAIL = "iscritto@ordine-demo.it"


def load_demo(db, tenant) -> None:
    """Safe to run again: nothing is added twice."""
    if tenant.slug != DEMO_SLUG or "iscritti_online" not in enabled_modules(db, tenant):
        return
    registrant = get_by_codice_fiscale(db, tenant.id, demo_registrants()[0]["codice_fiscale"])
    if registrant is None:
        return
    # Activation matches the address on file, so the demo login must be the registrant's email.
    apply_values(db, registrant, {"email": DEMO_EMAIL})
    user = user_by_email(db, DEMO_EMAIL) or create_user(
        db, DEMO_EMAIL, f"{registrant.first_name} {registrant.last_name}", DEMO_PASSWORD, verified=True)
    link_account(db, tenant, registrant, user)
    if not history(db, registrant):
        handle = f"{registrant.first_name}.{registrant.last_name}".lower().replace(" ", "").replace("'", "")
        submit_request(db, registrant, {
            "pec": f"{handle}@pec.avvocati-demo.it",
            "specialisations": [*registrant.specialisations, "Composizione negoziata della crisi"],
        }, user)
