"""Demo customers, contacts, product models and installed devices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from data_access.demo.base import D, Plumbing, pick
from rules.customers import add_months, default_warranty_end

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
TITLES = ["设备科科长", "设备工程师", "生产部经理", "维修班长", "采购经理", "厂长助理"]
LOCATIONS = ["一号车间", "二号车间 A 线", "精加工车间", "注塑车间 3 号位", "空压站", "钣金车间",
             "装配车间", "研发中心样机间"]  # fmt: skip
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


class CustomersDemo(Plumbing):
    def customers(self) -> None:
        rng = self.rng
        regions = list(REGION_WEIGHTS)
        weights = tuple(REGION_WEIGHTS.values())
        names: set[str] = set()
        self.cust: list[tuple] = []  # (id, region, grade, [(name, phone)])
        self.customer_km: dict[int, Decimal] = {}
        for k in range(1, self.n_customers + 1):
            region = pick(rng, regions, weights)
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
            grade = pick(rng, "ABC", (20, 50, 30))
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
                # the distance from the service base (the rate card's travel bands), fixed
                # by the code so no other demo value moves; the zone is the region
                travel_km=Decimal(8 + (k * 37) % 140),
            )
            self.customer_km[cid] = Decimal(8 + (k * 37) % 140)
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

    def cust_region(self, cid: int) -> str:
        return self.cust[cid - 1][1]
