"""Service tickets: intake, the urgency-sorted list, the detail with status changes,
dispatch, escalation, the service report and the SLA explanation.

UI only: queries and commands come from data_access.tickets, rules from rules.tickets
and rules.sla. Every write is one ``db.write`` transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import streamlit as st

from data_access import complaints as CP
from data_access import db
from data_access import followups as FU
from data_access import knowledge as K
from data_access import ticket_reports as R
from data_access import tickets as T
from data_access.errors import NotAllowed, Refused
from data_access.public_intake import photos_of
from data_access.ticket_register import IMPORT_NOTE, UNDO_NOTE
from pages import excel_panel
from pages.common import (
    get_engine,
    guarded,
    in_lang,
    now,
    plain,
    require,
    show_problems,
    take_link,
    tr,
)
from pages.lines_grid import lines_grid, reload_lines
from pages.pdf_button import pdf_button
from rules.access import Page, Role, TicketAction, can_view, may_change_ticket
from rules.complaints import COMPLAINTS
from rules.customers import CONTRACT_OPTIONS, WARRANTY_OPTIONS
from rules.followups import FOLLOWUPS
from rules.service_reports import TICKET_PARTS
from rules.sla import ClockState, format_duration
from rules.tickets import (
    CHANNEL_OPTIONS,
    PRIORITY_OPTIONS,
    RESULT_OPTIONS,
    STATUS_OPTIONS,
    TICKETS,
    IllegalTransition,
    channel_label,
    priority_label,
    satisfaction,
    status_label,
)

VIEW = "tickets.view"
SELECTED = "tickets.selected"
FLASH = "tickets.flash"
GOTO = "tickets.goto"
NOTE = "tickets.detail_note"
VIEWS = ("list", "new", "detail")
# the intake form's text boxes
TYPED = ("tickets.new_contact", "tickets.new_phone", "tickets.new_description")
PAGE_SIZE = 50


def _opt_label(options, value: str | None, lang: str) -> str:
    return next((o.label(lang) for o in options if o.value == value), value or "")


def pager(key: str, total: int, page_size: int) -> int:
    """A page-number input; the paging itself happens in SQL."""
    pages = max(1, math.ceil(total / page_size))
    page = st.number_input(tr("ui.page"), 1, pages, 1, key=key)
    st.caption(tr("ui.page_of", page=page, pages=pages, total=total))
    return int(page)


def _open(ticket_id: int) -> None:
    # the view radio is already drawn during this run: switch it at the start of the next
    st.session_state[SELECTED] = ticket_id
    st.session_state[GOTO] = "detail"


def _flash(message: str) -> None:
    st.session_state[FLASH] = message


# ---------------------------------------------------------------- list
def list_view(user, lang: str) -> excel_panel.Selection:
    c1, c2, c3, c4 = st.columns([2, 2, 1, 2])
    statuses = c1.multiselect(
        tr("tickets.filter.status"),
        [o.value for o in STATUS_OPTIONS],
        format_func=lambda v: status_label(v, lang),
        placeholder=tr("ui.choose"),
        key=in_lang("tickets.filter_status", lang),
    )
    priorities = c2.multiselect(
        tr("tickets.filter.priority"),
        [o.value for o in PRIORITY_OPTIONS],
        format_func=lambda v: priority_label(v, lang),
        placeholder=tr("ui.choose"),
        key=in_lang("tickets.filter_priority", lang),
    )
    sla_state = c3.selectbox(
        tr("tickets.filter.sla"),
        [None, *T.SLA_STATES],
        format_func={None: tr("ui.all"), **{v: tr(f"tickets.sla.{v}") for v in T.SLA_STATES}}.get,
        key=in_lang("tickets.filter_sla", lang),
    )
    text = c4.text_input(tr("tickets.filter.text"), key="tickets.filter_text")
    c5, c6, c7, c8, c9 = st.columns([1, 1, 1, 1, 1])
    region = c5.text_input(tr("tickets.filter.region"), key="tickets.filter_region")
    day_from = c6.date_input(tr("tickets.filter.from"), value=None, key="tickets.filter_from")
    day_to = c7.date_input(tr("tickets.filter.to"), value=None, key="tickets.filter_to")
    if day_from and day_to and day_from > day_to:
        st.warning(tr("tickets.filter.dates_reversed"))
    open_only = c8.checkbox(tr("tickets.filter.open_only"), value=True, key="tickets.filter_open")
    is_engineer = user.role == Role.ENGINEER
    mine = c9.checkbox(tr("tickets.filter.mine"), value=False, key="tickets.filter_mine")
    engineer_id, customer_text = _people_filters(mine, lang)
    f = T.TicketFilter(
        statuses=tuple(statuses),
        priorities=tuple(priorities),
        engineer_id=user.id if mine else engineer_id,
        customer_text=customer_text,
        region=region.strip() or None,
        sla_state=sla_state,
        received_from=day_from,
        received_to=day_to,
        text=text.strip() or None,
        open_only=open_only,
    )
    moment = now()
    with db.read(get_engine()) as s:
        total = T.count_tickets(s, f, moment)
        page = pager("tickets.page", total, PAGE_SIZE)
        rows = T.list_tickets(
            s,
            f,
            now=moment,
            page=page,
            page_size=PAGE_SIZE,
            my_user_id=user.id if is_engineer else None,
        )
    selection = excel_panel.Selection(f, moment)
    if not rows:
        st.info(tr("ui.no_rows"))
        return selection
    st.dataframe(_table(rows, lang), hide_index=True, width="stretch")
    picked = st.selectbox(
        tr("tickets.detail.pick"),
        [r["id"] for r in rows],
        format_func={r["id"]: r["ticket_no"] for r in rows}.get,
        key="tickets.list_pick",
    )
    st.button(tr("tickets.open_detail"), key="tickets.list_open", on_click=_open, args=(picked,))
    return selection


def _people_filters(mine: bool, lang: str) -> tuple[int | None, str | None]:
    """Engineer picker and customer code/name text (a picker of every customer would
    cost each rerun more than the list itself)."""
    with db.read(get_engine()) as s:
        people = T.engineer_options(s)
    seen = [p["display_name"] for p in people]
    names = {
        p["id"]: p["display_name"]
        + (f" ({p['username']})" if seen.count(p["display_name"]) > 1 else "")
        + ("" if p["is_active"] else " †")
        for p in people
    }
    c1, c2 = st.columns(2)
    engineer = c1.selectbox(
        tr("tickets.filter.engineer"),
        [None, *names],
        format_func=lambda i: tr("ui.all") if i is None else names[i],
        key=in_lang("tickets.filter_engineer", lang),
        disabled=mine,
    )
    customer = c2.text_input(
        tr("tickets.filter.customer"),
        placeholder=tr("tickets.filter.customer_hint"),
        key="tickets.filter_customer",
    )
    return engineer, customer.strip() or None


def _table(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    f = TICKETS.field
    return [
        {
            tr("tickets.col.overdue"): "⚠" if r["overdue"] else "",
            f("ticket_no").label(lang): r["ticket_no"],
            f("priority").label(lang): priority_label(r["priority"], lang),
            f("status").label(lang): status_label(r["status"], lang),
            tr("tickets.col.customer"): r["customer"],
            tr("tickets.col.region"): r["region"] or "",
            f("serial_no").label(lang): r["serial_no"] or "",
            tr("tickets.col.engineer"): r["engineer"] or "",
            f("escalation_level").label(lang): f"L{r['escalation_level']}",
            f("received_at").label(lang): _fmt(r["received_at"]),
            f("respond_due").label(lang): _fmt(r["respond_due"]),
            f("resolve_due").label(lang): _fmt(r["resolve_due"]),
        }
        for r in rows
    ]


def _fmt(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


# ---------------------------------------------------------------- intake
def new_view(user, lang: str) -> None:
    engine = get_engine()
    search = st.text_input(tr("ui.search"), key="tickets.new_search")
    with db.read(engine) as s:
        customers = T.customer_options(s, search)
    if not customers:
        st.info(tr("ui.no_rows"))
        return
    labels = {c["id"]: f"{c['code']} {c['name']}（{c['grade']}）" for c in customers}
    customer_id = st.selectbox(
        tr("tickets.new.customer"), list(labels), format_func=labels.get, key="tickets.new_customer"
    )
    today = now().date()
    with db.read(engine) as s:
        devices = T.devices_of(s, customer_id, today)
    by_id = {d["id"]: d for d in devices}
    device_id = st.selectbox(
        tr("tickets.new.device"),
        [None, *by_id],
        format_func={
            None: tr("tickets.new.no_device"),
            **{i: d["serial_no"] for i, d in by_id.items()},
        }.get,
        key="tickets.new_device",
    )
    serial = None
    if device_id is None:
        serial = st.text_input(tr("tickets.new.unregistered"), key="tickets.new_serial")
        warranty, contract = "unknown", "none"
    else:
        warranty = by_id[device_id]["warranty_status"]
        contract = by_id[device_id]["contract_status"]
    cover = tr(
        "tickets.new.cover",
        warranty=_opt_label(WARRANTY_OPTIONS, warranty, lang),
        contract=_opt_label(CONTRACT_OPTIONS, contract, lang),
    )
    (st.success if warranty in ("in_warranty", "expiring") else st.warning)(cover)
    # not cleared on submit: on any error the agent keeps what they typed
    with st.form("tickets.new_form", clear_on_submit=False):
        c1, c2 = st.columns(2)
        channel = c1.selectbox(
            TICKETS.field("channel").label(lang),
            [o.value for o in CHANNEL_OPTIONS],
            format_func=lambda v: channel_label(v, lang),
            key=in_lang("tickets.new_channel", lang),
        )
        priority = c2.selectbox(
            TICKETS.field("priority").label(lang),
            [o.value for o in PRIORITY_OPTIONS],
            index=2,
            format_func=lambda v: priority_label(v, lang),
            key=in_lang("tickets.new_priority", lang),
        )
        contact = c1.text_input(
            TICKETS.field("contact_name").label(lang), key="tickets.new_contact"
        )
        phone = c2.text_input(TICKETS.field("contact_phone").label(lang), key="tickets.new_phone")
        description = st.text_area(
            TICKETS.field("fault_description").label(lang), key="tickets.new_description"
        )
        submitted = st.form_submit_button(tr("tickets.new.submit"), type="primary")
    if not submitted:
        return
    moment = now()
    try:
        with db.write(engine) as s:
            ticket = T.create_ticket(
                s,
                customer_id=customer_id,
                device_id=device_id,
                serial_no=serial,
                channel=channel,
                priority=priority,
                fault_description=description,
                contact_name=contact.strip() or None,
                contact_phone=phone.strip() or None,
                received_at=moment,
                actor=user,
                now=moment,
            )
            ticket_no, ticket_id = ticket.ticket_no, ticket.id
    except T.InvalidInput as exc:
        show_problems(exc.problems, _labels(lang), lang)
        return
    except NotAllowed as exc:
        st.error(tr(exc.code, **exc.params))
        return
    for key in TYPED:  # the next intake starts empty
        st.session_state.pop(key, None)
    _flash(tr("tickets.new.created", value=plain(ticket_no)))
    _open(ticket_id)
    st.rerun()


def _labels(lang: str) -> dict[str, str]:
    labels = {f.name: f.label(lang) for f in TICKETS.fields}
    labels.update({k: tr(f"tickets.report.{k}") for k in ("labour_hours", "travel_km")})
    labels.update({"qty": "qty", "part_no": "part no."})
    return labels


# ---------------------------------------------------------------- detail
def detail_view(user, lang: str, editable: bool) -> None:
    engine = get_engine()
    typed = st.text_input(tr("tickets.detail.pick"), key="tickets.detail_no")
    if typed.strip():
        with db.read(engine) as s:
            found = T.find_ticket_id(s, typed)
        if found is None:
            st.warning(tr("tickets.err.not_found", value=plain(typed.strip())))
        else:
            st.session_state[SELECTED] = found
    ticket_id = st.session_state.get(SELECTED)
    if ticket_id is None:
        st.info(tr("ui.no_rows"))
        return
    moment = now()
    with db.read(engine) as s:
        try:
            d = T.ticket_detail(s, ticket_id, moment)
        except T.TicketNotFound:
            st.warning(tr("tickets.err.not_found", value=ticket_id))
            return
        engineers = T.engineers(s, region=d["customer"].region) or T.engineers(s)
    # the versions this user last saw: a change made meanwhile by someone else is a
    # conflict, not silently overwritten (the button's own rerun re-reads the ticket)
    seen_key = f"tickets.seen.{ticket_id}"
    t, r = d["ticket"], d["report"]
    d["seen"], d["seen_report"] = st.session_state.get(
        seen_key, (t.version, r.version if r else None)
    )
    header(d, lang)
    pdf_button("service_form", t.ticket_no, user, lang, "tickets.detail")  # 现场服务登记表
    sla_panel(d, lang)
    fault_code_panel(d, user, lang, editable and _may(user, t, TicketAction.EDIT))
    if editable:
        actions(d, engineers, user, lang)
        report_form(d, user, lang)
    parts_lines(d, user, lang, editable and _may(user, t, TicketAction.REPORT))
    aftercare(d, user, lang)
    history(d, lang)
    st.session_state[seen_key] = (t.version, r.version if r else None)


def aftercare(d: dict[str, Any], user, lang: str) -> None:
    """The ticket's follow-up calls (planned, done, scores) and the complaints about it,
    as far as the role may read them (an engineer: complaints about his own tickets)."""
    t = d["ticket"]
    calls = can_view(user.role, Page.FOLLOWUPS)
    complaints = can_view(user.role, Page.COMPLAINTS) and (
        user.role != Role.ENGINEER or t.engineer_id == user.id
    )
    if not (calls or complaints):
        return
    with db.read(get_engine()) as s:
        followups = FU.followups_of_ticket(s, t.id) if calls else []
        about = CP.complaints_of_ticket(s, t.id) if complaints else []
    with st.expander(tr("tickets.detail.aftercare"), expanded=bool(about)):
        if calls:
            f = FOLLOWUPS.field
            st.caption(tr("tickets.detail.followups", n=len(followups)))
            if followups:
                st.dataframe(
                    [
                        {
                            f("followup_no").label(lang): r["followup_no"],
                            f("due_date").label(lang): r["due_date"],
                            f("status").label(lang): f("status").option_label(r["status"], lang),
                            f("rating_quality").label(lang): r["rating_quality"],
                            f("rating_attitude").label(lang): r["rating_attitude"],
                            f("rating_efficiency").label(lang): r["rating_efficiency"],
                            tr("tickets.detail.satisfaction"): r["satisfaction"],
                        }
                        for r in followups
                    ],
                    hide_index=True,
                )
        if complaints:
            c = COMPLAINTS.field
            st.caption(tr("tickets.detail.complaints", n=len(about)))
            for r in about:
                st.page_link(
                    "pages/complaints.py",
                    label=f"{r['complaint_no']} · {c('status').option_label(r['status'], lang)}"
                    f" · {c('priority').option_label(r['priority'], lang)} · "
                    f"{tr('tickets.detail.rounds', n=r['rounds'])}",
                    query_params={"complaint": r["complaint_no"]},
                )


def header(d: dict[str, Any], lang: str) -> None:
    t = d["ticket"]
    st.subheader(f"{plain(t.ticket_no)} · {status_label(t.status, lang)}")
    c1, c2, c3, c4 = st.columns(4)
    # a metric would cut a long name short: label and name as text that wraps
    c1.caption(tr("tickets.col.customer"))
    c1.markdown(f"**{plain(d['customer'].name)}**")
    c2.metric(TICKETS.field("priority").label(lang), priority_label(t.priority, lang))
    c3.metric(tr("tickets.col.engineer"), plain(d["engineer"]) or "—")
    c4.metric(TICKETS.field("escalation_level").label(lang), f"L{t.escalation_level}")
    st.caption(
        " · ".join(
            x
            for x in (
                plain(t.serial_no),
                channel_label(t.channel, lang),
                tr(
                    "tickets.new.cover",
                    warranty=_opt_label(WARRANTY_OPTIONS, t.warranty_status, lang),
                    contract=_opt_label(CONTRACT_OPTIONS, t.contract_status, lang),
                ),
                f"{TICKETS.field('received_at').label(lang)} {_fmt(t.received_at)}",
            )
            if x
        )
    )
    st.markdown(plain(t.fault_description))


def fault_code_panel(d: dict[str, Any], user, lang: str, editable: bool) -> None:
    """The diagnosed fault code, suggestions from the description and the device's
    model, and (for who may change the ticket) a picker searching code, symptom, model."""
    t = d["ticket"]
    with db.read(get_engine()) as s:
        current = K.fault_code_of(s, t.id)
        codes, articles = K.suggest_for_ticket(s, t.id)
        photos = photos_of(s, t.id)
    with st.expander(tr("tickets.fault.title"), expanded=current is None):
        if photos:  # sent with a scan-to-report request
            st.image(photos, width=240)
        st.caption(
            tr("tickets.fault.current", value=plain(current.label(lang)))
            if current
            else tr("tickets.fault.none")
        )
        hints = [c.label(lang) for c in codes] + [a.label(lang) for a in articles]
        if hints:
            st.caption(tr("tickets.fault.suggested") + "：" + plain("；".join(hints)))
        if not editable:
            return
        typed = st.text_input(tr("tickets.fault.search"), key=f"tickets.fault_q.{t.id}")
        with db.read(get_engine()) as s:
            found = K.search_codes(s, typed) if typed.strip() else []
        options = {c.code: c.label(lang) for c in [*codes, *found]}
        options[""] = tr("tickets.fault.clear")
        pick = st.selectbox(
            tr("tickets.fault.pick"), list(options), format_func=options.get,
            key=f"tickets.fault_pick.{t.id}",
        )  # fmt: skip
        if st.button(tr("tickets.fault.set"), key=f"tickets.fault_set.{t.id}") and _write(
            lambda s: K.set_ticket_fault_code(s, t.id, pick or None, actor=user, now=now()),
            tr("tickets.fault.saved"),
        ):
            st.rerun()


def _clock_text(state: str, left: float, lang: str) -> str:
    duration = format_duration(left, lang)
    if state == ClockState.PAUSED:
        return tr("tickets.sla.paused_left", value=duration)
    if left < 0:
        return tr("tickets.sla.over", value=duration)
    if state == ClockState.RUNNING:
        return tr("tickets.sla.left", value=duration)
    return tr(f"tickets.sla.state.{state}")


def sla_panel(d: dict[str, Any], lang: str) -> None:
    c = d["sla"]
    c1, c2 = st.columns(2)
    c1.metric(
        tr("tickets.sla.respond_by"),
        _fmt(c.respond_by),
        _clock_text(c.respond_state, c.respond_left, lang),
        delta_color="inverse" if c.respond_state == ClockState.BREACHED else "normal",
    )
    c2.metric(
        tr("tickets.sla.resolve_by"),
        _fmt(c.resolve_by) or "—",
        _clock_text(c.resolve_state, c.resolve_left, lang),
        delta_color="inverse" if c.resolve_state == ClockState.BREACHED else "normal",
    )
    if c.overdue:
        st.error(tr("tickets.sla.overdue"))
    title = "tickets.sla.timeline" if c.overdue else "tickets.sla.timeline_on_time"
    with st.expander(tr(title), expanded=c.overdue):
        st.dataframe(
            [
                {
                    TICKETS.field("status").label(lang): status_label(seg.status, lang),
                    tr("tickets.sla.from"): _fmt(seg.start),
                    tr("tickets.sla.until"): _fmt(seg.end) or "…",
                    tr("tickets.sla.hours"): round(seg.business_seconds / 3600, 2),
                    tr("tickets.sla.counted"): tr("ui.yes") if seg.counted else tr("ui.no"),
                }
                for seg in c.segments
            ],
            hide_index=True,
        )


def _may(user, ticket, action: TicketAction) -> bool:
    """Offer only what the data layer will allow (it checks again)."""
    return may_change_ticket(user.role, user.id, ticket.engineer_id, action)


def _write(action, success: str) -> bool:
    """Run one write; show the domain errors people can act on. True when it committed."""
    lang = st.session_state.get("lang", "zh")
    try:
        with db.write(get_engine()) as s:
            action(s)
    except IllegalTransition as exc:
        st.error(exc.message(lang))
    except T.ConflictError as exc:
        st.error(tr("tickets.conflict", value=plain(exc.what)))
    except T.TicketFinished as exc:
        st.error(tr("tickets.err.not_open", action=str(exc)))
    except T.ReportLocked:
        st.error(tr("tickets.report.locked"))
    except T.InvalidInput as exc:
        show_problems(exc.problems, _labels(lang), lang)
    except NotAllowed as exc:
        st.error(tr(exc.code, **exc.params))
    else:
        _flash(success)
        for key in [k for k in st.session_state if str(k).startswith("tickets.seen.")]:
            del st.session_state[key]
        return True
    return False


def actions(d: dict[str, Any], engineers: list[dict], user, lang: str) -> None:
    t = d["ticket"]
    st.markdown(f"**{tr('tickets.detail.change_status')}**")
    # a new box for each version of the ticket: the note typed for one change is gone
    # after it (the browser keeps a widget's text as long as its key stays the same)
    note = st.text_input(tr("tickets.detail.note"), key=f"{NOTE}.{t.id}.{t.version}")
    allowed = d["allowed"] if _may(user, t, TicketAction.STATUS) else ()
    if not allowed:
        st.caption(tr("tickets.detail.no_actions"))
    cols = st.columns(max(len(allowed), 1))
    for col, target in zip(cols, allowed, strict=False):
        if col.button(
            tr("tickets.detail.to", value=status_label(target, lang)),
            key=f"tickets.to_{target}",
        ):
            ok = _write(
                lambda s, target=target: T.change_status(
                    s,
                    t.id,
                    target,
                    actor=user,
                    now=now(),
                    expected_version=d["seen"],
                    note=note.strip() or None,
                ),
                tr("tickets.detail.changed", value=status_label(target, lang)),
            )
            if ok:
                st.rerun()
    if t.status in T.OPEN and _may(user, t, TicketAction.DISPATCH):
        c1, c2, c3 = st.columns([3, 1, 1])
        by_id = {e["id"]: e for e in engineers}
        choices = {
            i: tr(
                "tickets.detail.engineer_load",
                name=e["display_name"],
                region=e["region"] or "",
                load=e["open_load"],
            )
            for i, e in by_id.items()
        }
        options = list(by_id)
        engineer_id = c1.selectbox(
            tr("tickets.filter.engineer"),
            options,
            # the ticket's own engineer first: one click must not reassign by accident
            index=options.index(t.engineer_id) if t.engineer_id in by_id else 0,
            format_func=choices.get,
            key=f"tickets.detail_engineer.{t.id}",
        )
        verb = "reassign" if t.engineer_id else "dispatch"
        if c2.button(tr(f"tickets.detail.{verb}"), key="tickets.dispatch", disabled=not by_id):
            fn = T.reassign if t.engineer_id else T.dispatch
            name = by_id[engineer_id]["display_name"] if engineer_id else ""
            if _write(
                lambda s: fn(
                    s, t.id, engineer_id, actor=user, now=now(), expected_version=d["seen"]
                ),
                tr("tickets.detail.dispatched", value=plain(name)),
            ):
                st.rerun()
        top = max(lv.level for lv in d["levels"])
        escalate = c3.button(
            tr("tickets.detail.escalate"),
            key="tickets.escalate",
            disabled=t.escalation_level >= top,
        )
        if escalate and _write(
            lambda s: T.escalate(s, t.id, actor=user, now=now(), expected_version=d["seen"]),
            tr("tickets.detail.escalated", value=f"L{t.escalation_level + 1}"),
        ):
            st.rerun()


def parts_lines(d: dict[str, Any], user, lang: str, editable: bool) -> None:
    """The report's parts, one grid row a line (the lines register ``ticket_parts``);
    a closed ticket's lines are shown, not editable, until it is reopened. Above the
    grid, the part picker adds one line at a time (typed on a phone at the machine)."""
    st.markdown(f"**{tr('tickets.report.parts')}**")
    editable = editable and not d["report_locked"]
    if editable:
        part_picker(d, user, lang)
    lines_grid("tickets.parts", "ticket_parts", d["ticket"].ticket_no, lang=lang, editable=editable)


def _choice_label(r: dict[str, Any], lang: str) -> str:
    name = r["name_en"] if lang == "en" and r["name_en"] else r["name"]
    price = "—" if r["price"] is None else f"¥{r['price']:,.2f}"
    van = tr("tickets.pick.on_van", n=r["on_van"]) if r["has_van"] else ""
    return " · ".join(x for x in (f"{r['part_no']} {name}", r["spec"] or "", van, price) if x)


def part_picker(d: dict[str, Any], user, lang: str) -> None:
    """Add a parts line: type a fragment of the part's number, name or model, pick it
    from the hits (each with what the engineer's van holds and the price), give the
    quantity. A part outside the catalogue is entered as such, with a reason. One
    column of full-width widgets: it reads on a phone."""
    t = d["ticket"]
    base = f"tickets.pick.{t.id}"
    nonce = st.session_state.get(f"{base}.nonce", 0)
    key = f"{base}.{nonce}"
    with st.expander(tr("tickets.pick.title"), expanded=True):
        outside = st.toggle(tr("tickets.pick.non_catalogue"), key=f"{key}.nc")
        line = _non_catalogue_line(key) if outside else _catalogue_line(t.id, key, user, lang)
        if line is None:
            return
        if not st.button(tr("tickets.pick.add"), key=f"{key}.add", type="primary", width="stretch"):
            return
        _add_line(d, user, lang, line, base, nonce)


def _catalogue_line(ticket_id: int, key: str, user, lang: str) -> dict[str, Any] | None:
    typed = st.text_input(
        tr("tickets.pick.search"), key=f"{key}.q", placeholder=tr("tickets.pick.hint")
    )
    with db.read(get_engine()) as s:
        hits = R.part_choices(s, ticket_id, typed, actor=user)
    if not hits:
        st.caption(tr("tickets.pick.none" if typed.strip() else "tickets.pick.van_empty"))
        return None
    if not typed.strip():
        st.caption(tr("tickets.pick.van_list"))
    # the labels themselves are the options (unique: each starts with its part no.)
    by_label = {_choice_label(r, lang): r for r in hits}
    label = st.radio(
        tr("tickets.pick.part"), list(by_label), key=f"{key}.part", label_visibility="collapsed"
    )
    hit = by_label[label]
    qty = st.number_input(tr("tickets.pick.qty"), min_value=1, value=1, step=1, key=f"{key}.qty")
    if hit["has_van"] and hit["on_van"] < qty:
        st.warning(tr("tickets.pick.short", n=hit["on_van"]))
    return {"part_no": hit["part_no"], "qty": int(qty)}


def _non_catalogue_line(key: str) -> dict[str, Any] | None:
    part_no = st.text_input(tr("tickets.pick.nc_part_no"), key=f"{key}.nc_no").strip()
    description = st.text_input(tr("tickets.pick.nc_description"), key=f"{key}.nc_desc").strip()
    reason = st.text_input(tr("tickets.pick.nc_reason"), key=f"{key}.nc_reason").strip()
    qty = st.number_input(tr("tickets.pick.qty"), min_value=1, value=1, step=1, key=f"{key}.nc_qty")
    st.caption(tr("tickets.pick.nc_help"))
    if not part_no:
        return None
    return {"part_no": part_no, "qty": int(qty), "description": description or None,
            "non_catalogue": True, "non_catalogue_reason": reason or None}  # fmt: skip


def _add_line(d: dict[str, Any], user, lang: str, line: dict, base: str, nonce: int) -> None:
    t = d["ticket"]
    try:
        with db.write(get_engine()) as s:
            result = R.add_part_line(s, t.id, line, actor=user, now=now())
            if result.problems:
                raise T.InvalidInput(result.problems)  # nothing of it stays
    except T.InvalidInput as exc:
        labels = {f.name: f.label(lang) for f in TICKET_PARTS.fields}
        show_problems(exc.problems, labels, lang, register=TICKET_PARTS)
        return
    except Refused as exc:  # not enough on the van: the message names part and shortfall
        st.error(tr(exc.code, **exc.params))
        return
    except T.ReportLocked:
        st.error(tr("tickets.report.locked"))
        return
    st.session_state[f"{base}.nonce"] = nonce + 1  # a fresh picker
    reload_lines("tickets.parts", "ticket_parts", t.ticket_no)  # the grid shows the new line
    _flash(tr("tickets.pick.added", value=plain(line["part_no"]), n=line["qty"]))
    st.rerun()


def report_form(d: dict[str, Any], user, lang: str) -> None:
    t, r = d["ticket"], d["report"]
    # closed: shown, not editable until reopened; another engineer's: shown only
    locked = d["report_locked"] or not _may(user, t, TicketAction.REPORT)
    with (
        st.expander(tr("tickets.detail.report"), expanded=r is None),
        st.form("tickets.report_form"),
    ):
        if d["report_locked"]:
            st.info(tr("tickets.report.locked"))
        work_done = st.text_area(
            tr("tickets.report.work_done"), r.work_done if r else "", disabled=locked
        )
        diagnosis = st.text_area(
            tr("tickets.report.diagnosis"), r.diagnosis if r else "", disabled=locked
        )
        c1, c2, c3 = st.columns(3)
        results = [o.value for o in RESULT_OPTIONS]
        result = c1.selectbox(
            tr("tickets.report.result"),
            results,
            index=results.index(r.result) if r and r.result in results else 0,
            format_func=lambda v: _opt_label(RESULT_OPTIONS, v, lang),
            disabled=locked,
        )
        labour = c2.number_input(
            tr("tickets.report.labour_hours"),
            min_value=0.0,
            step=0.5,
            value=float(r.labour_hours) if r and r.labour_hours is not None else 0.0,
            disabled=locked,
        )
        travel = c3.number_input(
            tr("tickets.report.travel_km"),
            min_value=0.0,
            step=1.0,
            value=float(r.travel_km) if r and r.travel_km is not None else 0.0,
            disabled=locked,
        )
        codes = _report_codes(d, lang)
        confirmed = st.selectbox(
            tr("tickets.report.fault_code"),
            list(codes),
            index=list(codes).index(r.fault_code_id) if r and r.fault_code_id in codes else 0,
            format_func=codes.get,
            disabled=locked,
        )
        c4, c5 = st.columns(2)
        accepted_by = c4.text_input(
            tr("tickets.report.accepted_by"), r.accepted_by if r else "", disabled=locked
        )
        feedback = c5.text_input(
            tr("tickets.report.feedback"), r.customer_feedback if r else "", disabled=locked
        )
        ratings = {}
        rcols = st.columns(3)
        for col, name in zip(
            rcols, ("rating_quality", "rating_attitude", "rating_efficiency"), strict=True
        ):
            current = getattr(r, name) if r else None
            ratings[name] = col.selectbox(
                TICKETS.field(name).label(lang),
                [None, 1, 2, 3, 4, 5],
                index=[None, 1, 2, 3, 4, 5].index(current),
                format_func=lambda v: "—" if v is None else "★" * v,
                disabled=locked,
            )
        score = satisfaction(*ratings.values())
        if score is not None:
            st.caption(tr("tickets.report.satisfaction", value=f"{score:.2f}"))
        saved = st.form_submit_button(tr("ui.save"), type="primary", disabled=locked)
    if not saved:
        return
    moment = now()
    if _write(
        lambda s: R.save_report(
            s,
            t.id,
            actor=user,
            now=moment,
            expected_version=d["seen_report"],
            work_done=work_done.strip() or None,
            diagnosis=diagnosis.strip() or None,
            result=result,
            labour_hours=labour,
            travel_km=travel,
            accepted_by=accepted_by.strip() or None,
            accepted_at=_accepted_at(r, accepted_by.strip(), moment),
            customer_feedback=feedback.strip() or None,
            fault_code_id=confirmed,
            **ratings,
        ),
        tr("tickets.detail.report_saved"),
    ):
        st.rerun()


def _report_codes(d: dict[str, Any], lang: str) -> dict[int | None, str]:
    """The fault codes to confirm on the report: the ticket's, the suggested ones and
    the report's own (id → label); None first (not confirmed)."""
    t, r = d["ticket"], d["report"]
    with db.read(get_engine()) as s:
        current = K.fault_code_of(s, t.id)
        suggested, _ = K.suggest_for_ticket(s, t.id)
        own = K.code_hits(s, [r.fault_code_id] if r and r.fault_code_id else [])
    options: dict[int | None, str] = {None: tr("tickets.report.fault_code_none")}
    for hit in [*([current] if current else []), *suggested, *own]:
        options[hit.id] = hit.label(lang)
    return options


def _accepted_at(r, accepted_by: str, moment: dt.datetime) -> dt.datetime | None:
    """The acceptance keeps its time while the same person stays named."""
    if not accepted_by:
        return None
    if r is not None and r.accepted_at is not None and r.accepted_by == accepted_by:
        return r.accepted_at
    return moment


# notes the app writes itself: shown in the page's language (or not at all)
SYSTEM_NOTES = {
    "auto": None,
    "report": None,
    IMPORT_NOTE: "tickets.note.imported",
    UNDO_NOTE: "tickets.note.import_undone",
}


def _note(note: str | None) -> str:
    if note is None or (note in SYSTEM_NOTES and SYSTEM_NOTES[note] is None):
        return ""
    key = SYSTEM_NOTES.get(note)
    return tr(key) if key else note


def history(d: dict[str, Any], lang: str) -> None:
    st.markdown(f"**{tr('tickets.detail.history')}**")
    rows = []
    for e in d["events"]:
        match e["kind"]:
            case "status":
                what = tr(
                    "tickets.event.status",
                    from_status=status_label(e["from_status"], lang) or "—",
                    to_status=status_label(e["to_status"], lang),
                )
            case "assign":
                what = tr("tickets.event.assign", value=e["to_user"] or "")
            case "escalate":
                what = tr("tickets.event.escalate", value=e["level"])
                if e["note"] == "auto":
                    what += tr("tickets.event.auto")
            case _:
                what = tr("tickets.event.note")
        rows.append(
            {
                tr("tickets.history.at"): _fmt(e["at"]),
                tr("tickets.history.event"): what,
                tr("tickets.detail.note"): _note(e["note"]),
                tr("tickets.history.by"): e["user"] or "",
            }
        )
    st.dataframe(rows, hide_index=True, width="stretch")


def follow_link() -> None:
    """``?ticket=SR…`` opens that ticket's detail, once per link: the user may then move
    on while the address still shows it."""
    ticket_no = take_link("ticket")
    if ticket_no is None:
        return
    with db.read(get_engine()) as s:
        found = T.find_ticket_id(s, ticket_no)
    if found is None:
        st.warning(tr("link.not_found", value=plain(ticket_no)))
        return
    _open(found)


# ---------------------------------------------------------------- page
def main() -> None:
    user, lang, editable = require(Page.TICKETS)
    with guarded():
        follow_link()
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    views = VIEWS if editable else ("list", "detail")
    view_key = in_lang(VIEW, lang)
    if GOTO in st.session_state:
        st.session_state[view_key] = st.session_state.pop(GOTO)
    if st.session_state.get(view_key) not in views:
        st.session_state[view_key] = "list"
    labels = {v: tr(f"tickets.tab.{v}") for v in views}
    view = st.radio(
        "view",
        views,
        format_func=labels.get,
        horizontal=True,
        label_visibility="collapsed",
        key=view_key,
    )
    with guarded():
        if view == "list":
            selection = list_view(user, lang)
            with st.expander(tr("imports.panel.title")):
                excel_panel.render("tickets", get_engine(), user, lang, selection=selection)
        elif view == "new":
            new_view(user, lang)
        else:
            detail_view(user, lang, editable)


main()
