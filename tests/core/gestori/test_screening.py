"""Who is never proposed: status, availability, training, and each rule of conflict of interest."""
from datetime import date, timedelta

from types import SimpleNamespace

import pytest

from occ_core.clock import today
from occ_core.gestori.policy import Policy
from occ_core.gestori.screening import rank, screen
from occ_core.gestori.training import add_years



@pytest.fixture
def p(codes):
    """The codes of the parties of ``dossier_with_parties``."""
    return SimpleNamespace(debtor=codes.cf("Bianchi", "Luca"), bank=codes.piva(4242),
                           lawyer=codes.cf("Neri", "Paolo", date(1965, 4, 2)),
                           anna=codes.cf("Rossi", "Anna", date(1980, 1, 1), True))


@pytest.fixture
def dossier_with_parties(dbtx, order, make_dossier, p):
    def make(db):
        return make_dossier(
            db, order.tenant,
            debtors=[{"last_name": "Bianchi", "first_name": "Luca", "codice_fiscale": p.debtor}],
            creditors=[{"name": "Banca Esempio S.p.A.", "partita_iva": p.bank, "codice_fiscale": p.bank},
                       {"name": "Rossi Anna", "codice_fiscale": p.anna}],
            parties=[{"name": "Avv. Paolo Neri", "codice_fiscale": p.lawyer}])
    return make


def reasons_of(db, dossier, gestore, policy=Policy(), rule="last_completed"):
    candidate = next(c for c in screen(db, dossier, policy, rule, today()) if c.gestore.id == gestore.id)
    return candidate.barriers + candidate.policy_reasons


def test_a_clean_gestore_is_eligible(dbtx, order, make_gestore, dossier_with_parties):
    with dbtx(order.tenant) as db:
        gestore = make_gestore(db, order.tenant, "Verdi", "Carla")
        assert reasons_of(db, dossier_with_parties(db), gestore) == []


def test_gestore_whose_vat_number_is_a_creditors(dbtx, order, make_gestore, dossier_with_parties, p):
    with dbtx(order.tenant) as db:
        dossier = dossier_with_parties(db)
        by_vat = make_gestore(db, order.tenant, "Gallo", "Piero", partita_iva=p.bank)
        # Same name as a creditor, another codice fiscale: a namesake, not the same person.
        namesake = make_gestore(db, order.tenant, "Rossi", "Anna")
        assert reasons_of(db, dossier, by_vat) == [
            "Conflitto di interessi: il gestore stesso è Banca Esempio S.p.A. (creditore)"]
        assert reasons_of(db, dossier, namesake) == []


def test_gestore_whose_codice_fiscale_is_the_debtors(dbtx, order, make_gestore, make_dossier):
    with dbtx(order.tenant) as db:
        gestore = make_gestore(db, order.tenant, "Mori", "Elena")
        dossier = make_dossier(db, order.tenant, debtors=[{
            "last_name": "Mori", "first_name": "Elena", "codice_fiscale": gestore.registrant.codice_fiscale}])
        assert reasons_of(db, dossier, gestore) == ["Conflitto di interessi: il gestore stesso è Mori Elena (debitore)"]


def test_declared_associate_matching_a_creditor_or_the_debtors_lawyer(dbtx, order, make_gestore,
                                                                       dossier_with_parties, p):
    with dbtx(order.tenant) as db:
        dossier = dossier_with_parties(db)
        with_creditor = make_gestore(db, order.tenant, "Conti", "Marco", links=[
            {"kind": "associato", "name": "Studio Banca", "partita_iva": p.bank}])
        with_lawyer = make_gestore(db, order.tenant, "Fabbri", "Sara", links=[
            {"kind": "associato", "name": "Avv. Neri", "codice_fiscale": p.lawyer}])
        assert reasons_of(db, dossier, with_creditor) == [
            "Conflitto di interessi: il professionista associato Studio Banca è Banca Esempio S.p.A. (creditore)"]
        assert reasons_of(db, dossier, with_lawyer) == [
            "Conflitto di interessi: il professionista associato Avv. Neri è Avv. Paolo Neri (avvocato)"]


def test_declared_relationship_by_code_or_by_name(dbtx, order, make_gestore, dossier_with_parties, p):
    with dbtx(order.tenant) as db:
        dossier = dossier_with_parties(db)
        by_code = make_gestore(db, order.tenant, "Ferri", "Luigi", links=[
            {"kind": "relazione", "name": "Anna Rossi", "codice_fiscale": p.anna,
             "description": "cugina"}])
        by_name = make_gestore(db, order.tenant, "Galli", "Rita", links=[
            {"kind": "relazione", "name": "LUCA bianchi", "description": "vicino di casa"}])
        unrelated = make_gestore(db, order.tenant, "Testa", "Ugo", links=[
            {"kind": "relazione", "name": "Luca Bianco"}])
        assert reasons_of(db, dossier, by_code) == [
            "Conflitto di interessi: relazione dichiarata con Rossi Anna (creditore): cugina"]
        assert reasons_of(db, dossier, by_name) == [
            "Conflitto di interessi: relazione dichiarata con Bianchi Luca (debitore): vicino di casa"]
        assert reasons_of(db, dossier, unrelated) == []


@pytest.mark.parametrize("ended, conflict", [
    (None, True),                                     # still working for the debtor
    (lambda d: d - timedelta(days=4 * 365), True),    # ended four years ago
    (lambda d: add_years(d, -5) + timedelta(days=1), True),  # five years minus a day
    (lambda d: add_years(d, -5), False),              # exactly five years ago: the window is over
    (lambda d: d - timedelta(days=6 * 365), False),
])
def test_work_for_the_debtor_in_the_last_five_years(dbtx, order, make_gestore, dossier_with_parties, p, ended, conflict):
    with dbtx(order.tenant) as db:
        dossier = dossier_with_parties(db)
        gestore = make_gestore(db, order.tenant, "Sala", "Nino", links=[
            {"kind": "incarico", "name": "Bianchi Luca", "codice_fiscale": p.debtor,
             "ended_on": ended(today()) if ended else None}])
        reasons = reasons_of(db, dossier, gestore)
        assert bool(reasons) is conflict
        if conflict:
            assert "incarico per il debitore Bianchi Luca" in reasons[0] and "art. 11 co. 3" in reasons[0]


def test_work_for_a_creditor_is_not_the_five_year_rule(dbtx, order, make_gestore, dossier_with_parties, p):
    with dbtx(order.tenant) as db:
        gestore = make_gestore(db, order.tenant, "Riva", "Olga", links=[
            {"kind": "incarico", "name": "Banca Esempio", "partita_iva": p.bank}])
        assert reasons_of(db, dossier_with_parties(db), gestore) == []


def test_suspended_unavailable_not_in_regola_and_struck_off_are_never_proposed(dbtx, order, make_gestore,
                                                                               make_dossier):
    with dbtx(order.tenant) as db:
        dossier = make_dossier(db, order.tenant)
        suspended = make_gestore(db, order.tenant, "Pace", "Ada", status="sospeso",
                                 status_reason="Procedimento disciplinare", status_since=date(2026, 1, 10))
        unavailable = make_gestore(db, order.tenant, "Lodi", "Ezio", available=False)
        # Enrolled on 2022-01-10: the biennium 2024-01-10..2026-01-09 is the last completed, with 30 hours.
        late = make_gestore(db, order.tenant, "Sarti", "Ivo", enrolled_on=date(2022, 1, 10),
                            trainings=[(date(2023, 5, 1), "40"), (date(2025, 5, 1), "30")])
        struck_off = make_gestore(db, order.tenant, "Zani", "Rino")
        struck_off.registrant.status = "sospeso"
        fine = make_gestore(db, order.tenant, "Bassi", "Ugo")
        db.flush()
        assert reasons_of(db, dossier, suspended) == ["Sospeso dal 10/01/2026: Procedimento disciplinare"]
        assert reasons_of(db, dossier, unavailable) == ["Non disponibile a nuovi incarichi"]
        assert reasons_of(db, dossier, late) == [
            "Aggiornamento biennale: Non in regola: 30 ore di 40 nel biennio 10/01/2024–09/01/2026 (mancano 10)"]
        # The Order reading "a shortfall can be made good" does not help: the running biennium has no hours.
        assert reasons_of(db, dossier, late, rule="last_completed_or_current")
        assert reasons_of(db, dossier, struck_off) == ["Iscrizione all'Albo in stato «sospeso»"]
        ranked = rank(screen(db, dossier, Policy(), "last_completed", today()), Policy())
        assert [c.gestore.id for c in ranked] == [fine.id]


def test_territory_and_competence_required_or_preferred(dbtx, order, make_gestore, make_dossier):
    with dbtx(order.tenant) as db:
        dossier = make_dossier(db, order.tenant, court="Tribunale di Monza", procedure="concordato_minore")
        local = make_gestore(db, order.tenant, "Monti", "Aldo", circondario="monza")
        expert = make_gestore(db, order.tenant, "Cremona", "Bice", specialisations=["concordato_minore"])
        other = make_gestore(db, order.tenant, "Longo", "Dino")
        strict = Policy(territory="required", competence="off")
        assert reasons_of(db, dossier, other, strict) == [
            "Circondario «Milano» diverso da quello del Tribunale di Monza"]
        assert reasons_of(db, dossier, local, strict) == []
        assert reasons_of(db, dossier, local, Policy(competence="required")) == [
            "Nessuna specializzazione in Concordato minore"]
        preferred = Policy(territory="preferred", competence="preferred")
        ranked = rank(screen(db, dossier, preferred, "last_completed", today()), preferred)
        assert [c.gestore.id for c in ranked] == [local.id, expert.id, other.id]
