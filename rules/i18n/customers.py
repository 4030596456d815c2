"""Messages of the customers & devices page."""

MESSAGES: dict[str, tuple[str, str]] = {
    "customers.tab.customers": ("客户", "Customers"),
    "customers.tab.devices": ("设备", "Devices"),
    "customers.filter.grade": ("客户等级", "Grade"),
    "customers.filter.region": ("区域", "Region"),
    "customers.filter.warranty": ("保修状态", "Warranty status"),
    "customers.filter.customer": ("客户", "Customer"),
    "customers.editor_help": (
        "直接在表格中编辑；在最后一行下方添加新行；勾选行后按删除键删除。点击“保存”后一次性提交。",
        "Edit in the grid; add rows below the last one; select rows and press Delete to remove. "
        "Save applies everything in one go.",
    ),
    "customers.unknown_customer": ("找不到客户：{value}", "No such customer: {value}"),
    "customers.unknown_model": ("找不到产品型号：{value}", "No such product model: {value}"),
    "customers.ambiguous_customer": (
        "客户名称“{value}”对应多个客户，请使用客户编号",
        "Customer name '{value}' matches several customers; use the customer code",
    ),
    "customers.has_devices": (
        "客户 {value} 仍有设备或工单，不能删除",
        "Customer {value} still has devices or tickets; cannot delete",
    ),
}
