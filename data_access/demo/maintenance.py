"""Demo maintenance plans, checklists and visits."""

from __future__ import annotations

import datetime as dt

from data_access.demo.base import D, H, Plumbing, pick
from rules.customers import add_months

CHECKLIST = [
    ("清洁关键部件", "导轨、丝杠、电柜滤网无积尘油污"),
    ("紧固松动部件", "按扭矩表检查主要紧固件"),
    ("校准传感器", "测量误差在允许范围内"),
    ("润滑保养", "按润滑表加注指定油脂"),
    ("检查电气连接", "端子无松动、无过热变色"),
    ("运行自检程序", "自检无报警"),
    ("固件更新检查", "版本为最新发布版，升级前已备份"),
    ("填写维护记录", "记录完整并由客户签字确认"),
]
PACKAGE_ITEMS = {"basic": (0, 1, 3, 4, 5, 7), "comprehensive": (0, 1, 2, 3, 4, 5, 6, 7)}


class MaintenanceDemo(Plumbing):
    def maintenance(self) -> None:
        rng = self.rng
        periods = {"yearly": 12, "half_yearly": 6, "quarterly": 3, "monthly": 1}
        windows = {"yearly": "每年第二个月第一周", "half_yearly": "每半年第二个月第一周",
                   "quarterly": "每季度第一个月第二周", "monthly": "每月第一周"}  # fmt: skip
        for dev in self.all_devices:
            did, serial, m, w_end, c_end, install, cid = dev
            if c_end is None and rng.random() > 0.08:
                continue
            package = pick(rng, ("basic", "comprehensive", "custom"), (50, 35, 15))
            freq = {"basic": "yearly", "comprehensive": "half_yearly"}.get(package) or rng.choice(
                ("quarterly", "monthly")
            )
            kind = "firmware" if rng.random() < 0.06 else "inspection"
            if kind == "firmware":
                freq = "yearly"
            start = max(install, self.today - rng.randint(200, 700) * D)
            end = c_end or add_months(start, 24)
            region = self.cust_region(cid)
            eng = rng.choice(self.eng_by_region[region] or self.engineers)
            code = self.models[m][1]
            pid = self.next_id("maintenance_plans")
            visits = []
            k, due = 1, add_months(start, periods[freq])
            while due <= end and due <= self.today + 180 * D:
                visits.append(due)
                k += 1
                due = add_months(start, periods[freq] * k)
            rows = [self.visit(pid, d, eng) for d in visits]
            next_due = min((r[0] for r in rows if r[1] == "planned"), default=None)
            label = {"basic": "基础保养", "comprehensive": "全面保养", "custom": "定制保养"}[
                package
            ]
            self.add("maintenance_plans", created=dt.datetime.combine(start, dt.time(9)), id=pid,
                     plan_no=f"MP-{start:%Y}-{pid:05d}",
                     name=(f"{code} 固件升级计划（{serial}）" if kind == "firmware"
                           else f"{code} {label}（{serial}）"),
                     customer_id=cid, device_id=did, package=package, frequency=freq, kind=kind,
                     start_date=start, end_date=end, due_window=windows[freq],
                     window_days=14 if freq in ("yearly", "half_yearly") else 7,
                     responsible_id=eng, next_due=next_due, active=end >= self.today,
                     risk_notes=("升级前备份 PLC 程序与系统参数；升级失败可回滚至原版本；"
                                 "安排在客户停产窗口执行") if kind == "firmware" else None)  # fmt: skip
            items = PACKAGE_ITEMS.get(package) or sorted(rng.sample(range(8), 5))
            if kind == "firmware":
                items = (6, 5, 7)
            for seq, idx in enumerate(items, 1):
                self.add("checklist_items", plan_id=pid, seq=seq, item=CHECKLIST[idx][0],
                         standard=CHECKLIST[idx][1])  # fmt: skip
            for row in rows:
                self.buf["maintenance_visits"].append(row[2])
                self.buffered += 1

    def visit(self, pid, due, eng):
        rng = self.rng
        row = self.templates["maintenance_visits"].copy()
        created = dt.datetime.combine(due - 30 * D, dt.time(9))
        row.update(id=self.next_id("maintenance_visits"), plan_id=pid, due_date=due,
                   engineer_id=eng, created_at=created, updated_at=created)  # fmt: skip
        status = "planned"
        if due < self.today - 7 * D:
            status = pick(rng, ("done", "missed", "planned"), (88, 4, 8))
        elif due < self.today:
            status = "done" if rng.random() < 0.5 else "planned"
        row["status"] = status
        if status == "done":
            done = self.snap(dt.datetime.combine(due, dt.time(9))
                                  + rng.randint(-120, 200) * H, rng)  # fmt: skip
            done = min(done, self.now)
            issues = rng.random() < 0.15
            row.update(done_at=done, updated_at=done,
                       content="按保养清单完成：清洁、紧固、润滑、电气检查、自检",
                       result="issues_found" if issues else "ok",
                       findings=rng.choice(["主轴轴承有轻微异响，建议下次更换",
                                            "液压油已变质，建议更换", "冷却液浓度偏低，已调整",
                                            "电柜滤网堵塞严重，已更换"]) if issues else None)  # fmt: skip
        return due, status, row
