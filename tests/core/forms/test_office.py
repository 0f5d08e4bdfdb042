"""PDF and DOCX through LibreOffice (the real program: one batch per test), and a clear message without it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from occ_core import office
from occ_core.dossiers.models import Dossier
from occ_core.forms import library, services
from occ_core.forms.context import sample_context
from occ_core.forms.models import FormTemplateVersion
from occ_core.forms.rendering import render_odt

from .conftest import odt_text


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
