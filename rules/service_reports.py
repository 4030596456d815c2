"""A service report's parts lines (服务报告 · 更换配件): a lines register.

Each line names its ticket (the parent document) and a line number; the natural key
is (ticket no., line no.). A part number not in the parts catalogue is refused unless
the line is marked non-catalogue (目录外) with a reason; it is then kept as typed,
without a price.
Pure stdlib: the field specs only.
"""

from __future__ import annotations

from rules.fields import Field, Kind, Problem, Register

LINE_NO_MIN = 1
QTY_MIN = 1

TICKET_PARTS = Register(
    name="ticket_parts",
    zh="服务报告配件",
    en="Report parts",
    key="line_no",
    parent="ticket",
    fields=(
        Field(
            "ticket",
            "工单号",
            "Ticket no.",
            Kind.REF,
            required=True,
            ref="tickets",
            aliases=("服务单号", "ticket", "ticket no", "sr no"),
            example="SR202601010001",
        ),
        Field(
            "line_no",
            "行号",
            "Line",
            Kind.INT,
            required=True,
            key=True,
            min_value=LINE_NO_MIN,
            aliases=("序号", "line no", "no."),
            example=1,
        ),
        Field(
            "part_no",
            "配件编号",
            "Part no.",
            Kind.REF,
            required=True,
            ref="parts",
            column="part_id",
            loose="part_no",
            max_len=60,
            aliases=("备件编号", "物料编码", "part number", "part"),
            example="P-0001",
            help_zh="目录外的编号须勾选“目录外”并注明原因（不计价）",
            help_en="A number outside the parts catalogue: tick non-catalogue and give a reason",
        ),
        Field(
            "description",
            "配件名称",
            "Description",
            max_len=200,
            aliases=("名称", "品名", "name"),
            help_zh="空白时取配件目录中的名称",
            help_en="Blank: the catalogue's name",
        ),
        Field(
            "qty",
            "数量",
            "Qty",
            Kind.INT,
            required=True,
            min_value=QTY_MIN,
            aliases=("用量", "quantity"),
            example=1,
        ),
        Field(
            "unit_price",
            "单价",
            "Unit price",
            Kind.MONEY,
            min_value=0,
            aliases=("价格", "price"),
            help_zh="空白时取配件目录中的售价",
            help_en="Blank: the catalogue's sale price",
        ),
        Field(
            "non_catalogue",
            "目录外",
            "Non-catalogue",
            Kind.BOOL,
            aliases=("非目录配件", "non catalogue"),
        ),
        Field(
            "non_catalogue_reason",
            "目录外原因",
            "Non-catalogue reason",
            max_len=200,
            aliases=("原因",),
        ),
    ),
)


def catalogue_problems(values: dict, part: dict | None) -> list[Problem]:
    """A part number not in the master is refused, unless marked non-catalogue with a
    reason; a catalogue part is never marked non-catalogue."""
    if part is not None:
        values["non_catalogue"] = False
        return []
    if values.get("part_no") is None:
        return []
    if not values.get("non_catalogue"):
        return [Problem("part_no", "parts.err.unknown_part", {"value": values["part_no"]})]
    if not values.get("non_catalogue_reason"):
        return [Problem("non_catalogue_reason", "parts.err.non_catalogue_reason", {})]
    return []


def line_defaults(values: dict, part: dict | None) -> None:
    """Blank description and price of a line: the catalogue part's name and price."""
    if part is None:
        return
    if values.get("description") is None:
        values["description"] = part.get("name")
    if values.get("unit_price") is None:
        values["unit_price"] = part.get("price")
