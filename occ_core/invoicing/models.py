"""Invoices of the OCC to the parties (fatture, acconti, saldi, note di credito) and their numbering.

A draft may change or be deleted; issuing gives it the next number of the Order's year and freezes it,
XML included. A mistake in an issued invoice is corrected by a credit note, never by an edit."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

MONEY = Numeric(14, 2)
QUANTITY = Numeric(12, 2)
RATE = Numeric(5, 2)


class InvoiceCounter(TenantOwned, Base):
    """Last invoice number of an Order's year, incremented under a row lock; the file progressive too."""

    __tablename__ = "invoice_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class TransmissionCounter(TenantOwned, Base):
    """Last ProgressivoInvio of the Order's FatturaPA files; never restarts, so file names never repeat."""

    __tablename__ = "invoice_transmission_counters"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(TenantOwned, Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("tenant_id", "year", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # invoice | advance | final | credit_note (TD01, TD02, TD01 deducting the advances, TD04).
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | issued
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), nullable=True, index=True)
    # The invoice a credit note corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True, index=True)
    # Given on issue.
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    # CessionarioCommittente, copied from the dossier when the draft is made and editable until issue.
    customer_kind: Mapped[str] = mapped_column(String(20), default="consumer")  # consumer | business | public_body
    customer_first_name: Mapped[str] = mapped_column(String(60), default="")
    customer_last_name: Mapped[str] = mapped_column(String(60), default="")
    customer_company: Mapped[str] = mapped_column(String(80), default="")
    customer_tax_code: Mapped[str] = mapped_column(String(16), default="")
    customer_vat_country: Mapped[str] = mapped_column(String(2), default="IT")
    customer_vat_number: Mapped[str] = mapped_column(String(28), default="")
    customer_address: Mapped[str] = mapped_column(String(60), default="")
    customer_postal_code: Mapped[str] = mapped_column(String(5), default="")
    customer_city: Mapped[str] = mapped_column(String(60), default="")
    customer_province: Mapped[str] = mapped_column(String(2), default="")
    customer_country: Mapped[str] = mapped_column(String(2), default="IT")
    # SdI address: seven zeros for consumers and for customers reached by PEC.
    customer_recipient_code: Mapped[str] = mapped_column(String(7), default="0000000")
    customer_pec: Mapped[str] = mapped_column(String(256), default="")
    customer_email: Mapped[str] = mapped_column(String(256), default="")
    # The customer withholds tax (sostituto d'imposta): only then does a ritenuta apply.
    customer_withholds: Mapped[bool] = mapped_column(Boolean, default=False)

    causale: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    payment_method: Mapped[str] = mapped_column(String(4), default="MP05")  # ModalitaPagamento
    iban: Mapped[str] = mapped_column(String(34), default="")

    # Totals, computed from the lines whenever the draft changes and frozen on issue.
    taxable_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    vat_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    exempt_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    pension_fund_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    stamp_duty: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    withholding_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))  # ImportoTotaleDocumento
    amount_due: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))  # total less ritenuta

    # The FatturaPA file, produced once on issue: ProgressivoInvio, name and exact bytes.
    transmission_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    xml_filename: Mapped[str] = mapped_column(String(40), default="")
    xml: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    xml_sha256: Mapped[str] = mapped_column(String(64), default="")

    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position",
        foreign_keys="InvoiceLine.invoice_id")


class InvoiceLine(TenantOwned, Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # start_fee | fee | general_expenses | expense | stamp_recharge | advance_deduction | other:
    # compensation and the prima nota read what a line is for from here.
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(1000))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    vat_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("22.00"))
    # Natura of a line without IVA (N1, N2.1, N2.2, N3.1-N3.6, N4, ...); empty when IVA applies.
    vat_nature: Mapped[str] = mapped_column(String(4), default="")
    withholding: Mapped[bool] = mapped_column(Boolean, default=False)
    # The advance invoice a deduction line of a final invoice refers to.
    refers_to_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines", foreign_keys=[invoice_id])
