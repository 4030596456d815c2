"""Messages of backup and restore (settings page tab, CLI errors)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "settings.tab.backup": ("备份与恢复", "Backup & restore"),
    "backup.create": ("立即备份", "Back up now"),
    "backup.created": (
        "已备份：{file}（{rows} 行，{size}，{seconds} 秒）",
        "Backup written: {file} ({rows} rows, {size}, {seconds} s)",
    ),
    "backup.list": ("备份文件", "Backups"),
    "backup.none": ("文件夹中还没有备份", "No backups in the folder yet"),
    "backup.col.file": ("文件", "File"),
    "backup.col.taken_at": ("备份时间", "Taken at"),
    "backup.col.size_kib": ("大小 (KiB)", "Size (KiB)"),
    "backup.pick": ("选择备份", "Backup"),
    "backup.download": ("下载", "Download"),
    "backup.verify": ("校验", "Verify"),
    "backup.verified": (
        "校验通过：{file} 的 {tables} 张表共 {rows} 行已恢复到临时数据库，行数和校验和一致",
        "Verified: {file} restored into a scratch database, {rows} rows in {tables} tables, "
        "counts and checksums match",
    ),
    "backup.schedule": ("定时备份", "Scheduled backups"),
    "backup.schedule.enabled": ("启用定时备份", "Back up on a schedule"),
    "backup.schedule.folder": ("备份文件夹（服务器上）", "Folder (on the server)"),
    "backup.schedule.every_hours": ("间隔（小时）", "Every (hours)"),
    "backup.schedule.keep": ("保留份数", "Keep the newest"),
    "backup.schedule.save": ("保存计划", "Save schedule"),
    "backup.schedule.saved": ("定时备份设置已保存", "Schedule saved"),
    "backup.restore": ("从备份恢复", "Restore from a backup"),
    "backup.restore.warning": (
        "恢复会用备份替换当前全部数据（恢复前会自动再备份一次当前数据）。所有用户需重新登录。",
        "Restoring replaces all current data with the backup (the current data is backed "
        "up first). Everyone must sign in again.",
    ),
    "backup.restore.confirm": (
        "请输入 {word} 以确认",
        "Type {word} to confirm",
    ),
    "backup.restore.button": ("恢复", "Restore"),
    "backup.restore.unconfirmed": (
        "未确认：请输入 {word}",
        "Not confirmed: type {word}",
    ),
    "backup.restored": (
        "已从 {file} 恢复 {rows} 行（恢复前的数据已备份到 {before}）。请重新登录。",
        "Restored {rows} rows from {file} (the data before it is in {before}). "
        "Please sign in again.",
    ),
    "backup.upload": ("上传备份文件（.zip）", "Upload a backup file (.zip)"),
    "backup.upload.button": ("加入备份文件夹", "Add to the folder"),
    "backup.uploaded": ("已加入备份文件夹：{file}", "Added to the folder: {file}"),
    "backup.err.admin_only": (
        "只有系统管理员可以备份或恢复",
        "Only administrators may back up or restore",
    ),
    "backup.err.no_file": ("找不到备份文件：{value}", "No such backup file: {value}"),
    "backup.err.not_a_backup": (
        "此文件不是本系统的备份",
        "This file is not a backup of this app",
    ),
    "backup.err.format_version": (
        "不支持的备份格式版本：{value}",
        "Unsupported backup format version: {value}",
    ),
    "backup.err.damaged": (
        "备份文件已损坏：{value}",
        "The backup file is damaged: {value}",
    ),
    "backup.err.checksum": (
        "备份文件已损坏：表 {table} 的行数或校验和与清单不符",
        "The backup file is damaged: table {table} does not match its row count or checksum",
    ),
    "backup.err.unknown_table": (
        "备份中有本系统不认识的表：{table}",
        "The backup holds a table this app does not know: {table}",
    ),
    "backup.err.missing_table": (
        "备份中缺少表 {table}",
        "The backup lacks table {table}",
    ),
    "backup.err.columns": (
        "备份中表 {table} 的列与数据库不一致",
        "The columns of table {table} in the backup differ from the database's",
    ),
    "backup.err.revision": (
        "备份的数据库版本为 {value}，当前数据库为 {current}：请用生成该备份的程序版本恢复后再升级",
        "The backup is at schema revision {value}, the database at {current}: restore it "
        "with the app version that wrote it, then migrate",
    ),
    "backup.err.not_empty": (
        "目标数据库已有数据：确认要替换时请使用 --force",
        "The database already holds data: use --force to replace it",
    ),
    "backup.err.rejected": (
        "数据库拒绝了备份中的数据，未做任何更改：{value}",
        "The database refused the backup's data; nothing was changed: {value}",
    ),
    "backup.err.verify_mismatch": (
        "校验失败：恢复后表 {table} 的内容与备份清单不符",
        "Verification failed: table {table} differs from the manifest after restoring",
    ),
    "backup.err.memory_db": (
        "内存数据库无法备份",
        "An in-memory database cannot be backed up",
    ),
    "backup.err.not_sqlite": (
        "只有 SQLite 数据库可以复制为 .db 文件",
        "Only a SQLite database can be copied as a .db file",
    ),
    "backup.err.schedule": (
        "定时备份设置无效：文件夹不能为空，间隔须大于 0，保留份数至少为 1",
        "Invalid schedule: the folder is required, the interval must be above 0 and at "
        "least 1 backup kept",
    ),
}
