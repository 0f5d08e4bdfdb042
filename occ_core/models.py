"""Every core model, imported so that the metadata knows all core tables."""
from occ_core.accounts.models import LoginAttempt, Membership, Role, RoleGrant, UsedLinkToken, User  # noqa: F401
from occ_core.audit.models import AuditEntry  # noqa: F401
from occ_core.dispatch.models import Delivery, DeliveryEvent, OutboxMessage  # noqa: F401
from occ_core.tenants.models import Contract, Tenant, TenantModule  # noqa: F401
from occ_core.dossiers.models import Debtor, Creditor, Dossier, DossierCounter, OtherParty, SavedFilter, Transition  # noqa: F401
from occ_core.documents.models import Document, DocumentVersion  # noqa: F401
from occ_core.gestori.models import Appointment, AppointmentLogEntry, Gestore, GestoreLink, GestoreTraining  # noqa: F401
from occ_core.protocol.models import Annulment, Correction, Correspondent, DailyRegister, ProtocolCounter, ProtocolRegister, Registration, RegistrationFile  # noqa: F401
from occ_core.agenda.models import CalendarFeed, Event, Participant, ReminderSent, Room  # noqa: F401
from occ_core.deadlines.models import Deadline, DeadlineRule, Milestone  # noqa: F401
from occ_core.fees.models import FeeEstimate  # noqa: F401
from occ_core.ledger.models import Movement  # noqa: F401
from occ_core.invoicing.models import Invoice, InvoiceCounter, InvoiceLine, TransmissionCounter  # noqa: F401
from occ_core.compensation.models import GestoreInvoice, GestoreTaxProfile, SplitOverride  # noqa: F401
