"""Notifications on SQLite and PostgreSQL: the outbox written with the ticket action,
the inbox, the SLA early warning, and delivery to a real local SMTP server (aiosmtpd)
and a real local HTTP server standing in for the WeCom and DingTalk robots."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import threading
import time
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from data_access import db
from data_access import notifications as NT
from data_access import tickets as T
from data_access.errors import InvalidInput, NotAllowed
from data_access.models import AuditLog, Notification, OutboxMessage, Ticket, User
from rules.access import Actor, Role
from rules.notifications import Kind, dingtalk_signed_url
from tests.actors import ADMIN, agent
from tests.data_access.test_tickets import MON, at, new_ticket, user, world  # noqa: F401

# a delivery round takes a PostgreSQL advisory lock that spans the whole server: these
# tests run on one worker, with the ticker's (tests/data_access/test_jobs.py)
pytestmark = pytest.mark.xdist_group("escalation-lock")


def deliver(engine, now, tries: int = 100) -> NT.Round:
    """A delivery round that ran: another round (a ticker thread of an earlier test, a
    parallel test run on the same PostgreSQL server) may hold the lock for a moment."""
    for _ in range(tries):
        result = NT.deliver_round(engine, now)
        if not result.skipped:
            return result
        time.sleep(0.05)
    raise AssertionError("no delivery round could run")


SMTP_USER, SMTP_PASSWORD = "robot@example.com", "s3cret-pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- local servers
class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.rcpt: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.rcpt.append(list(envelope.rcpt_tos))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def smtp_server():
    handler = Inbox()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


class Robot(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, json.loads(body)))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def robot_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    server.received, server.status, server.answer = [], 200, b'{"errcode":0,"errmsg":"ok"}'
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- helpers
def configure(engine, **values) -> None:
    with db.write(engine) as s:
        NT.save_settings(s, values, actor=ADMIN, now=MON)


def set_user(engine, user_id: int, **values) -> None:
    with db.write(engine) as s:
        s.execute(update(User).where(User.id == user_id).values(**values))


def dispatch(engine, ids, tid, who="e1", now=None):
    with db.write(engine) as s:
        return T.dispatch(
            s, tid, ids[who], actor=agent(ids["agent"]), now=now or at(1), expected_version=None
        ).engineer_id


def outbox_rows(engine) -> list[OutboxMessage]:
    with db.read(engine) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def inbox_rows(engine) -> list[Notification]:
    with db.read(engine) as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def smtp_settings(port: int, password: str = SMTP_PASSWORD, **more) -> dict:
    return {
        "smtp_enabled": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_username": SMTP_USER,
        "smtp_password": password,
        "smtp_sender": "service@example.com",
        "base_url": "https://desk.example.com/",
        **more,
    }


# ---------------------------------------------------------------- written with the action
def test_dispatch_writes_inbox_and_email_outbox_in_its_transaction(world):  # noqa: F811
    engine, ids = world
    configure(engine, smtp_enabled=True, smtp_host="127.0.0.1")
    set_user(engine, ids["e1"], email="eng1@example.com")
    tid = new_ticket(engine, ids)
    assert dispatch(engine, ids, tid) == ids["e1"]
    [note] = inbox_rows(engine)
    assert (note.user_id, note.kind, note.link) == (
        ids["e1"],
        Kind.TICKET_ASSIGNED,
        "ticket=SR-20261123-0001",
    )
    assert note.params == {
        "ticket_no": "SR-20261123-0001",
        "customer": "华东精密机械",
        "engineer": "工程师一",
        "fault": "主轴异响",
    }
    [mail] = outbox_rows(engine)
    assert (mail.channel, mail.user_id, mail.status, mail.attempts) == (
        "email",
        ids["e1"],
        "pending",
        0,
    )
    # the same transaction: an action that rolls back leaves no message behind
    tid2 = new_ticket(engine, ids)
    with pytest.raises(RuntimeError), db.write(engine) as s:
        T.dispatch(s, tid2, ids["e2"], actor=agent(ids["agent"]), now=at(1), expected_version=None)
        raise RuntimeError("the rest of the action failed")
    assert len(inbox_rows(engine)) == 1 and len(outbox_rows(engine)) == 1


def test_no_email_row_without_address_or_with_email_off(world):  # noqa: F811
    engine, ids = world
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid)  # e-mail off: inbox only
    configure(engine, smtp_enabled=True, smtp_host="127.0.0.1")
    tid2 = new_ticket(engine, ids)
    dispatch(engine, ids, tid2, who="e2")  # on, but eng2 has no address
    assert [n.user_id for n in inbox_rows(engine)] == [ids["e1"], ids["e2"]]
    assert outbox_rows(engine) == []


def test_a_failing_notification_never_fails_the_action(world, monkeypatch):  # noqa: F811
    engine, ids = world
    tid = new_ticket(engine, ids)

    def broken(*args, **kwargs):
        raise OperationalError("INSERT INTO notifications", {}, Exception("disk full"))

    monkeypatch.setattr(NT, "_write", broken)
    assert dispatch(engine, ids, tid) == ids["e1"]
    with db.read(engine) as s:
        assert s.get(Ticket, tid).status == "dispatched"
    assert inbox_rows(engine) == []


def test_escalation_tells_engineer_and_managers_but_not_who_escalated(world):  # noqa: F811
    engine, ids = world
    with db.write(engine) as s:
        boss = user(s, "boss", "manager", "经理").id
        other = user(s, "boss2", "manager", "经理二").id
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid)
    with db.write(engine) as s:
        T.escalate(s, tid, actor=Actor(boss, Role.MANAGER), now=at(2))
    escalated = [n for n in inbox_rows(engine) if n.kind == Kind.TICKET_ESCALATED]
    assert sorted(n.user_id for n in escalated) == sorted([ids["e1"], other])
    assert escalated[0].params["level"] == 2
    # the automatic escalation (the system) tells the managers too
    with db.write(engine) as s:
        T.escalate(s, tid, actor=T.SYSTEM_ACTOR, now=at(3), auto=True)
    auto = [n for n in inbox_rows(engine) if n.params.get("level") == 3]
    assert sorted(n.user_id for n in auto) == sorted([ids["e1"], boss, other])


def test_a_self_assignment_and_an_unchanged_engineer_tell_nobody(world):  # noqa: F811
    engine, ids = world
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid)
    with db.write(engine) as s:  # same engineer again
        T.reassign(s, tid, ids["e1"], actor=agent(ids["agent"]), now=at(2), expected_version=None)
    with db.write(engine) as s:  # an admin who is also the engineer
        T.reassign(s, tid, ids["e2"], actor=Actor(ids["e2"], Role.ADMIN), now=at(3),
                   expected_version=None)  # fmt: skip
    assert [n.user_id for n in inbox_rows(engine)] == [ids["e1"]]


# ---------------------------------------------------------------- SLA early warning
def test_sla_warning_once_per_ticket_and_deadline(world):  # noqa: F811
    engine, ids = world
    configure(engine, sla_lead_minutes=60)
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid, now=at(0.1))  # responded: the resolution clock runs
    with db.read(engine) as s:
        due = s.get(Ticket, tid).resolve_due
    assert NT.sla_round(engine, due - dt.timedelta(minutes=61)) == []
    assert NT.sla_round(engine, due - dt.timedelta(minutes=59)) == ["SR-20261123-0001"]
    assert NT.sla_round(engine, due - dt.timedelta(minutes=10)) == []  # once
    [warning] = [n for n in inbox_rows(engine) if n.kind == Kind.SLA_AT_RISK]
    assert warning.params["clock"] == "resolve"
    assert warning.params["due"] == due.strftime("%Y-%m-%d %H:%M")
    # a new deadline (recomputed later) is a new warning
    later = due + dt.timedelta(hours=5)
    with db.write(engine) as s:
        s.execute(update(Ticket).where(Ticket.id == tid).values(resolve_due=later))
    assert NT.sla_round(engine, later - dt.timedelta(minutes=30)) == ["SR-20261123-0001"]
    configure(engine, sla_lead_minutes=0)  # 0: off
    with db.write(engine) as s:
        s.execute(
            update(Ticket).where(Ticket.id == tid).values(resolve_due=later + dt.timedelta(hours=1))
        )
    assert NT.sla_round(engine, later + dt.timedelta(minutes=50)) == []


def test_sla_warning_for_the_response_clock_goes_to_managers_without_engineer(world):  # noqa: F811
    engine, ids = world
    with db.write(engine) as s:
        boss = user(s, "boss", "manager", "经理").id
    configure(engine, sla_lead_minutes=120)
    tid = new_ticket(engine, ids)
    with db.read(engine) as s:
        due = s.get(Ticket, tid).respond_due
    assert NT.sla_round(engine, due - dt.timedelta(minutes=30)) == ["SR-20261123-0001"]
    [warning] = inbox_rows(engine)
    assert (warning.user_id, warning.params["clock"]) == (boss, "respond")


# ---------------------------------------------------------------- the inbox
def test_inbox_words_in_the_readers_language_and_marks_only_own(world):  # noqa: F811
    engine, ids = world
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid)
    with db.write(engine) as s:
        NT.notify(s, [ids["e2"]], Kind.PART_LOW,
                  {"part_no": "0042", "name": "主轴轴承", "on_hand": 1, "reorder_point": 5},
                  "part=0042", now=at(2))  # fmt: skip
    with db.read(engine) as s:
        assert NT.unread_count(s, ids["e1"]) == 1
        [zh] = NT.inbox(s, ids["e1"], "zh")
        [en] = NT.inbox(s, ids["e1"], "en")
        [part] = NT.inbox(s, ids["e2"], "en")
    assert zh["subject"] == "工单 SR-20261123-0001 已派给 工程师一"
    assert en["subject"] == "Ticket SR-20261123-0001 assigned to 工程师一"
    assert en["link"].kind == "ticket" and en["link"].key == "SR-20261123-0001"
    assert part["body"] == "主轴轴承: 1 on hand, reorder point 5"
    with db.write(engine) as s:  # eng2 cannot mark eng1's message read
        assert NT.mark_read(s, ids["e2"], [zh["id"]], at(3)) == 0
    with db.write(engine) as s:
        assert NT.mark_read(s, ids["e1"], None, at(3)) == 1
    with db.read(engine) as s:
        assert NT.unread_count(s, ids["e1"]) == 0 and NT.unread_count(s, ids["e2"]) == 1
        assert NT.inbox(s, ids["e1"], "zh", unread_only=True) == []


def test_inactive_and_unknown_recipients_are_skipped(world):  # noqa: F811
    engine, ids = world
    set_user(engine, ids["e3"], is_active=False)
    with db.write(engine) as s:
        n = NT.notify(s, [ids["e1"], ids["e1"], ids["e3"], None, 999_999], Kind.CERT_EXPIRING,
                      {"person": "王伟", "course": "安全", "expires": "2026-12-20"}, now=at(0))  # fmt: skip
    assert n == 1 and [r.user_id for r in inbox_rows(engine)] == [ids["e1"]]


# ---------------------------------------------------------------- settings
def test_settings_are_admins_only_validated_and_secrets_never_read_back(world):  # noqa: F811
    engine, ids = world
    with pytest.raises(NotAllowed), db.write(engine) as s:
        NT.save_settings(s, {"smtp_host": "x"}, actor=agent(ids["agent"]), now=MON)
    with pytest.raises(InvalidInput) as bad, db.write(engine) as s:
        NT.save_settings(
            s,
            {"smtp_port": 0, "wecom_url": "ftp://x?key=1", "smtp_sender": "nope",
             "sla_lead_minutes": -1, "max_attempts": 0},
            actor=ADMIN, now=MON,
        )  # fmt: skip
    assert sorted(p.field for p in bad.value.problems) == [
        "max_attempts", "sla_lead_minutes", "smtp_port", "smtp_sender", "wecom_url",
    ]  # fmt: skip
    assert "key=1" not in str([p.params for p in bad.value.problems])
    configure(engine, smtp_password="pw-1", dingtalk_secret="SEC-1", smtp_host="mail.example.com")
    configure(engine, smtp_password="", smtp_host="mail2.example.com")  # "" keeps the password
    with db.read(engine) as s:
        page = NT.settings_for_page(s)
        assert NT.load_settings(s).smtp_password == "pw-1"
        audits = list(s.scalars(select(AuditLog).where(AuditLog.entity == "settings")))
    assert "pw-1" not in json.dumps(page, default=str) and "SEC-1" not in json.dumps(
        page, default=str
    )
    assert page["smtp_password_set"] and page["dingtalk_secret_set"] and not page["wecom_url_set"]
    assert page["smtp_host"] == "mail2.example.com"
    assert "pw-1" not in json.dumps([a.changes for a in audits])
    assert audits[0].changes["smtp_password"] == ["***", "***"]
    configure(engine, clear=["smtp_password"])
    with db.read(engine) as s:
        assert NT.load_settings(s).smtp_password == ""


# ---------------------------------------------------------------- delivery: e-mail
def test_email_arrives_at_a_local_smtp_server_in_the_readers_language(world, smtp_server):  # noqa: F811
    handler, port = smtp_server
    engine, ids = world
    configure(engine, **smtp_settings(port))
    set_user(engine, ids["e1"], email="eng1@example.com", lang="en")
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid)
    result = deliver(engine, at(1))
    assert (result.sent, result.retrying, result.failed) == (1, 0, 0)
    [mail] = handler.messages
    assert handler.rcpt == [["eng1@example.com"]]
    assert mail["Subject"] == "Ticket SR-20261123-0001 assigned to 工程师一"
    assert mail["From"].addresses[0].addr_spec == "service@example.com"
    body = mail.get_content()
    assert "Customer: 华东精密机械" in body
    assert "https://desk.example.com/tickets?ticket=SR-20261123-0001" in body
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, at(1), None)
    assert deliver(engine, at(2)).sent == 0  # sent once


def test_a_wrong_smtp_password_shows_on_the_outbox_and_the_action_stands(world, smtp_server):  # noqa: F811
    handler, port = smtp_server
    engine, ids = world
    configure(engine, **smtp_settings(port, password="wrong-password"), max_attempts=2)
    set_user(engine, ids["e1"], email="eng1@example.com")
    tid = new_ticket(engine, ids)
    assert dispatch(engine, ids, tid) == ids["e1"]  # the user's action succeeded
    assert deliver(engine, at(1)).retrying == 1
    [row] = outbox_rows(engine)
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error == f"SMTP 127.0.0.1:{port}: authentication failed (535)"
    assert row.next_attempt_at == at(1) + dt.timedelta(minutes=1)
    assert deliver(engine, at(1) + dt.timedelta(seconds=30)).retrying == 0  # not yet
    assert deliver(engine, at(1.1)).failed == 1
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("failed", 2) and handler.messages == []
    with db.read(engine) as s:
        [shown] = NT.outbox(s, "en", status="failed")
        assert s.get(Ticket, tid).engineer_id == ids["e1"]
    assert shown["last_error"].endswith("authentication failed (535)")
    assert shown["recipient"] == "eng1 <eng1@example.com>"
    # the admin fixes the password and retries: it arrives
    configure(engine, smtp_password=SMTP_PASSWORD)
    with db.write(engine) as s:
        assert NT.retry_failed(s, actor=ADMIN, now=at(2)) == 1
    assert deliver(engine, at(2)).sent == 1 and len(handler.messages) == 1


def test_an_unreachable_smtp_host_is_a_clear_status(world):  # noqa: F811
    engine, ids = world
    port = _free_port()  # nothing listens there
    configure(engine, **smtp_settings(port))
    set_user(engine, ids["e1"], email="eng1@example.com")
    dispatch(engine, ids, new_ticket(engine, ids))
    deliver(engine, at(1))
    [row] = outbox_rows(engine)
    assert row.status == "pending"
    assert row.last_error.startswith(f"SMTP 127.0.0.1:{port}: cannot connect")


def test_an_address_removed_before_delivery_fails_with_a_coded_reason(world, smtp_server):  # noqa: F811
    engine, ids = world
    configure(engine, **smtp_settings(smtp_server[1]), max_attempts=1)
    set_user(engine, ids["e1"], email="eng1@example.com")
    dispatch(engine, ids, new_ticket(engine, ids))
    set_user(engine, ids["e1"], email=None)
    assert deliver(engine, at(1)).failed == 1
    with db.read(engine) as s:
        [shown] = NT.outbox(s, "zh")
    assert shown["last_error"] == "该用户没有电子邮件地址"


# ---------------------------------------------------------------- delivery: robots
def test_wecom_and_signed_dingtalk_robots_receive_markdown(world, robot_server):  # noqa: F811
    engine, ids = world
    base = f"http://127.0.0.1:{robot_server.server_port}"
    configure(
        engine,
        wecom_enabled=True, wecom_url=f"{base}/cgi-bin/webhook/send?key=KEY1",
        dingtalk_enabled=True, dingtalk_url=f"{base}/robot/send?access_token=TOK",
        dingtalk_secret="SECabc", robot_lang="zh", base_url="https://desk.example.com",
    )  # fmt: skip
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid)
    assert deliver(engine, at(1)).sent == 2
    by_path = {urlsplit(path).path: (path, body) for path, body in robot_server.received}
    wecom_path, wecom = by_path["/cgi-bin/webhook/send"]
    assert parse_qs(urlsplit(wecom_path).query) == {"key": ["KEY1"]}
    assert wecom["msgtype"] == "markdown" and list(wecom["markdown"]) == ["content"]
    assert wecom["markdown"]["content"].startswith("**工单 SR-20261123-0001 已派给 工程师一**")
    assert (
        "(https://desk.example.com/tickets?ticket=SR-20261123-0001)" in wecom["markdown"]["content"]
    )
    ding_path, ding = by_path["/robot/send"]
    assert ding["markdown"]["title"] == "工单 SR-20261123-0001 已派给 工程师一"
    assert "客户：华东精密机械" in ding["markdown"]["text"]
    query = parse_qs(urlsplit(ding_path).query)
    stamp = int(query["timestamp"][0])
    assert query["access_token"] == ["TOK"]
    # the signature is the one DingTalk computes for that timestamp and secret
    expected = parse_qs(urlsplit(dingtalk_signed_url("http://x/?a=1", "SECabc", stamp)).query)
    assert query["sign"] == expected["sign"]


def test_a_robot_answering_500_is_retried_then_failed(world, robot_server):  # noqa: F811
    engine, ids = world
    robot_server.status, robot_server.answer = 500, b"oops"
    url = f"http://127.0.0.1:{robot_server.server_port}/cgi-bin/webhook/send?key=K"
    configure(engine, wecom_enabled=True, wecom_url=url, max_attempts=3)
    dispatch(engine, ids, new_ticket(engine, ids))
    moment = at(1)
    outcomes = []
    for _ in range(4):
        r = deliver(engine, moment)
        outcomes.append((r.sent, r.retrying, r.failed))
        [row] = outbox_rows(engine)
        moment = row.next_attempt_at
    assert outcomes == [(0, 1, 0), (0, 1, 0), (0, 0, 1), (0, 0, 0)]
    assert len(robot_server.received) == 3
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("failed", 3)
    host = url.split("?")[0]
    assert row.last_error == f"{host}: HTTP 500" and "key=K" not in row.last_error


def test_a_robot_refusing_with_an_errcode_is_an_error(world, robot_server):  # noqa: F811
    engine, ids = world
    robot_server.answer = b'{"errcode":310000,"errmsg":"sign not match"}'
    url = f"http://127.0.0.1:{robot_server.server_port}/robot/send?access_token=T"
    configure(engine, dingtalk_enabled=True, dingtalk_url=url, dingtalk_secret="S")
    dispatch(engine, ids, new_ticket(engine, ids))
    assert deliver(engine, at(1)).retrying == 1
    [row] = outbox_rows(engine)
    assert row.last_error.endswith("errcode 310000: sign not match")


def test_an_engineer_changed_in_the_tickets_grid_is_told_too(world):  # noqa: F811
    from data_access.registers import save_changes

    engine, ids = world
    tid = new_ticket(engine, ids)
    dispatch(engine, ids, tid)
    with db.write(engine) as s:
        version = s.get(Ticket, tid).version
        done = save_changes(
            s, "tickets", inserts=[], deletes=[], actor=agent(ids["agent"]), now=at(2),
            updates=[{"id": tid, "version": version, "engineer": "eng2"}],
        )  # fmt: skip
    assert not done.problems
    assert [(n.user_id, n.kind) for n in inbox_rows(engine)] == [
        (ids["e1"], Kind.TICKET_ASSIGNED),
        (ids["e2"], Kind.TICKET_ASSIGNED),
    ]


def test_the_job_ticker_delivers_the_outbox(world, robot_server, monkeypatch):  # noqa: F811
    import time

    from data_access import jobs

    engine, ids = world
    url = f"http://127.0.0.1:{robot_server.server_port}/cgi-bin/webhook/send?key=K"
    configure(engine, wecom_enabled=True, wecom_url=url)
    dispatch(engine, ids, new_ticket(engine, ids))
    monkeypatch.setenv("AFTERSALES_JOBS", "1")
    monkeypatch.setenv("AFTERSALES_ESCALATE_SECONDS", "3600")
    monkeypatch.setenv("AFTERSALES_DELIVER_SECONDS", "0.05")
    ticker = jobs.start(engine)  # on the wall clock: the 2026-11-23 ticket is long due

    def pending() -> list[str]:
        return [r.status for r in outbox_rows(engine) if r.status != "sent"]

    try:
        deadline = time.monotonic() + 20
        while (pending() or ticker.deliveries < 1) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        ticker.stop()
        ticker.join(5)
    assert ticker.rounds == 1  # the escalation keeps its own, longer interval
    subjects = [body["markdown"]["content"].split("\n")[0] for _, body in robot_server.received]
    # the assignment, then the automatic escalation's notice, both sent by the ticker
    assert subjects == [
        "**工单 SR-20261123-0001 已派给 工程师一**",
        "**工单 SR-20261123-0001 已升级到第 4 级**",
    ]
    assert pending() == []


def test_an_sla_warning_with_nobody_to_tell_is_not_sent_to_the_robot_every_round(world):  # noqa: F811
    engine, ids = world
    configure(engine, sla_lead_minutes=120, wecom_enabled=True, wecom_url="http://127.0.0.1:9/x")
    tid = new_ticket(engine, ids)  # no engineer, no manager in this world
    with db.read(engine) as s:
        due = s.get(Ticket, tid).respond_due
    for minutes in (30, 20, 10):
        assert NT.sla_round(engine, due - dt.timedelta(minutes=minutes)) == []
    assert outbox_rows(engine) == [] and inbox_rows(engine) == []


def test_each_background_job_has_its_own_lock():
    """Escalation, the scheduled backup and delivery each take their own PostgreSQL
    advisory lock: a backup in progress must not stop the notifications (they once
    shared a key)."""
    from data_access import backup, jobs

    keys = [jobs.LOCK_KEY, backup.LOCK_KEY, NT.LOCK_KEY]
    assert len(set(keys)) == len(keys)


def test_a_round_while_another_runs_says_it_skipped(world):  # noqa: F811
    engine, _ = world
    with NT._round_lock:  # the ticker's round in this process
        assert NT.deliver_round(engine, at(1)).skipped
    assert not deliver(engine, at(1)).skipped
