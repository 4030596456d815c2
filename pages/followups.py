"""Follow-ups (回访) and satisfaction: the caller's screen (today's calls, overdue
first, the outcome form), this week's call list as Excel and its results import, the
register, the annual plan and queue generation, and the satisfaction reviews.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from data_access import db
from data_access import followups as FU
from data_access.errors import InvalidInput, NotAllowed
from pages import excel_panel
from pages.common import (
    get_engine,
    guarded,
    now,
    plain,
    require,
    show_problems,
    take_link,
    today,
    tr,
)
from pages.filter_bar import filter_bar
from pages.register_grid import register_grid
from rules import followups as R
from rules.access import Page

K = "followups."
F = R.FOLLOWUPS.field
SCORES = [None, 1, 2, 3, 4, 5]


def _labels(lang: str) -> dict[str, str]:
    return {f.name: f.label(lang) for f in R.FOLLOWUPS.fields}


def _write(action, lang: str) -> Any:
    try:
        with db.write(get_engine()) as s:
            return action(s)
    except InvalidInput as exc:
        show_problems(exc.problems, _labels(lang), lang, register=R.FOLLOWUPS)
    except NotAllowed as exc:
        st.error(tr(exc.code, **exc.params))
    return None


def _calls(user, lang: str) -> None:
    day = today()
    with db.read(get_engine()) as s:
        rows = FU.queue(s, day, actor=user)
    if not rows:
        st.info(tr("followups.none"))
        return
    shown = [
        {
            tr("followups.overdue"): "⚠" if r["overdue"] else "",
            F("followup_no").label(lang): r["followup_no"],
            F("customer").label(lang): r["customer"],
            "☎": f"{r['contact_name'] or ''} {r['phone'] or ''}",
            F("ticket").label(lang): r["ticket_no"] or "",
            F("reason").label(lang): F("reason").option_label(r["reason"], lang),
            F("due_date").label(lang): r["due_date"],
            F("attempts").label(lang): r["attempts"],
            F("next_try_at").label(lang): r["next_try_at"],
        }
        for r in rows
    ]
    st.dataframe(shown, hide_index=True)
    no = st.selectbox(tr("followups.pick"), [r["followup_no"] for r in rows], key=K + "pick")
    _outcome_form(user, lang, no)


def _enum(col, name: str, lang: str, key: str):
    f = F(name)
    return col.selectbox(
        f.label(lang), [o.value for o in f.options], format_func=lambda v: f.option_label(v, lang),
        key=key,
    )  # fmt: skip


def _outcome_form(user, lang: str, no: str) -> None:
    with st.form(K + "outcome_form", enter_to_submit=False):
        c1, c2 = st.columns(2)
        outcome = _enum(c1, "outcome", lang, K + "outcome")
        mode = _enum(c2, "mode", lang, K + "mode")
        content = st.text_area(F("content").label(lang), key=K + "content")
        c1, c2 = st.columns(2)
        opinions = c1.text_area(F("opinions").label(lang), key=K + "opinions")
        suggestions = c2.text_area(F("suggestions").label(lang), key=K + "suggestions")
        c1, c2, c3 = st.columns(3)
        fmt = lambda v: "—" if v is None else str(v)  # noqa: E731
        q = c1.selectbox(F("rating_quality").label(lang), SCORES, format_func=fmt, key=K + "q")
        a = c2.selectbox(F("rating_attitude").label(lang), SCORES, format_func=fmt, key=K + "a")
        e = c3.selectbox(F("rating_efficiency").label(lang), SCORES, format_func=fmt, key=K + "e")
        comment = st.text_input(F("rating_comment").label(lang), key=K + "comment")
        issue = st.text_input(F("issue_raised").label(lang), key=K + "issue")
        open_ticket = st.checkbox(tr("followups.issue.ticket"), key=K + "issue_ticket")
        if not st.form_submit_button(tr("followups.outcome.save"), type="primary"):
            return
    result = FU.CallResult(
        outcome=outcome, mode=mode, content=content or None, opinions=opinions or None,
        suggestions=suggestions or None, quality=q, attitude=a, efficiency=e,
        comment=comment or None, issue=issue or None,
    )  # fmt: skip

    def act(s):
        got = FU.record_outcome(s, no, result, actor=user, now=now())
        if open_ticket and issue and got["status"] == R.Status.DONE:
            got["ticket_no"] = FU.open_issue_ticket(s, no, actor=user, now=now())
        return got

    got = _write(act, lang)
    if got is None:
        return
    st.session_state[K + "flash"] = [tr("followups.saved", value=plain(no))]
    if got.get("ticket_no"):
        st.session_state[K + "flash"].append(
            tr("followups.issue.opened", value=plain(got["ticket_no"]))
        )
    if got["complaint_no"]:
        st.session_state[K + "flash"].append(
            tr("followups.complaint_opened", value=plain(got["complaint_no"]))
        )
    st.rerun()


def _week(user, lang: str) -> None:
    """This week's call list for callers working from a sheet; its results come back
    through the same import."""
    st.caption(tr("followups.week_export"))
    selection = excel_panel.Selection(FU.week_of(today()), now())
    excel_panel.render("followups", get_engine(), user, lang, selection=selection)


def _plan(user, lang: str) -> None:
    year = st.number_input(tr("followups.year"), 2000, 2100, today().year, key=K + "year")
    if st.button(tr("followups.generate"), key=K + "generate"):
        n = _write(lambda s: FU.generate_queue(s, int(year), actor=user, now=now()), lang)
        if n is not None:
            st.success(tr("followups.generated", value=n))
    code = st.text_input(tr("followups.plan.customer"), key=K + "plan_customer")
    if code:
        with db.read(get_engine()) as s:
            rows = FU.annual_plan(s, code.strip(), int(year))
        st.dataframe(rows, hide_index=True)


def _reviews(user, lang: str, fresh: bool) -> None:
    if st.button(tr("followups.review.check"), key=K + "check"):
        review = _write(lambda s: FU.check_period(s, today(), actor=user, now=now()), lang)
        if review is None:
            st.info(tr("followups.review.fine"))
    with db.read(get_engine()) as s:
        rows = FU.list_reviews(s)
    st.dataframe(rows, hide_index=True)
    open_ids = [r["id"] for r in rows if r["status"] == R.ReviewStatus.OPEN]
    linked = st.session_state.get(K + "linked_review")
    if linked is not None:  # opened from a link (the dashboard's 85% rule)
        chosen = [r for r in rows if str(r["id"]) == linked]
        if chosen:
            st.info(tr("followups.review.linked", **chosen[0]))
            if fresh and chosen[0]["id"] in open_ids:  # preselected once, then the user's
                st.session_state[K + "review_id"] = chosen[0]["id"]
        else:
            st.warning(tr("followups.review.not_found", id=plain(linked)))
    if open_ids and user.role in FU.REVIEW_ROLES:
        with st.form(K + "close_review", enter_to_submit=False):
            rid = st.selectbox("#", open_ids, key=K + "review_id")
            note = st.text_area(tr("followups.review.close"), key=K + "review_note")
            if st.form_submit_button(tr("followups.review.close")) and _write(
                lambda s: FU.close_review(s, rid, note, actor=user, now=now()) or True, lang
            ):
                st.rerun()


def main() -> None:
    user, lang, editable = require(Page.FOLLOWUPS)
    for message in st.session_state.pop(K + "flash", []):
        st.success(message)
    linked = take_link("review")
    if linked is not None:
        st.session_state[K + "linked_review"] = linked
    names = ["followups.tab.today", "followups.tab.register", "followups.tab.plan",
             "followups.tab.reviews"]  # fmt: skip
    default = tr("followups.tab.reviews") if linked else None
    tabs = dict(zip(names, st.tabs([tr(n) for n in names], default=default), strict=True))
    with tabs["followups.tab.today"], guarded():
        _calls(user, lang)
        with st.expander(tr("followups.week_export")):
            _week(user, lang)
    with tabs["followups.tab.register"], guarded():
        # every tab runs on each rerun: the grid loads when asked for
        if st.toggle(tr("followups.tab.register"), key=K + "show_register"):
            filters, search = filter_bar("followups", R.FOLLOWUPS, ("status", "reason"), lang)
            register_grid(
                "followups", R.FOLLOWUPS, filters=filters, search=search, lang=lang,
                editable=editable,
            )  # fmt: skip
    with tabs["followups.tab.plan"], guarded():
        _plan(user, lang)
    with tabs["followups.tab.reviews"], guarded():
        _reviews(user, lang, linked is not None)


main()
