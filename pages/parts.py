"""Spare parts (备件管理): the parts master, stock by warehouse, a part's card with its
ledger and balance chart, stock documents (receipt, transfer, scrap …), reorder
suggestions, the stock ledger and warehouses.

The parts keeper, managers and admins edit; an engineer sees the parts master, and the
stock, cards and ledger of their own van only (the data layer enforces it). No SQL here:
every read and write goes through :mod:`data_access.parts` and the register machinery.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from data_access import db, stocktake
from data_access import parts as stock
from data_access.errors import InvalidInput
from imports.count_sheet import count_sheet_bytes, read_counts
from imports.writer import write_tuples
from pages import excel_panel
from pages.common import get_engine, guarded, now, plain, require, take_link, tr
from pages.filter_bar import filter_bar
from pages.register_grid import register_grid
from rules.access import Page, Role
from rules.parts import (
    KIND_OPTIONS,
    PARTS,
    PURCHASE_LIST,
    REASON_OPTIONS,
    STOCK,
    WAREHOUSES,
    MovementKind,
)
from rules.tickets import status_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC_KINDS = (
    MovementKind.RECEIPT,
    MovementKind.TRANSFER,
    MovementKind.SCRAP,
    MovementKind.ISSUE,
    MovementKind.RETURN,
    MovementKind.LOAN,
    MovementKind.LOAN_RETURN,
    MovementKind.FAULTY_RETURN,
)
LEDGER_PAGE = 50
STOCK_PAGE = 100


def _cols(*names: str) -> dict[str, str]:
    """Column headings, translated once per table (not once per cell)."""
    return {n: tr(f"parts.col.{n}") for n in names}


def _reason_label(value: str | None, lang: str) -> str:
    opt = next((o for o in REASON_OPTIONS if o.value == value), None)
    return opt.label(lang) if opt else (value or "")


def _kind_label(value: str, lang: str) -> str:
    opt = next((o for o in KIND_OPTIONS if o.value == value), None)
    return opt.label(lang) if opt else value


TAB_NAME = "parts.open_tab"  # the open tab by name: its label changes with the language


def _open_tabs(names: list[str], lang: str) -> dict[str, Any]:
    """The page's tabs; only the open one runs (``on_change="rerun"``): the others
    would each read and render their tables on every click."""
    labels = {n: tr(f"parts.tab.{n}") for n in names}
    by_label = {v: k for k, v in labels.items()}
    key = f"parts.tabs.{lang}"
    wanted = st.session_state.get(TAB_NAME)
    if wanted in labels and st.session_state.get(key) != labels[wanted]:
        st.session_state[key] = labels[wanted]

    def remember() -> None:
        st.session_state[TAB_NAME] = by_label.get(st.session_state.get(key))

    containers = st.tabs(list(labels.values()), key=key, on_change=remember)
    return dict(zip(names, containers, strict=True))


def main() -> None:
    user, lang, editable = require(Page.PARTS)
    engine = get_engine()
    staff = user.role != Role.ENGINEER
    linked = take_link("part")
    if linked:  # ?part=P…: its card, first (and kept first: the tabs keep their places)
        st.session_state["parts.card.part_no"] = linked
        st.session_state["parts.card_first"] = True
        st.session_state[TAB_NAME] = "card"
    card_first = st.session_state.get("parts.card_first", False)
    names = ["card", "stock", "master"] if card_first else ["stock", "card", "master"]
    if user.role == Role.ENGINEER:
        names.insert(0, "mine")
    if editable:
        names.append("document")
    if staff:
        names += ["stocktake", "reorder", "ledger", "warehouses"]
    tabs = _open_tabs(names, lang)
    for name, tab in tabs.items():
        if tab.open is False:
            continue
        with tab, guarded():
            TABS[name](engine, user, lang, editable)


def _master(engine, user, lang: str, editable: bool) -> None:
    filters, search = filter_bar("parts", PARTS, ("is_key", "active"), lang)
    register_grid("parts", PARTS, filters=filters, search=search, lang=lang, editable=editable)
    if user.role != Role.ENGINEER:
        with st.expander(tr("imports.panel.title")):
            excel_panel.render(
                "parts", engine, user, lang, selection=excel_panel.grid_selection(filters, search)
            )


def _ledger(engine, user, lang: str, editable: bool) -> None:
    """The stock ledger, the latest entered first, a keyset page at a time (never an
    offset into a million rows, never a count of them); the export holds the filter."""
    filters, search = filter_bar("parts", STOCK, ("kind",), lang)
    view = repr((sorted(filters.items()), search))
    if st.session_state.get("parts.ledger.view") != view:  # a new filter: the first page
        st.session_state["parts.ledger.view"] = view
        st.session_state["parts.ledger.before"] = []
    stack = st.session_state["parts.ledger.before"]
    with db.read(engine) as s:
        rows = stock.ledger_page(
            s, user, filters=filters, search=search, before=stack[-1] if stack else None,
            limit=LEDGER_PAGE, today=now().date(),
        )  # fmt: skip
    cols = {n: STOCK.field(n).label(lang) for n in
            ("at", "entry", "kind", "part_no", "warehouse", "qty", "unit_cost", "supplier",
             "reference", "ticket", "reason", "reverses", "note")}  # fmt: skip
    st.dataframe(
        pd.DataFrame(
            {cols["at"]: [f"{r['at']:%Y-%m-%d %H:%M}" for r in rows],
             cols["entry"]: [r["entry"] for r in rows],
             cols["kind"]: [_kind_label(r["kind"], lang) for r in rows],
             cols["part_no"]: [r["part_no"] for r in rows],
             tr("parts.col.name"): [r["name"] for r in rows],
             **{cols[n]: [r[n] for r in rows] for n in ("warehouse", "qty")},
             cols["unit_cost"]: [None if r["unit_cost"] is None else float(r["unit_cost"])
                                 for r in rows],
             **{cols[n]: [r[n] or "" for r in rows] for n in ("supplier", "reference", "ticket")},
             cols["reason"]: [_reason_label(r["reason"], lang) for r in rows],
             **{cols[n]: [r[n] or "" for r in rows] for n in ("reverses", "note")}}
        ),
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    first, more, _ = st.columns([1, 1, 4])
    if stack and first.button(tr("parts.ledger_first"), key="parts.ledger.first"):
        stack.clear()
        st.rerun()
    if len(rows) == LEDGER_PAGE and more.button(tr("parts.ledger_more"), key="parts.ledger.more"):
        stack.append(rows[-1]["id"])
        st.rerun()
    st.caption(tr("parts.ledger_help"))
    with st.expander(tr("imports.panel.title")):
        excel_panel.render(
            "stock", engine, user, lang, selection=excel_panel.grid_selection(filters, search)
        )


def _warehouses(engine, user, lang: str, editable: bool) -> None:
    register_grid("parts", WAREHOUSES, filters={}, search=None, lang=lang, editable=editable)


# ---------------------------------------------------------------- stock by warehouse
def _mine(engine, user, lang: str, editable: bool = False) -> None:
    """An engineer's open tickets' part lines beside his van stock: what to pick up."""
    with db.read(engine) as s:
        rows = stock.engineer_parts(s, user.id)
    if not rows:
        st.info(tr("parts.mine.empty"))
        return
    short = sum(r["short"] for r in rows)
    if short:
        st.warning(tr("parts.mine.to_pick", n=short))
    yes, no = tr("ui.yes"), tr("ui.no")
    outside = " " + tr("parts.mine.non_catalogue")
    c = _cols("ticket_no", "status", "part_no", "name", "qty", "issued", "on_van", "short")
    st.dataframe(
        [{c["ticket_no"]: r["ticket_no"], c["status"]: status_label(r["status"], lang),
          c["part_no"]: r["part_no"],
          c["name"]: (r["description"] or "") + (outside if r["non_catalogue"] else ""),
          c["qty"]: r["qty"],
          c["issued"]: yes if r["issued"] else no, c["on_van"]: r["on_van"],
          c["short"]: "⚠ " + yes if r["short"] else ""}
         for r in rows],
        hide_index=True,
    )  # fmt: skip


def _stock(engine, user, lang: str, editable: bool = False) -> None:
    with db.read(engine) as s:
        houses = stock.warehouses(s, user)
    if not houses:
        st.info(tr("parts.no_warehouse"))
        return
    codes = [h["code"] for h in houses]
    names = {h["code"]: h["name"] for h in houses}
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    wh = c1.selectbox(
        tr("parts.warehouse"),
        [None, *codes],
        format_func=lambda c: tr("ui.any") if c is None else f"{c} {names[c]}",
        key="parts.onhand.warehouse",
    )
    below = c2.checkbox(tr("parts.below_reorder"), key="parts.onhand.below")
    key_only = c3.checkbox(tr("parts.key_only"), key="parts.onhand.key")
    idle = int(c4.number_input(tr("parts.idle_days"), 0, 3650, 0, key="parts.onhand.idle"))
    filters = {"warehouse": wh, "below_reorder": below, "key_only": key_only,
               "idle_days": idle or None, "now": now()}  # fmt: skip
    page = int(st.session_state.get("parts.onhand.page", 1))
    with db.read(engine) as s:
        total = stock.stock_count(s, user, **filters)
        pages = max(1, -(-total // STOCK_PAGE))
        page = min(page, pages)
        rows = stock.stock_by_warehouse(
            s, user, limit=STOCK_PAGE, offset=(page - 1) * STOCK_PAGE, **filters
        )
    c = _cols("warehouse", "part_no", "name", "qty", "reorder_point", "key", "bin")
    yes = tr("ui.yes")
    shown = [{c["warehouse"]: r["warehouse"], c["part_no"]: r["part_no"], c["name"]: r["name"],
              c["qty"]: r["qty"], c["reorder_point"]: r["reorder_point"],
              c["key"]: yes if r["is_key"] else "", c["bin"]: r["bin"] or ""}
             for r in rows]  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch")
    left, right = st.columns([1, 4])
    left.number_input(tr("ui.page"), 1, pages, page, key="parts.onhand.page")
    right.caption(tr("ui.page_of", page=page, pages=pages, total=total))
    # moving-average cost reads each part's whole ledger: computed when asked for
    if not st.checkbox(tr("parts.show_value"), key="parts.onhand.value"):
        return
    with db.read(engine) as s:
        values = stock.stock_value(s, user)
    if values:
        total = sum(values.values(), Decimal("0"))
        st.caption(tr("parts.value_total", value=f"{total:,.2f}"))
        st.dataframe(
            [{tr("parts.col.warehouse"): k, tr("parts.col.value"): f"{v:,.2f}"}
             for k, v in sorted(values.items())],
            hide_index=True,
        )  # fmt: skip


# ---------------------------------------------------------------- a part's card
def _card(engine, user, lang: str, editable: bool = False) -> None:
    part_no = st.text_input(tr("parts.card_part"), key="parts.card.part_no").strip()
    if not part_no:
        st.caption(tr("parts.card_hint"))
        return
    cursor_key = f"parts.card.after.{part_no}"
    after = st.session_state.get(cursor_key)
    card, series = _card_data(engine, user, part_no, after)
    if card is None:
        st.warning(tr("parts.err.unknown_part", value=plain(part_no)))
        return
    part = card["part"]
    name = part["name"] if lang == "zh" or not part["name_en"] else part["name_en"]
    st.subheader(plain(f"{part['part_no']} {name}"))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(tr("parts.col.qty"), sum(card["balances"].values()))
    m2.metric(tr("parts.avg_cost"), f"{card['cost'].avg_cost:,.2f}")
    m3.metric(tr("parts.col.reorder_point"), part["reorder_point"])
    m4.metric(tr("parts.price"), f"{part['price'] or 0:,.2f}")
    if card["balances"]:
        st.dataframe(
            [{tr("parts.col.warehouse"): k, tr("parts.col.qty"): v}
             for k, v in card["balances"].items()],
            hide_index=True,
        )  # fmt: skip
    if series:  # a plain Vega-Lite spec: no chart object built and validated per rerun
        spec = {
            "mark": {"type": "line", "interpolate": "step-after"},
            "encoding": {
                "x": {"field": "day", "type": "temporal", "title": tr("parts.col.date")},
                "y": {"field": "on_hand", "type": "quantitative", "title": tr("parts.col.qty")},
            },
        }
        st.vega_lite_chart(pd.DataFrame(series), spec, width="stretch")
    ledger = card["ledger"]
    c = _cols("date", "entry", "kind", "warehouse", "qty", "reference", "note")
    st.dataframe(
        [{c["date"]: f"{r['at']:%Y-%m-%d %H:%M}", c["entry"]: r["entry"],
          c["kind"]: _kind_label(r["kind"], lang), c["warehouse"]: r["warehouse"],
          c["qty"]: r["qty"], c["reference"]: r["reference"] or "", c["note"]: r["note"] or ""}
         for r in ledger],
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    first, more, _ = st.columns([1, 1, 4])
    if after is not None and first.button(tr("parts.ledger_first"), key="parts.card.first"):
        st.session_state.pop(cursor_key, None)
        st.rerun()
    if len(ledger) == LEDGER_PAGE and more.button(tr("parts.ledger_more"), key="parts.card.more"):
        st.session_state[cursor_key] = (ledger[-1]["at"], ledger[-1]["id"])
        st.rerun()


def _card_data(engine, user, part_no: str, after) -> tuple[dict | None, list[dict]]:
    """The card and its balance series, read again only when the part or its ledger
    changed (its stamp: the master row's version, its ledger's row count and last id);
    a rerun of the card for anything else (a click elsewhere) reuses them."""
    key = (user.id, part_no, after)
    with db.read(engine) as s:
        stamp = stock.card_stamp(s, part_no)
        kept = st.session_state.get("parts.card.kept")
        if stamp is not None and kept and kept[0] == (key, stamp):
            return kept[1], kept[2]
        card = stock.part_card(s, part_no, user, after=after, limit=LEDGER_PAGE)
        series = stock.balance_series(s, part_no, user) if card else []
    st.session_state["parts.card.kept"] = ((key, stamp), card, series)
    return card, series


# ---------------------------------------------------------------- documents
def _document(engine, user, lang: str, editable: bool = True) -> None:
    with db.read(engine) as s:  # the central store first: most documents are its
        houses = sorted(
            stock.warehouses(s, user), key=lambda h: (h["kind"] != "central", h["code"])
        )
        codes = [h["code"] for h in houses]
    if not codes:
        st.info(tr("parts.no_warehouse"))
        return
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox(
        tr("parts.col.kind"), DOC_KINDS, format_func=lambda k: _kind_label(k, lang),
        key="parts.doc.kind",
    )  # fmt: skip
    wh = c2.selectbox(tr("parts.warehouse"), codes, key="parts.doc.warehouse")
    at = c3.date_input(tr("parts.col.date"), now().date(), key="parts.doc.date")
    extra: dict[str, Any] = {}
    c4, c5 = st.columns(2)
    if kind == MovementKind.TRANSFER:
        extra["to_warehouse"] = c4.selectbox(
            tr("parts.to_warehouse"), codes, key="parts.doc.to_warehouse"
        )
    if kind == MovementKind.RECEIPT:
        extra["supplier"] = (
            c4.text_input(tr("parts.col.supplier"), key="parts.doc.supplier") or None
        )
    if kind == MovementKind.SCRAP:
        extra["reason"] = c4.selectbox(
            tr("parts.col.reason"), [None, *(o.value for o in REASON_OPTIONS)],
            format_func=lambda v: "" if v is None else next(
                o.label(lang) for o in REASON_OPTIONS if o.value == v),
            key="parts.doc.reason",
        )  # fmt: skip
    extra["reference"] = c5.text_input(tr("parts.col.reference"), key="parts.doc.reference") or None
    nonce = st.session_state.get("parts.doc.nonce", 0)
    blank = pd.DataFrame({"part_no": pd.Series(dtype="str"), "qty": pd.Series(dtype="Int64"),
                          "unit_cost": pd.Series(dtype="float")})  # fmt: skip
    grid = st.data_editor(
        blank,
        key=f"parts.doc.lines.{nonce}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "part_no": st.column_config.TextColumn(tr("parts.col.part_no")),
            "qty": st.column_config.NumberColumn(tr("parts.col.qty"), step=1),
            "unit_cost": st.column_config.NumberColumn(tr("parts.col.unit_cost"), format="%.2f"),
        },
    )
    if st.button(tr("parts.post"), type="primary", key="parts.doc.post"):
        lines = _lines(grid)
        if not lines:
            st.warning(tr("parts.no_lines"))
            return
        moment = now().replace(year=at.year, month=at.month, day=at.day)
        try:
            with db.write(engine) as s:
                doc = stock.post_document(s, kind, wh, lines, at=moment, actor=user, now=now(),
                                          **extra)  # fmt: skip
        except InvalidInput as exc:
            for p in exc.problems:
                row = "" if p.row is None else f"{tr('ui.row')} {p.row + 1}: "
                st.error(row + p.message(lang, STOCK))
            return
        st.session_state["parts.doc.nonce"] = nonce + 1
        st.session_state["parts.doc.done"] = doc
        st.rerun()
    done = st.session_state.get("parts.doc.done")
    if done:
        st.success(tr("parts.posted", doc=plain(done)))
    st.divider()
    c6, c7 = st.columns([2, 1])
    cancel = c6.text_input(tr("parts.cancel_doc"), key="parts.doc.cancel_no").strip()
    if c7.button(tr("parts.cancel"), key="parts.doc.cancel") and cancel:
        with db.write(engine) as s:
            rev = stock.cancel_document(s, cancel, actor=user, now=now())
        st.success(tr("parts.posted", doc=plain(rev)))


def _lines(frame: pd.DataFrame) -> list[stock.Line]:
    out = []
    for row in frame.to_dict("records"):
        no = str(row.get("part_no") or "").strip()
        if not no or no == "nan":
            continue
        qty = row.get("qty")
        qty = 0 if qty is None or pd.isna(qty) else int(qty)
        cost = row.get("unit_cost")
        try:
            price = None if cost is None or pd.isna(cost) else Decimal(str(cost))
        except InvalidOperation:
            price = None
        out.append(stock.Line(no, qty, price))
    return out


# ---------------------------------------------------------------- stock-take
def _stocktake(engine, user, lang: str, editable: bool) -> None:
    with db.read(engine) as s:
        houses = [h["code"] for h in stock.warehouses(s, user)]
        takes = stocktake.takes(s)
    if editable:
        c1, c2 = st.columns([3, 1])
        chosen = c1.multiselect(tr("parts.warehouse"), houses, key="parts.take.warehouses")
        if c2.button(tr("parts.take_new"), key="parts.take.new") and chosen:
            with db.write(engine) as s:
                no = stocktake.create_take(s, chosen, actor=user, now=now())
            st.session_state["parts.take.no"] = no
            st.rerun()
    if not takes:
        st.caption(tr("parts.take_none"))
        return
    nos = [t["take_no"] for t in takes]
    status = {t["take_no"]: t["status"] for t in takes}
    no = st.selectbox(tr("parts.take_no"), nos, key="parts.take.no")
    with db.read(engine) as s:
        lines = stocktake.take_lines(s, no, user)
        sheet = count_sheet_bytes(s, no, actor=user, lang=lang)
    st.download_button(tr("parts.take_sheet"), sheet, file_name=f"{no}.xlsx", mime=XLSX,
                       key="parts.take.sheet")  # fmt: skip
    open_ = status[no] == "open"
    if editable and open_:
        upload = st.file_uploader(tr("parts.take_upload"), type=["xlsx"], key="parts.take.upload")
        if upload is not None and st.button(tr("parts.take_record"), key="parts.take.record"):
            try:
                name, counts = read_counts(upload.getvalue())
                with db.write(engine) as s:
                    n = stocktake.record_counts(s, no, counts, actor=user, sheet=name)
                st.success(tr("parts.take_recorded", n=n))
                with db.read(engine) as s:
                    lines = stocktake.take_lines(s, no, user)
            except InvalidInput as exc:
                for p in exc.problems:
                    st.error(f"{p.sheet or ''} {tr('ui.row')} {p.row}: {p.message(lang)}")
    st.dataframe(
        [{tr("parts.col.warehouse"): r["warehouse"], tr("parts.col.part_no"): r["part_no"],
          tr("parts.col.name"): r["name"], tr("parts.take_book"): r["book_qty"],
          tr("parts.take_counted"): r["counted_qty"], tr("parts.take_diff"): r["diff"],
          tr("parts.col.value"): None if r["value"] is None else float(r["value"]),
          tr("parts.take_moved"): tr("ui.yes") if r["moved"] else ""} for r in lines],
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    moved = [r for r in lines if r["moved"] and r["counted_qty"] is not None]
    if editable and open_:
        choices = {}
        for r in moved:
            choices[(r["warehouse"], r["part_no"])] = st.radio(
                plain(f"{r['warehouse']} {r['part_no']}"), ["keep_count", "keep_difference"],
                format_func=lambda c: tr(f"parts.take_{c}"), horizontal=True,
                key=f"parts.take.choice.{no}.{r['warehouse']}.{r['part_no']}",
            )  # fmt: skip
        if st.button(tr("parts.take_approve"), type="primary", key="parts.take.approve"):
            with db.write(engine) as s:
                doc = stocktake.approve_take(s, no, actor=user, now=now(), choices=choices)
            st.success(tr("parts.posted", doc=plain(doc or no)))


# ---------------------------------------------------------------- reorder
def _reorder(engine, user, lang: str, editable: bool = False) -> None:
    """Stored suggestions (open and ordered): the purchase list export, marking one
    ordered under its purchase order no., and an immediate check (the ticker checks
    hourly); a receipt of the part closes its suggestion."""
    top = st.columns([1, 3])
    if user.role != Role.ENGINEER and top[0].button(
        tr("parts.reorder.check"), key="parts.reorder.check"
    ):
        with db.write(engine) as s:
            made = stock.refresh_reorder(s, now())
        st.success(tr("parts.reorder.checked", n=len(made)))
    with db.read(engine) as s:
        rows = stock.reorder_suggestions(s, user)
    fields = PURCHASE_LIST.fields
    table = [tuple(r[f.name] for f in fields) for r in rows]
    frame = pd.DataFrame(table, columns=[f.label(lang) for f in fields])
    frame.insert(0, tr("parts.col.suggestion_status"),
                 [tr(f"parts.suggestion.{r['status']}") for r in rows])  # fmt: skip
    frame[tr("parts.col.purchase_ref")] = [r["purchase_ref"] or "" for r in rows]
    frame[tr("parts.col.suggested_at")] = [r["created_at"] for r in rows]
    st.caption(tr("parts.reorder_help", n=len(rows)))
    st.dataframe(frame, hide_index=True, width="stretch")
    if not rows:
        return
    buf = io.BytesIO()
    write_tuples(buf, PURCHASE_LIST, table, lang=lang)  # formulas in text are guarded
    st.download_button(
        tr("parts.export_purchase"),
        buf.getvalue(),
        file_name=f"purchase-{now():%Y%m%d}.xlsx",
        mime=XLSX,
        key="parts.reorder.export",
    )
    open_parts = [r["part_no"] for r in rows if r["status"] == "open"]
    if not open_parts or user.role == Role.ENGINEER:
        return
    a, b, c = st.columns([2, 2, 1])
    part_no = a.selectbox(tr("parts.col.part_no"), open_parts, key="parts.reorder.part")
    ref = b.text_input(tr("parts.col.purchase_ref"), key="parts.reorder.ref")
    if c.button(tr("parts.reorder.ordered"), key="parts.reorder.mark"):
        try:
            with db.write(engine) as s:
                stock.mark_ordered(s, part_no, ref, actor=user, now=now())
        except InvalidInput:
            st.error(tr("parts.reorder.need_ref"))
            return
        st.success(tr("parts.reorder.marked", value=part_no))
        st.rerun()


TABS = {
    "mine": _mine,
    "stock": _stock,
    "card": _card,
    "master": _master,
    "document": _document,
    "stocktake": _stocktake,
    "reorder": _reorder,
    "ledger": _ledger,
    "warehouses": _warehouses,
}

main()
