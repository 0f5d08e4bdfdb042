"""Regressions found in the review of the Orders' pages: re-adding a person, the Italian calendar day."""
import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from occ_core import clock
from occ_core.accounts.models import Membership, User
from occ_core.testing.factories import login


def test_a_deactivated_member_can_be_made_administrator_again(testapp, order, operator, dbtx, browse_as):
    with dbtx(order.tenant) as db:
        membership = db.scalar(select(Membership).join(User, User.id == Membership.user_id)
                               .where(User.email == order.secretary))
        membership.active = False
    login(testapp, operator)
    form = testapp.get("/admin/tenants/milano").forms["add-administrator"]
    form["email"] = order.secretary
    form.submit(status=302)  # the membership row exists already: it used to break the unique constraint
    with dbtx(order.tenant) as db:
        memberships = db.scalars(select(Membership).join(User, User.id == Membership.user_id)
                                 .where(User.email == order.secretary)).all()
        assert [(m.active, m.role.code) for m in memberships] == [(True, "amministratore")]
    browse_as(order.secretary)
    testapp.get("/milano/settings/modules", status=200)


def test_today_is_the_italian_day_whatever_the_server_time_zone():
    """Contracts cover Italian calendar days: a server on UTC must not start them two hours late.
    Far east and far west of Italy, one of the two is always on another day than Rome."""
    saved = os.environ.get("TZ")
    try:
        for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
            os.environ["TZ"] = zone
            time.tzset()
            assert clock.today() == datetime.now(ZoneInfo("Europe/Rome")).date()
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
