"""The automatic Order scoping of occ_core.db: its loader criteria are built once per Order and
reused, so a session bound in turn to several Orders must still see only the bound one's rows."""
import re

from sqlalchemy import func, inspect, select

from occ_core import db as occ_db
from occ_core.accounts.models import Membership, Role, User
from occ_core.security import _USER_BY_ID
from occ_core.tenants.models import Tenant
from occ_core.tenants.request import _TENANT_AND_USER
from occ_core.testing.factories import make_tenant, make_user


def test_one_session_bound_in_turn_to_two_orders_sees_each_time_only_the_bound_one(dbtx, pm):
    with dbtx() as db:
        alfa = make_tenant(db, pm, "alfa")
        beta = make_tenant(db, pm, "beta")
        make_user(db, "alfa@example.it", alfa, "segreteria")
        make_user(db, "beta@example.it", beta, "referente")
    with dbtx() as db:
        for tenant in (alfa, beta, alfa, beta):
            occ_db.bind_tenant(db, tenant.id)
            assert set(db.scalars(select(Role.tenant_id))) == {tenant.id}
            assert db.scalar(select(func.count()).select_from(Membership)) == 1
            # Joined eager loads (the membership's role and user) and relationship loads too.
            membership = db.scalar(select(Membership))
            assert membership.tenant_id == membership.role.tenant_id == tenant.id
            assert db.scalars(select(Role).where(Role.id == membership.role_id)).one().tenant_id == tenant.id
            assert db.scalar(select(Role).where(Role.tenant_id != tenant.id)) is None
    assert occ_db.tenant_criteria(alfa.id) is occ_db.tenant_criteria(alfa.id)
    assert occ_db.tenant_criteria(alfa.id) is not occ_db.tenant_criteria(beta.id)


def test_the_unscoped_lookups_of_every_request_can_reach_no_row_of_an_order():
    """The user (security._USER_BY_ID, run with the scoping off) and the Order with its user
    (tenants.request._TENANT_AND_USER, run before the session is bound) are read unscoped on every
    request: safe only while neither class belongs to an Order or reaches anything through a
    relationship. Whoever changes that must scope these lookups again."""
    for cls in (User, Tenant):
        assert not issubclass(cls, occ_db.SCOPED_MIXINS)
        assert not inspect(cls).relationships
    assert tables_read(_USER_BY_ID) == ["users"]
    assert tables_read(_TENANT_AND_USER) == ["tenants", "users"]


def tables_read(statement) -> list[str]:
    return re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", str(statement))


def test_reads_that_name_their_order_skip_the_orm_but_see_pending_changes(dbtx, pm):
    import pytest

    with dbtx() as db:
        alfa = make_tenant(db, pm, "alfa")
    counted = (select(func.count()).select_from(Role).where(Role.tenant_id == alfa.id)
               .execution_options(all_tenants=True))
    with dbtx(alfa) as db:
        before = occ_db.read_named_order(db, counted, {}).scalar_one()
        db.add(Role(tenant_id=alfa.id, code="archivista", name="Archivista"))
        # Not flushed yet: the read flushes first, as the ORM would.
        assert occ_db.read_named_order(db, counted, {}).scalar_one() == before + 1
        with pytest.raises(occ_db.TenantViolation):
            occ_db.read_named_order(db, select(func.count()).select_from(Role), {})
