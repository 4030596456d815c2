"""Fault codes and the knowledge base at work: the review duty list and its stamps,
searching codes, suggestions for a ticket, the ticket's diagnosed fault code, and
articles proposed from solved tickets (engineers) and published (quality staff).

Every write checks the acting user here (not only on the page) and goes through the
registers' one write path (:func:`data_access.writes.apply`), so the list checks of
:mod:`data_access.faultcodes` run for commands too. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data_access.audit import append_rows
from data_access.errors import ConflictError, InvalidInput, NotAllowed
from data_access.models import (
    Device,
    FaultCode,
    KnowledgeArticle,
    ProductModel,
    ServiceReport,
    Ticket,
    TicketEvent,
    User,
)
from data_access.reads import fetch_by_keys
from data_access.registers import adapter
from data_access.writes import apply
from data_access.writes import flush_or_conflict as _flush
from rules.access import (
    Acting,
    Role,
    TicketAction,
    may_change_ticket,
    may_propose_article,
    may_publish_article,
)
from rules.faultcodes import (
    ArticleStatus,
    Candidate,
    ReviewStatus,
    article_may_become,
    match,
    review_due,
    review_status,
    split_list,
)
from rules.fields import Problem
from rules.tickets import Status

SOLVED = frozenset({Status.REPAIRED, Status.ACCEPTED, Status.CLOSED})
MAX_SEARCH = 30


# ---------------------------------------------------------------- review duty
@dataclass(frozen=True)
class ReviewItem:
    kind: str  # faultcodes | articles
    key: str
    title: str
    reviewed_at: dt.date | None
    due: dt.date | None
    status: ReviewStatus
    reviewer: str | None  # who reviewed last (codes) / the owner (articles)


def review_duty(session: Session, today: dt.date) -> list[ReviewItem]:
    """Fault codes and live articles (not retired) due or overdue for review, overdue
    and earliest first."""
    names = dict(session.execute(select(User.id, User.display_name)).all())
    items: list[ReviewItem] = []
    for code, title, reviewed, by in session.execute(
        select(FaultCode.code, FaultCode.name_zh, FaultCode.reviewed_at, FaultCode.reviewed_by_id)
    ):
        items.append(_item("faultcodes", code, title, reviewed, names.get(by), today))
    query = select(
        KnowledgeArticle.code,
        KnowledgeArticle.title_zh,
        KnowledgeArticle.reviewed_at,
        KnowledgeArticle.owner_id,
    ).where(KnowledgeArticle.status != ArticleStatus.RETIRED)
    for code, title, reviewed, owner in session.execute(query):
        items.append(_item("articles", code, title, reviewed, names.get(owner), today))
    due = [i for i in items if i.status is not ReviewStatus.OK]
    due.sort(key=lambda i: (i.status is not ReviewStatus.OVERDUE, i.due or dt.date.min, i.key))
    return due


def _item(kind, key, title, reviewed, reviewer, today) -> ReviewItem:
    status = review_status(reviewed, today)
    return ReviewItem(kind, key, title, reviewed, review_due(reviewed), status, reviewer)


def stamp_review(
    session: Session, kind: str, keys: Sequence[str], *, actor: Acting, now: dt.datetime
) -> int:
    """Mark fault codes or articles as reviewed today by ``actor`` (quality staff,
    managers, admins); returns how many. Unknown keys: :class:`InvalidInput`."""
    if not may_publish_article(actor.role):
        raise NotAllowed("review", kind)
    ad = adapter(kind)
    rows = fetch_by_keys(session, ad, list(keys))
    missing = [k for k in keys if k not in rows]
    if missing:
        code = (
            "faultcodes.err.no_such_code"
            if kind == "faultcodes"
            else "faultcodes.err.no_such_article"
        )
        raise InvalidInput([Problem("code", code, {"value": ", ".join(missing)})])
    stamp: dict[str, Any] = {"reviewed_at": now.date()}
    if kind == "faultcodes":
        stamp["reviewed_by_id"] = actor.id
    updates = [(row, dict(stamp)) for row in rows.values()]
    apply(session, ad, updates=updates, now=now, user_id=actor.id)
    return len(updates)


# ---------------------------------------------------------------- search and suggestions
@dataclass(frozen=True)
class CodeHit:
    id: int
    code: str
    name_zh: str
    name_en: str | None
    models: str | None
    severity: str | None
    score: float = 0.0

    def label(self, lang: str) -> str:
        name = self.name_zh if lang == "zh" or not self.name_en else self.name_en
        return f"{self.code} · {name}"


@dataclass(frozen=True)
class ArticleHit:
    code: str
    title_zh: str
    title_en: str | None
    status: str
    score: float = 0.0

    def label(self, lang: str) -> str:
        title = self.title_zh if lang == "zh" or not self.title_en else self.title_en
        return f"{self.code} · {title}"


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_codes(session: Session, text: str, limit: int = MAX_SEARCH) -> list[CodeHit]:
    """Fault codes whose code, name, symptoms, causes or models contain ``text``
    (case-insensitive); code matches first. Blank text: the first ``limit`` codes."""
    query = select(FaultCode).order_by(FaultCode.code).limit(limit)
    text = (text or "").strip()[:100]
    if text:
        like = _like(text)
        cols = (FaultCode.code, FaultCode.name_zh, FaultCode.name_en, FaultCode.symptoms,
                FaultCode.causes, FaultCode.models)  # fmt: skip
        query = query.where(or_(*(c.ilike(like, escape="\\") for c in cols)))
    hits = [_code_hit(fc) for fc in session.scalars(query)]
    if text:
        folded = text.casefold()
        hits.sort(key=lambda h: (not h.code.casefold().startswith(folded), h.code))
    return hits


def _code_hit(fc: FaultCode, score: float = 0.0) -> CodeHit:
    return CodeHit(fc.id, fc.code, fc.name_zh, fc.name_en, fc.models, fc.severity, score)


def _candidates(fcs: Sequence[FaultCode]) -> list[Candidate]:
    return [
        Candidate(
            fc.code,
            " ".join(x or "" for x in (fc.code, fc.name_zh, fc.name_en, fc.symptoms, fc.causes)),
            tuple(split_list(fc.models)),
            (fc.code,),
        )
        for fc in fcs
    ]


def suggest(
    session: Session, description: str | None, model: str | None, limit: int = 5
) -> tuple[list[CodeHit], list[ArticleHit]]:
    """Fault codes and published articles that fit a fault description on a device of
    ``model`` (a model code), best first (:func:`rules.faultcodes.match`)."""
    fcs = session.scalars(select(FaultCode)).all()
    by_code = {fc.code: fc for fc in fcs}
    codes = [
        _code_hit(by_code[m.key], m.score)
        for m in match(description, model, _candidates(fcs), limit)
    ]
    arts = session.scalars(
        select(KnowledgeArticle).where(KnowledgeArticle.status == ArticleStatus.PUBLISHED)
    ).all()
    cands = [
        Candidate(
            a.code,
            " ".join(x or "" for x in (a.title_zh, a.title_en, a.tags, a.body_zh, a.fault_codes)),
            tuple(split_list(a.models)),
            tuple(split_list(a.fault_codes)),
        )
        for a in arts
    ]
    by_art = {a.code: a for a in arts}
    articles = [
        ArticleHit(a.code, a.title_zh, a.title_en, a.status, m.score)
        for m in match(description, model, cands, limit)
        for a in (by_art[m.key],)
    ]
    return codes, articles


def ticket_model(session: Session, ticket_id: int) -> str | None:
    """The product model code of the ticket's device (None: no registered device)."""
    return session.scalar(
        select(ProductModel.code)
        .join(Device, Device.model_id == ProductModel.id)
        .join(Ticket, Ticket.device_id == Device.id)
        .where(Ticket.id == ticket_id)
    )


def suggest_for_ticket(
    session: Session, ticket_id: int, limit: int = 5
) -> tuple[list[CodeHit], list[ArticleHit]]:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return [], []
    return suggest(session, ticket.fault_description, ticket_model(session, ticket_id), limit)


def fault_code_of(session: Session, ticket_id: int) -> CodeHit | None:
    fc = session.scalar(
        select(FaultCode)
        .join(Ticket, Ticket.fault_code_id == FaultCode.id)
        .where(Ticket.id == ticket_id)
    )
    return _code_hit(fc) if fc else None


def code_hits(session: Session, ids: list[int]) -> list[CodeHit]:
    """The fault codes of ``ids`` (unknown ids left out)."""
    if not ids:
        return []
    return [_code_hit(fc) for fc in session.scalars(select(FaultCode).where(FaultCode.id.in_(ids)))]


# ---------------------------------------------------------------- diagnosis
def set_ticket_fault_code(
    session: Session,
    ticket_id: int,
    code: str | None,
    *,
    actor: Acting,
    now: dt.datetime,
    expected_version: int | None = None,
) -> None:
    """Record the diagnosed fault code of a ticket (None clears it): the desk on any
    ticket, an engineer on their own. Audited, and a note in the ticket's history."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise InvalidInput([Problem("ticket", "err.unknown_ref", {"value": ticket_id})])
    if not may_change_ticket(actor.role, actor.id, ticket.engineer_id, TicketAction.EDIT):
        raise NotAllowed(TicketAction.EDIT, ticket.ticket_no)
    if expected_version is not None and ticket.version != expected_version:
        raise ConflictError(ticket.ticket_no)
    fc = None
    if code:
        fc = session.scalar(select(FaultCode).where(FaultCode.code == code.strip()))
        if fc is None:
            raise InvalidInput(
                [Problem("fault_code", "faultcodes.err.no_such_code", {"value": code})]
            )
    before = session.scalar(select(FaultCode.code).where(FaultCode.id == ticket.fault_code_id))
    after = fc.code if fc else None
    if before == after:
        return
    ticket.fault_code_id = fc.id if fc else None
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            user_id=actor.id,
            kind="note",
            note=f"故障代码 fault code: {before or '-'} → {after or '-'}",
        )  # fmt: skip
    )
    _flush(session, ticket.ticket_no)
    change = {
        "key": ticket.ticket_no,
        "action": "update",
        "changes": {"fault_code": [before, after]},
    }
    append_rows(session, [change], entity="tickets", user_id=actor.id, now=now)


# ---------------------------------------------------------------- articles
def next_article_code(session: Session) -> str:
    """KB + the next number after the highest KBnnnn in use."""
    codes = session.scalars(
        select(KnowledgeArticle.code).where(KnowledgeArticle.code.like("KB%"))
    ).all()
    numbers = [int(c[2:]) for c in codes if c[2:].isdigit()]
    return f"KB{max(numbers, default=0) + 1:04d}"


def propose_article(session: Session, ticket_no: str, *, actor: Acting, now: dt.datetime) -> str:
    """A draft article from a solved ticket: its fault code, description, diagnosis and
    work done. Engineers (their own tickets), quality staff, managers, admins. Returns
    the new article's code."""
    if not may_propose_article(actor.role):
        raise NotAllowed("propose", "articles")
    ticket = session.scalar(select(Ticket).where(Ticket.ticket_no == (ticket_no or "").strip()))
    if ticket is None:
        raise InvalidInput([Problem("ticket", "err.unknown_ref", {"value": ticket_no})])
    if actor.role == Role.ENGINEER and ticket.engineer_id != actor.id:
        raise NotAllowed("propose", ticket.ticket_no)
    if ticket.status not in SOLVED:
        raise InvalidInput(
            [Problem("ticket", "faultcodes.err.not_solved", {"value": ticket.ticket_no})]
        )
    report = session.scalar(select(ServiceReport).where(ServiceReport.ticket_id == ticket.id))
    fc = session.get(FaultCode, ticket.fault_code_id) if ticket.fault_code_id else None
    model = ticket_model(session, ticket.id)
    title = (fc.name_zh if fc else ticket.fault_description.strip()[:60]) or ticket.ticket_no
    body = "\n\n".join(
        part
        for part in (
            f"**现象**：{ticket.fault_description.strip()}",
            f"**诊断**：{report.diagnosis}" if report and report.diagnosis else "",
            f"**处理**：{report.work_done}" if report and report.work_done else "",
            f"（来源工单 {ticket.ticket_no}）",
        )
        if part
    )
    ad = adapter("articles")
    code = next_article_code(session)
    values = dict.fromkeys(ad.insert_columns) | {
        "code": code,
        "title_zh": f"{title}（{ticket.ticket_no}）"[:300],
        "body_zh": body,
        "models": model,
        "fault_codes": fc.code if fc else None,
        "owner_id": actor.id,
        "status": ArticleStatus.DRAFT.value,
        "source_ticket_id": ticket.id,
    }
    apply(session, ad, inserts=[values], now=now, user_id=actor.id)
    return code


def set_article_status(
    session: Session, code: str, status: str, *, actor: Acting, now: dt.datetime
) -> None:
    """Publish, retire or return an article to draft (quality staff, managers, admins);
    publishing stamps today's review."""
    if not may_publish_article(actor.role):
        raise NotAllowed("publish", code)
    ad = adapter("articles")
    row = fetch_by_keys(session, ad, [code]).get(code)
    if row is None:
        raise InvalidInput([Problem("code", "faultcodes.err.no_such_article", {"value": code})])
    if row["status"] == status:
        return
    if not article_may_become(row["status"], status):
        params = {"value": code, "from_status": row["status"], "to_status": status}
        raise InvalidInput([Problem("status", "faultcodes.err.transition", params)])
    change: dict[str, Any] = {"status": str(status)}
    if status == ArticleStatus.PUBLISHED:
        change["reviewed_at"] = now.date()
    apply(session, ad, updates=[(row, change)], now=now, user_id=actor.id)


def drafts(session: Session) -> list[ArticleHit]:
    rows = session.scalars(
        select(KnowledgeArticle)
        .where(KnowledgeArticle.status == ArticleStatus.DRAFT)
        .order_by(KnowledgeArticle.code)
    ).all()
    return [ArticleHit(a.code, a.title_zh, a.title_en, a.status) for a in rows]


@dataclass(frozen=True)
class ArticleView:
    code: str
    title: str
    body: str
    models: str | None
    fault_codes: str | None
    tags: str | None
    status: str
    reviewed_at: dt.date | None


def article(session: Session, code: str, lang: str) -> ArticleView | None:
    a = session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.code == code))
    if a is None:
        return None
    title = a.title_en if lang == "en" and a.title_en else a.title_zh
    body = a.body_en if lang == "en" and a.body_en else a.body_zh
    return ArticleView(
        a.code, title, body, a.models, a.fault_codes, a.tags, a.status, a.reviewed_at
    )


def model_codes(session: Session) -> list[str]:
    return list(session.scalars(select(ProductModel.code).order_by(ProductModel.code)))


def count_codes(session: Session) -> int:
    return session.scalar(select(func.count(FaultCode.id))) or 0
