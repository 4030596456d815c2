"""Demo rate card (two price versions in the year), fee lines priced by the one coverage
rule of :mod:`rules.fees`, quotes and confirmations, statements (per ticket; monthly for
contract customers) and payments (full, partial, a few small write-offs).

Fees draw on their own random stream: the other domains' data does not move when the
fee demo changes.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from data_access.demo.base import D, H, Plumbing
from rules import fees as F
from rules.tickets import Priority
from rules.tickets import Status as S

# code, kind, variant, zh, en, unit, basis, price, km_from, km_to
RATES = [
    ("DIAG-01", "diagnosis", None, "检测诊断费", "Diagnosis fee", "次", "fixed", "300", None, None),
    ("LAB-JR", "labour", "junior", "工时费（初级）", "Labour (junior)", "小时", "per_unit", "200", None, None),
    ("LAB-STD", "labour", "standard", "工时费", "Labour", "小时", "per_unit", "280", None, None),
    ("LAB-SR", "labour", "senior", "工时费（高级）", "Labour (senior)", "小时", "per_unit", "380", None, None),
    ("TRV-CITY", "travel", None, "差旅费（50公里内）", "Travel (within 50 km)", "次", "fixed", "200", "0", "50"),
    ("TRV-KM", "travel", None, "差旅费（50公里以上）", "Travel (over 50 km)", "公里", "per_unit", "3.50", "50", None),
    ("TRV-NW", "travel", "西北", "差旅费（西北区）", "Travel (north-west)", "公里", "per_unit", "4.50", "50", None),
    ("RUSH-DAY", "rush", "day", "紧急加急费（日间）", "Rush (day)", "次", "fixed", "500", None, None),
    ("RUSH-NIGHT", "rush", "night", "紧急加急费（夜间）", "Rush (night)", "%", "percent", "50", None, None),
    ("SHIP-01", "shipping", None, "返厂运输费", "Return-to-factory shipping", "次", "fixed", "600", None, None),
    ("INSP-01", "inspection", None, "返厂检测费", "Factory inspection", "次", "fixed", "500", None, None),
    ("REP-01", "repair", None, "返厂维修费", "Factory repair", "次", "fixed", "2500", None, None),
    ("MIN-ONSITE", "minimum", None, "上门最低收费", "On-site minimum charge", "次", "fixed", "800", None, None),
    ("INSP-VISIT", "inspection", "visit", "上门保养检查费", "Maintenance visit inspection", "次", "fixed", "350", None, None),
]  # fmt: skip
# the mid-year price rise: these codes get a second version
RAISED = {"LAB-JR": "220", "LAB-STD": "300", "LAB-SR": "400", "DIAG-01": "320"}
VIA = ("signature", "phone", "wechat", "email")


class FeesDemo(Plumbing):
    """Mixin of the demo generator (see :mod:`data_access.demo.generator`)."""

    def rate_card(self) -> None:
        self.fee_rng = random.Random(self.seed * 31 + 14)
        self.customer_region = {c[0]: c[1] for c in self.cust}
        start = (self.year_ago - 60 * D).date()
        raise_on = (self.year_ago + 180 * D).date().replace(day=1)
        self.rates: list[F.Rate] = []
        for code, kind, variant, zh, en, unit, basis, price, lo, hi in RATES:
            versions = [(start, None, price)]
            if code in RAISED:
                versions = [(start, raise_on - D, price), (raise_on, None, RAISED[code])]
            for valid_from, valid_to, p in versions:
                km_from = Decimal(lo) if lo else None
                km_to = Decimal(hi) if hi else None
                self.add("rate_card", created=dt.datetime.combine(valid_from, dt.time(9)),
                         rate_key=F.rate_key(code, valid_from), code=code, kind=kind,
                         variant=variant, name_zh=zh, name_en=en, unit=unit, basis=basis,
                         price=Decimal(p), km_from=km_from, km_to=km_to, valid_from=valid_from,
                         valid_to=valid_to)  # fmt: skip
                self.rates.append(F.Rate(code, kind, zh, unit, basis, Decimal(p), valid_from,
                                         valid_to, variant, km_from, km_to))  # fmt: skip
        self.fee_pending: list[tuple[dict, list[dict]]] = []
        self.fee_seq: dict[str, int] = {}  # statement numbers taken per month prefix
        for key, value in (
            (F.SETTING_PART_PRICING, str(F.PartPricing.COST)),
            (F.SETTING_WRITE_OFF_LIMIT, str(F.DEFAULT_WRITE_OFF_LIMIT)),
            (F.SETTING_CONTRACT_PCT, str(F.DEFAULT_CONTRACT_PCT)),
        ):
            self.add("settings", key=key, value=value)

    def fees(self, ctx, used, hours, km) -> None:
        """A repaired ticket's fee lines, as ``build_lines`` proposes them and the coverage
        rule prices them; statements and payments follow in :meth:`finish_fees`."""
        dev = ctx["dev"]
        received = ctx["last"][S.RECEIVED]
        cover = F.Cover(
            failure=received.date(),
            warranty_end=dev[3] if dev else None,
            install_date=dev[5] if dev else None,
            contract_end=dev[4] if dev else None,
            contract_pct=F.DEFAULT_CONTRACT_PCT if dev and dev[4] else F.ZERO,
        )
        job = F.Job(
            failure=cover.failure,
            received_at=received,
            emergency=ctx["priority"] == Priority.EMERGENCY,
            factory=ctx["path"] == "factory",
            remote=ctx["path"] == "remote",
            hours=Decimal(hours),
            km=Decimal(km) if km else None,
            zone=self.customer_region.get(ctx["cid"]),
            level=self.engineer_level.get(ctx["engineer"], F.DEFAULT_LEVEL),
            parts=tuple((p["no"], p["name"], Decimal(q), p["cost"]) for p, q in used),
        )
        proposed = F.propose(job, self.rates)
        part_of = {p["no"]: p for p, _ in used}
        lines = []
        for ln in proposed:
            part = part_of.get(ln["part_no"]) if ln["part_no"] else None
            terms = (
                F.PartTerms(part.get("warranty_months"), bool(part.get("is_wear")))
                if part
                else None
            )
            lines.append(self._line(ln, F.price_line(ln["kind"], ln["qty"], ln["unit_price"],
                                                     cover, terms), part))  # fmt: skip
        minimum = F.rate_on(self.rates, F.FeeKind.MINIMUM, cover.failure)
        top_up = F.minimum_top_up(lines, minimum, in_warranty=cover.in_warranty)
        if top_up:
            ln = {"kind": F.FeeKind.MINIMUM, "rate_code": minimum.code, "qty": Decimal(1),
                  "description": minimum.name_zh, "unit_price": top_up, "part_no": None}  # fmt: skip
            lines.append(self._line(ln, F.price_line(ln["kind"], Decimal(1), top_up, cover), None))
        for i, ln in enumerate(lines, 1):
            ln["line_no"] = i
        net = F.totals(lines)["amount"]
        if net > 0:
            doc = self._quote(ctx, net)
        else:  # a free job's fee document: a draft never quoted
            doc = self.add("fee_quotes", created=ctx["repaired"], doc_no=ctx["no"],
                           ticket_id=ctx["id"], status="draft")  # fmt: skip
        self.fee_pending.append(
            ({**ctx, "net": net, "monthly": bool(ctx["contract"]), "doc": doc}, lines)
        )

    @staticmethod
    def _line(ln: dict, priced: F.Priced, part: dict | None) -> dict:
        return {"kind": str(ln["kind"]), "rate_code": ln["rate_code"],
                "part_id": part["id"] if part else None, "part_no": ln["part_no"],
                "description": ln["description"], "qty": ln["qty"],
                "unit_price": ln["unit_price"], "list_amount": priced.list_amount,
                "rule": str(priced.rule), "discount_pct": priced.discount_pct,
                "discount": priced.discount, "amount": priced.net}  # fmt: skip

    def _quote(self, ctx, net: Decimal) -> int:
        rng = self.fee_rng
        start = ctx["last"].get(S.ON_SITE) or ctx["last"].get(S.DIAGNOSING) or ctx["repaired"]
        quoted = min(start, ctx["repaired"]) - rng.randint(1, 3) * H
        confirmed = quoted + rng.randint(10, 90) * dt.timedelta(minutes=1)
        return self.add("fee_quotes", created=quoted, doc_no=ctx["no"], ticket_id=ctx["id"],
                 status="confirmed",
                 quoted_total=net, quoted_by_id=ctx["agent"], quoted_at=quoted,
                 confirmed_by=ctx["contact"][0], confirmed_at=confirmed,
                 confirmed_via=rng.choice(VIA), recorded_by_id=ctx["agent"],
                 updated_at=confirmed)  # fmt: skip

    def finish_fees(self) -> None:
        """Statements: accepted or closed tickets with a charge; contract customers
        monthly (月结) for months already over, the others per ticket. Then payments."""
        rng = self.fee_rng
        monthly: dict[tuple[int, dt.date], list[tuple[dict, list[dict]]]] = {}
        statements: list[tuple] = []  # (kind, cid, ticket ctx | None, period, at, items)
        for ctx, lines in self.fee_pending:
            settled = ctx["status"] in (S.ACCEPTED, S.CLOSED) and ctx["net"] > 0
            accepted = ctx["last"].get(S.ACCEPTED)
            if not settled or accepted is None:
                continue
            if ctx["monthly"]:
                start, _ = F.month_bounds(ctx["last"][S.RECEIVED].date())
                monthly.setdefault((ctx["cid"], start), []).append((ctx, lines))
            else:
                at = min(self.now, accepted + rng.randint(4, 96) * H)
                statements.append(("ticket", ctx["cid"], ctx, None, at, [(ctx, lines)]))
        for (cid, start), items in sorted(monthly.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            end = F.month_bounds(start)[1]
            at = dt.datetime.combine(end + 3 * D, dt.time(10))
            if at <= self.now:
                statements.append(("monthly", cid, None, (start, end), at, items))
        statements.sort(key=lambda s: (s[4], s[1]))
        seq: dict[str, int] = self.fee_seq
        settled_ids: set[int] = set()
        sid_of: dict[int, int] = {}
        for kind, cid, ctx, period, at, items in statements:
            prefix = f"{'YJ' if kind == 'monthly' else 'JS'}{at:%Y%m}-"
            seq[prefix] = seq.get(prefix, 0) + 1
            sid = self.next_id("settlements")
            total = sum((ctx_["net"] for ctx_, _ in items), F.ZERO)
            # the payments are buffered after their statement: a flush between them would
            # write a payment whose statement is not written yet
            payments: list[dict] = []
            self.add("settlements", created=at, id=sid, settlement_no=f"{prefix}{seq[prefix]:04d}",
                     kind=kind, customer_id=cid, ticket_id=ctx["id"] if ctx else None,
                     period_start=period[0] if period else None,
                     period_end=period[1] if period else None,
                     status=self._payments(sid, f"{prefix}{seq[prefix]:04d}", total, at,
                                           payments),
                     total=total, settled_by_id=self.manager, settled_at=at,
                     updated_at=at)  # fmt: skip
            for payment in payments:
                self.add("payments", **payment)
            for ctx_, _ in items:
                settled_ids.add(ctx_["id"])
                sid_of[ctx_["id"]] = sid
        for ctx, lines in self.fee_pending:
            for ln in lines:
                self.add("fee_lines", created=ctx["repaired"], doc_id=ctx["doc"],
                         doc_no=ctx["no"], ticket_id=ctx["id"],
                         settlement_id=sid_of.get(ctx["id"]), **ln)  # fmt: skip
        self.fee_pending = []

    def visit_fees(self, visits: list[dict], dev) -> None:
        """The done visits of a plan outside a contract, billed as "bill this visit"
        does: inspection, labour from arrival to departure, travel by the customer's
        distance (no parts: the demo issues none to visits); quoted, confirmed and
        settled per visit once a week old, then paid like the tickets' statements."""
        rng = self.fee_rng
        did, serial, m, w_end, c_end, install, cid = dev
        region = self.customer_region.get(cid)
        km = self.customer_km[cid]
        for v in visits:
            if v["status"] not in ("done", "partly_done"):
                continue
            done = v["done_at"]
            cover = F.Cover(failure=done.date(), warranty_end=w_end, install_date=install,
                            contract_end=c_end)  # fmt: skip
            if not F.visit_billable(cover):
                continue
            job = F.Job(failure=cover.failure, received_at=v["arrived_at"],
                        hours=F.visit_hours(v["arrived_at"], v["departed_at"]), km=km,
                        zone=region, level=self.engineer_level.get(v["engineer_id"],
                                                                   F.DEFAULT_LEVEL),
                        visit=True)  # fmt: skip
            lines = [self._line(ln, F.price_line(ln["kind"], ln["qty"], ln["unit_price"], cover),
                                None) for ln in F.propose(job, self.rates)]  # fmt: skip
            minimum = F.rate_on(self.rates, F.FeeKind.MINIMUM, cover.failure)
            top_up = F.minimum_top_up(lines, minimum, in_warranty=cover.in_warranty)
            if top_up:
                ln = {"kind": F.FeeKind.MINIMUM, "rate_code": minimum.code, "qty": Decimal(1),
                      "description": minimum.name_zh, "unit_price": top_up, "part_no": None}  # fmt: skip
                lines.append(self._line(ln, F.price_line(ln["kind"], Decimal(1), top_up, cover),
                                        None))  # fmt: skip
            net = F.totals(lines)["amount"]
            billed = done + rng.randint(1, 48) * H
            doc = self.add("fee_quotes", created=billed, doc_no=v["visit_no"], visit_id=v["id"],
                           status="confirmed" if net > 0 else "draft",
                           quoted_total=net if net > 0 else None,
                           quoted_by_id=self.manager if net > 0 else None,
                           quoted_at=billed if net > 0 else None,
                           confirmed_by=v["customer_rep"] if net > 0 else None,
                           confirmed_at=billed + H if net > 0 else None,
                           confirmed_via=rng.choice(VIA) if net > 0 else None,
                           recorded_by_id=self.manager if net > 0 else None)  # fmt: skip
            sid = None
            at = billed + rng.randint(24, 96) * H
            if net > 0 and at + 7 * D <= self.now:
                prefix = f"JS{at:%Y%m}-"
                self.fee_seq[prefix] = self.fee_seq.get(prefix, 0) + 1
                no = f"{prefix}{self.fee_seq[prefix]:04d}"
                sid = self.next_id("settlements")
                payments: list[dict] = []
                self.add("settlements", created=at, id=sid, settlement_no=no, kind="ticket",
                         customer_id=cid,
                         status=self._payments(sid, no, net, at, payments), total=net,
                         settled_by_id=self.manager, settled_at=at, updated_at=at)  # fmt: skip
                for payment in payments:
                    self.add("payments", **payment)
            for i, ln in enumerate(lines, 1):
                self.add("fee_lines", created=billed, doc_id=doc, doc_no=v["visit_no"],
                         visit_id=v["id"], settlement_id=sid, line_no=i, **ln)  # fmt: skip

    def _payments(self, sid: int, no: str, total: Decimal, at: dt.datetime, out: list[dict]) -> str:
        """Payments of a statement settled ``at``: the older, the likelier paid; some in
        two parts, a few short by a small difference written off. Returns its status."""
        rng = self.fee_rng
        age = (self.now - at).days
        p_paid = 0.9 if age > 60 else 0.6 if age > 20 else 0.2
        if rng.random() >= p_paid:
            if age > 10 and rng.random() < 0.3:  # a first part only
                part = F.money(total * Decimal("0.4"))
                out.append(self._pay(sid, f"{no}-1", min(self.today, (at + 9 * D).date()), part))
            return "settled"
        day = min(self.today, (at + rng.randint(3, 40) * D).date())
        k = 1
        rest = total
        if rng.random() < 0.2:
            first = F.money(total * Decimal("0.5"))
            out.append(self._pay(sid, f"{no}-{k}", day, first))
            k, rest = k + 1, total - first
            day = min(self.today, day + 14 * D)
        short = Decimal(rng.randint(1, 30)) if rng.random() < 0.08 and rest > 100 else F.ZERO
        out.append(self._pay(sid, f"{no}-{k}", day, rest - short))
        if short:
            out.append(dict(created=dt.datetime.combine(day, dt.time(16)),
                     payment_no=f"{no}-{k + 1}", settlement_id=sid, kind="write_off",
                     paid_on=day, amount=short, method=None, reference=None,
                     reason="银行手续费差额核销"))  # fmt: skip
        return "paid"

    def _pay(self, sid: int, no: str, day: dt.date, amount: Decimal) -> dict:
        method = ("bank_transfer", "wechat", "alipay", "cash")[
            int(self.fee_rng.random() ** 2 * 4)
        ]  # mostly bank transfers
        return dict(created=dt.datetime.combine(day, dt.time(15)), payment_no=no,
                    settlement_id=sid, kind="payment", paid_on=day, amount=amount, method=method,
                    reference=f"回单 {day:%Y%m%d}-{sid:06d}")  # fmt: skip
