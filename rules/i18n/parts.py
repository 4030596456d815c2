"""Messages of the spare-parts domain (parts master, stock ledger, stock-take)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "parts.err.entry": (
        "单据行“{value}”应为“单据号/行号”，如 RK-202611-0001/1",
        "Doc/line '{value}' must be 'doc no./line', e.g. RK-202611-0001/1",
    ),
    "parts.err.qty_zero": ("数量不能为 0", "The quantity cannot be 0"),
    "parts.err.qty_in": (
        "此类型为入库，数量应为正数（{value}）",
        "This kind moves stock in: the quantity must be positive ({value})",
    ),
    "parts.err.qty_out": (
        "此类型为出库，数量应为负数（{value}）",
        "This kind moves stock out: the quantity must be negative ({value})",
    ),
    "parts.err.qty_positive": ("数量应大于 0", "The quantity must be above 0"),
    "parts.err.scrap_reason": ("报废须填写原因", "A scrap needs a reason"),
    "parts.err.negative": (
        "库存不足：配件 {part} 在仓库 {warehouse} 于 {date} 将短缺 {shortfall}（单据 {doc}）",
        "Not enough stock: part {part} in warehouse {warehouse} would be short by "
        "{shortfall} on {date} (document {doc})",
    ),
    "parts.err.negative_later": (
        "库存不足：配件 {part} 在仓库 {warehouse} 于 {date} 将短缺 {shortfall}，"
        "单据 {doc} 会使其后的单据 {later} 无货可出",
        "Not enough stock: part {part} in warehouse {warehouse} would be short by "
        "{shortfall} on {date}: document {doc} would break the later document {later}",
    ),
    "parts.err.same_warehouse": (
        "调拨单 {doc} 的调出与调入仓库相同",
        "Transfer {doc} moves stock into the warehouse it leaves",
    ),
    "parts.err.transfer_unbalanced": (
        "调拨单 {doc} 的调出与调入数量不相等",
        "Transfer {doc}: what leaves does not equal what arrives",
    ),
    "parts.err.unknown_part": ("配件目录中没有配件 {value}", "No part {value} in the parts master"),
    "parts.err.unknown_warehouse": ("没有仓库 {value}", "No warehouse {value}"),
    "parts.err.no_document": ("没有单据 {value}", "No document {value}"),
    "parts.err.already_cancelled": ("单据 {value} 已冲销", "Document {value} is already cancelled"),
    "parts.err.non_catalogue_reason": (
        "目录外配件须注明原因",
        "A non-catalogue part needs a reason",
    ),
    "parts.err.no_van": (
        "工程师 {value} 没有车载库存仓库",
        "Engineer {value} has no van stock warehouse",
    ),
    "parts.err.take_other": (
        "这份盘点表属于盘点单 {found}，不是 {expected}",
        "This count sheet belongs to stock-take {found}, not {expected}",
    ),
    "parts.err.take_book_edited": (
        "账面数量被修改（应为 {expected}）",
        "The book quantity was edited (it was {expected})",
    ),
    "parts.err.take_posted": ("盘点单 {value} 已过账", "Stock-take {value} is already posted"),
    "parts.err.take_choice": (
        "盘点后该行账面已变动，请选择保留盘点数或保留差异",
        "The ledger moved after the count: choose keep count or keep difference",
    ),
    "parts.err.counted_negative": ("盘点数量不能为负", "A counted quantity cannot be negative"),
}
