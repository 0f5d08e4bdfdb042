"""Login, throttling, CSRF, second factor, password reset and email verification links."""
import re

import pyotp
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.dispatch.models import OutboxMessage
from occ_core.testing.factories import PASSWORD, csrf_token, login, make_tenant, make_user


def form_with_action(page, action):
    """The form whose submit button carries ``action`` (the header also holds the logout form)."""
    return next(form for form in page.forms.values() if f'value="{action}"' in form.text)


def mailed_link(dbtx, purpose):
    with dbtx() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == purpose)
                             .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://\S+", message.body_text).group(0)


def test_login_is_throttled_after_repeated_failures(testapp, dbtx):
    with dbtx() as db:
        make_user(db, "a@example.it")
    for _ in range(5):
        login(testapp, "a@example.it", "sbagliata-000", status=400)
    page = login(testapp, "a@example.it", PASSWORD, status=400)
    assert "Troppi tentativi" in page.text


def test_unsafe_request_without_csrf_token_is_refused(testapp, dbtx):
    with dbtx() as db:
        make_user(db, "a@example.it")
    login(testapp, "a@example.it")
    testapp.post("/logout", status=400)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp)}, status=302)


def test_login_redirect_stays_on_this_site(testapp, dbtx):
    with dbtx() as db:
        make_user(db, "a@example.it")
    form = testapp.get("/login?next=//evil.example/x").forms[0]
    form["email"], form["password"] = "a@example.it", PASSWORD
    assert form.submit(status=302).location == "http://127.0.0.1:6543/"


def test_password_reset_by_single_use_link(testapp, dbtx):
    with dbtx() as db:
        make_user(db, "a@example.it")
    form = testapp.get("/password/forgot").forms[0]
    form["email"] = "a@example.it"
    assert "riceverà a breve" in form.submit().text
    link = mailed_link(dbtx, "password-reset")
    form = testapp.get(link).forms[0]
    form["password"] = form["password_confirm"] = "nuova-password-2026"
    form.submit(status=302)
    login(testapp, "a@example.it", "nuova-password-2026")
    # The same link a second time is refused.
    testapp.reset()
    form = testapp.get(link).forms[0]
    form["password"] = form["password_confirm"] = "altra-password-2026"
    assert "già stato utilizzato" in form.submit(status=400).text


def test_unknown_email_gets_the_same_answer_and_no_mail(testapp, dbtx):
    form = testapp.get("/password/forgot").forms[0]
    form["email"] = "nessuno@example.it"
    assert "riceverà a breve" in form.submit().text
    with dbtx() as db:
        assert db.scalars(select(OutboxMessage)).all() == []


def test_weak_password_is_refused_and_link_stays_usable(testapp, dbtx):
    with dbtx() as db:
        make_user(db, "a@example.it")
    form = testapp.get("/password/forgot").forms[0]
    form["email"] = "a@example.it"
    form.submit()
    link = mailed_link(dbtx, "password-reset")
    form = testapp.get(link).forms[0]
    form["password"] = form["password_confirm"] = "corta"
    assert "almeno 10 caratteri" in form.submit(status=400).text
    form["password"] = form["password_confirm"] = "password-valida-1"
    form.submit(status=302)


def test_tampered_link_is_refused(testapp):
    form = testapp.get("/password/reset?token=abc.def.ghi").forms[0]
    form["password"] = form["password_confirm"] = "password-valida-1"
    assert "non è valido" in form.submit(status=400).text


def test_email_verification(testapp, dbtx):
    with dbtx() as db:
        user = make_user(db, "a@example.it")
        user.email_verified_at = None
    login(testapp, "a@example.it")
    form_with_action(testapp.get("/account"), "verify").submit("action", value="verify")
    testapp.get(mailed_link(dbtx, "verify-email"), status=302)
    with dbtx() as db:
        assert db.scalar(select(User).where(User.email == "a@example.it")).email_verified_at is not None


def test_totp_second_factor(testapp, dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        make_user(db, "a@example.it", tenant, "segreteria")
    login(testapp, "a@example.it")
    form_with_action(testapp.get("/account"), "totp-start").submit("action", value="totp-start")
    page = testapp.get("/account")
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page.text).group(1)
    form = form_with_action(page, "totp-confirm")
    form["code"] = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    assert "Codice non valido" in form.submit("action", value="totp-confirm", status=400).text
    form["code"] = pyotp.TOTP(secret).now()
    form.submit("action", value="totp-confirm", status=302)
    testapp.reset()
    response = login(testapp, "a@example.it")
    assert response.location.endswith("/login/totp")
    testapp.get("/milano/", status=302)  # not logged in until the code is given
    form = testapp.get("/login/totp").forms[0]
    form["code"] = pyotp.TOTP(secret).now()
    form.submit(status=302)
    assert "Cruscotto" in testapp.get("/milano/").text
