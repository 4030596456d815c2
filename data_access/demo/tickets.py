"""Demo fault codes, knowledge articles and a year of tickets with their history."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal

from data_access.demo.base import CHUNK, D, Plumbing, T, pick, rating
from data_access.demo.customers import ALL_CATS, MODELS
from data_access.demo.sla_settings import POLICIES
from rules import sla
from rules.customers import ContractStatus, WarrantyStatus, contract_status, warranty_status
from rules.faultcodes import Severity
from rules.tickets import Channel, Priority, Status, closing_facts

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
# severity and typical labour hours per fault code (others: major, 2 h)
_C, _M, _m = "critical", "major", "minor"
FAULT_FACTS = {
    "E101": (_M, Decimal("2")), "E102": (_M, Decimal("3")), "E103": (_C, Decimal("1.5")),
    "E104": (_m, Decimal("1.5")), "M201": (_C, Decimal("8")), "M202": (_M, Decimal("3")),
    "M203": (_M, Decimal("4")), "M204": (_M, Decimal("6")), "H301": (_M, Decimal("4")),
    "H302": (_m, Decimal("3")), "H303": (_M, Decimal("5")), "C401": (_C, Decimal("2")),
    "C402": (_C, Decimal("2")), "C403": (_M, Decimal("3")), "L501": (_M, Decimal("2.5")),
    "L502": (_M, Decimal("3")), "L503": (_C, Decimal("3")), "P601": (_M, Decimal("3")),
    "P602": (_M, Decimal("2")), "P603": (_m, Decimal("1.5")), "I701": (_M, Decimal("4")),
    "I702": (_M, Decimal("2")), "Q901": (_M, Decimal("3")), "S801": (_C, Decimal("2")),
    "S802": (_m, Decimal("0.5")),
}  # fmt: skip
# parts usually needed, by name in the parts master (data_access.demo.parts.PARTS)
FAULT_PARTS = {
    "E101": ("主轴驱动器散热风扇", "电柜空调滤网"), "E102": ("编码器反馈电缆",),
    "E103": ("急停按钮",), "E104": ("电柜空调滤网",), "M201": ("主轴前轴承",),
    "M202": ("润滑泵", "润滑油分配器"), "M203": ("刀套定位销",), "M204": ("丝杠支撑轴承",),
    "H301": ("液压油滤芯", "比例阀"), "H303": ("油缸密封组件",), "C401": ("系统备用电池",),
    "C402": ("交流接触器",), "C403": ("系统备用电池",), "L501": ("保护镜片",),
    "L502": ("切割头电容传感器",), "L503": ("冷水机水泵", "冷水机过滤器滤芯"),
    "P601": ("温控阀",), "P602": ("进气阀修理包", "空气滤芯"), "P603": ("自动排水阀",),
    "I701": ("止逆环",), "I702": ("加热圈", "热电偶"), "Q901": ("触发式测头",),
}  # fmt: skip
PREFIXES = ["", "操作工反映：", "设备运行约两小时后", "今天早班开机后", "夜班生产时"]
CHANNEL_PREFIX = {"phone": "客户来电：", "email": "客户邮件反映：", "online": "在线报修："}
SUFFIXES = [
    "，设备停机，影响生产。",
    "，目前降速运行。",
    "，请尽快安排工程师。",
    "。",
    "，重启后无效。",
]
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
SERVICE_TYPES = ["repair", "consultation", "maintenance", "installation", "upgrade"]
SERVICE_WEIGHTS = (78, 8, 6, 5, 3)
RESOLVED = (S.REPAIRED, S.ACCEPTED, S.CLOSED)
FINISHED = (*RESOLVED, S.CANCELLED)
NOT_COUNTED = (S.WAITING_CUSTOMER, S.WAITING_PARTS, *FINISHED)
NOTES = ["已电话联系客户，约定明早上门", "客户要求周末前处理完毕", "已远程查看报警记录",
         "已通知备件库备货", "客户已发送故障视频", "已与客户设备科确认停机窗口"]  # fmt: skip
FEEDBACK = ["工程师很专业，处理及时", "响应速度快，满意", "希望备件能再快一些", "讲解很细致，谢谢",
            "下次请提前电话通知到达时间", "问题解决了，服务态度好"]  # fmt: skip


def _at(event: dict) -> dt.datetime:
    return event["at"]


OFF_WEIGHT = 0.04  # relative intake rate outside working hours (e-mail, web form)


def intake_segments(cal: sla.WorkingCalendar, start: dt.datetime, end: dt.datetime):
    """Segments (start, weight) with cumulative weight: working spans weigh 1, the rest less."""
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    day = start.date()
    while day <= end.date():
        midnight = dt.datetime.combine(day, dt.time())
        for a, b in cal.spans_on(day):
            starts.append(midnight + dt.timedelta(seconds=a))
            ends.append(midnight + dt.timedelta(seconds=b))
        day += D
    seg_start, weight, cum = [], [], []
    total = 0.0
    t = start
    i = bisect.bisect_left(ends, start)
    while t < end:
        if i < len(starts) and starts[i] <= t:
            nxt, w = min(ends[i], end), 1.0
            i += 1
        else:
            nxt = min(starts[i], end) if i < len(starts) else end
            w = OFF_WEIGHT
        if nxt > t:
            seg_start.append(t)
            weight.append(w)
            cum.append(total)
            total += (nxt - t).total_seconds() * w
        t = nxt
    return seg_start, weight, cum, total


class TicketsDemo(Plumbing):
    def faults(self) -> None:
        """The fault-code library and one article per code (zh/en), for the demo models.

        The parts each code usually needs are filled in by :meth:`fault_parts` once the
        parts master exists (it is generated after the faults)."""
        rng = self.rng
        self.faults_by_cat: dict[str, list[tuple]] = {c: [] for c in ALL_CATS}
        models_by_cat = {c: [m[0] for m in MODELS if m[2] == c] for c in ALL_CATS}
        self.fault_ids: dict[str, int] = {}
        for k, (code, cat, zh, en, cats, symptoms, diagnosis, work) in enumerate(FAULTS, 1):
            reviewed = self.today - rng.randint(10, 420) * D
            models = ", ".join(m for c in cats for m in models_by_cat[c])
            severity, hours = FAULT_FACTS.get(code, (Severity.MAJOR, Decimal("2")))
            fid = self.add("fault_codes", code=code, name_zh=zh, name_en=en, category=cat,
                           models=models, symptoms="；".join(symptoms), causes=diagnosis,
                           fix_steps=work, labour_hours=hours, severity=severity,
                           reviewed_at=reviewed, reviewed_by_id=self.quality)  # fmt: skip
            self.fault_ids[code] = fid
            body = (f"现象：{'；'.join(symptoms)}。\n原因：{diagnosis}。\n处理步骤：\n"
                    f"1. 确认报警代码与发生工况，远程查看报警履历；\n2. 按原因逐项排查；\n"
                    f"3. {work}；\n4. 记录处理过程并回访客户。")  # fmt: skip
            body_en = (f"**Symptoms**: {en}.\n\n**Steps**:\n\n1. Check the alarm history "
                       f"remotely;\n2. work through the likely causes;\n3. repair as in fault "
                       f"code {code};\n4. record the work and follow up with the customer.")  # fmt: skip
            status = "retired" if k % 12 == 0 else "draft" if k % 7 == 0 else "published"
            self.add("knowledge_articles", code=f"KB{k:04d}", title_zh=f"如何处理：{zh}",
                     title_en=f"How to handle: {en}", body_zh=body, body_en=body_en,
                     models=models, fault_codes=code, tags=f"{cat}, {code}",
                     owner_id=self.quality, status=status,
                     reviewed_at=self.today - rng.randint(5, 420) * D)  # fmt: skip
            for c in cats:
                self.faults_by_cat[c].append((fid, code, zh, symptoms, diagnosis, work))

    def fault_parts(self) -> None:
        """Each fault code's usual parts, by name in the parts master (names the master
        does not hold are left out)."""
        by_name = {p["name"]: p["no"] for p in getattr(self, "parts", [])}
        self.flush()  # the fault codes are written: set their parts in place
        table = T["fault_codes"]
        for code, names in FAULT_PARTS.items():
            nos = [by_name[n] for n in names if n in by_name]
            if nos and code in self.fault_ids:
                self.conn.execute(
                    table.update()
                    .where(table.c.id == self.fault_ids[code])
                    .values(parts=", ".join(nos))
                )

    def tickets(self) -> None:
        n = self.n_tickets
        if not n:
            return
        self.seg_start, self.seg_weight, self.seg_cum, self.seg_total = intake_segments(
            self.cal, self.year_ago, self.now
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
        rand, snap = rng.random, self.snap
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
            path_name = pick(rng, PATH_NAMES, PATH_WEIGHTS)
            priority = pick(rng, PRIORITIES, PRIORITY_WEIGHTS)
            channel = pick(rng, CHANNELS, CHANNEL_WEIGHTS)
        if not self.cal.is_working(received) and channel not in ("email", "online"):
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
        response_s, resolution_s = self.durations(statuses, times)
        facts = closing_facts(list(zip(times, statuses, strict=True)))
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
                else pick(rng, SERVICE_TYPES, SERVICE_WEIGHTS)
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
            response_business_s=response_s,
            resolution_business_s=resolution_s,
            # the tickets domain's one rule, as the app and the import apply it
            first_time_fix=facts.first_time_fix,
            remote_resolved=facts.remote_resolved,
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
        respond = self.add_business(received, policy.respond_hours * 3600)
        # business time not counted before the last running stretch: waiting, or stopped
        # before a reopen
        last_running = max(k for k, st in enumerate(statuses) if st not in NOT_COUNTED)
        idle = 0.0
        for k in range(1, last_running):
            if statuses[k] in NOT_COUNTED:
                idle += self.business_seconds(times[k], times[k + 1])
        resolve = self.add_business(received, policy.resolve_hours * 3600 + idle)
        return respond, resolve

    def durations(self, statuses, times) -> tuple[float | None, float | None]:
        """The business seconds the tickets domain stores (``rules.sla.SlaClock``'s
        response_seconds / resolution_seconds): to the first move out of received, and
        the running stretches of a resolved ticket (pauses, stops before a reopen out)."""
        response = self.business_seconds(times[0], times[1]) if len(times) > 1 else None
        if statuses[-1] not in RESOLVED:
            return response, None
        used = sum(
            self.business_seconds(times[k], times[k + 1])
            for k in range(len(statuses) - 1)
            if statuses[k] not in NOT_COUNTED
        )
        return response, used

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
            at = self.add_business(received, after)
            at = self.snap(at + dt.timedelta(minutes=int(rng.random() * 20)), rng)
            if at > end:
                break
            chance = 0.6
            note = "超时自动升级" if rng.random() < 0.7 else "客户要求升级处理"
            ev(at, "escalate", self.manager, level=lvl, note=f"{note}至 L{lvl}")
        if len(times) > 2 and rng.random() < 0.12:
            k = rng.randrange(1, len(times))
            half = int((times[k] - times[k - 1]).total_seconds() / 2)
            at = self.snap(times[k - 1] + dt.timedelta(seconds=half), rng)
            if at <= times[k]:
                ev(at, "note", engineer or agent, note=NOTES[int(rng.random() * len(NOTES))])
        events.sort(key=_at)
        n = self.ids["ticket_events"]
        for e in events:
            n += 1
            e["id"] = n
        self.ids["ticket_events"] = n
        return events, engineer

    def service_report(self, ctx) -> tuple[Decimal, Decimal]:
        rng = self.rng
        remote = ctx["path"] == "remote"
        hours = Decimal(rng.randint(1, 4 if remote else 16)) / 2
        km = Decimal("0") if remote or ctx["path"] == "factory" else Decimal(rng.randint(8, 320))
        accepted = ctx["last"].get(S.ACCEPTED) if ctx["status"] != S.REPAIRED else None
        rated = accepted is not None and rng.random() < 0.85
        fault = ctx["fault"]
        # the engineer confirms the intake's fault code on most reports; about one in
        # eleven finds another fault of the same category (no draw from the generator's
        # random stream: the rest of the demo stays as it was)
        same = [f[0] for f in self.faults_by_cat.get(ctx["cat"], ())]
        confirmed = fault[0]
        if ctx["id"] % 11 == 0 and len(same) > 1:
            confirmed = same[(same.index(fault[0]) + 1) % len(same)]
        self.add(
            "service_reports",
            fault_code_id=confirmed,
            created=ctx["repaired"],
            ticket_id=ctx["id"],
            work_done=("远程指导客户处理：" if remote else "") + fault[5],
            diagnosis=fault[4],
            result="returned"
            if ctx["path"] == "factory"
            else pick(rng, ("fixed", "temporary", "not_fixed"), (94, 5, 1)),
            labour_hours=hours,
            travel_km=km,
            accepted_by=ctx["contact"][0] if accepted else None,
            accepted_at=accepted,
            rating_quality=rating(rng) if rated else None,
            rating_attitude=rating(rng) if rated else None,
            rating_efficiency=rating(rng) if rated else None,
            customer_feedback=rng.choice(FEEDBACK) if rated and rng.random() < 0.4 else None,
            engineer_id=ctx["engineer"],
            updated_at=accepted or ctx["repaired"],
        )
        return hours, km
