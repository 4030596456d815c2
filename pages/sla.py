"""SLA & working calendar: policies per priority (and customer grade), the escalation
ladder, weekly working hours, holidays and make-up working days.

UI only: checks come from rules.sla_settings, writes from data_access.sla_settings
(each save one ``db.write`` transaction that also recomputes the open tickets'
deadlines). What the user started editing is kept per "generation" (bumped on save and
on Reload), so a save made by someone else meanwhile shows as a conflict instead of
being overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from data_access import db
from data_access import sla_settings as S
from data_access.errors import ConflictError, InvalidInput
from data_access.sla_config import (
    FOLLOWUP_DELAY_MAX,
    followup_delay_days,
    load_levels,
    set_followup_delay_days,
)
from pages import excel_panel
from pages.common import current_user, get_engine, guarded, now, require, show_problems, tr
from rules import sla_settings as R
from rules.access import Page
from rules.i18n import t
from rules.sla import EscalationLevel
from rules.tickets import Priority, priority_label

FLASH = "sla.flash"
DAYS_FORM = "sla.days.form"  # bumped after an add: the entry widgets start empty
NUM = ("respond_hours", "resolve_hours", "onsite_hours")


# ---------------------------------------------------------------- shared helpers
def _by() -> int | None:
    """Who saves (for the audit trail)."""
    user = current_user()
    return user.id if user else None


def _generation(section: str) -> int:
    return st.session_state.get(f"sla.{section}.gen", 0)


def _next_generation(section: str) -> None:
    st.session_state[f"sla.{section}.gen"] = _generation(section) + 1


def _seen(section: str, load: Callable[[Any], Any], editable: bool) -> Any:
    """What the user edits: read once per generation (always fresh when read-only)."""
    key = f"sla.{section}.seen"
    gen = _generation(section)
    kept = st.session_state.get(key)
    if editable and kept is not None and kept[0] == gen:
        return kept[1]
    with db.read(get_engine()) as s:
        value = load(s)
    st.session_state[key] = (gen, value)
    return value


def _buttons(section: str, editable: bool) -> bool:
    """Save and Reload; True when Save was clicked by a role that may save."""
    left, right, _ = st.columns([1, 1, 4])
    saved = left.button(
        tr("ui.save"), key=f"sla.{section}.save", type="primary", disabled=not editable
    )
    if right.button(tr("sla.reload"), key=f"sla.{section}.reload"):
        _next_generation(section)
        st.rerun()
    return saved and editable


def _write(section: str, action: Callable[[Any], Any], labels: dict[str, str], lang: str) -> Any:
    """Run one write transaction; show problems or a conflict. None when nothing was saved."""
    try:
        with db.write(get_engine()) as s:
            return action(s)
    except InvalidInput as exc:
        show_problems(exc.problems, labels, lang)
    except ConflictError:
        st.error(tr("sla.conflict", what=tr(f"sla.what.{section}")))
    return None


def _done(section: str, message: str) -> None:
    st.session_state[FLASH] = message
    _next_generation(section)
    st.rerun()


def _editor_rows(seen: list[dict[str, Any]], state: dict[str, Any], columns) -> list[dict]:
    """The table after the editor's diff, each row with ``seen_index`` (None when added),
    ``row``: its number as shown (the index column, new rows after the last) and
    ``changed``: the columns edited (a problem then names the cell the user touched).

    A new row is kept even when blank: its missing cells are reported, never skipped."""
    deleted = {int(i) for i in state.get("deleted_rows", [])}
    edits = {int(i): e for i, e in state.get("edited_rows", {}).items()}
    rows = []
    for i, old in enumerate(seen):
        if i in deleted:
            continue
        changed = {c: v for c, v in edits.get(i, {}).items() if c in columns}
        row = {c: old.get(c) for c in columns} | changed
        rows.append({**row, "seen_index": i, "row": i + 1, "changed": set(changed)})
    for j, added in enumerate(state.get("added_rows", [])):
        row = {c: added.get(c) for c in columns}
        rows.append({**row, "seen_index": None, "row": len(seen) + j + 1, "changed": set(row)})
    return rows


def _has_changes(state: dict[str, Any]) -> bool:
    return any(state.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))


def _submitted(section: str, key: str, editable: bool) -> dict[str, Any] | None:
    """The grid's edits when Save was clicked with something to save, else None."""
    if not _buttons(section, editable):
        return None
    state = st.session_state.get(key) or {}
    if not _has_changes(state):
        st.info(tr("ui.nothing_to_save"))
        return None
    return state


# ---------------------------------------------------------------- policies
def _policy_labels() -> dict[str, str]:
    return {c: tr(f"sla.col.{c}") for c in R.POLICY_COLUMNS}


def _grade_label(grade: str, lang: str) -> str:
    # format functions take the language explicitly: they may run outside a script run
    if grade == R.ALL_GRADES:
        return t("sla.grade.all", lang)
    return t("sla.grade.one", lang, grade=grade)


def policies_tab(lang: str, editable: bool, cal: dict[str, Any]) -> None:
    st.caption(tr("sla.policies.help"))
    seen = _seen("policies", S.policy_table, editable)
    frame = pd.DataFrame(seen, columns=list(R.POLICY_COLUMNS))
    frame["round_the_clock"] = frame["round_the_clock"].fillna(False).astype(bool)
    day = cal["day_hours"] or None  # a calendar with weekend hours only has no "working day"
    frame["resolve_days"] = (frame["resolve_hours"] / day).round(1) if day else None
    # a 24×7 policy's hours are not working days
    frame.loc[frame["round_the_clock"], "resolve_days"] = None
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    key = f"sla.policies.grid.{_generation('policies')}"
    number = {"min_value": None, "step": 0.5, "format": "%.2f", "disabled": not editable}
    st.data_editor(
        frame,
        key=key,
        hide_index=False,  # the row numbers the problem messages refer to
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        placeholder="",  # an empty cell (no on-site limit, top level) shows empty
        column_config={
            "_index": st.column_config.NumberColumn("#", disabled=True),
            "priority": st.column_config.SelectboxColumn(
                tr("sla.col.priority"),
                options=[p.value for p in Priority],
                format_func=lambda v: priority_label(v, lang),
            ),
            "customer_grade": st.column_config.SelectboxColumn(
                tr("sla.col.customer_grade"),
                options=list(R.GRADES),
                format_func=lambda g: _grade_label(g, lang),
                default=R.ALL_GRADES,
            ),
            **{c: st.column_config.NumberColumn(tr(f"sla.col.{c}"), **number) for c in NUM},
            "round_the_clock": st.column_config.CheckboxColumn(
                tr("sla.col.round_the_clock"),
                help=tr("sla.col.round_the_clock_help"),
                default=False,
            ),
            "resolve_days": st.column_config.NumberColumn(
                tr("sla.col.resolve_days"), disabled=True, format="%.1f"
            ),
        },
    )
    state = _submitted("policies", key, editable)
    if state is None:
        return
    rows = _editor_rows(seen, state, R.POLICY_COLUMNS)
    moment = now()
    n = _write(
        "policies",
        lambda s: S.save_policy_table(s, seen, rows, moment, by=_by(), actor=current_user()),
        _policy_labels(),
        lang,
    )
    if n is not None:
        _done("policies", tr("sla.saved_recomputed", n=n))


# ---------------------------------------------------------------- escalation
LADDER = ("level", "name_zh", "name_en", "hours")


def escalation_tab(lang: str, editable: bool) -> None:
    st.caption(tr("sla.escalation.help"))
    seen: tuple[EscalationLevel, ...] = _seen("escalation", load_levels, editable)
    rows = [
        {"level": lv.level, "name_zh": lv.zh, "name_en": lv.en, "hours": lv.hours} for lv in seen
    ]
    frame = pd.DataFrame(rows, columns=list(LADDER))
    reached, total = [], 0.0
    for lv in seen:
        reached.append(total)
        total += lv.hours or 0.0
    frame["reached_after"] = reached
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    key = f"sla.escalation.grid.{_generation('escalation')}"
    st.data_editor(
        frame,
        key=key,
        hide_index=False,  # the row numbers the problem messages refer to
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        placeholder="",  # an empty cell (no on-site limit, top level) shows empty
        column_config={
            "_index": st.column_config.NumberColumn("#", disabled=True),
            "level": st.column_config.NumberColumn(tr("sla.col.level"), step=1, format="L%d"),
            "name_zh": st.column_config.TextColumn(tr("sla.col.name_zh"), max_chars=R.NAME_MAX),
            "name_en": st.column_config.TextColumn(tr("sla.col.name_en"), max_chars=R.NAME_MAX),
            "hours": st.column_config.NumberColumn(tr("sla.col.hours"), step=0.5, format="%.2f"),
            "reached_after": st.column_config.NumberColumn(
                tr("sla.col.reached_after"), disabled=True, format="%.2f"
            ),
        },
    )
    state = _submitted("escalation", key, editable)
    if state is None:
        return
    edited = _editor_rows(rows, state, LADDER)
    labels = {c: tr(f"sla.col.{c}") for c in LADDER}
    if (
        _write(
            "escalation",
            lambda s: S.save_ladder(s, seen, edited, by=_by(), now=now()),
            labels,
            lang,
        )
        is not None
    ):
        _done("escalation", tr("sla.saved"))


# ---------------------------------------------------------------- calendar
def _weekday_labels() -> dict[str, str]:
    return {f"wd{wd}": tr(f"sla.weekday.{wd}") for wd in range(7)}


def weekly_section(lang: str, editable: bool, cal: dict[str, Any]) -> None:
    st.subheader(tr("sla.cal.weekly"))
    st.caption(tr("sla.cal.weekly_help"))
    gen = _generation("calendar")
    texts = {}
    cols = st.columns(4)
    for wd in range(7):
        texts[wd] = cols[wd % 4].text_input(
            tr(f"sla.weekday.{wd}"),
            value=R.spans_text(cal["weekly"][wd]),
            key=f"sla.calendar.wd{wd}.{gen}",
            placeholder=tr("sla.cal.rest_day"),  # empty = not worked
            disabled=not editable,
        )
    if not _buttons("calendar", editable):
        return
    moment = now()
    n = _write(
        "calendar",
        lambda s: S.save_weekly(s, texts, cal["version"], moment, by=_by()),
        _weekday_labels(),
        lang,
    )
    if n is not None:
        _done("calendar", tr("sla.saved_recomputed", n=n))


def _kind_label(kind: str, lang: str) -> str:
    return t(f"sla.kind.{kind}", lang)


def days_section(lang: str, editable: bool, cal: dict[str, Any]) -> None:
    st.subheader(tr("sla.cal.days"))
    st.caption(tr("sla.cal.days_help"))
    days = cal["days"]
    if days:
        st.dataframe(
            [
                {
                    tr("sla.cal.day"): d["day"].isoformat(),
                    tr("sla.cal.kind"): _kind_label(d["kind"], lang),
                    tr("sla.cal.name"): d["name"] or "",
                }
                for d in days
            ],
            hide_index=True,
        )
    else:
        st.info(tr("sla.cal.no_days"))
    labels = {"day": tr("sla.cal.day"), "kind": tr("sla.cal.kind"), "name": tr("sla.cal.name")}
    # the entry widgets get fresh keys after an add: the browser then shows them empty
    # (deleting a widget's state left its old value on screen)
    form = st.session_state.get(DAYS_FORM, 0)
    c1, c2, c3, c4 = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
    day = c1.date_input(
        tr("sla.cal.day"),
        value=None,
        format="YYYY-MM-DD",
        key=f"sla.days.day.{form}",
        disabled=not editable,
    )
    kind = c2.selectbox(
        tr("sla.cal.kind"),
        R.DAY_KINDS,
        format_func=lambda k: _kind_label(k, lang),
        key=f"sla.days.kind.{form}",
        disabled=not editable,
    )
    name = c3.text_input(
        tr("sla.cal.name"),
        key=f"sla.days.name.{form}",
        max_chars=R.NAME_MAX,
        disabled=not editable,
    )
    if c4.button(tr("sla.cal.add"), key="sla.days.add", disabled=not editable) and editable:
        if day is None:
            st.error(f"{tr('sla.cal.day')}: {tr('err.required')}")
        else:
            _add_days([(day, kind, name.strip() or None)], labels, lang)

    picked = st.multiselect(
        tr("sla.cal.remove_pick"),
        [d["day"] for d in days],
        format_func=lambda d: d.isoformat(),
        placeholder=tr("ui.choose"),
        key="sla.days.pick",
        disabled=not editable,
    )
    remove = st.button(tr("sla.cal.remove"), key="sla.days.remove", disabled=not editable)
    if remove and editable and picked:
        moment = now()
        n = _write(
            "calendar", lambda s: S.remove_calendar_days(s, picked, moment, by=_by()), labels, lang
        )
        if n is not None:
            st.session_state[FLASH] = tr("sla.cal.removed", count=len(picked), n=n)
            st.session_state.pop("sla.days.pick", None)
            st.rerun()

    if editable:
        statutory_section(lang)

    with st.expander(tr("sla.cal.bulk")):
        st.caption(tr("sla.cal.bulk_help"))
        text = st.text_area(
            tr("sla.cal.bulk"),
            key=f"sla.days.bulk.{form}",
            placeholder="2026-10-01, 休, 国庆节\n2026-10-10, 班, 国庆调休",
            disabled=not editable,
            label_visibility="collapsed",
        )
        bulk = st.button(tr("sla.cal.bulk_add"), key="sla.days.bulk_add", disabled=not editable)
        if bulk and editable:
            entries, problems = R.parse_day_lines(text)
            if problems:
                show_problems(problems, labels, lang)
            elif entries:
                _add_days(entries, labels, lang)


STATUTORY = "sla.days.statutory"  # the proposal under review: (year, lang)


def statutory_section(lang: str) -> None:
    """Fill a year's public holidays and 调休 days from the statute: shown for review,
    saved on a second click, never over a day set by hand."""
    with st.expander(tr("sla.cal.statutory")):
        st.caption(tr("sla.cal.statutory_help"))
        c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
        year = c1.number_input(
            tr("sla.cal.year"),
            min_value=2000,
            max_value=2100,
            value=now().year + (1 if now().month >= 11 else 0),
            step=1,
            key="sla.days.statutory_year",
        )
        if c2.button(tr("sla.cal.statutory_show"), key="sla.days.statutory_show"):
            st.session_state[STATUTORY] = (int(year), lang)
        picked = st.session_state.get(STATUTORY)
        if not picked or picked[0] != int(year):
            return
        with guarded():
            with db.read(get_engine()) as s:
                proposal = S.statutory_proposal(s, *picked)
            _show_proposal(proposal, lang)
            if proposal.new and st.button(
                tr("sla.cal.statutory_save", count=len(proposal.new)),
                key="sla.days.statutory_save",
                type="primary",
            ):
                moment = now()
                done = _write(
                    "calendar",
                    lambda s: S.fill_statutory(s, *picked, moment, by=_by()),
                    {},
                    lang,
                )
                if done is not None:
                    st.session_state.pop(STATUTORY, None)
                    st.session_state[FLASH] = tr("sla.cal.added", count=done[0], n=done[1])
                    st.session_state[DAYS_FORM] = st.session_state.get(DAYS_FORM, 0) + 1
                    st.rerun()


def _show_proposal(proposal: Any, lang: str) -> None:
    if not proposal.new:
        st.info(tr("sla.cal.statutory_none"))
    else:
        st.dataframe(
            [
                {
                    tr("sla.cal.day"): day.isoformat(),
                    tr("sla.cal.kind"): _kind_label(kind, lang),
                    tr("sla.cal.name"): name or "",
                }
                for day, kind, name in proposal.new
            ],
            hide_index=True,
        )
    if proposal.kept:
        st.warning(
            tr("sla.cal.statutory_kept")
            + "\n\n"
            + "\n".join(
                f"- {day.isoformat()}: {_kind_label(mine, lang)} {mine_name or ''} "
                f"({tr('sla.cal.statutory_says')} {_kind_label(kind, lang)} {name or ''})"
                for (day, kind, name), (_, mine, mine_name) in proposal.kept
            )
        )


def _add_days(entries: list[tuple[dt.date, str, str | None]], labels, lang: str) -> None:
    moment = now()
    n = _write(
        "calendar", lambda s: S.add_calendar_days(s, entries, moment, by=_by()), labels, lang
    )
    if n is not None:
        st.session_state[FLASH] = tr("sla.cal.added", count=len(entries), n=n)
        st.session_state[DAYS_FORM] = st.session_state.get(DAYS_FORM, 0) + 1
        st.rerun()


# ---------------------------------------------------------------- follow-up
def followup_tab(lang: str, editable: bool) -> None:
    with db.read(get_engine()) as s:
        current = followup_delay_days(s)
    days = st.number_input(
        tr("sla.followup.days"),
        min_value=0,
        max_value=FOLLOWUP_DELAY_MAX,
        value=current,
        step=1,
        help=tr("sla.followup.help"),
        key="sla.followup.days",
        disabled=not editable,
    )
    clicked = st.button(
        tr("ui.save"), key="sla.followup.save", type="primary", disabled=not editable
    )
    if clicked and editable:
        moment = now()
        labels = {"followup_days": tr("sla.followup.days")}
        saved = _write(
            "followup",
            lambda s: set_followup_delay_days(s, int(days), moment, by=_by()),
            labels,
            lang,
        )
        if saved is not None:  # 0 days is a valid setting
            st.session_state[FLASH] = tr("sla.followup.saved", days=int(days))
            st.rerun()


# ---------------------------------------------------------------- page
def main() -> None:
    _user, lang, editable = require(Page.SLA)
    # the message lives in a block that is always there: an element appearing above
    # the tabs would redraw them and send the user back to the first tab
    with st.container():
        if FLASH in st.session_state:
            st.success(st.session_state.pop(FLASH))
    if not editable:
        st.info(tr("sla.read_only"))
    with guarded():
        with db.read(get_engine()) as s:
            cal = S.calendar_state(s)
        st.caption(
            tr(
                "sla.business_hours_note",
                day=f"{cal['day_hours']:g}",
                week=f"{cal['week_hours']:g}",
            )
        )
        policies, escalation, calendar, followup = st.tabs(
            [
                tr("sla.tab.policies"),
                tr("sla.tab.escalation"),
                tr("sla.tab.calendar"),
                tr("sla.tab.followup"),
            ]
        )
        with policies:
            policies_tab(lang, editable, cal)
            user = current_user()
            if user is not None:  # the policy table as a register: Excel in and out, undo
                with st.expander(tr("imports.panel.title")):
                    excel_panel.render("sla_policies", get_engine(), user, lang)
        with escalation:
            escalation_tab(lang, editable)
        with calendar:
            # the weekly hours as the user started editing them, with their version
            weekly_section(lang, editable, _seen("calendar", _weekly, editable))
            days_section(lang, editable, cal)
        with followup:
            followup_tab(lang, editable)


def _weekly(session) -> dict[str, Any]:
    state = S.calendar_state(session)
    return {"version": state["version"], "weekly": state["weekly"]}


main()
