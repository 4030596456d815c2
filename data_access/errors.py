"""Errors the data layer raises for the pages to word in the reader's language.

One :class:`ConflictError` for every stale edit, whatever the register.
"""

from __future__ import annotations

from rules.fields import Problem


class ConflictError(Exception):
    """A row was changed by someone else since it was read (stale ``version``).

    ``what`` names the row (its natural key) or the register; pages say it in the
    reader's language.
    """

    def __init__(self, what: str, register: str | None = None):
        super().__init__(what)
        self.what = what
        self.register = register


class UnknownRegister(KeyError):
    """No adapter for this register (not built yet)."""


class LedgerError(ValueError):
    """A ledger register takes new rows only: a correction is a reversing row."""

    def __init__(self, register: str):
        super().__init__(register)
        self.register = register


class Refused(Exception):
    """A write a domain rule refuses, found inside the writing transaction (e.g. it would
    leave no active administrator). ``code`` and ``params`` are a message for the
    reader's language; the transaction rolls back."""

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params


class NotAllowed(Refused):
    """The acting user's role, or their tie to the row, does not allow this write.

    ``action`` names what was refused (a ticket action, ``edit`` or ``import``);
    ``what`` the row (its natural key) or the register. Nothing is written.
    """

    def __init__(self, action: str, what: str | None = None):
        super().__init__("err.not_allowed", action=str(action), what=what or "")
        self.action = str(action)
        self.what = what


# ---------------------------------------------------------------- tickets
class TicketNotFound(LookupError):
    pass


class TicketFinished(ValueError):
    """Dispatch or escalation of a ticket that is repaired, closed or cancelled."""


class ReportLocked(ValueError):
    """The service report of a closed ticket: locked until the ticket is reopened."""


class InvalidInput(ValueError):
    """Input a person can fix; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__([p.code for p in problems])
        self.problems = problems
