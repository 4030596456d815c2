"""Demo training: courses (with the models they cover), a year of customer programmes
and internal sessions, attendees with attendance, scores, feedback and certificates.

About a quarter of the customers are never trained (coverage below 100 %); operation
certificates last 12 months, so programmes held eleven to twelve months before the demo
clock give certificates expiring within 30 days. Results and certificates come from the
same pure rules the attendance hooks use.
"""

from __future__ import annotations

from decimal import Decimal

from data_access.demo.base import D, H, Plumbing, rating
from rules import training as tr

# code, title zh, title en, topic, delivery, audience, hours, pass mark, validity, model cats
COURSES = [
    ("TR-OP-CNC", "数控设备操作培训", "CNC equipment operation", "operation", "online_live",
     "operators", 4, 70, 24, ("CNC",)),
    ("TR-OP-LSR", "激光设备操作培训", "Laser equipment operation", "operation", "online_live",
     "operators", 4, 70, 12, ("LASER", "WELD")),
    ("TR-OP-IM", "注塑机操作培训", "Injection moulding operation", "operation", "online_live",
     "operators", 4, 70, 12, ("IM",)),
    ("TR-OP-GEN", "通用设备操作培训", "General equipment operation", "operation", "online_live",
     "operators", 4, 60, 12, ("AC", "DRYER", "PB", "RB", "CMM")),
    ("TR-MT-01", "日常维护保养培训", "Routine maintenance", "maintenance", "online_practical",
     "maintainers", 8, 70, 24, ()),
    ("TR-TS-01", "常见故障排除培训", "Troubleshooting", "troubleshooting", "online_practical",
     "maintainers", 8, 70, 24, ()),
    ("TR-AD-01", "高级应用研讨会", "Advanced application seminar", "advanced",
     "offline_seminar", "operators", 12, None, None, ()),
    ("TR-IN-01", "新产品技术培训", "New product technology", "product", "offline_seminar",
     "internal", 16, 80, 12, ()),
    ("TR-IN-02", "维修技能提升", "Repair skills", "skills", "online_practical", "internal", 24,
     80, 24, ()),
    ("TR-IN-03", "售后服务规范", "Service rules", "rules", "online_live", "internal", 4, 80,
     None, ()),
    ("TR-IN-04", "客户沟通技巧", "Customer communication", "communication", "offline_seminar",
     "internal", 4, 70, None, ()),
]  # fmt: skip
OPERATION_BY_CAT = {cat: c[0] for c in COURSES if c[3] == "operation" for cat in c[9]}
ROLE_COURSES = {
    "engineer": ["TR-IN-01", "TR-IN-02", "TR-IN-03"],
    "agent": ["TR-IN-03", "TR-IN-04"],
}
JOBS = ["设备操作员", "班组长", "设备维护员", "生产主管", "工艺员"]
CAPACITY = 20


class TrainingDemo(Plumbing):
    def training(self) -> None:
        rng = self.rng
        self.courses: dict[str, tuple[int, tuple]] = {}
        model_ids: dict[str, list[int]] = {}
        for mid, _code, cat, _months in self.models:
            model_ids.setdefault(cat, []).append(mid)
        codes_by_cat: dict[str, list[str]] = {}
        for _mid, code, cat, _months in self.models:
            codes_by_cat.setdefault(cat, []).append(code)
        for c in COURSES:
            code, zh, en, topic, delivery, audience, hours, mark, months, cats = c
            models = ", ".join(m for cat in cats for m in codes_by_cat.get(cat, []))
            cid = self.add(
                "training_courses", created=self.year_ago - 90 * D, code=code, title_zh=zh,
                title_en=en, topic=topic, delivery=delivery, audience=audience,
                hours=Decimal(hours), outline="1. 设备结构与原理\n2. 操作/维护要点\n3. 常见问题与处理\n4. 考核",
                materials=f"https://training.example.com/{code.lower()}",
                pass_mark=None if mark is None else Decimal(mark), validity_months=months,
                models=models or None, active=True)  # fmt: skip
            for cat in cats:
                for mid in model_ids.get(cat, []):
                    self.add("training_course_models", created=self.year_ago - 90 * D,
                             course_id=cid, model_id=mid)  # fmt: skip
            self.courses[code] = (cid, c)
        self.add("settings", key=tr.REQUIRED_OPERATORS_KEY, value={"*": 1, "HMC-630": 2})
        self.add("settings", key=tr.ROLE_COURSES_KEY, value=ROLE_COURSES)
        first = True
        for cid, _region, _grade, contacts in self.cust:
            if rng.random() > 0.75:
                continue  # never trained
            devices = self.devices.get(cid, [])
            cats = [self.models[d[2]][2] for d in devices]
            cat = max(set(cats), key=cats.count) if cats else "CNC"
            op = OPERATION_BY_CAT.get(cat, "TR-OP-GEN")
            base = self.year_ago + 15 * D if first else self.when(self.year_ago, self.now + 30 * D)
            first = False
            people = [("contact", name, phone, None) for name, phone in contacts]
            people += [("guest", self.person(), self.mobile(), rng.choice(JOBS))
                       for _ in range(rng.randint(1, 2))]  # fmt: skip
            people = list({p[1]: p for p in people}.values())
            plan = [(tr.Phase.INITIAL, 0, op), (tr.Phase.DEEPENING, 7, "TR-MT-01"),
                    (tr.Phase.DEEPENING, 14, "TR-TS-01"), (tr.Phase.REVIEW, 28, op)]  # fmt: skip
            if rng.random() < 0.2:
                plan.insert(3, (tr.Phase.DEEPENING, 21, "TR-AD-01"))
            for phase, offset, course in plan:
                starts = self.snap(base + offset * D, rng).replace(minute=0, second=0)
                self.session(course, phase, starts, cid, people)
        staff = [("staff", self.user_names[uid], None, None, uid)
                 for uid in self.engineers + self.agents]  # fmt: skip
        for k, course in enumerate(("TR-IN-01", "TR-IN-02", "TR-IN-03", "TR-IN-04", "TR-IN-01")):
            starts = self.snap(self.year_ago + (40 + 70 * k) * D, rng).replace(minute=0, second=0)
            who = [p for p in staff if rng.random() < 0.8]
            self.session(course, None, starts, None, who, capacity=None)

    def session(self, course, phase, starts, cid, people, capacity=CAPACITY) -> None:
        rng = self.rng
        course_id, spec = self.courses[course]
        mark, months = spec[7], spec[8]
        status = tr.SessionStatus.HELD if starts < self.now else tr.SessionStatus.PLANNED
        if rng.random() < 0.04:
            status = tr.SessionStatus.CANCELLED
        online = spec[4] != "offline_seminar"
        session_no = self.doc_no("PX", starts, "year")
        sid = self.add("training_sessions", created=starts - 10 * D, session_no=session_no,
                       course_id=course_id, customer_id=cid, phase=phase and str(phase),
                       trainer_id=self.trainer, starts_at=starts, ends_at=starts + 4 * H,
                       location=None if online else ("客户现场" if cid else "公司培训中心"),
                       online_link=f"https://meet.example.com/{session_no.lower()}"
                       if online else None, capacity=capacity, status=str(status))  # fmt: skip
        for line, person in enumerate(people, start=1):
            kind, name, phone, job = person[:4]
            presence = score = practical = stars = comment = None
            if status == tr.SessionStatus.HELD:
                presence = rng.choices(("present", "late", "absent"), (82, 8, 10))[0]
            if presence in tr.ATTENDED:
                if mark is not None:
                    score = Decimal(rng.randint(62, 100))
                if spec[4] == "online_practical":
                    practical = "pass" if rng.random() < 0.88 else "fail"
                if rng.random() < 0.7:
                    stars = rating(rng)
                    comment = rng.choice([None, "内容实用", "希望增加实操时间", "讲解清楚"])
            result = tr.result_of(presence, score, practical, mark)
            cert = expires = None
            if result == tr.Result.PASSED:
                cert = tr.certificate_no(session_no, line)
                expires = tr.certificate_expiry(starts.date(), months)
            self.add("training_attendance", created=starts, session_id=sid, line_no=line,
                     kind=kind, name=name, customer_id=cid if kind != "staff" else None,
                     user_id=person[4] if kind == "staff" else None, phone=phone, job=job,
                     presence=presence, test_score=score, practical=practical, rating=stars,
                     comment=comment, result=result and str(result), certificate_no=cert,
                     certificate_expires=expires)  # fmt: skip
