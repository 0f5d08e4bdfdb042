import pytest

from occ_core.testing.factories import make_tenant, make_user


@pytest.fixture
def order(dbtx, pm):
    """The Order «milano», with a user for each role that matters to the registry."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        for role in ("segreteria", "consultazione", "gestore"):
            make_user(db, f"{role}@milano.it", tenant, role)
    return tenant
