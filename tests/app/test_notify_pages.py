"""Inbox page, unread count in the menu, notification settings (secrets never shown),
and deep links followed across the log-in."""

from __future__ import annotations

from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access import notifications as NT
from data_access import tickets as T
from data_access.models import Customer, Device, Notification, OutboxMessage, Ticket, User
from rules.notifications import Kind
from tests.actors import ADMIN
from tests.app.conftest import APP, CLOCK, login, signed_in
from tests.helpers import one_open_ticket

TICKET_NO = "SR-20261123-0001"


def uid(engine, username: str) -> int:
    with db.read(engine) as s:
        return s.scalar(select(User.id).where(User.username == username))


def assigned_ticket(engine) -> int:
    """One open ticket dispatched to the engineer (who gets a notification)."""
    one_open_ticket(engine, CLOCK, ADMIN)
    with db.write(engine) as s:
        tid = s.scalar(select(Ticket.id))
        T.dispatch(s, tid, uid(engine, "engineer"), actor=ADMIN, now=CLOCK, expected_version=None)
    return tid


def nav_titles(at: AppTest) -> list[str]:
    return [t.value for t in at.sidebar.get("page_link")] if at.sidebar.get("page_link") else []


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [str(t.value) for t in at.text]
    parts += [e.value for e in at.error] + [w.value for w in at.warning]
    parts += [s.value for s in at.subheader]
    return "\n".join(parts)


def test_inbox_lists_marks_read_and_counts_unread_in_the_menu(app_db):
    tid = assigned_ticket(app_db)
    at = signed_in("engineer", "en")
    assert not at.exception
    at.switch_page("pages/inbox.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Inbox"]
    grid = at.dataframe[0].value
    assert list(grid["Message"]) == [f"● Ticket {TICKET_NO} assigned to engineer user"]
    assert "Customer: 恒达精密 · Fault: 主轴异响" in list(grid["Details"])
    # the sidebar menu carries the unread count
    with db.read(app_db) as s:
        assert NT.unread_count(s, uid(app_db, "engineer")) == 1
    mark = next(b for b in at.button if b.key == "inbox.mark_all")
    mark.click().run()
    assert not at.exception
    assert "1 marked as read" in [s.value for s in at.success]
    with db.read(app_db) as s:
        assert NT.unread_count(s, uid(app_db, "engineer")) == 0
    # opening the record goes to the ticket's detail
    next(b for b in at.button if b.key == "inbox.open").click().run()
    assert not at.exception, at.exception
    assert f"{TICKET_NO} · Dispatched" in [s.value for s in at.subheader]
    assert tid


def test_the_menu_title_shows_the_unread_count():
    # pure check of the wording the menu uses (st.navigation's titles are not in AppTest)
    from rules.i18n import t

    assert t("page.inbox_unread", "zh", n=3) == "消息（3 条未读）"
    assert t("page.inbox_unread", "en", n=3) == "Inbox (3 unread)"


def test_every_role_has_the_inbox_and_another_users_messages_stay_hidden(app_db):
    assigned_ticket(app_db)
    at = signed_in("trainer", "en")
    at.switch_page("pages/inbox.py").run()
    assert not at.exception
    assert "No messages" in [i.value for i in at.info]


def test_a_deep_link_opened_before_log_in_lands_on_the_ticket(app_db):
    assigned_ticket(app_db)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["lang"] = "en"
    at.session_state["clock"] = CLOCK
    at.query_params["ticket"] = TICKET_NO
    at.run()
    assert [t.value for t in at.title] == ["Aftersales Desk"]  # the log-in page
    login(at, "agent")
    assert not at.exception, at.exception
    assert f"{TICKET_NO} · Dispatched" in [s.value for s in at.subheader]


def test_a_deep_link_to_a_page_the_role_may_not_open_says_no_access(app_db):
    assigned_ticket(app_db)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["lang"] = "en"
    at.query_params["ticket"] = TICKET_NO
    at.run()
    login(at, "trainer")
    assert not at.exception
    assert "Your role may not open this page." in [e.value for e in at.error]
    assert TICKET_NO not in texts(at)


def test_a_link_to_a_missing_ticket_says_so(app_db):
    at = signed_in("agent", "en")
    at.query_params["ticket"] = "SR-NOPE"
    at.switch_page("pages/tickets.py").run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["The linked record does not exist: SR-NOPE"]


def test_a_customer_link_shows_that_customer(app_db):
    with db.write(app_db) as s:
        c = Customer(code="C001", name="恒达精密", grade="A", region="华东")
        s.add_all([c, Customer(code="C0010", name="别的客户", grade="B")])
        s.flush()
        s.add(Device(serial_no="0012345", customer_id=c.id))
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["lang"] = "en"
    at.session_state["clock"] = CLOCK
    at.query_params["customer"] = "C001"
    at.run()
    login(at, "agent")
    assert not at.exception, at.exception
    assert "C001 · 恒达精密" in [s.value for s in at.subheader]
    card = at.dataframe[0].value
    assert list(card.iloc[0])[:2] == ["C001", "恒达精密"]
    assert list(at.dataframe[1].value.iloc[:, 0]) == ["0012345"]


def test_notification_settings_save_and_never_show_the_password(app_db):
    at = signed_in("admin", "en")
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception

    def box(label):
        return next(b for b in at.text_input if b.label == label)

    box("SMTP host").input("mail.example.com")
    next(b for b in at.text_input if b.key == "settings.notify.smtp_password").input(
        "Very-Secret-1"
    )
    box("From address").input("desk@example.com")
    next(c for c in at.checkbox if c.key == "smtp_on").check()
    next(b for b in at.button if b.label == "Save" and "notify" in (b.form_id or "")).click()
    at.run()
    assert not at.exception, at.exception
    assert "Notification settings saved" in [s.value for s in at.success]
    with db.read(app_db) as s:
        stored = NT.load_settings(s)
    assert (stored.smtp_enabled, stored.smtp_host, stored.smtp_password) == (
        True,
        "mail.example.com",
        "Very-Secret-1",
    )
    fresh = signed_in("admin", "en")
    fresh.switch_page("pages/settings.py").run()
    password = next(b for b in fresh.text_input if b.key == "settings.notify.smtp_password")
    assert password.value == "" and "Stored" in password.placeholder
    assert "Very-Secret-1" not in str(fresh._tree)


def test_the_outbox_shows_a_failed_message_with_its_error(app_db):
    assigned_ticket(app_db)
    with db.write(app_db) as s:
        NT.notify(s, [uid(app_db, "engineer")], Kind.PART_LOW, {"part_no": "0042"}, now=CLOCK)
        s.execute(update(User).values(email="x@example.com"))
    with db.write(app_db) as s:
        NT.save_settings(
            s, {"wecom_enabled": True, "wecom_url": "http://127.0.0.1:9/x?key=K"},
            actor=ADMIN, now=CLOCK, )  # fmt: skip
        NT.notify(s, [uid(app_db, "engineer")], Kind.PART_LOW, {"part_no": "0042"}, now=CLOCK)
        s.execute(update(OutboxMessage).values(status="failed", attempts=5,
                                                   last_error="http://127.0.0.1:9/x: HTTP 500"))  # fmt: skip
    at = signed_in("admin", "en")
    at.switch_page("pages/settings.py").run()
    assert not at.exception
    grid = at.dataframe[-1].value
    assert list(grid["Status"]) == ["failed"]
    assert list(grid["Last error"]) == ["http://127.0.0.1:9/x: HTTP 500"]
    assert list(grid["Channel"]) == ["WeCom"]
    assert "key=K" not in str(at._tree)
    with db.read(app_db) as s:
        assert s.scalar(select(Notification.id).where(Notification.kind == "part_low"))
