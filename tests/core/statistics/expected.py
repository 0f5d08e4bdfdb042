"""The statistics' figures computed again with plain SQL, written here and not taken from the feature, so
that a test compares two independent computations of each number."""
import statistics
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text

PRE = "('ISTANZA_RICEVUTA', 'ISTRUTTORIA_SEGRETERIA', 'PREVENTIVO_EMESSO', 'INCARICO_CONFERITO', 'ARCHIVIATA')"
DECIDED = ("(d.procedure IN ('ristrutturazione_consumatore', 'concordato_minore', 'accordo_composizione', "
           "'piano_consumatore') AND t.to_state = 'OMOLOGATO') OR (d.procedure = 'liquidazione_controllata' AND "
           "t.to_state = 'SENTENZA_APERTURA') OR (d.procedure = 'liquidazione_patrimonio' AND "
           "t.to_state = 'DECRETO_APERTURA') OR (d.procedure = 'esdebitazione_incapiente' AND "
           "t.to_state = 'DECRETO_ESDEBITAZIONE')")
CENT = Decimal("0.01")


def _italian_day(stored):
    value = datetime.fromisoformat(stored)
    return value.replace(tzinfo=value.tzinfo or timezone.utc).astimezone(ZoneInfo("Europe/Rome")).date().isoformat()


class Plain:
    """Plain SQL on one Order; ``start``/``end``/``procedure`` as the dashboard's filters."""

    def __init__(self, db, tenant_id):
        self.db, self.tenant_id = db, tenant_id
        self.postgresql = db.get_bind().dialect.name == "postgresql"
        if not self.postgresql:
            db.connection().connection.driver_connection.create_function("test_italian_day", 1, _italian_day)
        self.day = self.day_of("t")

    def day_of(self, alias):
        """The date of the act of the transition ``alias``."""
        if self.postgresql:
            return f"COALESCE({alias}.effective_on, CAST({alias}.at AT TIME ZONE 'Europe/Rome' AS DATE))"
        return f"COALESCE({alias}.effective_on, test_italian_day({alias}.at))"

    def rows(self, sql, **params):
        return [tuple(row) for row in self.db.execute(text(sql), {"tenant": self.tenant_id, **params})]

    def scope(self, procedure):
        return "d.tenant_id = :tenant AND d.filed_on BETWEEN :start AND :end" + (
            " AND d.procedure = :procedure" if procedure else "")

    def counts(self, column, start, end, procedure=""):
        return dict(self.rows(f"SELECT d.{column}, count(*) FROM dossiers d WHERE {self.scope(procedure)} "
                              f"GROUP BY d.{column}", start=start, end=end, procedure=procedure))

    def months(self, start, end, procedure=""):
        found = {}
        for (filed_on,) in self.rows(f"SELECT d.filed_on FROM dossiers d WHERE {self.scope(procedure)}",
                                     start=start, end=end, procedure=procedure):
            filed_on = filed_on if isinstance(filed_on, date) else date.fromisoformat(filed_on)
            found[(filed_on.year, filed_on.month)] = found.get((filed_on.year, filed_on.month), 0) + 1
        return found

    def gestori(self, start, end, procedure=""):
        return dict(self.rows(
            f"SELECT r.last_name || ' ' || r.first_name, count(DISTINCT a.dossier_id) FROM appointments a "
            f"JOIN gestori g ON g.id = a.gestore_id JOIN registry_registrants r ON r.id = g.registrant_id "
            f"JOIN dossiers d ON d.id = a.dossier_id WHERE {self.scope(procedure)} AND a.declined_at IS NULL "
            f"GROUP BY r.last_name, r.first_name", start=start, end=end, procedure=procedure))

    def durations(self, start, end, procedure=""):
        """[(dossiers, median days)] from filing to appointment, appointment to court, court to decision."""
        diff = "({a} - {b})" if self.postgresql else "CAST(julianday({a}) - julianday({b}) AS INTEGER)"
        spans = [diff.format(a="assigned", b="filed_on"), diff.format(a="in_court", b="assigned"),
                 diff.format(a="decided", b="in_court")]
        path = (f"SELECT d.filed_on, MIN(CASE WHEN t.to_state NOT IN {PRE} THEN {self.day} END) AS assigned, "
                f"MIN(CASE WHEN t.to_state = 'DEPOSITATO' THEN {self.day} END) AS in_court, "
                f"MIN(CASE WHEN {DECIDED} THEN {self.day} END) AS decided FROM dossiers d "
                f"LEFT JOIN dossier_transitions t ON t.dossier_id = d.id WHERE {self.scope(procedure)} "
                f"GROUP BY d.id, d.filed_on")
        params = {"start": start, "end": end, "procedure": procedure}
        if self.postgresql:
            medians = self.rows("SELECT " + ", ".join(
                f"count({span}), percentile_cont(0.5) WITHIN GROUP (ORDER BY {span})" for span in spans)
                + f" FROM ({path}) p", **params)[0]
            pairs = [(medians[i], medians[i + 1]) for i in range(0, 6, 2)]
        else:
            rows = self.rows("SELECT " + ", ".join(spans) + f" FROM ({path}) p", **params)
            columns = [[row[index] for row in rows] for index in range(len(spans))]
            pairs = [(len(values), statistics.median(values) if values else None)
                     for values in ([v for v in column if v is not None] for column in columns)]
        return [(count, None if median is None else Decimal(str(round(float(median), 1)))) for count, median in pairs]

    def amounts(self, start, end, procedure=""):
        scope = self.scope(procedure)
        params = {"start": start, "end": end, "procedure": procedure}
        money = [
            f"SELECT sum(COALESCE(d.passivo_declared, d.passivo_from_creditors)) FROM dossiers d WHERE {scope}",
            f"SELECT sum(d.attivo) FROM dossiers d WHERE {scope}",
            f"SELECT sum(e.proposed_total) FROM fee_estimates e JOIN dossiers d ON d.id = e.dossier_id WHERE {scope} "
            f"AND e.version = (SELECT max(v.version) FROM fee_estimates v WHERE v.dossier_id = e.dossier_id)",
            f"SELECT sum(CASE WHEN i.kind = 'credit_note' THEN -abs(i.total) ELSE i.total END) FROM invoices i "
            f"JOIN dossiers d ON d.id = i.dossier_id WHERE {scope} AND i.status = 'issued'",
            f"SELECT sum(CASE WHEN m.direction = 'entrata' THEN m.amount ELSE -m.amount END) FROM ledger_movements m "
            f"JOIN dossiers d ON d.id = m.dossier_id WHERE {scope} AND m.category IN ('start_fee', 'advance', "
            f"'balance', 'expense_refund', 'refund')",
        ]
        return [Decimal(str(self.rows(sql, **params)[0][0] or 0)).quantize(CENT) for sql in money]

    # --- the Ministry -----------------------------------------------------------------------------------------

    def ministry(self, year):
        """{(procedure, court, origin, fate): istanze} of the istanze handled in ``year``."""
        start, end = date(year, 1, 1), date(year, 12, 31)
        rows = self.rows(
            f"WITH p AS (SELECT d.id, d.filed_on, d.procedure, d.court, "
            f"MIN(CASE WHEN t.to_state NOT IN {PRE} THEN {self.day} END) AS assigned, "
            f"MIN(CASE WHEN t.to_state = 'ARCHIVIATA' THEN {self.day} END) AS archived "
            f"FROM dossiers d LEFT JOIN dossier_transitions t ON t.dossier_id = d.id "
            f"WHERE d.tenant_id = :tenant AND d.filed_on <= :end GROUP BY d.id, d.filed_on, d.procedure, d.court) "
            f"SELECT procedure, court, CASE WHEN filed_on >= :start THEN 'received' ELSE 'carried' END, "
            f"CASE WHEN assigned <= :end THEN 'assigned' WHEN archived <= :end THEN 'archived' ELSE 'pending' END "
            f"FROM p WHERE filed_on >= :start OR ((assigned IS NULL OR assigned >= :start) "
            f"AND (archived IS NULL OR archived >= :start))", start=start, end=end)
        found = {}
        for row in rows:
            found[row] = found.get(row, 0) + 1
        return found

    def archived(self, year):
        """[(state archived from, reason typed)] of the istanze archived in ``year`` and not assigned by its end."""
        return self.rows(
            f"SELECT t.from_state, t.reason FROM dossiers d JOIN dossier_transitions t ON t.dossier_id = d.id "
            f"WHERE d.tenant_id = :tenant AND t.to_state = 'ARCHIVIATA' AND {self.day} BETWEEN :start AND :end "
            f"AND NOT EXISTS (SELECT 1 FROM dossier_transitions x WHERE x.dossier_id = d.id "
            f"AND x.to_state NOT IN {PRE} AND {self.day_of('x')} <= :end)",
            start=date(year, 1, 1), end=date(year, 12, 31))

    def court_acts(self, year):
        """{(procedure, court, state, from_state): dossiers} of the court's acts and filings dated in ``year``."""
        rows = self.rows(
            f"SELECT d.procedure, d.court, t.to_state, t.from_state, count(DISTINCT d.id) FROM dossier_transitions t "
            f"JOIN dossiers d ON d.id = t.dossier_id "
            f"WHERE d.tenant_id = :tenant AND {self.day} BETWEEN :start AND :end "
            f"GROUP BY d.procedure, d.court, t.to_state, t.from_state",
            start=date(year, 1, 1), end=date(year, 12, 31))
        return {row[:4]: row[4] for row in rows}
