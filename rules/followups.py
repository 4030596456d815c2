"""Follow-up calls (回访): the values ``followups`` stores. Enums only for now; the
ticket follow-up's due date and number are in ``rules.tickets``."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


class Reason(StrEnum):
    TICKET = "ticket"
    COMPLAINT = "complaint"
    INSTALL = "install"
    PERIODIC = "periodic"


class Mode(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ONSITE = "onsite"
    ONLINE = "online"
