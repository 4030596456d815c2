"""Deterministic demo data for every domain (``python -m data_access.demo``).

``load(engine, customers=200, tickets=3000, seed=20261123, now=None)`` fills an empty,
migrated database and returns the row count per table. Same seed, sizes and ``now``
give identical rows on SQLite and PostgreSQL (one ``random.Random(seed)`` stream, no
set iteration, ids assigned here).

``now`` defaults to the fixed reference :data:`DEMO_NOW` (2026-11-20 10:00): the demo
always holds "a year of tickets up to now" relative to that moment, so a database
loaded on any day looks the same. Pass ``--now now`` (or an ISO datetime) on the
command line to centre the year on the real clock instead.

Speed: rows are generated in chunks (about 50,000 rows) and written with executemany of
tuples on the DBAPI cursor (values converted by the dialect's bind processors; tables
with JSON columns go through Core ``insert()``), all in one transaction; memory stays
bounded. Measured on a shared 2-core machine, SQLite file: default 2–3 s; 100,000
tickets 37–53 s; 1,000,000 tickets (16.4 M rows, 2.75 GB) 5.8 min; peak RSS about
260 MB at both sizes (128 MB of it is the SQLite page cache set for the load).

Every ticket status occurs whenever there are at least 13 tickets: a few recent tickets
are generated to stop in a given status (``FORCED``); the others follow their
lifecycle path until ``now``.

Choices made here (documented because other code reads this data):
- working calendar "默认日历": the SLA rules' default hours (``rules.sla.DEFAULT_WEEKLY``,
  Mon–Sat 08:30–18:00, domain.md's support hours), 2026 public holidays and make-up
  working days (调休) as published by the State Council; event timestamps after intake
  fall inside working hours;
- SLA policies and escalation levels are ``rules.sla.DEFAULT_POLICIES`` /
  ``DEFAULT_ESCALATION`` (respond 4/8/12/24 business hours; resolve 1/2/3/7 working days;
  L1 4 h → L2 one working day → L3 three working days → L4), so the demo and an empty
  database behave alike;
- ``respond_due`` is exact (business time on that calendar). ``resolve_due`` is exact
  (``rules.sla.sla_clock``) for open tickets; for finished ones it is the budget added
  in business time plus the paused/stopped business time before the end — close to, not
  always equal to, what ``sla_clock`` gives (a clock per ticket would cost ~0.4 ms);
- ``closed_at`` is set for closed tickets only (cancelled ones keep it empty);
  ``resolved_at`` is the last ``repaired`` time unless reopened afterwards;
- ticket ``service_type``: repair | consultation | maintenance | installation | upgrade;
  service report ``result``: the tickets rules' fixed | temporary | not_fixed | returned;
  every closed ticket has its follow-up, numbered ``FU-<ticket no>-1`` like the tickets
  domain's; maintenance visit ``result``: ok | issues_found; complaint status:
  received | investigating | handling | follow_up | closed, severity/urgency low |
  medium | high, channel hotline | email | online | social_media; settlements draft |
  audited | billed | paid;
- fee lines of in-warranty tickets (parts) are ``waived`` with amount 0; parts are
  charged at cost price, contract customers get the rate card's discount on
  diagnosis, labour, inspection and repair;
- a stock transfer is two ledger rows (out of one bin, into another), net zero;
  ``parts.on_hand`` equals the sum of the ledger.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import operator
import random
import resource
import sys
import time
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from data_access import db
from data_access.models import Base
from data_access.users import hash_password
from rules import sla
from rules.access import Role
from rules.customers import (
    ContractStatus,
    WarrantyStatus,
    add_months,
    contract_status,
    default_warranty_end,
    warranty_status,
)
from rules.tickets import (
    FOLLOWUP_DELAY_SETTING,
    Channel,
    Priority,
    Status,
    followup_due,
    followup_no,
)

DEMO_NOW = dt.datetime(2026, 11, 20, 10, 0)
DEMO_SEED = 20261123
DEMO_PASSWORD = "demo123"
CHUNK = 10_000
FOLLOWUP_DAYS = 3

T = {t.name: t for t in Base.metadata.sorted_tables}
TABLE_ORDER = [t.name for t in Base.metadata.sorted_tables]
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
CENT = Decimal("0.01")


class NotEmptyError(Exception):
    """The database already holds data; pass ``reset=True`` (``--reset``) to replace it."""


# ---------------------------------------------------------------- reference wording
REGIONS: dict[str, list[tuple[str, str, str, list[str]]]] = {
    # region → (city, city pinyin, area code, districts)
    "华东": [
        ("上海", "sh", "021", ["上海市嘉定区安亭镇", "上海市松江区九亭镇", "上海市浦东新区康桥镇"]),
        (
            "苏州",
            "sz",
            "0512",
            ["江苏省苏州市工业园区", "江苏省苏州市吴中区", "江苏省昆山市开发区"],
        ),
        ("宁波", "nb", "0574", ["浙江省宁波市北仑区", "浙江省宁波市鄞州区"]),
        ("无锡", "wx", "0510", ["江苏省无锡市新吴区", "江苏省无锡市惠山区"]),
        ("青岛", "qd", "0532", ["山东省青岛市黄岛区", "山东省青岛市城阳区"]),
    ],
    "华南": [
        ("深圳", "shz", "0755", ["广东省深圳市宝安区", "广东省深圳市龙岗区"]),
        ("东莞", "dg", "0769", ["广东省东莞市长安镇", "广东省东莞市松山湖"]),
        ("佛山", "fs", "0757", ["广东省佛山市顺德区", "广东省佛山市南海区"]),
        ("厦门", "xm", "0592", ["福建省厦门市集美区"]),
    ],
    "华北": [
        ("北京", "bj", "010", ["北京市大兴区亦庄经济开发区", "北京市顺义区"]),
        ("天津", "tj", "022", ["天津市滨海新区", "天津市西青区"]),
        ("石家庄", "sjz", "0311", ["河北省石家庄市栾城区"]),
    ],
    "华中": [
        ("武汉", "wh", "027", ["湖北省武汉市东湖高新区", "湖北省武汉市蔡甸区"]),
        ("长沙", "cs", "0731", ["湖南省长沙市雨花区", "湖南省长沙市望城区"]),
        ("郑州", "zz", "0371", ["河南省郑州市经开区"]),
    ],
    "西南": [
        ("成都", "cd", "028", ["四川省成都市龙泉驿区", "四川省成都市新都区"]),
        ("重庆", "cq", "023", ["重庆市两江新区", "重庆市璧山区"]),
        ("昆明", "km", "0871", ["云南省昆明市经开区"]),
    ],
    "西北": [
        ("西安", "xa", "029", ["陕西省西安市高新区", "陕西省西安市经开区"]),
        ("兰州", "lz", "0931", ["甘肃省兰州市安宁区"]),
    ],
    "东北": [
        ("沈阳", "sy", "024", ["辽宁省沈阳市铁西区", "辽宁省沈阳市浑南区"]),
        ("长春", "cc", "0431", ["吉林省长春市汽开区"]),
        ("大连", "dl", "0411", ["辽宁省大连市金州区"]),
    ],
}
REGION_WEIGHTS = {"华东": 30, "华南": 22, "华北": 14, "华中": 11, "西南": 10, "西北": 6, "东北": 7}
BRANDS = [
    ("恒达", "hengda"), ("华锐", "huarui"), ("精工", "jinggong"), ("鑫源", "xinyuan"),
    ("宏图", "hongtu"), ("博远", "boyuan"), ("天润", "tianrun"), ("瑞丰", "ruifeng"),
    ("金诚", "jincheng"), ("万通", "wantong"), ("盛达", "shengda"), ("永信", "yongxin"),
    ("中联", "zhonglian"), ("凯越", "kaiyue"), ("泰和", "taihe"), ("德力", "deli"),
    ("明辉", "minghui"), ("昌盛", "changsheng"), ("远航", "yuanhang"), ("同创", "tongchuang"),
]  # fmt: skip
BUSINESSES = [
    ("精密机械", "机械加工"), ("汽车零部件", "汽车零部件"), ("模具", "模具制造"),
    ("五金制品", "五金制品"), ("电子科技", "电子制造"), ("塑胶制品", "塑料制品"),
    ("重工", "装备制造"), ("钣金科技", "钣金加工"), ("新能源科技", "新能源"),
    ("医疗器械", "医疗器械"), ("家电配件", "家电制造"), ("包装材料", "包装印刷"),
]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = [
    "伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "建华", "志强", "海燕", "晓东", "丽娟", "国平", "文博", "思远", "雪梅", "春生",
    "建国", "玉兰", "俊杰", "凯", "鹏", "婷", "浩然", "子涵", "宇航", "立新", "红霞", "德明",
]  # fmt: skip
TITLES = ["设备科科长", "设备工程师", "生产部经理", "维修班长", "采购经理", "厂长助理"]
LOCATIONS = ["一号车间", "二号车间 A 线", "精加工车间", "注塑车间 3 号位", "空压站", "钣金车间",
             "装配车间", "研发中心样机间"]  # fmt: skip

# code, name, category key, category label, warranty months, critical
MODELS = [
    ("VMC-850", "立式加工中心 VMC-850", "CNC", "数控机床", 12, True),
    ("VMC-1160", "立式加工中心 VMC-1160", "CNC", "数控机床", 12, True),
    ("HMC-630", "卧式加工中心 HMC-630", "CNC", "数控机床", 24, True),
    ("CK-6150", "数控车床 CK6150", "CNC", "数控机床", 12, False),
    ("LC-3015", "光纤激光切割机 3015（3kW）", "LASER", "激光切割机", 12, True),
    ("LC-6020", "光纤激光切割机 6020（6kW）", "LASER", "激光切割机", 24, True),
    ("LW-1500", "手持激光焊接机 1500W", "WELD", "激光焊接机", 12, False),
    ("IM-160", "伺服节能注塑机 160T", "IM", "注塑机", 12, False),
    ("IM-280", "伺服节能注塑机 280T", "IM", "注塑机", 12, True),
    ("IM-550", "两板式注塑机 550T", "IM", "注塑机", 24, True),
    ("AC-37", "螺杆式空压机 37kW", "AC", "空压机", 12, False),
    ("AC-75V", "永磁变频螺杆空压机 75kW", "AC", "空压机", 24, False),
    ("AD-20", "冷冻式干燥机 20m³/min", "DRYER", "空压机", 12, False),
    ("PB-100", "数控折弯机 100T/3200", "PB", "钣金设备", 12, False),
    ("RB-20", "六轴工业机器人 20kg", "RB", "工业机器人", 12, True),
    ("CMM-0705", "三坐标测量机 0705", "CMM", "检测设备", 12, False),
]
ALL_CATS = ("CNC", "LASER", "WELD", "IM", "AC", "DRYER", "PB", "RB", "CMM")

# code, category, zh, en, model categories, symptoms, diagnosis, work done
FAULTS = [
    ("E101", "电气", "主轴驱动器过载报警", "Spindle drive overload alarm", ("CNC",),
     ["主轴启动时报警 ALM 9011 过载", "重切削时主轴驱动器过载报警停机"],
     "主轴驱动器散热风扇堵转，驱动器过热", "清理电柜滤网，更换驱动器散热风扇，试机正常"),
    ("E102", "电气", "伺服轴编码器故障", "Servo encoder fault", ("CNC", "RB", "PB"),
     ["X 轴伺服报警 SV0368 编码器通讯异常", "Z 轴回零位置不准，偶发编码器报警"],
     "编码器反馈电缆插头松动、屏蔽层破损", "更换编码器反馈电缆并紧固插头，回零测试正常"),
    ("E103", "电气", "急停回路异常", "Emergency-stop circuit fault", ALL_CATS,
     ["急停无法复位，设备无法启动", "运行中无故触发急停"],
     "急停按钮触点氧化，接触不良", "更换急停按钮，检查安全回路，功能测试正常"),
    ("E104", "电气", "电柜温度过高", "Cabinet over-temperature", ("CNC", "LASER", "IM"),
     ["电气柜温度报警，柜内空调不制冷", "电柜温度过高导致系统频繁报警"],
     "电柜空调冷凝器积尘严重", "清洗电柜空调冷凝器及滤网，温度恢复正常"),
    ("M201", "机械", "主轴异响", "Spindle noise", ("CNC",),
     ["主轴高速运转时有明显异响", "主轴温升过快并伴随异响"],
     "主轴前轴承磨损", "更换主轴前轴承并做动平衡，跑合测试正常"),
    ("M202", "机械", "导轨润滑不足报警", "Guideway lubrication alarm", ("CNC", "PB"),
     ["润滑压力低报警，导轨缺油", "润滑泵不出油，报警 2001"],
     "润滑泵故障、分配器堵塞", "更换润滑泵，清洗油路分配器，润滑恢复正常"),
    ("M203", "机械", "刀库换刀卡滞", "Tool changer jam", ("CNC",),
     ["换刀时机械手卡住，刀库报警", "刀套翻转不到位，换刀中断"],
     "刀套定位销磨损，气压不足", "更换刀套定位销，调整气压及换刀点参数"),
    ("M204", "机械", "加工精度超差", "Machining accuracy out of tolerance", ("CNC", "PB"),
     ["加工零件尺寸超差 0.03mm", "反向间隙变大，圆度超差"],
     "丝杠支撑轴承磨损，反向间隙增大", "更换支撑轴承，调整丝杠预紧并补偿反向间隙，精度复检合格"),
    ("H301", "液压", "液压系统压力不足", "Low hydraulic pressure", ("IM", "PB"),
     ["液压压力上不去，锁模力不足", "系统压力波动大，动作无力"],
     "液压油滤芯堵塞、比例阀卡滞", "更换液压油滤芯，清洗比例阀，压力恢复"),
    ("H302", "液压", "液压油温过高", "Hydraulic oil over-temperature", ("IM", "PB"),
     ["油温报警超过 55℃", "连续生产后油温过高停机"],
     "油冷却器结垢，换热效率下降", "清洗油冷却器，检查冷却水流量，油温正常"),
    ("H303", "液压", "液压油泄漏", "Hydraulic oil leak", ("IM", "PB"),
     ["锁模油缸处漏油严重", "设备下方有大量液压油"],
     "油缸密封件老化", "更换油缸密封组件，试压无泄漏"),
    ("C401", "控制系统", "数控系统死机", "Control system freeze", ("CNC", "LASER"),
     ["系统开机后卡在启动画面", "操作中系统黑屏死机"],
     "系统备用电池电压低，存储卡数据异常", "更换系统备用电池，恢复系统备份"),
    ("C402", "控制系统", "PLC 通讯中断", "PLC communication lost", ALL_CATS,
     ["触摸屏显示与 PLC 通讯中断", "I/O 模块通讯报警，设备停机"],
     "通讯电缆接头松动", "重新制作通讯接头，更换交流接触器，通讯稳定"),
    ("C403", "控制系统", "系统参数丢失", "Parameters lost", ("CNC", "RB"),
     ["断电后参数丢失，设备无法回零", "机器人零点丢失"],
     "备用电池失效", "更换电池，恢复参数并重新标定零点"),
    ("L501", "激光", "激光功率下降", "Laser power drop", ("LASER", "WELD"),
     ["切割能力明显下降，厚板切不透", "激光功率检测只有额定值的 70%"],
     "保护镜片污染、光路偏移", "更换保护镜片，校准光路，功率恢复"),
    ("L502", "激光", "切割头碰撞报警", "Cutting-head collision", ("LASER",),
     ["切割头撞板后报警，无法随动", "调高器报警，切割头不随动"],
     "切割头电容传感器损坏", "更换切割头传感器并重新标定"),
    ("L503", "激光", "冷水机报警", "Chiller alarm", ("LASER", "WELD"),
     ["冷水机流量报警，激光器停光", "冷水机水温过高报警"],
     "冷水机滤网堵塞、水泵磨损", "清洗滤网，更换水泵及滤芯，更换去离子水"),
    ("P601", "气动", "排气温度过高", "High discharge temperature", ("AC",),
     ["空压机排气温度超过 105℃ 停机", "夏季空压机频繁高温跳机"],
     "冷却器积尘、温控阀失效", "清洗冷却器，更换温控阀，补充专用冷却液"),
    ("P602", "气动", "供气压力不足", "Low air pressure", ("AC",),
     ["空压机加载后压力上不去", "车间用气压力不足 0.6MPa"],
     "进气阀卡滞、空气滤芯堵塞", "检修进气阀，更换空气滤芯"),
    ("P603", "气动", "干燥机露点偏高", "High dew point", ("DRYER", "AC"),
     ["压缩空气含水，露点偏高", "干燥机排水不畅"],
     "自动排水阀堵塞", "更换自动排水阀，检测冷媒压力"),
    ("I701", "注塑", "射胶不稳定", "Unstable injection", ("IM",),
     ["产品缺胶、飞边交替出现", "射胶量波动大，产品不良率上升"],
     "止逆环磨损", "更换止逆环，调整射胶参数，试模合格"),
    ("I702", "注塑", "料筒温度异常", "Barrel temperature fault", ("IM",),
     ["料筒第三段温度升不上去", "料筒温度显示跳动"],
     "加热圈烧坏、热电偶损坏", "更换加热圈和热电偶，温控正常"),
    ("Q901", "检测", "测头触发异常", "Probe trigger fault", ("CMM",),
     ["测头误触发，测量数据跳动", "测头无法复位"],
     "测头触发机构磨损", "更换测头并重新校准"),
    ("S801", "软件", "固件升级失败", "Firmware update failed", ALL_CATS,
     ["升级系统固件后无法启动", "软件升级中途中断"],
     "升级包版本与硬件不匹配", "回滚至原版本后按正确版本重新升级"),
    ("S802", "软件", "软件授权到期", "Software licence expired", ("LASER", "CMM"),
     ["排版软件提示授权到期", "测量软件无法打开，提示授权错误"],
     "授权文件过期", "更新授权文件，功能恢复"),
]  # fmt: skip
PREFIXES = ["", "操作工反映：", "设备运行约两小时后", "今天早班开机后", "夜班生产时"]
CHANNEL_PREFIX = {"phone": "客户来电：", "email": "客户邮件反映：", "online": "在线报修："}
SUFFIXES = [
    "，设备停机，影响生产。",
    "，目前降速运行。",
    "，请尽快安排工程师。",
    "。",
    "，重启后无效。",
]

# name, spec, model categories, unit cost, key part, consumable
PARTS = [
    ("主轴前轴承", "7014C/P4 DB 配对", ("CNC",), 1850, True, False),
    ("主轴驱动器散热风扇", "24V 120mm", ("CNC",), 260, False, False),
    ("编码器反馈电缆", "10m 屏蔽", ("CNC", "RB", "PB"), 420, False, False),
    ("伺服驱动器", "3.5kW", ("CNC", "PB"), 6800, True, False),
    ("丝杠支撑轴承", "25TAC62B", ("CNC", "PB"), 980, False, False),
    ("润滑泵", "2L 电动", ("CNC", "PB"), 760, False, False),
    ("润滑油分配器", "8 路", ("CNC",), 95, False, True),
    ("刀套定位销", "BT40", ("CNC",), 65, False, True),
    ("急停按钮", "22mm 红色蘑菇头", ALL_CATS, 48, False, True),
    ("系统备用电池", "3V 锂电池", ("CNC", "RB", "LASER"), 35, False, True),
    ("电柜空调滤网", "400×300", ("CNC", "LASER", "IM"), 60, False, True),
    ("保护镜片", "D37×7", ("LASER", "WELD"), 45, False, True),
    ("切割喷嘴", "单层 1.5mm", ("LASER",), 18, False, True),
    ("陶瓷环", "32mm", ("LASER",), 55, False, True),
    ("切割头电容传感器", "随动传感器", ("LASER",), 3200, True, False),
    ("冷水机水泵", "0.75kW", ("LASER", "WELD"), 1350, False, False),
    ("冷水机过滤器滤芯", "5μm", ("LASER", "WELD"), 40, False, True),
    ("止逆环", "φ45 螺杆配套", ("IM",), 680, True, False),
    ("加热圈", "220V 800W", ("IM",), 120, False, True),
    ("热电偶", "K 型 M6", ("IM",), 38, False, True),
    ("液压油滤芯", "10μm", ("IM", "PB"), 150, False, True),
    ("比例阀", "DN10", ("IM", "PB"), 5200, True, False),
    ("油缸密封组件", "锁模油缸", ("IM", "PB"), 860, False, False),
    ("空气滤芯", "37kW 配套", ("AC",), 220, False, True),
    ("油滤芯", "37/75kW 通用", ("AC",), 180, False, True),
    ("油气分离器", "75kW", ("AC",), 1450, True, False),
    ("温控阀", "70℃", ("AC",), 520, False, False),
    ("进气阀修理包", "37/75kW", ("AC",), 390, False, False),
    ("压力传感器", "0–1.6MPa", ("AC", "DRYER", "IM"), 650, True, False),
    ("自动排水阀", "电子式", ("DRYER", "AC"), 410, False, False),
    ("RV 减速机", "RV-20E", ("RB",), 9800, True, False),
    ("示教器电缆", "10m", ("RB",), 1200, False, False),
    ("交流接触器", "40A", ALL_CATS, 160, False, True),
    ("开关电源", "24V 10A", ALL_CATS, 240, False, False),
    ("光栅尺", "1000mm", ("PB", "CMM"), 2600, True, False),
    ("触摸屏", "10 英寸", ("IM", "PB", "AC"), 2100, True, False),
    ("触发式测头", "三坐标配套", ("CMM",), 7800, True, False),
]

CHECKLIST = [
    ("清洁关键部件", "导轨、丝杠、电柜滤网无积尘油污"),
    ("紧固松动部件", "按扭矩表检查主要紧固件"),
    ("校准传感器", "测量误差在允许范围内"),
    ("润滑保养", "按润滑表加注指定油脂"),
    ("检查电气连接", "端子无松动、无过热变色"),
    ("运行自检程序", "自检无报警"),
    ("固件更新检查", "版本为最新发布版，升级前已备份"),
    ("填写维护记录", "记录完整并由客户签字确认"),
]
PACKAGE_ITEMS = {"basic": (0, 1, 3, 4, 5, 7), "comprehensive": (0, 1, 2, 3, 4, 5, 6, 7)}

COURSES = [
    # code, name, audience, topic, delivery, hours, pass score
    ("TR-OP-01", "设备操作培训（线上直播）", "customer", "operation", "online_live", 4, 60),
    ("TR-MT-01", "日常维护保养培训", "customer", "maintenance", "online_practical", 8, 70),
    ("TR-TS-01", "常见故障排除培训", "customer", "troubleshooting", "online_practical", 8, 70),
    ("TR-AD-01", "高级应用研讨会", "customer", "advanced", "offline_seminar", 12, 75),
    ("TR-IN-01", "新产品技术培训", "internal", "product", "classroom", 16, 80),
    ("TR-IN-02", "维修技能提升", "internal", "skills", "classroom", 24, 80),
    ("TR-IN-03", "售后服务规范", "internal", "rules", "classroom", 4, 80),
    ("TR-IN-04", "客户沟通技巧", "internal", "communication", "classroom", 4, 70),
]
RATES = [
    # code, kind, zh, en, unit, price, contract discount %
    ("DIAG-01", "diagnosis", "检测诊断费", "Diagnosis fee", "次", "300.00", "15"),
    ("LAB-01", "labour", "工时费", "Labour", "小时", "280.00", "15"),
    ("TRV-01", "travel", "差旅费（市内）", "Travel (urban)", "次", "200.00", "0"),
    ("TRV-02", "travel", "差旅费（市外）", "Travel (out of town)", "公里", "3.50", "0"),
    ("RUSH-01", "rush", "紧急加急服务费", "Rush surcharge", "次", "800.00", "0"),
    ("SHIP-01", "shipping", "返厂运输费", "Return-to-factory shipping", "次", "600.00", "0"),
    ("INSP-01", "inspection", "返厂检测费", "Factory inspection", "次", "500.00", "15"),
    ("REP-01", "repair", "返厂维修费", "Factory repair", "次", "2500.00", "15"),
]
HOLIDAYS_2026 = [
    (dt.date(2026, 1, 1), 3, "元旦"),
    (dt.date(2026, 2, 15), 9, "春节"),
    (dt.date(2026, 4, 4), 3, "清明节"),
    (dt.date(2026, 5, 1), 5, "劳动节"),
    (dt.date(2026, 6, 19), 3, "端午节"),
    (dt.date(2026, 9, 25), 3, "中秋节"),
    (dt.date(2026, 10, 1), 7, "国庆节"),
]
MAKEUP_2026 = [
    (dt.date(2026, 1, 4), "元旦调休上班"),
    (dt.date(2026, 2, 14), "春节调休上班"),
    (dt.date(2026, 2, 28), "春节调休上班"),
    (dt.date(2026, 5, 9), "劳动节调休上班"),
    (dt.date(2026, 9, 20), "国庆节调休上班"),
    (dt.date(2026, 10, 10), "国庆节调休上班"),
]
WEEKLY = {wd: [tuple(span) for span in spans] for wd, spans in sla.DEFAULT_WEEKLY.items()}
POLICIES = {p.priority: p for p in sla.DEFAULT_POLICIES if p.customer_grade == "*"}

# ---------------------------------------------------------------- ticket lifecycle
S = Status
PATHS = {
    "onsite": (S.RECEIVED, S.RESPONDED, S.DIAGNOSING, S.DISPATCHED, S.ON_SITE, S.REPAIRED,
               S.ACCEPTED, S.CLOSED),
    "remote": (S.RECEIVED, S.RESPONDED, S.DIAGNOSING, S.REPAIRED, S.ACCEPTED, S.CLOSED),
    "parts": (S.RECEIVED, S.RESPONDED, S.DIAGNOSING, S.DISPATCHED, S.ON_SITE, S.WAITING_PARTS,
              S.ON_SITE, S.REPAIRED, S.ACCEPTED, S.CLOSED),
    "customer": (S.RECEIVED, S.RESPONDED, S.WAITING_CUSTOMER, S.DIAGNOSING, S.DISPATCHED,
                 S.ON_SITE, S.REPAIRED, S.ACCEPTED, S.CLOSED),
    "factory": (S.RECEIVED, S.RESPONDED, S.DIAGNOSING, S.RETURNED_TO_FACTORY, S.REPAIRED,
                S.ACCEPTED, S.CLOSED),
    "reopen": (S.RECEIVED, S.RESPONDED, S.DIAGNOSING, S.DISPATCHED, S.ON_SITE, S.REPAIRED,
               S.ACCEPTED, S.CLOSED, S.REOPENED, S.DISPATCHED, S.ON_SITE, S.REPAIRED,
               S.ACCEPTED, S.CLOSED),
    "cancel": (S.RECEIVED, S.RESPONDED, S.CANCELLED),
    "cancel_early": (S.RECEIVED, S.CANCELLED),
}  # fmt: skip
PATH_NAMES = list(PATHS)
PATH_WEIGHTS = (45, 22, 12, 6, 5, 5, 3, 2)
# the status each forced ticket shows (most recent first) and the path that reaches it
FORCED = [
    (S.RECEIVED, "onsite"), (S.RESPONDED, "onsite"), (S.DIAGNOSING, "onsite"),
    (S.WAITING_CUSTOMER, "customer"), (S.DISPATCHED, "onsite"), (S.ON_SITE, "onsite"),
    (S.WAITING_PARTS, "parts"), (S.REPAIRED, "onsite"), (S.RETURNED_TO_FACTORY, "factory"),
    (S.ACCEPTED, "onsite"), (S.REOPENED, "reopen"), (S.CANCELLED, "cancel"),
    (S.CLOSED, "onsite"),
]  # fmt: skip
# hours from the previous status: (previous, next) wins over next alone
STEP_HOURS: dict = {
    S.RESPONDED: (0.1, 3.0), S.DIAGNOSING: (0.2, 4.0), S.DISPATCHED: (0.5, 8.0),
    S.ON_SITE: (2.0, 30.0), S.WAITING_PARTS: (0.5, 4.0), S.WAITING_CUSTOMER: (0.5, 6.0),
    S.RETURNED_TO_FACTORY: (4.0, 30.0), S.REPAIRED: (1.0, 10.0), S.ACCEPTED: (0.5, 30.0),
    S.CLOSED: (20.0, 100.0), S.REOPENED: (48.0, 400.0), S.CANCELLED: (0.5, 30.0),
    (S.WAITING_PARTS, S.ON_SITE): (24.0, 110.0),
    (S.WAITING_CUSTOMER, S.DIAGNOSING): (8.0, 70.0),
    (S.RETURNED_TO_FACTORY, S.REPAIRED): (168.0, 336.0),
}  # fmt: skip
STEP_SECONDS = {k: (lo * 3600, hi * 3600) for k, (lo, hi) in STEP_HOURS.items()}
UNSCALED = (S.CLOSED, S.REOPENED)  # customer-side waits do not depend on priority
SV = {s: s.value for s in Status}
ASSIGNING = (S.DIAGNOSING, S.DISPATCHED)
BY_ENGINEER = (S.ON_SITE, S.REPAIRED, S.WAITING_PARTS, S.RETURNED_TO_FACTORY, S.ACCEPTED)
# escalate to level after open hours (urgent, other), at received + lo..hi hours
PRIORITY_FACTOR = {Priority.EMERGENCY: 0.35, Priority.HIGH: 0.6, Priority.STANDARD: 1.0,
                   Priority.LOW: 1.5}  # fmt: skip
PRIORITIES = list(Priority)
PRIORITY_WEIGHTS = (8, 22, 50, 20)
CHANNELS = list(Channel)
CHANNEL_WEIGHTS = (45, 12, 20, 8, 15)
MODES = ("phone", "email", "onsite", "online")
SERVICE_TYPES = ["repair", "consultation", "maintenance", "installation", "upgrade"]
SERVICE_WEIGHTS = (78, 8, 6, 5, 3)
RESOLVED = (S.REPAIRED, S.ACCEPTED, S.CLOSED)
FINISHED = (*RESOLVED, S.CANCELLED)
NOT_COUNTED = (S.WAITING_CUSTOMER, S.WAITING_PARTS, *FINISHED)
NOTES = ["已电话联系客户，约定明早上门", "客户要求周末前处理完毕", "已远程查看报警记录",
         "已通知备件库备货", "客户已发送故障视频", "已与客户设备科确认停机窗口"]  # fmt: skip
FEEDBACK = ["工程师很专业，处理及时", "响应速度快，满意", "希望备件能再快一些", "讲解很细致，谢谢",
            "下次请提前电话通知到达时间", "问题解决了，服务态度好"]  # fmt: skip


def _money(x: float | Decimal) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def _at(event: dict) -> dt.datetime:
    return event["at"]


def _rating(rng: random.Random) -> int:
    return _pick(rng, (5, 4, 3, 2, 1), (55, 32, 9, 3, 1))


_CUM: dict[tuple, list[float]] = {}


def _pick(rng: random.Random, options, weights: tuple):
    """``rng.choices(options, weights)[0]`` without re-summing the weights every call."""
    cum = _CUM.get(weights)
    if cum is None:
        cum = _CUM[weights] = [sum(weights[: k + 1]) for k in range(len(weights))]
    return options[bisect.bisect(cum, rng.random() * cum[-1])]


# ---------------------------------------------------------------- working time
class _WorkTime:
    """Working spans of the demo calendar, for snapping and for intake times."""

    OFF_WEIGHT = 0.04  # relative intake rate outside working hours (e-mail, web form)

    def __init__(self, first: dt.date, last: dt.date, holidays: dict, workdays: dict):
        self.starts: list[dt.datetime] = []
        self.ends: list[dt.datetime] = []
        day = first
        while day <= last:
            if day not in holidays and (day in workdays or day.weekday() in WEEKLY):
                for a, b in WEEKLY.get(day.weekday()) or WEEKLY[0]:
                    self.starts.append(dt.datetime.combine(day, dt.time.fromisoformat(a)))
                    self.ends.append(dt.datetime.combine(day, dt.time.fromisoformat(b)))
            day += D
        # business seconds before each span starts / when it ends: business time in O(log n)
        self.cum: list[float] = []
        self.cum_end: list[float] = []
        total = 0.0
        for a, b in zip(self.starts, self.ends, strict=True):
            self.cum.append(total)
            total += (b - a).total_seconds()
            self.cum_end.append(total)

    def position(self, t: dt.datetime) -> float:
        """Business seconds from the first span to ``t``."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i < 0:
            return 0.0
        return self.cum[i] + min(
            (t - self.starts[i]).total_seconds(), self.cum_end[i] - self.cum[i]
        )

    def add(self, t: dt.datetime, seconds: float) -> dt.datetime:
        """Same result as ``rules.sla.add_business_time`` on this calendar, in O(log n)."""
        if seconds <= 0:  # in hours: now; else the next span's start
            return t if self.inside(t) else self.starts[bisect.bisect_right(self.starts, t)]
        p = self.position(t) + seconds
        i = bisect.bisect_left(self.cum_end, p)  # a budget ending with a span gives its end
        return self.starts[i] + dt.timedelta(seconds=p - self.cum[i])

    def between(self, a: dt.datetime, b: dt.datetime) -> float:
        return max(0.0, self.position(b) - self.position(a))

    def inside(self, t: dt.datetime) -> bool:
        i = bisect.bisect_right(self.starts, t) - 1
        return i >= 0 and t < self.ends[i]

    def snap(self, t: dt.datetime, rng: random.Random) -> dt.datetime:
        """``t`` if inside working hours, else a few minutes into the next span."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return t
        if i + 1 >= len(self.starts):
            return t
        return self.starts[i + 1] + dt.timedelta(minutes=int(rng.random() * 91))

    def intake_segments(self, start: dt.datetime, end: dt.datetime):
        """Segments (start, weight) with cumulative weight, working spans weighing 1."""
        seg_start, weight, cum = [], [], []
        total = 0.0
        t = start
        i = bisect.bisect_left(self.ends, start)
        while t < end:
            if i < len(self.starts) and self.starts[i] <= t:
                nxt, w = min(self.ends[i], end), 1.0
                i += 1
            else:
                nxt = min(self.starts[i], end) if i < len(self.starts) else end
                w = self.OFF_WEIGHT
            if nxt > t:
                seg_start.append(t)
                weight.append(w)
                cum.append(total)
                total += (nxt - t).total_seconds() * w
            t = nxt
        return seg_start, weight, cum, total


# ---------------------------------------------------------------- bulk writing
def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    # SQLAlchemy's SQLite storage format, so string comparisons in SQL stay right
    return None if value is None else value.isoformat(" ", "microseconds")


class _RawInsert:
    """executemany of tuples on the DBAPI cursor, values converted once per column.

    Core ``insert()`` with dicts spends most of its time building parameters; the
    column bind processors of the dialect do the same conversions here.
    """

    def __init__(self, sql: str, columns: list[str], procs: list):
        self.sql, self.columns, self.procs = sql, columns, procs

    @classmethod
    def for_table(cls, table: Table, conn: Connection) -> _RawInsert | None:
        dialect = conn.dialect
        if any(isinstance(c.type, JSON) for c in table.columns):
            return None
        quote = dialect.identifier_preparer.quote
        columns = [c.name for c in table.columns]
        procs = []
        for c in table.columns:
            if dialect.name == "sqlite" and isinstance(c.type, DateTime):
                procs.append(_sqlite_datetime)
            else:
                procs.append(c.type.dialect_impl(dialect).bind_processor(dialect))
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in columns)}) "
               f"VALUES ({', '.join([mark] * len(columns))})")  # fmt: skip
        return cls(sql, columns, procs)

    def run(self, conn: Connection, rows: list[dict]) -> None:
        get = operator.itemgetter(*self.columns)
        stamps = [k for k, p in enumerate(self.procs) if p is _sqlite_datetime]
        others = [(k, p) for k, p in enumerate(self.procs) if p and p is not _sqlite_datetime]
        if not stamps and not others:
            conn.exec_driver_sql(self.sql, [get(row) for row in rows])
            return
        texts: dict[dt.datetime, str] = {}  # rows share moments (created_at = at, …)
        params = []
        for row in rows:
            values = list(get(row))
            for k in stamps:
                v = values[k]
                if v is not None:
                    s = texts.get(v)
                    if s is None:
                        s = texts[v] = v.isoformat(" ", "microseconds")
                    values[k] = s
            for k, proc in others:
                v = values[k]
                if v is not None:
                    values[k] = proc(v)
            params.append(tuple(values))
        conn.exec_driver_sql(self.sql, params)


# ---------------------------------------------------------------- the generator
class _Gen:
    def __init__(self, conn: Connection, *, customers: int, tickets: int, seed: int, now):
        self.conn = conn
        self.rng = random.Random(seed)
        self.now = now
        self.today = now.date()
        self.n_customers = max(1, customers)
        self.n_tickets = max(0, tickets)
        self.seed = seed
        self.counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.ids: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.buf: dict[str, list[dict]] = {n: [] for n in TABLE_ORDER}
        self.buffered = 0
        self.templates = {n: self._template(T[n]) for n in TABLE_ORDER}
        self.year_ago = now - dt.timedelta(days=365)
        self.counters: dict[str, int] = {}
        self.writers: dict[str, _RawInsert | None] = {}
        self.returns = 0
        self.rehandled = 0

    # ---- plumbing
    @staticmethod
    def _template(table: Table) -> dict:
        row = {}
        for c in table.columns:
            d = c.default
            row[c.name] = d.arg if d is not None and d.is_scalar else None
        return row

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table: str, created: dt.datetime | None = None, **values) -> int:
        """Buffer one row (id assigned unless given); returns its id."""
        row = self.templates[table] | values
        if row["id"] is None:
            self.ids[table] += 1
            row["id"] = self.ids[table]
        if row["created_at"] is None:
            row["created_at"] = created or self.now
        if row.get("updated_at", 0) is None:
            row["updated_at"] = row["created_at"]
        self.buf[table].append(row)
        self.buffered += 1
        if self.buffered >= 5 * CHUNK:
            self.flush()
        return row["id"]

    def flush(self) -> None:
        """Write every buffer in foreign-key order (a row only refers to earlier ones)."""
        for name in TABLE_ORDER:
            rows = self.buf[name]
            if rows:
                self.write(name, rows)
                self.counts[name] += len(rows)
                self.buf[name] = []
        self.buffered = 0

    def write(self, name: str, rows: list[dict]) -> None:
        if name not in self.writers:
            self.writers[name] = _RawInsert.for_table(T[name], self.conn)
        writer = self.writers[name]
        if writer is None:  # JSON columns: let SQLAlchemy serialise them
            self.conn.execute(insert(T[name]), rows)
        else:
            writer.run(self.conn, rows)

    def doc_no(self, prefix: str, at: dt.datetime | dt.date, per: str = "month") -> str:
        """Document number like PO-202611-0007, dense per prefix and period."""
        period = f"{at.year:04d}"
        if per != "year":
            period += f"{at.month:02d}"
        if per == "day":
            period += f"{at.day:02d}"
        return f"{prefix}-{period}-{self.number(prefix + period):04d}"

    def number(self, prefix: str) -> int:
        """Dense sequence per prefix (document numbers like SR-20261120-0001)."""
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return n

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def mobile(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def when(self, lo: dt.datetime, hi: dt.datetime) -> dt.datetime:
        """A random moment between lo and hi, snapped into working hours."""
        secs = max(0, int((hi - lo).total_seconds()))
        return self.work.snap(lo + dt.timedelta(seconds=self.rng.randint(0, secs)), self.rng)

    # ---- run
    def run(self) -> dict[str, int]:
        self.calendar()
        self.users()
        self.customers()
        self.models_and_devices()
        self.sla()
        self.faults()
        self.parts_master()
        self.rate_card()
        self.settings()
        self.tickets()
        self.maintenance()
        self.stock_extras()
        self.stock_take()
        self.complaints()
        self.periodic_followups()
        self.training()
        self.flush()
        self.finish_parts()
        return {k: v for k, v in self.counts.items()}

    # ---- reference data
    def calendar(self) -> None:
        holidays: dict[dt.date, str] = {}
        for first, days, name in HOLIDAYS_2026:
            for k in range(days):
                holidays[first + k * D] = name
        workdays = dict(MAKEUP_2026)
        weekly = {str(d): [list(s) for s in spans] for d, spans in WEEKLY.items()}
        cal = self.add("working_calendars", name="默认日历", weekly=weekly, is_default=True)
        for day, name in holidays.items():
            self.add("calendar_days", calendar_id=cal, day=day, kind="holiday", name=name)
        for day, name in workdays.items():
            self.add("calendar_days", calendar_id=cal, day=day, kind="workday", name=name)
        first = self.year_ago.date() - 60 * D
        self.work = _WorkTime(first, self.today + 400 * D, holidays, workdays)
        self.cal = sla.WorkingCalendar(
            weekly=WEEKLY, holidays=frozenset(holidays), extra_workdays=frozenset(workdays)
        )

    def users(self) -> None:
        rng = self.rng
        pw = hash_password(DEMO_PASSWORD)
        self.by_role: dict[str, list[int]] = {r: [] for r in Role}
        self.eng_by_region: dict[str, list[int]] = {r: [] for r in REGIONS}
        self.user_names: dict[int, str] = {}
        demo = [
            ("admin", Role.ADMIN, "系统管理员", None),
            ("manager", Role.MANAGER, "王建华", "华东"),
            ("agent", Role.AGENT, "李娜", "华东"),
            ("engineer", Role.ENGINEER, "张伟", "华东"),
            ("parts", Role.PARTS_KEEPER, "刘洋", "华东"),
            ("trainer", Role.TRAINER, "陈静", "华东"),
            ("quality", Role.QUALITY, "赵敏", "华东"),
        ]
        regions = list(REGIONS)
        demo += [(f"eng{k:02d}", Role.ENGINEER, None, regions[(k - 1) % len(regions)])
                 for k in range(1, 13)]  # fmt: skip
        demo += [(f"agent{k:02d}", Role.AGENT, None, None) for k in range(2, 5)]
        taken = {name for _, _, name, _ in demo if name}
        for username, role, name, region in demo:
            while name is None:  # display names unique: people pick engineers by name
                candidate = self.person()
                name = None if candidate in taken else candidate
            taken.add(name)
            skills = None
            if role == Role.ENGINEER:
                skills = ",".join(rng.sample([m[3] for m in MODELS[::3]], 2))
            uid = self.add(
                "users",
                created=self.year_ago - 30 * D,
                username=username,
                display_name=name,
                role=str(role),
                region=region,
                skills=skills,
                phone=self.mobile(),
                password_hash=pw,
                demo_password=True,
            )
            self.by_role[role].append(uid)
            self.user_names[uid] = name
            if role == Role.ENGINEER:
                self.eng_by_region[region].append(uid)
        self.engineers = self.by_role[Role.ENGINEER]
        self.agents = self.by_role[Role.AGENT]
        self.manager = self.by_role[Role.MANAGER][0]
        self.keeper = self.by_role[Role.PARTS_KEEPER][0]
        self.quality = self.by_role[Role.QUALITY][0]
        self.trainer = self.by_role[Role.TRAINER][0]

    def customers(self) -> None:
        rng = self.rng
        regions = list(REGION_WEIGHTS)
        weights = tuple(REGION_WEIGHTS.values())
        names: set[str] = set()
        self.cust: list[tuple] = []  # (id, region, grade, [(name, phone)])
        for k in range(1, self.n_customers + 1):
            region = _pick(rng, regions, weights)
            city, city_py, area, districts = rng.choice(REGIONS[region])
            for attempt in range(30):
                brand, brand_py = rng.choice(BRANDS)
                business, industry = rng.choice(BUSINESSES)
                suffix = "有限公司" if rng.random() < 0.8 else "股份有限公司"
                name = f"{city}{brand}{business}{suffix}"
                if attempt >= 20:
                    name = f"{city}{brand}{business}{suffix}（{k}）"
                if name not in names:
                    break
            names.add(name)
            grade = _pick(rng, "ABC", (20, 50, 30))
            contact, phone = self.person(), self.mobile()
            cid = self.add(
                "customers",
                created=self.year_ago - rng.randint(30, 900) * D,
                code=f"C{k:05d}",
                name=name,
                grade=grade,
                region=region,
                industry=industry,
                address=f"{rng.choice(districts)}{rng.choice(['工业大道', '科技路', '创业路', '兴业路', '长江路'])}"
                f"{rng.randint(1, 999)}号",
                contact_name=contact,
                phone=phone,
                email=f"{rng.choice(['sb', 'service', 'equipment', 'tech'])}@{brand_py}-{city_py}.com.cn",
                notes="重点客户，季度走访" if grade == "A" else None,
            )
            contacts = [(contact, phone)]
            self.add("contacts", customer_id=cid, name=contact, title=rng.choice(TITLES[:3]),
                     phone=phone, email=None, is_primary=True)  # fmt: skip
            for _ in range(rng.randint(0, 2)):
                extra = (self.person(), f"{area}-{rng.randint(5000_0000, 8999_9999)}")
                contacts.append(extra)
                self.add("contacts", customer_id=cid, name=extra[0], title=rng.choice(TITLES),
                         phone=extra[1], email=None, is_primary=False)  # fmt: skip
            self.cust.append((cid, region, grade, contacts))
        grade_w = {"A": 3.0, "B": 1.5, "C": 1.0}
        total, self.cust_cum = 0.0, []
        for c in self.cust:
            total += grade_w[c[2]]
            self.cust_cum.append(total)

    def models_and_devices(self) -> None:
        rng = self.rng
        self.models: list[tuple] = []  # (id, code, cat, months)
        for code, name, cat, label, months, critical in MODELS:
            mid = self.add("product_models", created=self.year_ago - 800 * D, code=code,
                           name=name, category=label, warranty_months=months, critical=critical)  # fmt: skip
            self.models.append((mid, code, cat, months))
        # per customer: [(device id, serial, model index, warranty_end, contract_end, install)]
        self.devices: dict[int, list[tuple]] = {}
        self.all_devices: list[tuple] = []
        for cid, _region, _grade, _contacts in self.cust:
            favourite = rng.randrange(len(self.models))
            rows = []
            for _ in range(rng.randint(2, 5)):
                m = favourite if rng.random() < 0.5 else rng.randrange(len(self.models))
                mid, code, cat, months = self.models[m]
                age = rng.choices(
                    (rng.randint(20, 365), rng.randint(366, 730), rng.randint(731, 2000)),
                    (35, 25, 40),
                )[0]
                install = self.today - age * D
                w_end = default_warranty_end(install, months)
                c_end = None
                if rng.random() < 0.45:
                    c_end = add_months(w_end, 12 * rng.randint(1, 3))
                did = self.next_id("devices")
                yy = install.year % 100
                serial = (f"0{yy:02d}{did:06d}" if cat in ("AC", "DRYER")
                          else f"{code.split('-')[0]}{yy:02d}{did:06d}")  # fmt: skip
                self.add("devices", created=dt.datetime.combine(install, dt.time(9)), id=did,
                         serial_no=serial, customer_id=cid, model_id=mid, install_date=install,
                         warranty_end=w_end, contract_end=c_end,
                         location=rng.choice(LOCATIONS))  # fmt: skip
                dev = (did, serial, m, w_end, c_end, install, cid)
                rows.append(dev)
                self.all_devices.append(dev)
            self.devices[cid] = rows

    def sla(self) -> None:
        def dec(hours):
            return None if hours is None else Decimal(str(hours))

        for p in sla.DEFAULT_POLICIES:
            self.add("sla_policies", priority=p.priority, customer_grade=p.customer_grade,
                     respond_hours=dec(p.respond_hours), resolve_hours=dec(p.resolve_hours),
                     onsite_hours=dec(p.onsite_hours))  # fmt: skip
        # escalate at the cumulative business hours of the ladder (4 h, 13.5 h, 42 h)
        self.escalate_after: list[tuple[int, float]] = []
        total = 0.0
        for lv in sla.DEFAULT_ESCALATION:
            self.add("escalation_levels", level=lv.level, name_zh=lv.zh, name_en=lv.en,
                     hours=dec(lv.hours))  # fmt: skip
            if lv.hours is not None:
                total += lv.hours * 3600
                self.escalate_after.append((lv.level + 1, total))

    def faults(self) -> None:
        rng = self.rng
        self.faults_by_cat: dict[str, list[tuple]] = {c: [] for c in ALL_CATS}
        for k, (code, cat, zh, en, cats, symptoms, diagnosis, work) in enumerate(FAULTS, 1):
            reviewed = self.today - rng.randint(10, 420) * D
            fid = self.add("fault_codes", code=code, name_zh=zh, name_en=en, category=cat,
                           description=f"典型现象：{symptoms[0]}；常见原因：{diagnosis}。",
                           reviewed_at=reviewed)  # fmt: skip
            body = (f"现象：{'；'.join(symptoms)}。\n原因：{diagnosis}。\n处理步骤：\n"
                    f"1. 确认报警代码与发生工况，远程查看报警履历；\n2. 按原因逐项排查；\n"
                    f"3. {work}；\n4. 记录处理过程并回访客户。")  # fmt: skip
            self.add("knowledge_articles", code=f"KB{k:04d}", title=f"如何处理：{zh}",
                     body=body, fault_code_id=fid,
                     reviewed_at=self.today - rng.randint(5, 420) * D)  # fmt: skip
            for c in cats:
                self.faults_by_cat[c].append((fid, code, zh, symptoms, diagnosis, work))

    def parts_master(self) -> None:
        take_day = self.today.replace(day=1) - D
        self.take_at = dt.datetime.combine(take_day, dt.time(17, 0))
        self.parts: list[dict] = []
        self.parts_by_cat: dict[str, list[int]] = {c: [] for c in ALL_CATS}
        codes_by_cat = {c: [m[1] for m in self.models if m[2] == c] for c in ALL_CATS}
        opening = self.year_ago - 5 * D
        for k, (name, spec, cats, cost, key, consumable) in enumerate(PARTS):
            point, qty = (20, 50) if consumable else (2, 3) if key else (5, 10)
            unit_cost = _money(cost)
            price = _money(cost * 1.45)
            part_no = f"{101 + k * 7:06d}"
            bin_ = f"{'ABC'[k % 3]}-{k // 3 % 10 + 1:02d}-{k % 4 + 1:02d}"
            pid = self.add(
                "parts",
                created=opening,
                part_no=part_no,
                name=name,
                spec=spec,
                compatible_models=",".join(c for cat in cats for c in codes_by_cat[cat]),
                uom="个" if not consumable else "件",
                unit_cost=unit_cost,
                price=price,
                is_key=key,
                reorder_point=point,
                reorder_qty=qty,
                bin=bin_,
                on_hand=0,
            )
            part = {"id": pid, "no": part_no, "name": name, "cost": unit_cost, "price": price,
                    "point": point, "qty": qty, "on_hand": 0, "before": 0, "bin": bin_}  # fmt: skip
            self.parts.append(part)
            for c in cats:
                self.parts_by_cat[c].append(len(self.parts) - 1)
            self.move(part, opening, "receipt", qty * 2, reference="期初库存", note="期初入库")

    def move(self, part: dict, at: dt.datetime, kind: str, qty: int, **kw) -> int:
        """One ledger row; keeps the running on-hand and the book as of the stock-take."""
        part["on_hand"] += qty
        if at <= self.take_at:
            part["before"] += qty
        kw.setdefault("user_id", self.keeper)
        return self.add("stock_movements", created=at, part_id=part["id"], at=at, kind=kind,
                        qty=qty, unit_cost=part["cost"], **kw)  # fmt: skip

    def rate_card(self) -> None:
        self.rates = {}
        for code, kind, zh, en, unit, price, pct in RATES:
            self.add("rate_card", created=self.year_ago - 60 * D, code=code, kind=kind,
                     name_zh=zh, name_en=en, unit=unit, price=Decimal(price),
                     contract_discount_pct=Decimal(pct))  # fmt: skip
            self.rates[code] = (kind, zh, Decimal(price), Decimal(pct))

    def settings(self) -> None:
        for key, value in (
            (FOLLOWUP_DELAY_SETTING, FOLLOWUP_DAYS),
            ("warranty_expiring_days", 30),
            ("company_name", "示例装备制造有限公司售后服务部"),
            ("demo.reference_now", self.now.isoformat(sep=" ")),
            ("demo.seed", self.seed),
        ):
            self.add("settings", key=key, value=value)

    # ---- tickets
    def tickets(self) -> None:
        n = self.n_tickets
        if not n:
            return
        self.seg_start, self.seg_weight, self.seg_cum, self.seg_total = self.work.intake_segments(
            self.year_ago, self.now
        )
        stride = max(1, n // 200)
        self.forced = {}
        for k, (status, path) in enumerate(FORCED):
            i = n - 1 - (k + 1) * stride
            if i >= 0:
                self.forced[i] = (status, path, k)
        self.complaint_seeds: list[tuple] = []
        self.complaint_p = max(0.01, 14 / n)
        self._day, self._seq = None, 0
        for i in range(n):
            self.ticket(i)
            if (i + 1) % CHUNK == 0:
                self.flush()
        self.flush()

    def received_at(self, i: int) -> dt.datetime:
        p = (i + self.rng.random()) / self.n_tickets * self.seg_total
        k = bisect.bisect_right(self.seg_cum, p) - 1
        t = self.seg_start[k] + dt.timedelta(seconds=(p - self.seg_cum[k]) / self.seg_weight[k])
        return t.replace(microsecond=0)

    def ticket_no(self, at: dt.datetime) -> str:
        day = at.date()
        if day != self._day:
            self._day, self._seq = day, 0
            self._day_text = f"SR-{day:%Y%m%d}-"
        self._seq += 1
        return f"{self._day_text}{self._seq:04d}"

    def timeline(self, received, path, priority, forced_status):
        """Status times along ``path`` from ``received``, cut at now (or at the forced status)."""
        rng = self.rng
        rand, snap = rng.random, self.work.snap
        factor = PRIORITY_FACTOR[priority]
        stuck = rng.randrange(1, len(path)) if rand() < 0.05 else -1
        if forced_status is not None:
            path = path[: path.index(forced_status) + 1]
        times, secs = [received], [0]
        t, total = received, 0
        for k in range(1, len(path)):
            lo, hi = STEP_SECONDS.get((path[k - 1], path[k])) or STEP_SECONDS[path[k]]
            sec = lo + (hi - lo) * rand()
            if path[k] not in UNSCALED:
                sec *= factor
            if k == stuck:
                sec *= 3 + 7 * rand()
            sec = int(sec)
            total += sec
            secs.append(total)
            t = snap(t + dt.timedelta(seconds=sec), rng)
            times.append(t)
        if forced_status is not None and times[-1] > self.now:
            span = (self.now - received).total_seconds() * 0.9
            scale = span / total if total else 0
            times = [received + dt.timedelta(seconds=int(x * scale)) for x in secs]
            snapped = [received] + [snap(x, rng) for x in times[1:]]
            if snapped[-1] <= self.now and snapped == sorted(snapped):
                times = snapped
        keep = bisect.bisect_right(times, self.now)
        return path[:keep], times[:keep]

    def intake(self, i: int):
        """Who calls about what: customer, device, fault, lifecycle path, priority, channel."""
        rng = self.rng
        received = self.received_at(i)
        cust = self.cust[bisect.bisect(self.cust_cum, rng.random() * self.cust_cum[-1])]
        devices = self.devices[cust[0]]
        r = rng.random()
        dev = rng.choice(devices) if r < 0.92 else None
        unregistered = f"SN{rng.randrange(10**7):07d}" if 0.92 <= r < 0.96 else None
        cat = self.models[(dev or rng.choice(devices))[2]][2]
        fault = rng.choice(self.faults_by_cat[cat])
        forced = self.forced.get(i)
        if forced:  # a ticket that must show this status (see FORCED)
            status, path_name, k = forced
            priority, channel = PRIORITIES[k % 4], CHANNELS[k % 5]
        else:
            status = None
            path_name = _pick(rng, PATH_NAMES, PATH_WEIGHTS)
            priority = _pick(rng, PRIORITIES, PRIORITY_WEIGHTS)
            channel = _pick(rng, CHANNELS, CHANNEL_WEIGHTS)
        if not self.work.inside(received) and channel not in ("email", "online"):
            channel = "online" if rng.random() < 0.6 else "email"  # nobody answers the phone
        return received, cust, dev, unregistered, cat, fault, status, path_name, priority, channel

    def ticket(self, i: int) -> None:
        rng = self.rng
        received, cust, dev, unregistered, cat, fault, status, path_name, priority, channel = (
            self.intake(i)
        )
        cid, region, _grade, contacts = cust
        statuses, times = self.timeline(received, PATHS[path_name], priority, status)
        contact = contacts[0] if rng.random() < 0.7 else rng.choice(contacts)
        tid = self.next_id("tickets")
        tno = self.ticket_no(received)
        engs = self.eng_by_region[region] or self.engineers
        agent = rng.choice(self.agents)
        events, engineer = self.ticket_events(tid, statuses, times, agent, engs, priority)
        level = max([e["level"] for e in events if e["kind"] == "escalate"] or [1])
        when = received.date()
        w_status = warranty_status(dev[3], when) if dev else WarrantyStatus.UNKNOWN
        c_status = contract_status(dev[4], when) if dev else ContractStatus.NONE
        last = {s: t for s, t in zip(statuses, times, strict=True)}
        current = statuses[-1]
        resolved_at = None
        if current in RESOLVED:
            resolved_at = max(t for s, t in zip(statuses, times, strict=True) if s == S.REPAIRED)
        reached_repair = current in RESOLVED
        respond_due, resolve_due = self.deadlines(received, priority, statuses, times)
        self.add(
            "tickets",
            created=received,
            id=tid,
            ticket_no=tno,
            customer_id=cid,
            device_id=dev[0] if dev else None,
            serial_no=dev[1] if dev else unregistered,  # as typed at intake
            contact_name=contact[0],
            contact_phone=contact[1],
            channel=str(channel),
            priority=str(priority),
            status=SV[current],
            service_type=(
                SERVICE_TYPES[1]
                if path_name == "remote" and rng.random() < 0.3
                else _pick(rng, SERVICE_TYPES, SERVICE_WEIGHTS)
            ),  # fmt: skip
            fault_description=(
                f"{CHANNEL_PREFIX.get(channel, '') if rng.random() < 0.4 else rng.choice(PREFIXES)}"
                f"{rng.choice(fault[3])}{rng.choice(SUFFIXES)}"
            ),
            fault_code_id=fault[0] if len(statuses) > 2 or rng.random() < 0.3 else None,
            received_at=received,
            responded_at=last.get(S.RESPONDED),
            resolved_at=resolved_at,
            closed_at=times[-1] if current == S.CLOSED else None,
            engineer_id=engineer,
            created_by_id=agent,
            escalation_level=level,
            warranty_status=str(w_status),
            contract_status=str(c_status),
            respond_due=respond_due,
            resolve_due=resolve_due,
            # the tickets domain's rule: one visit at most, no parts wait, no reopen
            first_time_fix=path_name not in ("parts", "reopen") if reached_repair else None,
            remote_resolved=path_name == "remote" and reached_repair,
            updated_at=events[-1]["at"],
        )
        for e in events:
            self.buf["ticket_events"].append(e)
        self.buffered += len(events)
        if not reached_repair:
            if rng.random() < self.complaint_p:
                self.complaint_seeds.append((tid, cid, dev, contact, times[-1]))
            return
        ctx = {"id": tid, "no": tno, "cid": cid, "dev": dev, "cat": cat, "fault": fault,
               "path": path_name, "priority": priority, "engineer": engineer, "contact": contact,
               "repaired": resolved_at, "status": current, "last": last, "end": times[-1],
               "covered": w_status in (WarrantyStatus.IN_WARRANTY, WarrantyStatus.EXPIRING),
               "contract": c_status == ContractStatus.ACTIVE, "agent": agent}  # fmt: skip
        used = self.ticket_parts(ctx)
        hours, km = self.service_report(ctx)
        self.fees(ctx, used, hours, km)
        if current == S.CLOSED:
            self.ticket_followup(ctx)
        if rng.random() < self.complaint_p:
            self.complaint_seeds.append((tid, cid, dev, contact, times[-1]))

    def deadlines(self, received, priority, statuses, times):
        """respond_due / resolve_due as the tickets domain stores them (see module doc)."""
        policy = POLICIES[priority]
        if statuses[-1] not in FINISHED:
            events = zip(times, statuses, strict=True)
            clock = sla.sla_clock(received, policy, self.cal, events, self.now)
            return clock.respond_by, clock.resolve_by
        respond = self.work.add(received, policy.respond_hours * 3600)
        # business time not counted before the last running stretch: waiting, or stopped
        # before a reopen
        last_running = max(k for k, st in enumerate(statuses) if st not in NOT_COUNTED)
        idle = 0.0
        for k in range(1, last_running):
            if statuses[k] in NOT_COUNTED:
                idle += self.work.between(times[k], times[k + 1])
        resolve = self.work.add(received, policy.resolve_hours * 3600 + idle)
        return respond, resolve

    def ticket_events(self, tid, statuses, times, agent, engs, priority):
        """The append-only history: status changes, assignments, escalations, notes."""
        rng = self.rng
        events: list[dict] = []
        engineer = None

        def ev(at, kind, user, fs=None, ts=None, fu=None, tu=None, level=None, note=None):
            events.append({"id": None, "created_at": at, "ticket_id": tid, "at": at,
                           "user_id": user, "kind": kind, "from_status": fs, "to_status": ts,
                           "from_user_id": fu, "to_user_id": tu, "level": level, "note": note})  # fmt: skip

        prev = None
        for s, at in zip(statuses, times, strict=True):
            if s in ASSIGNING and (engineer is None or rng.random() < 0.25):
                new = engs[int(rng.random() * len(engs))]
                if new != engineer:
                    ev(at, "assign", self.manager if s == S.DISPATCHED else agent,
                       fu=engineer, tu=new)  # fmt: skip
                    engineer = new
            actor = engineer if s in BY_ENGINEER else agent
            ev(at, "status", actor or agent, prev, SV[s])
            prev = SV[s]
        # escalation runs until the first fix (or cancellation), else until now
        received = times[0]
        end = next((t for s, t in zip(statuses, times, strict=True) if s in FINISHED), self.now)
        # not every late ticket is escalated formally; urgent ones more often
        chance = 0.35 if priority in (Priority.EMERGENCY, Priority.HIGH) else 0.15
        for lvl, after in self.escalate_after:
            if rng.random() >= chance:
                break
            at = self.work.add(received, after)
            at = self.work.snap(at + dt.timedelta(minutes=int(rng.random() * 20)), rng)
            if at > end:
                break
            chance = 0.6
            note = "超时自动升级" if rng.random() < 0.7 else "客户要求升级处理"
            ev(at, "escalate", self.manager, level=lvl, note=f"{note}至 L{lvl}")
        if len(times) > 2 and rng.random() < 0.12:
            k = rng.randrange(1, len(times))
            half = int((times[k] - times[k - 1]).total_seconds() / 2)
            at = self.work.snap(times[k - 1] + dt.timedelta(seconds=half), rng)
            if at <= times[k]:
                ev(at, "note", engineer or agent, note=NOTES[int(rng.random() * len(NOTES))])
        events.sort(key=_at)
        n = self.ids["ticket_events"]
        for e in events:
            n += 1
            e["id"] = n
        self.ids["ticket_events"] = n
        return events, engineer

    def ticket_parts(self, ctx) -> list[tuple]:
        rng = self.rng
        chance = {"parts": 1.0, "factory": 0.6, "reopen": 0.5, "onsite": 0.35, "customer": 0.35}
        if rng.random() >= chance.get(ctx["path"], 0.0):
            return []
        pool = self.parts_by_cat[ctx["cat"]]
        at = ctx["last"].get(S.ON_SITE) or ctx["repaired"]
        used = []
        for idx in rng.sample(pool, min(len(pool), rng.choice((1, 1, 1, 2, 2, 3)))):
            part = self.parts[idx]
            qty = rng.randint(1, 4) if part["point"] >= 20 else 1
            # one taken along and brought back (at least once, so every kind shows)
            extra = 1 if rng.random() < 0.05 or not self.returns else 0
            self.returns += extra
            take = qty + extra
            if part["on_hand"] < take:
                self.move(part, at - rng.randint(2, 30) * H, "receipt", max(part["qty"], take),
                          reference=self.doc_no("PO", at), note="紧急采购入库")  # fmt: skip
            mid = self.move(part, at, "issue", -take, ticket_id=ctx["id"], reference=ctx["no"],
                            user_id=self.keeper, from_bin=part["bin"])  # fmt: skip
            if extra:
                self.move(part, ctx["repaired"] + rng.randint(2, 48) * H, "return", extra,
                          ticket_id=ctx["id"], reference=ctx["no"], to_bin=part["bin"],
                          note="未使用退库")  # fmt: skip
            self.add("ticket_parts", created=at, ticket_id=ctx["id"], line_no=len(used) + 1,
                     part_id=part["id"],
                     part_no=part["no"], description=part["name"], qty=qty,
                     unit_price=part["price"], movement_id=mid)  # fmt: skip
            used.append((part, qty))
            if part["on_hand"] <= part["point"]:
                arrive = at + rng.randint(24, 72) * H
                if arrive < self.now:
                    self.move(part, arrive, "receipt", part["qty"] * 2,
                              reference=self.doc_no("PO", arrive), note="补货入库")  # fmt: skip
        return used

    def service_report(self, ctx) -> tuple[Decimal, Decimal]:
        rng = self.rng
        remote = ctx["path"] == "remote"
        hours = Decimal(rng.randint(1, 4 if remote else 16)) / 2
        km = Decimal("0") if remote or ctx["path"] == "factory" else Decimal(rng.randint(8, 320))
        accepted = ctx["last"].get(S.ACCEPTED) if ctx["status"] != S.REPAIRED else None
        rated = accepted is not None and rng.random() < 0.85
        fault = ctx["fault"]
        self.add(
            "service_reports",
            created=ctx["repaired"],
            ticket_id=ctx["id"],
            work_done=("远程指导客户处理：" if remote else "") + fault[5],
            diagnosis=fault[4],
            result="returned"
            if ctx["path"] == "factory"
            else _pick(rng, ("fixed", "temporary", "not_fixed"), (94, 5, 1)),
            labour_hours=hours,
            travel_km=km,
            accepted_by=ctx["contact"][0] if accepted else None,
            accepted_at=accepted,
            rating_quality=_rating(rng) if rated else None,
            rating_attitude=_rating(rng) if rated else None,
            rating_efficiency=_rating(rng) if rated else None,
            customer_feedback=rng.choice(FEEDBACK) if rated and rng.random() < 0.4 else None,
            engineer_id=ctx["engineer"],
            updated_at=accepted or ctx["repaired"],
        )
        return hours, km

    def fees(self, ctx, used, hours, km) -> None:
        """Fee lines (out of warranty: charged; in warranty: parts waived) and a settlement."""
        repaired = ctx["repaired"]
        lines: list[dict] = []

        def line(code, kind, description, qty, price, pct=Decimal("0"), waived=False):
            amount = Decimal("0.00") if waived else _money(qty * price * (100 - pct) / 100)
            lines.append({"rate_code": code, "kind": kind, "description": description,
                          "qty": Decimal(qty), "unit_price": price, "discount_pct": pct,
                          "amount": amount, "waived": waived})  # fmt: skip

        def rate(code, qty, discount=False):
            kind, zh, price, pct = self.rates[code]
            line(code, kind, zh, Decimal(qty), price, pct if discount and ctx["contract"] else 0)

        covered = ctx["covered"]
        if not covered:
            rate("DIAG-01", 1, discount=True)
            rate("LAB-01", hours, discount=True)
            if km > 50:
                rate("TRV-02", km)
            elif km > 0:
                rate("TRV-01", 1)
            if ctx["priority"] == Priority.EMERGENCY:
                rate("RUSH-01", 1)
            if ctx["path"] == "factory":
                for code in ("SHIP-01", "INSP-01", "REP-01"):
                    rate(code, 1, discount=code != "SHIP-01")
        for part, qty in used:  # parts at cost price; free in warranty
            line(None, "parts", f"{part['name']}（{part['no']}）", Decimal(qty), part["cost"],
                 waived=covered)  # fmt: skip
        sid = None
        if not covered and ctx["status"] in (S.ACCEPTED, S.CLOSED):
            sid = self.settlement(ctx, sum((ln["amount"] for ln in lines), Decimal("0.00")))
        for ln in lines:
            self.add("fee_lines", created=repaired, ticket_id=ctx["id"], settlement_id=sid, **ln)

    def settlement(self, ctx, total: Decimal) -> int:
        rng = self.rng
        sid = self.next_id("settlements")
        start = ctx["last"][S.ACCEPTED]
        age = (self.now - start).days
        if age > 45:
            status = _pick(rng, ("paid", "billed", "audited"), (85, 10, 5))
        elif age > 15:
            status = _pick(rng, ("paid", "billed", "audited", "draft"), (40, 35, 15, 10))
        else:
            status = _pick(rng, ("draft", "audited", "billed"), (55, 30, 15))
        audited = issued = None
        if status != "draft":
            audited = min(self.now, self.work.snap(start + rng.randint(4, 96) * H, rng))
        if status in ("billed", "paid"):
            issued = min(self.now, self.work.snap(audited + rng.randint(2, 72) * H, rng))
        self.add("settlements", created=start, id=sid,
                 settlement_no=self.doc_no("JS", start),
                 customer_id=ctx["cid"], ticket_id=ctx["id"], status=status, total=total,
                 audited_by_id=self.manager if audited else None, audited_at=audited,
                 issued_at=issued, updated_at=issued or audited or start)  # fmt: skip
        if status == "paid" or (status == "billed" and rng.random() < 0.2):
            paid = min(self.today, (issued + rng.randint(3, 40) * D).date())
            method = _pick(rng, ("bank_transfer", "online", "card", "cash"), (70, 15, 10, 5))
            parts = [total]
            if status == "billed" or rng.random() < 0.15:
                first = _money(total * Decimal("0.3"))
                parts = [first, total - first] if status == "paid" else [first]
            for k, amount in enumerate(parts):
                day = min(self.today, paid + k * 14 * D)
                self.add("payments", created=dt.datetime.combine(day, dt.time(15)),
                         settlement_id=sid, paid_at=day, amount=amount, method=method,
                         reference=f"回单 {day:%Y%m%d}-{sid:06d}-{k + 1}")  # fmt: skip
        return sid

    def ticket_followup(self, ctx) -> None:
        rng = self.rng
        closed = ctx["end"]
        due = followup_due(closed, FOLLOWUP_DAYS)
        status, done = "planned", None
        if due < self.today:
            status = _pick(rng, ("done", "unreachable", "planned"), (91, 5, 4))
            if status != "planned":
                done = min(self.now, self.work.snap(
                    dt.datetime.combine(due, dt.time(9)) + rng.randint(0, 30) * H, rng))  # fmt: skip
        self.followup(ctx["cid"], "ticket", due, status, done, created=closed,
                      ticket_id=ctx["id"], user_id=ctx["agent"],
                      followup_no=followup_no(ctx["no"], 1))  # fmt: skip

    def followup(self, cid, reason, due, status, done, *, created, rated=True, **kw) -> int:
        rng = self.rng
        mode = kw.pop("mode", None) or _pick(rng, MODES, (70, 10, 12, 8))
        number = kw.pop("followup_no", None) or self.doc_no("HF", created, "day")
        values = {}
        if status == "done":
            values = {"content": rng.choice(["设备运行正常，客户无其他问题", "回访维修效果，客户表示满意",
                                             "了解设备使用情况，提醒按时保养", "客户反映偶有小报警，已记录跟进"]),
                      "opinions": rng.choice([None, None, "希望缩短备件到货时间", "建议增加操作培训",
                                              "对工程师服务表示感谢"])}  # fmt: skip
            if rated:
                values.update(rating_quality=_rating(rng), rating_attitude=_rating(rng),
                              rating_efficiency=_rating(rng))  # fmt: skip
            if rng.random() < 0.08:
                values.update(issue_raised="客户反映设备偶发异响，需安排检查",
                              issue_closed=rng.random() < 0.6)  # fmt: skip
        values.update(kw)
        return self.add("followups", created=created,
                        followup_no=number, customer_id=cid,
                        reason=reason, mode=mode, due_date=due, done_at=done, status=status,
                        updated_at=done or created, **values)  # fmt: skip

    # ---- maintenance
    def maintenance(self) -> None:
        rng = self.rng
        periods = {"yearly": 12, "half_yearly": 6, "quarterly": 3, "monthly": 1}
        windows = {"yearly": "每年第二个月第一周", "half_yearly": "每半年第二个月第一周",
                   "quarterly": "每季度第一个月第二周", "monthly": "每月第一周"}  # fmt: skip
        for dev in self.all_devices:
            did, serial, m, w_end, c_end, install, cid = dev
            if c_end is None and rng.random() > 0.08:
                continue
            package = _pick(rng, ("basic", "comprehensive", "custom"), (50, 35, 15))
            freq = {"basic": "yearly", "comprehensive": "half_yearly"}.get(package) or rng.choice(
                ("quarterly", "monthly")
            )
            kind = "firmware" if rng.random() < 0.06 else "inspection"
            if kind == "firmware":
                freq = "yearly"
            start = max(install, self.today - rng.randint(200, 700) * D)
            end = c_end or add_months(start, 24)
            region = self.cust_region(cid)
            eng = rng.choice(self.eng_by_region[region] or self.engineers)
            code = self.models[m][1]
            pid = self.next_id("maintenance_plans")
            visits = []
            k, due = 1, add_months(start, periods[freq])
            while due <= end and due <= self.today + 180 * D:
                visits.append(due)
                k += 1
                due = add_months(start, periods[freq] * k)
            rows = [self.visit(pid, d, eng) for d in visits]
            next_due = min((r[0] for r in rows if r[1] == "planned"), default=None)
            label = {"basic": "基础保养", "comprehensive": "全面保养", "custom": "定制保养"}[
                package
            ]
            self.add("maintenance_plans", created=dt.datetime.combine(start, dt.time(9)), id=pid,
                     plan_no=f"MP-{start:%Y}-{pid:05d}",
                     name=(f"{code} 固件升级计划（{serial}）" if kind == "firmware"
                           else f"{code} {label}（{serial}）"),
                     customer_id=cid, device_id=did, package=package, frequency=freq, kind=kind,
                     start_date=start, end_date=end, due_window=windows[freq],
                     window_days=14 if freq in ("yearly", "half_yearly") else 7,
                     responsible_id=eng, next_due=next_due, active=end >= self.today,
                     risk_notes=("升级前备份 PLC 程序与系统参数；升级失败可回滚至原版本；"
                                 "安排在客户停产窗口执行") if kind == "firmware" else None)  # fmt: skip
            items = PACKAGE_ITEMS.get(package) or sorted(rng.sample(range(8), 5))
            if kind == "firmware":
                items = (6, 5, 7)
            for seq, idx in enumerate(items, 1):
                self.add("checklist_items", plan_id=pid, seq=seq, item=CHECKLIST[idx][0],
                         standard=CHECKLIST[idx][1])  # fmt: skip
            for row in rows:
                self.buf["maintenance_visits"].append(row[2])
                self.buffered += 1

    def cust_region(self, cid: int) -> str:
        return self.cust[cid - 1][1]

    def visit(self, pid, due, eng):
        rng = self.rng
        row = self.templates["maintenance_visits"].copy()
        created = dt.datetime.combine(due - 30 * D, dt.time(9))
        row.update(id=self.next_id("maintenance_visits"), plan_id=pid, due_date=due,
                   engineer_id=eng, created_at=created, updated_at=created)  # fmt: skip
        status = "planned"
        if due < self.today - 7 * D:
            status = _pick(rng, ("done", "missed", "planned"), (88, 4, 8))
        elif due < self.today:
            status = "done" if rng.random() < 0.5 else "planned"
        row["status"] = status
        if status == "done":
            done = self.work.snap(dt.datetime.combine(due, dt.time(9))
                                  + rng.randint(-120, 200) * H, rng)  # fmt: skip
            done = min(done, self.now)
            issues = rng.random() < 0.15
            row.update(done_at=done, updated_at=done,
                       content="按保养清单完成：清洁、紧固、润滑、电气检查、自检",
                       result="issues_found" if issues else "ok",
                       findings=rng.choice(["主轴轴承有轻微异响，建议下次更换",
                                            "液压油已变质，建议更换", "冷却液浓度偏低，已调整",
                                            "电柜滤网堵塞严重，已更换"]) if issues else None)  # fmt: skip
        return due, status, row

    # ---- spare parts
    def stock_extras(self) -> None:
        rng = self.rng
        for part in self.parts:
            if rng.random() < 0.3 and part["on_hand"] >= 2:
                at = self.when(self.year_ago, self.now)
                self.move(part, at, "scrap", -rng.randint(1, 2),
                          note=rng.choice(["受潮损坏报废", "超过保质期报废", "运输损坏报废"]),
                          reference=f"BF-{at:%Y%m%d}")  # fmt: skip
        for _ in range(8):
            part = rng.choice(self.parts)
            if part["on_hand"] < 2:
                continue
            at = self.when(self.year_ago, self.now)
            qty = rng.randint(1, min(5, part["on_hand"]))
            target = f"{rng.choice(list(REGIONS))}服务站"
            ref = f"DB-{at:%Y%m%d}-{self.number('DB'):03d}"
            self.move(part, at, "transfer", -qty, from_bin=part["bin"], to_bin=target,
                      reference=ref, note="调拨至区域服务站")  # fmt: skip
            self.move(part, at, "transfer", qty, from_bin=part["bin"], to_bin=target,
                      reference=ref, note="区域服务站收货")  # fmt: skip

    def stock_take(self) -> None:
        rng = self.rng
        day = self.take_at.date()
        take = self.add("stock_takes", created=self.take_at, take_no=f"PD-{day:%Y%m}-01",
                        day=day, status="posted", user_id=self.keeper)  # fmt: skip
        for k, part in enumerate(self.parts):
            book = part["before"]
            diff = 0
            if rng.random() < 0.12 or k in (3, 17):
                diff = rng.choice((-2, -1, 1))
                if book + diff < 0 or part["on_hand"] + diff < 0:
                    diff = 1
            self.add("stock_take_lines", created=self.take_at, take_id=take, part_id=part["id"],
                     book_qty=book, counted_qty=book + diff)  # fmt: skip
            if diff:
                self.move(part, self.take_at + dt.timedelta(minutes=30), "adjust", diff,
                          stock_take_id=take, reference=f"PD-{day:%Y%m}-01",
                          note="盘点差异调整")  # fmt: skip

    def finish_parts(self) -> None:
        stmt = (update(T["parts"]).where(T["parts"].c.id == bindparam("pid"))
                .values(on_hand=bindparam("qty")))  # fmt: skip
        self.conn.execute(stmt, [{"pid": p["id"], "qty": p["on_hand"]} for p in self.parts])

    # ---- complaints
    def complaints(self) -> None:
        rng = self.rng
        seeds = list(self.complaint_seeds) if self.n_tickets else []
        while len(seeds) < 12:
            cust = rng.choice(self.cust)
            seeds.append((None, cust[0], None, cust[3][0], self.when(self.year_ago, self.now)))
        seeds.sort(key=lambda s: s[4])
        contents = [
            ("quality", "工程师多次上门仍未修好，严重影响生产"),
            ("response", "报修后两天才有人联系，响应太慢"),
            ("fee", "维修收费不透明，配件价格偏高"),
            ("attitude", "工程师服务态度差，未按约定时间到达"),
            ("quality", "维修后同样故障再次出现"),
            ("parts", "备件等待时间过长，设备停机一周"),
            ("product", "新设备安装不到三个月频繁报警"),
        ]
        for k, (tid, cid, dev, contact, after) in enumerate(seeds, 1):
            received = self.work.snap(after + rng.randint(2, 240) * H, rng)
            if received >= self.now:
                received = max(after, self.now - rng.randint(1, 20) * H)
            self.complaint(k, tid, cid, dev, contact, received, rng.choice(contents))

    def complaint(self, k, tid, cid, dev, contact, received, content) -> None:
        rng = self.rng
        age_h = (self.now - received).total_seconds() / 3600
        rehandled = rng.random() < 0.2
        if age_h < 24:
            status = "received"
        elif age_h < 24 * 5:
            status = rng.choice(("investigating", "handling"))
        elif age_h < 24 * 12:
            status = rng.choice(("handling", "follow_up", "closed"))
        else:
            status = "closed" if rng.random() < 0.93 else "follow_up"
        severity = _pick(rng, ("low", "medium", "high"), (30, 50, 20))
        urgency = _pick(rng, ("low", "medium", "high"), (30, 45, 25))
        rank = max(
            ("low", "medium", "high").index(severity), ("low", "medium", "high").index(urgency)
        )
        rehandled = rehandled or not self.rehandled  # at least one, so the demo shows it
        rounds = 2 if rehandled and status in ("handling", "follow_up", "closed") else 1
        self.rehandled += rounds == 2
        actions, t = self.complaint_actions(received, status, rounds)
        closed = None
        if status == "closed":
            closed = min(self.now, self.work.snap(t + rng.randint(1, 48) * H, rng))
        cpid = self.next_id("complaints")
        handler = rng.choice((self.quality, self.manager))
        self.add("complaints", created=received, id=cpid,
                 complaint_no=self.doc_no("TS", received),
                 customer_id=cid, ticket_id=tid, device_id=dev[0] if dev else None,
                 complainant=contact[0], contact=contact[1],
                 channel=_pick(rng, ("hotline", "email", "online", "social_media"), (55, 20, 15, 10)),
                 received_at=received, content=content[1], category=content[0],
                 severity=severity, urgency=urgency, priority=("low", "medium", "high")[rank],
                 status=status, tier=1 + rank, handler_id=handler,
                 investigate_by=received + 48 * H,
                 root_cause="维修经验不足且未及时升级二线支持" if status != "received" else None,
                 result="已更换故障部件并对工程师进行再培训" if status in ("follow_up", "closed") else None,
                 satisfied=True if status == "closed" else (False if rounds == 2 else None),
                 rounds=rounds, closed_at=closed, updated_at=closed or received)  # fmt: skip
        for action in actions:
            self.add("complaint_actions", created=received, complaint_id=cpid, **action)
            if action["effective"] is False:  # the follow-up that found the customer unhappy
                self.followup(cid, "complaint", action["done_at"].date(), "done",
                              action["done_at"], created=received, complaint_id=cpid,
                              user_id=self.quality, opinions="不满意：问题未彻底解决",
                              rated=False)  # fmt: skip
        if closed:
            self.followup(cid, "complaint", closed.date(), "done", closed, created=received,
                          complaint_id=cpid, user_id=self.quality, opinions="满意，问题已解决",
                          rated=False)  # fmt: skip

    def complaint_actions(self, received, status, rounds) -> tuple[list[dict], dt.datetime]:
        """Investigation → measures → CAPA → verification, once more when not satisfied."""
        rng = self.rng
        steps = [("investigation", "组织处理小组调查原因", "质量部")]
        if status not in ("received", "investigating"):
            steps += [("measure", "制定处理方案并通知客户", "售后服务部"),
                      ("corrective", "更换故障部件，复查同类设备", "售后服务部"),
                      ("preventive", "修订维修作业指导书并组织培训", "技术部")]  # fmt: skip
        verify = ("verification", "回访验证整改效果", "质量部")
        actions, t = [], received
        for rnd in range(1, rounds + 1):
            last_round = rnd == rounds
            plan = (
                steps + [verify] if status in ("follow_up", "closed") or not last_round else steps
            )
            for kind, desc, dept in plan:
                t = self.work.snap(t + rng.randint(4, 40) * H, rng)
                pending = status == "received" or (
                    status in ("handling", "follow_up") and last_round and kind == plan[-1][0]
                )
                done = t if t <= self.now and not pending else None
                effective = None
                if kind == "verification" and done:
                    # round 1 of a re-handled complaint: the customer was not satisfied
                    effective = last_round and status == "closed"
                    desc = (
                        desc if effective or last_round else "回访：客户对处理结果不满意，重新处理"
                    )
                actions.append({"round": rnd, "kind": kind,
                                "description": desc if rnd == 1 else f"第二轮：{desc}",
                                "department": dept, "responsible": self.person(),
                                "deadline": (t + 24 * H).date(), "done_at": done,
                                "effective": effective})  # fmt: skip
        return actions, min(t, self.now)

    # ---- follow-ups
    def periodic_followups(self) -> None:
        rng = self.rng
        start = self.year_ago.date()
        for cid, _region, grade, _contacts in self.cust:
            months = 1 if grade == "A" else 3
            due = start + rng.randint(0, 27) * D
            while due <= self.today + 90 * D:
                created = dt.datetime.combine(due - 14 * D, dt.time(9))
                status, done = "planned", None
                if due < self.today:
                    status = _pick(rng, ("done", "unreachable", "planned"), (92, 4, 4))
                    if status != "planned":
                        done = self.work.snap(dt.datetime.combine(due, dt.time(9))
                                              + rng.randint(-48, 48) * H, rng)  # fmt: skip
                        done = min(done, self.now)
                self.followup(cid, "periodic", due, status, done, created=created,
                              user_id=rng.choice(self.agents))  # fmt: skip
                due = add_months(due, months)
        for dev in self.all_devices:
            install = dev[5]
            if install < start:
                continue
            due = install + 30 * D
            status, done = "planned", None
            if due < self.today:
                status = "done" if rng.random() < 0.9 else "planned"
                if status == "done":
                    done = self.work.snap(dt.datetime.combine(due - rng.randint(0, 20) * D,
                                                              dt.time(10)), rng)  # fmt: skip
            self.followup(dev[6], "install", due, status, done,
                          created=dt.datetime.combine(install, dt.time(17)), mode="phone",
                          user_id=rng.choice(self.agents))  # fmt: skip

    # ---- training
    def training(self) -> None:
        rng = self.rng
        course_ids = {}
        for code, name, audience, topic, delivery, hours, pass_score in COURSES:
            course_ids[topic] = self.add(
                "training_courses", created=self.year_ago - 90 * D, code=code, name=name,
                audience=audience, topic=topic, delivery=delivery, hours=Decimal(hours),
                outline="1. 设备结构与原理\n2. 操作/维护要点\n3. 常见问题与处理\n4. 考核",
                materials="培训讲义（PDF）、操作视频、考核试题", pass_score=Decimal(pass_score))  # fmt: skip
        phases = [("initial", "operation", 0), ("deepening", "maintenance", 7),
                  ("deepening", "troubleshooting", 14), ("review", "operation", 28)]  # fmt: skip
        for cid, _region, _grade, contacts in self.cust:
            if rng.random() > 0.75:
                continue
            base = self.when(self.year_ago, self.now + 60 * D)
            trainees = [c[0] for c in contacts] + [self.person() for _ in range(rng.randint(1, 3))]
            trainees = list(dict.fromkeys(trainees))
            for phase, topic, offset in phases:
                starts = self.work.snap(base + offset * D, rng).replace(minute=0, second=0)
                self.session(course_ids[topic], phase, starts, cid, trainees)
            if rng.random() < 0.2:
                starts = self.work.snap(base + 45 * D, rng).replace(minute=0, second=0)
                self.session(course_ids["advanced"], None, starts, cid, trainees[:2])
        by_name = {self.user_names[uid]: uid for uid in self.engineers + self.agents}
        staff = [(uid, name) for name, uid in by_name.items()]
        for k, topic in enumerate(("product", "skills", "rules", "communication", "product")):
            starts = self.work.snap(self.year_ago + (40 + 70 * k) * D, rng).replace(
                minute=0, second=0
            )
            self.session(course_ids[topic], None, starts, None, staff)

    def session(self, course_id, phase, starts, cid, trainees) -> None:
        rng = self.rng
        status = "held" if starts < self.now else "planned"
        if rng.random() < 0.04:
            status = "cancelled"
        sid = self.add("training_sessions", created=starts - 10 * D,
                       session_no=self.doc_no("PX", starts, "year"),
                       course_id=course_id, customer_id=cid, phase=phase, starts_at=starts,
                       ends_at=starts + 4 * H, location="线上直播" if rng.random() < 0.5
                       else "客户现场" if cid else "公司培训中心", trainer_id=self.trainer,
                       status=status)  # fmt: skip
        for who in trainees:
            user_id = who[0] if isinstance(who, tuple) else None
            name = who[1] if isinstance(who, tuple) else who
            attended = status == "held" and rng.random() < 0.9
            score = Decimal(rng.randint(55, 100)) if attended else None
            self.add("training_attendance", created=starts, session_id=sid, attendee_name=name,
                     customer_id=cid, user_id=user_id, attended=attended,
                     assessment=rng.choice(("online_test", "practical", "feedback"))
                     if attended else None, score=score,
                     completed=bool(attended and score >= 70),
                     feedback=rng.choice([None, "内容实用", "希望增加实操时间"]) if attended
                     else None)  # fmt: skip


# ---------------------------------------------------------------- public API
def is_empty(conn: Connection) -> bool:
    return not any(conn.execute(select(t.c.id).limit(1)).first() for t in T.values())


def _clear(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{n}"' for n in TABLE_ORDER)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for name in reversed(TABLE_ORDER):
        conn.execute(T[name].delete())


def _fix_sequences(conn: Connection) -> None:
    """PostgreSQL: explicit ids do not advance the id sequences; move them past the data."""
    if conn.dialect.name != "postgresql":
        return
    for name in TABLE_ORDER:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
            )
        )


def load(
    engine: Engine,
    *,
    customers: int = 200,
    tickets: int = 3000,
    seed: int = DEMO_SEED,
    now: dt.datetime | None = None,
    reset: bool = False,
) -> dict[str, int]:
    """Fill the database with demo data in one transaction; returns rows per table.

    Raises :class:`NotEmptyError` when any table holds rows, unless ``reset`` (which
    deletes everything first, in the same transaction).
    """
    now = (now or DEMO_NOW).replace(microsecond=0)
    bound = engine.execution_options(sqlite_write=True)
    with bound.connect() as conn, conn.begin():
        if not is_empty(conn):
            if not reset:
                raise NotEmptyError("database is not empty")
            _clear(conn)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-131072")  # 128 MB while loading
        gen = _Gen(conn, customers=customers, tickets=tickets, seed=seed, now=now)
        counts = gen.run()
        _fix_sequences(conn)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
    return counts


def _parse_now(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    if value == "now":
        return dt.datetime.now().replace(second=0, microsecond=0)
    return dt.datetime.fromisoformat(value)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print_counts(counts: dict[str, int], out: Iterable[str] = ()) -> None:
    width = max(len(k) for k in counts)
    for name, n in counts.items():
        print(f"  {name:<{width}} {n:>10,}")
    for line in out:
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data_access.demo",
        description="Load deterministic demo data (Chinese + English) into an empty database.",
    )
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or data/aftersales.db)")
    parser.add_argument("--now", help=f"reference time, ISO or 'now' (default {DEMO_NOW})")
    parser.add_argument("--reset", action="store_true", help="delete existing data first")
    args = parser.parse_args(argv)
    from data_access.migrate import upgrade

    engine = db.make_engine(args.url)
    started = time.perf_counter()
    upgrade(engine)
    migrated = time.perf_counter()
    try:
        counts = load(engine, customers=args.customers, tickets=args.tickets, seed=args.seed,
                      now=_parse_now(args.now), reset=args.reset)  # fmt: skip
    except NotEmptyError:
        print(
            "The database already holds data; nothing was loaded. "
            "Use --reset to delete it and load the demo data (数据库非空，使用 --reset 清空后重新生成).",
            file=sys.stderr,
        )
        engine.dispose()
        return 2
    loaded = time.perf_counter()
    with engine.connect() as conn:
        tickets = conn.execute(select(func.count()).select_from(T["tickets"])).scalar()
    engine.dispose()
    print(f"demo data loaded into {engine.url.render_as_string(hide_password=True)}")
    _print_counts(
        counts,
        [
            f"  {'total rows':<20} {sum(counts.values()):>10,}",
            f"migrate {migrated - started:.2f} s, load {loaded - migrated:.2f} s, "
            f"peak RSS {_peak_rss_mb():.0f} MB, tickets in database {tickets:,}",
            f"demo log-ins: admin, manager, agent, engineer, parts, trainer, quality "
            f"(password {DEMO_PASSWORD})",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
