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
    "parts.err.no_open_suggestion": (
        "配件 {value} 没有待采购的补货建议",
        "Part {value} has no open reorder suggestion",
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

MESSAGES.update(
    {
        "parts.tab.stock": ("库存", "Stock"),
        "parts.tab.card": ("配件卡片", "Part card"),
        "parts.tab.master": ("配件目录", "Parts master"),
        "parts.tab.document": ("出入库单", "Stock documents"),
        "parts.tab.reorder": ("补货建议", "Reorder"),
        "parts.tab.ledger": ("配件台账", "Stock ledger"),
        "parts.tab.warehouses": ("仓库", "Warehouses"),
        "parts.tab.mine": ("我的工单配件", "My tickets' parts"),
        "parts.mine.empty": ("您的未完成工单上没有配件行。", "No part lines on your open tickets."),
        "parts.mine.to_pick": (
            "{n} 行尚未出库且车载库存不足：请到仓库领取",
            "{n} lines not issued and short on your van: pick them up at the store",
        ),
        "parts.col.ticket_no": ("工单号", "Ticket no."),
        "parts.col.status": ("工单状态", "Ticket status"),
        "parts.col.issued": ("已出库", "Issued"),
        "parts.col.on_van": ("车载库存", "On my van"),
        "parts.col.short": ("需领取", "To pick up"),
        "parts.warehouse": ("仓库", "Warehouse"),
        "parts.to_warehouse": ("调入仓库", "To warehouse"),
        "parts.below_reorder": ("低于再订货点", "At or below reorder point"),
        "parts.key_only": ("仅关键件", "Key parts only"),
        "parts.idle_days": ("N 天无变动", "No movement for N days"),
        "parts.rows": ("共 {n} 行", "{n} rows"),
        "parts.value_total": ("库存金额合计：{value}", "Stock value in total: {value}"),
        "parts.no_warehouse": ("没有可查看的仓库", "No warehouse to show"),
        "parts.card_part": ("配件编号", "Part no."),
        "parts.card_hint": ("输入配件编号查看其台账", "Type a part no. to see its ledger"),
        "parts.avg_cost": ("移动平均成本", "Moving-average cost"),
        "parts.price": ("销售价", "Sale price"),
        "parts.ledger_more": ("下一页", "Next page"),
        "parts.ledger_first": ("回到最新", "Back to newest"),
        "parts.ledger_help": (
            "台账只增不改：更正请在“出入库单”中冲销单据",
            "The ledger only grows: to correct, cancel the document under Stock documents",
        ),
        "parts.post": ("过账", "Post"),
        "parts.posted": ("已过账：{doc}", "Posted: {doc}"),
        "parts.no_lines": ("请至少填写一行配件", "Enter at least one part line"),
        "parts.cancel_doc": ("冲销单据号", "Document no. to cancel"),
        "parts.cancel": ("冲销", "Cancel document"),
        "parts.reorder_help": (
            "{n} 条补货建议：配件的预计库存（库存 + 在途 − 预留）不高于再订货点时生成，"
            "入库后自动关闭",
            "{n} suggestions: made when a part's projected stock (on hand + on order − "
            "reserved) is at or below its reorder point, closed by its receipt",
        ),
        "parts.export_purchase": ("导出采购清单", "Export purchase list"),
        "parts.reorder.check": ("立即检查补货", "Check now"),
        "parts.reorder.checked": ("新增 {n} 条补货建议", "{n} new suggestions"),
        "parts.reorder.ordered": ("标记已下单", "Mark ordered"),
        "parts.reorder.need_ref": ("请填写采购单号", "Enter the purchase order no."),
        "parts.reorder.marked": ("{value} 已标记为已下单", "{value} marked ordered"),
        "parts.col.suggestion_status": ("状态", "Status"),
        "parts.col.purchase_ref": ("采购单号", "Purchase order no."),
        "parts.col.suggested_at": ("建议时间", "Suggested at"),
        "parts.suggestion.open": ("待采购", "To order"),
        "parts.suggestion.ordered": ("已下单（在途）", "Ordered (on order)"),
        "parts.suggestion.closed": ("已关闭", "Closed"),
        "parts.col.warehouse": ("仓库", "Warehouse"),
        "parts.col.part_no": ("配件编号", "Part no."),
        "parts.col.name": ("配件名称", "Name"),
        "parts.col.qty": ("数量", "Qty"),
        "parts.col.reorder_point": ("再订货点", "Reorder point"),
        "parts.col.key": ("关键件", "Key part"),
        "parts.col.bin": ("货位", "Bin"),
        "parts.col.value": ("库存金额", "Stock value"),
        "parts.col.date": ("日期", "Date"),
        "parts.col.entry": ("单据行", "Doc/line"),
        "parts.col.kind": ("类型", "Kind"),
        "parts.col.reference": ("关联单号", "Reference"),
        "parts.col.note": ("备注", "Note"),
        "parts.col.supplier": ("供应商", "Supplier"),
        "parts.col.reason": ("报废原因", "Scrap reason"),
        "parts.col.unit_cost": ("单位成本", "Unit cost"),
    }
)

MESSAGES.update(
    {
        "parts.tab.stocktake": ("盘点", "Stock-take"),
        "parts.take_new": ("新建盘点单", "New stock-take"),
        "parts.take_none": ("还没有盘点单", "No stock-take yet"),
        "parts.take_no": ("盘点单", "Stock-take"),
        "parts.take_sheet": ("下载盘点表", "Download count sheet"),
        "parts.take_upload": ("上传已填写的盘点表", "Upload the filled count sheet"),
        "parts.take_record": ("录入盘点数", "Record counts"),
        "parts.take_recorded": ("已录入 {n} 行盘点数", "{n} counted rows recorded"),
        "parts.take_book": ("账面数量", "Book qty"),
        "parts.take_counted": ("实盘数量", "Counted qty"),
        "parts.take_diff": ("差异", "Difference"),
        "parts.take_moved": ("盘点后有变动", "Moved since count"),
        "parts.take_keep_count": ("保留盘点数", "Keep count"),
        "parts.take_keep_difference": ("保留差异", "Keep difference"),
        "parts.take_approve": ("审核过账", "Approve and post"),
    }
)

MESSAGES["parts.show_value"] = ("计算库存金额（移动平均成本）", "Stock value (moving-average cost)")
MESSAGES["parts.mine.non_catalogue"] = ("（目录外）", "(non-catalogue)")
