"""Natural key → referenced row, one query per referenced register."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

from sqlalchemy import (
    or_,
    select,
)
from sqlalchemy.orm import Session

from data_access.adapters import Adapter
from data_access.bulk import _chunks
from rules.fields import Field, Kind


# ---------------------------------------------------------------- references
class RefResolver:
    """Natural key → referenced row, one query per referenced register per call.

    Keeps what it found, so a chunked import asks only for keys it has not seen.
    """

    def __init__(self, session: Session, ad: Adapter):
        self.session = session
        self.ad = ad
        self.refs = [f for f in ad.stored_fields() if f.kind is Kind.REF]
        # field name → text → row dict | "ambiguous" | None (unknown)
        self.cache: dict[str, dict[str, Any]] = {f.name: {} for f in self.refs}

    def load(self, rows: Iterable[Mapping[str, Any]], names: Container[str] | None = None) -> None:
        """Look up the references of ``rows`` not seen yet. ``names``: the only fields the
        rows may hold (an import's mapped columns); the others are not looked at."""
        for f in self.refs:
            if names is not None and f.name not in names:
                continue
            cache = self.cache[f.name]
            wanted = {r.get(f.name) for r in rows} - {None} - cache.keys()
            if wanted:
                self._fetch(f, sorted(wanted), cache)

    def _fetch(self, f: Field, wanted: list[str], cache: dict[str, Any]) -> None:
        target = self.ad.ref_target(f)
        table = target.table
        cols = [table.c.id, *(table.c[k] for k in target.keys), *(table.c[x] for x in target.extra)]
        found: dict[str, dict[str, list[dict]]] = {k: {} for k in target.keys}
        for part in _chunks(wanted):
            query = select(*cols).where(or_(*(table.c[k].in_(part) for k in target.keys)))
            for row in self.session.execute(query).mappings():
                for k in target.keys:
                    found[k].setdefault(row[k], []).append(dict(row))
        for text in wanted:
            cache[text] = None
            for k in target.keys:  # natural key first; a fallback must be unique
                hits = found[k].get(text, [])
                if len(hits) == 1:
                    cache[text] = hits[0]
                    break
                if len(hits) > 1:
                    cache[text] = "ambiguous"
                    break

    def by_id(self, f: Field, ids: Iterable[int | None]) -> dict[int, Mapping[str, Any]]:
        """Referenced rows by id (for rows whose reference is not being changed)."""
        target = self.ad.ref_target(f)
        table = target.table
        wanted = sorted({i for i in ids if i is not None})
        cols = [table.c.id, *(table.c[k] for k in target.keys), *(table.c[x] for x in target.extra)]
        out: dict[int, Mapping[str, Any]] = {}
        for part in _chunks(wanted):
            for row in self.session.execute(select(*cols).where(table.c.id.in_(part))).mappings():
                out[row["id"]] = dict(row)
        return out

    def resolve(self, f: Field, text: str | None) -> tuple[Mapping[str, Any] | None, str | None]:
        """(row, problem code) for one value; both None when blank."""
        if text is None:
            return None, None
        hit = self.cache[f.name].get(text)
        if hit == "ambiguous":
            return None, "imports.ref_ambiguous"
        if hit is None:
            return None, "err.unknown_ref"
        return hit, None
