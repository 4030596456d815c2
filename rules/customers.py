"""Customers and installed devices: field specs, warranty and contract status."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rules.fields import Field, Kind, Option, Problem, Register

WARRANTY_MONTHS_DEFAULT = 12
EXPIRING_DAYS_DEFAULT = 30


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class WarrantyStatus(StrEnum):
    IN_WARRANTY = "in_warranty"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    NONE = "none"


GRADE_OPTIONS = (
    Option("A", "A 重点客户", "A key customer", ("重点", "key", "VIP")),
    Option("B", "B 普通客户", "B regular customer", ("普通", "regular")),
    Option("C", "C 一般客户", "C occasional customer", ("一般", "occasional")),
)
WARRANTY_OPTIONS = (
    Option(WarrantyStatus.IN_WARRANTY, "保修期内", "In warranty", ("在保",)),
    Option(WarrantyStatus.EXPIRING, "即将过保", "Expiring soon"),
    Option(WarrantyStatus.EXPIRED, "已过保", "Out of warranty", ("过保", "保外")),
    Option(WarrantyStatus.UNKNOWN, "未知", "Unknown"),
)
CONTRACT_OPTIONS = (
    Option(ContractStatus.ACTIVE, "维保合同有效", "Contract active", ("有效",)),
    Option(ContractStatus.EXPIRED, "维保合同已到期", "Contract expired", ("到期",)),
    Option(ContractStatus.NONE, "无维保合同", "No contract", ("无",)),
)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, clamped to the month's last day (Jan 31 + 1 → Feb 28)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def default_warranty_end(install_date: dt.date, months: int = WARRANTY_MONTHS_DEFAULT) -> dt.date:
    """Warranty runs `months` from installation (domain default: one year)."""
    return add_months(install_date, months) - dt.timedelta(days=1)


def warranty_status(
    warranty_end: dt.date | None, today: dt.date, expiring_days: int = EXPIRING_DAYS_DEFAULT
) -> WarrantyStatus:
    if warranty_end is None:
        return WarrantyStatus.UNKNOWN
    if warranty_end < today:
        return WarrantyStatus.EXPIRED
    if (warranty_end - today).days <= expiring_days:
        return WarrantyStatus.EXPIRING
    return WarrantyStatus.IN_WARRANTY


def contract_status(contract_end: dt.date | None, today: dt.date) -> ContractStatus:
    if contract_end is None:
        return ContractStatus.NONE
    return ContractStatus.ACTIVE if contract_end >= today else ContractStatus.EXPIRED


def is_covered(status: WarrantyStatus | str | None) -> bool:
    """In warranty (expiring still counts): labour and original parts are free."""
    return status in (WarrantyStatus.IN_WARRANTY, WarrantyStatus.EXPIRING)


# ---------------------------------------------------------------- checks
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_customer(row: dict[str, Any]) -> list[Problem]:
    email = row.get("email")
    if email and not _EMAIL.match(email):
        return [Problem("email", "err.email", {"value": email})]
    return []


def _check_device(row: dict[str, Any]) -> list[Problem]:
    problems = []
    install, warranty = row.get("install_date"), row.get("warranty_end")
    if install and warranty and warranty < install:
        problems.append(
            Problem(
                "warranty_end",
                "err.date_order",
                {"later": "warranty_end", "earlier": "install_date"},
            )
        )
    contract = row.get("contract_end")
    if install and contract and contract < install:
        problems.append(
            Problem(
                "contract_end",
                "err.date_order",
                {"later": "contract_end", "earlier": "install_date"},
            )
        )
    return problems


CUSTOMERS = Register(
    name="customers",
    zh="客户台账",
    en="Customer register",
    key="code",
    fields=(
        Field(
            "code",
            "客户编号",
            "Customer code",
            key=True,
            required=True,
            max_len=40,
            aliases=("客户代码", "编号", "customer no", "code"),
            example="C0001",
            help_zh="唯一编号，保留前导零",
            help_en="Unique code; leading zeros are kept",
        ),
        Field(
            "name",
            "客户名称",
            "Customer name",
            required=True,
            max_len=200,
            aliases=("客户", "单位名称", "公司名称", "customer", "company"),
            example="华东精密机械有限公司",
        ),
        Field(
            "grade",
            "客户等级",
            "Grade",
            Kind.ENUM,
            required=True,
            options=GRADE_OPTIONS,
            aliases=("客户分级", "等级", "级别", "level"),
            example="A",
            help_zh="A 重点客户回访更频繁",
            help_en="Key (A) customers get more frequent follow-ups",
        ),
        Field(
            "region",
            "所属区域",
            "Region",
            max_len=50,
            aliases=("区域", "服务区域", "地区", "area", "service area"),
            example="华东",
        ),
        Field(
            "industry", "所属行业", "Industry", max_len=100, aliases=("行业",), example="汽车零部件"
        ),
        Field(
            "contact_name",
            "联系人",
            "Contact",
            max_len=100,
            aliases=("联系人姓名", "contact person", "contact name"),
            example="张伟",
        ),
        Field(
            "phone",
            "联系电话",
            "Phone",
            max_len=40,
            aliases=("电话", "手机", "phone no", "tel", "mobile"),
            example="021-55551234",
        ),
        Field(
            "email",
            "电子邮箱",
            "E-mail",
            max_len=120,
            aliases=("邮箱", "email", "mail"),
            example="service@example.com",
        ),
        Field(
            "address",
            "地址",
            "Address",
            max_len=300,
            aliases=("详细地址", "客户地址"),
            example="上海市嘉定区安亭镇 1 号",
        ),
        Field("notes", "备注", "Notes", Kind.LONGTEXT, aliases=("说明", "remarks", "remark")),
        # last, so exports keep the layout teams already have
        Field(
            "travel_zone",
            "差旅区域",
            "Travel zone",
            max_len=40,
            aliases=("收费区域", "差旅分区", "travel zone", "zone"),
            example="西北",
            help_zh="价目表差旅费的区域；空白：按所属区域",
            help_en="The rate card's travel zone; blank: the region",
        ),
        Field(
            "travel_km",
            "上门距离(公里)",
            "Travel distance (km)",
            Kind.DECIMAL,
            min_value=0,
            aliases=("距离", "公里数", "上门距离", "distance", "km"),
            example=Decimal("35"),
            help_zh="服务网点到客户的距离，对应价目表距离段；保养和报告未填距离的工单按此计差旅费",
            help_en="From the service base, for the rate card's distance bands: a visit's "
            "travel, and a ticket's when its report gives no distance",
        ),
    ),
    checks=(_check_customer,),
)

DEVICES = Register(
    name="devices",
    zh="设备台账",
    en="Device register",
    key="serial_no",
    fields=(
        Field(
            "serial_no",
            "序列号",
            "Serial no.",
            key=True,
            required=True,
            max_len=80,
            aliases=("设备序列号", "出厂编号", "机身号", "sn", "serial number", "serial"),
            example="SN0012345",
            help_zh="唯一，保留前导零",
            help_en="Unique; leading zeros are kept",
        ),
        Field(
            "customer",
            "客户",
            "Customer",
            Kind.REF,
            required=True,
            ref="customers",
            aliases=("客户编号", "客户名称", "customer code", "customer name"),
            example="C0001",
            help_zh="客户编号或完整客户名称",
            help_en="Customer code or exact customer name",
        ),
        Field(
            "model",
            "产品型号",
            "Model",
            Kind.REF,
            ref="product_models",
            aliases=("型号", "设备型号", "model code", "product model"),
            example="XK-5000",
            help_zh="产品型号编号或名称",
            help_en="Model code or name",
        ),
        Field(
            "install_date",
            "安装日期",
            "Install date",
            Kind.DATE,
            aliases=("安装时间", "装机日期", "installed", "installation date"),
            example=dt.date(2025, 3, 1),
        ),
        Field(
            "warranty_end",
            "保修到期日",
            "Warranty end",
            Kind.DATE,
            aliases=("保修截止", "保修期至", "质保到期", "warranty until", "warranty expiry"),
            example=dt.date(2026, 2, 28),
            help_zh="留空则按安装日期起一年计算",
            help_en="Blank: one year from the install date",
        ),
        Field(
            "contract_end",
            "维保合同到期日",
            "Contract end",
            Kind.DATE,
            aliases=("合同到期", "维保到期", "contract expiry", "maintenance contract end"),
        ),
        Field(
            "location",
            "安装地点",
            "Location",
            max_len=300,
            aliases=("地点", "位置", "site"),
            example="一号车间",
        ),
        Field("notes", "备注", "Notes", Kind.LONGTEXT, aliases=("说明", "remarks", "remark")),
        Field(
            "warranty_status",
            "保修状态",
            "Warranty status",
            Kind.ENUM,
            options=WARRANTY_OPTIONS,
            computed=True,
        ),
        Field(
            "contract_status",
            "合同状态",
            "Contract status",
            Kind.ENUM,
            options=CONTRACT_OPTIONS,
            computed=True,
        ),
    ),
    checks=(_check_device,),
)
