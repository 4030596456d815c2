"""Grid saves of register rows, and the register machinery's public names.

Both the page editors and the Excel importer validate through
:mod:`data_access.validation` and write through :func:`data_access.writes.apply`;
references resolve by natural key in one query per referenced register, duplicate keys
are checked within the batch and against the database, and writes are Core statements
(executemany), never row-by-row ORM.

A new register plugs in with a field spec in ``rules/<domain>.py`` and one
:class:`Adapter` in :data:`data_access.catalog.ADAPTERS` (see docs/adding-a-register.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data_access.adapters import (
    REF_TARGETS,
    Adapter,
    Hooks,
    RefTarget,
    Restored,
    RowProblem,
    Satellite,
    Written,
)
from data_access.audit import append_rows as audit
from data_access.audit import username_of
from data_access.bulk import Inserter, insert_rows
from data_access.catalog import ADAPTERS, adapter
from data_access.errors import ConflictError, LedgerError, NotAllowed, UnknownRegister
from data_access.json_values import from_json, to_json
from data_access.reads import fetch_by_ids, fetch_by_keys, ids_by_keys, iter_rows, list_page
from data_access.references import RefResolver
from data_access.saving import SaveResult, save_rows
from data_access.settings import dumps, get_setting, put_setting
from data_access.validation import NewRows, changed_columns, complete_row, unchecked
from data_access.writes import (
    Writer,
    apply,
    checked_many,
    referenced_ids,
    write_side,
)
from rules.access import Acting

__all__ = [
    "ADAPTERS",
    "REF_TARGETS",
    "Adapter",
    "ConflictError",
    "Hooks",
    "Inserter",
    "LedgerError",
    "NewRows",
    "NotAllowed",
    "RefResolver",
    "RefTarget",
    "Restored",
    "RowProblem",
    "Satellite",
    "SaveResult",
    "UnknownRegister",
    "Writer",
    "Written",
    "adapter",
    "apply",
    "audit",
    "changed_columns",
    "checked_many",
    "complete_row",
    "dumps",
    "fetch_by_ids",
    "fetch_by_keys",
    "from_json",
    "get_setting",
    "ids_by_keys",
    "insert_rows",
    "iter_display",
    "list_rows",
    "put_setting",
    "referenced_ids",
    "save_changes",
    "save_rows",
    "to_json",
    "unchecked",
    "username_of",
    "write_side",
]


def save_changes(
    session: Session,
    register: str,
    *,
    inserts: list[dict],
    updates: list[dict],
    deletes: list[dict],
    actor: Acting,
    now: dt.datetime,
) -> SaveResult:
    """:func:`data_access.saving.save_rows` of the register named ``register``: every
    insert/update/delete validated, then all of them written or none.

    Problems come back as :class:`RowProblem` (``row`` = index in its list, ``kind`` =
    which list). A stale version raises :class:`ConflictError` before anything is
    written. The caller owns the transaction. :class:`NotAllowed` unless ``actor`` may
    edit the register's page (and, for a ticket's rows, that ticket).
    """
    return save_rows(
        session,
        adapter(register),
        inserts=inserts,
        updates=updates,
        deletes=deletes,
        actor=actor,
        now=now,
    )


def list_rows(session: Session, register: str, **kw: Any) -> tuple[list[dict], int]:
    """One page of ``register``'s display rows and the total count (see
    :func:`data_access.reads.list_page`)."""
    return list_page(session, adapter(register), **kw)


def iter_display(session: Session, register: str, **kw: Any):
    """Every matching display row of ``register`` as a tuple, streamed (see
    :func:`data_access.reads.iter_rows`)."""
    return iter_rows(session, adapter(register), **kw)
