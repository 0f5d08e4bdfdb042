import pytest

from occ_core.db import TenantViolation
from occ_core.tenants.models import Contract
from occ_core.testing.factories import make_tenant


def test_a_session_bound_to_one_order_refuses_rows_of_another(dbtx, pm):
    from datetime import date

    with dbtx() as db:
        alfa = make_tenant(db, pm, "alfa")
        beta = make_tenant(db, pm, "beta")
    with pytest.raises(TenantViolation), dbtx(alfa) as db:
        db.add(Contract(tenant_id=beta.id, module="prova", valid_from=date(2026, 1, 1)))
        db.flush()
    with dbtx(alfa) as db:
        contract = Contract(module="prova", valid_from=date(2026, 1, 1))
        db.add(contract)
        db.flush()
        assert contract.tenant_id == alfa.id
