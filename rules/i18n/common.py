"""Shell, log-in, navigation, roles and value-error messages."""

MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("售后服务台", "Aftersales Desk"),
    "app.tagline": (
        "设备制造商售后服务管理",
        "After-sales service management for equipment makers",
    ),
    "lang.label": ("语言", "Language"),
    # log-in
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.logout": ("退出登录", "Log out"),
    "login.signed_in_as": ("当前用户：{name}（{role}）", "Signed in as {name} ({role})"),
    "login.demo_warning": (
        "正在使用演示密码，请尽快修改。演示账户仅用于试用。",
        "A demo password is still in use: change it. Demo accounts are for trying the app only.",
    ),
    "setup.title": ("首次启动：创建管理员账户", "First start: create the admin account"),
    "setup.intro": (
        "数据库中还没有任何用户。请创建第一个管理员账户。",
        "The database has no users yet. Create the first admin account.",
    ),
    "setup.display_name": ("姓名", "Display name"),
    "setup.password2": ("确认密码", "Confirm password"),
    "setup.submit": ("创建管理员", "Create admin"),
    "setup.mismatch": ("两次输入的密码不一致。", "The passwords do not match."),
    # password policy (rules.access.PasswordProblem)
    "password.err.too_short": (
        "密码至少 {min} 个字符。",
        "The password needs at least {min} characters.",
    ),
    "password.err.too_long": (
        "密码最多 {max} 个字符。",
        "The password may have at most {max} characters.",
    ),
    "password.err.same_as_username": (
        "密码不能与用户名相同。",
        "The password cannot be the user name.",
    ),
    "password.err.one_character": (
        "密码不能只由同一个字符组成。",
        "The password cannot be one character repeated.",
    ),
    "setup.done": ("管理员已创建，请登录。", "Admin created. Please log in."),
    "password.change": ("修改密码", "Change password"),
    "password.current": ("当前密码", "Current password"),
    "password.new": ("新密码", "New password"),
    "password.changed": ("密码已修改。", "Password changed."),
    "password.wrong_current": ("当前密码不正确。", "The current password is wrong."),
    # roles
    "role.admin": ("系统管理员", "Administrator"),
    "role.manager": ("服务经理", "Service manager"),
    "role.agent": ("客服专员", "Customer service agent"),
    "role.engineer": ("现场服务工程师", "Field service engineer"),
    "role.parts_keeper": ("备件管理员", "Parts keeper"),
    "role.trainer": ("培训师", "Trainer"),
    "role.quality": ("质量专员", "Quality officer"),
    # navigation
    "nav.section.overview": ("概览", "Overview"),
    "nav.section.service": ("服务", "Service"),
    "nav.section.resources": ("资源", "Resources"),
    "nav.section.admin": ("管理", "Administration"),
    "page.dashboard": ("服务看板", "Dashboard"),
    "page.customers": ("客户与设备", "Customers & devices"),
    "page.tickets": ("服务工单", "Service tickets"),
    "page.maintenance": ("维护计划", "Maintenance plans"),
    "page.parts": ("备件管理", "Spare parts"),
    "page.complaints": ("客户投诉", "Complaints"),
    "page.followups": ("客户回访", "Follow-ups"),
    "page.training": ("培训管理", "Training"),
    "page.fees": ("服务费用", "Fees"),
    "page.settings": ("系统设置", "Settings"),
    "page.search": ("搜索", "Search"),
    "search.box": (
        "搜索工单、客户、序列号、备件、投诉",
        "Search tickets, customers, serials, parts, complaints",
    ),
    "search.help": (
        "输入编号、名称、电话或描述中的任意片段（至少 3 个字）；1–2 个字只匹配编号或客户名称的开头。",
        "Type any fragment of a number, name, phone or description (3 characters or more); "
        "1–2 characters match the start of a number or a customer's name only.",
    ),
    "search.too_broad": (
        "“{q}”太常见，无法快速查找，请输入更长或更具体的片段。",
        "'{q}' is too common to search quickly: type a longer or more particular fragment.",
    ),
    "search.none": ("没有找到“{q}”。", "Nothing found for '{q}'."),
    "search.kind.ticket": ("工单", "Tickets"),
    "search.kind.customer": ("客户", "Customers"),
    "search.kind.device": ("设备", "Devices"),
    "search.kind.part": ("备件", "Parts"),
    "search.kind.complaint": ("投诉", "Complaints"),
    "search.col.key": ("编号", "No."),
    "search.col.title": ("名称 / 客户", "Name / customer"),
    "search.col.detail": ("详情", "Details"),
    "search.open": ("打开工单 {no}", "Open ticket {no}"),
    "search.more": (
        "每类最多显示 {n} 条，请输入更长的片段缩小范围。",
        "At most {n} per kind: type a longer fragment to narrow.",
    ),
    "page.not_built": (
        "本模块尚未完成：数据模型已就绪，页面将在后续版本中提供。",
        "This module is not built yet: its data model exists; the page comes in a later release.",
    ),
    "page.forbidden": ("您的角色无权访问此页面。", "Your role may not open this page."),
    # generic UI
    "ui.search": ("搜索", "Search"),
    "ui.choose": ("请选择", "Choose options"),
    "ui.all": ("全部", "All"),
    "ui.save": ("保存", "Save"),
    "ui.saved": (
        "已保存：新增 {inserted}，修改 {updated}，删除 {deleted}。",
        "Saved: {inserted} added, {updated} changed, {deleted} deleted.",
    ),
    "ui.nothing_to_save": ("没有需要保存的修改。", "Nothing to save."),
    "ui.discard": ("放弃修改", "Discard changes"),
    "ui.page": ("页码", "Page"),
    "ui.page_of": ("第 {page} / {pages} 页，共 {total} 条", "Page {page} of {pages}, {total} rows"),
    "ui.page_size": ("每页条数", "Rows per page"),
    "ui.no_rows": ("没有符合条件的记录。", "No matching rows."),
    "ui.errors_title": ("有 {n} 个问题，未保存任何修改：", "{n} problems; nothing was saved:"),
    "ui.row": ("行", "Row"),
    "ui.column": ("列", "Column"),
    "ui.value": ("值", "Value"),
    "ui.message": ("问题", "Problem"),
    "ui.sheet": ("工作表", "Sheet"),
    "ui.conflict": (
        "保存冲突：{what} 已被其他用户修改。请刷新后重新编辑（您的修改未保存）。",
        "Save conflict: {what} was changed by someone else. Reload and edit again (your changes were not saved).",
    ),
    "ui.unexpected": (
        "操作未完成，发生了意外错误（编号 {ref}）。数据未被修改，请联系管理员。",
        "The action did not complete because of an unexpected error (ref {ref}). No data was changed; please tell your administrator.",
    ),
    "db.busy": (
        "数据库正忙（另一项写入尚未完成），本次操作未保存，请稍后再试。",
        "The database is busy with another write; nothing was saved. Please try again shortly.",
    ),
    "db.busy_import": (
        "正在导入「{register_zh}」（{user}，{since} 开始），本次操作未保存，请在导入完成后再试。",
        "An import of {register_en} ({user}, since {since}) is running; nothing was saved. "
        "Please try again when it has finished.",
    ),
    "ui.reload": ("刷新", "Reload"),
    "ui.close": ("关闭", "Close"),
    "ui.export": ("导出 Excel", "Export Excel"),
    "ui.download": ("下载", "Download"),
    "ui.yes": ("是", "Yes"),
    "ui.no": ("否", "No"),
    "ui.delete_blocked": (
        "无法删除 {what}：仍有其他记录引用它。",
        "Cannot delete {what}: other records still refer to it.",
    ),
    # value errors (rules/fields.py)
    "err.required": ("必填项为空", "Required value is missing"),
    "err.date": ("无法识别的日期：{value}", "Not a date: {value}"),
    "err.date_ambiguous": (
        "日期有歧义（日/月无法确定）：{value}，请写成 2025-01-03",
        "Ambiguous date (day/month unclear): {value}; write it as 2025-01-03",
    ),
    "err.number": ("不是数字：{value}", "Not a number: {value}"),
    "err.integer": ("必须是整数：{value}", "Must be a whole number: {value}"),
    "err.bool": ("应为 是/否：{value}", "Expected yes/no: {value}"),
    "err.enum": (
        "无效的选项“{value}”，可选：{allowed}",
        "Invalid option '{value}'; allowed: {allowed}",
    ),
    "err.too_long": ("超过最大长度 {max}", "Longer than {max} characters"),
    "err.min": ("不能小于 {min}", "Must be at least {min}"),
    "err.max": ("不能大于 {max}", "Must be at most {max}"),
    "err.unknown_ref": ("找不到引用的记录：{value}", "No such record: {value}"),
    "err.duplicate_key": ("编号重复：{value}", "Duplicate key: {value}"),
    "err.date_order": ("{later} 不能早于 {earlier}", "{later} cannot be before {earlier}"),
    "err.email": ("邮箱格式不正确：{value}", "Not an e-mail address: {value}"),
    "err.in_use": (
        "仍被其他记录引用，不能删除",
        "Still referred to by other records; cannot delete",
    ),
    "err.not_allowed": ("您的角色无权进行此操作：{what}", "Your role may not do this: {what}"),
    # settings page
    "settings.tab.users": ("用户与角色", "Users & roles"),
    "settings.add_user": ("新增用户", "Add user"),
    "settings.username_taken": ("用户名已存在：{value}", "Username already exists: {value}"),
    "settings.user_added": ("已新增用户 {value}。", "User {value} added."),
    "settings.role": ("角色", "Role"),
    "settings.region": ("区域", "Region"),
    "settings.active": ("启用", "Active"),
    "settings.demo_password": ("演示密码", "Demo password"),
    "settings.last_login": ("最近登录", "Last log-in"),
    "settings.display_name": ("姓名", "Name"),
    "settings.reset_password": ("重置密码", "Reset password"),
    "settings.password_reset": ("已重置 {value} 的密码。", "Password of {value} reset."),
    "settings.pick_user": ("选择用户", "User"),
    # chart axes: strftime-style (d3) formats
    "chart.day_format": ("%m-%d", "%b %d"),
    # sessions and log-in
    "login.refused": (
        "登录失败：用户名或密码错误，或账户已被锁定、停用。多次失败后账户将锁定 {minutes} 分钟。",
        "Log-in failed: wrong user name or password, or the account is locked or disabled."
        " After repeated failures an account is locked for {minutes} minutes.",
    ),
    "setup.username_short": (
        "用户名至少 {min} 个字符。",
        "The user name needs at least {min} characters.",
    ),
}

# Vega's time locale for charts in Chinese (month and weekday names in axes and
# tooltips); English is Vega's default
CHART_TIME_LOCALES: dict[str, dict[str, object]] = {
    "zh": {
        "dateTime": "%Y-%m-%d %H:%M:%S",
        "date": "%Y-%m-%d",
        "time": "%H:%M:%S",
        "periods": ["上午", "下午"],
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
    }
}
