"""Demo spare parts and their stock ledger (receipts, issues, returns, transfers, scrap, stock-take)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, update

from data_access.demo.base import D, H, Plumbing, T, money
from data_access.demo.customers import ALL_CATS, REGIONS
from rules.tickets import Status as S

PARTS = [
    ("主轴前轴承", "7014C/P4 DB 配对", ("CNC",), 1850, True, False),
    ("主轴驱动器散热风扇", "24V 120mm", ("CNC",), 260, False, False),
    ("编码器反馈电缆", "10m 屏蔽", ("CNC", "RB", "PB"), 420, False, False),
    ("伺服驱动器", "3.5kW", ("CNC", "PB"), 6800, True, False),
    ("丝杠支撑轴承", "25TAC62B", ("CNC", "PB"), 980, False, False),
    ("润滑泵", "2L 电动", ("CNC", "PB"), 760, False, False),
    ("润滑油分配器", "8 路", ("CNC",), 95, False, True),
    ("刀套定位销", "BT40", ("CNC",), 65, False, True),
    ("急停按钮", "22mm 红色蘑菇头", ALL_CATS, 48, False, True),
    ("系统备用电池", "3V 锂电池", ("CNC", "RB", "LASER"), 35, False, True),
    ("电柜空调滤网", "400×300", ("CNC", "LASER", "IM"), 60, False, True),
    ("保护镜片", "D37×7", ("LASER", "WELD"), 45, False, True),
    ("切割喷嘴", "单层 1.5mm", ("LASER",), 18, False, True),
    ("陶瓷环", "32mm", ("LASER",), 55, False, True),
    ("切割头电容传感器", "随动传感器", ("LASER",), 3200, True, False),
    ("冷水机水泵", "0.75kW", ("LASER", "WELD"), 1350, False, False),
    ("冷水机过滤器滤芯", "5μm", ("LASER", "WELD"), 40, False, True),
    ("止逆环", "φ45 螺杆配套", ("IM",), 680, True, False),
    ("加热圈", "220V 800W", ("IM",), 120, False, True),
    ("热电偶", "K 型 M6", ("IM",), 38, False, True),
    ("液压油滤芯", "10μm", ("IM", "PB"), 150, False, True),
    ("比例阀", "DN10", ("IM", "PB"), 5200, True, False),
    ("油缸密封组件", "锁模油缸", ("IM", "PB"), 860, False, False),
    ("空气滤芯", "37kW 配套", ("AC",), 220, False, True),
    ("油滤芯", "37/75kW 通用", ("AC",), 180, False, True),
    ("油气分离器", "75kW", ("AC",), 1450, True, False),
    ("温控阀", "70℃", ("AC",), 520, False, False),
    ("进气阀修理包", "37/75kW", ("AC",), 390, False, False),
    ("压力传感器", "0–1.6MPa", ("AC", "DRYER", "IM"), 650, True, False),
    ("自动排水阀", "电子式", ("DRYER", "AC"), 410, False, False),
    ("RV 减速机", "RV-20E", ("RB",), 9800, True, False),
    ("示教器电缆", "10m", ("RB",), 1200, False, False),
    ("交流接触器", "40A", ALL_CATS, 160, False, True),
    ("开关电源", "24V 10A", ALL_CATS, 240, False, False),
    ("光栅尺", "1000mm", ("PB", "CMM"), 2600, True, False),
    ("触摸屏", "10 英寸", ("IM", "PB", "AC"), 2100, True, False),
    ("触发式测头", "三坐标配套", ("CMM",), 7800, True, False),
]


class PartsDemo(Plumbing):
    def parts_master(self) -> None:
        take_day = self.today.replace(day=1) - D
        self.take_at = dt.datetime.combine(take_day, dt.time(17, 0))
        self.parts: list[dict] = []
        self.parts_by_cat: dict[str, list[int]] = {c: [] for c in ALL_CATS}
        codes_by_cat = {c: [m[1] for m in self.models if m[2] == c] for c in ALL_CATS}
        opening = self.year_ago - 5 * D
        for k, (name, spec, cats, cost, key, consumable) in enumerate(PARTS):
            point, qty = (20, 50) if consumable else (2, 3) if key else (5, 10)
            unit_cost = money(cost)
            price = money(cost * 1.45)
            part_no = f"{101 + k * 7:06d}"
            bin_ = f"{'ABC'[k % 3]}-{k // 3 % 10 + 1:02d}-{k % 4 + 1:02d}"
            pid = self.add(
                "parts",
                created=opening,
                part_no=part_no,
                name=name,
                spec=spec,
                compatible_models=",".join(c for cat in cats for c in codes_by_cat[cat]),
                uom="个" if not consumable else "件",
                unit_cost=unit_cost,
                price=price,
                is_key=key,
                reorder_point=point,
                reorder_qty=qty,
                bin=bin_,
                on_hand=0,
            )
            part = {"id": pid, "no": part_no, "name": name, "cost": unit_cost, "price": price,
                    "point": point, "qty": qty, "on_hand": 0, "before": 0, "bin": bin_}  # fmt: skip
            self.parts.append(part)
            for c in cats:
                self.parts_by_cat[c].append(len(self.parts) - 1)
            self.move(part, opening, "receipt", qty * 2, reference="期初库存", note="期初入库")

    def move(self, part: dict, at: dt.datetime, kind: str, qty: int, **kw) -> int:
        """One ledger row; keeps the running on-hand and the book as of the stock-take."""
        part["on_hand"] += qty
        if at <= self.take_at:
            part["before"] += qty
        kw.setdefault("user_id", self.keeper)
        return self.add("stock_movements", created=at, part_id=part["id"], at=at, kind=kind,
                        qty=qty, unit_cost=part["cost"], **kw)  # fmt: skip

    def ticket_parts(self, ctx) -> list[tuple]:
        rng = self.rng
        chance = {"parts": 1.0, "factory": 0.6, "reopen": 0.5, "onsite": 0.35, "customer": 0.35}
        if rng.random() >= chance.get(ctx["path"], 0.0):
            return []
        pool = self.parts_by_cat[ctx["cat"]]
        at = ctx["last"].get(S.ON_SITE) or ctx["repaired"]
        used = []
        for idx in rng.sample(pool, min(len(pool), rng.choice((1, 1, 1, 2, 2, 3)))):
            part = self.parts[idx]
            qty = rng.randint(1, 4) if part["point"] >= 20 else 1
            # one taken along and brought back (at least once, so every kind shows)
            extra = 1 if rng.random() < 0.05 or not self.returns else 0
            self.returns += extra
            take = qty + extra
            if part["on_hand"] < take:
                self.move(part, at - rng.randint(2, 30) * H, "receipt", max(part["qty"], take),
                          reference=self.doc_no("PO", at), note="紧急采购入库")  # fmt: skip
            mid = self.move(part, at, "issue", -take, ticket_id=ctx["id"], reference=ctx["no"],
                            user_id=self.keeper, from_bin=part["bin"])  # fmt: skip
            if extra:
                self.move(part, ctx["repaired"] + rng.randint(2, 48) * H, "return", extra,
                          ticket_id=ctx["id"], reference=ctx["no"], to_bin=part["bin"],
                          note="未使用退库")  # fmt: skip
            self.add("ticket_parts", created=at, ticket_id=ctx["id"], line_no=len(used) + 1,
                     part_id=part["id"],
                     part_no=part["no"], description=part["name"], qty=qty,
                     unit_price=part["price"], movement_id=mid)  # fmt: skip
            used.append((part, qty))
            if part["on_hand"] <= part["point"]:
                arrive = at + rng.randint(24, 72) * H
                if arrive < self.now:
                    self.move(part, arrive, "receipt", part["qty"] * 2,
                              reference=self.doc_no("PO", arrive), note="补货入库")  # fmt: skip
        return used

    def stock_extras(self) -> None:
        rng = self.rng
        for part in self.parts:
            if rng.random() < 0.3 and part["on_hand"] >= 2:
                at = self.when(self.year_ago, self.now)
                self.move(part, at, "scrap", -rng.randint(1, 2),
                          note=rng.choice(["受潮损坏报废", "超过保质期报废", "运输损坏报废"]),
                          reference=f"BF-{at:%Y%m%d}")  # fmt: skip
        for _ in range(8):
            part = rng.choice(self.parts)
            if part["on_hand"] < 2:
                continue
            at = self.when(self.year_ago, self.now)
            qty = rng.randint(1, min(5, part["on_hand"]))
            target = f"{rng.choice(list(REGIONS))}服务站"
            ref = f"DB-{at:%Y%m%d}-{self.number('DB'):03d}"
            self.move(part, at, "transfer", -qty, from_bin=part["bin"], to_bin=target,
                      reference=ref, note="调拨至区域服务站")  # fmt: skip
            self.move(part, at, "transfer", qty, from_bin=part["bin"], to_bin=target,
                      reference=ref, note="区域服务站收货")  # fmt: skip

    def stock_take(self) -> None:
        rng = self.rng
        day = self.take_at.date()
        take = self.add("stock_takes", created=self.take_at, take_no=f"PD-{day:%Y%m}-01",
                        day=day, status="posted", user_id=self.keeper)  # fmt: skip
        for k, part in enumerate(self.parts):
            book = part["before"]
            diff = 0
            if rng.random() < 0.12 or k in (3, 17):
                diff = rng.choice((-2, -1, 1))
                if book + diff < 0 or part["on_hand"] + diff < 0:
                    diff = 1
            self.add("stock_take_lines", created=self.take_at, take_id=take, part_id=part["id"],
                     book_qty=book, counted_qty=book + diff)  # fmt: skip
            if diff:
                self.move(part, self.take_at + dt.timedelta(minutes=30), "adjust", diff,
                          stock_take_id=take, reference=f"PD-{day:%Y%m}-01",
                          note="盘点差异调整")  # fmt: skip

    def finish_parts(self) -> None:
        stmt = (update(T["parts"]).where(T["parts"].c.id == bindparam("pid"))
                .values(on_hand=bindparam("qty")))  # fmt: skip
        self.conn.execute(stmt, [{"pid": p["id"], "qty": p["on_hand"]} for p in self.parts])
