"""Fault codes & knowledge (故障代码库 / 常见问题): search by description and model, the
two registers with Excel, the review duty, articles proposed from solved tickets
(engineers) and published (quality staff).

UI only: data_access.knowledge does the work and checks the rights again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from data_access import db
from data_access import knowledge as K
from data_access.errors import InvalidInput, NotAllowed
from pages import excel_panel
from pages.common import get_engine, guarded, now, plain, require, show_problems, today, tr
from pages.filter_bar import filter_bar
from pages.register_grid import register_grid
from rules.access import Page, may_propose_article, may_publish_article
from rules.faultcodes import ARTICLES, FAULT_CODES, REVIEW_OPTIONS, safe_markdown

P = "knowledge"


def search_tab(lang: str) -> None:
    with db.read(get_engine()) as s:
        models = K.model_codes(s)
    text = st.text_input(tr("knowledge.search"), key=f"{P}.search", max_chars=500)
    model = st.selectbox(tr("knowledge.model"), [None, *models], key=f"{P}.model")
    if not text.strip():
        return
    with db.read(get_engine()) as s:
        codes, articles = K.suggest(s, text, model, limit=8)
        if not codes:  # a code or a word the scorer does not weigh: plain search
            codes = K.search_codes(s, text, limit=8)
    if not codes and not articles:
        st.info(tr("knowledge.no_match"))
        return
    st.markdown(f"**{tr('knowledge.codes_found')}**")
    st.dataframe(_code_rows(codes, lang), hide_index=True, width="stretch")
    if articles:
        st.markdown(f"**{tr('knowledge.articles_found')}**")
        pick = st.radio(
            tr("knowledge.read"),
            [a.code for a in articles],
            format_func={a.code: a.label(lang) for a in articles}.get,
            key=f"{P}.read",
        )
        show_article(pick, lang)


def _code_rows(codes: list[K.CodeHit], lang: str) -> list[dict[str, Any]]:
    f = FAULT_CODES.field
    return [
        {
            f("code").label(lang): c.code,
            f("name_zh").label(lang): c.name_zh if lang == "zh" or not c.name_en else c.name_en,
            f("models").label(lang): c.models or "",
            f("severity").label(lang): f("severity").option_label(c.severity, lang),
        }
        for c in codes
    ]


def show_article(code: str | None, lang: str) -> None:
    if code is None:
        return
    with db.read(get_engine()) as s:
        a = K.article(s, code, lang)
    if a is None:
        return
    with st.container(border=True):
        st.subheader(plain(a.title))
        st.caption(plain(" · ".join(x for x in (a.code, a.models, a.fault_codes, a.tags) if x)))
        body, issues = safe_markdown(a.body)
        st.markdown(body)  # the safe-Markdown policy: no images, no HTML, safe links only
        if issues:
            st.caption(tr("knowledge.markdown_note"))


def review_tab(user, lang: str, editable: bool) -> None:
    with db.read(get_engine()) as s:
        duty = K.review_duty(s, today())
    if not duty:
        st.success(tr("knowledge.review.none"))
        return
    status = {o.value: o.label(lang) for o in REVIEW_OPTIONS}
    kinds = {"faultcodes": FAULT_CODES.label(lang), "articles": ARTICLES.label(lang)}
    rows = [
        {
            tr("knowledge.review.kind"): kinds[i.kind],
            tr("knowledge.review.key"): i.key,
            tr("knowledge.review.title"): i.title,
            tr("knowledge.review.due"): i.due,
            FAULT_CODES.field("review_status").label(lang): status[i.status],
            tr("knowledge.review.reviewer"): i.reviewer or "",
        }
        for i in duty
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    if not editable:
        return
    options = [f"{i.kind}:{i.key}" for i in duty]
    picked = st.multiselect(
        tr("knowledge.review.pick"),
        options,
        format_func=lambda o: f"{kinds[o.split(':', 1)[0]]} {o.split(':', 1)[1]}",
        key=f"{P}.review_pick",
    )
    if st.button(tr("knowledge.review.stamp"), key=f"{P}.review_stamp", disabled=not picked):
        n = 0
        with db.write(get_engine()) as s:
            for kind in ("faultcodes", "articles"):
                keys = [o.split(":", 1)[1] for o in picked if o.startswith(kind + ":")]
                if keys:
                    n += K.stamp_review(s, kind, keys, actor=user, now=now())
        st.session_state[f"{P}.flash"] = tr("knowledge.review.done", n=n)
        st.rerun()


def propose_form(user) -> None:
    st.markdown(f"**{tr('knowledge.propose')}**")
    with st.form(f"{P}.propose", enter_to_submit=False):
        ticket_no = st.text_input(tr("knowledge.propose.ticket"), max_chars=40)
        ok = st.form_submit_button(tr("knowledge.propose.submit"))
    if ok and ticket_no.strip():
        _run(lambda s: K.propose_article(s, ticket_no, actor=user, now=now()), "knowledge.proposed")


def publish_form(user, lang: str) -> None:
    with db.read(get_engine()) as s:
        drafts = K.drafts(s)
    st.markdown(f"**{tr('knowledge.publish')}**")
    if not drafts:
        st.caption(tr("knowledge.drafts_none"))
        return
    code = st.selectbox(
        tr("knowledge.read"),
        [d.code for d in drafts],
        format_func={d.code: d.label(lang) for d in drafts}.get,
        key=f"{P}.draft",
    )
    show_article(code, lang)
    if st.button(tr("knowledge.publish.submit"), key=f"{P}.publish", type="primary"):
        _run(
            lambda s: K.set_article_status(s, code, "published", actor=user, now=now()) or code,
            "knowledge.published",
        )


def _run(action, success: str) -> None:
    lang = st.session_state.get("lang", "zh")
    try:
        with db.write(get_engine()) as s:
            value = action(s)
    except InvalidInput as exc:
        show_problems(exc.problems, {}, lang)
    except NotAllowed as exc:
        st.error(tr(exc.code, **exc.params))
    else:
        st.session_state[f"{P}.flash"] = tr(success, value=plain(value))
        st.rerun()


def main() -> None:
    user, lang, editable = require(Page.KNOWLEDGE)
    if f"{P}.flash" in st.session_state:
        st.success(st.session_state.pop(f"{P}.flash"))
    tabs = st.tabs([tr(f"knowledge.tab.{k}") for k in ("search", "codes", "articles", "review")])
    with tabs[0], guarded():
        search_tab(lang)
    with tabs[1], guarded():
        filters, search = filter_bar(P, FAULT_CODES, ("severity", "review_status"), lang)
        register_grid(P, FAULT_CODES, filters=filters, search=search, lang=lang, editable=editable)
        with st.expander(tr("imports.panel.title")):
            excel_panel.render(
                "faultcodes",
                get_engine(),
                user,
                lang,
                selection=excel_panel.grid_selection(filters, search),
            )
    with tabs[2], guarded():
        filters, search = filter_bar(P, ARTICLES, ("status", "review_status"), lang)
        register_grid(P, ARTICLES, filters=filters, search=search, lang=lang, editable=editable)
        if may_propose_article(user.role):
            propose_form(user)
        if may_publish_article(user.role):
            publish_form(user, lang)
        with st.expander(tr("imports.panel.title")):
            excel_panel.render(
                "articles",
                get_engine(),
                user,
                lang,
                selection=excel_panel.grid_selection(filters, search),
            )
    with tabs[3], guarded():
        review_tab(user, lang, editable)


main()
