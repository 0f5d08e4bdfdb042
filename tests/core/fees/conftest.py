"""An Order with a user per role and a dossier with attivo and passivo."""
from decimal import Decimal

import pytest

from occ_core.dossiers.models import Dossier

from ..documents.conftest import add_dossier, as_role, make_order  # noqa: F401  (as_role: a fixture)


@pytest.fixture
def order(dbtx, pm):
    """«milano»: a user per role (``<role>@milano.it``) and dossier 1/2025 (attivo 30.000, passivo 100.000),
    whose id is ``tenant.dossier_id``."""
    with dbtx() as db:
        tenant, dossier_id = make_order(db, pm, "milano")
    with dbtx(tenant) as db:
        dossier = db.get(Dossier, dossier_id)
        dossier.attivo, dossier.passivo_declared = Decimal("30000"), Decimal("100000")
    tenant.dossier_id = dossier_id
    return tenant
