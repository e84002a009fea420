"""All 15 tables of the seed schema (section 6) plus what the queue rules need: per-prefix daily counters,
the request-id log, the ticket event timeline, lokets, online bookings, node health and the BPJS outbox.

One module per area; importing this package registers every table in ``Base.metadata`` (Alembic's
migration environment relies on that)."""

from hub.db.models.admin import (
    AuditLog,
    NodeHealth,
    Notification,
    NotificationTemplate,
    QueueConfig,
    SiteIdentity,
    User,
)
from hub.db.models.bpjs import BpjsConfig, BpjsLog, BpjsOutbox
from hub.db.models.clinic import Doctor, DoctorSchedule, Polyclinic
from hub.db.models.patients import Patient, PatientDocument, RmSequence, VisitCard
from hub.db.models.registration import MandatoryInfoConsent, Registration
from hub.db.models.tickets import Booking, Counter, Queue, QueueCounter, RequestLog, TicketEvent

__all__ = [
    "AuditLog",
    "Booking",
    "BpjsConfig",
    "BpjsLog",
    "BpjsOutbox",
    "Counter",
    "Doctor",
    "DoctorSchedule",
    "MandatoryInfoConsent",
    "NodeHealth",
    "Notification",
    "NotificationTemplate",
    "Patient",
    "PatientDocument",
    "Polyclinic",
    "Queue",
    "QueueConfig",
    "QueueCounter",
    "Registration",
    "RequestLog",
    "RmSequence",
    "SiteIdentity",
    "TicketEvent",
    "User",
    "VisitCard",
]
