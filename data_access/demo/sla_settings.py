"""Demo working calendar (2026 holidays and 调休), SLA policies, escalation ladder, settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from data_access.demo.base import FOLLOWUP_DAYS, D, Plumbing
from rules import sla
from rules.tickets import FOLLOWUP_DELAY_SETTING

HOLIDAYS_2026 = [
    (dt.date(2026, 1, 1), 3, "元旦"),
    (dt.date(2026, 2, 15), 9, "春节"),
    (dt.date(2026, 4, 4), 3, "清明节"),
    (dt.date(2026, 5, 1), 5, "劳动节"),
    (dt.date(2026, 6, 19), 3, "端午节"),
    (dt.date(2026, 9, 25), 3, "中秋节"),
    (dt.date(2026, 10, 1), 7, "国庆节"),
]
MAKEUP_2026 = [
    (dt.date(2026, 1, 4), "元旦调休上班"),
    (dt.date(2026, 2, 14), "春节调休上班"),
    (dt.date(2026, 2, 28), "春节调休上班"),
    (dt.date(2026, 5, 9), "劳动节调休上班"),
    (dt.date(2026, 9, 20), "国庆节调休上班"),
    (dt.date(2026, 10, 10), "国庆节调休上班"),
]
WEEKLY = {wd: [tuple(span) for span in spans] for wd, spans in sla.DEFAULT_WEEKLY.items()}
POLICIES = {p.priority: p for p in sla.DEFAULT_POLICIES if p.customer_grade == "*"}


class SlaSettingsDemo(Plumbing):
    def calendar(self) -> None:
        holidays: dict[dt.date, str] = {}
        for first, days, name in HOLIDAYS_2026:
            for k in range(days):
                holidays[first + k * D] = name
        workdays = dict(MAKEUP_2026)
        weekly = {str(d): [list(s) for s in spans] for d, spans in WEEKLY.items()}
        cal = self.add("working_calendars", name="默认日历", weekly=weekly, is_default=True)
        for day, name in holidays.items():
            self.add("calendar_days", calendar_id=cal, day=day, kind="holiday", name=name)
        for day, name in workdays.items():
            self.add("calendar_days", calendar_id=cal, day=day, kind="workday", name=name)
        self.cal = sla.WorkingCalendar(
            weekly=WEEKLY, holidays=frozenset(holidays), extra_workdays=frozenset(workdays)
        )

    def sla(self) -> None:
        def dec(hours):
            return None if hours is None else Decimal(str(hours))

        for p in sla.DEFAULT_POLICIES:
            self.add("sla_policies", priority=p.priority, customer_grade=p.customer_grade,
                     respond_hours=dec(p.respond_hours), resolve_hours=dec(p.resolve_hours),
                     onsite_hours=dec(p.onsite_hours))  # fmt: skip
        # escalate at the cumulative business hours of the ladder (4 h, 13.5 h, 42 h)
        self.escalate_after: list[tuple[int, float]] = []
        total = 0.0
        for lv in sla.DEFAULT_ESCALATION:
            self.add("escalation_levels", level=lv.level, name_zh=lv.zh, name_en=lv.en,
                     hours=dec(lv.hours))  # fmt: skip
            if lv.hours is not None:
                total += lv.hours * 3600
                self.escalate_after.append((lv.level + 1, total))

    def settings(self) -> None:
        for key, value in (
            (FOLLOWUP_DELAY_SETTING, FOLLOWUP_DAYS),
            ("warranty_expiring_days", 30),
            ("company_name", "示例装备制造有限公司售后服务部"),
            ("demo.reference_now", self.now.isoformat(sep=" ")),
            ("demo.seed", self.seed),
        ):
            self.add("settings", key=key, value=value)
