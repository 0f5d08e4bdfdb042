import pytest

from occ_core.accounts.roles import create_custom_role
from occ_core.errors import UserError
from occ_core.testing.factories import make_tenant


def test_a_renamed_role_frees_its_name_and_codes_stay_unique(dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    with dbtx(tenant) as db:
        first = create_custom_role(db, tenant, "Revisori")
        first.name = "Revisori esterni"
        second = create_custom_role(db, tenant, "Revisori")
        assert first.code != second.code
        with pytest.raises(UserError, match="Esiste già"):
            create_custom_role(db, tenant, "revisori")
