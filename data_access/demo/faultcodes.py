"""Demo scan-to-report links (扫码报修) for the first customers' devices and a few public
requests in the log. The fault-code library and articles are made with the tickets
(:mod:`data_access.demo.tickets`), which refer to them.

Tokens come from their own random stream (seeded from the demo seed), so the main
stream — and every other demo row — stays as it was. They are as public as the seed:
rotate them (devices page) before a demo database faces the internet.
"""

from __future__ import annotations

import datetime as dt
import random

from data_access.demo.base import Plumbing

LINKED_CUSTOMERS = 10


class FaultcodesDemo(Plumbing):
    def report_links(self) -> None:
        rng = random.Random(self.seed * 31 + 7)
        tokens = []
        for cid, *_ in self.cust[:LINKED_CUSTOMERS]:
            for dev in self.devices.get(cid, []):
                token = "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(32))
                at = dt.datetime.combine(dev[5], dt.time(10))
                self.add("device_tokens", created=at, device_id=dev[0], token=token)
                tokens.append(token)
        if not tokens:
            return
        client = "demo-client-" + "0" * 52
        for k, (kind, outcome) in enumerate(
            (("lookup", "found"), ("lookup", "not_found"), ("report", "limited"))
        ):
            at = self.now - dt.timedelta(hours=30 - k)
            self.add("public_requests", created=at, at=at, kind=kind, outcome=outcome,
                     token=tokens[0] if kind == "report" else None, client=client)  # fmt: skip
