"""Notifications: the in-app inbox, the outbox and its delivery (SMTP e-mail, WeCom and
DingTalk group robots), the SLA early warning, and the notification settings.

Any domain tells people about something with one call, in the transaction of its own
action::

    from data_access.notifications import notify
    from rules.links import DeepLink
    from rules.notifications import Kind

    notify(session, [engineer_id], Kind.TICKET_ASSIGNED,
           {"ticket_no": ..., "customer": ..., "engineer": ..., "fault": ...},
           DeepLink("ticket", ticket_no), now=now)

``notify`` writes one inbox row per active recipient, an e-mail outbox row for each of
them with an address (when e-mail is on) and one row per configured group robot, inside
a SAVEPOINT: a failure there is logged and rolled back alone, never the caller's action.
Nothing is sent in the caller's transaction: the job ticker (``data_access/jobs.py``)
runs :func:`deliver_round`, which words each message in its reader's language, sends it
outside any transaction and records the outcome (retries with backoff, then failed).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from data_access import db
from data_access.audit import record
from data_access.errors import InvalidInput, NotAllowed
from data_access.models import Customer, Notification, OutboxMessage, Ticket, User
from data_access.settings import get_setting, put_setting
from data_access.ticket_queries import sla_state_is
from rules import notifications as N
from rules.access import Acting, Page, Role, can_edit
from rules.fields import Problem
from rules.i18n import DEFAULT_LANG, LANGS, t
from rules.links import DeepLink, link_url, parse_query
from rules.tickets import SlaState

log = logging.getLogger(__name__)

SETTINGS_KEY = "notify.settings"
SECRETS = ("smtp_password", "wecom_url", "dingtalk_url", "dingtalk_secret")
SECURITY = ("starttls", "ssl", "none")
TIMEOUT_SECONDS = 10.0
BATCH = 50
LOCK_KEY = 7_316_003  # advisory lock of a delivery round (PostgreSQL; backup holds 7_316_002)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class NotifySettings:
    base_url: str = ""
    sla_lead_minutes: int = N.SLA_LEAD_MINUTES_DEFAULT
    max_attempts: int = N.MAX_ATTEMPTS_DEFAULT
    robot_lang: str = DEFAULT_LANG
    smtp_enabled: bool = False
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_sender: str = ""
    wecom_enabled: bool = False
    wecom_url: str = field(default="", repr=False)  # its key= is the robot's credential
    dingtalk_enabled: bool = False
    dingtalk_url: str = field(default="", repr=False)
    dingtalk_secret: str = field(default="", repr=False)

    def webhooks(self) -> list[N.Channel]:
        on = []
        if self.wecom_enabled and self.wecom_url:
            on.append(N.Channel.WECOM)
        if self.dingtalk_enabled and self.dingtalk_url:
            on.append(N.Channel.DINGTALK)
        return on


_FIELDS = {f for f in NotifySettings.__dataclass_fields__}


def load_settings(session: Session) -> NotifySettings:
    stored = get_setting(session, SETTINGS_KEY) or {}
    known = {k: v for k, v in stored.items() if k in _FIELDS} if isinstance(stored, dict) else {}
    return replace(NotifySettings(), **known)


def settings_for_page(session: Session) -> dict[str, Any]:
    """The settings without their secrets: for each secret only whether it is set."""
    values = load_settings(session).__dict__.copy()
    for name in SECRETS:
        values[f"{name}_set"] = bool(values.pop(name))
    return values


def _problems(s: NotifySettings) -> list[Problem]:
    out = []
    if not 1 <= s.smtp_port <= 65535:
        out.append(Problem("smtp_port", "notify.err.port", {}))
    if s.smtp_security not in SECURITY:
        out.append(
            Problem(
                "smtp_security",
                "err.enum",
                {"value": s.smtp_security, "allowed": ", ".join(SECURITY)},
            )
        )
    for name in ("base_url", "wecom_url", "dingtalk_url"):
        value = getattr(s, name)
        if value and not re.match(r"^https?://[^\s/]+", value):
            shown = value if name == "base_url" else value.split("?")[0]
            out.append(Problem(name, "notify.err.url", {"value": shown}))
    if s.smtp_sender and not _EMAIL.match(s.smtp_sender):
        out.append(Problem("smtp_sender", "notify.err.email", {"value": s.smtp_sender}))
    if not 0 <= s.sla_lead_minutes <= N.LEAD_MINUTES_MAX:
        out.append(Problem("sla_lead_minutes", "notify.err.lead", {"max": N.LEAD_MINUTES_MAX}))
    if not 1 <= s.max_attempts <= 20:
        out.append(Problem("max_attempts", "notify.err.attempts", {}))
    if s.robot_lang not in LANGS:
        out.append(
            Problem("robot_lang", "err.enum", {"value": s.robot_lang, "allowed": ", ".join(LANGS)})
        )
    return out


def save_settings(
    session: Session, changes: Mapping[str, Any], *, actor: Acting, now: dt.datetime
) -> NotifySettings:
    """Change some settings (admins only; audited, secrets as "changed" only).

    A secret given as None or "" keeps the stored one; ``{"clear": ["smtp_password"]}``
    removes it. Every problem is reported at once; nothing is saved then."""
    if not can_edit(actor.role, Page.SETTINGS):
        raise NotAllowed("edit", SETTINGS_KEY)
    before = load_settings(session)
    clear = set(changes.get("clear", ()))
    values = {}
    for name, value in changes.items():
        if name not in _FIELDS:
            continue
        if name in SECRETS and not value:
            continue
        values[name] = value.strip() if isinstance(value, str) else value
    values.update({name: "" for name in clear & set(SECRETS)})
    after = replace(before, **values)
    problems = _problems(after)
    if problems:
        raise InvalidInput(problems)
    diff = {}
    for name in sorted(_FIELDS):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            diff[name] = ["***", "***"] if name in SECRETS else [old, new]
    if diff:
        put_setting(session, SETTINGS_KEY, after.__dict__.copy(), now)
        record(
            session, entity="settings", action="update", key=SETTINGS_KEY, changes=diff,
            user_id=actor.id, now=now,
        )  # fmt: skip
    return after


# ---------------------------------------------------------------- writing
def _link_text(link: DeepLink | str | None) -> str | None:
    if link is None or isinstance(link, str):
        return link or None
    return link.query


def notify(
    session: Session,
    user_ids: Iterable[int | None],
    kind: str,
    params: Mapping[str, Any] | None = None,
    link: DeepLink | str | None = None,
    *,
    now: dt.datetime | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Tell ``user_ids`` (inactive and None ignored) about ``kind`` with ``params``
    (JSON values) and a deep ``link``, in the caller's transaction. Returns the inbox
    rows written; 0 when nobody is left or the write failed (logged, rolled back to a
    savepoint: the caller's action goes on)."""
    now = now or dt.datetime.now().replace(microsecond=0)
    wanted = {u for u in user_ids if u is not None}
    payload = json.loads(json.dumps(dict(params or {}), default=str, ensure_ascii=False))
    query = _link_text(link)
    try:
        with session.begin_nested():
            return _write(session, wanted, str(kind), payload, query, now, dedupe_key)
    except SQLAlchemyError:
        log.exception("notification %s not written (the action itself went on)", kind)
        return 0


def _write(session, wanted, kind, payload, query, now, dedupe_key) -> int:
    recipients = (
        session.execute(
            select(User.id, User.email).where(User.id.in_(wanted), User.is_active.is_(True))
        ).all()
        if wanted
        else []
    )
    settings = load_settings(session)
    common = {"kind": kind, "params": payload, "link": query, "created_at": now}
    inbox = [{**common, "user_id": r.id, "dedupe_key": dedupe_key} for r in recipients]
    outbox = []
    if settings.smtp_enabled:
        outbox += [
            {**common, "channel": N.Channel.EMAIL, "user_id": r.id} for r in recipients if r.email
        ]
    if recipients or not wanted:  # a robot tells the group even when nobody is named
        outbox += [{**common, "channel": c, "user_id": None} for c in settings.webhooks()]
    for row in outbox:
        row.update(status=N.OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
    if inbox:
        session.execute(Notification.__table__.insert(), inbox)
    if outbox:
        session.execute(OutboxMessage.__table__.insert(), outbox)
    return len(inbox)


def already_notified(session: Session, dedupe_key: str) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.dedupe_key == dedupe_key)
        )
        > 0
    )


# ---------------------------------------------------------------- tickets
def _ticket_params(session: Session, ticket: Ticket) -> dict[str, Any]:
    customer = session.get(Customer, ticket.customer_id)
    return {"ticket_no": ticket.ticket_no, "customer": customer.name if customer else ""}


def _managers(session: Session) -> list[int]:
    return list(
        session.scalars(select(User.id).where(User.role == Role.MANAGER, User.is_active.is_(True)))
    )


def ticket_assigned(
    session: Session, ticket: Ticket, engineer_id: int, actor_id: int | None, now: dt.datetime
) -> None:
    """The engineer a ticket was just given (not when they gave it to themselves)."""
    if engineer_id == actor_id:
        return
    engineer = session.get(User, engineer_id)
    params = _ticket_params(session, ticket) | {
        "engineer": engineer.display_name if engineer else "",
        "fault": (ticket.fault_description or "")[:200],
    }
    link = DeepLink("ticket", ticket.ticket_no)
    notify(session, [engineer_id], N.Kind.TICKET_ASSIGNED, params, link, now=now)


def ticket_escalated(
    session: Session, ticket: Ticket, level: int, actor_id: int | None, now: dt.datetime
) -> None:
    """The ticket's engineer and the service managers, but not whoever escalated it."""
    people = [p for p in [ticket.engineer_id, *_managers(session)] if p != actor_id]
    params = _ticket_params(session, ticket) | {"level": level}
    link = DeepLink("ticket", ticket.ticket_no)
    notify(session, people, N.Kind.TICKET_ESCALATED, params, link, now=now)


def _fmt(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def warn_sla_at_risk(session: Session, now: dt.datetime) -> list[str]:
    """Tell the engineer and the managers about every open, running ticket whose
    response or resolution deadline falls within the lead time: once per ticket and
    deadline (a recomputed deadline is a new one). Returns the ticket numbers."""
    lead = load_settings(session).sla_lead_minutes
    if lead <= 0:
        return []
    soon = now + dt.timedelta(minutes=lead)
    due = session.scalars(
        select(Ticket)
        .where(sla_state_is(SlaState.DUE_SOON, now, dt.timedelta(minutes=lead)))
        .order_by(Ticket.id)
    ).all()
    managers = _managers(session)
    warned = []
    for ticket in due:
        clocks = [("resolve", ticket.resolve_due)]
        if ticket.responded_at is None:
            clocks.insert(0, ("respond", ticket.respond_due))
        for clock, deadline in clocks:
            if deadline is None or not now <= deadline < soon:
                continue
            key = f"sla:{ticket.id}:{clock}:{deadline.isoformat()}"
            if already_notified(session, key):
                continue
            people = [p for p in [ticket.engineer_id, *managers] if p is not None]
            if not people:  # nobody to tell (and no inbox row to remember it was sent)
                continue
            params = _ticket_params(session, ticket) | {"clock": clock, "due": _fmt(deadline)}
            link = DeepLink("ticket", ticket.ticket_no)
            if notify(session, people, N.Kind.SLA_AT_RISK, params, link, now=now, dedupe_key=key):
                warned.append(ticket.ticket_no)
    return warned


# ---------------------------------------------------------------- the inbox
def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def inbox(
    session: Session, user_id: int, lang: str, *, unread_only: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    """The user's newest messages, worded in ``lang``."""
    q = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    rows = session.scalars(q.order_by(Notification.id.desc()).limit(limit)).all()
    out = []
    for n in rows:
        message = N.compose(n.kind, n.params, lang, None)
        out.append(
            {
                "id": n.id,
                "at": n.created_at,
                "subject": message.subject,
                "body": message.body,
                "link": parse_query(n.link),
                "read": n.read_at is not None,
            }
        )
    return out


def mark_read(session: Session, user_id: int, ids: Iterable[int] | None, now: dt.datetime) -> int:
    """Mark the user's own messages read (``ids`` None: all of them)."""
    q = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        q = q.where(Notification.id.in_(list(ids)))
    return session.execute(q.values(read_at=now)).rowcount


# ---------------------------------------------------------------- the outbox
def outbox(
    session: Session, lang: str, *, status: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The newest outbox rows, for the admin's view (no secret in them)."""
    q = select(OutboxMessage, User.username, User.email).outerjoin(
        User, User.id == OutboxMessage.user_id
    )
    if status:
        q = q.where(OutboxMessage.status == status)
    rows = session.execute(q.order_by(OutboxMessage.id.desc()).limit(limit)).all()
    return [
        {
            "id": m.id,
            "created_at": m.created_at,
            "channel": m.channel,
            "recipient": f"{username} <{email or '-'}>" if username else "",
            "subject": N.compose(m.kind, m.params, lang, None).subject,
            "status": m.status,
            "attempts": m.attempts,
            "next_attempt_at": m.next_attempt_at if m.status == N.OutboxStatus.PENDING else None,
            "last_error": t(m.last_error, lang) if m.last_error else "",
            "sent_at": m.sent_at,
        }
        for m, username, email in rows
    ]


def retry_failed(session: Session, *, actor: Acting, now: dt.datetime) -> int:
    """Put the failed messages back in the queue with a fresh count (admins)."""
    if not can_edit(actor.role, Page.SETTINGS):
        raise NotAllowed("edit", "outbox")
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == N.OutboxStatus.FAILED)
        .values(status=N.OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
    ).rowcount


# ---------------------------------------------------------------- delivery
class DeliveryError(Exception):
    """Why one message could not be sent (stored as the row's last error)."""


def send_email(s: NotifySettings, to: str, subject: str, body: str) -> None:
    if not (s.smtp_enabled and s.smtp_host):
        raise DeliveryError("notify.err.smtp_off")
    mail = EmailMessage()
    mail["Subject"], mail["To"] = " ".join(subject.split()), to  # no line break in a header
    mail["From"] = formataddr((t("app.title", s.robot_lang), s.smtp_sender or s.smtp_username))
    mail.set_content(body)
    where = f"{s.smtp_host}:{s.smtp_port}"
    try:
        if s.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )  # fmt: skip
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT_SECONDS)
        with client:
            if s.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password)
            client.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP {where}: authentication failed ({exc.smtp_code})") from exc
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP {where}: {exc}"[:400]) from exc
    except socket.gaierror as exc:
        raise DeliveryError(f"SMTP {where}: unknown host ({exc.strerror})") from exc
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"SMTP {where}: cannot connect ({exc})"[:400]) from exc


def post_json(url: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    host = url.split("?")[0]  # the query holds the robot's key: never in an error
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            error = N.webhook_error(answer.status, answer.read(65536))
    except urllib.error.HTTPError as exc:
        error = N.webhook_error(exc.code, b"")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        error = f"cannot connect ({reason})"
    except ValueError:  # http.client.InvalidURL and the like: an address that cannot work
        error = "invalid address"
    if error:
        raise DeliveryError(f"{host}: {error}"[:400])


def _send(s: NotifySettings, row: Any, now_ms: int) -> None:
    lang = row.lang if row.lang in LANGS else DEFAULT_LANG
    if row.channel != N.Channel.EMAIL:
        lang = s.robot_lang
    link = parse_query(row.link)
    url = link_url(s.base_url, link) if link else None
    message = N.compose(row.kind, row.params, lang, url)
    match row.channel:
        case N.Channel.EMAIL:
            if not row.email:
                raise DeliveryError("notify.err.no_email")
            send_email(s, row.email, message.subject, N.email_text(message, lang))
        case N.Channel.WECOM:
            if not (s.wecom_enabled and s.wecom_url):
                raise DeliveryError("notify.err.webhook_off")
            post_json(s.wecom_url, N.wecom_payload(message, lang))
        case N.Channel.DINGTALK:
            if not (s.dingtalk_enabled and s.dingtalk_url):
                raise DeliveryError("notify.err.webhook_off")
            url = s.dingtalk_url
            if s.dingtalk_secret:
                url = N.dingtalk_signed_url(url, s.dingtalk_secret, now_ms)
            post_json(url, N.dingtalk_payload(message, lang))
        case _:
            raise DeliveryError(f"unknown channel {row.channel}")


@dataclass
class Round:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    # another round was running (the ticker, an admin's "send now", another instance):
    # this one sent nothing and left the messages to it
    skipped: bool = False


def _due(session: Session, now: dt.datetime, batch: int) -> list[Any]:
    return session.execute(
        select(
            OutboxMessage.id, OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.params,
            OutboxMessage.link, OutboxMessage.attempts, User.email, User.lang,
        )
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(
            OutboxMessage.status == N.OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
    ).all()  # fmt: skip


def deliver_round(engine: Engine, now: dt.datetime | None = None, batch: int = BATCH) -> Round:
    """Send the messages that are due, each outside any transaction, and record each
    outcome: sent, pending again after a backoff, or failed after the last attempt.
    On PostgreSQL one instance at a time runs a round (an advisory lock)."""
    now = now or dt.datetime.now().replace(microsecond=0)
    result = Round()
    # one round at a time in this process (the ticker and an admin's "send now")
    if not _round_lock.acquire(blocking=False):
        result.skipped = True
        return result
    try:
        _locked_round(engine, now, batch, result)
    finally:
        _round_lock.release()
    return result


_round_lock = threading.Lock()


def _locked_round(engine: Engine, now: dt.datetime, batch: int, result: Round) -> None:
    with engine.connect() as lock:
        if engine.dialect.name == "postgresql":
            got = lock.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
            lock.commit()
            if not got.scalar():
                result.skipped = True
                return
        try:
            with db.read(engine) as session:
                settings = load_settings(session)
                rows = _due(session, now, batch)
            for row in rows:
                _deliver_one(engine, settings, row, now, result)
        finally:
            if engine.dialect.name == "postgresql":
                lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                lock.commit()


def _deliver_one(engine, settings: NotifySettings, row, now: dt.datetime, result: Round) -> None:
    attempts = row.attempts + 1
    try:
        _send(settings, row, int(time.time() * 1000))
    except DeliveryError as exc:
        status, next_at = N.after_failure(attempts, settings.max_attempts, now)
        values = {"status": status, "next_attempt_at": next_at, "last_error": str(exc)[:500]}
        if status == N.OutboxStatus.FAILED:
            result.failed += 1
        else:
            result.retrying += 1
        log.warning("outbox %s attempt %s: %s", row.id, attempts, exc)
    else:
        values = {"status": N.OutboxStatus.SENT, "sent_at": now, "last_error": None}
        result.sent += 1
    with db.write(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.attempts == row.attempts)
            .values(attempts=attempts, **values)
        )


def pending_count(session: Session) -> int:
    return session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == N.OutboxStatus.PENDING)
    )


def sla_round(engine: Engine, now: dt.datetime | None = None) -> list[str]:
    """One SLA early-warning pass in one transaction (the job ticker's)."""
    now = now or dt.datetime.now().replace(microsecond=0)
    with db.write(engine) as session:
        return warn_sla_at_risk(session, now)


__all__ = [
    "NotifySettings",
    "Round",
    "deliver_round",
    "inbox",
    "load_settings",
    "mark_read",
    "notify",
    "outbox",
    "retry_failed",
    "save_settings",
    "settings_for_page",
    "sla_round",
    "ticket_assigned",
    "ticket_escalated",
    "unread_count",
    "warn_sla_at_risk",
]
