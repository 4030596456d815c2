"""Messages of the SLA settings page: policies, escalation ladder, working calendar."""

MESSAGES: dict[str, tuple[str, str]] = {
    "page.sla": ("服务时限与工作日历", "SLA & working calendar"),
    "sla.tab.policies": ("服务时限（SLA）", "SLA policies"),
    "sla.tab.escalation": ("升级阶梯", "Escalation ladder"),
    "sla.tab.calendar": ("工作日历", "Working calendar"),
    "sla.business_hours_note": (
        "所有时限均为工作小时：只在工作日历的工作时段内计时（节假日不计，调休上班日计入）。"
        "当前日历一个工作日为 {day} 小时，每周 {week} 小时。",
        "All limits are business (working) hours: the clock runs only in the working "
        "calendar's hours (holidays excluded, make-up working days included). "
        "A working day is {day} h on the current calendar, a week {week} h.",
    ),
    "sla.read_only": (
        "您的角色只能查看这些设置。",
        "Your role may view these settings but not change them.",
    ),
    "sla.reload": ("重新读取", "Reload"),
    "sla.saved_recomputed": (
        "已保存。已按新设置重新计算 {n} 张未完成工单的时限。",
        "Saved. Deadlines of {n} open tickets were recomputed.",
    ),
    "sla.saved": ("已保存。", "Saved."),
    "sla.conflict": (
        "保存冲突：{what} 已被其他用户修改。您的修改未保存；请点击“重新读取”查看最新设置后再编辑。",
        "Save conflict: {what} was changed by someone else. Nothing was saved; click "
        "Reload to see the current settings and edit again.",
    ),
    "sla.what.policies": ("服务时限表", "the SLA policies"),
    "sla.what.escalation": ("升级阶梯", "the escalation ladder"),
    "sla.what.calendar": ("工作日历", "the working calendar"),
    # policies
    "sla.policies.help": (
        "每个优先级必须有一行“全部等级”；可为 A/B/C 级客户另加一行（客户等级专属行优先）。"
        "在表格底部添加行，选中行后删除。保存后立即重算所有未完成工单的时限。",
        "Each priority needs an 'all grades' row; add a row for grade A, B or C to give "
        "those customers their own targets (a grade row wins). Add rows at the bottom, "
        "select rows to delete them. Saving recomputes every open ticket's deadlines.",
    ),
    "sla.col.priority": ("优先级", "Priority"),
    "sla.col.customer_grade": ("客户等级", "Customer grade"),
    "sla.col.respond_hours": ("响应时限（工作小时）", "Respond within (business h)"),
    "sla.col.resolve_hours": ("解决时限（工作小时）", "Resolve within (business h)"),
    "sla.col.onsite_hours": ("到场时限（工作小时）", "On site within (business h)"),
    "sla.col.resolve_days": ("解决时限≈工作日", "Resolve ≈ working days"),
    "sla.col.round_the_clock": ("全天候 24×7", "Round the clock (24×7)"),
    "sla.col.round_the_clock_help": (
        "勾选：该策略的时限按自然小时计，夜间、周末和节假日照常计时（如 24 小时紧急合同）；"
        "不勾选：按工作日历的工作小时计。",
        "Ticked: the limits are wall-clock hours, running through nights, weekends and "
        "holidays (a 24-hour emergency contract). Unticked: business hours on the working "
        "calendar.",
    ),
    "sla.grade.all": ("全部等级", "All grades"),
    "sla.grade.one": ("{grade} 级客户", "Grade {grade}"),
    "sla.err.positive": ("必须大于 0", "Must be greater than 0"),
    "sla.err.respond_after_resolve": (
        "响应时限不能长于解决时限",
        "The respond limit cannot be longer than the resolve limit",
    ),
    "sla.err.duplicate_policy": (
        "与第 {first} 行的优先级和客户等级重复",
        "Same priority and customer grade as row {first}",
    ),
    "sla.err.no_all_grades": (
        "该优先级缺少“全部等级”行",
        "This priority has no 'all grades' row",
    ),
    # escalation
    "sla.escalation.help": (
        "级别从 L1 开始连续编号；每级填写在该级停留的工作小时数，最高级不填（升级到此为止）。",
        "Number the levels from L1 without gaps; give each level the business hours a "
        "ticket stays at it; leave the top level empty (escalation ends there).",
    ),
    "sla.col.level": ("级别", "Level"),
    "sla.col.name_zh": ("名称（中文）", "Name (Chinese)"),
    "sla.col.name_en": ("名称（英文）", "Name (English)"),
    "sla.col.hours": ("本级停留（工作小时）", "Hours at this level (business h)"),
    "sla.col.reached_after": ("累计工作小时后到达", "Reached after (business h)"),
    "sla.err.levels": (
        "级别必须是 1 到 {n} 的连续整数且不重复",
        "Levels must be 1 to {n}, each once",
    ),
    "sla.err.no_levels": ("至少需要一个级别", "At least one level is needed"),
    "sla.err.top_hours": (
        "最高级不设停留时限，请留空",
        "The top level has no time limit: leave it empty",
    ),
    # calendar
    "sla.cal.weekly": ("每周工作时段", "Weekly working hours"),
    "sla.cal.weekly_help": (
        "每天可填多个时段，用逗号分隔，例如 09:00-12:00, 13:00-18:00；留空表示休息日。",
        "Several spans a day, separated by commas, e.g. 09:00-12:00, 13:00-18:00; "
        "leave empty for a day off.",
    ),
    "sla.cal.save_weekly": ("保存每周时段", "Save weekly hours"),
    "sla.weekday.0": ("周一", "Monday"),
    "sla.weekday.1": ("周二", "Tuesday"),
    "sla.weekday.2": ("周三", "Wednesday"),
    "sla.weekday.3": ("周四", "Thursday"),
    "sla.weekday.4": ("周五", "Friday"),
    "sla.weekday.5": ("周六", "Saturday"),
    "sla.weekday.6": ("周日", "Sunday"),
    "sla.err.span": (
        "无法识别的时段“{value}”，应为 时:分-时:分，例如 09:00-12:00",
        "Not a span: '{value}'. Write HH:MM-HH:MM, e.g. 09:00-12:00",
    ),
    "sla.err.span_order": (
        "时段“{value}”的结束时间不晚于开始时间",
        "The span '{value}' ends before it starts",
    ),
    "sla.err.no_hours": (
        "一周中至少要有一个工作时段",
        "The week needs at least one span of working hours",
    ),
    "sla.cal.days": ("节假日与调休上班日", "Holidays and make-up working days (调休)"),
    "sla.cal.days_help": (
        "节假日全天不计时；调休上班日按周一的工作时段计时。",
        "A holiday has no working hours; a make-up working day has Monday's hours.",
    ),
    "sla.cal.no_days": ("尚未登记节假日或调休上班日。", "No holidays or make-up days yet."),
    "sla.cal.day": ("日期", "Date"),
    "sla.cal.kind": ("类型", "Kind"),
    "sla.cal.name": ("名称", "Name"),
    "sla.kind.holiday": ("节假日（休息）", "Holiday (off)"),
    "sla.kind.workday": ("调休上班日", "Make-up working day"),
    "sla.cal.add": ("添加", "Add"),
    "sla.cal.added": (
        "已登记 {count} 天。已重新计算 {n} 张未完成工单的时限。",
        "{count} days recorded. Deadlines of {n} open tickets were recomputed.",
    ),
    "sla.cal.remove_pick": ("选择要删除的日期", "Dates to remove"),
    "sla.cal.remove": ("删除所选日期", "Remove selected dates"),
    "sla.cal.removed": (
        "已删除 {count} 天。已重新计算 {n} 张未完成工单的时限。",
        "{count} days removed. Deadlines of {n} open tickets were recomputed.",
    ),
    "sla.cal.bulk": ("批量粘贴", "Paste a list"),
    "sla.cal.bulk_help": (
        "每行一天：日期, 类型, 名称。类型写“休”或“节假日”表示放假，写“班”或“调休”表示调休上班。"
        "例如：2026-10-01, 休, 国庆节",
        "One day a line: date, kind, name. Kind 'holiday' (or 休) for a day off, "
        "'workday' (or 班 / 调休) for a make-up working day. E.g. 2026-10-01, holiday, National Day",
    ),
    "sla.cal.bulk_add": ("添加全部", "Add all"),
    "sla.cal.statutory": ("按国家规定填入节假日", "Fill statutory holidays"),
    "sla.cal.statutory_help": (
        "按国务院公布的放假安排（来自 holidays 软件包），填入一年的法定节假日和调休上班日。"
        "先预览，再保存；已手工登记的日期一律保留，不会被覆盖。",
        "Adds a year's public holidays and make-up working days (调休) as the State Council "
        "published them (from the holidays package). Review first, then save; a day you set "
        "by hand is always kept, never overwritten.",
    ),
    "sla.cal.year": ("年份", "Year"),
    "sla.cal.statutory_show": ("预览", "Preview"),
    "sla.cal.statutory_save": ("保存这 {count} 天", "Save these {count} days"),
    "sla.cal.statutory_none": (
        "这一年的法定节假日和调休上班日都已在日历中。",
        "Every statutory holiday and make-up day of that year is already in the calendar.",
    ),
    "sla.cal.statutory_kept": (
        "以下日期已手工登记，与规定不同，保持不变：",
        "These days were set by hand and differ from the statute; they stay as they are:",
    ),
    "sla.cal.statutory_says": ("规定为", "the statute says"),
    "sla.err.year_unknown": (
        "{year} 年的放假安排尚未收录（国务院通常在上一年年底公布，软件包随后更新）。"
        "请手工登记，或更新后再试。",
        "The {year} holiday schedule is not known yet (the State Council publishes it late in "
        "the year before; the holidays package follows). Enter the days by hand, or update "
        "and try again.",
    ),
    "sla.err.kind": (
        "无法识别的类型“{value}”，应为 节假日/休 或 调休/班",
        "Unknown kind '{value}': use holiday (休) or workday (班 / 调休)",
    ),
    "sla.err.duplicate_day": ("与第 {first} 行日期重复", "Same date as line {first}"),
    "sla.tab.followup": ("回访", "Follow-up"),
    "sla.followup.days": ("关闭后几天回访", "Follow-up call, days after closing"),
    "sla.followup.help": (
        "工单关闭时自动生成回访任务，到期日 = 关闭日期 + 天数（0 = 当天）",
        "Closing a ticket schedules its follow-up call: due = closing date + days (0 = same day)",
    ),
    "sla.followup.saved": (
        "已保存：关闭后 {days} 天回访",
        "Saved: follow-up {days} days after closing",
    ),
    "sla.what.followup": ("回访设置", "the follow-up setting"),
    "sla.cal.rest_day": ("休息（不计时）", "Rest day (clock stopped)"),
}
