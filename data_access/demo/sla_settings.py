"""Demo working calendar (2026 holidays and 调休), SLA policies, escalation ladder, settings."""

from __future__ import annotations

from decimal import Decimal

from data_access.demo.base import FOLLOWUP_DAYS, Plumbing
from data_access.statutory import statutory_days
from rules import sla
from rules.tickets import FOLLOWUP_DELAY_SETTING

# the demo year's calendar, filled the way a team fills it: from the statute
CALENDAR_YEARS = (2026,)
WEEKLY = {wd: [tuple(span) for span in spans] for wd, spans in sla.DEFAULT_WEEKLY.items()}
POLICIES = {p.priority: p for p in sla.DEFAULT_POLICIES if p.customer_grade == "*"}


class SlaSettingsDemo(Plumbing):
    def calendar(self) -> None:
        entries = [e for year in CALENDAR_YEARS for e in statutory_days(year, "zh")]
        holidays = {day: name for day, kind, name in entries if kind == "holiday"}
        workdays = {day: name for day, kind, name in entries if kind == "workday"}
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
