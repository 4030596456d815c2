"""Spare parts (备件): the parts master and stock ledger specs, and the pure rules of
the ledger — movement kinds and their signs, no negative stock over a dated ledger,
moving-average cost, reorder figures, stock-take adjustments, availability figures.

Pure stdlib; the clock comes in as an argument.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from rules.fields import Field, Kind, Option, Problem, Register

KEY_PART_HOURS = 72  # seed 004: key parts available within 72 h
SOURCING_HOURS = 48  # seed 000: missing parts sourced within 48 h
CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")


class MovementKind(StrEnum):
    """A ledger row's kind; ``qty`` is signed (+ in, - out), a transfer is two rows."""

    RECEIPT = "receipt"  # 入库
    ISSUE = "issue"  # 领用
    RETURN = "return"  # 退回
    TRANSFER = "transfer"  # 调拨
    SCRAP = "scrap"  # 报废
    LOAN = "loan"  # 借出
    LOAN_RETURN = "loan_return"  # 借用归还
    FAULTY_RETURN = "faulty_return"  # 旧件返还
    ADJUST = "adjust"  # 盘点调整


class ScrapReason(StrEnum):
    EXPIRED = "expired"
    DAMAGED = "damaged"
    OTHER = "other"


class WarehouseKind(StrEnum):
    CENTRAL = "central"
    REGIONAL = "regional"
    VAN = "van"  # 车载库存: tied to an engineer
    FAULTY = "faulty"  # 旧件库: faulty parts kept for warranty claims, not valued


class StockTakeStatus(StrEnum):
    OPEN = "open"
    POSTED = "posted"


class TakeChoice(StrEnum):
    """A counted row whose ledger moved after the snapshot: what the count means."""

    KEEP_COUNT = "keep_count"  # the shelf holds the counted quantity now
    KEEP_DIFFERENCE = "keep_difference"  # the difference found at the snapshot stands


# kinds the per-row checks compare with, read once: on Python 3.11 each
# ``MovementKind.X`` is a descriptor call (~170 ns), a global ~15 ns
SCRAP, FAULTY_RETURN = MovementKind.SCRAP, MovementKind.FAULTY_RETURN

# +1 in, -1 out, 0 either way (a transfer's two rows, a stock-take adjustment)
SIGN: dict[MovementKind, int] = {
    MovementKind.RECEIPT: 1,
    MovementKind.ISSUE: -1,
    MovementKind.RETURN: 1,
    MovementKind.TRANSFER: 0,
    MovementKind.SCRAP: -1,
    MovementKind.LOAN: -1,
    MovementKind.LOAN_RETURN: 1,
    MovementKind.FAULTY_RETURN: 1,
    MovementKind.ADJUST: 0,
}

KIND_OPTIONS = (
    Option(MovementKind.RECEIPT, "入库", "Receipt", ("采购入库", "receive")),
    Option(MovementKind.ISSUE, "领用", "Issue", ("出库", "领料")),
    Option(MovementKind.RETURN, "退回", "Return", ("退库",)),
    Option(MovementKind.TRANSFER, "调拨", "Transfer", ("移库",)),
    Option(MovementKind.SCRAP, "报废", "Scrap"),
    Option(MovementKind.LOAN, "借出", "Loan", ("借用",)),
    Option(MovementKind.LOAN_RETURN, "借用归还", "Loan return", ("归还",)),
    Option(MovementKind.FAULTY_RETURN, "旧件返还", "Faulty-part return", ("旧件",)),
    Option(MovementKind.ADJUST, "盘点调整", "Stock-take adjustment", ("盘盈盘亏", "adjustment")),
)
REASON_OPTIONS = (
    Option(ScrapReason.EXPIRED, "过期", "Expired", ("超过保质期",)),
    Option(ScrapReason.DAMAGED, "损坏", "Damaged", ("受潮", "破损")),
    Option(ScrapReason.OTHER, "其他", "Other"),
)
WAREHOUSE_KIND_OPTIONS = (
    Option(WarehouseKind.CENTRAL, "中心库", "Central store"),
    Option(WarehouseKind.REGIONAL, "区域库", "Regional store"),
    Option(WarehouseKind.VAN, "车载库存", "Van stock"),
    Option(WarehouseKind.FAULTY, "旧件库", "Faulty parts"),
)

PARTS = Register(
    name="parts",
    zh="配件目录",
    en="Parts master",
    key="part_no",
    fields=(
        Field("part_no", "配件编号", "Part no.", required=True, key=True, max_len=60,
              aliases=("备件编号", "物料编码", "part number"), example="000101"),
        Field("name", "配件名称", "Name (zh)", required=True, max_len=200,
              aliases=("名称", "品名", "中文名称"), example="主轴前轴承"),
        Field("name_en", "英文名称", "Name (en)", max_len=200, aliases=("english name",)),
        Field("spec", "规格型号", "Specification", max_len=200, aliases=("规格", "型号")),
        Field("compatible_models", "适用机型", "Compatible models", max_len=300,
              aliases=("适用型号", "models")),
        Field("uom", "单位", "Unit", required=True, max_len=10, aliases=("unit of measure",),
              example="个"),
        Field("unit_cost", "成本价", "Unit cost", Kind.MONEY, min_value=0,
              aliases=("成本", "cost")),
        Field("price", "销售价", "Sale price", Kind.MONEY, min_value=0, aliases=("售价", "价格")),
        Field("is_key", "关键件", "Key part", Kind.BOOL, aliases=("key",)),
        Field("is_wear", "易损件", "Wear part", Kind.BOOL, aliases=("wear",)),
        Field("warranty_months", "配件保修月数", "Part warranty (months)", Kind.INT,
              min_value=0, aliases=("保修月数",)),
        Field("reorder_point", "再订货点", "Reorder point", Kind.INT, min_value=0,
              aliases=("安全库存", "最低库存")),
        Field("reorder_qty", "订货批量", "Reorder qty", Kind.INT, min_value=0,
              aliases=("补货数量",)),
        Field("bin", "默认货位", "Default bin", max_len=40, aliases=("货位", "库位")),
        Field("active", "在用", "Active", Kind.BOOL, aliases=("启用",)),
        Field("on_hand", "库存合计", "On hand (all)", Kind.INT, computed=True),
    ),
)  # fmt: skip

WAREHOUSES = Register(
    name="warehouses",
    zh="仓库",
    en="Warehouses",
    key="code",
    fields=(
        Field("code", "仓库编码", "Code", required=True, key=True, max_len=20,
              aliases=("仓库代码",), example="WH01"),
        Field("name", "仓库名称", "Name", required=True, max_len=100, example="中心库"),
        Field("kind", "类型", "Kind", Kind.ENUM, required=True, options=WAREHOUSE_KIND_OPTIONS),
        Field("user", "工程师", "Engineer", Kind.REF, ref="users",
              help_zh="车载库存所属工程师", help_en="The engineer of a van stock"),
        Field("active", "在用", "Active", Kind.BOOL),
    ),
)  # fmt: skip

ENTRY_RE = re.compile(r"^(?P<doc>\S.{0,48}?)/(?P<line>[1-9]\d{0,5})$")


def entry_of(doc_no: str, line_no: int) -> str:
    """A ledger row's key: ``<doc no.>/<line>`` (``RK-202611-0001/2``)."""
    return f"{doc_no}/{line_no}"


_DIGITS = frozenset("0123456789")


@functools.lru_cache(maxsize=1024)  # a ledger row's entry is split by its derive, then its check
def split_entry(entry: str | None) -> tuple[str, int] | None:
    """(doc no., line) of ``<doc no.>/<line>``, None if it is not one (``ENTRY_RE``).

    Runs for every imported ledger row: the common, well-formed key is split by hand
    (the pattern's lazy document part ends at the last ``/`` too); anything else
    goes to the pattern."""
    if entry:
        doc, sep, line = entry.rpartition("/")
        if (
            sep
            and 0 < len(doc) <= 49
            and 0 < len(line) <= 6
            and line[0] != "0"
            and _DIGITS.issuperset(line)
            and not doc[0].isspace()
            and "\n" not in doc
        ):
            return doc, int(line)
    m = ENTRY_RE.match(entry or "")
    return (m["doc"], int(m["line"])) if m else None


def movement_problems(v: dict[str, Any]) -> list[Problem]:
    """A ledger row on its own: key shape, quantity and its sign, a scrap's reason."""
    out: list[Problem] = []
    entry = v.get("entry")
    if entry is not None and split_entry(entry) is None:
        out.append(Problem("entry", "parts.err.entry", {"value": entry}))
    qty, kind = v.get("qty"), v.get("kind")
    reverses = v.get("reverses")  # a reversing row runs against its kind's sign
    if qty is not None and qty == 0:
        out.append(Problem("qty", "parts.err.qty_zero", {}))
    elif qty is not None and (sign := SIGN.get(kind)) and sign * qty < 0 and not reverses:
        code = "parts.err.qty_in" if sign > 0 else "parts.err.qty_out"
        out.append(Problem("qty", code, {"value": qty}))
    if kind == SCRAP and not v.get("reason"):
        out.append(Problem("reason", "parts.err.scrap_reason", {}))
    return out


STOCK = Register(
    name="stock",
    zh="配件台账",
    en="Stock ledger",
    key="entry",
    ledger=True,
    checks=(movement_problems,),
    fields=(
        Field("entry", "单据行", "Doc/line", required=True, key=True, max_len=60,
              aliases=("单据号/行号", "entry"), example="RK-202611-0001/1",
              help_zh="单据号/行号，同一单据重复导入不会重复记账",
              help_en="Document no./line: re-importing the same document writes nothing"),
        Field("doc_no", "单据号", "Doc no.", computed=True),
        Field("line_no", "行号", "Line", Kind.INT, computed=True),
        Field("at", "日期", "Date", Kind.DATETIME, required=True,
              aliases=("日期时间", "date", "time"), example=dt.datetime(2026, 11, 20, 10, 0)),
        Field("kind", "类型", "Kind", Kind.ENUM, required=True, options=KIND_OPTIONS,
              aliases=("业务类型", "movement")),
        Field("part_no", "配件编号", "Part no.", Kind.REF, required=True, ref="parts",
              column="part_id", aliases=("备件编号", "物料编码", "part"), example="000101"),
        Field("warehouse", "仓库", "Warehouse", Kind.REF, required=True, ref="warehouses",
              aliases=("库房", "warehouse code"), example="WH01"),
        Field("qty", "数量", "Qty", Kind.INT, required=True,
              aliases=("quantity",), example=10,
              help_zh="入为正，出为负", help_en="In positive, out negative"),
        Field("unit_cost", "单位成本", "Unit cost", Kind.MONEY, min_value=0,
              aliases=("成本", "单价", "cost")),
        Field("supplier", "供应商", "Supplier", max_len=100),
        Field("reference", "关联单号", "Reference", max_len=100,
              aliases=("采购单号", "参考", "ref")),
        Field("ticket", "工单号", "Ticket no.", Kind.REF, ref="tickets",
              aliases=("服务单号",)),
        Field("visit", "保养单号", "Visit no.", Kind.REF, ref="maintenance_visits",
              aliases=("巡检单号",)),
        Field("reason", "报废原因", "Scrap reason", Kind.ENUM, options=REASON_OPTIONS,
              aliases=("原因",)),
        Field("reverses", "冲销单号", "Reverses doc", max_len=50, aliases=("冲销",)),
        Field("user", "经办人", "User", Kind.REF, ref="users", aliases=("操作人",)),
        Field("note", "备注", "Note", max_len=300, aliases=("说明",)),
    ),
)  # fmt: skip


# the reorder suggestions as a purchase list (an export layout, never imported)
PURCHASE_LIST = Register(
    name="purchase_list",
    zh="采购清单",
    en="Purchase list",
    key="part_no",
    fields=(
        Field("part_no", "配件编号", "Part no.", key=True),
        Field("name", "配件名称", "Name"),
        Field("on_hand", "库存", "On hand", Kind.INT),
        Field("on_order", "在途", "On order", Kind.INT),
        Field("reserved", "预留", "Reserved", Kind.INT),
        Field("projected", "预计库存", "Projected", Kind.INT),
        Field("reorder_point", "再订货点", "Reorder point", Kind.INT),
        Field("reorder_qty", "订货批量", "Reorder qty", Kind.INT),
        Field("suggested", "建议采购量", "Suggested qty", Kind.INT),
        Field("unit_cost", "成本价", "Unit cost", Kind.MONEY),
    ),
)


# ---------------------------------------------------------------- no negative stock
@dataclass(frozen=True)
class Move:
    """One ledger row of one part in one warehouse, as the balance check reads it."""

    at: dt.datetime
    seq: int  # the row id: orders rows of the same moment
    qty: int
    doc_no: str
    new: bool = False  # posted by the write under check


@dataclass(frozen=True)
class Shortfall:
    at: dt.datetime  # when the balance first goes below zero
    shortfall: int  # units missing at the worst point
    doc_no: str  # the document being posted
    breaks: str | None  # a later document it would leave without stock (None: itself)


def first_shortfall(opening: int, moves: Iterable[Move]) -> Shortfall | None:
    """The balance from ``opening`` through ``moves`` (in date order, rows posted before
    the ones under check, then ``seq``):
    None if it never drops below zero from the first new row on; else when it first
    does, the worst shortfall and the document there.

    Earlier rows are counted but not judged: a back-dated movement is refused for what
    it does on its date or any later date.
    """
    # a row under check comes after the rows already posted at the same moment (two
    # writers racing for the last unit each get the shortfall of their own row)
    ordered = sorted(moves, key=lambda m: (m.at, m.new, m.seq))
    balance, judging, first, worst, posting = opening, False, None, 0, None
    for m in ordered:
        balance += m.qty
        if m.new and not judging:
            judging, posting = True, m.doc_no
        if judging and balance < 0:
            if first is None:
                first = m
            worst = max(worst, -balance)
    if first is None:
        return None
    return Shortfall(first.at, worst, posting or first.doc_no, None if first.new else first.doc_no)


# ---------------------------------------------------------------- valuation
@dataclass(frozen=True)
class Costed:
    qty: int
    avg_cost: Decimal
    value: Decimal


def moving_average(moves: Iterable[tuple[str, int, Decimal | None]]) -> Costed:
    """Moving-average cost of one part from its ledger rows (kind, signed qty, unit cost),
    in date order. A receipt with a cost re-averages; every other row moves at the
    current average (a transfer's two rows net out). Faulty-part returns are not stock
    of value and are skipped. Quantity at or below zero: the next receipt sets the cost.
    """
    qty, avg = 0, Decimal("0")
    for kind, q, cost in moves:
        if kind == MovementKind.FAULTY_RETURN:
            continue
        if kind == MovementKind.RECEIPT and q > 0 and cost is not None:
            old = max(qty, 0)
            avg = ((old * avg + q * Decimal(cost)) / (old + q)).quantize(COST_PLACES, ROUND_HALF_UP)
        qty += q
    value = (max(qty, 0) * avg).quantize(CENT, ROUND_HALF_UP)
    return Costed(qty, avg, value)


# ---------------------------------------------------------------- reorder
@dataclass(frozen=True)
class Reorder:
    projected: int
    alert: bool
    qty: int  # suggested order quantity (0 without an alert)


class SuggestionStatus(StrEnum):
    """A stored reorder suggestion: open → ordered (a purchase order placed, its quantity
    counts as on order) → closed (a receipt into its warehouse, or stock back above the
    point before anything was ordered)."""

    OPEN = "open"
    ORDERED = "ordered"
    CLOSED = "closed"


LIVE_SUGGESTIONS = frozenset({SuggestionStatus.OPEN, SuggestionStatus.ORDERED})


def reorder(on_hand: int, on_order: int, reserved: int, point: int, lot: int) -> Reorder:
    """projected = on hand + on order − reserved; alert when projected ≤ reorder point;
    quantity = max(reorder quantity, reorder point − projected)."""
    projected = on_hand + on_order - reserved
    alert = projected <= point
    return Reorder(projected, alert, max(lot, point - projected) if alert else 0)


# ---------------------------------------------------------------- stock-take
def take_adjustment(book_at_snapshot: int, counted: int, book_now: int, choice: str) -> int:
    """The adjustment a counted row posts: the count stands as the shelf now
    (``keep_count``: counted − book now) or the difference found at the snapshot
    stands (``keep_difference``: counted − book at the snapshot). Unmoved rows agree."""
    if choice == TakeChoice.KEEP_COUNT:
        return counted - book_now
    return counted - book_at_snapshot


# ---------------------------------------------------------------- availability
def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def share_within(hours: Sequence[float], limit: float) -> float | None:
    """Share (0–1) of waits within ``limit`` hours; None without any wait."""
    if not hours:
        return None
    return round(sum(1 for h in hours if h <= limit) / len(hours), 4)
