"""Every default template renders for a dossier of each procedure, with the dossier's own data in it."""
from __future__ import annotations

from sqlalchemy import select

from occ_core.dossiers import registration
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.dossiers.procedures import PROCEDURES
from occ_core.forms import library, services
from occ_core.fees.services import latest_estimate
from occ_core.forms.context import protocol_data, sample_context
from occ_core.forms.rendering import ODT_MEDIA_TYPE, italian_amount, render_odt
from occ_core.protocol.models import Registration

from .conftest import ESCAPED_CREDITOR, build_case, odt_parts, odt_text

# What each form must say of the dossier beyond the letterhead and the reference.
EXPECTED = {
    "preventivo": ("PREVENTIVO DEL COMPENSO", "art. 10, comma 3"),
    "conferimento_incarico": ("CONFERISCE", "Verdi Anna", "Bruni Carlo"),
    "nomina_gestore": ("NOMINA", "Paolo Neri"),
    "accettazione_incarico": ("DICHIARAZIONE DI INDIPENDENZA", "Paolo Neri", "art. 2399", ESCAPED_CREDITOR),
    "dichiarazione_referente": ("ASSENZA DI CONFLITTO DI INTERESSI", "Avv. Paola Ferrari"),
    "comunicazione_fisco": ("Agenzia delle Entrate-Riscossione", "Verdi Anna"),
    "comunicazione_creditori": ("Banca Lombarda S.p.A.", ESCAPED_CREDITOR, "98.500,00", "1.250,50", "140.950,50"),
    "convocazione_incontro": ("Incontro con il debitore", "Sala A"),
    "richiesta_integrazione": ("integrazione documentale",),
    "ricevuta_protocollo": ("RICEVUTA DI PROTOCOLLO", "lettera.pdf", "allegato.pdf"),
}
TAX_RULES = ("art. 68, comma 4", "art. 76, comma 4", "art. 9, comma 1")
TAX_RULE = {  # the article each procedure's letter to the tax offices cites (occ-law.md 3.1, 3.3, 3.6)
    "ristrutturazione_consumatore": "art. 68, comma 4", "concordato_minore": "art. 76, comma 4",
    "liquidazione_controllata": None, "esdebitazione_incapiente": None, "accordo_composizione": "art. 9, comma 1",
    "piano_consumatore": "art. 9, comma 1", "liquidazione_patrimonio": "art. 9, comma 1",
}
LEGAL_TEXT = {  # the article each procedure's letter to the creditors cites
    "ristrutturazione_consumatore": "art. 70", "concordato_minore": "art. 78", "liquidazione_controllata": "art. 272",
    "esdebitazione_incapiente": "art. 283", "accordo_composizione": "art. 10, comma 1",
    "piano_consumatore": "art. 12-bis", "liquidazione_patrimonio": "art. 14-quinquies",
}


def test_every_default_renders_for_a_dossier_of_each_procedure(order, env_of):
    assert len(PROCEDURES) == 7 and len(library.CODES) == 10
    with env_of(order) as env:
        for number, procedure in enumerate(PROCEDURES, 1):
            dossier = env.dbsession.get(Dossier, build_case(env, procedure))
            registration = env.dbsession.scalar(select(Registration).where(Registration.dossier_id == dossier.id))
            extra = {"protocollo": protocol_data(registration)}
            for code in library.CODES:
                generated = services.generate(env, dossier, code, extra=extra, store=False)
                assert generated.media_type == ODT_MEDIA_TYPE and generated.document is None
                assert generated.filename == f"{code}-{dossier.number}-{dossier.year}.odt"
                text = odt_text(generated.content)  # parses content.xml and styles.xml: well-formed
                for expected in ("Ordine degli Avvocati di Milano", "occ@pec.milano.example.it",
                                 f"{dossier.number}/{dossier.year}", *EXPECTED[code]):
                    assert expected in text, (procedure, code, expected)
                assert "{{" not in text and "{%" not in text, (procedure, code)
                if code == "comunicazione_creditori":
                    assert LEGAL_TEXT[procedure] in text, procedure
                if code == "comunicazione_fisco":
                    cited = [rule for rule in TAX_RULES if rule in text]
                    assert cited == ([TAX_RULE[procedure]] if TAX_RULE[procedure] else []), procedure
                    assert ("entro quindici giorni" in text) == (TAX_RULE[procedure] in TAX_RULES[:2]), procedure
                if code == "preventivo":
                    assert italian_amount(latest_estimate(env.dbsession, dossier).proposed_total) in text
                    assert ("ridotti della metà" in text) == (procedure == "esdebitazione_incapiente")
                if code == "ricevuta_protocollo":
                    for item in registration.files:
                        assert bytes(item.sha256).hex() in text
            assert number == dossier.number


def test_the_creditors_of_a_liquidazione_controllata_are_told_where_to_send_their_claims(order, case, env_of):
    dossier_id = case("liquidazione_controllata")
    with env_of(order) as env:
        text = odt_text(services.generate(env, env.dbsession.get(Dossier, dossier_id), "comunicazione_creditori",
                                          store=False).content)
    assert "all'indirizzo di posta elettronica certificata del liquidatore nominato nella sentenza" in text
    assert "all'indirizzo PEC indicato," not in text


def test_the_escaped_name_stays_text_in_the_xml(order, case, env_of):
    dossier_id = case()
    with env_of(order) as env:
        generated = services.generate(env, env.dbsession.get(Dossier, dossier_id), "comunicazione_creditori",
                                      store=False)
    content = odt_parts(generated.content)["content.xml"]
    assert "Rossi &amp; Figli &lt;s.r.l.&gt;" in content and ESCAPED_CREDITOR not in content


def test_generating_files_the_document_in_the_fascicolo(order, case, env_of):
    dossier_id = case("concordato_minore")
    with env_of(order) as env:
        generated = services.generate(env, env.dbsession.get(Dossier, dossier_id), "nomina_gestore")
        document = generated.document
        assert (document.direction, document.category, document.title, document.visibility) == (
            "uscita", "corrispondenza", "Nomina del gestore della crisi", "interno")
        assert document.current.filename == generated.filename and document.current.media_type == ODT_MEDIA_TYPE


def test_a_form_that_needs_missing_data_says_what_to_do(order, env_of):
    with env_of(order) as env:
        dossier = registration.open_dossier(env, {
            "procedure": "piano_consumatore", "debtor_category": "consumatore", "filed_on": "2026-03-10",
            "family": False, "debtor": {"person_kind": "fisica", "last_name": "Gialli", "first_name": "Ugo"}})
        for code, advice in (("preventivo", "salvi prima un preventivo"), ("nomina_gestore", "nomini prima il gestore"),
                             ("convocazione_incontro", "fissi prima l'incontro"),
                             ("ricevuta_protocollo", "registrazione di protocollo")):
            try:
                services.generate(env, dossier, code, store=False)
            except UserError as error:
                assert advice in error.message
            else:
                raise AssertionError(code)
        # The forms that need nothing more render for a bare dossier too.
        for code in ("conferimento_incarico", "dichiarazione_referente", "comunicazione_fisco",
                     "comunicazione_creditori", "richiesta_integrazione"):
            assert "Gialli Ugo" in odt_text(services.generate(env, dossier, code, store=False).content)


def test_the_sample_context_renders_every_default():
    context = sample_context()
    for default in library.defaults():
        assert "Rossi Mario" in odt_text(render_odt(default.content, context))
