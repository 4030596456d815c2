"""Messages of the audit log page (admins only)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "page.audit": ("审计日志", "Audit log"),
    "audit.help": (
        "记录谁在何时做了什么：登录、用户与密码、设置与时限、数据修改、导入导出。"
        "日志只能追加，数据库拒绝修改或删除。",
        "Who did what and when: log-ins, users and passwords, settings and SLA, data "
        "changes, imports and exports. The log is append-only: the database refuses to "
        "change or delete a row.",
    ),
    "audit.from": ("开始日期", "From"),
    "audit.to": ("结束日期", "To"),
    "audit.user": ("用户", "User"),
    "audit.entity": ("对象", "Entity"),
    "audit.action": ("操作", "Action"),
    "audit.key_text": ("键包含", "Key contains"),
    "audit.count": ("共 {n} 条", "{n} rows"),
    "audit.count_limited": (
        "共 {n} 条，显示最新的 {shown} 条（导出包含全部）",
        "{n} rows; the newest {shown} are shown (the export holds them all)",
    ),
    "audit.none": ("没有符合条件的记录", "No rows match"),
    "audit.export": ("导出 Excel", "Export to Excel"),
    "audit.exported": ("已导出 {n} 条", "{n} rows exported"),
    # actions
    "audit.action.insert": ("新增", "Insert"),
    "audit.action.update": ("修改", "Update"),
    "audit.action.delete": ("删除", "Delete"),
    "audit.action.import": ("导入", "Import"),
    "audit.action.undo_import": ("撤销导入", "Undo import"),
    "audit.action.restore": ("从备份恢复", "Restore"),
    "audit.action.backup": ("备份", "Backup"),
    "audit.action.schedule": ("备份计划", "Backup schedule"),
    "audit.action.login": ("登录成功", "Log-in"),
    "audit.action.login_failed": ("登录失败", "Failed log-in"),
    "audit.action.login_locked": ("登录被拒（已锁定）", "Log-in refused (locked)"),
    "audit.action.login_inactive": ("登录被拒（已停用）", "Log-in refused (disabled)"),
    "audit.action.password_change": ("修改密码", "Password changed"),
    "audit.action.password_reset": ("重置密码", "Password reset"),
    "audit.action.user_create": ("新建用户", "User created"),
    "audit.action.admin_reset": ("命令行恢复管理员", "Admin reset (command line)"),
    "audit.action.setting": ("修改设置", "Setting changed"),
    "audit.action.export": ("导出", "Export"),
    "audit.action.money": ("金额变更", "Amount changed"),
}
