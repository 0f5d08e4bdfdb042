"""The automatic Order scoping of occ_core.db: its loader criteria are built once per Order and
reused, so a session bound in turn to several Orders must still see only the bound one's rows."""
from sqlalchemy import func, inspect, select

from occ_core import db as occ_db
from occ_core.accounts.models import Membership, Role, User
from occ_core.security import _USER_BY_ID
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


def test_the_unscoped_user_lookup_can_reach_no_row_of_an_order():
    """security._USER_BY_ID skips the scoping (it runs on every request): safe only while users belong
    to no Order and reach nothing through relationships. Whoever changes that must scope it again."""
    assert not issubclass(User, occ_db.SCOPED_MIXINS)
    assert not inspect(User).relationships
    assert _USER_BY_ID.get_final_froms() == [User.__table__]
