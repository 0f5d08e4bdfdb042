"""Registering, annulling, correcting, assigning and filing: the rules of DPR 445/2000 artt. 53-54 and of the
AgID Linee guida, through the services the screens and the demo use."""
import base64
import hashlib
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.audit.models import AuditEntry
from occ_core.clock import today
from occ_core.db import TenantViolation
from occ_core.documents import samples
from occ_core.documents.models import Document
from occ_core.documents.storage import storage_of
from occ_core.errors import UserError
from occ_core.protocol import segnatura, services
from occ_core.protocol.models import Annulment, Registration
from occ_core.protocol.numbering import ensure_default_register
from occ_core.testing.factories import make_tenant

from .conftest import SENDER, add_dossier, documents, incoming, outgoing


def load(dbtx, order, registration_id) -> Registration:
    with dbtx(order) as db:
        registration = db.get(Registration, registration_id)
        # Loaded while the session is open, for the assertions that follow.
        registration.correspondents, registration.files, registration.corrections, registration.annulment
        return registration


def test_incoming_registration_keeps_the_fields_of_article_53(order, register, dbtx, events):
    registration_id = register(incoming(received_doc_date="2026-01-15", received_doc_number="prot. 77/2026",
                                        classification="3.2 - Rapporti con i creditori"), documents(attachments=2))
    registration = load(dbtx, order, registration_id)
    assert registration.direction == "entrata" and registration.subject == "Precisazione del credito"
    assert [(c.role, c.name, c.tax_code, c.address) for c in registration.correspondents] == [
        ("mittente", SENDER["name"], SENDER["tax_code"], SENDER["address"])]
    assert registration.correspondent_names == SENDER["name"]
    assert (registration.received_doc_date, registration.received_doc_number) == (date(2026, 1, 15), "prot. 77/2026")
    assert [(f.position, f.role, f.filename, f.media_type) for f in registration.files] == [
        (0, "primario", "lettera.pdf", "application/pdf"), (1, "allegato", "allegato-1.pdf", "application/pdf"),
        (2, "allegato", "allegato-2.pdf", "application/pdf")]
    assert registration.registered_by_id is not None
    assert [(e.name, e.subject_id) for e in events] == [("protocol.registered", str(registration_id))]
    assert events[0].data["reference"] == f"{registration.year}-0000001"


def test_the_impronta_is_the_sha256_of_the_exact_bytes(order, register, dbtx, registry):
    files = documents(attachments=1)
    registration = load(dbtx, order, register(incoming(), files))
    for stored, (_name, content) in zip(registration.files, files):
        digest = hashlib.sha256(content).digest()
        assert stored.sha256 == digest and len(stored.sha256) == 32
        assert stored.digest_hex == digest.hex()
        assert segnatura.digest_base64(stored.sha256) == base64.b64encode(digest).decode()
        assert len(segnatura.digest_base64(stored.sha256)) == 44
        assert storage_of(registry).open(stored.digest_hex).read() == content


def test_outgoing_and_internal_correspondents(order, register, dbtx):
    sent = load(dbtx, order, register(outgoing()))
    assert [(c.role, c.name) for c in sent.correspondents] == [
        ("destinatario", "Banca Alfa S.p.A."), ("destinatario", "Rossi Mario")]
    assert sent.correspondent_names == "Banca Alfa S.p.A.; Rossi Mario"
    internal = load(dbtx, order, register({"direction": "interno", "subject": "Nota interna", "means": "mano"}))
    assert internal.correspondents == [] and internal.means == "mano"


BAD = [
    ({"direction": "altro"}, "entrata, in uscita o interna"),
    ({"subject": "  "}, "Oggetto: campo obbligatorio"),
    ({"mittente": None}, "Indichi il mittente"),
    ({"destinatari": ["Tizio"]}, "il destinatario è l'OCC"),
    ({"mittente": {"name": "", "address": "x@y.it"}}, "indichi il nome"),
    ({"mittente": "Ditta; 123; via Roma; altro"}, "troppe parti"),
    ({"mittente": {"name": "Ditta", "tax_code": "ABC"}}, "non è un codice fiscale valido"),
    ({"means": "piccione"}, "mezzo di ricezione"),
    ({"received_doc_date": "31/02/2026"}, "non è valida"),
    ({"received_doc_date": "2999-01-01"}, "non può essere futura"),
    ({"dossier": "99/2025"}, "non esiste"),
    ({"dossier": "la pratica di Rossi"}, "numero e anno"),
    ({"assigned_to_id": "999999"}, "assegnatario"),
    ({"classification": "x" * 61}, "al massimo 60"),
    ({"numero": 5}, "Campi sconosciuti: numero"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_input_is_refused_in_italian_and_nothing_is_written(order, register, snapshot, change, message):
    before = snapshot()
    with pytest.raises(UserError, match=message):
        register(incoming(**change))
    assert snapshot() == before


@pytest.mark.parametrize(("data", "files", "message"), [
    (outgoing(destinatari=""), None, "almeno un destinatario"),
    (outgoing(mittente=SENDER), None, "il mittente è l'OCC"),
    (outgoing(received_doc_number="12"), None, "solo per la corrispondenza in entrata"),
    (incoming(), [("lettera.exe", samples.executable())], "Documento principale: Il tipo del file non è ammesso"),
    (incoming(), [("lettera.pdf", b"%PDF-1.4"), ("nota.html", b"<html><script>x</script></html>")],
     "Allegato «nota.html»: Le pagine web"),
    (incoming(), [("vuoto.pdf", b"")], "Il file è vuoto"),
])
def test_bad_files_and_correspondents_are_refused(order, register, snapshot, data, files, message):
    before = snapshot()
    with pytest.raises(UserError, match=message):
        register(data, files or documents())
    assert snapshot() == before


def test_no_document_is_refused(order, protocol_env, snapshot):
    before = snapshot()
    with pytest.raises(UserError, match="documento principale"):
        with protocol_env(order) as env:
            services.register(env, incoming(), [])
    assert snapshot() == before


def test_files_too_large_are_refused(order, register, small_uploads, snapshot):
    before = snapshot()
    with pytest.raises(UserError, match="supera la dimensione massima"):
        register(incoming(), [("grande.pdf", b"%PDF-1.4\n" + b"0" * 3000)])
    assert snapshot() == before


def test_a_registration_in_a_dossier_files_its_documents_there(order, register, dbtx):
    registration = load(dbtx, order, register(incoming(dossier="1/2025 – Rossi Mario"), documents(attachments=1)))
    assert registration.dossier_id == order.dossier_id
    with dbtx(order) as db:
        filed = db.scalars(select(Document).where(Document.dossier_id == order.dossier_id).order_by(Document.id)).all()
        assert [(d.direction, d.category, d.title) for d in filed] == [
            ("entrata", "corrispondenza", f"Prot. {registration.year}-0000001 – Precisazione del credito"),
            ("entrata", "corrispondenza", f"Prot. {registration.year}-0000001 – allegato: allegato-1.pdf")]
        assert [f.document_id for f in registration.files] == [d.id for d in filed]
        assert [d.current.sha256 for d in filed] == [f.digest_hex for f in registration.files]


def test_the_same_source_is_registered_once(order, register, snapshot):
    register(source="pec", source_ref="opec.1@example.it")
    before = snapshot()
    with pytest.raises(services.AlreadyRegistered, match="già stato protocollato: registrazione PROT") as refused:
        register(source="pec", source_ref="opec.1@example.it")
    assert refused.value.registration.number == 1
    assert snapshot() == before


# --- annulment --------------------------------------------------------------------------------------------

def annul(protocol_env, order, registration_id, email="amministratore@milano.it", **fields):
    values = {"reason": "Registrato due volte", "act_reference": "Decreto del referente n. 3",
              "act_date": today().isoformat(), **fields}
    with protocol_env(order, email) as env:
        registration = env.dbsession.get(Registration, registration_id)
        return services.annul(env, registration, **values).id


@pytest.mark.parametrize(("fields", "message"), [
    ({"reason": ""}, "Motivo dell'annullamento: campo obbligatorio"),
    ({"act_reference": " "}, "provvedimento di autorizzazione: campo obbligatorio"),
    ({"act_date": ""}, "Data del provvedimento di autorizzazione: campo obbligatorio"),
    ({"act_date": "2999-01-01"}, "non può essere futura"),
    ({"act_date": "2020-01-01"}, "non può precedere la registrazione"),
])
def test_an_annulment_needs_reason_and_authorising_act(order, register, protocol_env, snapshot, fields, message):
    registration_id = register()
    before = snapshot()
    with pytest.raises(UserError, match=message):
        annul(protocol_env, order, registration_id, **fields)
    assert snapshot() == before


@pytest.mark.parametrize("email", ["segreteria@milano.it", "referente@milano.it", None])
def test_only_a_user_with_the_annul_permission_annuls(order, register, protocol_env, dbtx, email):
    registration_id = register()
    with pytest.raises(UserError, match="Non ha il permesso di annullare"):
        annul(protocol_env, order, registration_id, email=email)
    with dbtx(order) as db:
        assert db.scalar(select(Annulment)) is None


def test_an_annulled_registration_stays_legible_and_cannot_be_annulled_twice(order, register, protocol_env, dbtx,
                                                                           events):
    registration_id = register(incoming(), documents(attachments=1))
    annul(protocol_env, order, registration_id)
    registration = load(dbtx, order, registration_id)
    assert registration.annulled
    assert (registration.annulment.reason, registration.annulment.act_reference, registration.annulment.act_date) == (
        "Registrato due volte", "Decreto del referente n. 3", today())
    # Everything registered is still there, unchanged.
    assert (registration.number, registration.subject, len(registration.files)) == (1, "Precisazione del credito", 2)
    assert [e.name for e in events] == ["protocol.registered", "protocol.annulled"]
    with pytest.raises(UserError, match="già stata annullata"):
        annul(protocol_env, order, registration_id, reason="Di nuovo")
    for action in (lambda env, r: services.correct(env, r, {"subject": "Nuovo"}, "Errore"),
                   lambda env, r: services.reassign(env, r, {"classification": "1"}),
                   lambda env, r: services.link_dossier(env, r, "1/2025")):
        with pytest.raises(UserError, match="è annullata"):
            with protocol_env(order, "amministratore@milano.it") as env:
                action(env, env.dbsession.get(Registration, registration_id))


# --- corrections ---------------------------------------------------------------------------------------------

def correct(protocol_env, order, registration_id, changes, reason="Errore di battitura", at=None):
    with protocol_env(order) as env:
        registration = env.dbsession.get(Registration, registration_id)
        options = {"clock": lambda: at} if at else {}
        return [(c.field, c.old_value, c.new_value) for c in
                services.correct(env, registration, changes, reason, **options)]


def test_corrections_keep_every_earlier_value_with_author_and_time(order, register, protocol_env, dbtx):
    registration_id = register(incoming(received_doc_number="12"))
    first = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    assert correct(protocol_env, order, registration_id, {"subject": "Precisazione del credito ipotecario",
                                                          "received_doc_number": "12"}, at=first) == [
        ("subject", "Precisazione del credito", "Precisazione del credito ipotecario")]
    assert correct(protocol_env, order, registration_id, {
        "subject": "Precisazione del credito chirografario", "means": "raccomandata",
        "mittente": {"name": "Banca Beta S.p.A.", "address": "beta@pec.example.it"}}) == [
        ("subject", "Precisazione del credito ipotecario", "Precisazione del credito chirografario"),
        ("means", "PEC", "Raccomandata"),
        ("mittente", "Banca Alfa S.p.A. (01234560017) <banca.alfa@pec.example.it>",
         "Banca Beta S.p.A. <beta@pec.example.it>")]
    registration = load(dbtx, order, registration_id)
    assert registration.subject == "Precisazione del credito chirografario"
    assert registration.correspondent_names == "Banca Beta S.p.A."
    assert [c.old_value for c in registration.corrections if c.field == "subject"] == [
        "Precisazione del credito", "Precisazione del credito ipotecario"]
    assert registration.corrections[0].corrected_at == first
    with dbtx(order) as db:
        author = db.scalar(select(User.id).where(User.email == "segreteria@milano.it"))
    assert {c.corrected_by_id for c in registration.corrections} == {author}
    assert {c.reason for c in registration.corrections} == {"Errore di battitura"}


def test_recipients_are_corrected_as_a_whole(order, register, protocol_env, dbtx):
    registration_id = register(outgoing())
    assert correct(protocol_env, order, registration_id, {"destinatari": "Banca Alfa S.p.A.\nGamma S.r.l."}) == [
        ("destinatari", "Banca Alfa S.p.A. (01234560017) <banca.alfa@pec.example.it>; "
                        "Rossi Mario (RSSMRA80E17F205X) <mario.rossi@example.it>",
         "Banca Alfa S.p.A.; Gamma S.r.l.")]
    assert [c.name for c in load(dbtx, order, registration_id).correspondents] == ["Banca Alfa S.p.A.", "Gamma S.r.l."]


@pytest.mark.parametrize(("changes", "reason", "message"), [
    ({"subject": "Precisazione del credito"}, "Nulla", "non c'è nulla da correggere"),
    ({"subject": "Nuovo oggetto"}, "", "Motivo della correzione: campo obbligatorio"),
    ({"number": 7}, "x", "numero di protocollo non si può correggere: si può solo annullare"),
    ({"registered_at": "2026-01-01"}, "x", "data di registrazione non si può correggere"),
    ({"files": []}, "x", "Documenti e impronte non si possono correggere"),
    ({"mittente": ""}, "x", "Indichi il mittente"),
    ({"destinatari": "Tizio"}, "x", "il destinatario è l'OCC"),
    ({"subject": ""}, "x", "Oggetto: campo obbligatorio"),
])
def test_corrections_that_are_refused(order, register, protocol_env, snapshot, changes, reason, message):
    registration_id = register()
    before = snapshot()
    with pytest.raises(UserError, match=message):
        correct(protocol_env, order, registration_id, changes, reason)
    assert snapshot() == before


def test_a_correction_needs_the_permission(order, register, protocol_env):
    registration_id = register()
    with pytest.raises(UserError, match="Non ha il permesso di correggere"):
        with protocol_env(order, "consultazione@milano.it") as env:
            services.correct(env, env.dbsession.get(Registration, registration_id), {"subject": "X"}, "y")


# --- what changes freely -------------------------------------------------------------------------------------

def test_assignment_and_classification_change_freely_and_are_audited(order, register, protocol_env, dbtx):
    registration_id = register()
    with dbtx(order) as db:
        assignee = db.scalar(select(User.id).where(User.email == "referente@milano.it"))
    for values in ({"classification": "3.2", "assigned_to_id": str(assignee), "assigned_office": "Segreteria"},
                   {"classification": "4.1", "assigned_to_id": "", "assigned_office": ""}):
        with protocol_env(order) as env:
            assert services.reassign(env, env.dbsession.get(Registration, registration_id), values)
    registration = load(dbtx, order, registration_id)
    assert (registration.classification, registration.assigned_to_id, registration.assigned_office) == ("4.1", None, "")
    assert registration.corrections == []
    with dbtx(order) as db:
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "protocol.reassigned")
                             .order_by(AuditEntry.id)).all()
    assert [a.details["changes"]["classification"] for a in audited] == [["", "3.2"], ["3.2", "4.1"]]
    with pytest.raises(UserError, match="assegnatario"):
        with protocol_env(order) as env:
            services.reassign(env, env.dbsession.get(Registration, registration_id), {"assigned_to_id": "abc"})


def test_filing_in_a_dossier_later_and_moving_it(order, register, protocol_env, dbtx):
    registration_id = register(incoming(), documents(attachments=1))
    with dbtx(order) as db:
        other = add_dossier(db, order, number=2)
    with protocol_env(order) as env:
        assert services.link_dossier(env, env.dbsession.get(Registration, registration_id), "1/2025")
    with protocol_env(order) as env:
        assert not services.link_dossier(env, env.dbsession.get(Registration, registration_id), order.dossier_id)
    with protocol_env(order) as env:
        assert services.link_dossier(env, env.dbsession.get(Registration, registration_id), "2/2025")
    registration = load(dbtx, order, registration_id)
    assert registration.dossier_id == other
    with dbtx(order) as db:
        first = db.scalars(select(Document).where(Document.dossier_id == order.dossier_id)).all()
        second = db.scalars(select(Document).where(Document.dossier_id == other)).all()
    assert len(first) == len(second) == 2
    assert all(d.withdrawn_at is not None and "spostato nella pratica 2/2025" in d.withdrawn_reason for d in first)
    assert all(d.withdrawn_at is None for d in second)
    assert sorted(f.document_id for f in registration.files) == sorted(d.id for d in second)
    with protocol_env(order) as env:
        assert services.link_dossier(env, env.dbsession.get(Registration, registration_id), "")
    registration = load(dbtx, order, registration_id)
    assert registration.dossier_id is None and {f.document_id for f in registration.files} == {None}


def test_a_register_of_another_order_is_never_used(order, protocol_env, dbtx, pm, snapshot):
    with dbtx() as db:
        other = make_tenant(db, pm, "roma")
    with dbtx(other) as db:
        foreign = ensure_default_register(db, other.id)
        db.expunge(foreign)
    before = snapshot()
    with pytest.raises(TenantViolation):
        with protocol_env(order) as env:
            services.register(env, incoming(), documents(), protocol_register=foreign)
    assert snapshot() == before
