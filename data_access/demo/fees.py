"""Demo rate card, fee lines, settlements and payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from data_access.demo.base import D, H, Plumbing, money, pick
from rules.tickets import Priority
from rules.tickets import Status as S

RATES = [
    # code, kind, zh, en, unit, price, contract discount %
    ("DIAG-01", "diagnosis", "检测诊断费", "Diagnosis fee", "次", "300.00", "15"),
    ("LAB-01", "labour", "工时费", "Labour", "小时", "280.00", "15"),
    ("TRV-01", "travel", "差旅费（市内）", "Travel (urban)", "次", "200.00", "0"),
    ("TRV-02", "travel", "差旅费（市外）", "Travel (out of town)", "公里", "3.50", "0"),
    ("RUSH-01", "rush", "紧急加急服务费", "Rush surcharge", "次", "800.00", "0"),
    ("SHIP-01", "shipping", "返厂运输费", "Return-to-factory shipping", "次", "600.00", "0"),
    ("INSP-01", "inspection", "返厂检测费", "Factory inspection", "次", "500.00", "15"),
    ("REP-01", "repair", "返厂维修费", "Factory repair", "次", "2500.00", "15"),
]


class FeesDemo(Plumbing):
    def rate_card(self) -> None:
        self.rates = {}
        for code, kind, zh, en, unit, price, pct in RATES:
            self.add("rate_card", created=self.year_ago - 60 * D, code=code, kind=kind,
                     name_zh=zh, name_en=en, unit=unit, price=Decimal(price),
                     contract_discount_pct=Decimal(pct))  # fmt: skip
            self.rates[code] = (kind, zh, Decimal(price), Decimal(pct))

    def fees(self, ctx, used, hours, km) -> None:
        """Fee lines (out of warranty: charged; in warranty: parts waived) and a settlement."""
        repaired = ctx["repaired"]
        lines: list[dict] = []

        def line(code, kind, description, qty, price, pct=Decimal("0"), waived=False):
            amount = Decimal("0.00") if waived else money(qty * price * (100 - pct) / 100)
            lines.append({"rate_code": code, "kind": kind, "description": description,
                          "qty": Decimal(qty), "unit_price": price, "discount_pct": pct,
                          "amount": amount, "waived": waived})  # fmt: skip

        def rate(code, qty, discount=False):
            kind, zh, price, pct = self.rates[code]
            line(code, kind, zh, Decimal(qty), price, pct if discount and ctx["contract"] else 0)

        covered = ctx["covered"]
        if not covered:
            rate("DIAG-01", 1, discount=True)
            rate("LAB-01", hours, discount=True)
            if km > 50:
                rate("TRV-02", km)
            elif km > 0:
                rate("TRV-01", 1)
            if ctx["priority"] == Priority.EMERGENCY:
                rate("RUSH-01", 1)
            if ctx["path"] == "factory":
                for code in ("SHIP-01", "INSP-01", "REP-01"):
                    rate(code, 1, discount=code != "SHIP-01")
        for part, qty in used:  # parts at cost price; free in warranty
            line(None, "parts", f"{part['name']}（{part['no']}）", Decimal(qty), part["cost"],
                 waived=covered)  # fmt: skip
        sid = None
        if not covered and ctx["status"] in (S.ACCEPTED, S.CLOSED):
            sid = self.settlement(ctx, sum((ln["amount"] for ln in lines), Decimal("0.00")))
        for ln in lines:
            self.add("fee_lines", created=repaired, ticket_id=ctx["id"], settlement_id=sid, **ln)

    def settlement(self, ctx, total: Decimal) -> int:
        rng = self.rng
        sid = self.next_id("settlements")
        start = ctx["last"][S.ACCEPTED]
        age = (self.now - start).days
        if age > 45:
            status = pick(rng, ("paid", "billed", "audited"), (85, 10, 5))
        elif age > 15:
            status = pick(rng, ("paid", "billed", "audited", "draft"), (40, 35, 15, 10))
        else:
            status = pick(rng, ("draft", "audited", "billed"), (55, 30, 15))
        audited = issued = None
        if status != "draft":
            audited = min(self.now, self.snap(start + rng.randint(4, 96) * H, rng))
        if status in ("billed", "paid"):
            issued = min(self.now, self.snap(audited + rng.randint(2, 72) * H, rng))
        self.add("settlements", created=start, id=sid,
                 settlement_no=self.doc_no("JS", start),
                 customer_id=ctx["cid"], ticket_id=ctx["id"], status=status, total=total,
                 audited_by_id=self.manager if audited else None, audited_at=audited,
                 issued_at=issued, updated_at=issued or audited or start)  # fmt: skip
        if status == "paid" or (status == "billed" and rng.random() < 0.2):
            paid = min(self.today, (issued + rng.randint(3, 40) * D).date())
            method = pick(rng, ("bank_transfer", "online", "card", "cash"), (70, 15, 10, 5))
            parts = [total]
            if status == "billed" or rng.random() < 0.15:
                first = money(total * Decimal("0.3"))
                parts = [first, total - first] if status == "paid" else [first]
            for k, amount in enumerate(parts):
                day = min(self.today, paid + k * 14 * D)
                self.add("payments", created=dt.datetime.combine(day, dt.time(15)),
                         settlement_id=sid, paid_at=day, amount=amount, method=method,
                         reference=f"回单 {day:%Y%m%d}-{sid:06d}-{k + 1}")  # fmt: skip
        return sid
