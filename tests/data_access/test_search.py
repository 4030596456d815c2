"""Search by fragment through the trigram index, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from data_access import db, search, ticket_queries
from data_access import tickets as T
from data_access.models import Customer, Device, Ticket, TicketEvent
from tests.actors import ADMIN

AT = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
def world(db_engine):
    with db.write(db_engine) as s:
        a = Customer(
            code="C001", name="南方电子", grade="A", phone="0755-8866", contact_name="李工"
        )
        b = Customer(code="C002", name="华东精密机械", grade="B", phone="021-5566")
        s.add_all([a, b])
        s.flush()
        s.add(Device(serial_no="SN-77A1", customer_id=b.id, location="二号车间"))
        for cust, text_ in ((a, "主轴异响报警，刀库卡刀"), (b, 'X轴 100% 过载 "E-21" OR 报警')):
            T.create_ticket(s, customer_id=cust.id, channel="phone", priority="high",
                            fault_description=text_, received_at=AT, actor=ADMIN, now=AT,
                            contact_phone="13800138000")  # fmt: skip
    return db_engine


def keys(engine, fragment, kinds=("ticket", "customer", "device")) -> set[tuple[str, str]]:
    with db.read(engine) as s:
        return {(h.kind, h.title if h.kind == "ticket" else h.key) for h in
                search.search(s, fragment, kinds=kinds)}  # fmt: skip


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("异响报", {("ticket", "南方电子")}),  # Chinese, no spaces: trigrams
        ("刀库卡刀", {("ticket", "南方电子")}),
        ("精密机", {("customer", "C002")}),
        ("8866", {("customer", "C001")}),  # a phone fragment
        ("77a", {("device", "SN-77A1")}),  # any case
        ("二号车间", {("device", "SN-77A1")}),
        ("38001", {("ticket", "南方电子"), ("ticket", "华东精密机械")}),
        ("100%", {("ticket", "华东精密机械")}),  # LIKE wildcards are plain text
        ('"E-21" OR', {("ticket", "华东精密机械")}),  # FTS syntax is plain text too
        ("C0", {("customer", "C001"), ("customer", "C002")}),  # 1–2 chars: a number's start
        ("南方", {("customer", "C001")}),  # … or a customer name's start
        ("方电", set()),  # not a start: the index needs three characters
        ("SN", {("device", "SN-77A1")}),
        ("不存在的", set()),
        ("   ", set()),
    ],
)
def test_fragments(world, fragment, expected):
    assert keys(world, fragment) == expected


def test_only_the_kinds_asked_for(world):
    assert keys(world, "精密机", kinds=("ticket",)) == set()


def test_ticket_list_text_filter_uses_the_index_and_finds_by_customer(world):
    with db.read(world) as s:
        by_customer = T.list_tickets(s, T.TicketFilter(text="精密机械"), now=AT)
        by_text = T.list_tickets(s, T.TicketFilter(text="卡刀"), now=AT)  # two characters
        ticket_no = s.scalar(select(Ticket.ticket_no).order_by(Ticket.id))
        by_no = T.list_tickets(s, T.TicketFilter(text=ticket_no[-5:]), now=AT)
    assert [r["customer"] for r in by_customer] == ["华东精密机械"]
    assert by_text == []
    assert [r["ticket_no"] for r in by_no] == [ticket_no]


def test_a_changed_description_is_found_by_its_new_words(world):
    with db.write(world) as s:
        t = s.scalars(select(Ticket).order_by(Ticket.id)).first()
        t.fault_description = "液压站漏油"
    assert keys(world, "异响报") == set()
    assert keys(world, "站漏油") == {("ticket", "南方电子")}


def test_a_search_that_runs_too_long_is_stopped_with_a_message(db_engine, monkeypatch):
    """PostgreSQL: a fragment whose trigrams are everywhere must not hold a connection;
    the search stops at the timeout and says "type more" (SQLite: no timeout asked)."""
    from sqlalchemy import text

    from data_access.errors import Refused

    def slow(session, *args):
        session.execute(text("SELECT pg_sleep(1)" if postgres else "SELECT 1"))
        return []

    postgres = db_engine.dialect.name == "postgresql"
    monkeypatch.setattr(search, "TIMEOUT_MS", 50)
    monkeypatch.setattr(search, "_search", slow)
    with db.read(db_engine) as s:
        if postgres:
            with pytest.raises(Refused) as exc:
                search.search(s, "100%", kinds=("ticket",))
            assert exc.value.code == "search.too_broad"
        else:
            assert search.search(s, "100%", kinds=("ticket",)) == []


def test_parts_and_complaints_are_found_and_engineers_see_their_own_complaints(world):
    """Migration 0015: parts by number, name, spec or model; complaints by number,
    complainant or content — an engineer only those about his own tickets."""
    from data_access import complaints as CP
    from data_access.complaint_register import Intake, log_complaint
    from data_access.models import Part, User
    from rules.access import Actor, Role
    from tests.actors import engineer

    with db.write(world) as s:
        s.add(
            Part(part_no="P-0042", name="主轴前轴承", spec="7014C/P4", compatible_models="CNC-850")
        )
        e1 = User(username="e1", display_name="工程师甲", role="engineer", password_hash="x")
        s.add(e1)
        s.flush()
        theirs, other = s.scalars(select(Ticket).order_by(Ticket.id)).all()
        theirs.engineer_id = e1.id
        for t in (theirs, other):
            log_complaint(
                s,
                Intake(customer=t.customer.code, complainant="王经理", channel="hotline",
                          content=f"维修后{t.ticket_no}仍然漏油严重", severity="high",
                          urgency="high", received_at=AT, ticket=t.ticket_no),
                actor=ADMIN, now=AT,
            )  # fmt: skip
        mine = theirs.ticket_no
        e1_id = e1.id
    assert keys(world, "7014C", kinds=("part",)) == {("part", "P-0042")}
    assert keys(world, "轴前轴", kinds=("part",)) == {("part", "P-0042")}
    assert keys(world, "P-", kinds=("part",)) == {("part", "P-0042")}  # a number's start
    with db.read(world) as s:
        everyone = search.search(s, "漏油严重", kinds=("complaint",))
        seen = CP.readable_by(engineer(e1_id))
        own = search.search(s, "漏油严重", kinds=("complaint",), complaints_seen=seen)
        assert CP.readable_by(Actor(None, Role.MANAGER)) is None
    assert len(everyone) == 2
    assert [h.detail for h in own] == [f"维修后{mine}仍然漏油严重"]


def test_number_fragments_of_tickets_through_their_own_index(world):
    """Migration 0024: a ticket's numbers (ticket no., serial, contact phone) have an
    index apart from its text; a number-like fragment of five or more is answered from
    their grams and checked against the numbers, kept in step by every write."""
    with db.write(world) as s:
        first, second = s.scalars(select(Ticket).order_by(Ticket.id)).all()
        first.serial_no, first.contact_phone = "AB-2049-7731", "0512-66078812"
        second.fault_description = "客户来电 66078812 转述"  # the digits in the text
        ticket_no = first.ticket_no
    south, east = ("ticket", "南方电子"), ("ticket", "华东精密机械")
    assert keys(world, "049-773") == {south}  # a serial's middle, with its dash
    assert keys(world, "b-2049") == {south}  # any case
    assert keys(world, "66078812") == {south, east}  # the phone, and the description
    assert keys(world, "6607881") == {south, east}
    assert keys(world, ticket_no[3:]) == {south}
    assert keys(world, "2049-7732") == set()  # every gram there, not in one number
    assert keys(world, "2049") == {south}  # four characters: the numbers' trigrams
    with db.read(world) as s:
        listed = T.list_tickets(s, T.TicketFilter(text="049-773"), now=AT)
        counted = T.count_tickets(s, T.TicketFilter(text="66078812"), AT)
    assert [r["ticket_no"] for r in listed] == [ticket_no] and counted == 2
    with db.write(world) as s:
        t = s.scalars(select(Ticket).order_by(Ticket.id)).first()
        t.serial_no, t.contact_phone = "CD-1234-5678", None
    assert keys(world, "049-773") == set()
    assert keys(world, "234-567") == {south}
    with db.write(world) as s:
        tid = s.scalar(select(Ticket.id).order_by(Ticket.id))
        s.execute(delete(TicketEvent).where(TicketEvent.ticket_id == tid))
        s.execute(delete(Ticket).where(Ticket.id == tid))
    assert keys(world, "234-567") == set()


LIST_FRAGMENTS = ["精密机械", "卡刀", "报警", "E-21", "e-21", "8000", "13800138000", "38001",
                  "100%", "李工", "0755-8866", "二号车间", "SR", "C0", "南方", "s", "不存在的"]  # fmt: skip


@pytest.fixture
def many(world):
    """The two tickets of ``world`` and ten more, some finished, of both customers."""
    with db.write(world) as s:
        a, b = s.scalars(select(Customer).order_by(Customer.id)).all()
        for i in range(10):
            t = T.create_ticket(
                s, customer_id=(a, b)[i % 2].id, channel="phone", priority="standard",
                fault_description=(f"主轴报警 E-2{i}", "换刀卡刀", "液压漏油")[i % 3],
                received_at=AT + dt.timedelta(hours=i), actor=ADMIN, now=AT,
                contact_phone=f"1380013{i:04d}", serial_no=f"sn-{i:03d}",
            )  # fmt: skip
            if i % 3 == 0:
                t.status = "closed"
    return world


def _expected(s, fragment: str) -> set[int]:
    """The list's text filter by its definition, in Python: a fragment of three or more
    characters anywhere (any case) in the ticket's or its customer's searched columns;
    one or two characters at the start of a ticket's or customer's number (or name)."""

    def holds(row, table: str) -> bool:
        if len(fragment) >= search.MIN_TRIGRAM:
            return any(fragment.lower() in (getattr(row, c) or "").lower()
                       for c in search.SEARCHED[table])  # fmt: skip
        return any((getattr(row, c) or "").startswith(f) for c in search.PREFIXED[table]
                   for f in {fragment, fragment.upper()})  # fmt: skip

    return {t.id for t in s.scalars(select(Ticket))
            if holds(t, "tickets") or holds(s.get(Customer, t.customer_id), "customers")}  # fmt: skip


@pytest.mark.parametrize("rare", [5_000, 0], ids=["by-ids", "by-condition"])
def test_ticket_list_text_filter_finds_what_it_means(many, monkeypatch, rare):
    """Both ways the list answers a text filter on PostgreSQL (the ids of a rare
    fragment's tickets, or the condition itself for a common one; SQLite: always the
    condition) find the same tickets as the definition: the count, and every page in
    the list's order."""
    monkeypatch.setattr(ticket_queries, "RARE_TICKETS", rare)
    with db.read(many) as s:
        everything = [r["id"] for r in T.list_tickets(s, T.TicketFilter(), now=AT, page_size=99)]
        for fragment in LIST_FRAGMENTS:
            f = T.TicketFilter(text=fragment)
            expected = _expected(s, fragment)
            paged = [r["id"] for p in (1, 2, 3) for r in
                     T.list_tickets(s, f, now=AT, page=p, page_size=4)]  # fmt: skip
            assert T.count_tickets(s, f, AT) == len(expected), fragment
            assert paged == [i for i in everything if i in expected], fragment
    found = {len(_expected_of(many, f)) for f in LIST_FRAGMENTS}
    assert 0 in found and 12 in found and found - {0, 12}  # none, some and all


def test_the_list_page_asks_the_index_once_per_read(many, monkeypatch):
    """The list page counts, then lists, in one read: the text filter's ids are fetched
    once for both (PostgreSQL; SQLite keeps the condition and fetches none). A later
    read asks again, so a ticket written in between is found."""
    asked = []
    real = ticket_queries._text_clause
    monkeypatch.setattr(ticket_queries, "_text_clause", lambda f: asked.append(f) or real(f))
    f = T.TicketFilter(text="换刀卡刀")
    with db.read(many) as s:
        counted = T.count_tickets(s, f, AT)
        listed = T.list_tickets(s, f, now=AT)
    postgres = many.dialect.name == "postgresql"
    assert (len(asked), counted, len(listed)) == (1 if postgres else 2, 3, 3)
    with db.write(many) as s:
        T.create_ticket(s, customer_id=s.scalar(select(Customer.id).limit(1)), channel="phone",
                        priority="standard", fault_description="又换刀卡刀", received_at=AT,
                        actor=ADMIN, now=AT)  # fmt: skip
    with db.read(many) as s:
        assert T.count_tickets(s, f, AT) == len(T.list_tickets(s, f, now=AT)) == 4


def _expected_of(engine, fragment: str) -> set[int]:
    with db.read(engine) as s:
        return _expected(s, fragment)


def test_the_ticker_merges_the_index_and_searches_still_find(world, monkeypatch):
    """SQLite: a write adds a segment to each FTS5 table (automerge off here, as an
    index filled by many small imports); one ticker round merges a table with more than
    ``MANY_SEGMENTS`` into one, step by step, and the index stays exact. PostgreSQL: the
    round moves the GIN indexes' pending entries into the index."""
    from sqlalchemy import text

    from data_access import jobs

    sqlite = world.dialect.name == "sqlite"
    numbers = ("search_tickets", "search_ticket_numbers", "search_ticket_grams")
    if sqlite:
        with db.write(world) as s:
            for fts in numbers:
                s.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('automerge', 0)"))
    for i in range(12):
        with db.write(world) as s:
            cust = s.scalar(select(Customer.id).order_by(Customer.id))
            T.create_ticket(s, customer_id=cust, channel="phone", priority="high",
                            fault_description=f"漏油{i:02d}号机", received_at=AT, actor=ADMIN,
                            now=AT, serial_no=f"MX-{i:05d}")  # fmt: skip
    if sqlite:
        with db.read(world) as s:
            assert min(search.segments(s, fts) for fts in numbers) > search.MANY_SEGMENTS
    rounds = []
    merge = search.merge_index
    monkeypatch.setattr(search, "merge_index", lambda e: rounds.append(merge(e)) or rounds[-1])
    jobs.Ticker(world).escalation()  # one round, without the thread
    assert len(rounds) == 1 and sum(rounds[0].values()) > 0  # it merged something
    if sqlite:
        with db.write(world) as s:
            assert [search.segments(s, fts) for fts in numbers] == [1, 1, 1]
            for fts in numbers[:2]:  # the content tables: the index against the rows
                s.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')"))
    else:
        assert jobs.index_round(world) == dict.fromkeys(search.GIN_INDEXES, 0)  # all moved
    assert keys(world, "漏油07号") == {("ticket", "南方电子")}
    assert keys(world, "mx-00011", kinds=("ticket",)) == {("ticket", "南方电子")}
    assert keys(world, "X-0000", kinds=("ticket",)) == {("ticket", "南方电子")}
    with db.read(world) as s:
        assert len(search.search(s, "X-0000", kinds=("ticket",), limit=20)) == 10


@pytest.mark.parametrize(
    ("small", "rare", "recent"),
    [(500, 5_000, 20_000), (2, 5_000, 20_000), (2, 3, 20_000), (2, 3, 2)],
    ids=["newest-rows", "index", "wider-window", "ordered-query"],
)
def test_every_way_to_the_newest_hits_finds_the_same(many, monkeypatch, small, rare, recent):
    """PostgreSQL answers from the newest rows, from the index or from a wider window,
    whichever answers first (``newest_ids``): each finds the newest hits by definition."""
    monkeypatch.setattr(search, "SMALL_WINDOW", small)
    monkeypatch.setattr(search, "RARE_ROWS", rare)
    monkeypatch.setattr(search, "RECENT_WINDOW", recent)
    monkeypatch.setattr(search, "NUMBER_WINDOW", recent)
    with db.read(many) as s:
        for fragment in ("主轴报警", "换刀卡刀", "13800", "SN-0", "e-2", "不存在的"):
            own = {t.id for t in s.scalars(select(Ticket))
                   if any(fragment.lower() in (getattr(t, c) or "").lower()
                          for c in search.SEARCHED["tickets"])}  # fmt: skip
            hits = search.search(s, fragment, kinds=("ticket",), limit=3)
            assert [h.id for h in hits] == sorted(own, reverse=True)[:3], fragment
