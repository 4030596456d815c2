"""Scan-to-report (扫码报修): each device's unguessable link token, the public repair
request that opens a ticket (channel "online", SLA clock started by the one intake
command), the status lookup by ticket no. + phone, and the abuse limits.

Every public request is logged in ``public_requests`` (outcome, hashed client, token):
the rate limits count those rows, so they hold across browser tabs and app processes;
a duplicate (same link, phone and description within minutes) returns the ticket it
already made. Nothing here returns more of a customer's data than the public page
shows: model, site and the serial's last digits; status, engineer and next step.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.audit import append_rows
from data_access.db import ROOT
from data_access.errors import NotAllowed
from data_access.models import (
    Customer,
    Device,
    DeviceToken,
    ProductModel,
    PublicRequest,
    Ticket,
    User,
)
from data_access.settings import get_setting
from data_access.tickets import create_ticket
from rules.access import PUBLIC_ACTOR, Acting, Page, can_edit
from rules.faultcodes import (
    DEFAULT_LIMITS,
    MAX_TICKET_NO,
    ORPHAN_GRACE,
    PHOTO_KEEP_DAYS,
    URGENCY_PRIORITY,
    Limits,
    RepairForm,
    Urgency,
    check_form,
    check_photo,
    fingerprint,
    normalize_phone,
)
from rules.fields import Problem
from rules.tickets import Channel, Status

PHOTO_KEEP_SETTING = "report_photos.keep_days"  # overrides rules.faultcodes.PHOTO_KEEP_DAYS
TOKEN_BYTES = 24  # 192 random bits, 32 URL-safe characters
MAX_TOKEN = 64


def upload_dir() -> Path:
    """Where report photos are kept: ``AFTERSALES_UPLOAD_DIR`` or ``data/uploads`` (never
    a folder the web server serves)."""
    configured = os.environ.get("AFTERSALES_UPLOAD_DIR", "").strip()
    return Path(configured) if configured else ROOT / "data" / "uploads"


# ---------------------------------------------------------------- tokens (staff)
def _require_devices(actor: Acting, what: str) -> None:
    if not can_edit(actor.role, Page.CUSTOMERS):
        raise NotAllowed("edit", what)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def issue_token(
    session: Session, device_id: int, *, actor: Acting, now: dt.datetime, rotate: bool = False
) -> str:
    """The device's live link token; a new one when it has none, is revoked, or
    ``rotate`` (the old link stops working at once). Audited."""
    _require_devices(actor, "device_tokens")
    row = session.scalar(select(DeviceToken).where(DeviceToken.device_id == device_id))
    if row is not None and row.revoked_at is None and not rotate:
        return row.token
    if session.get(Device, device_id) is None:
        raise NotAllowed("edit", f"device #{device_id}")
    token = new_token()
    if row is None:
        session.add(DeviceToken(device_id=device_id, token=token))
        action = "insert"
    else:
        row.token, row.revoked_at = token, None
        action = "rotate"
    session.flush()
    append_rows(session, [{"key": device_id, "action": action}], entity="device_tokens",
          user_id=actor.id, now=now)  # fmt: skip
    return token


def revoke_token(session: Session, device_id: int, *, actor: Acting, now: dt.datetime) -> bool:
    """Stop the device's link (True when there was a live one). Audited."""
    _require_devices(actor, "device_tokens")
    row = session.scalar(select(DeviceToken).where(DeviceToken.device_id == device_id))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    session.flush()
    append_rows(session, [{"key": device_id, "action": "revoke"}], entity="device_tokens",
          user_id=actor.id, now=now)  # fmt: skip
    return True


@dataclass(frozen=True)
class Label:
    serial_no: str
    model: str | None
    location: str | None
    token: str


def labels_for_customer(
    session: Session, customer_id: int, *, actor: Acting, now: dt.datetime
) -> list[Label]:
    """One label per device of the customer, issuing tokens the devices lack."""
    _require_devices(actor, "device_tokens")
    devices = session.execute(
        select(Device.id, Device.serial_no, ProductModel.code, Device.location)
        .outerjoin(ProductModel, ProductModel.id == Device.model_id)
        .where(Device.customer_id == customer_id)
        .order_by(Device.serial_no)
    ).all()
    return [
        Label(serial, model, location, issue_token(session, did, actor=actor, now=now))
        for did, serial, model, location in devices
    ]


# ---------------------------------------------------------------- public: the device
@dataclass(frozen=True)
class PublicDevice:
    """What the public page may show of a device."""

    model: str | None
    serial_tail: str
    location: str | None


def _live(session: Session, token: str | None) -> tuple[DeviceToken, Device] | None:
    token = (token or "").strip()
    if not token or len(token) > MAX_TOKEN:
        return None
    found = session.execute(
        select(DeviceToken, Device)
        .join(Device, Device.id == DeviceToken.device_id)
        .where(DeviceToken.token == token, DeviceToken.revoked_at.is_(None))
    ).first()
    return (found[0], found[1]) if found else None


def device_for_token(session: Session, token: str | None) -> PublicDevice | None:
    """The device a live link names; None for an unknown or revoked link."""
    live = _live(session, token)
    if live is None:
        return None
    device = live[1]
    model = session.scalar(select(ProductModel.name).where(ProductModel.id == device.model_id))
    return PublicDevice(model, device.serial_no[-4:], device.location)


# ---------------------------------------------------------------- public: reporting
class Outcome(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    LIMITED = "limited"
    INVALID_LINK = "invalid_link"
    INVALID_INPUT = "invalid_input"


@dataclass(frozen=True)
class Submitted:
    outcome: Outcome
    ticket_no: str | None = None
    problems: tuple[Problem, ...] = ()


def _log(session: Session, now: dt.datetime, kind: str, outcome: str, **kw) -> None:
    session.add(PublicRequest(at=now, created_at=now, kind=kind, outcome=str(outcome), **kw))
    session.flush()


def _recent(session: Session, now: dt.datetime, minutes: int, kind: str, **where) -> int:
    since = now - dt.timedelta(minutes=minutes)
    query = select(func.count(PublicRequest.id)).where(
        PublicRequest.kind == kind, PublicRequest.at > since, PublicRequest.at <= now
    )
    for column, value in where.items():
        query = query.where(getattr(PublicRequest, column) == value)
    return session.scalar(query) or 0


def submit_report(
    session: Session,
    token: str | None,
    form: RepairForm,
    *,
    client: str | None,
    now: dt.datetime,
    photo: bytes | None = None,
    limits: Limits = DEFAULT_LIMITS,
    photos: Path | None = None,
) -> Submitted:
    """A public repair request: a ticket on the device's customer, or why not.

    Order: the link (unknown/revoked: INVALID_LINK), the rate limits per link and per
    client (every attempt counts), the form and photo (INVALID_INPUT with every
    problem), a duplicate of a report made within ``limits.duplicate_minutes`` (the
    earlier ticket), then the ticket through :func:`data_access.tickets.create_ticket`.
    Each attempt is logged; the caller commits.
    """
    live = _live(session, token)
    if live is None:
        _log(session, now, "report", Outcome.INVALID_LINK, client=client)
        return Submitted(Outcome.INVALID_LINK)
    link, device = live
    window = limits.window_minutes
    if _recent(session, now, window, "report", token=link.token) >= limits.per_token or (
        client and _recent(session, now, window, "report", client=client) >= limits.per_client
    ):
        _log(session, now, "report", Outcome.LIMITED, token=link.token, client=client)
        return Submitted(Outcome.LIMITED)
    problems = check_form(form)
    ext = None
    if photo:
        ext, code = check_photo(photo)
        if code:
            problems.append(Problem("photo", code))
    if problems:
        _log(session, now, "report", Outcome.INVALID_INPUT, token=link.token, client=client)
        return Submitted(Outcome.INVALID_INPUT, problems=tuple(problems))
    print_ = fingerprint(link.token, form.phone, form.description)
    since = now - dt.timedelta(minutes=limits.duplicate_minutes)
    earlier = session.scalar(
        select(Ticket.ticket_no)
        .join(PublicRequest, PublicRequest.ticket_id == Ticket.id)
        .where(
            PublicRequest.fingerprint == print_,
            PublicRequest.outcome == Outcome.CREATED,
            PublicRequest.at > since,
        )
        .order_by(PublicRequest.at.desc())
        .limit(1)
    )
    if earlier:
        _log(session, now, "report", Outcome.DUPLICATE, token=link.token, client=client,
             fingerprint=print_)  # fmt: skip
        return Submitted(Outcome.DUPLICATE, earlier)
    ticket = create_ticket(
        session,
        customer_id=device.customer_id,
        device_id=device.id,
        channel=Channel.ONLINE,
        priority=URGENCY_PRIORITY[Urgency(form.urgency)],
        fault_description=form.description.strip(),
        received_at=now,
        actor=PUBLIC_ACTOR,
        now=now,
        contact_name=form.contact_name.strip(),
        contact_phone=normalize_phone(form.phone),
    )
    stored = _store_photo(photo, ext, photos) if photo and ext else None
    _log(session, now, "report", Outcome.CREATED, token=link.token, client=client,
         fingerprint=print_, ticket_id=ticket.id, photo=stored)  # fmt: skip
    return Submitted(Outcome.CREATED, ticket.ticket_no)


def _store_photo(data: bytes, ext: str, folder: Path | None) -> str:
    """Keep a checked photo under a random name (never the uploaded one), owner-only."""
    folder = folder or upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{ext}"
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return name


# ---------------------------------------------------------------- public: status lookup
class LookupOutcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"  # unknown ticket and wrong phone alike
    LIMITED = "limited"


@dataclass(frozen=True)
class PublicStatus:
    outcome: LookupOutcome
    ticket_no: str | None = None
    status: str | None = None
    engineer: str | None = None


def lookup_status(
    session: Session,
    ticket_no: str | None,
    phone: str | None,
    *,
    client: str | None,
    now: dt.datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> PublicStatus:
    """Status and engineer of a ticket whose contact phone is ``phone``. A wrong phone
    gets the very answer an unknown ticket gets; lookups per client are limited (no
    guessing phone numbers). Logged."""
    if client and (
        _recent(session, now, limits.window_minutes, "lookup", client=client)
        >= limits.lookups_per_client
    ):
        _log(session, now, "lookup", LookupOutcome.LIMITED, client=client)
        return PublicStatus(LookupOutcome.LIMITED)
    number = (ticket_no or "").strip()[:MAX_TICKET_NO]
    wanted = normalize_phone(phone)
    found = None
    if number and wanted:
        found = session.execute(
            select(
                Ticket.id, Ticket.ticket_no, Ticket.status, Ticket.contact_phone, User.display_name
            )
            .outerjoin(User, User.id == Ticket.engineer_id)
            .where(Ticket.ticket_no == number)
        ).first()
    if found is None or normalize_phone(found.contact_phone) != wanted:
        _log(session, now, "lookup", LookupOutcome.NOT_FOUND, client=client)
        return PublicStatus(LookupOutcome.NOT_FOUND)
    _log(session, now, "lookup", LookupOutcome.FOUND, client=client, ticket_id=found.id)
    return PublicStatus(LookupOutcome.FOUND, found.ticket_no, found.status, found.display_name)


def customer_choices(session: Session) -> list[tuple[int, str]]:
    """Customers with devices, for the label sheet's picker."""
    rows = session.execute(
        select(Customer.id, Customer.code, Customer.name)
        .where(select(Device.id).where(Device.customer_id == Customer.id).exists())
        .order_by(Customer.code)
    ).all()
    return [(cid, f"{code} · {name}") for cid, code, name in rows]


def device_id_by_serial(session: Session, serial_no: str) -> int | None:
    return session.scalar(select(Device.id).where(Device.serial_no == (serial_no or "").strip()))


def photos_of(session: Session, ticket_id: int, folder: Path | None = None) -> list[bytes]:
    """The photos sent with a ticket's public report (for staff on the ticket detail)."""
    folder = folder or upload_dir()
    names = session.scalars(
        select(PublicRequest.photo).where(
            PublicRequest.ticket_id == ticket_id, PublicRequest.photo.is_not(None)
        )
    ).all()
    out = []
    for name in names:
        path = folder / Path(name).name  # a stored random name, never a path
        if path.is_file():
            out.append(path.read_bytes())
    return out


# ---------------------------------------------------------------- photo retention
@dataclass(frozen=True)
class PhotoSweep:
    orphans: int  # files no request row names (their write failed)
    expired: int  # photos of tickets finished longer ago than the retention


def sweep_photos(session: Session, now: dt.datetime, folder: Path | None = None) -> PhotoSweep:
    """Delete the report photos past their retention (:data:`PHOTO_KEEP_DAYS` after the
    ticket was closed or cancelled, setting ``report_photos.keep_days``) and the orphan
    files no request names. The request rows stay (the log is append-only); the ticket
    detail shows only the photos still on disk."""
    folder = folder or upload_dir()
    if not folder.is_dir():
        return PhotoSweep(0, 0)
    keep = get_setting(session, PHOTO_KEEP_SETTING)
    keep_days = keep if isinstance(keep, int) and keep > 0 else PHOTO_KEEP_DAYS
    finished = func.coalesce(Ticket.closed_at, Ticket.updated_at)
    named = dict(
        session.execute(
            select(PublicRequest.photo, Ticket.status.in_([Status.CLOSED, Status.CANCELLED])
                   & (finished < now - dt.timedelta(days=keep_days)))
            .outerjoin(Ticket, Ticket.id == PublicRequest.ticket_id)
            .where(PublicRequest.photo.is_not(None))
        ).all()
    )  # fmt: skip
    orphan_before = (now - ORPHAN_GRACE).timestamp()
    orphans = expired = 0
    for path in folder.iterdir():
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.name in named:
            if named[path.name]:
                path.unlink(missing_ok=True)
                expired += 1
        elif path.stat().st_mtime < orphan_before:
            path.unlink(missing_ok=True)
            orphans += 1
    return PhotoSweep(orphans, expired)
