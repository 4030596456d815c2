"""Demo training courses, sessions and attendance."""

from __future__ import annotations

from decimal import Decimal

from data_access.demo.base import D, H, Plumbing

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


class TrainingDemo(Plumbing):
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
                starts = self.snap(base + offset * D, rng).replace(minute=0, second=0)
                self.session(course_ids[topic], phase, starts, cid, trainees)
            if rng.random() < 0.2:
                starts = self.snap(base + 45 * D, rng).replace(minute=0, second=0)
                self.session(course_ids["advanced"], None, starts, cid, trainees[:2])
        by_name = {self.user_names[uid]: uid for uid in self.engineers + self.agents}
        staff = [(uid, name) for name, uid in by_name.items()]
        for k, topic in enumerate(("product", "skills", "rules", "communication", "product")):
            starts = self.snap(self.year_ago + (40 + 70 * k) * D, rng).replace(minute=0, second=0)
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
