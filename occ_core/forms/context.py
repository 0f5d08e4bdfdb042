"""The data a template can use, under the Italian names the Order types in Word (``{{ debitore.cognome }}``).

One builder turns the platform's rows into these names, for a real dossier (``dossier_context``) and for
the sample dossier that every uploaded template is checked against (``sample_context``, built from unsaved
rows through the very same functions): the two are built alike, so a name the sample lacks is a mistake in
the template. The sample does not vouch for every dossier, though: it has every optional part (and the
``extra`` names, such as ``protocollo``), while a dossier may lack one (``gestore``, ``preventivo``,
``incontro`` are then None, lists empty) or take a branch of a condition the sample does not; generating
its document then refuses with the reason. Amounts and dates are text the Italian way ("1.234,50",
"26/11/2026"); the raw value sits beside the amounts (``importo_valore``) for arithmetic in a template.
``VARIABLES`` is the catalogue shown on the templates page, with each example taken from the sample."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from occ_core.agenda.calendar import long_day, short_day
from occ_core.clock import ROME, today as rome_today
from occ_core.db import utcnow
from occ_core.dossiers import procedures
from occ_core.dossiers.models import Creditor, Debtor, Dossier, OtherParty
from occ_core.dossiers.parties import CREDITOR_KINDS, PARTY_ROLES, RANKS
from occ_core.forms.rendering import italian_amount, italian_date

MEETING_KINDS = ("incontro_debitore", "incontro_creditori", "udienza")
WHO = {"occ": "OCC", "gestore": "Gestore", "debitore": "Debitore", "creditori": "Creditori", "tribunale": "Tribunale",
       "liquidatore": "Liquidatore", "uffici": "Uffici"}
PROPOSED = {"minimo": "minimo", "medio": "medio", "massimo": "massimo"}


def amount(value) -> str:
    return "" if value is None else italian_amount(value)


def when(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(ROME).strftime("%d/%m/%Y")
    return italian_date(value)


def _address(street: str, postal_code: str, city: str, province: str) -> str:
    place = " ".join(filter(None, (postal_code, city))) + (f" ({province})" if province else "")
    return ", ".join(filter(None, (street, place.strip())))


# --- the parts ---------------------------------------------------------------------------------------------

def order_data(tenant) -> dict:
    return {
        "nome": tenant.name, "occ": tenant.occ_name or f"Organismo di composizione della crisi – {tenant.name}",
        "codice_fiscale": tenant.codice_fiscale, "partita_iva": tenant.partita_iva, "indirizzo": tenant.address,
        "cap": tenant.postal_code, "citta": tenant.city, "provincia": tenant.province,
        "indirizzo_completo": _address(tenant.address, tenant.postal_code, tenant.city, tenant.province),
        "email": tenant.email, "pec": tenant.pec, "telefono": tenant.phone, "referente": tenant.referente_name,
        "email_referente": tenant.referente_email,
    }


def dossier_data(tenant, dossier: Dossier) -> dict:
    procedure = procedures.PROCEDURES.get(dossier.procedure)
    return {
        "numero": dossier.number, "anno": dossier.year, "riferimento": f"{dossier.number}/{dossier.year}",
        "procedura": procedures.procedure_label(dossier.procedure), "codice_procedura": dossier.procedure,
        "norma": procedure.reference if procedure else "",
        "norma_fisco": procedure.tax_notice if procedure else "",
        "regime": procedure.regime if procedure else "",
        "normativa": procedures.REGIMES.get(procedure.regime, "") if procedure else "",
        "stato": procedures.state_label(tenant, dossier.state),
        "categoria_debitore": procedures.DEBTOR_CATEGORIES.get(dossier.debtor_category, dossier.debtor_category),
        "familiare": bool(dossier.family), "data_istanza": when(dossier.filed_on),
        "data_conferimento": when(dossier.incarico_accepted_on), "tribunale": dossier.court,
        "numero_rg": dossier.court_case_number, "oggetto": dossier.subject,
        "attivo": amount(dossier.attivo), "attivo_valore": dossier.attivo,
        "passivo": amount(dossier.passivo), "passivo_valore": dossier.passivo,
        "numero_creditori": len(dossier.creditors),
        "percentuale_soddisfazione": "" if dossier.satisfaction_percent is None
        else format(dossier.satisfaction_percent.normalize(), "f").replace(".", ","),
        "esito": dossier.outcome, "data_esito": when(dossier.outcome_on),
    }


def debtor_data(debtor: Debtor) -> dict:
    return {
        "nominativo": debtor.display_name, "nome": debtor.first_name, "cognome": debtor.last_name,
        "ragione_sociale": debtor.company_name,
        "persona": "giuridica" if debtor.person_kind == "giuridica" else "fisica",
        "codice_fiscale": debtor.codice_fiscale, "partita_iva": debtor.partita_iva,
        "data_nascita": when(debtor.birth_date), "luogo_nascita": debtor.birth_place,
        "indirizzo": debtor.address, "cap": debtor.postal_code, "citta": debtor.city, "provincia": debtor.province,
        "indirizzo_completo": _address(debtor.address, debtor.postal_code, debtor.city, debtor.province),
        "email": debtor.email, "pec": debtor.pec, "telefono": debtor.phone, "professione": debtor.occupation,
    }


def creditor_data(creditor: Creditor) -> dict:
    return {
        "nominativo": creditor.name, "tipo": CREDITOR_KINDS.get(creditor.kind, creditor.kind),
        "codice_fiscale": creditor.codice_fiscale, "partita_iva": creditor.partita_iva, "pec": creditor.pec,
        "email": creditor.email, "indirizzo": creditor.address, "importo": amount(creditor.amount_claimed),
        "importo_valore": creditor.amount_claimed, "grado": RANKS.get(creditor.rank, creditor.rank),
        "privilegiato": bool(creditor.secured), "classe": creditor.class_name,
    }


def party_data(party: OtherParty) -> dict:
    return {"nominativo": party.name, "ruolo": PARTY_ROLES.get(party.role, party.role), "email": party.email,
            "pec": party.pec, "telefono": party.phone, "codice_fiscale": party.codice_fiscale}


def gestore_data(appointment) -> dict:
    gestore = appointment.gestore
    person = gestore.registrant
    return {
        "nominativo": f"{person.first_name} {person.last_name}".strip(), "nome": person.first_name,
        "cognome": person.last_name, "codice_fiscale": person.codice_fiscale, "partita_iva": gestore.partita_iva,
        "email": person.email, "pec": person.pec, "telefono": person.phone or person.mobile,
        "indirizzo_completo": _address(person.address, person.postal_code, person.city, person.province),
        "albo": person.albo_section, "numero_iscrizione": person.registration_number,
        "data_nomina": when(appointment.appointed_at), "data_accettazione": when(appointment.accepted_at),
    }


def _fee_value(value: dict) -> dict:
    return {"base": amount(Decimal(value["base"])), "compenso": amount(Decimal(value["compenso"])),
            "spese_generali": amount(Decimal(value["general_expenses"])), "onorario": amount(Decimal(value["fee"])),
            "spese": amount(Decimal(value["expenses"])), "imponibile": amount(Decimal(value["taxable"])),
            "iva": amount(Decimal(value["vat"])), "totale": amount(Decimal(value["total"])),
            "totale_valore": Decimal(value["total"])}


def estimate_data(estimate) -> dict | None:
    """The latest preventivo, with the breakdown of the value proposed and of the other two."""
    if estimate is None:
        return None
    result = estimate.result
    inputs = result.get("inputs", {})
    values = {name: _fee_value(value) for name, value in result.get("values", {}).items()}
    chosen = values.get(estimate.proposed, {})
    percent = lambda key: format(Decimal(str(inputs.get(key) or result.get(key) or 0)).normalize(), "f")  # noqa: E731
    return {
        "versione": estimate.version, "data": when(estimate.created_at),
        "valore_proposto": PROPOSED.get(estimate.proposed, estimate.proposed), **chosen,
        "minimo": values.get("minimo", {}), "medio": values.get("medio", {}), "massimo": values.get("massimo", {}),
        "attivo": amount(Decimal(inputs.get("attivo", "0"))), "passivo": amount(Decimal(inputs.get("passivo", "0"))),
        "aliquota_iva": percent("vat_rate").replace(".", ","),
        "percentuale_spese_generali": percent("general_expenses_percent").replace(".", ","),
        "spese_documentate": [{"descrizione": item["description"], "importo": amount(Decimal(item["amount"]))}
                              for item in inputs.get("expenses", [])],
        "limite": (result.get("cap") or {}).get("reason", ""),
        "note": estimate.notes, "regole": estimate.rules_version,
    }


def deadline_data(deadline) -> dict:
    return {"descrizione": deadline.label, "scadenza": when(deadline.due_on), "scadenza_valore": deadline.due_on,
            "a_carico_di": WHO.get(deadline.who, deadline.who)}


def meeting_data(event, place: str) -> dict | None:
    if event is None:
        return None
    start = event.starts_at.astimezone(ROME)
    return {"titolo": event.title, "data": start.strftime("%d/%m/%Y"), "ora": start.strftime("%H:%M"),
            "data_estesa": long_day(start.date()), "fine": event.ends_at.astimezone(ROME).strftime("%H:%M"),
            "luogo": place, "collegamento": event.online_url, "descrizione": event.description}


def protocol_data(registration) -> dict:
    """A protocol registration (``extra`` of the ricevuta di protocollo and of the communications)."""
    from occ_core.protocol.numbering import reference
    from occ_core.protocol.services import DIRECTIONS, MEANS

    return {
        "numero": reference(registration.year, registration.number), "anno": registration.year,
        "data": when(registration.registered_at),
        "ora": registration.registered_at.astimezone(ROME).strftime("%H:%M"), "oggetto": registration.subject,
        "verso": DIRECTIONS.get(registration.direction, registration.direction),
        "mezzo": MEANS.get(registration.means, registration.means),
        "corrispondenti": registration.correspondent_names,
        "documento_ricevuto_data": when(registration.received_doc_date),
        "documento_ricevuto_numero": registration.received_doc_number,
        "file": [{"nome": item.filename, "ruolo": item.role, "impronta": bytes(item.sha256).hex(),
                  "dimensione": item.size} for item in registration.files],
    }


@dataclass
class Parts:
    """What a dossier's context is made of, read from the database or made up for the sample."""
    tenant: object
    dossier: Dossier
    appointments: list
    estimate: object | None
    deadlines: list
    meeting: object | None
    meeting_place: str
    missing: list[str]
    day: date


def build(parts: Parts, extra: dict) -> dict:
    dossier = parts.dossier
    debtors = [debtor_data(debtor) for debtor in dossier.debtors]
    gestori = [gestore_data(appointment) for appointment in parts.appointments]
    tenant = parts.tenant
    return {
        "ordine": order_data(tenant), "pratica": dossier_data(tenant, dossier),
        "debitore": debtors[0] if debtors else None, "debitori": debtors,
        "creditori": [creditor_data(creditor) for creditor in dossier.creditors],
        "totale_crediti": amount(sum((c.amount_claimed for c in dossier.creditors), Decimal("0"))),
        "altri_interessati": [party_data(party) for party in dossier.parties],
        "gestore": gestori[0] if gestori else None, "gestori": gestori,
        "referente": {"nominativo": tenant.referente_name, "email": tenant.referente_email},
        "preventivo": estimate_data(parts.estimate),
        "scadenze": [deadline_data(deadline) for deadline in parts.deadlines],
        "incontro": meeting_data(parts.meeting, parts.meeting_place),
        "documenti_mancanti": parts.missing,
        "oggi": italian_date(parts.day), "oggi_esteso": short_day(parts.day),
        "luogo": tenant.city,
        **extra,
    }


# --- a real dossier ----------------------------------------------------------------------------------------

def _next_meeting(db, dossier: Dossier):
    from occ_core.agenda.models import Event, Room

    row = db.execute(select(Event, Room.name).outerjoin(Room, Room.id == Event.room_id).where(
        Event.dossier_id == dossier.id, Event.kind.in_(MEETING_KINDS), Event.cancelled_at.is_(None),
        Event.starts_at >= utcnow()).order_by(Event.starts_at).limit(1)).first()
    if row is None:
        return None, ""
    event, room = row
    return event, ", ".join(filter(None, (room, event.place))) or ("in collegamento" if event.online_url else "")


def dossier_context(env, dossier: Dossier, **extra) -> dict:
    """The context of ``dossier`` for a template; ``extra`` adds or replaces names (``protocollo``,
    ``comunicazione``, ``destinatario`` ...). ``env``: a request or anything with ``dbsession`` and ``tenant``."""
    from occ_core.deadlines.models import Deadline
    from occ_core.documents.checklist import missing_from_debtor
    from occ_core.fees.services import latest_estimate
    from occ_core.gestori.screening import appointments_in_force

    db = env.dbsession
    deadlines = list(db.scalars(select(Deadline).where(
        Deadline.dossier_id == dossier.id, Deadline.done_at.is_(None), Deadline.cancelled_at.is_(None))
        .order_by(Deadline.due_on, Deadline.id)))
    meeting, place = _next_meeting(db, dossier)
    parts = Parts(env.tenant, dossier, appointments_in_force(db, dossier), latest_estimate(db, dossier), deadlines,
                  meeting, place, [category.label for category in missing_from_debtor(db, dossier)], rome_today())
    return build(parts, extra)


# --- the sample dossier ------------------------------------------------------------------------------------

SAMPLE_DAY = date(2026, 11, 26)


def _sample_estimate():
    from occ_core.fees.inputs import read

    request = read({"attivo": "35.000,00", "passivo": "182.450,00", "expenses": [
        {"description": "Visure catastali e ipotecarie", "amount": "120,00", "taxable": False}]})
    return SimpleNamespace(version=2, created_at=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
                           result=request.result.as_json(), proposed=request.proposed,
                           notes="Preventivo aggiornato dopo l'integrazione dell'elenco dei creditori.",
                           rules_version=request.result.rules_version)


def sample_parts() -> Parts:
    """A made-up dossier with every kind of data, as realistic as the checks need (nothing is saved)."""
    from occ_core.agenda.models import Event
    from occ_core.deadlines.models import Deadline
    from occ_core.gestori.models import Appointment, Gestore
    from occ_core.tenants.models import Tenant
    from shared_registry.models import Registrant

    tenant = Tenant(name="Ordine degli Avvocati di Milano", occ_name="OCC dell'Ordine degli Avvocati di Milano",
                    codice_fiscale="80052250156", address="Via Freguglia 1", postal_code="20122", city="Milano",
                    province="MI", email="occ@ordineavvocati.milano.it", pec="occ@pec.ordineavvocati.milano.it",
                    phone="02 5492 9211", referente_name="Avv. Paola Ferrari",
                    referente_email="referente.occ@ordineavvocati.milano.it", preferences={})
    debtors = [
        Debtor(person_kind="fisica", last_name="Rossi", first_name="Mario", codice_fiscale="RSSMRA75C12F205X",
               birth_date=date(1975, 3, 12), birth_place="Milano", address="Via Padova 120", postal_code="20132",
               city="Milano", province="MI", email="mario.rossi@example.it", pec="mario.rossi@pec.example.it",
               phone="333 1234567", occupation="Impiegato"),
        Debtor(person_kind="fisica", last_name="Bianchi", first_name="Lucia", codice_fiscale="BNCLCU78M45F205Y",
               birth_date=date(1978, 8, 5), birth_place="Monza", address="Via Padova 120", postal_code="20132",
               city="Milano", province="MI", email="lucia.bianchi@example.it", occupation="Commessa"),
    ]
    creditors = [
        Creditor(kind="banca", name="Banca Popolare di Esempio S.p.A.", partita_iva="01234567890",
                 pec="contenzioso@pec.bancaesempio.it", address="Piazza Affari 2, 20123 Milano",
                 amount_claimed=Decimal("98500.00"), rank="ipotecario", secured=True, class_name="Creditori ipotecari"),
        Creditor(kind="finanziaria", name="Finanziaria Rapida S.r.l.", partita_iva="09876543210",
                 pec="recupero@pec.finrapida.it", amount_claimed=Decimal("23750.50"), rank="chirografario"),
        Creditor(kind="riscossione", name="Agenzia delle Entrate-Riscossione", codice_fiscale="13756881002",
                 pec="protocollo@pec.agenziariscossione.gov.it", amount_claimed=Decimal("41200.00"),
                 rank="privilegiato_generale"),
        Creditor(kind="fornitore", name="Rossi & Figli <s.r.l.>", partita_iva="11122233344",
                 email="amministrazione@rossiefigli.example.it", amount_claimed=Decimal("18999.50"),
                 rank="chirografario"),
    ]
    dossier = Dossier(year=2026, number=57, procedure="ristrutturazione_consumatore", debtor_category="consumatore",
                      family=True, state="GESTORE_NOMINATO", filed_on=date(2026, 9, 14), court="Tribunale di Milano",
                      court_case_number="", subject="Ristrutturazione dei debiti della famiglia Rossi",
                      attivo=Decimal("35000.00"), passivo_declared=Decimal("182450.00"),
                      satisfaction_percent=Decimal("35"), incarico_accepted_on=date(2026, 10, 2), outcome="",
                      debtors=debtors, creditors=creditors,
                      parties=[OtherParty(role="avvocato", name="Avv. Giulia Verdi", email="g.verdi@example.it",
                                          pec="giulia.verdi@pec.example.it", phone="02 1234567")])
    registrant = Registrant(codice_fiscale="NREGPP70A01F205Z", last_name="Neri", first_name="Giuseppe",
                            albo_section="Avvocati", registration_number="A12345", email="g.neri@studioneri.it",
                            pec="giuseppe.neri@pec.studioneri.it", phone="02 7654321", address="Corso Venezia 10",
                            postal_code="20121", city="Milano", province="MI")
    gestore = Gestore(registrant=registrant, partita_iva="12345678901", enrolled_on=date(2020, 1, 15))
    appointment = Appointment(gestore=gestore, appointed_at=datetime(2026, 10, 9, 10, 0, tzinfo=timezone.utc),
                              accepted_at=datetime(2026, 10, 12, 8, 0, tzinfo=timezone.utc))
    deadlines = [
        Deadline(label="Deposito della relazione del gestore", who="gestore", due_on=date(2026, 12, 15)),
        Deadline(label="Comunicazione all'agente della riscossione e agli uffici fiscali (art. 68 co. 4)",
                 who="gestore", due_on=date(2026, 12, 1)),
    ]
    start = datetime.combine(date(2026, 12, 3), time(10, 30), ROME)
    meeting = Event(title="Incontro con il debitore", kind="incontro_debitore", starts_at=start,
                    ends_at=start + timedelta(hours=1), online_url="",
                    description="Esame della documentazione reddituale e dell'elenco dei creditori.")
    missing = ["Dichiarazioni dei redditi degli ultimi 3 anni", "Certificato di stato di famiglia"]
    return Parts(tenant, dossier, [appointment], _sample_estimate(), deadlines, meeting, "Sala riunioni, primo piano",
                 missing, SAMPLE_DAY)


SAMPLE_EXTRA = {
    "protocollo": {
        "numero": "2026-0001234", "anno": 2026, "data": "26/11/2026", "ora": "11:42",
        "oggetto": "Istanza di nomina del gestore della crisi – integrazione documentale",
        "verso": "In entrata", "mezzo": "PEC", "corrispondenti": "Rossi Mario",
        "documento_ricevuto_data": "25/11/2026", "documento_ricevuto_numero": "",
        "file": [{"nome": "integrazione.pdf", "ruolo": "primario", "dimensione": 184320,
                  "impronta": "9f2c7a1e5b3d4c6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"},
                 {"nome": "cud-2025.pdf", "ruolo": "allegato", "dimensione": 51200,
                  "impronta": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"}],
    },
    "destinatario": {"nominativo": "Banca Popolare di Esempio S.p.A.", "indirizzo": "contenzioso@pec.bancaesempio.it",
                     "ruolo": "Creditore"},
    "comunicazione": {"oggetto": "Convocazione all'incontro del 03/12/2026",
                      "testo": "Con la presente si comunica ...", "data": "26/11/2026"},
}


def sample_context() -> dict:
    """The sample dossier's context, with every optional name the platform may pass in ``extra`` filled."""
    return build(sample_parts(), dict(SAMPLE_EXTRA))


# --- the catalogue -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    example: str = ""


DESCRIPTIONS = (
    ("ordine.nome", "Nome dell'Ordine"), ("ordine.occ", "Denominazione dell'Organismo (OCC)"),
    ("ordine.indirizzo_completo", "Indirizzo della sede con CAP, città e provincia"),
    ("ordine.pec", "PEC dell'Organismo"), ("ordine.email", "E-mail dell'Organismo"),
    ("ordine.telefono", "Telefono"), ("ordine.codice_fiscale", "Codice fiscale dell'Ordine"),
    ("ordine.referente", "Referente dell'Organismo"),
    ("pratica.riferimento", "Numero della pratica nel registro (numero/anno)"),
    ("pratica.procedura", "Procedura"), ("pratica.norma", "Riferimento normativo della procedura"),
    ("pratica.normativa", "Disciplina applicabile (Codice della crisi o Legge 3/2012)"),
    ("pratica.norma_fisco", "Norma della comunicazione all'agente della riscossione e agli uffici fiscali "
                            "(vuota se la procedura non la prevede)"),
    ("pratica.stato", "Stato della pratica"), ("pratica.categoria_debitore", "Categoria del debitore"),
    ("pratica.data_istanza", "Data dell'istanza"), ("pratica.data_conferimento", "Data del conferimento dell'incarico"),
    ("pratica.tribunale", "Tribunale competente"), ("pratica.numero_rg", "Numero di ruolo generale"),
    ("pratica.attivo", "Attivo dichiarato"), ("pratica.passivo", "Passivo"),
    ("pratica.numero_creditori", "Numero dei creditori"),
    ("pratica.percentuale_soddisfazione", "Percentuale di soddisfazione proposta ai creditori"),
    ("debitore.nominativo", "Debitore (il primo): cognome e nome o ragione sociale"),
    ("debitore.nome", "Nome del debitore"), ("debitore.cognome", "Cognome del debitore"),
    ("debitore.codice_fiscale", "Codice fiscale del debitore"), ("debitore.data_nascita", "Data di nascita"),
    ("debitore.luogo_nascita", "Luogo di nascita"), ("debitore.indirizzo_completo", "Residenza o sede"),
    ("debitore.pec", "PEC del debitore"), ("debitore.email", "E-mail del debitore"),
    ("debitori", "Tutti i debitori (procedura familiare): {% for d in debitori %} ... {{ d.nominativo }} ... "
                 "{% endfor %}"),
    ("creditori", "Elenco dei creditori, per una tabella: una riga con {% for c in creditori %}, una riga con "
                  "{{ c.nominativo }}, {{ c.importo }} ..., una riga con {% endfor %}"),
    ("c.nominativo", "Nel ciclo dei creditori: denominazione del creditore"),
    ("c.tipo", "Tipo di creditore"), ("c.importo", "Importo del credito"), ("c.grado", "Grado del credito"),
    ("c.pec", "PEC del creditore"), ("c.indirizzo", "Indirizzo del creditore"),
    ("totale_crediti", "Totale dei crediti dichiarati"),
    ("gestore.nominativo", "Gestore nominato (il primo)"), ("gestore.codice_fiscale", "Codice fiscale del gestore"),
    ("gestore.pec", "PEC del gestore"), ("gestore.albo", "Albo di iscrizione del gestore"),
    ("gestore.data_nomina", "Data della nomina"), ("gestori", "Tutti i gestori nominati (nomina collegiale)"),
    ("referente.nominativo", "Referente dell'Organismo"),
    ("preventivo.versione", "Versione del preventivo"), ("preventivo.data", "Data del preventivo"),
    ("preventivo.valore_proposto", "Valore proposto (minimo, medio o massimo)"),
    ("preventivo.compenso", "Compenso del valore proposto"), ("preventivo.spese_generali", "Spese generali"),
    ("preventivo.onorario", "Compenso più spese generali"), ("preventivo.spese", "Spese documentate"),
    ("preventivo.imponibile", "Imponibile"), ("preventivo.iva", "IVA"), ("preventivo.totale", "Totale dovuto"),
    ("preventivo.aliquota_iva", "Aliquota IVA (%)"),
    ("preventivo.minimo.totale", "Totale del valore minimo (così anche medio e massimo)"),
    ("scadenze", "Scadenze aperte: {% for s in scadenze %}{{ s.descrizione }} entro il {{ s.scadenza }}{% endfor %}"),
    ("incontro.data", "Data del prossimo incontro"), ("incontro.ora", "Ora di inizio"),
    ("incontro.data_estesa", "Data del prossimo incontro per esteso"), ("incontro.luogo", "Luogo"),
    ("incontro.collegamento", "Collegamento per l'incontro a distanza"),
    ("documenti_mancanti", "Documenti che il debitore deve ancora fornire (non quelli dell'Organismo): "
                           "{% for documento in documenti_mancanti %}{{ documento }}{% endfor %}"),
    ("oggi", "Data di oggi"), ("oggi_esteso", "Data di oggi per esteso"), ("luogo", "Città dell'Organismo"),
    ("protocollo.numero", "Solo nella ricevuta di protocollo: numero di protocollo"),
    ("protocollo.data", "Data di protocollo"), ("protocollo.oggetto", "Oggetto"),
    ("protocollo.file", "File protocollati con la loro impronta: {% for f in protocollo.file %}{{ f.nome }} "
                        "{{ f.impronta }}{% endfor %}"),
    ("destinatario.nominativo", "Nelle comunicazioni: il destinatario"),
)


def _example(context: dict, name: str) -> str:
    value = context
    path = name.split(".")
    if path[0] == "c":
        value, path = context["creditori"][0], path[1:]
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list):
        return f"{len(value)} elementi"
    return "" if value is None else str(value) if not isinstance(value, bool) else ("sì" if value else "no")


def variables() -> list[Variable]:
    context = sample_context()
    return [Variable(name, description, _example(context, name)) for name, description in DESCRIPTIONS]


VARIABLES = variables()
