"""Demo follow-up calls: after closed tickets, complaints, installations, periodic."""

from __future__ import annotations

import datetime as dt

from data_access.demo.base import FOLLOWUP_DAYS, D, H, Plumbing, pick, rating
from rules.customers import add_months
from rules.tickets import followup_due, followup_no

MODES = ("phone", "email", "onsite", "online")


class FollowupsDemo(Plumbing):
    def ticket_followup(self, ctx) -> None:
        rng = self.rng
        closed = ctx["end"]
        due = followup_due(closed, FOLLOWUP_DAYS)
        status, done = "planned", None
        if due < self.today:
            status = pick(rng, ("done", "unreachable", "planned"), (91, 5, 4))
            if status != "planned":
                done = min(self.now, self.snap(
                    dt.datetime.combine(due, dt.time(9)) + rng.randint(0, 30) * H, rng))  # fmt: skip
        self.followup(ctx["cid"], "ticket", due, status, done, created=closed,
                      ticket_id=ctx["id"], user_id=ctx["agent"],
                      followup_no=followup_no(ctx["no"], 1))  # fmt: skip

    def followup(self, cid, reason, due, status, done, *, created, rated=True, **kw) -> int:
        rng = self.rng
        mode = kw.pop("mode", None) or pick(rng, MODES, (70, 10, 12, 8))
        number = kw.pop("followup_no", None) or self.doc_no("HF", created, "day")
        values = {}
        if status == "done":
            values = {"content": rng.choice(["设备运行正常，客户无其他问题", "回访维修效果，客户表示满意",
                                             "了解设备使用情况，提醒按时保养", "客户反映偶有小报警，已记录跟进"]),
                      "opinions": rng.choice([None, None, "希望缩短备件到货时间", "建议增加操作培训",
                                              "对工程师服务表示感谢"])}  # fmt: skip
            if rated:
                values.update(rating_quality=rating(rng), rating_attitude=rating(rng),
                              rating_efficiency=rating(rng))  # fmt: skip
            if rng.random() < 0.08:
                values.update(issue_raised="客户反映设备偶发异响，需安排检查",
                              issue_closed=rng.random() < 0.6)  # fmt: skip
        values.update(kw)
        return self.add("followups", created=created,
                        followup_no=number, customer_id=cid,
                        reason=reason, mode=mode, due_date=due, done_at=done, status=status,
                        updated_at=done or created, **values)  # fmt: skip

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
                    status = pick(rng, ("done", "unreachable", "planned"), (92, 4, 4))
                    if status != "planned":
                        done = self.snap(dt.datetime.combine(due, dt.time(9))
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
                    done = self.snap(dt.datetime.combine(due - rng.randint(0, 20) * D,
                                                              dt.time(10)), rng)  # fmt: skip
            self.followup(dev[6], "install", due, status, done,
                          created=dt.datetime.combine(install, dt.time(17)), mode="phone",
                          user_id=rng.choice(self.agents))  # fmt: skip
