"""Messages of the register machinery itself: lines, ledgers, conflicts."""

MESSAGES: dict[str, tuple[str, str]] = {
    "ui.any": ("全部", "Any"),
    "err.not_deletable": (
        "此类记录不能删除（历史记录引用它们）：请改为停用",
        "These rows cannot be deleted (history refers to them): deactivate them instead",
    ),
    "settings.users_help": (
        "用户不能删除，请改为停用；表格或 Excel 新增的用户没有密码，需由管理员重置后才能登录。",
        "Users are deactivated, never deleted. A user added in the grid or from Excel has "
        "no password until an administrator resets one.",
    ),
    "users.err.last_admin": (
        "至少需要保留一名启用的系统管理员",
        "At least one active administrator must remain",
    ),
    "err.ledger": (
        "台账只能追加：更正请录入冲销行，不能修改或删除",
        "A ledger only takes new rows: post a reversing row instead of editing or deleting",
    ),
    "lines.err.parent_closed": (
        "单据 {value} 已关闭，明细不能再修改（请先重新打开）",
        "Document {value} is closed: its lines cannot change (reopen it first)",
    ),
    "lines.add": ("添加行", "Add line"),
    "lines.save": ("保存明细", "Save lines"),
    "lines.saved": (
        "已保存：新增 {inserted}，修改 {updated}，删除 {deleted}",
        "Saved: {inserted} added, {updated} changed, {deleted} removed",
    ),
    "lines.nothing": ("明细没有修改", "The lines have not changed"),
    "lines.problems": ("明细有问题，未保存：", "The lines were not saved:"),
    "lines.conflict": (
        "明细已被他人修改（{value}），请刷新后重试",
        "Someone else changed these lines ({value}): reload and try again",
    ),
}
