"""PDF and DOCX through LibreOffice (the real program: one batch per test), and a clear message without it."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from occ_core import office
from occ_core.dossiers.models import Dossier
from occ_core.forms import library, services
from occ_core.forms.context import sample_context
from occ_core.forms.models import FormTemplateVersion
from occ_core.forms.rendering import render_odt

from .conftest import odt_text


# Programs that stand for LibreOffice: one whose "PDF" is the environment it was given, one that fails.
ECHOING_ENVIRONMENT = """#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in --outdir) target=$2; shift;; *.odt) source=$1;; esac
  shift
done
mkdir -p "$target" && env > "$target/$(basename "$source" .odt).pdf"
"""
FAILING = """#!/bin/sh
echo "Error: source file could not be loaded: $*"
exit 1
"""


def program(folder: Path, text: str) -> str:
    path = folder / "soffice"
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def libreoffice(registry, monkeypatch):
    monkeypatch.setitem(registry.settings, office.SOFFICE_SETTING, "soffice")


def test_every_default_converts_to_pdf_in_one_run(libreoffice, order, env_of):
    context = sample_context()
    with env_of(order) as env:
        pdfs = services.to_pdf(env, [render_odt(default.content, context) for default in library.defaults()])
    assert len(pdfs) == len(library.CODES)
    for pdf in pdfs:
        assert pdf.startswith(b"%PDF-") and b"/Font" in pdf and len(pdf) > 10000


def test_a_word_template_is_converted_checked_and_used(libreoffice, order, case, env_of):
    dossier_id = case()
    with env_of(order) as env:
        [docx] = office.convert(env.registry.settings, [(library.default("convocazione_incontro").content, ".odt")],
                                to="docx")
        version = services.upload(env, "convocazione_incontro", docx, "convocazione.docx", note="Da Word")
        assert (version.number, version.converted_from, version.filename) == (1, "docx", "convocazione.odt")
        generated = services.generate(env, env.dbsession.get(Dossier, dossier_id), "convocazione_incontro",
                                      store=False)
    text = odt_text(generated.content)
    assert "Incontro con il debitore" in text and "Verdi Anna" in text and "{{" not in text


def test_without_libreoffice_the_message_says_what_to_do(registry, order, case, env_of):
    assert office.soffice_of(registry.settings) is None  # the tests' setting: never convert
    with pytest.raises(office.OfficeUnavailable) as raised:
        office.convert(registry.settings, [(b"x", ".odt")])
    assert "LibreOffice non è installato su questo server" in raised.value.message
    dossier_id = case()
    with env_of(order) as env:
        with pytest.raises(office.OfficeUnavailable):
            services.generate(env, env.dbsession.get(Dossier, dossier_id), "preventivo", pdf=True)
        assert env.dbsession.scalar(select(FormTemplateVersion)) is None
    with pytest.raises(office.ConversionFailed) as failed:
        office.run("/bin/false", [(b"x", ".odt")])
    assert "LibreOffice non è riuscito a convertire il documento" in failed.value.message


def test_libreoffice_gets_none_of_the_platform_s_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OCC_DATABASE_URL", "postgresql://occ:segreto@db.example.it/occ")
    [output] = office.run(program(tmp_path, ECHOING_ENVIRONMENT), [(b"x", ".odt")])
    environment = dict(line.split("=", 1) for line in output.decode().splitlines())
    assert "segreto" not in output.decode()
    assert environment["PATH"] == os.environ["PATH"] and environment["LC_ALL"] == "C.UTF-8"
    home = Path(environment["HOME"])
    assert home.name.startswith("occ-office-") and environment["TMPDIR"] == str(home) and not home.exists()
    assert set(environment) & set(os.environ) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD", "SHLVL", "_"}


def test_a_failed_conversion_tells_the_user_what_to_do_and_logs_what_libreoffice_said(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="occ_core.office"), pytest.raises(office.ConversionFailed) as failed:
        office.run(program(tmp_path, FAILING), [(b"x", ".odt")])
    assert failed.value.message == (
        "LibreOffice non è riuscito a convertire il documento. Verifichi che il documento si apra correttamente con "
        "LibreOffice o Word e riprovi; se il problema continua, lo segnali all'amministratore della piattaforma.")
    assert "source file could not be loaded" in failed.value.detail and "documento-00000.odt" in failed.value.detail
    assert "source file could not be loaded" in caplog.text and "documento-00000.odt" in caplog.text
