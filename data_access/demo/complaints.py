"""Demo complaints: their actions (lines), history, rounds and CAPA.

Every complaint status occurs (the four most recent complaints are forced into
received, investigating, handling and awaiting confirmation); at least one complaint
is handled again (round 2) and one a third time (expert tier and the manager); closed
quality/product complaints carry a CAPA that is open, effective or not effective.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from data_access.demo.base import H, Plumbing, T, pick
from rules import complaints as R

FORCED = ("follow_up", "handling", "investigating", "received")  # the newest four
FORCED_AGE_H = (150, 80, 30, 2)
CONTENTS = [
    ("quality", "工程师多次上门仍未修好，严重影响生产"),
    ("response", "报修后两天才有人联系，响应太慢"),
    ("fee", "维修收费不透明，配件价格偏高"),
    ("attitude", "工程师服务态度差，未按约定时间到达"),
    ("quality", "维修后同样故障再次出现"),
    ("parts", "备件等待时间过长，设备停机一周"),
    ("product", "新设备安装不到三个月频繁报警"),
]
CAUSES = {
    "quality": "workmanship", "response": "process", "fee": "communication",
    "attitude": "communication", "parts": "parts", "product": "product",
}  # fmt: skip


class ComplaintsDemo(Plumbing):
    def complaints(self) -> None:
        rng = self.rng
        seeds = list(self.complaint_seeds) if self.n_tickets else []
        while len(seeds) < 12:
            cust = rng.choice(self.cust)
            seeds.append((None, cust[0], None, cust[3][0], self.when(self.year_ago, self.now)))
        seeds.sort(key=lambda s: s[4])
        self.flush()  # the seeds' tickets are written: read their engineer and fault code
        t = T["tickets"]
        tids = [s[0] for s in seeds if s[0]]
        facts = {
            r.id: (r.engineer_id, r.fault_code_id)
            for r in self.conn.execute(
                select(t.c.id, t.c.engineer_id, t.c.fault_code_id).where(t.c.id.in_(tids))
            )
        }
        self.deep_round_done = False
        self.capa_states = ["open", "effective", "not_effective"]
        n = len(seeds)
        self.low_score_complaints()
        for k, (tid, cid, dev, contact, after) in enumerate(seeds, 1):
            forced = FORCED[k - 1 - (n - len(FORCED))] if k > n - len(FORCED) else None
            if forced:
                received = self.now - FORCED_AGE_H[k - 1 - (n - len(FORCED))] * H
            else:
                received = self.snap(after + rng.randint(2, 240) * H, rng)
                if received >= self.now - 200 * H:
                    received = min(after, self.now - 300 * H)
            engineer, fault = facts.get(tid, (None, None))
            content = rng.choice(CONTENTS)
            self.complaint(k, tid, cid, dev, contact, received, content, forced, engineer, fault)

    def complaint(self, k, tid, cid, dev, contact, received, content, forced, eng, fault) -> None:
        rng = self.rng
        age_h = (self.now - received).total_seconds() / 3600
        if forced:
            status = forced
        elif age_h < 24 * 12:
            status = rng.choice(("handling", "follow_up", "closed"))
        else:
            status = "closed" if rng.random() < 0.93 else "follow_up"
        severity = pick(rng, ("low", "medium", "high"), (30, 50, 20))
        urgency = pick(rng, ("low", "medium", "high"), (30, 45, 25))
        prio = R.priority(content[0], severity, urgency).value
        rehandled = rng.random() < 0.2 or not self.rehandled  # at least one, so the demo shows it
        rounds = 1
        if rehandled and status in ("handling", "follow_up", "closed"):
            rounds = 2 if self.deep_round_done else 3
            self.deep_round_done = True
        self.rehandled += rounds >= 2
        tier = max(int(R.tier_due(prio)), 3 if rounds >= 3 else 1)
        actions, t = self.complaint_actions(received, status, rounds)
        closed = None
        if status == "closed":
            closed = min(self.now, self.snap(t + rng.randint(1, 48) * H, rng))
        cpid = self.next_id("complaints")
        handler = rng.choice((self.quality, self.manager))
        investigated = status != "received"
        model = self.models[dev[2]][0] if dev else None
        capa = self.capa(content[0], closed) if closed else {}
        self.add("complaints", created=received, id=cpid,
                 complaint_no=self.doc_no("TS", received, "day"),
                 customer_id=cid, ticket_id=tid, device_id=dev[0] if dev else None,
                 engineer_id=eng, model_id=model, fault_code_id=fault,
                 complainant=contact[0], contact=contact[1],
                 channel=pick(rng, ("hotline", "email", "online", "social_media", "onsite"),
                              (50, 20, 15, 10, 5)),
                 received_at=received, content=content[1], category=content[0],
                 severity=severity, urgency=urgency, priority=prio,
                 status=status, tier=tier,
                 handling_group="质量改进小组" if investigated else None,
                 handler_id=handler if investigated else None,
                 manager_id=self.manager if rounds >= 3 else None,
                 investigate_by=R.investigate_by(received, prio, self.cal),
                 cause_category=CAUSES[content[0]] if investigated else None,
                 root_cause="维修经验不足且未及时升级二线支持" if investigated else None,
                 result="已更换故障部件并对工程师进行再培训" if status in ("follow_up", "closed") else None,
                 satisfied=True if status == "closed" else (False if rounds >= 2 else None),
                 confirm_channel="hotline" if closed or rounds >= 2 else None,
                 confirm_person=contact[0] if closed or rounds >= 2 else None,
                 confirm_at=closed or (t if rounds >= 2 else None),
                 rounds=rounds, closed_at=closed, updated_at=closed or received,
                 **capa)  # fmt: skip
        for line, action in enumerate(actions, 1):
            self.add("complaint_actions", created=received, complaint_id=cpid, line_no=line,
                     **action)  # fmt: skip
            if action["effective"] is False:  # the follow-up that found the customer unhappy
                self.followup(cid, "complaint", action["done_at"].date(), "done",
                              action["done_at"], created=received, complaint_id=cpid,
                              user_id=self.quality, opinions="不满意：问题未彻底解决",
                              rated=False)  # fmt: skip
        self.complaint_events(cpid, received, actions, rounds, closed, contact[0])
        if closed:
            self.followup(cid, "complaint", closed.date(), "done", closed, created=received,
                          complaint_id=cpid, user_id=self.quality, opinions="满意，问题已解决",
                          rated=False)  # fmt: skip

    def low_score_complaints(self) -> None:
        """A score of 2 or less opened a complaint on the ticket and its engineer, as the
        app does; the follow-up names it."""
        if not self.low_scores:
            return
        t = T["tickets"]
        ids = [x[1] for x in self.low_scores]
        facts = {}
        for i in range(0, len(ids), 30_000):  # PostgreSQL takes at most 65,535 parameters
            facts.update(
                (r.id, r)
                for r in self.conn.execute(
                    select(
                        t.c.id, t.c.engineer_id, t.c.device_id, t.c.contact_name,
                        t.c.contact_phone,
                    ).where(t.c.id.in_(ids[i : i + 30_000]))
                )
            )  # fmt: skip
        devices = {}
        for d in self.all_devices:
            devices.setdefault(d[0], d)  # the first, as a search of the list finds it
        links = []
        for fid, tid, cid, rated in self.low_scores:
            f = facts[tid]
            dev = devices.get(f.device_id)
            cpid = self.ids["complaints"] + 1
            contact = (f.contact_name or "客户", f.contact_phone)
            content = ("quality", "回访低分：客户认为问题处理不及时，需改进")
            self.complaint(0, tid, cid, dev, contact, rated, content, None, f.engineer_id, None)
            links.append((fid, cpid, rated))
        self.flush()
        fu = T["followups"]
        for fid, cpid, rated in links:  # stamped by the demo clock, not the wall clock
            self.conn.execute(
                fu.update().where(fu.c.id == fid).values(complaint_id=cpid, updated_at=rated)
            )

    def capa(self, category: str, closed: dt.datetime) -> dict:
        if category not in ("quality", "product"):
            return {}
        state = self.capa_states.pop(0) if self.capa_states else "effective"
        verify_by = R.capa_verify_by(closed.date())
        values = {"capa_status": state, "capa_criterion": "90天内同型号同故障无重复投诉",
                  "capa_verify_by": verify_by}  # fmt: skip
        if state != "open":
            values.update(
                capa_verified_at=min(verify_by, self.today), capa_verifier_id=self.quality,
                capa_result="验证期内无重复投诉" if state == "effective" else "验证期内出现重复投诉",
            )  # fmt: skip
        return values

    def complaint_events(self, cpid, received, actions, rounds, closed, person) -> None:
        rng = self.rng
        add = self.add
        add("complaint_events", created=received, complaint_id=cpid, at=received, kind="status",
            round=1, tier=1, note="received")  # fmt: skip
        for rnd in range(1, rounds + 1):
            done = [a for a in actions if a["round"] == rnd and a["done_at"]]
            if not done:
                continue
            at = done[0]["done_at"]
            add("complaint_events", created=at, complaint_id=cpid, at=at, kind="inform",
                round=rnd, channel=rng.choice(("hotline", "email")), person=person,
                user_id=self.quality, note="告知客户调查进展及处理方案")  # fmt: skip
            if rnd < rounds:
                end = done[-1]["done_at"]
                add("complaint_events", created=end, complaint_id=cpid, at=end, kind="round",
                    round=rnd + 1, channel="hotline", person=person, user_id=self.quality,
                    note="not satisfied")  # fmt: skip
                if rnd + 1 >= R.ESCALATE_ROUND:
                    add("complaint_events", created=end, complaint_id=cpid, at=end,
                        kind="escalate", round=rnd + 1, tier=3, user_id=self.quality,
                        note="expert tier and manager")  # fmt: skip
        if closed:
            add("complaint_events", created=closed, complaint_id=cpid, at=closed, kind="confirm",
                round=rounds, channel="hotline", person=person, user_id=self.quality,
                note="satisfied")  # fmt: skip

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
                    status in ("handling", "investigating") and last_round and kind == plan[-1][0]
                )
                done = t if t <= self.now and not pending else None
                effective = None
                if kind == "verification" and done:
                    # an earlier round's verification: the customer was not satisfied
                    effective = last_round and status == "closed"
                    desc = (
                        desc if effective or last_round else "回访：客户对处理结果不满意，重新处理"
                    )
                state = "done" if done else ("doing" if status != "received" else "open")
                actions.append({"round": rnd, "kind": kind,
                                "description": desc if rnd == 1 else f"第{rnd}轮：{desc}",
                                "department": dept, "responsible": self.person(),
                                "deadline": (t + 24 * H).date(), "status": state,
                                "done_at": done, "effective": effective})  # fmt: skip
        return actions, min(t, self.now)
