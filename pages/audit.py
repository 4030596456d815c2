"""Audit log (admins only): filter by dates, user, entity, action and key; export.

The log is read-only here as everywhere (the database refuses UPDATE/DELETE on it);
an export is itself recorded.
"""

from __future__ import annotations

import streamlit as st

from data_access import audit, db
from data_access.users import CurrentUser
from imports.writer import export_audit
from pages.common import get_engine, guarded, now, require, today, tr
from rules.access import Page
from rules.i18n import CATALOGUE, t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
K = "audit."


def action_label(action: str, lang: str) -> str:
    # the language is explicit: a format function may run outside a script run
    key = f"audit.action.{action}"
    if key not in CATALOGUE:  # an action without a label yet is shown as stored
        return action
    return t(key, lang)


def filters(lang: str) -> audit.AuditFilter:
    with db.read(get_engine()) as session:
        options = audit.choices(session)
    c1, c2, c3, c4, c5, c6 = st.columns([1, 1, 1, 1, 1, 1.4])
    start = c1.date_input(tr("audit.from"), value=None, key=K + "from")
    end = c2.date_input(tr("audit.to"), value=None, key=K + "to")
    everyone = t("ui.all", lang)

    def pick(col, label: str, name: str, shown=lambda v: v) -> str | None:
        choice = col.selectbox(
            tr(label),
            [None, *options[name]],
            format_func=lambda v: everyone if v is None else shown(v),
            key=K + name,
        )
        return choice

    username = pick(c3, "audit.user", "username")
    entity = pick(c4, "audit.entity", "entity")
    action = pick(c5, "audit.action", "action", lambda v: action_label(v, lang))
    key_text = c6.text_input(tr("audit.key_text"), key=K + "key_text")
    return audit.AuditFilter(start, end, username, entity, action, key_text.strip() or None)


def table(f: audit.AuditFilter, lang: str) -> None:
    with db.read(get_engine()) as session:
        rows = audit.search(session, f)
        n = audit.count(session, f)
    if not rows:
        st.info(tr("audit.none"))
        return
    if n > len(rows):
        st.caption(tr("audit.count_limited", n=n, shown=len(rows)))
    else:
        st.caption(tr("audit.count", n=n))
    fields = audit.AUDIT_LOG.fields
    names = [f.name for f in fields]
    data = [dict(zip(names, r, strict=True)) for r in audit.display_rows(rows)]
    for r in data:
        r["action"] = action_label(r["action"], lang)
    config = {f.name: st.column_config.Column(f.label(lang)) for f in fields}
    config["at"] = st.column_config.DatetimeColumn(
        fields[names.index("at")].label(lang), format="YYYY-MM-DD HH:mm:ss"
    )
    st.dataframe(data, column_config=config, hide_index=True, key=K + "table")


def export(user: CurrentUser, f: audit.AuditFilter, lang: str) -> None:
    name = f"audit-{today():%Y%m%d}.xlsx"
    signature = repr(f)
    if st.button(tr("audit.export"), key=K + "export_build"):
        with db.read(get_engine()) as session:
            data, n = export_audit(session, f, lang=lang)
        with db.write(get_engine()) as session:
            audit.record_export(
                session,
                register=audit.AUDIT_LOG.name,
                rows=n,
                selection=f,
                user_id=user.id,
                now=now(),
                file_name=name,
            )
        st.session_state[K + "export"] = (signature, data, n)
    built = st.session_state.get(K + "export")
    if built and built[0] == signature:  # a file made for another filter is not offered
        st.caption(tr("audit.exported", n=built[2]))
        st.download_button(
            tr("ui.download"), built[1], file_name=name, mime=XLSX, key=K + "export_download"
        )


def main() -> None:
    user, lang, _editable = require(Page.AUDIT)
    st.caption(tr("audit.help"))
    with guarded():
        f = filters(lang)
        export(user, f, lang)
        table(f, lang)


main()
