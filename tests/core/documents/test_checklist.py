"""The checklist of each procedure and the completeness of a dossier's file; who sees which document."""
import pytest
from sqlalchemy import select

from occ_core.documents import checklist, samples, services
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.procedures import PROCEDURES
from occ_core.testing.factories import login

LIMIT = 1024 * 1024
# What the law asks of every debtor and of the OCC, whatever the procedure (occ-law.md 3.1-3.6).
EVERYWHERE = {"istanza", "elenco_creditori", "atti_straordinari_5_anni", "dichiarazioni_redditi_3_anni",
              "redditi_familiari", "preventivo", "incarico_firmato", "dichiarazione_indipendenza",
              "dichiarazione_assenza_conflitto", "relazione_gestore"}


def test_every_procedure_has_a_checklist_of_known_categories():
    assert set(checklist.REQUIRED) == set(PROCEDURES)
    for procedure, required in checklist.REQUIRED.items():
        assert len(set(required)) == len(required), procedure
        assert set(required) <= set(checklist.CATEGORIES), procedure
        assert EVERYWHERE <= set(required), procedure
    for category in checklist.CATEGORIES.values():
        assert category.group in checklist.GROUPS


def test_checklists_follow_the_law():
    required = {code: set(items) for code, items in checklist.REQUIRED.items()}
    assert "scritture_contabili" in required["concordato_minore"]  # a business keeps accounts (art. 75)
    assert "inventario_beni" not in required["esdebitazione_incapiente"]  # nothing to list (art. 283)
    assert "proposta_piano" not in required["liquidazione_controllata"]
    for l3 in ("accordo_composizione", "piano_consumatore", "liquidazione_patrimonio"):
        assert {"spese_familiari", "certificato_stato_famiglia"} <= required[l3]  # L. 3/2012 art. 9 co. 2


@pytest.fixture
def add(storage):
    """``add(db, dossier, category)``: a document with one version, as the upload form stores it."""
    def add_document(db, dossier, category, content=None):
        return services.add_document(db, storage, dossier, None, content=content or samples.pdf(category),
                                     filename=f"{category}.pdf", limit=LIMIT, direction="entrata",
                                     category=category, title=checklist.category_label(category),
                                     visibility="interno")
    return add_document


@pytest.mark.parametrize("procedure", sorted(PROCEDURES))
def test_completeness_per_procedure(dbtx, order, new_dossier, add, procedure):
    dossier_id = new_dossier(order, 2, procedure)
    required = checklist.required_for(procedure)
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        assert checklist.completeness(db, dossier) == (0, len(required), [checklist.category_label(c)
                                                                          for c in required])
        for category in required[:-1]:
            add(db, dossier, category)
        add(db, dossier, "corrispondenza")  # filed, not required: counts for nothing
        present, total, missing = checklist.completeness(db, dossier)
        assert (present, total, missing) == (len(required) - 1, len(required),
                                             [checklist.category_label(required[-1])])
        assert checklist.has_document(db, dossier, required[0])
        assert not checklist.has_document(db, dossier, "relazione_gestore")
        relazione = add(db, dossier, "relazione_gestore")
        assert checklist.completeness(db, dossier).percent == 100
        services.withdraw(relazione, "Sostituita dalla relazione definitiva")
        db.flush()
        assert not checklist.has_document(db, dossier, "relazione_gestore")
        assert checklist.completeness(db, dossier).missing_labels == ["Relazione del gestore (OCC)"]


def test_unknown_procedure_requires_nothing(dbtx, order):
    with dbtx(order) as db:
        dossier = db.get(Dossier, order.dossier_id)
        dossier.procedure = "procedura_futura"
        assert checklist.completeness(db, dossier) == (0, 0, [])
        assert checklist.completeness(db, dossier).percent == 100


def test_visible_documents_per_audience(dbtx, order, add):
    with dbtx(order) as db:
        dossier = db.get(Dossier, order.dossier_id)
        titles = {}
        for visibility in services.VISIBILITIES:
            document = add(db, dossier, "altro", content=samples.pdf(visibility))
            document.visibility = titles[visibility] = visibility
        withdrawn = add(db, dossier, "altro", content=samples.pdf("ritirato"))
        withdrawn.visibility = "creditori"
        services.withdraw(withdrawn, "Errato")
        db.flush()

        def seen(audience):
            return sorted((d.visibility, d.withdrawn_at is not None)
                          for d in services.visible_documents(db, dossier, audience))

        assert seen("staff") == [("creditori", False), ("creditori", True), ("debitore", False),
                                 ("gestore", False), ("interno", False)]
        assert seen("gestore") == [("creditori", False), ("debitore", False), ("gestore", False)]
        assert seen("debitore") == [("creditori", False), ("debitore", False)]
        assert seen("creditori") == [("creditori", False)]
        assert all(d.versions for d in services.visible_documents(db, dossier, "creditori"))
        with pytest.raises(ValueError):
            services.visible_documents(db, dossier, "pubblico")


def test_documents_of_another_dossier_are_not_counted(dbtx, order, new_dossier, add):
    other_id = new_dossier(order, 2)
    with dbtx(order) as db:
        add(db, db.get(Dossier, other_id), "istanza")
    with dbtx(order) as db:
        dossier = db.scalar(select(Dossier).where(Dossier.id == order.dossier_id))
        assert checklist.completeness(db, dossier).present == 0
        assert services.visible_documents(db, dossier, "staff") == []


def test_a_category_no_longer_offered_still_shows(testapp, dbtx, order, add):
    with dbtx(order) as db:
        add(db, db.get(Dossier, order.dossier_id), "istanza").category = "vecchia_categoria"
        add(db, db.get(Dossier, order.dossier_id), "altro", content=samples.pdf("altro"))
    login(testapp, "segreteria@milano.it")
    page = testapp.get(f"/milano/dossiers/{order.dossier_id}/documents")
    assert [h.text for h in page.html.select("#documents h3")] == ["Altro", "vecchia_categoria"]
