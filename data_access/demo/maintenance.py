"""Demo maintenance packages, checklist templates, plans, visits and checklist results.

Visits are laid out by the app's own rule (:func:`rules.maintenance.due_dates` on the demo
working calendar) from each plan's start up to twelve months ahead, so running the
visit generation on the demo adds nothing. Past visits take every state; open past
visits are the overdue ones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from data_access.demo.base import D, H, Plumbing, pick
from rules import maintenance as mr
from rules.customers import add_months

# (code, zh, en, visits a year, repair discount %)
PACKAGES = [
    ("basic", "基础保养", "Basic", 1, Decimal("0")),
    ("comprehensive", "全面保养", "Comprehensive", 2, Decimal("10")),
    ("custom", "定制保养", "Custom", None, Decimal("20")),
]
# (item, standard, result kind, lower, upper, unit)
CHECKLIST = [
    ("清洁关键部件", "导轨、丝杠、电柜滤网无积尘油污", "pass_fail", None, None, None),
    ("紧固松动部件", "按扭矩表检查主要紧固件", "pass_fail", None, None, None),
    ("校准传感器", "测量误差 ±0.02 mm 以内", "number", Decimal("-0.02"), Decimal("0.02"), "mm"),
    ("润滑保养", "按润滑表加注指定油脂", "pass_fail", None, None, None),
    ("检查电气连接", "绝缘电阻不小于 1 MΩ", "number", Decimal("1"), None, "MΩ"),
    ("运行自检程序", "自检无报警", "pass_fail", None, None, None),
    ("固件更新检查", "版本为最新发布版，升级前已备份", "text", None, None, None),
    ("填写维护记录", "记录完整并由客户签字确认", "pass_fail", None, None, None),
]
PACKAGE_ITEMS = {
    "basic": (0, 1, 3, 4, 5, 7),
    "comprehensive": (0, 1, 2, 3, 4, 5, 6, 7),
    "custom": (0, 2, 3, 5, 7),
}
FIRMWARE_ITEMS = (6, 5, 7)
FINDINGS = ["主轴轴承有轻微异响，建议下次更换", "液压油已变质，建议更换",
            "冷却液浓度偏低，已调整", "电柜滤网堵塞严重，已更换"]  # fmt: skip
WINDOWS = {"yearly": "每年第二个月第一周", "half_yearly": "每半年第二个月第一周",
           "quarterly": "每季度第一个月第二周", "monthly": "每月第一周",
           "every_n_months": "到期当周", "every_n_weeks": "到期当周"}  # fmt: skip
LABELS = {"basic": "基础保养", "comprehensive": "全面保养", "custom": "定制保养"}


class MaintenanceDemo(Plumbing):
    def maintenance(self) -> None:
        self.package_ids: dict[str, int] = {}
        for seq_code, zh, en, per_year, discount in PACKAGES:
            pid = self.add("maintenance_packages", code=seq_code, name_zh=zh, name_en=en,
                           visits_per_year=per_year, repair_discount_pct=discount, active=True)  # fmt: skip
            self.package_ids[seq_code] = pid
            for seq, idx in enumerate(PACKAGE_ITEMS[seq_code], 1):
                item, standard, kind, lower, upper, unit = CHECKLIST[idx]
                self.add("checklist_items", package_id=pid, seq=seq, item=item, standard=standard,
                         result_kind=kind, lower=lower, upper=upper, unit=unit)  # fmt: skip
        self.horizon = mr.horizon_end(self.today)
        for dev in self.all_devices:
            self.maintenance_plan(dev)

    def maintenance_plan(self, dev) -> None:
        rng = self.rng
        did, serial, m, w_end, c_end, install, cid = dev
        if c_end is None and rng.random() > 0.08:
            return
        package = pick(rng, ("basic", "comprehensive", "custom"), (50, 35, 15))
        every_n = None
        freq = {"basic": "yearly", "comprehensive": "half_yearly"}.get(package)
        if freq is None:
            freq = pick(rng, ("quarterly", "monthly", "every_n_months", "every_n_weeks"),
                        (40, 25, 20, 15))  # fmt: skip
            every_n = {"every_n_months": 2, "every_n_weeks": 6}.get(freq)
        kind = "firmware" if rng.random() < 0.06 else "inspection"
        if kind == "firmware":
            freq, every_n = "yearly", None
        mode = "from_last" if rng.random() < 0.1 else "fixed"
        start = max(install, self.today - rng.randint(200, 700) * D)
        # a confirmed plan past the contract's end (or without one) runs two years
        end = add_months(start, 24) if mr.contract_missing(c_end, start) else c_end
        eng = rng.choice(self.eng_by_region[self.cust_region(cid)] or self.engineers)
        code = self.models[m][1]
        pid = self.next_id("maintenance_plans")
        plan_no = f"MP-{start:%Y}-{pid:05d}"
        window = 14 if freq in ("yearly", "half_yearly") else 7
        schedule = mr.Schedule(start, freq, every_n, end, mode)
        rows = self.plan_visits(pid, plan_no, schedule, eng, kind, package, window)
        next_due = min((r["due_date"] for r in rows if r["status"] == "planned"), default=None)
        name = (f"{code} 固件升级计划（{serial}）" if kind == "firmware"
                else f"{code} {LABELS[package]}（{serial}）")  # fmt: skip
        self.add("maintenance_plans", created=dt.datetime.combine(start, dt.time(9)), id=pid,
                 plan_no=plan_no, name=name, customer_id=cid, device_id=did,
                 package_id=self.package_ids[package], frequency=freq, every_n=every_n,
                 mode=mode, kind=kind, start_date=start, end_date=end,
                 due_window=WINDOWS[freq], window_days=window, responsible_id=eng,
                 no_contract_confirmed=mr.contract_missing(c_end, start), next_due=next_due,
                 active=end >= self.today,
                 risk_notes=("升级前备份 PLC 程序与系统参数；升级失败可回滚至原版本；"
                             "安排在客户停产窗口执行") if kind == "firmware" else None)  # fmt: skip
        # results first (they set the visit's findings), then visits, then their lines
        lines = [
            ln for r in rows if r["status"] in mr.FINISHED for ln in self.results(r, package, kind)
        ]
        for row in rows:
            self.buf["maintenance_visits"].append(row)
            self.buffered += 1
        for line in lines:
            self.add("visit_results", **line)
        if mr.contract_missing(c_end, start):  # visits outside a contract are billed
            self.visit_fees(rows, dev)

    def plan_visits(self, pid, plan_no, schedule, eng, kind, package, window) -> list[dict]:
        rows: list[dict] = []
        if schedule.mode == mr.Mode.FIXED:
            dues = mr.due_dates(schedule, self.cal, first=schedule.start, last=self.horizon)
            for due in dues:
                rows.append(self.visit(pid, plan_no, due, eng, kind, window))
            return rows
        last_done = None  # from last completion: the next visit follows the last done one
        while True:
            dues = mr.due_dates(schedule, self.cal, first=schedule.start, last=self.horizon,
                                last_done=last_done)  # fmt: skip
            if not dues:
                return rows
            row = self.visit(pid, plan_no, dues[0], eng, kind, window)
            rows.append(row)
            if row["status"] not in mr.FINISHED:
                if row["status"] != "planned":  # skipped / cancelled: the schedule goes on
                    last_done = dues[0].planned
                    continue
                return rows
            last_done = row["done_at"].date()

    def visit(self, pid, plan_no, due: mr.Due, eng, kind, window) -> dict:
        rng = self.rng
        row = self.templates["maintenance_visits"].copy()
        created = dt.datetime.combine(due.planned - 30 * D, dt.time(9))
        row.update(id=self.next_id("maintenance_visits"), plan_id=pid, kind=kind,
                   visit_no=mr.visit_no(plan_no, due.planned), planned_date=due.planned,
                   due_date=due.due, engineer_id=eng, created_at=created, updated_at=created,
                   skip_approved=False, backup_done=False)  # fmt: skip
        if kind == "firmware":
            row.update(version_from="V3.2.1", version_to="V3.4.0",
                       risk_notes="升级中断可能导致控制器无法启动",
                       rollback_note="保留原版本镜像，失败时刷回 V3.2.1")  # fmt: skip
        status = "planned"
        if due.due < self.today - 7 * D:
            status = pick(rng, ("done", "partly_done", "skipped", "cancelled", "planned"),
                          (80, 5, 5, 2, 8))  # fmt: skip
        elif due.due < self.today:
            status = "done" if rng.random() < 0.5 else "planned"
        elif rng.random() < 0.02:
            status = "cancelled"
        row["status"] = status
        if status in mr.FINISHED:
            late = rng.random() < 0.1
            days = rng.randint(window, window + 20) if late else rng.randint(0, window - 1)
            start = dt.datetime.combine(due.due + days * D, dt.time(9))
            arrived = self.snap(start + rng.randint(0, 6) * H, rng)
            done = min(arrived + rng.randint(2, 5) * H, self.now)
            arrived = min(arrived, done - H)
            row.update(arrived_at=arrived, departed_at=done, done_at=done, updated_at=done,
                       content="按保养清单完成：清洁、紧固、润滑、电气检查、自检",
                       result="ok", customer_rep=self.person(), accepted=status == "done",
                       backup_done=kind == "firmware")  # fmt: skip
            if done.date() < due.due:  # clamped to now: done early, with the reason
                row["note"] = "客户要求提前保养"
        elif status == "skipped":
            row.update(skip_reason=pick(rng, tuple(mr.SkipReason), (40, 20, 15, 20, 5)),
                       skipped_by_id=self.manager, skip_approved=rng.random() < 0.8,
                       updated_at=dt.datetime.combine(due.due, dt.time(10)))  # fmt: skip
        return row

    def results(self, visit: dict, package: str, kind: str) -> list[dict]:
        rng = self.rng
        lines = []
        items = FIRMWARE_ITEMS if kind == "firmware" else PACKAGE_ITEMS[package]
        failed = []
        for line, idx in enumerate(items, 1):
            item, standard, rkind, lower, upper, unit = CHECKLIST[idx]
            measured = observation = note = None
            passed: bool | None = rng.random() > 0.04
            if rkind == "number":
                centre = Decimal("0") if upper is not None else Decimal("50")
                spread = 0.03 if upper is not None else 60.0
                measured = (centre + Decimal(str(round(rng.uniform(-spread, spread), 3)))).quantize(
                    Decimal("0.001")
                )
                passed = mr.result_passed(rkind, measured, lower, upper)
                if not passed:
                    note = "超差，已调整并建议复查"
            elif rkind == "text":
                observation, passed = "V3.4.0", True
            if passed is False:
                failed.append(item)
                note = note or "不合格，需维修"
            lines.append(dict(created=visit["done_at"], visit_id=visit["id"],
                     line_no=line, item=item, standard=standard, result_kind=rkind, lower=lower,
                     upper=upper, unit=unit, measured=measured, observation=observation,
                     passed=passed, note=note))  # fmt: skip
        if failed or rng.random() < 0.1:
            visit["result"] = "issues_found"
            visit["findings"] = "；".join(failed) if failed else rng.choice(FINDINGS)
        return lines
