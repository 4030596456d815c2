"""Demo users: one account per role, more engineers and agents."""

from __future__ import annotations

from data_access.demo.base import DEMO_PASSWORD, D, Plumbing
from data_access.demo.customers import MODELS, REGIONS
from data_access.users import hash_password
from rules.access import Role

LEVELS = ("senior", "standard", "junior", "standard")


class UsersDemo(Plumbing):
    def users(self) -> None:
        rng = self.rng
        pw = hash_password(DEMO_PASSWORD)
        self.by_role: dict[str, list[int]] = {r: [] for r in Role}
        self.eng_by_region: dict[str, list[int]] = {r: [] for r in REGIONS}
        self.user_names: dict[int, str] = {}
        self.engineer_level: dict[int, str] = {}
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
            skills = level = None
            if role == Role.ENGINEER:
                skills = ",".join(rng.sample([m[3] for m in MODELS[::3]], 2))
                # the rate card's labour levels: a few seniors and juniors among them
                level = LEVELS[len(self.engineer_level) % len(LEVELS)]
            uid = self.add(
                "users",
                created=self.year_ago - 30 * D,
                username=username,
                display_name=name,
                role=str(role),
                region=region,
                skills=skills,
                engineer_level=level,
                phone=self.mobile(),
                email=f"{username}@example.com",  # a documentation domain (RFC 2606)
                password_hash=pw,
                demo_password=True,
            )
            self.by_role[role].append(uid)
            if level:
                self.engineer_level[uid] = level
            self.user_names[uid] = name
            if role == Role.ENGINEER:
                self.eng_by_region[region].append(uid)
        self.engineers = self.by_role[Role.ENGINEER]
        self.agents = self.by_role[Role.AGENT]
        self.manager = self.by_role[Role.MANAGER][0]
        self.keeper = self.by_role[Role.PARTS_KEEPER][0]
        self.quality = self.by_role[Role.QUALITY][0]
        self.trainer = self.by_role[Role.TRAINER][0]
