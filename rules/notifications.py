"""Notifications: what kinds exist, how a message is worded from its code and
parameters in the reader's language, the retry schedule, and the group-robot payloads.

Pure (stdlib only): the clock, the settings and the network are the caller's.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote_plus

from rules.i18n import t


class Kind(StrEnum):
    """What happened. Parameters each kind's wording uses are listed beside it."""

    TICKET_ASSIGNED = "ticket_assigned"  # ticket_no, customer, engineer, fault
    TICKET_ESCALATED = "ticket_escalated"  # ticket_no, customer, level
    SLA_AT_RISK = "sla_at_risk"  # ticket_no, customer, clock (respond|resolve), due
    VISIT_OVERDUE = "visit_overdue"  # visit_no, customer, due
    PART_LOW = "part_low"  # part_no, name, on_hand, reorder_point
    CERT_EXPIRING = "cert_expiring"  # person, course, expires


class Channel(StrEnum):
    EMAIL = "email"
    WECOM = "wecom"  # 企业微信群机器人
    DINGTALK = "dingtalk"  # 钉钉群机器人


WEBHOOKS = (Channel.WECOM, Channel.DINGTALK)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# ---------------------------------------------------------------- retries
MAX_ATTEMPTS_DEFAULT = 5
BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failed try: 1, 2, 4, 8 … minutes, at most an hour."""
    seconds = BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def after_failure(
    attempts: int, max_attempts: int, now: dt.datetime
) -> tuple[OutboxStatus, dt.datetime]:
    """Status and next try after the ``attempts``-th try failed."""
    if attempts >= max_attempts:
        return OutboxStatus.FAILED, now
    return OutboxStatus.PENDING, now + backoff(attempts)


# ---------------------------------------------------------------- wording
SLA_LEAD_MINUTES_DEFAULT = 60
LEAD_MINUTES_MAX = 7 * 24 * 60
# parameters whose value is itself a code to put into words
_CODED = {"clock": "notify.clock"}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    url: str | None


def _worded(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    out = {k: ("" if v is None else v) for k, v in params.items()}
    for name, prefix in _CODED.items():
        if name in out:
            out[name] = t(f"{prefix}.{out[name]}", lang)
    return out


class _Placeholders(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(key: str, lang: str, params: dict[str, Any]) -> str:
    try:
        return t(key, lang).format_map(params)
    except (IndexError, ValueError, AttributeError):
        return t(key, lang)


def compose(kind: str, params: Mapping[str, Any] | None, lang: str, url: str | None) -> Message:
    """The message for ``kind`` in ``lang``: an unknown kind shows its code and a missing
    parameter its placeholder, so a message written by a later version never fails."""
    p = _Placeholders(_worded(params or {}, lang))
    return Message(
        _fill(f"notify.{kind}.subject", lang, p), _fill(f"notify.{kind}.body", lang, p), url
    )


def email_text(message: Message, lang: str) -> str:
    lines = [message.body]
    if message.url:
        colon = "：" if lang == "zh" else ": "
        lines += ["", t("notify.open_link", lang) + colon + message.url]
    return "\n".join(lines)


_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>#"})


def _md(text: str) -> str:
    """User data inside robot Markdown: no links, images or headings of its own."""
    return text.translate(_MD_SPECIAL)


def markdown(message: Message, lang: str) -> str:
    text = f"**{_md(message.subject)}**\n\n" + _md(message.body).replace("\n", "\n\n")
    if message.url:
        text += f"\n\n[{t('notify.open_link', lang)}]({message.url})"
    return text


def wecom_payload(message: Message, lang: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": markdown(message, lang)}}


def dingtalk_payload(message: Message, lang: str) -> dict[str, Any]:
    return {
        "msgtype": "markdown",
        "markdown": {"title": message.subject, "text": markdown(message, lang)},
    }


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk's "加签": HMAC-SHA256 over ``timestamp + "\\n" + secret`` keyed with the
    secret, base64, URL-encoded, appended as ``&timestamp=…&sign=…``."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def webhook_error(status: int, body: bytes) -> str | None:
    """None when a robot accepted the message, else why not. Both robots answer
    HTTP 200 with ``{"errcode": 0}`` on success and a non-zero errcode otherwise."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    try:
        answer = json.loads(body.decode("utf-8", "replace") or "{}")
    except ValueError:
        return f"HTTP {status}: not JSON"
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code not in (0, "0"):
        return f"errcode {code}: {answer.get('errmsg', '')}"[:300]
    return None
