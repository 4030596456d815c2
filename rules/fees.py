"""Fees (服务费用): the rate card, a ticket's fee lines, statements and payments.

Pure stdlib. The one coverage rule (:func:`price_line`) decides every fee line from the
failure date: a device in warranty pays no labour and no original parts; a part with
its own warranty months (三包: key parts long, wear parts short) is covered by those
instead, so an in-warranty device can have a paid wear part; a maintenance-contract
customer gets the package's repair discount; otherwise the rate card applies. Money is
``Decimal`` rounded half-up to 0.01 per line; totals are sums of rounded lines.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from rules.fields import Field, Kind, Option, Problem, Register

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(x: Decimal | int | str) -> Decimal:
    """Half-up to the cent: 0.005 → 0.01 (not banker's rounding)."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- values
class FeeKind(StrEnum):
    """A rate card item's kind; a fee line is one of these (parts, other, adjustment too)."""

    DIAGNOSIS = "diagnosis"
    LABOUR = "labour"
    PARTS = "parts"
    TRAVEL = "travel"
    RUSH = "rush"
    SHIPPING = "shipping"
    INSPECTION = "inspection"
    REPAIR = "repair"
    MINIMUM = "minimum"  # on-site minimum charge: the top-up line
    OTHER = "other"
    ADJUSTMENT = "adjustment"  # a correction after settlement (may be negative)


class Basis(StrEnum):
    FIXED = "fixed"  # price per item
    PER_UNIT = "per_unit"  # price × hours / km
    PERCENT = "percent"  # price is a percent of the labour and diagnosis list amounts


class Rule(StrEnum):
    """Which coverage rule a line got (stored on the line)."""

    WARRANTY = "warranty"  # device in warranty: free
    PART_WARRANTY = "part_warranty"  # the part's own warranty (三包) covers it: free
    PART_EXPIRED = "part_expired"  # device in warranty, the part's own warranty over: paid
    CONTRACT = "contract"  # maintenance contract: the package's repair discount
    RATE_CARD = "rate_card"  # out of warranty: full rate
    OVERRIDE = "override"  # covered, charged anyway with a reason
    ADJUSTMENT = "adjustment"  # an adjustment line: as given


FREE_RULES = frozenset({Rule.WARRANTY, Rule.PART_WARRANTY})


class SettlementKind(StrEnum):
    TICKET = "ticket"
    MONTHLY = "monthly"


class SettlementStatus(StrEnum):
    DRAFT = "draft"
    SETTLED = "settled"  # locked: corrected only by adjustment lines
    PAID = "paid"
    VOID = "void"


LOCKED = frozenset({SettlementStatus.SETTLED, SettlementStatus.PAID})


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    QUOTED = "quoted"
    CONFIRMED = "confirmed"


class ConfirmVia(StrEnum):
    SIGNATURE = "signature"
    PHONE = "phone"
    EMAIL = "email"
    WECHAT = "wechat"
    OTHER = "other"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    OTHER = "other"


class PaymentKind(StrEnum):
    PAYMENT = "payment"
    WRITE_OFF = "write_off"  # a small difference forgiven, with a reason
    REVERSAL = "reversal"  # a posted payment taken back (negative amount)


class PartPricing(StrEnum):
    """Out-of-warranty parts: at cost (seed 000) or at the sale price (a setting)."""

    COST = "cost"
    PRICE = "price"


# settings (data_access.settings keys) and their defaults
SETTING_PART_PRICING = "fees.part_pricing"
SETTING_WRITE_OFF_LIMIT = "fees.write_off_limit"
SETTING_CONTRACT_PCT = "fees.contract_discount_pct"  # when the plan names no package
SETTING_LEVELS = "fees.engineer_levels"  # {username: level}
DEFAULT_WRITE_OFF_LIMIT = Decimal("50.00")
DEFAULT_CONTRACT_PCT = Decimal("10")
DEFAULT_LEVEL = "standard"
NIGHT_FROM, NIGHT_TO = dt.time(20, 0), dt.time(8, 0)
DAY, NIGHT = "day", "night"

# line kinds the contract's repair discount applies to (travel, shipping and rush are
# paid at the rate card)
CONTRACT_KINDS = frozenset(
    {FeeKind.DIAGNOSIS, FeeKind.LABOUR, FeeKind.PARTS, FeeKind.INSPECTION, FeeKind.REPAIR}
)
# rates a charged job can top up to a minimum: on-site work only (not return-to-factory)
ONSITE_KINDS = frozenset({FeeKind.LABOUR, FeeKind.TRAVEL, FeeKind.DIAGNOSIS})


def _opts(enum: type[StrEnum], labels: Mapping[str, tuple[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(v.value, *labels[v.value]) for v in enum)  # type: ignore[attr-defined]


KIND_LABELS = {
    "diagnosis": ("检测诊断费", "Diagnosis"),
    "labour": ("工时费", "Labour"),
    "parts": ("配件费", "Parts"),
    "travel": ("差旅费", "Travel"),
    "rush": ("加急费", "Rush surcharge"),
    "shipping": ("返厂运输费", "Shipping"),
    "inspection": ("返厂检测费", "Inspection"),
    "repair": ("返厂维修费", "Factory repair"),
    "minimum": ("最低收费补足", "Minimum charge"),
    "other": ("其他", "Other"),
    "adjustment": ("调整", "Adjustment"),
}
RULE_LABELS = {
    "warranty": ("保修期内免费", "In warranty: free"),
    "part_warranty": ("配件三包免费", "Part warranty: free"),
    "part_expired": ("配件超出三包", "Part warranty over"),
    "contract": ("维保合同折扣", "Contract discount"),
    "rate_card": ("按价目表收费", "Rate card"),
    "override": ("保修内特批收费", "Charged by override"),
    "adjustment": ("结算后调整", "Adjustment"),
}
BASIS_LABELS = {
    "fixed": ("按次", "Per item"),
    "per_unit": ("按数量", "Per unit"),
    "percent": ("百分比", "Percent"),
}
METHOD_LABELS = {
    "bank_transfer": ("银行转账", "Bank transfer"),
    "cash": ("现金", "Cash"),
    "wechat": ("微信", "WeChat"),
    "alipay": ("支付宝", "Alipay"),
    "other": ("其他", "Other"),
}
PAYMENT_KIND_LABELS = {
    "payment": ("收款", "Payment"),
    "write_off": ("核销差额", "Write-off"),
    "reversal": ("冲回", "Reversal"),
}
VIA_LABELS = {
    "signature": ("签字", "Signature"),
    "phone": ("电话", "Phone"),
    "email": ("邮件", "Email"),
    "wechat": ("微信", "WeChat"),
    "other": ("其他", "Other"),
}
RATE_KINDS = tuple(
    k for k in FeeKind if k not in (FeeKind.PARTS, FeeKind.OTHER, FeeKind.ADJUSTMENT)
)


def rate_key(code: str, valid_from: dt.date) -> str:
    """A rate version's key: ``LAB-STD@2026-01-01``."""
    return f"{code}@{valid_from.isoformat()}"


def _rate_checks(v: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    code, start = v.get("code"), v.get("valid_from")
    if code and start and v.get("rate_key") != rate_key(code, start):
        out.append(Problem("rate_key", "fees.err.rate_key", {"value": rate_key(code, start)}))
    end = v.get("valid_to")
    if start and end and end < start:
        out.append(
            Problem("valid_to", "err.date_order", {"later": "valid_to", "earlier": "valid_from"})
        )
    lo, hi = v.get("km_from"), v.get("km_to")
    if lo is not None and hi is not None and hi <= lo:
        out.append(Problem("km_to", "err.date_order", {"later": "km_to", "earlier": "km_from"}))
    if v.get("kind") == FeeKind.PARTS:
        out.append(Problem("kind", "fees.err.rate_kind", {}))
    if v.get("basis") == Basis.PERCENT and v.get("kind") != FeeKind.RUSH:
        out.append(Problem("basis", "fees.err.percent_rush", {}))
    return out


RATECARD = Register(
    name="ratecard",
    zh="收费价目表",
    en="Rate card",
    key="rate_key",
    checks=(_rate_checks,),
    fields=(
        Field("rate_key", "版本编号", "Version key", required=True, key=True, max_len=60,
              aliases=("版本", "rate key"), example="LAB-STD@2026-01-01",
              help_zh="代码@生效日期", help_en="code@valid-from date"),
        Field("code", "代码", "Code", required=True, max_len=40, aliases=("收费代码", "rate code"),
              example="LAB-STD"),
        Field("kind", "类别", "Kind", Kind.ENUM, required=True,
              options=tuple(Option(k.value, *KIND_LABELS[k.value]) for k in RATE_KINDS),
              aliases=("收费类别",), example="labour"),
        Field("variant", "级别/区域/时段", "Level / zone / time", max_len=40,
              aliases=("级别", "区域", "variant"), example="standard",
              help_zh="工时：工程师级别；差旅：客户区域；加急：day / night；空白：通用",
              help_en="Labour: engineer level; travel: customer's zone; rush: day / night; "
              "blank: any"),
        Field("name_zh", "名称", "Name (zh)", required=True, max_len=100, example="工时费"),
        Field("name_en", "英文名称", "Name (en)", required=True, max_len=100, example="Labour"),
        Field("unit", "单位", "Unit", required=True, max_len=20, example="小时"),
        Field("basis", "计价方式", "Basis", Kind.ENUM, required=True, options=_opts(Basis, BASIS_LABELS),
              example="per_unit"),
        Field("price", "单价/百分比", "Price / percent", Kind.MONEY, required=True, min_value=0,
              aliases=("单价", "价格", "price"), example=Decimal("280.00")),
        Field("km_from", "起始公里", "From km", Kind.DECIMAL, min_value=0,
              help_zh="差旅距离段（含）", help_en="Travel band, inclusive"),
        Field("km_to", "截止公里", "To km", Kind.DECIMAL, min_value=0,
              help_zh="差旅距离段（不含）", help_en="Travel band, exclusive"),
        Field("valid_from", "生效日期", "Valid from", Kind.DATE, required=True, example=dt.date(2026, 1, 1)),
        Field("valid_to", "失效日期", "Valid to", Kind.DATE,
              help_zh="含当天；空白：长期有效", help_en="Inclusive; blank: open"),
        Field("change_reason", "变更原因", "Reason for change", max_len=300,
              help_zh="修改已有版本时必填", help_en="Required to change an existing version"),
    ),
)  # fmt: skip


def _line_checks(v: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    kind = v.get("kind")
    price = v.get("unit_price")
    if kind != FeeKind.ADJUSTMENT and price is not None and price < 0:
        out.append(Problem("unit_price", "err.min", {"min": 0}))
    if kind == FeeKind.ADJUSTMENT and not (v.get("change_reason") or "").strip():
        out.append(Problem("change_reason", "fees.err.reason_needed", {}))
    if kind == FeeKind.PARTS and not v.get("part_no"):
        out.append(Problem("part_no", "err.required", {}))
    return out


FEE_LINES = Register(
    name="fees",
    zh="费用明细",
    en="Fee lines",
    key="line_no",
    parent="document",
    checks=(_line_checks,),
    fields=(
        # a fee document is a ticket's or a maintenance visit's (outside a contract): its
        # number is the ticket's or the visit's; a new one is made on first use
        Field("document", "工单/保养单号", "Ticket / visit no.", Kind.REF, required=True,
              ref="fee_documents", column="doc_id", loose="doc_no", max_len=60,
              aliases=("工单号", "服务单号", "保养单号", "单据号", "ticket", "ticket no",
                       "visit no", "document"),
              example="SR202601010001",
              help_zh="工单号，或合同外保养的保养单号", help_en="A ticket no., or the visit no. "
              "of a maintenance visit outside a contract"),
        Field("line_no", "行号", "Line", Kind.INT, required=True, key=True, min_value=1,
              aliases=("序号", "line no"), example=1),
        Field("kind", "费用类别", "Kind", Kind.ENUM, required=True,
              options=_opts(FeeKind, KIND_LABELS), aliases=("类别",), example="labour"),
        Field("rate_code", "价目代码", "Rate code", max_len=40, aliases=("收费代码",),
              example="LAB-STD"),
        Field("part_no", "配件编号", "Part no.", Kind.REF, ref="parts", column="part_id",
              loose="part_no", max_len=60, aliases=("备件编号",), example="P-0001"),
        Field("description", "说明", "Description", max_len=200, aliases=("名称", "摘要")),
        Field("qty", "数量", "Qty", Kind.DECIMAL, required=True, min_value=0,
              aliases=("工时", "数量/工时", "quantity"), example=2),
        Field("unit_price", "单价", "Unit price", Kind.MONEY, aliases=("价格",),
              help_zh="空白时取价目表或配件价格", help_en="Blank: the rate card's or part's price"),
        Field("override_reason", "特批收费原因", "Override reason", max_len=300,
              help_zh="保修覆盖的行仍要收费时必填", help_en="To charge a line the warranty covers"),
        Field("change_reason", "变更原因", "Reason for change", max_len=300,
              help_zh="报价确认后修改必填", help_en="Required for a change after confirmation"),
        Field("list_amount", "标准金额", "List amount", Kind.MONEY, computed=True),
        Field("rule", "适用规则", "Rule applied", Kind.ENUM, computed=True,
              options=_opts(Rule, RULE_LABELS)),
        Field("discount_pct", "折扣%", "Discount %", Kind.DECIMAL, computed=True),
        Field("discount", "折扣金额", "Discount", Kind.MONEY, computed=True),
        Field("amount", "净额", "Net", Kind.MONEY, computed=True),
    ),
)  # fmt: skip


def _payment_checks(v: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    kind, amount = v.get("kind"), v.get("amount")
    if (
        kind in (PaymentKind.WRITE_OFF, PaymentKind.REVERSAL)
        and not (v.get("reason") or "").strip()
    ):
        out.append(Problem("reason", "fees.err.reason_needed", {}))
    if amount is not None:
        if kind == PaymentKind.REVERSAL and amount >= 0:
            out.append(Problem("amount", "fees.err.reversal_sign", {}))
        if kind != PaymentKind.REVERSAL and amount <= 0:
            out.append(Problem("amount", "fees.err.amount_positive", {}))
    if kind == PaymentKind.PAYMENT and not v.get("method"):
        out.append(Problem("method", "err.required", {}))
    return out


PAYMENTS = Register(
    name="payments",
    zh="收款台账",
    en="Payments",
    key="payment_no",
    ledger=True,
    checks=(_payment_checks,),
    fields=(
        Field("payment_no", "收款编号", "Payment no.", required=True, key=True, max_len=60,
              aliases=("流水号", "payment no"), example="JS202601-0001-1"),
        Field("statement", "结算单号", "Statement no.", Kind.REF, required=True, ref="settlements",
              column="settlement_id", aliases=("结算单", "statement no"), example="JS202601-0001"),
        Field("kind", "类型", "Kind", Kind.ENUM, required=True,
              options=_opts(PaymentKind, PAYMENT_KIND_LABELS), example="payment"),
        Field("paid_on", "收款日期", "Paid on", Kind.DATE, required=True, aliases=("日期", "到账日期"),
              example=dt.date(2026, 1, 15)),
        Field("amount", "金额", "Amount", Kind.MONEY, required=True, example=Decimal("1200.00")),
        Field("method", "方式", "Method", Kind.ENUM, options=_opts(PaymentMethod, METHOD_LABELS),
              aliases=("付款方式", "收款方式"), example="bank_transfer"),
        Field("reference", "凭证/回单号", "Reference", max_len=100, aliases=("回单号", "摘要")),
        Field("reason", "原因", "Reason", max_len=300,
              help_zh="核销差额或冲回时必填", help_en="Required for a write-off or reversal"),
    ),
)  # fmt: skip


# a statement's printed lines (Excel and the page): described once
STATEMENT_LINES = Register(
    name="statement_lines",
    zh="结算明细",
    en="Statement lines",
    key="line_no",
    fields=(
        Field("doc_no", "工单/保养单号", "Ticket / visit no.", computed=True),
        Field("line_no", "行号", "Line", Kind.INT, computed=True),
        Field("kind", "费用类别", "Kind", Kind.ENUM, computed=True, options=_opts(FeeKind, KIND_LABELS)),
        Field("description", "说明", "Description", computed=True),
        Field("qty", "数量", "Qty", Kind.DECIMAL, computed=True),
        Field("unit_price", "单价", "Unit price", Kind.MONEY, computed=True),
        Field("list_amount", "标准金额", "List amount", Kind.MONEY, computed=True),
        Field("rule", "适用规则", "Rule applied", Kind.ENUM, computed=True,
              options=_opts(Rule, RULE_LABELS)),
        Field("discount", "折扣金额", "Discount", Kind.MONEY, computed=True),
        Field("amount", "净额", "Net", Kind.MONEY, computed=True),
    ),
)  # fmt: skip


# ---------------------------------------------------------------- the rate card
@dataclass(frozen=True)
class Rate:
    code: str
    kind: str
    name_zh: str
    unit: str
    basis: str
    price: Decimal
    valid_from: dt.date
    valid_to: dt.date | None = None
    variant: str | None = None
    km_from: Decimal | None = None
    km_to: Decimal | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def fits_km(self, km: Decimal | None) -> bool:
        if self.km_from is None and self.km_to is None:
            return True
        if km is None:
            return False
        return (self.km_from is None or km >= self.km_from) and (
            self.km_to is None or km < self.km_to
        )


def rate_on(
    rates: Iterable[Rate],
    kind: str,
    day: dt.date,
    variant: str | None = None,
    km: Decimal | None = None,
) -> Rate | None:
    """The rate of ``kind`` valid on ``day``: the ``variant``'s own first, else a blank
    variant; for travel, the band holding ``km``. The latest version wins."""
    fits = [r for r in rates if r.kind == kind and r.valid_on(day) and r.fits_km(km)]
    for wanted in (variant, None):
        found = [r for r in fits if (r.variant or None) == wanted]
        if found:
            return max(found, key=lambda r: r.valid_from)
    return None


def overlapping_versions(rates: Sequence[Rate]) -> list[tuple[str, dt.date]]:
    """(code, valid_from) of versions whose validity overlaps an earlier one of the
    same code, variant and band: two prices on one day would make a quote ambiguous."""
    out = []
    groups: dict[tuple, list[Rate]] = {}
    for r in rates:
        groups.setdefault((r.code, r.variant, r.km_from, r.km_to), []).append(r)
    for items in groups.values():
        items.sort(key=lambda r: r.valid_from)
        for a, b in zip(items, items[1:], strict=False):
            if a.valid_to is None or a.valid_to >= b.valid_from:
                out.append((b.code, b.valid_from))
    return out


# ---------------------------------------------------------------- coverage, one rule
def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Cover:
    """What the failure date meets: the device's warranty and contract."""

    failure: dt.date
    warranty_end: dt.date | None = None
    install_date: dt.date | None = None
    contract_end: dt.date | None = None
    contract_pct: Decimal = ZERO  # the package's repair discount

    @property
    def in_warranty(self) -> bool:
        return self.warranty_end is not None and self.failure <= self.warranty_end

    @property
    def under_contract(self) -> bool:
        return self.contract_end is not None and self.failure <= self.contract_end


@dataclass(frozen=True)
class PartTerms:
    """A part's own warranty (三包): months from the device's installation; None: the
    device's warranty decides."""

    warranty_months: int | None = None
    is_wear: bool = False


@dataclass(frozen=True)
class Priced:
    list_amount: Decimal
    rule: Rule
    discount_pct: Decimal
    discount: Decimal
    net: Decimal


def part_covered(part: PartTerms, cover: Cover) -> bool:
    if part.warranty_months is None or cover.install_date is None:
        return cover.in_warranty
    return cover.failure <= add_months(cover.install_date, part.warranty_months)


def coverage(kind: str, cover: Cover, part: PartTerms | None = None) -> Rule:
    """The one rule: which coverage a line of ``kind`` gets on the failure date."""
    if kind == FeeKind.ADJUSTMENT:
        return Rule.ADJUSTMENT
    if kind == FeeKind.PARTS and part is not None and part.warranty_months is not None:
        if part_covered(part, cover):
            return Rule.PART_WARRANTY
        if cover.in_warranty:
            return Rule.PART_EXPIRED
    elif cover.in_warranty and kind not in (FeeKind.OTHER, FeeKind.MINIMUM):
        return Rule.WARRANTY
    if cover.under_contract and kind in CONTRACT_KINDS and cover.contract_pct > 0:
        return Rule.CONTRACT
    return Rule.RATE_CARD


def price_line(
    kind: str,
    qty: Decimal,
    unit_price: Decimal | None,
    cover: Cover,
    part: PartTerms | None = None,
    override_reason: str | None = None,
) -> Priced:
    """A line's list amount (before discount), rule, discount and net, rounded per line."""
    list_amount = money(qty * (unit_price or ZERO))
    rule = coverage(kind, cover, part)
    if rule in FREE_RULES:
        if override_reason and override_reason.strip():
            rule = Rule.OVERRIDE
        else:
            return Priced(list_amount, rule, HUNDRED, list_amount, ZERO)
    pct = cover.contract_pct if rule == Rule.CONTRACT else ZERO
    discount = money(list_amount * pct / HUNDRED)
    return Priced(list_amount, rule, pct, discount, list_amount - discount)


def totals(lines: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Sums of the rounded lines: list, discount, net."""
    out = {"list_amount": ZERO, "discount": ZERO, "amount": ZERO}
    for ln in lines:
        for k in out:
            out[k] += ln.get(k) or ZERO
    return out


# ---------------------------------------------------------------- proposing a ticket's lines
def is_night(at: dt.datetime) -> bool:
    t = at.time()
    return t >= NIGHT_FROM or t < NIGHT_TO


@dataclass(frozen=True)
class Job:
    """What a ticket's service report says, for proposing its fee lines."""

    failure: dt.date
    received_at: dt.datetime
    emergency: bool = False
    factory: bool = False  # return-to-factory repair
    remote: bool = False
    hours: Decimal = ZERO
    km: Decimal | None = None
    zone: str | None = None
    level: str = DEFAULT_LEVEL
    parts: tuple[tuple[str, str, Decimal, Decimal | None], ...] = ()  # no, name, qty, price
    # a maintenance visit outside a contract: an on-site inspection instead of diagnosis
    visit: bool = False


VISIT = "visit"  # the rate card's inspection variant for a maintenance visit


def visit_billable(cover: Cover) -> bool:
    """A maintenance visit is billed only outside a contract: a contract's visits are
    what its package buys (its repairs get the package's discount instead)."""
    return not cover.under_contract


def visit_hours(arrived: dt.datetime | None, departed: dt.datetime | None) -> Decimal:
    """Labour hours of a visit from arrival to departure, up to the next half hour."""
    if arrived is None or departed is None or departed <= arrived:
        return ZERO
    halves = -(-int((departed - arrived).total_seconds()) // 1800)
    return Decimal(halves) / 2


def travel_zone(zone: str | None, region: str | None) -> str | None:
    """The rate card's travel variant of a customer: its travel zone, else its region."""
    return (zone or "").strip() or (region or "").strip() or None


def propose(job: Job, rates: Sequence[Rate]) -> list[dict[str, Any]]:
    """The fee lines a job gets from the rate card valid on its failure date (before
    coverage): diagnosis (a visit: the on-site inspection), labour by engineer level, travel by zone and distance band,
    rush for an emergency (night or day), return-to-factory items, then parts."""
    day = job.failure
    out: list[dict[str, Any]] = []

    def add(kind: str, qty: Decimal, variant: str | None = None, km=None) -> None:
        r = rate_on(rates, kind, day, variant, km)
        if r is None:
            return
        unit_qty = qty if r.basis == Basis.PER_UNIT else Decimal(1)
        out.append({"kind": kind, "rate_code": r.code, "description": r.name_zh,
                    "qty": unit_qty, "unit_price": r.price, "part_no": None})  # fmt: skip

    if job.visit:
        add(FeeKind.INSPECTION, Decimal(1), VISIT)
    else:
        add(FeeKind.DIAGNOSIS, Decimal(1))
    if job.hours > 0:
        add(FeeKind.LABOUR, job.hours, job.level)
    if job.factory:
        for kind in (FeeKind.SHIPPING, FeeKind.INSPECTION, FeeKind.REPAIR):
            add(kind, Decimal(1))
    elif not job.remote and job.km:
        add(FeeKind.TRAVEL, job.km, job.zone, job.km)
    if job.emergency:
        r = rate_on(rates, FeeKind.RUSH, day, NIGHT if is_night(job.received_at) else DAY)
        if r is not None:
            base = sum(
                (money(x["qty"] * x["unit_price"]) for x in out
                 if x["kind"] in (FeeKind.LABOUR, FeeKind.DIAGNOSIS)),
                ZERO,
            )  # fmt: skip
            price = money(base * r.price / HUNDRED) if r.basis == Basis.PERCENT else r.price
            out.append({"kind": FeeKind.RUSH, "rate_code": r.code, "description": r.name_zh,
                        "qty": Decimal(1), "unit_price": price, "part_no": None})  # fmt: skip
    for no, name, qty, price in job.parts:
        out.append({"kind": FeeKind.PARTS, "rate_code": None, "description": name,
                    "qty": qty, "unit_price": price, "part_no": no})  # fmt: skip
    return out


def minimum_top_up(
    lines: Sequence[Mapping[str, Any]], minimum: Rate | None, *, in_warranty: bool = False
) -> Decimal:
    """The on-site minimum charge's top-up: a charged on-site job whose net total is
    below the minimum pays the difference (0 when in warranty, free, remote-only or
    above: a paid wear part on a warranty visit pays the part only)."""
    if minimum is None or in_warranty:
        return ZERO
    onsite = any(ln["kind"] == FeeKind.TRAVEL for ln in lines)
    net = sum((ln.get("amount") or ZERO for ln in lines), ZERO)
    if not onsite or net <= 0 or net >= minimum.price:
        return ZERO
    return money(minimum.price - net)


# ---------------------------------------------------------------- payments and receivables
def outstanding(total: Decimal, posted: Iterable[Decimal]) -> Decimal:
    return money(total - sum(posted, ZERO))


def payment_problem(kind: str, amount: Decimal, balance: Decimal, limit: Decimal) -> str | None:
    """Why a payment or write-off may not post against ``balance`` (None: it may)."""
    if kind == PaymentKind.REVERSAL:
        return None
    if amount > balance:
        return "fees.err.overpaid"
    if kind == PaymentKind.WRITE_OFF and amount > limit:
        return "fees.err.write_off_limit"
    return None


class Bucket(StrEnum):
    D0_30 = "0-30"
    D31_60 = "31-60"
    D61_90 = "61-90"
    OVER_90 = ">90"


def bucket(days: int) -> Bucket:
    if days <= 30:
        return Bucket.D0_30
    if days <= 60:
        return Bucket.D31_60
    if days <= 90:
        return Bucket.D61_90
    return Bucket.OVER_90


def ageing(
    items: Iterable[tuple[Any, dt.date, Decimal]], today: dt.date
) -> dict[Any, dict[Bucket, Decimal]]:
    """(customer, settled on, outstanding) → per customer the outstanding by age bucket,
    each sum rounded half-up to the cent (one pass: the receivables page at scale)."""
    buckets = tuple(Bucket)
    sums: dict[Any, list[Decimal]] = {}
    for who, day, amount in items:
        if not amount:
            continue
        days = (today - day).days
        i = 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3
        row = sums.get(who)
        if row is None:
            row = sums[who] = [ZERO, ZERO, ZERO, ZERO]
        row[i] += amount
    return {who: dict(zip(buckets, map(money, row), strict=True)) for who, row in sums.items()}


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def statement_no(kind: str, key: str, day: dt.date, seq: int) -> str:
    """``JS202601-T0001`` for a ticket's statement, ``YJ202601-C0001`` for a month's."""
    prefix = "YJ" if kind == SettlementKind.MONTHLY else "JS"
    return f"{prefix}{day:%Y%m}-{key}{seq:04d}"
