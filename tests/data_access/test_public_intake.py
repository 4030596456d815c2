"""Scan-to-report on SQLite and PostgreSQL: links, tickets from the public form, the abuse
limits, duplicates, photos, and the status lookup that tells nothing to a wrong phone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data_access import db
from data_access import public_intake as P
from data_access.errors import NotAllowed
from data_access.models import Customer, Device, ProductModel, PublicRequest, Ticket
from rules.access import Actor, Role
from rules.faultcodes import Limits, RepairForm
from tests.actors import ADMIN

NOW = dt.datetime(2026, 11, 23, 10, 0)
MIN = dt.timedelta(minutes=1)
FORM = RepairForm("张伟", "138 1234 5678", "主轴异响，设备停机", "down")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def linked(db_engine):
    with db.write(db_engine) as s:
        c = Customer(code="C1", name="恒达精密", grade="A", region="华东")
        m = ProductModel(code="VMC-850", name="立式加工中心 VMC-850", warranty_months=12)
        s.add_all([c, m])
        s.flush()
        d = Device(serial_no="VMC25000001", customer_id=c.id, model_id=m.id, location="一号车间",
                   warranty_end=NOW.date() + dt.timedelta(days=100))  # fmt: skip
        s.add(d)
        s.flush()
        token = P.issue_token(s, d.id, actor=ADMIN, now=NOW)
        ids = {"customer": c.id, "device": d.id, "token": token}
    return db_engine, ids


def submit(engine, token, form=FORM, *, at=NOW, client="c1", **kw):
    with db.write(engine) as s:
        return P.submit_report(s, token, form, client=client, now=at, **kw)


def tickets(engine) -> list[Ticket]:
    with db.read(engine) as s:
        return list(s.scalars(select(Ticket)))


def test_a_report_opens_an_online_ticket_with_its_sla_clock(linked, tmp_path):
    engine, ids = linked
    with db.read(engine) as s:
        shown = P.device_for_token(s, ids["token"])
    assert shown == P.PublicDevice("立式加工中心 VMC-850", "0001", "一号车间")
    done = submit(engine, ids["token"], photo=JPEG, photos=tmp_path / "up")
    assert done.outcome is P.Outcome.CREATED
    [t] = tickets(engine)
    assert (t.ticket_no, t.channel, t.priority, t.status) == (
        done.ticket_no,
        "online",
        "emergency",
        "received",
    )
    assert (t.customer_id, t.device_id, t.contact_phone) == (
        ids["customer"],
        ids["device"],
        "13812345678",
    )
    assert (
        t.respond_due is not None
        and t.resolve_due is not None
        and t.warranty_status == "in_warranty"
    )
    [photo] = list((tmp_path / "up").iterdir())
    assert photo.suffix == ".jpg" and photo.read_bytes() == JPEG
    assert photo.stat().st_mode & 0o077 == 0  # owner only
    with db.read(engine) as s:
        assert P.photos_of(s, t.id, tmp_path / "up") == [JPEG]


def test_the_same_report_again_within_minutes_is_folded(linked):
    engine, ids = linked
    first = submit(engine, ids["token"])
    again = submit(engine, ids["token"], RepairForm("张伟", "+8613812345678", "主轴异响， 设备停机", "down"),
                   at=NOW + 5 * MIN, client="c2")  # fmt: skip
    assert (again.outcome, again.ticket_no) == (P.Outcome.DUPLICATE, first.ticket_no)
    later = submit(engine, ids["token"], at=NOW + 11 * MIN)
    assert later.outcome is P.Outcome.CREATED and later.ticket_no != first.ticket_no
    assert len(tickets(engine)) == 2


def test_rate_limits_per_link_and_per_client(linked):
    engine, ids = linked
    limits = Limits(per_token=3, per_client=2, duplicate_minutes=0)
    forms = [
        RepairForm("张伟", "13812345678", f"第 {i} 次报修：主轴异响", "normal") for i in range(5)
    ]
    outcomes = [submit(engine, ids["token"], forms[i], client="a", at=NOW + i * MIN, limits=limits).outcome
                for i in range(3)]  # fmt: skip
    assert outcomes == [P.Outcome.CREATED, P.Outcome.CREATED, P.Outcome.LIMITED]  # client a: 2
    assert submit(engine, ids["token"], forms[3], client="b", at=NOW + 3 * MIN, limits=limits).outcome is P.Outcome.LIMITED  # link: 3 attempts  # fmt: skip
    # an hour later the window has moved on
    assert submit(engine, ids["token"], forms[4], client="b", at=NOW + 65 * MIN, limits=limits).outcome is P.Outcome.CREATED  # fmt: skip
    with db.read(engine) as s:
        logged = s.scalars(select(PublicRequest.outcome).order_by(PublicRequest.id)).all()
    assert logged == ["created", "created", "limited", "limited", "created"]


@pytest.mark.parametrize(
    ("form", "photo", "fields"),
    [
        (RepairForm("张伟", "12345", "主轴异响停机", "down"), None, ["phone"]),
        (RepairForm("", "13812345678", "坏", "down"), None, ["contact_name", "description"]),
        (FORM, b"GIF89a....", ["photo"]),
        (FORM, b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), ["photo"]),
    ],
)
def test_bad_input_opens_nothing(linked, form, photo, fields, tmp_path):
    engine, ids = linked
    done = submit(engine, ids["token"], form, photo=photo, photos=tmp_path / "up")
    assert done.outcome is P.Outcome.INVALID_INPUT
    assert [p.field for p in done.problems] == fields
    assert tickets(engine) == [] and not (tmp_path / "up").exists()


def test_unknown_revoked_and_rotated_links(linked):
    engine, ids = linked
    assert submit(engine, "not-a-token").outcome is P.Outcome.INVALID_LINK
    assert submit(engine, "x" * 500).outcome is P.Outcome.INVALID_LINK
    with db.write(engine) as s:
        new = P.issue_token(s, ids["device"], actor=ADMIN, now=NOW, rotate=True)
    assert new != ids["token"] and len(new) >= 32
    assert submit(engine, ids["token"]).outcome is P.Outcome.INVALID_LINK  # the old QR is dead
    with db.write(engine) as s:
        assert P.revoke_token(s, ids["device"], actor=ADMIN, now=NOW) is True
        assert P.device_for_token(s, new) is None
    assert submit(engine, new).outcome is P.Outcome.INVALID_LINK
    assert tickets(engine) == []


def test_only_the_desk_manages_links(linked):
    engine, ids = linked
    for role in (Role.ENGINEER, Role.QUALITY, Role.PARTS_KEEPER):
        with pytest.raises(NotAllowed), db.write(engine) as s:
            P.issue_token(s, ids["device"], actor=Actor(None, role), now=NOW, rotate=True)
    with db.write(engine) as s:
        labels = P.labels_for_customer(s, ids["customer"], actor=Actor(None, Role.AGENT), now=NOW)
    assert [(lb.serial_no, lb.model, lb.token) for lb in labels] == [
        ("VMC25000001", "VMC-850", ids["token"])
    ]


def test_status_lookup_answers_a_wrong_phone_as_an_unknown_ticket(linked):
    engine, ids = linked
    done = submit(engine, ids["token"])
    with db.write(engine) as s:
        found = P.lookup_status(s, done.ticket_no, "+86 138-1234-5678", client="c", now=NOW)
        wrong = P.lookup_status(s, done.ticket_no, "13900000000", client="c", now=NOW)
        unknown = P.lookup_status(s, "SR-19990101-0001", "13812345678", client="c", now=NOW)
        garbage = P.lookup_status(s, done.ticket_no, "abc", client="c", now=NOW)
    assert (found.outcome, found.ticket_no, found.status, found.engineer) == (
        P.LookupOutcome.FOUND, done.ticket_no, "received", None)  # fmt: skip
    assert wrong == unknown == garbage == P.PublicStatus(P.LookupOutcome.NOT_FOUND)


def test_status_lookups_are_limited_per_client(linked):
    engine, ids = linked
    limits = Limits(lookups_per_client=2)
    with db.write(engine) as s:
        got = [P.lookup_status(s, "SR-1", "13812345678", client="x", now=NOW, limits=limits).outcome
               for _ in range(3)]  # fmt: skip
        other = P.lookup_status(s, "SR-1", "13812345678", client="y", now=NOW, limits=limits)
        assert (
            s.scalar(select(func.count(PublicRequest.id)).where(PublicRequest.kind == "lookup"))
            == 4
        )
    assert got == [P.LookupOutcome.NOT_FOUND, P.LookupOutcome.NOT_FOUND, P.LookupOutcome.LIMITED]
    assert other.outcome is P.LookupOutcome.NOT_FOUND


def test_label_sheet_is_one_png_per_twelve_devices():
    from data_access.qr_labels import link, sheet_png

    labels = [P.Label(f"SN{i:04d}", "VMC-850", "一号车间", f"tok{i}") for i in range(13)]
    pages = sheet_png(labels, "https://svc.example.com/")
    assert len(pages) == 2 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pages)
    assert sheet_png([], "https://svc.example.com") == []
    assert link("https://svc.example.com/", "a/b+c") == "https://svc.example.com/?r=a%2Fb%2Bc"


def test_photos_are_deleted_after_their_retention_and_orphans_after_an_hour(linked, tmp_path):
    import os

    from data_access.settings import put_setting

    engine, ids = linked
    up = tmp_path / "up"
    kept = submit(engine, ids["token"], photo=JPEG, photos=up)
    gone = submit(engine, ids["token"], RepairForm("李娜", "13900000000", "急停按钮失灵", "normal"),
                  photo=JPEG, photos=up, client="c2")  # fmt: skip
    with db.write(engine) as s:
        s.execute(
            Ticket.__table__.update()
            .where(Ticket.ticket_no == gone.ticket_no)
            .values(status="closed", closed_at=NOW - dt.timedelta(days=40))
        )
        put_setting(s, P.PHOTO_KEEP_SETTING, 30, NOW)
        names = dict(s.execute(select(Ticket.ticket_no, PublicRequest.photo).join(
            Ticket, Ticket.id == PublicRequest.ticket_id)).all())  # fmt: skip
    fresh, stale = up / "new.jpg", up / "old.jpg"  # files no request names
    fresh.write_bytes(JPEG)
    stale.write_bytes(JPEG)
    old = (NOW - dt.timedelta(hours=2)).timestamp()
    os.utime(stale, (old, old))
    os.utime(fresh, (NOW.timestamp(), NOW.timestamp()))
    with db.read(engine) as s:
        done = P.sweep_photos(s, NOW, up)
        assert done == P.PhotoSweep(orphans=1, expired=1)
        assert sorted(p.name for p in up.iterdir()) == sorted([names[kept.ticket_no], "new.jpg"])
        t_gone = s.scalar(select(Ticket.id).where(Ticket.ticket_no == gone.ticket_no))
        assert P.photos_of(s, t_gone, up) == []  # the detail shows what is left
        assert P.sweep_photos(s, NOW, up) == P.PhotoSweep(0, 0)  # twice deletes nothing twice
        assert P.sweep_photos(s, NOW, tmp_path / "none") == P.PhotoSweep(0, 0)
