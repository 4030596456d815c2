"""What every page shares: the cached engine, the signed-in user, the language,
the role check, and the guard that keeps tracebacks away from users.

Not a page itself: ``st.navigation`` registers pages explicitly, so modules in
``pages/`` are only run when ``app.py`` lists them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from streamlit.errors import StreamlitAPIException

from data_access import db, jobs
from data_access.errors import Refused
from data_access.settings import session_epoch
from data_access.users import CurrentUser, WeakPassword, active_user
from rules.access import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, Page, can_edit, can_view
from rules.fields import Field, Kind, Problem, Register
from rules.i18n import DEFAULT_LANG, LANGS, t
from rules.links import parse_link

log = logging.getLogger("aftersales")

USER_KEY = "user"
LANG_KEY = "lang"
SEARCH_KEY = "app.search"  # the sidebar's search box
SEARCH_SEEN = "app.search_seen"  # its last fragment that opened the search page


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = db.make_engine(url)
    jobs.start(engine)  # automatic escalation, once per process and database
    return engine


def get_engine() -> Engine:
    """The one engine of this process for the configured database (made once)."""
    return _engine(db.database_url())


def lang() -> str:
    return st.session_state.get(LANG_KEY, DEFAULT_LANG)


def tr(key: str, **params: Any) -> str:
    """``t`` in the session's language."""
    return t(key, lang(), **params)


# the signed-in user's role and active flag are re-read from the database on every run
# (a copy kept in session state would outlive an admin's change); this long at most
USER_TTL_SECONDS = 3.0
_fresh_users: dict[tuple[str, int], tuple[float, CurrentUser | None, str]] = {}
EPOCH_KEY = "app.session_epoch"  # the database's session epoch when this session began
_fresh_lock = threading.Lock()


def _fresh_user(user_id: int) -> tuple[CurrentUser | None, str]:
    """The user as stored now, and the database's session epoch."""
    engine = get_engine()
    key = (str(engine.url), user_id)
    with _fresh_lock:
        cached = _fresh_users.get(key)
    if cached is not None and time.monotonic() - cached[0] < USER_TTL_SECONDS:
        return cached[1], cached[2]
    with db.read(engine) as session:
        user = active_user(session, user_id)
        epoch = session_epoch(session)
    with _fresh_lock:
        _fresh_users[key] = (time.monotonic(), user, epoch)
    return user, epoch


def forget_user(user_id: int) -> None:
    """Drop the cached copy of one user (after this session changed them itself)."""
    with _fresh_lock:
        for key in [k for k in _fresh_users if k[1] == user_id]:
            del _fresh_users[key]


def current_user() -> CurrentUser | None:
    """The signed-in user as the database has them now, or None.

    Session state only says who signed in; role and active flag come from the
    database (cached a few seconds), so a demoted user loses the old role's pages at
    once and a deactivated user's session ends at its next action. A restore (or a
    copy over the database) ends every session: the same id may be someone else now."""
    signed = st.session_state.get(USER_KEY)
    if signed is None:
        return None
    user, epoch = _fresh_user(signed.id)
    began = st.session_state.setdefault(EPOCH_KEY, epoch)
    if user is None or user.username != signed.username or epoch != began:
        # deactivated, removed, or the database was restored meanwhile: this session ends
        for key in [k for k in st.session_state if k != LANG_KEY]:
            del st.session_state[key]
        return None
    if user != signed:
        st.session_state[USER_KEY] = user
    return user


CLOCK_KEY = "clock"  # a fixed moment for the whole session (tests set it)


def now() -> dt.datetime:
    """The time every page works with: the wall clock to the second, or the fixed
    moment in ``st.session_state["clock"]`` (so no test depends on today's date)."""
    fixed = st.session_state.get(CLOCK_KEY)
    return fixed if fixed is not None else dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    return now().date()


# CommonMark lets a backslash escape any ASCII punctuation mark; a hyphen matters only
# where it starts a line (a list item, a rule), so "SR-2026-0001" stays readable
_MARKDOWN_PUNCT = re.compile(r"([!-,./:-@\[-`{-~])|^(\s*)-", re.MULTILINE)


def plain(value: object) -> str:
    """User data (names, serials, ticket numbers, fault descriptions, notes, file names)
    as literal text wherever Streamlit renders Markdown: st.markdown/write/caption/
    subheader/metric/info/success/warning/error, tr(...) parameters, widget labels.

    ASCII punctuation is escaped, so no link, image (an outside fetch: a tracking
    pixel), colour, heading or list comes from what users typed; line breaks stay line
    breaks. Grid cells (st.dataframe) are text already."""
    text = "" if value is None else str(value).replace("\r\n", "\n")
    text = _MARKDOWN_PUNCT.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\-", text)
    return text.replace("\n", "  \n")


_ROUTED_KEY = "app.routed_once"


def require(page: Page) -> tuple[CurrentUser, str, bool]:
    """Stop the page unless the signed-in user's role may view it.

    Returns (user, language, may_edit). The menu already hides pages a role may
    not use; this check stops a typed URL from bypassing it.
    """
    user = current_user()
    if user is None and not st.session_state.get(_ROUTED_KEY):
        # Only until a server's first session has run app.py's st.navigation: before
        # that, Streamlit maps a typed address like /tickets?ticket=… onto the file
        # pages/tickets.py and runs it without app.py (its pages/ folder mode). Go
        # through app.py, which shows the log-in and keeps the link for afterwards.
        st.session_state[_ROUTED_KEY] = True
        # (StreamlitAPIException: app.py's own navigation is in place, no detour)
        with suppress(StreamlitAPIException):
            st.switch_page("app.py", query_params=st.query_params.to_dict())
    if user is None or not can_view(user.role, page):
        st.error(tr("page.forbidden"))
        st.stop()
    st.title(tr(f"page.{page}"))
    return user, lang(), can_edit(user.role, page)


def password_refused(exc: WeakPassword) -> None:
    """Every reason the password policy refused a password, in the page's language."""
    limits = {"min": MIN_PASSWORD_LENGTH, "max": MAX_PASSWORD_LENGTH}
    st.error(" ".join(tr(f"password.err.{p}", **limits) for p in exc.problems))


@contextmanager
def guarded() -> Iterator[None]:
    """Show an unexpected error as a short message with a reference, never a traceback.

    The full traceback goes to the server log under the same reference, so the bug is
    not hidden from whoever runs the app.
    """
    try:
        yield
    except Refused as exc:  # a rule said no: the reader's words, nothing written
        st.error(tr(exc.code, **exc.params))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("unexpected error ref=%s", ref)
        st.error(tr("ui.unexpected", ref=ref))


def not_built(page: Page) -> None:
    """A domain page whose data model exists but whose screens do not yet."""
    require(page)
    st.info(tr("page.not_built"))


# ---------------------------------------------------------------- grid helpers
def column_config(fields: tuple[Field, ...], language: str, editable: bool) -> dict[str, Any]:
    """`st.column_config` built from the field specs (the one description of a field)."""
    config: dict[str, Any] = {"id": None, "version": None}
    for f in fields:
        common = {
            "label": f.label(language) + (" *" if f.required else ""),
            "help": f.help(language) or None,
            "disabled": (not editable) or f.computed,
            # no `required=`: the grid would then keep a new row with an empty required
            # cell to itself (never sent, so never reported); the save path reports it
        }
        match f.kind:
            case Kind.ENUM:
                config[f.name] = st.column_config.SelectboxColumn(
                    options=[o.value for o in f.options],
                    format_func=_option_formatter(f, language),
                    width=enum_width(f, language),
                    **common,
                )
            case Kind.DATE:
                config[f.name] = st.column_config.DateColumn(format="YYYY-MM-DD", **common)
            case Kind.DATETIME:
                config[f.name] = st.column_config.DatetimeColumn(
                    format="YYYY-MM-DD HH:mm", **common
                )
            case Kind.BOOL:
                config[f.name] = st.column_config.CheckboxColumn(**common)
            case Kind.INT:
                config[f.name] = st.column_config.NumberColumn(step=1, **common)
            case Kind.DECIMAL | Kind.MONEY:
                config[f.name] = st.column_config.NumberColumn(format="%.2f", **common)
            case _:
                config[f.name] = st.column_config.TextColumn(max_chars=f.max_len, **common)
    return config


def _option_formatter(f: Field, language: str) -> Callable[[Any], str]:
    return lambda value: f.option_label(value, language)


def text_width(text: str) -> int:
    """Rough pixel width of ``text`` in the grid's font: CJK characters are twice as
    wide as Latin ones."""
    return sum(14 if unicodedata.east_asian_width(c) in "WF" else 8 for c in text)


def enum_width(f: Field, language: str) -> int:
    """A selectbox column wide enough for its header and its longest option label
    (left to auto-sizing, the customer grade column cut its header off)."""
    header = f.label(language) + (" *" if f.required else "")
    texts = [header, *(o.label(language) for o in f.options)]
    # padding, the help icon and the dropdown arrow
    return min(320, max(text_width(t) for t in texts) + 56)


def show_problems(
    problems: list[Problem],
    labels: dict[str, str],
    language: str,
    *,
    keys: Sequence[Any] | None = None,
    key_label: str = "",
    register: Register | None = None,
) -> None:
    """Every problem by row and column, in one table.

    ``keys`` (one per problem) adds the row's key under ``key_label``, so the user can
    find a row the grid numbers differently after sorting or paging."""
    st.error(tr("ui.errors_title", n=len(problems)))
    rows = []
    for i, p in enumerate(problems):
        row: dict[str, Any] = {tr("ui.row"): "" if p.row is None else p.row}
        if keys is not None:
            row[key_label] = "" if keys[i] is None else str(keys[i])
        row[tr("ui.column")] = labels.get(p.field or "", p.field or "")
        row[tr("ui.value")] = "" if p.value is None else str(p.value)
        row[tr("ui.message")] = p.message(language, register)
        rows.append(row)
    st.dataframe(rows, hide_index=True)


def in_lang(key: str, lang: str) -> str:
    """The key of a widget whose options are labelled in ``lang``. A keyed widget's
    identity is its key, so the browser would keep the old language's labels after a
    switch: each language gets its own widget, and the choice (language-free option
    values) carries over to it."""
    own = f"{key}.{lang}"
    if own not in st.session_state:
        for other in LANGS:
            if f"{key}.{other}" in st.session_state:
                st.session_state[own] = st.session_state[f"{key}.{other}"]
                break
    return own


def take_link(kind: str) -> str | None:
    """The record number of the address's ``?<kind>=…`` link, once per link: the page
    opens that record, and the user may then move on while the address still shows it."""
    link = parse_link(st.query_params.to_dict())
    seen = f"link.followed.{kind}"
    if link is None or link.kind != kind or st.session_state.get(seen) == link.key:
        return None
    st.session_state[seen] = link.key
    return link.key
