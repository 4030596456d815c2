"""Messages of the Excel import/export engine (imports/)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # row problems
    "imports.ref_ambiguous": (
        "“{value}”对应多条记录，请使用编号",
        "'{value}' matches several records; use the code",
    ),
    "imports.cell_error": ("单元格错误值 {value}", "Cell holds the error value {value}"),
    "imports.duplicate_in_file": (
        "编号在文件中重复（第 {rows} 行）",
        "Key appears more than once in the file (rows {rows})",
    ),
    "imports.missing_column": ("缺少必填列：{field}", "Required column missing: {field}"),
    "imports.unknown_column": ("无法识别的列，已忽略：{value}", "Unknown column, ignored: {value}"),
    "imports.duplicate_column": (
        "工作表“{sheet}”中有多列对应字段“{field}”：导入 {used} 列，忽略 {ignored} 列。"
        "如需导入其他列，请在列对应关系中修改",
        "Sheet '{sheet}': several columns map to {field}; column {used} is imported, "
        "{ignored} ignored. Change the column mapping to import another one",
    ),
    "imports.no_header": (
        "在前 {rows} 行中找不到表头，请检查工作表",
        "No header row found in the first {rows} rows; check the sheet",
    ),
    "imports.no_rows": ("文件中没有数据行", "The file has no data rows"),
    # file cannot be read (ReadError codes)
    "imports.err.too_large": (
        "文件过大（{size} MB），上限为 {limit} MB",
        "The file is too large ({size} MB); the limit is {limit} MB",
    ),
    "imports.err.bomb": (
        "文件解压后过大或压缩比异常（{detail}），已拒绝",
        "The file expands to an absurd size ({detail}); refused",
    ),
    "imports.err.dimension": (
        "工作表“{sheet}”的范围 {ref} 过大（{cells} 个单元格），请删除多余的单元格或行列后重试",
        "Sheet '{sheet}' spans {ref} ({cells} cells), which is absurd; delete the stray cells "
        "or rows and try again",
    ),
    "imports.err.password": (
        "文件受密码保护，请先在 Excel 中取消密码后再导入",
        "The file is password protected; remove the password in Excel and try again",
    ),
    "imports.err.corrupt": (
        "文件已损坏或不完整，无法读取",
        "The file is damaged or incomplete and cannot be read",
    ),
    "imports.err.not_excel": (
        "不是可识别的 Excel 或 CSV 文件（支持 .xlsx .xlsm .xls .csv）",
        "Not a readable Excel or CSV file (.xlsx .xlsm .xls .csv are supported)",
    ),
    "imports.err.encoding": (
        "无法识别 CSV 文件的编码（支持 UTF-8 与 GBK/GB18030）",
        "Cannot tell the CSV file's encoding (UTF-8 and GBK/GB18030 are supported)",
    ),
    "imports.err.no_sheet": ("找不到工作表：{sheet}", "No such sheet: {sheet}"),
    "imports.err.not_available": (
        "“{register}”台账尚未开放导入导出",
        "The '{register}' register is not available yet",
    ),
    "imports.err.no_tables": (
        "数据库尚未初始化（缺少数据表），请先运行数据库迁移",
        "The database is not set up (tables missing); run the migrations first",
    ),
    "imports.err.nothing_to_undo": ("没有可撤销的导入", "There is no import to undo"),
    "imports.err.undo_edited": (
        "无法撤销：导入后已有 {n} 条记录被修改或删除（如 {value}）",
        "Cannot undo: {n} rows were edited or deleted since the import (e.g. {value})",
    ),
    "imports.err.undo_in_use": (
        "无法撤销：导入新增的记录已被其他记录引用（如 {value}）",
        "Cannot undo: rows added by the import are now referred to by other records (e.g. {value})",
    ),
    # report
    "imports.report": (
        "新增 {inserted}，更新 {updated}，未变 {unchanged}，拒绝 {rejected}",
        "{inserted} new, {updated} updated, {unchanged} unchanged, {rejected} rejected",
    ),
    "imports.done": ("导入完成：{summary}", "Import done: {summary}"),
    "imports.example_skipped": (
        "第 {rows} 行与模板的示例行相同，未导入",
        "Row {rows} is the template's example row and was not imported",
    ),
    "imports.totals_skipped": (
        "第 {rows} 行是表末的合计行，未导入",
        "Row {rows} is a totals row below the data and was not imported",
    ),
    "imports.not_written": (
        "存在问题，未写入任何数据：{summary}",
        "Problems found; nothing was written: {summary}",
    ),
    "imports.undone": (
        "已撤销导入“{file}”：删除 {deleted} 条，恢复 {restored} 条",
        "Import '{file}' undone: {deleted} rows removed, {restored} rows restored",
    ),
    "imports.error_column": ("错误说明", "Errors"),
    "imports.action": ("操作", "Action"),
    "imports.action.insert": ("新增", "New"),
    "imports.action.update": ("更新", "Update"),
    "imports.action.unchanged": ("未变", "Unchanged"),
    "imports.required_note": ("必填", "Required"),
    "imports.example_note": ("示例行，导入前请删除", "Example row: delete before importing"),
    # panel
    "imports.panel.title": ("Excel 导入导出", "Excel import / export"),
    "imports.panel.upload": ("上传 Excel 或 CSV 文件", "Upload an Excel or CSV file"),
    "imports.panel.limit": ("文件上限 {limit} MB", "Up to {limit} MB"),
    "imports.panel.sheet": ("工作表", "Sheet"),
    "imports.panel.mapping": ("列对应关系", "Column mapping"),
    "imports.panel.mapping_help": (
        "文件中的每一列对应到哪个字段；选“（忽略）”则不导入该列。确认导入后会记住此设置。",
        "Which field each column of the file fills; '(ignore)' skips it. Remembered after "
        "a successful import.",
    ),
    "imports.panel.file_column": ("文件中的列", "Column in the file"),
    "imports.panel.field": ("字段", "Field"),
    "imports.panel.ignore": ("（忽略）", "(ignore)"),
    "imports.panel.preview": ("预览", "Preview"),
    "imports.panel.sample": ("数据样例", "Sample rows"),
    "imports.panel.problems": ("问题清单", "Problems"),
    "imports.panel.skip_bad": (
        "跳过有问题的行，只导入正确的行",
        "Skip bad rows, import the good ones",
    ),
    "imports.panel.commit": ("确认导入", "Import"),
    "imports.panel.rejected": (
        "下载被拒绝的行（可修改后重新上传）",
        "Download rejected rows (fix and re-upload)",
    ),
    "imports.panel.export_selection": ("导出当前筛选结果", "Export the filtered list"),
    "imports.panel.export": ("导出当前台账", "Export this register"),
    "imports.panel.template": ("下载空白模板", "Download blank template"),
    "imports.panel.undo": ("撤销最近一次导入", "Undo the last import"),
    "imports.panel.no_import_right": (
        "您的角色可以导出，但不能导入。",
        "Your role may export but not import.",
    ),
    "imports.panel.counts": ("计数", "Counts"),
    # command line
    "imports.cli.unknown_register": (
        "未知台账：{register}（可用：{available}）",
        "Unknown register: {register} (available: {available})",
    ),
    "imports.cli.written": ("已写入 {path}（{rows} 行）", "Wrote {path} ({rows} rows)"),
    # hostile files
    "imports.err.refused": (
        "文件被拒绝：解析进程异常终止（{detail}），文件可能已损坏或被刻意构造",
        "File refused: the parser stopped ({detail}); the file is damaged or crafted",
    ),
    "imports.err.refused_memory": (
        "文件被拒绝：读取它需要超过 {limit} MB 内存",
        "File refused: reading it needs more than {limit} MB of memory",
    ),
    "imports.err.refused_time": (
        "文件被拒绝：读取超过 {seconds} 秒",
        "File refused: reading it takes longer than {seconds} s",
    ),
    "imports.err.wide": (
        "文件被拒绝：工作表“{sheet}”引用了超出 XFD 的列（{ref}）",
        "File refused: sheet '{sheet}' refers to a column beyond XFD ({ref})",
    ),
    "imports.err.sparse": (
        "文件被拒绝：工作表“{sheet}”的范围 {ref} 中只有 {cells} 个单元格，请删除远处的零散单元格",
        "File refused: sheet '{sheet}' spans {ref} but holds only {cells} cells; "
        "delete the stray cells far away",
    ),
    "imports.err.encoding_guess": (
        "文件被拒绝：文件编码似乎是 {encoding}，请另存为 UTF-8 或 GB18030 编码的 CSV",
        "File refused: the file seems to be encoded as {encoding}; "
        "save it as CSV in UTF-8 or GB18030",
    ),
    "imports.err.nul": (
        "单元格含有空字符（NUL），请删除后重新导入",
        "The cell holds a NUL character; remove it and import again",
    ),
    "imports.cli.cannot_write": ("无法写入 {path}：{reason}", "Cannot write {path}: {reason}"),
    "imports.cli.no_folder": ("文件夹不存在：{folder}", "No such folder: {folder}"),
}
