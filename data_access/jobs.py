"""Timed work the app does on its own: automatic escalation of tickets, the SLA early
warning, and the delivery of the notification outbox (``data_access/notifications.py``).

Each app process runs :class:`Ticker` in a daemon thread (started with the engine,
see ``pages/common.py``), so a ticket moves up the escalation ladder when its level's
business time runs out even when nobody opens it. With several app instances on one
PostgreSQL database, a transaction-scoped advisory lock lets one instance do a round
while the others skip it. ``python -m data_access.jobs escalate`` runs one round
(for cron, or a team that serves the app with ``AFTERSALES_JOBS=0``).

Environment: ``AFTERSALES_JOBS=0`` turns the thread off (the tests do);
``AFTERSALES_ESCALATE_SECONDS`` sets the interval (default 300);
``AFTERSALES_DELIVER_SECONDS`` how often the outbox is delivered and the SLA early
warning looks (default 30, never less often than the escalation).
``python -m data_access.jobs deliver`` runs one warning and delivery round.
Each escalation round also merges the search index a little (``index`` runs it alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import threading
import time

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from data_access import (
    alerts,
    backup,
    complaints,
    dashboard_rollup,
    db,
    notifications,
    parts,
    public_intake,
    search,
)
from data_access.errors import ConflictError, Refused
from data_access.tickets import auto_escalate

log = logging.getLogger(__name__)

INTERVAL_DEFAULT = 300.0
DELIVER_DEFAULT = 30.0
SWEEP_SECONDS = 3600.0  # the photo retention sweep
LOCK_KEY = 7_316_001  # advisory lock id of the escalation round (any fixed bigint)


def escalate_round(engine: Engine, now: dt.datetime | None = None) -> list[str] | None:
    """One escalation round in one transaction: the ticket numbers moved up, or None
    when another instance holds the round's lock. Complaints past their investigation
    deadline move a tier up in the same round."""
    now = now or dt.datetime.now().replace(microsecond=0)
    with db.write(engine) as session:
        if engine.dialect.name == "postgresql":
            got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            if not got.scalar():
                return None
        moved = auto_escalate(session, now)
        tiers = complaints.escalate_overdue(session, now)
        if tiers:
            log.info("escalated %d overdue complaints", len(tiers))
        return moved


class Ticker(threading.Thread):
    """Runs :func:`escalate_round` now and then every ``interval`` seconds until stopped.

    A failed round (a concurrent edit, the database briefly away) is logged and the
    next round tries again: the thread never dies of it.
    """

    def __init__(
        self, engine: Engine, interval: float = INTERVAL_DEFAULT, deliver: float = DELIVER_DEFAULT
    ):
        super().__init__(name="aftersales-escalation", daemon=True)
        self.engine, self.interval = engine, interval
        self.deliver_interval = min(deliver, interval)
        self.stopped = threading.Event()
        self.rounds = 0
        self.deliveries = 0
        self.escalated: list[str] = []
        self.next_sweep = 0.0

    def run(self) -> None:
        next_escalation = 0.0
        while not self.stopped.is_set():
            if time.monotonic() >= next_escalation:
                next_escalation = time.monotonic() + self.interval
                self.escalation()
            self.notification()
            self.stopped.wait(self.deliver_interval)

    def escalation(self) -> None:
        try:
            done = escalate_round(self.engine)
            if done:
                self.escalated.extend(done)
                log.info("auto-escalated %d tickets", len(done))
        except (ConflictError, DBAPIError) as exc:
            log.warning("escalation round skipped: %s", exc)
        backup.run_scheduled(self.engine)  # when the backup schedule says it is due
        index_round(self.engine)
        if time.monotonic() >= self.next_sweep:
            self.next_sweep = time.monotonic() + SWEEP_SECONDS
            sweep_round(self.engine)
            reorder_round(self.engine)
        self.rounds += 1

    def notification(self) -> None:
        """SLA early warnings, then the outbox: a failure waits for the next round."""
        try:
            notifications.sla_round(self.engine)
            alerts.alerts_round(self.engine)  # overdue visits, low parts, expiring certificates
            notifications.deliver_round(self.engine)
        except DBAPIError as exc:
            log.warning("notification round skipped: %s", exc)
        self.deliveries += 1

    def stop(self) -> None:
        self.stopped.set()


def sweep_round(engine: Engine, now: dt.datetime | None = None) -> public_intake.PhotoSweep:
    """Delete report photos past their retention and orphan photo files (hourly: a
    directory listing, cheap, and one instance doing it twice deletes nothing twice)."""
    try:
        with db.read(engine) as session:
            done = public_intake.sweep_photos(session, now or dt.datetime.now())
    except OSError as exc:  # the folder unreadable: the next round tries again
        log.warning("photo sweep skipped: %s", exc)
        return public_intake.PhotoSweep(0, 0)
    if done.orphans or done.expired:
        log.info("photos deleted: %d expired, %d orphans", done.expired, done.orphans)
    return done


def reorder_round(engine: Engine, now: dt.datetime | None = None) -> list[str]:
    """Store the reorder suggestions stock now calls for (hourly; the parts page's button
    does it at once). A concurrent round's duplicate is refused by the unique index and
    simply tried again next hour."""
    try:
        with db.write(engine) as session:
            made = parts.refresh_reorder(session, now or dt.datetime.now().replace(microsecond=0))
    except DBAPIError as exc:
        log.warning("reorder round skipped: %s", exc)
        return []
    if made:
        log.info("reorder suggestions: %s", ", ".join(made[:20]))
    return made


def index_round(engine: Engine) -> dict[str, int]:
    """Merge the search index a little (every escalation round, a couple of seconds at
    most, each step a short transaction: ``search.merge_index``) and, on PostgreSQL,
    vacuum the dashboard rollup's tables after a bulk load (``dashboard_rollup.vacuum``).
    Busy: next round."""
    try:
        done = search.merge_index(engine)
        vacuumed = dashboard_rollup.vacuum(engine)
    except (Refused, DBAPIError) as exc:
        log.warning("index round (search merge, rollup vacuum) skipped: %s", exc)
        return {}
    if any(done.values()):
        log.info("search index merged: %s", done)
    if vacuumed:
        log.info("dashboard rollup vacuumed: %s", ", ".join(vacuumed))
    return done


def interval_from_env() -> float:
    try:
        return max(1.0, float(os.environ.get("AFTERSALES_ESCALATE_SECONDS", INTERVAL_DEFAULT)))
    except ValueError:
        return INTERVAL_DEFAULT


def deliver_interval_from_env() -> float:
    try:
        return max(1.0, float(os.environ.get("AFTERSALES_DELIVER_SECONDS", DELIVER_DEFAULT)))
    except ValueError:
        return DELIVER_DEFAULT


def start(engine: Engine) -> Ticker | None:
    """Start this process's ticker (None when ``AFTERSALES_JOBS=0``)."""
    if os.environ.get("AFTERSALES_JOBS", "1") == "0":
        return None
    ticker = Ticker(engine, interval_from_env(), deliver_interval_from_env())
    ticker.start()
    return ticker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.jobs", description=__doc__)
    parser.add_argument("job", choices=["escalate", "deliver", "photos", "reorder", "index"])
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or data/aftersales.db)")
    args = parser.parse_args(argv)
    engine = db.make_engine(args.url or db.database_url())
    if args.job == "deliver":
        warned = notifications.sla_round(engine)
        told = sum(len(v) for v in alerts.alerts_round(engine).values())
        r = notifications.deliver_round(engine)
        print(
            f"warned {len(warned)}; told {told}; "
            f"sent {r.sent}, retrying {r.retrying}, failed {r.failed}"
        )
        return 0
    if args.job == "reorder":
        made = reorder_round(engine)
        print(
            f"reorder suggestions added: {len(made)}"
            + (": " + ", ".join(made[:20]) if made else "")
        )
        return 0
    if args.job == "index":
        print(f"search index merge steps: {index_round(engine)}")
        return 0
    if args.job == "photos":
        swept = sweep_round(engine)
        print(f"photos deleted: {swept.expired} past retention, {swept.orphans} orphans")
        return 0
    done = escalate_round(engine)
    if done is None:
        print("another instance is running the escalation round")
        return 0
    print(f"escalated {len(done)} tickets" + (": " + ", ".join(done[:20]) if done else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
