"""Fees (服务费用): a ticket's fee lines with quote and confirmation, the rate card,
statements (per ticket, monthly per customer), payments and bank statements,
receivables ageing and the fee audit. UI only: every rule and write is in
:mod:`rules.fees` and :mod:`data_access.fees`."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import streamlit as st

from data_access import db
from data_access import fees as fees_da
from data_access.audit import AUDIT_LOG
from imports.bank_statement import import_bank_statement
from imports.writer import write_tuples
from pages import excel_panel
from pages.common import current_user, get_engine, guarded, now, plain, require, today, tr
from pages.filter_bar import filter_bar
from pages.lines_grid import lines_grid
from pages.pdf_button import pdf_button
from pages.register_grid import refresh_grids, register_grid
from rules import fees as F
from rules.access import FeeAction, Page, may_edit_register, may_fee

P = "fees"


def _save_lines(session, _register, ticket_no, rows, *, actor, now):
    return fees_da.save_fee_lines(session, ticket_no, rows, actor=actor, now=now)


def _xlsx(register, rows, lang: str) -> bytes:
    buf = io.BytesIO()
    write_tuples(buf, register, rows, lang=lang)
    return buf.getvalue()


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


# ---------------------------------------------------------------- a ticket's fees
def ticket_tab(user, lang: str, editable: bool) -> None:
    ticket_no = st.text_input(tr("fees.ticket"), key=f"{P}.ticket").strip()
    if not ticket_no:
        return
    with db.read(get_engine()) as s:
        view = fees_da.quote_of(s, ticket_no)
        has_lines = bool(fees_da.ticket_lines(s, ticket_no))
    st.caption(tr("fees.quote_status", status=tr(f"fees.status.{view.status}")))
    st.caption(tr("fees.total", **{k: _money(v) for k, v in view.totals.items()}))
    if view.confirmed_by:
        via = F.VIA_LABELS.get(view.confirmed_via or "", ("", ""))[0 if lang == "zh" else 1]
        st.caption(
            f"{tr('fees.confirmed_by')}: {plain(view.confirmed_by)} · {view.confirmed_at} · {via}"
        )
    if view.visit:
        st.caption(tr("fees.visit_doc"))
    build = tr("fees.build_visit" if view.visit else "fees.build")
    if editable and not has_lines and st.button(build, key=f"{P}.build"):
        with db.write(get_engine()) as s:
            n = fees_da.build_lines(s, ticket_no, actor=user, now=now())
        st.success(tr("fees.built", n=n))
        st.session_state[f"{P}.fees.{ticket_no}.nonce"] = (
            st.session_state.get(f"{P}.fees.{ticket_no}.nonce", 0) + 1
        )
        st.rerun()
    lines_grid(P, "fees", ticket_no, lang=lang, editable=editable, save=_save_lines)
    quote_col, settle_col = st.columns(2)
    if may_fee(user.role, FeeAction.QUOTE) and view.status != F.QuoteStatus.CONFIRMED:
        if quote_col.button(tr("fees.quote"), key=f"{P}.quote"):
            with db.write(get_engine()) as s:
                total = fees_da.quote(s, ticket_no, actor=user, now=now())
            st.success(tr("fees.quoted", total=_money(total)))
            st.rerun()
        if view.status == F.QuoteStatus.QUOTED:
            _confirm_form(user, lang, ticket_no)
    if may_fee(user.role, FeeAction.SETTLE) and settle_col.button(
        tr("fees.settle_ticket"), key=f"{P}.settle"
    ):
        with db.write(get_engine()) as s:
            no = fees_da.settle_ticket(s, ticket_no, actor=user, now=now())
        st.success(tr("fees.settled", value=plain(no)))


def _confirm_form(user, lang: str, ticket_no: str) -> None:
    with st.form(f"{P}.confirm_form"):
        by = st.text_input(tr("fees.confirmed_by"), key=f"{P}.confirm.by")
        day = st.date_input(tr("fees.confirmed_at"), value=today(), key=f"{P}.confirm.day")
        at = st.time_input(tr("fees.confirmed_at"), value=now().time(), key=f"{P}.confirm.time")
        via = st.selectbox(
            tr("fees.confirmed_via"),
            list(F.ConfirmVia),
            format_func=lambda v: F.VIA_LABELS[v][0 if lang == "zh" else 1],
            key=f"{P}.confirm.via.{lang}",
        )
        if st.form_submit_button(tr("fees.confirm")):
            with db.write(get_engine()) as s:
                fees_da.confirm(s, ticket_no, by=by, at=dt.datetime.combine(day, at), via=via,
                                actor=user, now=now())  # fmt: skip
            st.success(tr("fees.confirmed"))


# ---------------------------------------------------------------- the rate card
def ratecard_tab(user, lang: str) -> None:
    editable = may_edit_register(user.role, "ratecard")
    filters, search = filter_bar(P, F.RATECARD, ("kind",), lang)
    register_grid(P, F.RATECARD, filters=filters, search=search, lang=lang, editable=editable)
    with st.expander(tr("imports.panel.title")):
        excel_panel.render(
            "ratecard",
            get_engine(),
            user,
            lang,
            selection=excel_panel.grid_selection(filters, search),
        )


# ---------------------------------------------------------------- statements
def statements_tab(user, lang: str) -> None:
    customer = st.text_input(tr("fees.customer"), key=f"{P}.st.customer").strip() or None
    with db.read(get_engine()) as s:
        rows = fees_da.statement_rows(s, customer_code=customer)
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.info(tr("fees.no_rows"))
    if may_fee(user.role, FeeAction.SETTLE) and customer:
        month = st.date_input(tr("fees.month"), value=today().replace(day=1), key=f"{P}.st.month")
        if st.button(tr("fees.settle_month"), key=f"{P}.st.settle"):
            with db.write(get_engine()) as s:
                no = fees_da.settle_month(s, customer, month, actor=user, now=now())
            st.success(tr("fees.settled", value=plain(no)))
    numbers = [r["settlement_no"] for r in rows]
    if numbers:
        chosen = st.selectbox(tr("fees.statement"), numbers, key=f"{P}.st.pick")
        with db.read(get_engine()) as s:
            _head, printed = fees_da.statement_display(s, chosen)
        names = [f.name for f in F.STATEMENT_LINES.fields]
        st.dataframe([dict(zip(names, r, strict=True)) for r in printed], hide_index=True)
        st.download_button(
            tr("fees.export_statement"),
            _xlsx(F.STATEMENT_LINES, printed, lang),
            file_name=f"{chosen}.xlsx",
            key=f"{P}.st.download",
        )
        pdf_button("statement", chosen, user, lang, f"{P}.st")


# ---------------------------------------------------------------- payments
def payments_tab(user, lang: str) -> None:
    if may_fee(user.role, FeeAction.PAY):
        _payment_form(user, lang)
        upload = st.file_uploader(tr("fees.bank_import"), type=["xlsx"], key=f"{P}.bank")
        if upload is not None and st.button(tr("fees.bank_import"), key=f"{P}.bank.go"):
            with db.write(get_engine()) as s:
                posted = import_bank_statement(s, upload.getvalue(), actor=user, now=now())
            st.success(tr("fees.bank_done", n=len(posted)))
            refresh_grids()
    register_grid(P, F.PAYMENTS, filters={}, search=None, lang=lang, editable=False)
    with st.expander(tr("imports.panel.title")):
        excel_panel.render("payments", get_engine(), user, lang)


def _payment_form(user, lang: str) -> None:
    kinds = F.PAYMENTS.field("kind")
    methods = F.PAYMENTS.field("method")
    with st.form(f"{P}.pay_form"):
        statement = st.text_input(tr("fees.statement"), key=f"{P}.pay.statement")
        amount = st.number_input(
            F.PAYMENTS.field("amount").label(lang), step=0.01, format="%.2f", key=f"{P}.pay.amount"
        )
        day = st.date_input(F.PAYMENTS.field("paid_on").label(lang), value=today(),
                            key=f"{P}.pay.day")  # fmt: skip
        kind = st.selectbox(kinds.label(lang), [o.value for o in kinds.options],
                            format_func=lambda v: kinds.option_label(v, lang),
                            key=f"{P}.pay.kind.{lang}")  # fmt: skip
        method = st.selectbox(methods.label(lang), [o.value for o in methods.options],
                              format_func=lambda v: methods.option_label(v, lang),
                              key=f"{P}.pay.method.{lang}")  # fmt: skip
        reference = st.text_input(F.PAYMENTS.field("reference").label(lang), key=f"{P}.pay.ref")
        reason = st.text_input(tr("fees.reason"), key=f"{P}.pay.reason")
        if st.form_submit_button(tr("fees.record_payment")):
            with db.write(get_engine()) as s:
                no = fees_da.record_payment(
                    s, statement.strip(), amount=F.money(Decimal(str(amount))), paid_on=day,
                    method=method if kind == F.PaymentKind.PAYMENT else None, kind=kind,
                    reference=reference or None, reason=reason or None, actor=user, now=now(),
                )  # fmt: skip
            st.success(tr("fees.payment_saved", value=plain(no)))
            refresh_grids()


# ---------------------------------------------------------------- receivables and audit
def ageing_tab() -> None:
    with db.read(get_engine()) as s:
        rows = fees_da.receivables(s, today())
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.info(tr("fees.no_rows"))


def audit_tab(lang: str) -> None:
    with db.read(get_engine()) as s:
        rows = fees_da.fee_audit_display(s)
    names = [f.label(lang) for f in AUDIT_LOG.fields]
    st.dataframe([dict(zip(names, r, strict=True)) for r in rows[:500]], hide_index=True)
    st.download_button(tr("fees.export_audit"), _xlsx(AUDIT_LOG, rows, lang),
                       file_name="fee-audit.xlsx", key=f"{P}.audit.download")  # fmt: skip


def main() -> None:
    user, lang, editable = require(Page.FEES)
    user = current_user() or user
    # engineers propose lines and read the rate card; money matters are the desk's
    money = may_fee(user.role, FeeAction.QUOTE)
    names = ["lines", "ratecard", *(("statements", "payments", "ageing", "audit") if money else ())]
    # one section at a time: only the chosen one queries (tabs would run them all)
    section = st.radio(
        tr("fees.section"),
        names,
        format_func=lambda n: tr(f"fees.tab.{n}"),
        horizontal=True,
        key=f"{P}.section",
        label_visibility="collapsed",
    )
    with guarded():
        if section == "lines":
            ticket_tab(user, lang, editable)
        elif section == "ratecard":
            ratecard_tab(user, lang)
        elif section == "statements":
            statements_tab(user, lang)
        elif section == "payments":
            payments_tab(user, lang)
        elif section == "ageing":
            ageing_tab()
        elif section == "audit":
            audit_tab(lang)


main()
