import threading
import pytest
import waitress
from playwright.sync_api import sync_playwright
from occ_core.testing.factories import PASSWORD
from .conftest import open_dossier, make_ready


def test_shots(app, order, tenant_env):
    with tenant_env(order) as env:
        d = open_dossier(env, court="Tribunale di Milano", subject="Mutuo prima casa e tre finanziamenti")
        make_ready(env.dbsession, d)
        d.state = "PREVENTIVO_EMESSO"
        did = d.id
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    t = threading.Thread(target=server.run, daemon=True); t.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/login")
        page.get_by_label("Email").fill("amministratore@milano.it")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Accedi").click()
        for name, url in (("new", "/milano/dossiers/new"), ("summary", f"/milano/dossiers/{did}"),
                          ("edit", f"/milano/dossiers/{did}/edit"), ("history", f"/milano/dossiers/{did}/history"),
                          ("print", f"/milano/dossiers/{did}/print"), ("states", "/milano/settings/dossier-states")):
            page.goto(base + url)
            page.screenshot(path=f"/tmp/shots/{name}.png", full_page=True)
        page.goto(base + "/milano/dossiers/new")
        page.get_by_role("button", name="Registra la pratica").click()
        page.screenshot(path="/tmp/shots/new_errors.png", full_page=True)
        b.close()
    server.close()
