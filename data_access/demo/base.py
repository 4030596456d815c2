"""What every demo generator module shares: constants, the random helpers, and
:class:`Plumbing` (row buffers, ids, document numbers, working-time snapping, and the
one bulk-insert path, :class:`data_access.bulk.Inserter`)."""

from __future__ import annotations

import bisect
import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, Table
from sqlalchemy.orm import Session

from data_access.bulk import Inserter
from data_access.models import Base
from rules import sla

DEMO_NOW = dt.datetime(2026, 11, 20, 10, 0)
DEMO_SEED = 20261123
DEMO_PASSWORD = "demo123"
CHUNK = 10_000
FOLLOWUP_DAYS = 3

# the dashboard's rollup is derived data its triggers keep: not demo data
_TABLES = [t for t in Base.metadata.sorted_tables if not t.name.startswith("dashboard_")]
T = {t.name: t for t in _TABLES}
TABLE_ORDER = [t.name for t in _TABLES]
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
CENT = Decimal("0.01")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = [
    "伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "建华", "志强", "海燕", "晓东", "丽娟", "国平", "文博", "思远", "雪梅", "春生",
    "建国", "玉兰", "俊杰", "凯", "鹏", "婷", "浩然", "子涵", "宇航", "立新", "红霞", "德明",
]  # fmt: skip


def money(x: float | Decimal) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def rating(rng: random.Random) -> int:
    return pick(rng, (5, 4, 3, 2, 1), (55, 32, 9, 3, 1))


_CUM: dict[tuple, list[float]] = {}


def pick(rng: random.Random, options, weights: tuple):
    """``rng.choices(options, weights)[0]`` without re-summing the weights every call."""
    cum = _CUM.get(weights)
    if cum is None:
        cum = _CUM[weights] = [sum(weights[: k + 1]) for k in range(len(weights))]
    return options[bisect.bisect(cum, rng.random() * cum[-1])]


class Plumbing:
    """State every domain mixin shares: random stream, clock, row buffers, ids, calendar."""

    def __init__(self, conn: Connection, *, customers: int, tickets: int, seed: int, now):
        self.conn = conn
        self.rng = random.Random(seed)
        self.now = now
        self.today = now.date()
        self.n_customers = max(1, customers)
        self.n_tickets = max(0, tickets)
        self.seed = seed
        self.counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.ids: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.buf: dict[str, list[dict]] = {n: [] for n in TABLE_ORDER}
        self.buffered = 0
        self.templates = {n: self._template(T[n]) for n in TABLE_ORDER}
        self.year_ago = now - dt.timedelta(days=365)
        self.counters: dict[str, int] = {}
        self.orm = Session(bind=conn)  # the Inserter's handle on the caller's transaction
        self.writers: dict[str, Inserter] = {}
        self.cal = sla.DEFAULT_CALENDAR  # replaced by the demo calendar before any event
        self.returns = 0
        self.rehandled = 0
        self.cancelled = self.called_back = 0
        self.low_scores: list[tuple] = []  # (follow-up id, ticket id, customer id, rated at)
        self.month_scores: dict = {}  # follow-ups: month → ticket → latest score

    @staticmethod
    def _template(table: Table) -> dict:
        row = {}
        for c in table.columns:
            d = c.default
            row[c.name] = d.arg if d is not None and d.is_scalar else None
        return row

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table: str, created: dt.datetime | None = None, **values) -> int:
        """Buffer one row (id assigned unless given); returns its id."""
        row = self.templates[table] | values
        if row["id"] is None:
            self.ids[table] += 1
            row["id"] = self.ids[table]
        if row["created_at"] is None:
            row["created_at"] = created or self.now
        if row.get("updated_at", 0) is None:
            row["updated_at"] = row["created_at"]
        self.buf[table].append(row)
        self.buffered += 1
        if self.buffered >= 5 * CHUNK:
            self.flush()
        return row["id"]

    def flush(self) -> None:
        """Write every buffer in foreign-key order (a row only refers to earlier ones)."""
        for name in TABLE_ORDER:
            rows = self.buf[name]
            if rows:
                self.write(name, rows)
                self.counts[name] += len(rows)
                self.buf[name] = []
        self.buffered = 0

    def write(self, name: str, rows: list[dict]) -> None:
        """Rows (every column present) through the registers' one bulk-insert path."""
        writer = self.writers.get(name)
        if writer is None:
            writer = self.writers[name] = Inserter(self.orm, T[name], list(T[name].c.keys()))
        writer({n: [row[n] for row in rows] for n in writer.names})

    def doc_no(self, prefix: str, at: dt.datetime | dt.date, per: str = "month") -> str:
        """Document number like PO-202611-0007, dense per prefix and period."""
        period = f"{at.year:04d}"
        if per != "year":
            period += f"{at.month:02d}"
        if per == "day":
            period += f"{at.day:02d}"
        return f"{prefix}-{period}-{self.number(prefix + period):04d}"

    def number(self, prefix: str) -> int:
        """Dense sequence per prefix (document numbers like SR-20261120-0001)."""
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return n

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def mobile(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def when(self, lo: dt.datetime, hi: dt.datetime) -> dt.datetime:
        """A random moment between lo and hi, snapped into working hours."""
        secs = max(0, int((hi - lo).total_seconds()))
        return self.snap(lo + dt.timedelta(seconds=self.rng.randint(0, secs)), self.rng)

    # ---- working time: the SLA rules' calendar maths (rules.sla)
    def snap(self, t: dt.datetime, rng: random.Random) -> dt.datetime:
        """``t`` if inside working hours, else a few minutes into the next span."""
        if self.cal.is_working(t):
            return t
        return sla.next_working_moment(self.cal, t) + dt.timedelta(minutes=int(rng.random() * 91))

    def add_business(self, t: dt.datetime, seconds: float) -> dt.datetime:
        return sla.add_business_time(self.cal, t, seconds)

    def business_seconds(self, a: dt.datetime, b: dt.datetime) -> float:
        return sla.business_seconds(self.cal, a, b)
