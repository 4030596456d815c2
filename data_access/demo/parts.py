"""Demo spare parts, warehouses and their stock ledger (receipts, issues, returns,
transfers, scrap, loans, faulty-part returns, a stock-take).

Movements are gathered in memory and written at the end in date order: numbered
documents (``RK-202611-0001/1``), and wherever a part would run short in a warehouse
on some date an urgent receipt arrives the day before — so per part and warehouse the
dated ledger never goes below zero, and the balances are the ledger sums."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import bindparam, select, update

from data_access.demo.base import D, H, Plumbing, T, money
from data_access.demo.customers import ALL_CATS, REGIONS
from rules.parts import MovementKind as K
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


NAMES_EN = [
    "Spindle front bearing",
    "Spindle drive cooling fan",
    "Encoder feedback cable",
    "Servo drive",
    "Ball-screw support bearing",
    "Lubrication pump",
    "Lubricant distributor",
    "Tool pocket locating pin",
    "Emergency-stop button",
    "System backup battery",
    "Cabinet A/C filter",
    "Protective lens",
    "Cutting nozzle",
    "Ceramic ring",
    "Cutting-head capacitive sensor",
    "Chiller water pump",
    "Chiller filter cartridge",
    "Check ring",
    "Heater band",
    "Thermocouple",
    "Hydraulic oil filter",
    "Proportional valve",
    "Cylinder seal kit",
    "Air filter",
    "Oil filter",
    "Oil-air separator",
    "Thermostatic valve",
    "Intake valve repair kit",
    "Pressure sensor",
    "Automatic drain valve",
    "RV reducer",
    "Teach pendant cable",
    "AC contactor",
    "Switching power supply",
    "Linear scale",
    "Touch screen",
    "Touch-trigger probe",
]
PREFIX = {K.RECEIPT: "RK", K.ISSUE: "LY", K.RETURN: "TH", K.TRANSFER: "DB", K.SCRAP: "BF",
          K.LOAN: "JC", K.LOAN_RETURN: "GH", K.FAULTY_RETURN: "JJ", K.ADJUST: "PD"}  # fmt: skip


class PartsDemo(Plumbing):
    def parts_master(self) -> None:
        take_day = self.today.replace(day=1) - D
        self.take_at = dt.datetime.combine(take_day, dt.time(17, 0))
        self.parts: list[dict] = []
        self.moves: list[dict] = []
        self.line_moves: list[tuple[int, int]] = []  # (ticket_parts id, move index)
        self.parts_by_cat: dict[str, list[int]] = {c: [] for c in ALL_CATS}
        codes_by_cat = {c: [m[1] for m in self.models if m[2] == c] for c in ALL_CATS}
        opening = self.year_ago - 5 * D
        self.warehouses(opening)
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
                name_en=NAMES_EN[k],
                spec=spec,
                compatible_models=",".join(c for cat in cats for c in codes_by_cat[cat]),
                uom="个" if not consumable else "件",
                unit_cost=unit_cost,
                price=price,
                is_key=key,
                is_wear=consumable,
                warranty_months=None if consumable else 6 if not key else 12,
                reorder_point=point,
                reorder_qty=qty,
                bin=bin_,
                on_hand=0,
                active=True,
            )
            part = {"id": pid, "no": part_no, "name": name, "cost": unit_cost, "price": price,
                    "point": point, "qty": qty, "on_hand": 0, "bin": bin_, "key": key}  # fmt: skip
            self.parts.append(part)
            for c in cats:
                self.parts_by_cat[c].append(len(self.parts) - 1)
            self.move(part, opening, K.RECEIPT, qty * 2, group="opening", reference="期初库存",
                      note="期初入库", supplier="期初")  # fmt: skip

    def warehouses(self, at: dt.datetime) -> None:
        self.wh: dict[str, int] = {}

        def add(code: str, name: str, kind: str, user_id: int | None = None) -> None:
            self.wh[code] = self.add("warehouses", created=at, code=code, name=name, kind=kind,
                                     user_id=user_id, active=True)  # fmt: skip

        add("WH01", "中心库", "central")
        for k, region in enumerate(REGIONS):
            add(f"WH{k + 2:02d}", f"{region}服务站", "regional")
        self.region_wh = {r: self.wh[f"WH{k + 2:02d}"] for k, r in enumerate(REGIONS)}
        for uid in self.engineers[:5]:
            add(f"VAN-{uid:03d}", f"{self.user_names[uid]}车载库存", "van", uid)
        self.vans = [self.wh[f"VAN-{uid:03d}"] for uid in self.engineers[:5]]
        add("WH99", "旧件库", "faulty")

    def move(self, part: dict, at: dt.datetime, kind: str, qty: int, *, wh: int | None = None,
             group=None, **kw) -> int:  # fmt: skip
        """One ledger row, kept in memory until :meth:`finish_parts` dates and numbers it."""
        wh = self.wh["WH01"] if wh is None else wh
        if wh == self.wh["WH01"]:
            part["on_hand"] += qty
        kw.setdefault("user_id", self.keeper)
        kw.setdefault("unit_cost", part["cost"])
        self.moves.append({"part": part, "wh": wh, "at": at, "kind": str(kind), "qty": qty,
                           "group": group if group is not None else len(self.moves), **kw})  # fmt: skip
        return len(self.moves) - 1

    def ticket_parts(self, ctx) -> list[tuple]:
        rng = self.rng
        chance = {"parts": 1.0, "factory": 0.6, "reopen": 0.5, "onsite": 0.35, "customer": 0.35}
        if rng.random() >= chance.get(ctx["path"], 0.0):
            return []
        pool = self.parts_by_cat[ctx["cat"]]
        at = ctx["last"].get(S.ON_SITE) or ctx["repaired"]
        asked = ctx["last"].get(S.DISPATCHED) or ctx["last"].get(S.RECEIVED)
        used = []
        for idx in rng.sample(pool, min(len(pool), rng.choice((1, 1, 1, 2, 2, 3)))):
            part = self.parts[idx]
            qty = rng.randint(1, 4) if part["point"] >= 20 else 1
            # one taken along and brought back (at least once, so every kind shows)
            extra = 1 if rng.random() < 0.05 or not self.returns else 0
            self.returns += extra
            take = qty + extra
            if part["on_hand"] < take:
                self.move(part, at - rng.randint(2, 30) * H, K.RECEIPT, max(part["qty"], take),
                          reference=self.doc_no("PO", at), note="紧急采购入库",
                          supplier="原厂备件中心")  # fmt: skip
            mid = self.move(part, at, K.ISSUE, -take, ticket_id=ctx["id"], reference=ctx["no"],
                            group=("issue", ctx["id"]), requested_at=asked)  # fmt: skip
            if extra:
                self.move(part, ctx["repaired"] + rng.randint(2, 48) * H, K.RETURN, extra,
                          ticket_id=ctx["id"], reference=ctx["no"], note="未使用退库")  # fmt: skip
            if ctx["covered"] and part["key"]:  # the faulty key part goes back to the maker
                self.move(part, ctx["repaired"], K.FAULTY_RETURN, qty, wh=self.wh["WH99"],
                          ticket_id=ctx["id"], reference=ctx["no"], unit_cost=None,
                          note="保内旧件返还，待向厂家索赔")  # fmt: skip
            tp = self.add("ticket_parts", created=at, ticket_id=ctx["id"], line_no=len(used) + 1,
                          part_id=part["id"],
                          part_no=part["no"], description=part["name"], qty=qty,
                          unit_price=part["price"], movement_id=None)  # fmt: skip
            self.line_moves.append((tp, mid))
            used.append((part, qty))
            if part["on_hand"] <= part["point"]:
                arrive = at + rng.randint(24, 72) * H
                if arrive < self.now:
                    self.move(part, arrive, K.RECEIPT, part["qty"] * 2, supplier="原厂备件中心",
                              reference=self.doc_no("PO", arrive), note="补货入库")  # fmt: skip
        return used

    def stock_extras(self) -> None:
        rng = self.rng
        reasons = {
            "受潮损坏报废": "damaged",
            "超过保质期报废": "expired",
            "运输损坏报废": "damaged",
        }
        for part in self.parts:
            if rng.random() < 0.3 and part["on_hand"] >= 2:
                at = self.when(self.year_ago, self.now)
                note = rng.choice(list(reasons))
                self.move(part, at, K.SCRAP, -rng.randint(1, 2), note=note,
                          reason=reasons[note])  # fmt: skip
        for k in range(8):
            part = rng.choice(self.parts)
            if part["on_hand"] < 2:
                continue
            at = self.when(self.year_ago, self.now)
            qty = rng.randint(1, min(5, part["on_hand"]))
            region = rng.choice(list(REGIONS))
            target = self.vans[k % len(self.vans)] if k % 2 else self.region_wh[region]
            group = ("transfer", k)
            self.move(part, at, K.TRANSFER, -qty, group=group, note="调拨出库")
            self.move(part, at, K.TRANSFER, qty, wh=target, group=group, note="调拨入库")
        for _ in range(3):  # loans to a customer's trial run, returned a fortnight later
            part = rng.choice(self.parts)
            at = self.when(self.year_ago, self.now - 30 * D)
            self.move(part, at, K.LOAN, -1, note="借给客户试机")
            self.move(part, at + 14 * D, K.LOAN_RETURN, 1, note="试机结束归还")

    def stock_take(self) -> None:
        day = self.take_at.date()
        self.take_no = f"PD-{day:%Y%m}-01"
        self.take_id = self.add("stock_takes", created=self.take_at, take_no=self.take_no,
                                day=day, status="posted", user_id=self.keeper,
                                snapshot_at=self.take_at)  # fmt: skip

    # ---------------------------------------------------------------- writing the ledger
    def _fix_shortfalls(self) -> None:
        """Date order; a part short in a warehouse on some date gets an urgent receipt
        the day before (the ledger never goes below zero)."""
        self.moves.sort(key=lambda m: (m["at"], m["seq"]))
        running: dict[tuple[int, int], int] = defaultdict(int)
        fixes = []
        for m in self.moves:
            key = (m["part"]["id"], m["wh"])
            running[key] += m["qty"]
            if running[key] < 0:
                need = max(-running[key], m["part"]["qty"])
                at = m["at"] - D
                fixes.append({"part": m["part"], "wh": m["wh"], "at": at, "kind": str(K.RECEIPT),
                              "qty": need, "group": ("fix", len(fixes)), "seq": -1,
                              "user_id": self.keeper, "unit_cost": m["part"]["cost"],
                              "supplier": "原厂备件中心", "note": "紧急采购入库"})  # fmt: skip
                running[key] += need
        self.moves.extend(fixes)
        self.moves.sort(key=lambda m: (m["at"], m["seq"]))

    def _take_lines(self) -> None:
        """The stock-take of the central store: book as of the snapshot, a few
        differences, adjustments that leave every later balance at zero or above."""
        rng = self.rng
        central = self.wh["WH01"]
        book: dict[int, int] = defaultdict(int)
        low: dict[int, int] = {}
        running: dict[int, int] = defaultdict(int)
        for m in self.moves:
            if m["wh"] != central:
                continue
            pid = m["part"]["id"]
            running[pid] += m["qty"]
            if m["at"] <= self.take_at:
                book[pid] = running[pid]
            else:
                low[pid] = min(low.get(pid, running[pid]), running[pid])
        at = self.take_at + dt.timedelta(minutes=30)
        for k, part in enumerate(self.parts):
            pid = part["id"]
            b = book[pid]
            diff = 0
            if rng.random() < 0.12 or k in (3, 17):
                diff = rng.choice((-2, -1, 1))
                if b + diff < 0 or low.get(pid, b) + diff < 0:
                    diff = 1
            self.add("stock_take_lines", created=self.take_at, take_id=self.take_id,
                     part_id=pid, warehouse_id=central, book_qty=b, counted_qty=b + diff)  # fmt: skip
            if diff:
                self.move(part, at, K.ADJUST, diff, group="take", stock_take_id=self.take_id,
                          reference=self.take_no, note="盘点差异调整")  # fmt: skip
                self.moves[-1]["seq"] = len(self.moves)

    def finish_parts(self) -> None:
        for k, m in enumerate(self.moves):
            m["seq"] = k
        self._fix_shortfalls()
        self._take_lines()
        self.moves.sort(key=lambda m: (m["at"], m["seq"]))
        docs: dict = {}
        lines: dict = defaultdict(int)
        ids: dict[int, int] = {}
        sums: dict[tuple[int, int], int] = defaultdict(int)
        for m in self.moves:
            group = m.pop("group")
            if group not in docs:
                docs[group] = self.doc_no(PREFIX[K(m["kind"])], m["at"])
            doc = docs[group]
            lines[doc] += 1
            part = m.pop("part")
            wh, seq = m.pop("wh"), m.pop("seq")
            mid = self.add("stock_movements", created=m["at"], entry=f"{doc}/{lines[doc]}",
                           doc_no=doc, line_no=lines[doc], part_id=part["id"], warehouse_id=wh,
                           **m)  # fmt: skip
            ids[seq] = mid
            sums[(part["id"], wh)] += m["qty"]
        self.flush()
        balances = [
            {"part_id": p, "warehouse_id": w, "qty": q} for (p, w), q in sorted(sums.items())
        ]
        self.conn.execute(T["stock_balances"].insert(), balances)
        self.counts["stock_balances"] += len(balances)
        on_hand: dict[int, int] = defaultdict(int)
        for (pid, _), qty in sums.items():
            on_hand[pid] += qty
        stmt = (update(T["parts"]).where(T["parts"].c.id == bindparam("pid"))
                .values(on_hand=bindparam("qty")))  # fmt: skip
        self.conn.execute(stmt, [{"pid": p["id"], "qty": on_hand[p["id"]]} for p in self.parts])
        if self.line_moves:
            tp = T["ticket_parts"]
            stmt = (
                update(tp).where(tp.c.id == bindparam("tid")).values(movement_id=bindparam("mid"))
            )
            self.conn.execute(stmt, [{"tid": t, "mid": ids[m]} for t, m in self.line_moves])

    def reorder_suggestions(self) -> None:
        """The suggestions the reorder rule stores for today's stock (through its own
        function, on the loading transaction), the oldest of them already ordered."""
        from data_access.parts import refresh_reorder
        from rules.parts import SuggestionStatus

        self.flush()
        # the parts keeper raised the points of the three parts closest to theirs after
        # last month's waits: they stand at their point today
        parts = T["parts"]
        close = self.conn.execute(
            select(parts.c.id, parts.c.on_hand)
            .where(parts.c.reorder_point > 0)
            .order_by(parts.c.on_hand - parts.c.reorder_point, parts.c.part_no)
            .limit(3)
        ).all()
        for pid, on_hand in close:
            self.conn.execute(
                update(parts).where(parts.c.id == pid).values(reorder_point=max(on_hand, 1))
            )
        made = refresh_reorder(self.orm, self.now)
        table = T["reorder_suggestions"]
        first = self.conn.execute(select(table.c.id).order_by(table.c.id).limit(1)).scalar()
        if first is not None:
            self.conn.execute(
                update(table).where(table.c.id == first).values(
                    status=SuggestionStatus.ORDERED, purchase_ref="PO-DEMO-0001",
                    ordered_at=self.now,
                )
            )  # fmt: skip
        self.counts["reorder_suggestions"] += len(made)
