"""The fee rules: one coverage rule per line, rounding, the rate card by date, proposed
lines (night emergency, return to factory), the minimum charge, payments, ageing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from rules import fees as F
from rules.fields import validate_row

DAY = dt.date(2026, 6, 10)
IN_WARRANTY = F.Cover(DAY, warranty_end=dt.date(2026, 12, 31), install_date=dt.date(2025, 1, 1))
OUT = F.Cover(DAY, warranty_end=dt.date(2026, 1, 31), install_date=dt.date(2025, 1, 1))
CONTRACT_OUT = F.Cover(
    DAY,
    warranty_end=dt.date(2026, 1, 31),
    install_date=dt.date(2025, 1, 1),
    contract_end=dt.date(2026, 12, 31),
    contract_pct=D("15"),
)
CONTRACT_LAPSED = F.Cover(
    DAY, warranty_end=dt.date(2026, 1, 31), contract_end=dt.date(2026, 6, 9), contract_pct=D("15")
)
WEAR_3M = F.PartTerms(warranty_months=3, is_wear=True)
KEY_36M = F.PartTerms(warranty_months=36)
NO_OWN = F.PartTerms()


@pytest.mark.parametrize(
    ("kind", "qty", "price", "cover", "part", "override", "expected"),
    [
        # device in warranty: labour and original parts free; list amount kept
        ("labour", D("2.5"), D("280"), IN_WARRANTY, None, None,
         (D("700.00"), F.Rule.WARRANTY, D("100"), D("700.00"), D("0.00"))),
        ("parts", D("1"), D("120.5"), IN_WARRANTY, NO_OWN, None,
         (D("120.50"), F.Rule.WARRANTY, D("100"), D("120.50"), D("0.00"))),
        # in-warranty device, a wear part whose own 3 months ended: paid
        ("parts", D("2"), D("35.00"), IN_WARRANTY, WEAR_3M, None,
         (D("70.00"), F.Rule.PART_EXPIRED, D("0"), D("0.00"), D("70.00"))),
        # out-of-warranty device, a key part with 36 months of its own: still free
        ("parts", D("1"), D("900"), OUT, KEY_36M, None,
         (D("900.00"), F.Rule.PART_WARRANTY, D("100"), D("900.00"), D("0.00"))),
        # contract customer out of warranty: the package's repair discount
        ("labour", D("3"), D("280"), CONTRACT_OUT, None, None,
         (D("840.00"), F.Rule.CONTRACT, D("15"), D("126.00"), D("714.00"))),
        ("parts", D("3"), D("33.33"), CONTRACT_OUT, NO_OWN, None,
         (D("99.99"), F.Rule.CONTRACT, D("15"), D("15.00"), D("84.99"))),
        # travel is paid at the rate card even under contract
        ("travel", D("120"), D("3.5"), CONTRACT_OUT, None, None,
         (D("420.00"), F.Rule.RATE_CARD, D("0"), D("0.00"), D("420.00"))),
        # a contract that ended the day before the failure gives no discount
        ("labour", D("1"), D("280"), CONTRACT_LAPSED, None, None,
         (D("280.00"), F.Rule.RATE_CARD, D("0"), D("0.00"), D("280.00"))),
        # out of warranty, no contract: the rate card
        ("diagnosis", D("1"), D("300"), OUT, None, None,
         (D("300.00"), F.Rule.RATE_CARD, D("0"), D("0.00"), D("300.00"))),
        # covered but charged with a reason
        ("labour", D("1"), D("280"), IN_WARRANTY, None, "客户人为损坏",
         (D("280.00"), F.Rule.OVERRIDE, D("0"), D("0.00"), D("280.00"))),
        # half-up per line: 0.125 → 0.13 (banker's rounding would give 0.12)
        ("other", D("1"), D("0.125"), OUT, None, None,
         (D("0.13"), F.Rule.RATE_CARD, D("0"), D("0.00"), D("0.13"))),
        ("adjustment", D("1"), D("-50"), OUT, None, None,
         (D("-50.00"), F.Rule.ADJUSTMENT, D("0"), D("0.00"), D("-50.00"))),
        # the failure day is the warranty's last day: still covered
        ("labour", D("1"), D("280"), F.Cover(DAY, warranty_end=DAY), None, None,
         (D("280.00"), F.Rule.WARRANTY, D("100"), D("280.00"), D("0.00"))),
    ],
)  # fmt: skip
def test_price_line(kind, qty, price, cover, part, override, expected):
    got = F.price_line(kind, qty, price, cover, part, override)
    assert (got.list_amount, got.rule, got.discount_pct, got.discount, got.net) == expected


def test_contract_discount_rounds_per_line_and_totals_sum_rounded_lines():
    lines = [F.price_line("labour", D("1"), D("0.35"), CONTRACT_OUT) for _ in range(3)]
    # each line: 0.35 − round(0.0525) = 0.35 − 0.05 = 0.30; the total is 0.90, not 0.89
    assert [ln.net for ln in lines] == [D("0.30")] * 3
    total = F.totals({"list_amount": ln.list_amount, "discount": ln.discount,
                      "amount": ln.net} for ln in lines)  # fmt: skip
    assert total == {"list_amount": D("1.05"), "discount": D("0.15"), "amount": D("0.90")}


def _rate(code, kind, price, start, end=None, variant=None, basis="fixed", lo=None, hi=None):
    return F.Rate(code, kind, code, "次", basis, D(price), start, end, variant, lo, hi)


JAN, JUL = dt.date(2026, 1, 1), dt.date(2026, 7, 1)
CARD = [
    _rate("DIAG", "diagnosis", "300", JAN, dt.date(2026, 6, 30)),
    _rate("DIAG", "diagnosis", "320", JUL),
    _rate("LAB-STD", "labour", "280", JAN, basis="per_unit", variant="standard"),
    _rate("LAB-SR", "labour", "380", JAN, basis="per_unit", variant="senior"),
    _rate("TRV-CITY", "travel", "200", JAN, lo=D(0), hi=D(50)),
    _rate("TRV-KM", "travel", "3.50", JAN, basis="per_unit", lo=D(50)),
    _rate("TRV-NW", "travel", "4.50", JAN, basis="per_unit", variant="西北", lo=D(50)),
    _rate("RUSH-D", "rush", "500", JAN, variant="day"),
    _rate("RUSH-N", "rush", "50", JAN, variant="night", basis="percent"),
    _rate("SHIP", "shipping", "600", JAN),
    _rate("INSP", "inspection", "500", JAN),
    _rate("REP", "repair", "2500", JAN),
    _rate("MIN", "minimum", "800", JAN),
]


@pytest.mark.parametrize(
    ("kind", "day", "variant", "km", "code", "price"),
    [
        ("diagnosis", dt.date(2026, 6, 30), None, None, "DIAG", "300"),  # historic: old rate
        ("diagnosis", JUL, None, None, "DIAG", "320"),
        ("labour", JUL, "senior", None, "LAB-SR", "380"),
        ("labour", JUL, "trainee", None, None, None),  # no such level, no blank variant
        ("travel", JUL, None, D("49.9"), "TRV-CITY", "200"),
        ("travel", JUL, None, D("50"), "TRV-KM", "3.50"),  # band lower bound inclusive
        ("travel", JUL, "西北", D("120"), "TRV-NW", "4.50"),  # the zone's own rate
        ("travel", JUL, "华东", D("120"), "TRV-KM", "3.50"),  # no zone rate: the general one
        ("diagnosis", dt.date(2025, 12, 31), None, None, None, None),  # before the card
    ],
)
def test_rate_on_picks_the_version_valid_on_the_day(kind, day, variant, km, code, price):
    found = F.rate_on(CARD, kind, day, variant, km)
    assert (found.code, found.price) == (code, D(price)) if code else found is None


def test_overlapping_versions_are_found():
    assert F.overlapping_versions(CARD) == []
    bad = [*CARD, _rate("DIAG", "diagnosis", "310", dt.date(2026, 6, 1))]
    # the new version overlaps both: the old one still open on 1 June, the July one
    assert F.overlapping_versions(bad) == [("DIAG", dt.date(2026, 6, 1)), ("DIAG", JUL)]


def _kinds(lines):
    return [(ln["kind"], ln["rate_code"], ln["qty"], ln["unit_price"]) for ln in lines]


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        # an emergency at night: rush = 50 % of diagnosis + labour list amounts
        (F.Job(JUL, dt.datetime(2026, 7, 1, 23, 30), emergency=True, hours=D("2"),
               km=D("30"), level="senior"),
         [("diagnosis", "DIAG", 1, D("320")), ("labour", "LAB-SR", D("2"), D("380")),
          ("travel", "TRV-CITY", 1, D("200")), ("rush", "RUSH-N", 1, D("540.00"))]),
        # the same emergency in the afternoon: the fixed day rush
        (F.Job(JUL, dt.datetime(2026, 7, 1, 14, 0), emergency=True, hours=D("2"), km=D("30"),
               level="senior"),
         [("diagnosis", "DIAG", 1, D("320")), ("labour", "LAB-SR", D("2"), D("380")),
          ("travel", "TRV-CITY", 1, D("200")), ("rush", "RUSH-D", 1, D("500"))]),
        # a return-to-factory repair: shipping, inspection, repair; no travel
        (F.Job(JUL, dt.datetime(2026, 7, 2, 9, 0), factory=True, hours=D("1"), km=D("80"),
               parts=(("P-1", "主板", D("1"), D("1500")),)),
         [("diagnosis", "DIAG", 1, D("320")), ("labour", "LAB-STD", D("1"), D("280")),
          ("shipping", "SHIP", 1, D("600")), ("inspection", "INSP", 1, D("500")),
          ("repair", "REP", 1, D("2500")), ("parts", None, D("1"), D("1500"))]),
        # remote: no travel; far zone: per km at the zone's rate
        (F.Job(JUL, dt.datetime(2026, 7, 2, 9, 0), remote=True, hours=D("0.5")),
         [("diagnosis", "DIAG", 1, D("320")), ("labour", "LAB-STD", D("0.5"), D("280"))]),
        (F.Job(JUL, dt.datetime(2026, 7, 2, 9, 0), km=D("210"), zone="西北"),
         [("diagnosis", "DIAG", 1, D("320")), ("travel", "TRV-NW", D("210"), D("4.50"))]),
    ],
)  # fmt: skip
def test_propose(job, expected):
    assert _kinds(F.propose(job, CARD)) == expected


@pytest.mark.parametrize(
    ("nets", "travel", "warranty", "expected"),
    [
        (["300", "140"], True, False, D("360.00")),  # on-site, charged, below 800: top up
        (["300", "600"], True, False, D("0")),  # above the minimum
        (["0", "0"], True, False, D("0")),  # free: no minimum
        (["0", "70"], True, True, D("0")),  # a paid wear part on a warranty visit
        (["300", "140"], False, False, D("0")),  # remote: no on-site minimum
    ],
)
def test_minimum_top_up(nets, travel, warranty, expected):
    lines = [{"kind": "labour", "amount": D(n)} for n in nets]
    if travel:
        lines.append({"kind": "travel", "amount": D("0")})
    minimum = F.rate_on(CARD, "minimum", JUL)
    assert F.minimum_top_up(lines, minimum, in_warranty=warranty) == expected


@pytest.mark.parametrize(
    ("kind", "amount", "balance", "expected"),
    [
        ("payment", D("100"), D("100"), None),
        ("payment", D("60"), D("100"), None),  # partial
        ("payment", D("100.01"), D("100"), "fees.err.overpaid"),
        ("write_off", D("20"), D("20"), None),
        ("write_off", D("50.01"), D("50.01"), "fees.err.write_off_limit"),
        ("write_off", D("30"), D("20"), "fees.err.overpaid"),
        ("reversal", D("-100"), D("0"), None),
    ],
)
def test_payment_problem(kind, amount, balance, expected):
    assert F.payment_problem(kind, amount, balance, D("50")) == expected


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"),
     (91, ">90"), (400, ">90")],
)  # fmt: skip
def test_ageing_buckets(days, bucket):
    assert F.bucket(days) == bucket


def test_ageing_per_customer_skips_settled_in_full():
    today = dt.date(2026, 12, 1)
    items = [
        ("C1", today - dt.timedelta(days=10), D("100")),
        ("C1", today - dt.timedelta(days=45), D("50")),
        ("C1", today - dt.timedelta(days=200), D("7.5")),
        ("C2", today - dt.timedelta(days=70), D("0")),
    ]
    got = F.ageing(items, today)
    assert list(got) == ["C1"]
    assert got["C1"] == {F.Bucket.D0_30: D("100"), F.Bucket.D31_60: D("50"),
                         F.Bucket.D61_90: D("0.00"), F.Bucket.OVER_90: D("7.5")}  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ({"kind": "labour", "qty": "-1"}, {"err.min"}),  # negative quantity
        ({"kind": "labour", "unit_price": "-5"}, {"err.min"}),
        ({"kind": "adjustment", "unit_price": "-5"}, {"fees.err.reason_needed"}),
        ({"kind": "adjustment", "unit_price": "-5", "change_reason": "少算返厂运费"}, set()),
        ({"kind": "parts"}, {"err.required"}),
    ],
)
def test_fee_line_checks(raw, codes):
    row = {"document": "SR1", "line_no": 1, "qty": "1", **raw}
    _, problems = validate_row(F.FEE_LINES, row)
    assert {p.code for p in problems} == codes


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ({}, set()),
        ({"rate_key": "LAB@2026-02-01"}, {"fees.err.rate_key"}),
        ({"valid_to": "2025-12-31"}, {"err.date_order"}),
        ({"basis": "percent"}, {"fees.err.percent_rush"}),
    ],
)
def test_rate_checks(raw, codes):
    row = {"rate_key": "LAB@2026-01-01", "code": "LAB", "kind": "labour", "name_zh": "工时",
           "name_en": "Labour", "unit": "小时", "basis": "per_unit", "price": "280",
           "valid_from": "2026-01-01", **raw}  # fmt: skip
    _, problems = validate_row(F.RATECARD, row)
    assert {p.code for p in problems} == codes


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ({}, set()),
        ({"amount": "0"}, {"fees.err.amount_positive"}),
        ({"kind": "write_off", "method": None}, {"fees.err.reason_needed"}),
        ({"kind": "reversal", "reason": "退票", "amount": "100"}, {"fees.err.reversal_sign"}),
        ({"method": None}, {"err.required"}),
    ],
)
def test_payment_checks(raw, codes):
    row = {"payment_no": "P1", "statement": "JS1", "kind": "payment", "paid_on": "2026-01-01",
           "amount": "100", "method": "wechat", **raw}  # fmt: skip
    _, problems = validate_row(F.PAYMENTS, row)
    assert {p.code for p in problems} == codes


def test_is_night():
    assert F.is_night(dt.datetime(2026, 1, 1, 20, 0))
    assert F.is_night(dt.datetime(2026, 1, 1, 7, 59))
    assert not F.is_night(dt.datetime(2026, 1, 1, 8, 0))


# ---------------------------------------------------------------- a maintenance visit
@pytest.mark.parametrize(
    ("arrived", "departed", "hours"),
    [
        (dt.datetime(2026, 6, 10, 9), dt.datetime(2026, 6, 10, 11), D("2")),
        (dt.datetime(2026, 6, 10, 9), dt.datetime(2026, 6, 10, 11, 1), D("2.5")),  # next half
        (dt.datetime(2026, 6, 10, 9), dt.datetime(2026, 6, 10, 9, 10), D("0.5")),
        (dt.datetime(2026, 6, 10, 9), dt.datetime(2026, 6, 10, 9), D("0")),
        (None, dt.datetime(2026, 6, 10, 9), D("0")),
        (dt.datetime(2026, 6, 10, 10), dt.datetime(2026, 6, 10, 9), D("0")),  # typed wrong
    ],
)
def test_visit_hours_from_arrival_to_departure(arrived, departed, hours):
    assert F.visit_hours(arrived, departed) == hours


@pytest.mark.parametrize(
    ("zone", "region", "expected"),
    [("西北", "华东", "西北"), (None, "华东", "华东"), ("  ", "华东", "华东"), (None, None, None)],
)
def test_travel_zone_falls_back_to_the_region(zone, region, expected):
    assert F.travel_zone(zone, region) == expected


@pytest.mark.parametrize(
    ("cover", "billable"),
    [(OUT, True), (IN_WARRANTY, True), (CONTRACT_OUT, False), (CONTRACT_LAPSED, True)],
)
def test_a_visit_is_billed_outside_a_contract_only(cover, billable):
    assert F.visit_billable(cover) is billable


def test_a_visit_proposes_the_inspection_not_diagnosis():
    rates = [
        F.Rate("DIAG", "diagnosis", "诊断", "次", "fixed", D("300"), dt.date(2026, 1, 1)),
        F.Rate("INSP-F", "inspection", "返厂检测", "次", "fixed", D("500"), dt.date(2026, 1, 1)),
        F.Rate("INSP-V", "inspection", "巡检", "次", "fixed", D("150"), dt.date(2026, 1, 1),
               variant=F.VISIT),
        F.Rate("LAB", "labour", "工时", "小时", "per_unit", D("280"), dt.date(2026, 1, 1)),
        F.Rate("TRV-NW", "travel", "西北", "公里", "per_unit", D("4.50"), dt.date(2026, 1, 1),
               variant="西北", km_from=D("50")),
        F.Rate("TRV", "travel", "差旅", "公里", "per_unit", D("3.50"), dt.date(2026, 1, 1),
               km_from=D("50")),
    ]  # fmt: skip
    job = F.Job(failure=DAY, received_at=dt.datetime(2026, 6, 10, 9), hours=D("2.5"),
                km=D("80"), zone="西北", visit=True,
                parts=(("W-1", "密封圈", D("1"), D("35")),))  # fmt: skip
    got = [(x["kind"], x["rate_code"], x["qty"], x["unit_price"]) for x in F.propose(job, rates)]
    assert got == [
        ("inspection", "INSP-V", D("1"), D("150")),
        ("labour", "LAB", D("2.5"), D("280")),
        ("travel", "TRV-NW", D("80"), D("4.50")),
        ("parts", None, D("1"), D("35")),
    ]
