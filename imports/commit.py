"""Writing an import's checked rows: each chunk through the register's one write path,
journalled in one import batch for its undo; at the end the batch is closed and audited
and the column mapping remembered, or everything is rolled back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from data_access.batches import close_batch, start_batch
from data_access.registers import audit
from data_access.writes import Writer
from imports.checks import Ctx
from imports.mapping import remember_mapping


def write_chunk(
    ctx: Ctx,
    inserts: list[dict[str, Any]],
    updates: list[tuple[dict, dict]],
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Write one chunk through the register's one write path, journalled for undo;
    ``meanwhile`` (no database work) may run while SQLite moves the rows in."""
    if not inserts and not updates:
        return
    if ctx.batch_id is None:
        report = ctx.report
        ctx.batch_id = start_batch(
            ctx.session,
            ctx.ad.name,
            user_id=ctx.user_id,
            file_name=report.file_name,
            sha256=report.sha256,
            sheet=report.sheet,
            now=ctx.now,
        )
    if ctx.writer is None:
        ctx.writer = Writer(
            ctx.session,
            ctx.ad,
            now=ctx.now,
            user_id=ctx.user_id,
            journal=ctx.batch_id,
            audit_rows=False,  # the batch is audited as one import
        )
    ctx.writer.apply(inserts, updates, meanwhile=meanwhile)


def finish(ctx: Ctx, savepoint) -> None:
    """All-or-nothing: a problem (bad rows not skipped) rolls the savepoint back; else
    the batch is closed, the import audited as one row and its mapping remembered."""
    report = ctx.report
    failed = bool(report.problems) and not report.skip_bad_rows
    if savepoint is None:
        return
    if failed:
        savepoint.rollback()
        return
    if ctx.batch_id is not None:  # no batch when nothing changed: nothing to undo
        close_batch(
            ctx.session,
            ctx.batch_id,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
        )
    audit(
        ctx.session,
        [
            {
                "key": report.file_name,
                "action": "import",
                "changes": {
                    "batch_id": ctx.batch_id,
                    "inserted": report.inserted,
                    "updated": report.updated,
                    "rejected": report.rejected,
                },
            }
        ],
        entity=ctx.ad.name,
        user_id=ctx.user_id,
        now=ctx.now,
    )
    if report.header:
        mapping = {report.header.texts[i]: n for i, n in report.header.mapping.items()}
        remember_mapping(ctx.session, ctx.ad.name, mapping, ctx.now)
    savepoint.commit()
    report.committed = True
    report.batch_id = ctx.batch_id
