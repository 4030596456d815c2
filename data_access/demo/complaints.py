"""Demo complaints and their CAPA actions."""

from __future__ import annotations

import datetime as dt

from data_access.demo.base import H, Plumbing, pick


class ComplaintsDemo(Plumbing):
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
            received = self.snap(after + rng.randint(2, 240) * H, rng)
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
        severity = pick(rng, ("low", "medium", "high"), (30, 50, 20))
        urgency = pick(rng, ("low", "medium", "high"), (30, 45, 25))
        rank = max(
            ("low", "medium", "high").index(severity), ("low", "medium", "high").index(urgency)
        )
        rehandled = rehandled or not self.rehandled  # at least one, so the demo shows it
        rounds = 2 if rehandled and status in ("handling", "follow_up", "closed") else 1
        self.rehandled += rounds == 2
        actions, t = self.complaint_actions(received, status, rounds)
        closed = None
        if status == "closed":
            closed = min(self.now, self.snap(t + rng.randint(1, 48) * H, rng))
        cpid = self.next_id("complaints")
        handler = rng.choice((self.quality, self.manager))
        self.add("complaints", created=received, id=cpid,
                 complaint_no=self.doc_no("TS", received),
                 customer_id=cid, ticket_id=tid, device_id=dev[0] if dev else None,
                 complainant=contact[0], contact=contact[1],
                 channel=pick(rng, ("hotline", "email", "online", "social_media"), (55, 20, 15, 10)),
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
                t = self.snap(t + rng.randint(4, 40) * H, rng)
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
