"""Regressions found in the review of login, links and sessions."""
import re
from datetime import datetime, timedelta, timezone

import jwt
import pyotp
import pytest
import webtest
from sqlalchemy import func, select

from occ_core.accounts.models import LoginAttempt, User
from occ_core.dispatch.models import OutboxMessage
from occ_core.testing.factories import PASSWORD, csrf_token, login, make_tenant, make_user

EMAIL = "a@example.it"


@pytest.fixture
def member(dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        make_user(db, EMAIL, tenant, "segreteria")
    return EMAIL


def reset_links(dbtx):
    with dbtx() as db:
        bodies = db.scalars(select(OutboxMessage.body_text).where(OutboxMessage.purpose == "password-reset")
                            .order_by(OutboxMessage.id))
        return [re.search(r"http://\S+", body).group(0) for body in bodies]


def ask_reset(testapp, email=EMAIL):
    form = testapp.get("/password/forgot").forms[0]
    form["email"] = email
    assert "riceverà a breve" in form.submit().text


def choose_password(testapp, link, password, status=302):
    form = testapp.get(link).forms[0]
    form["password"] = form["password_confirm"] = password
    return form.submit(status=status)


@pytest.mark.parametrize("next_url", ["/\n/evil.example", "/\t/evil.example", "/\r\nSet-Cookie: x=1"])
def test_login_redirect_refuses_control_characters(testapp, member, next_url):
    form = testapp.get("/login", {"next": next_url}).forms[0]
    form["email"], form["password"] = EMAIL, PASSWORD
    assert form.submit(status=302).location == "http://127.0.0.1:6543/"


def test_second_factor_guesses_are_counted_on_the_server(testapp, member, dbtx):
    secret = pyotp.random_base32()
    with dbtx() as db:
        user = db.scalar(select(User).where(User.email == EMAIL))
        user.totp_secret, user.totp_enabled = secret, True
    assert login(testapp, EMAIL).location.endswith("/login/totp")
    # The session lives in a signed cookie: an attacker who knows the password can send the cookie of
    # the first step again and again. The count of wrong codes must not restart with it.
    first_step = dict(testapp.cookies)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _ in range(4):
        testapp.set_cookie("occ_session", first_step["occ_session"])
        page = testapp.post("/login/totp", {"csrf_token": csrf_token_of(testapp), "code": wrong}, status=400)
        assert "Codice non valido" in page.text
    testapp.set_cookie("occ_session", first_step["occ_session"])
    testapp.post("/login/totp", {"csrf_token": csrf_token_of(testapp), "code": wrong}, status=302)
    # Even the right code is not looked at any more, with the replayed cookie either.
    testapp.set_cookie("occ_session", first_step["occ_session"])
    answer = testapp.post("/login/totp", {"csrf_token": csrf_token_of(testapp), "code": pyotp.TOTP(secret).now()},
                          status=302)
    assert answer.location.endswith("/login")
    testapp.get("/milano/", status=302)
    with dbtx() as db:
        assert db.scalar(select(func.count()).select_from(LoginAttempt)
                         .where(LoginAttempt.email == EMAIL, LoginAttempt.success.is_(False))) == 5


def csrf_token_of(testapp) -> str:
    page = testapp.get("/login/totp")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def test_a_reset_link_stops_working_once_another_one_was_used(testapp, member, dbtx):
    ask_reset(testapp)
    ask_reset(testapp)
    older, newer = reset_links(dbtx)
    choose_password(testapp, newer, "nuova-password-2026")
    page = choose_password(testapp, older, "altra-password-2026", status=400)
    assert "non è più valido" in page.text
    login(testapp, EMAIL, "nuova-password-2026")


def test_reset_emails_to_one_address_are_limited(testapp, member, dbtx):
    for _ in range(7):
        ask_reset(testapp)  # the page always answers the same
    assert len(reset_links(dbtx)) == 5


def test_changing_the_password_ends_the_other_sessions(app, member):
    thief, owner = (webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:6543"})
                    for _ in range(2))
    login(thief, EMAIL)
    login(owner, EMAIL)
    owner.post("/account", {"csrf_token": csrf_token(owner), "action": "password", "current_password": PASSWORD,
                            "password": "nuova-password-2026", "password_confirm": "nuova-password-2026"}, status=302)
    assert owner.get("/account").status_int == 200  # the session that changed it goes on
    assert owner.get("/account").html.find("h1").text.strip() == "Il mio profilo"
    assert thief.get("/account", status=302).location.startswith("http://127.0.0.1:6543/login")


def test_a_link_without_identifier_or_expiry_is_refused(testapp, member, registry):
    secret = registry.settings["occ.secret"]
    now = datetime.now(timezone.utc)
    for claims in ({"purpose": "password-reset", "sub": "1", "exp": now + timedelta(hours=1)},  # no jti
                   {"purpose": "password-reset", "sub": "1", "jti": "x" * 32}):  # no expiry
        link = "/password/reset?token=" + jwt.encode(claims, secret, algorithm="HS256")
        page = choose_password(testapp, link, "nuova-password-2026", status=400)
        assert "Il collegamento non è valido." in page.text


def test_an_api_token_without_expiry_is_refused(testapp, member, registry):
    token = jwt.encode({"sub": "1", "aud": "occ-api", "tenant": "milano"}, registry.settings["occ.secret"],
                       algorithm="HS256")
    testapp.get("/milano/api/v1/registrants", headers={"Authorization": f"Bearer {token}"}, status=401)


@pytest.mark.parametrize("url, fields", [
    ("/login", {"password": "x"}),
    ("/password/forgot", {}),
])
def test_a_file_instead_of_the_email_is_refused_politely(testapp, member, url, fields):
    page = testapp.post(url, {"csrf_token": csrf_token(testapp), **fields},
                        upload_files=[("email", "email.txt", b"a@example.it")], status=(200, 400))
    assert page.html.find("h1") is not None


def test_a_file_instead_of_a_password_is_refused_politely(testapp, member):
    login(testapp, EMAIL)
    page = testapp.post("/account", {"csrf_token": csrf_token(testapp), "action": "password"},
                        upload_files=[("current_password", "p.txt", PASSWORD.encode())], status=400)
    assert "La password attuale non è corretta." in page.text
