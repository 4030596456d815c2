"""Demo follow-up calls: after closed tickets, complaints, installations, periodic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from data_access.demo.base import FOLLOWUP_DAYS, D, H, Plumbing, pick, rating
from rules.customers import add_months
from rules.followups import (
    LOW_SCORE,
    MAX_RETRIES,
    needs_review,
    satisfaction,
    satisfaction_rate,
    satisfied,
)
from rules.tickets import followup_due, followup_no

MODES = ("phone", "email", "onsite", "online", "wechat")


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
                      ticket_id=ctx["id"], user_id=ctx["agent"], engineer_id=ctx["engineer"],
                      followup_no=followup_no(ctx["no"], 1))  # fmt: skip

    def followup(self, cid, reason, due, status, done, *, created, rated=True, **kw) -> int:
        rng = self.rng
        mode = kw.pop("mode", None) or pick(rng, MODES, (66, 10, 12, 6, 6))
        number = kw.pop("followup_no", None) or self.doc_no("HF", created, "day")
        values = {}
        if status == "done":
            values = {"content": rng.choice(["设备运行正常，客户无其他问题", "回访维修效果，客户表示满意",
                                             "了解设备使用情况，提醒按时保养", "客户反映偶有小报警，已记录跟进"]),
                      "opinions": rng.choice([None, None, "希望缩短备件到货时间", "建议增加操作培训",
                                              "对工程师服务表示感谢"])}  # fmt: skip
            values.update(outcome="done", attempts=pick(rng, (1, 2, 3), (80, 15, 5)))
            if rated:
                scores = (rating(rng), rating(rng), rating(rng))
                values.update(rating_quality=scores[0], rating_attitude=scores[1],
                              rating_efficiency=scores[2])  # fmt: skip
                if min(scores) <= LOW_SCORE:
                    values["rating_comment"] = "客户认为问题处理不及时，需改进"
            if rng.random() < 0.08:
                values.update(issue_raised="客户反映设备偶发异响，需安排检查",
                              issue_closed=rng.random() < 0.6)  # fmt: skip
        elif status == "unreachable":
            outcome = pick(rng, ("no_answer", "refused", "wrong_number"), (70, 15, 15))
            values.update(
                outcome=outcome, attempts=1 + MAX_RETRIES if outcome == "no_answer" else 1
            )
        elif status == "planned" and due < self.today and rng.random() < 0.5:
            outcome = (
                pick(rng, ("no_answer", "call_back"), (70, 30)) if self.called_back else "call_back"
            )
            self.called_back += outcome == "call_back"
            values.update(outcome=outcome, attempts=rng.randint(1, MAX_RETRIES),
                          next_try_at=self.snap(self.now + rng.randint(1, 30) * H, rng))  # fmt: skip
        values.update(kw)
        fid = self.add("followups", created=created,
                       followup_no=number, customer_id=cid,
                       reason=reason, mode=mode, due_date=due, done_at=done, status=status,
                       updated_at=done or created, **values)  # fmt: skip
        if values.get("rating_quality") is not None:
            if values.get("rating_comment") and values.get("ticket_id"):
                self.low_scores.append((fid, values["ticket_id"], cid, done))  # → a complaint
            if values.get("ticket_id"):
                month = done.date().replace(day=1)
                self.month_scores.setdefault(month, {})[values["ticket_id"]] = (
                    satisfaction(values["rating_quality"], values["rating_attitude"],
                                 values["rating_efficiency"])
                )  # fmt: skip
            q, a, e = (
                values["rating_quality"],
                values["rating_attitude"],
                values["rating_efficiency"],
            )
            self.add("followup_ratings", created=done, followup_id=fid,
                     ticket_id=values.get("ticket_id"), engineer_id=values.get("engineer_id"),
                     user_id=values.get("user_id"), rated_at=done, quality=q, attitude=a,
                     efficiency=e, score=satisfaction(q, a, e),
                     comment=values.get("rating_comment"))  # fmt: skip
        return fid

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
                elif due > self.today + 60 * D and (rng.random() < 0.05 or not self.cancelled):
                    status = "cancelled"  # at least one, so the demo shows it
                    self.cancelled += 1
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

    def satisfaction_reviews(self) -> None:
        """The months whose satisfaction fell below the threshold: a review each (the
        latest open for the manager, earlier ones closed)."""
        below = []
        for month in sorted(self.month_scores):
            scores = self.month_scores[month]
            rate = satisfaction_rate(list(scores.values()))
            if needs_review(rate) and month < self.today.replace(day=1):
                below.append((month, rate, scores))
        for k, (month, rate, scores) in enumerate(below):
            end = add_months(month, 1)
            last = k == len(below) - 1
            at = dt.datetime.combine(end, dt.time(9))
            self.add("satisfaction_reviews", created=at, period_start=month,
                     period_end=end - D, satisfaction=Decimal(str(round(rate, 2))),
                     threshold=Decimal("85"), ratings=len(scores),
                     ticket_ids=sorted(t for t, s in scores.items() if not satisfied(s)),
                     status="open" if last else "closed",
                     closed_by_id=None if last else self.manager,
                     closed_at=None if last else at + 72 * H,
                     note=None if last else "已组织复盘，针对低分工单制定改进措施")  # fmt: skip
