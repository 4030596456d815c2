"""Fault-code suggestions for a ticket against a bare baseline (run by hand, not a test).

    python bench/suggestions.py --codes 2000 [--repeat 5]

The ticket detail asks :func:`rules.faultcodes.match` for the codes that fit its fault
description on every rerun. This times it over a synthetic library of ``--codes`` codes
(text like the demo's: Chinese names, symptoms, causes; each for one to three models)
against a bare baseline on the same data: a plain substring test of the description's
first four characters in each code's text (what a LIKE search would do). Each round
times both back to back; the ratio printed is the median of the per-round ratios. The
first round tokenises the library (cached afterwards, as in a running app).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.demo.customers import MODELS  # noqa: E402
from data_access.demo.tickets import FAULTS  # noqa: E402
from rules.faultcodes import Candidate, match  # noqa: E402


def library(n: int, rng: random.Random) -> list[Candidate]:
    models = [m[0] for m in MODELS]
    out = []
    for i in range(n):
        code, _cat, zh, en, _cats, symptoms, cause, work = FAULTS[i % len(FAULTS)]
        text = f"{code}{i} {zh} {en} {' '.join(symptoms)} {cause} {work}"
        own = tuple(rng.sample(models, rng.randint(1, 3)))
        out.append(Candidate(f"{code}-{i:05d}", text, own, (f"{code}{i}",)))
    return out


def bare(description: str, candidates: list[Candidate]) -> list[str]:
    needle = description[:4]
    return [c.key for c in candidates if needle in c.text][:5]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(1)
    cands = library(args.codes, rng)
    descriptions = [f"{s}，设备停机" for f in FAULTS for s in f[5]][:20]
    ratios, ours_ms, bare_ms = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for d in descriptions:
            bare(d, cands)
        t1 = time.perf_counter()
        for d in descriptions:
            match(d, "VMC-850", cands)
        t2 = time.perf_counter()
        b, o = (t1 - t0) / len(descriptions), (t2 - t1) / len(descriptions)
        bare_ms.append(b * 1000)
        ours_ms.append(o * 1000)
        ratios.append(o / b)
    print(f"{args.codes} codes: first round (texts not yet tokenised) {ours_ms[0]:.2f} ms, "
          f"then match {statistics.median(ours_ms[1:] or ours_ms):.2f} ms per description, "
          f"bare substring scan {statistics.median(bare_ms):.3f} ms, "
          f"ratio {statistics.median(ratios):.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
