"""Deterministic demo data for every domain (``python -m data_access.demo``).

``load(engine, customers=200, tickets=3000, seed=20261123, now=None)`` fills an empty,
migrated database and returns the row count per table. Same seed, sizes and ``now``
give identical rows on SQLite and PostgreSQL (one ``random.Random(seed)`` stream, no
set iteration, ids assigned here).

``now`` defaults to the fixed reference :data:`DEMO_NOW` (2026-11-20 10:00): the demo
always holds "a year of tickets up to now" relative to that moment, so a database
loaded on any day looks the same. Pass ``--now now`` (or an ISO datetime) on the
command line to centre the year on the real clock instead.

Speed: rows are generated in chunks (about 50,000 rows) and written through the
registers' one bulk-insert path (:class:`data_access.bulk.Inserter`: executemany of
tuples on SQLite, Core executemany elsewhere), all in one transaction; memory stays
bounded. Measured on a shared 2-core machine, SQLite file: default 2–3 s; 100,000
tickets 37–53 s; 1,000,000 tickets (16.4 M rows, 2.75 GB) 5.8 min; peak RSS about
260 MB at both sizes (128 MB of it is the SQLite page cache set for the load).

Every ticket status occurs whenever there are at least 13 tickets: a few recent tickets
are generated to stop in a given status (``FORCED``); the others follow their
lifecycle path until ``now``.

One generator module per domain (``users``, ``customers``, ``sla_settings``, ``tickets``,
``parts``, ``fees``, ``followups``, ``maintenance``, ``complaints``, ``training``), each a
mixin of :class:`generator.Generator` on :class:`base.Plumbing`; working time is the SLA
rules' calendar maths (``rules.sla``), so the demo and the app compute deadlines alike.

Choices made here (documented because other code reads this data):
- working calendar "默认日历": the SLA rules' default hours (``rules.sla.DEFAULT_WEEKLY``,
  Mon–Sat 08:30–18:00, domain.md's support hours), 2026 public holidays and make-up
  working days (调休) as published by the State Council; event timestamps after intake
  fall inside working hours;
- SLA policies and escalation levels are ``rules.sla.DEFAULT_POLICIES`` /
  ``DEFAULT_ESCALATION`` (respond 4/8/12/24 business hours; resolve 1/2/3/7 working days;
  L1 4 h → L2 one working day → L3 three working days → L4), so the demo and an empty
  database behave alike;
- ``respond_due`` is exact (business time on that calendar). ``resolve_due`` is exact
  (``rules.sla.sla_clock``) for open tickets; for finished ones it is the budget added
  in business time plus the paused/stopped business time before the end — close to, not
  always equal to, what ``sla_clock`` gives (a clock per ticket would cost ~0.4 ms);
- ``closed_at`` is set for closed tickets only (cancelled ones keep it empty);
  ``resolved_at`` is the last ``repaired`` time unless reopened afterwards;
- ticket ``service_type``: repair | consultation | maintenance | installation | upgrade;
  service report ``result``: the tickets rules' fixed | temporary | not_fixed | returned;
  every closed ticket has its follow-up, numbered ``FU-<ticket no>-1`` like the tickets
  domain's; maintenance visit ``result``: ok | issues_found, ``status``: planned | done |
  partly_done | skipped | cancelled (laid out by ``rules.maintenance.due_dates`` on the demo
  calendar up to twelve months ahead, so generating visits on the demo adds none); complaint status:
  received | investigating | handling | follow_up | closed, severity/urgency low |
  medium | high, channel hotline | email | online | social_media; statements settled | paid
  (per ticket, monthly for contract customers);
- fee lines are priced by ``rules.fees.price_line`` (the rule applied is stored; in
  warranty: free); parts at cost price; contract customers get the default contract
  discount (``rules.fees.DEFAULT_CONTRACT_PCT``) on diagnosis, labour, parts,
  inspection and repair; labour and diagnosis prices rise mid-year (a second rate
  card version);
- a stock transfer is one document with two ledger rows (out of one warehouse, into
  another), net zero; the ledger is written in date order and never goes below zero per
  part and warehouse; ``stock_balances`` and ``parts.on_hand`` are its sums.
"""

from data_access.demo.base import DEMO_NOW, DEMO_PASSWORD, DEMO_SEED
from data_access.demo.cli import main
from data_access.demo.generator import NotEmptyError, is_empty, load

__all__ = ["DEMO_NOW", "DEMO_PASSWORD", "DEMO_SEED", "NotEmptyError", "is_empty", "load", "main"]
