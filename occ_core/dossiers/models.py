"""The dossier register (registro informatico degli affari, DM 202/2014 art. 9) and its parties."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import DATABASE_ONLY, Base, TenantOwned, UtcDateTime, utcnow

MONEY = Numeric(14, 2)
# The list's full-text search (PostgreSQL only; SQLite searches with LIKE): each of these tables keeps a stored
# tsvector of the names it is searched by, with a GIN index (migration f1a2b3c4d5e6). The list tests the
# vector of every row it walks; computed on the fly it cost more than the rest of the query. The models do not
# map these columns, which SQLite has not: ``occ db check`` leaves them out.
SEARCH_WORDS = {"dossiers": "search_words", "dossier_debtors": "name_words", "dossier_creditors": "name_words"}
# PostgreSQL only (migration a7d2c9e4b1f8): the dossiers' id with their Order and register number, so that the
# list's count, which reaches dossiers by id from their debtors, creditors and gestori, reads no dossier row.
DOSSIER_KEYS_INDEX = "ix_dossiers_id_keys"


def search_vector(table: str, *other_database_only: str) -> dict:
    """The table arguments naming ``table``'s stored search vector and its index (and ``other_database_only``
    columns or indexes) as database-only."""
    column = SEARCH_WORDS[table]
    return {"info": {DATABASE_ONLY: frozenset({column, f"ix_{table}_{column}", *other_database_only})}}


class DossierCounter(TenantOwned, Base):
    """Last dossier number given in a year: one row per Order and year, incremented under a row lock."""

    __tablename__ = "dossier_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Dossier(TenantOwned, Base):
    """A dossier (pratica): one application to the OCC, from its registration to the court's decision.

    ``year`` and ``number`` are the register's progressive number and never change once given."""

    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "year", "number"),
        # The list's state filter, alone or with the procedure's.
        Index("ix_dossiers_tenant_state_procedure", "tenant_id", "state", "procedure"),
        Index("ix_dossiers_tenant_filed_on", "tenant_id", "filed_on"),
        search_vector("dossiers", DOSSIER_KEYS_INDEX),
    )
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    filed_on: Mapped[date] = mapped_column(Date)
    procedure: Mapped[str] = mapped_column(String(40))
    debtor_category: Mapped[str] = mapped_column(String(30), default="consumatore")
    # Joint application of members of one family (CCII art. 66).
    family: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(40))
    state_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    court: Mapped[str] = mapped_column(String(120), default="")
    court_case_number: Mapped[str] = mapped_column(String(40), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    # Assets and liabilities as declared; the passivo can also be computed from the creditors.
    attivo: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    passivo_declared: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    passivo_from_creditors: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    creditor_count: Mapped[int] = mapped_column(Integer, default=0)
    # Proposed satisfaction of the creditors, in percent (the complement is the percentuale di riduzione).
    satisfaction_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    # Conferral of the incarico by the debtor (DM 202 art. 10 co. 3) and the referente's declaration that
    # the OCC has no conflict of interest (art. 10 co. 2): both precede the gestore's appointment.
    incarico_accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    referente_declaration_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    referente_declaration_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    outcome: Mapped[str] = mapped_column(String(40), default="")
    outcome_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome_notes: Mapped[str] = mapped_column(Text, default="")
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Denormalised for the list: the first debtor's name and the designated gestori's names.
    debtor_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    debtor_tax_code: Mapped[str] = mapped_column(String(16), default="", index=True)
    gestore_names: Mapped[str] = mapped_column(String(300), default="")
    # Names, codici fiscali and P.IVA of every party: the full-text search document.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    debtors: Mapped[list["Debtor"]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="Debtor.position")
    creditors: Mapped[list["Creditor"]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="Creditor.id")
    parties: Mapped[list["OtherParty"]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="OtherParty.id")
    transitions: Mapped[list["Transition"]] = relationship(
        back_populates="dossier", order_by="Transition.id")
    movements: Mapped[list["Movement"]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="Movement.on")

    @property
    def reference(self) -> str:
        return f"{self.number}/{self.year}"

    @property
    def passivo(self) -> Decimal:
        """The passivo used for figures: the declared one when entered, else the creditors' total."""
        return self.passivo_declared if self.passivo_declared is not None else self.passivo_from_creditors


class Debtor(TenantOwned, Base):
    """A debtor of the dossier; several for a family procedure. Natural or legal person."""

    __tablename__ = "dossier_debtors"
    __table_args__ = search_vector("dossier_debtors")
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    person_kind: Mapped[str] = mapped_column(String(10), default="fisica")  # fisica | giuridica
    codice_fiscale: Mapped[str] = mapped_column(String(16), default="", index=True)
    partita_iva: Mapped[str] = mapped_column(String(11), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    birth_place: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(2), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    pec: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    occupation: Mapped[str] = mapped_column(String(120), default="")
    # Household and income (art. 67 co. 2 / art. 283 co. 3): what the family lives on and needs.
    household_members: Mapped[int] = mapped_column(Integer, default=1)
    dependants: Mapped[int] = mapped_column(Integer, default=0)
    monthly_income: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    monthly_family_expenses: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    isee: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="debtors")

    @property
    def display_name(self) -> str:
        if self.person_kind == "giuridica":
            return self.company_name
        return f"{self.last_name} {self.first_name}".strip()


class Creditor(TenantOwned, Base):
    """A creditor of the dossier's debtors, with the claim as stated and its rank."""

    __tablename__ = "dossier_creditors"
    __table_args__ = search_vector("dossier_creditors")
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="altro")
    name: Mapped[str] = mapped_column(String(200))
    codice_fiscale: Mapped[str] = mapped_column(String(16), default="", index=True)
    partita_iva: Mapped[str] = mapped_column(String(11), default="", index=True)
    pec: Mapped[str] = mapped_column(String(254), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    amount_claimed: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    rank: Mapped[str] = mapped_column(String(30), default="chirografario")
    secured: Mapped[bool] = mapped_column(Boolean, default=False)
    class_name: Mapped[str] = mapped_column(String(80), default="")
    excluded_from_vote: Mapped[bool] = mapped_column(Boolean, default=False)
    exclusion_reason: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="creditors")


class OtherParty(TenantOwned, Base):
    """Defence lawyer, advisor or any other interested party of the dossier."""

    __tablename__ = "dossier_parties"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    codice_fiscale: Mapped[str] = mapped_column(String(16), default="")
    partita_iva: Mapped[str] = mapped_column(String(11), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    pec: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="parties")


class Transition(TenantOwned, Base):
    """One move of a dossier's state: who, when, why. Append-only."""

    __tablename__ = "dossier_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(40), default="")
    to_state: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The date of the act the move records (a decree, a filing), when it is not the day it was recorded:
    # legal terms run from it.
    effective_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    dossier: Mapped[Dossier] = relationship(back_populates="transitions")


class SavedFilter(TenantOwned, Base):
    """A named set of list filters a user keeps (filtri salvati)."""

    __tablename__ = "dossier_saved_filters"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# A dossier's movements are kept by the ledger; imported here so the relationship above always resolves.
from occ_core.ledger.models import Movement  # noqa: E402,F401
