"""Search: any fragment of a ticket's, customer's or device's number, name, phone or
description, through the trigram index (``data_access.search``); each kind of hit only
for a user who may open its page, each hit a link that opens it."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from pages.common import SEARCH_KEY, guarded, require, tr
from pages.search_links import search_links
from rules.access import Page

LIMIT = 50


def main() -> None:
    user, _lang, _editable = require(Page.SEARCH)
    fragment = st.text_input(
        tr("search.box"), value=st.session_state.get(SEARCH_KEY, ""), max_chars=100
    )
    st.caption(tr("search.help"))
    if fragment.strip():
        with guarded():
            hits = search_links(user, fragment, limit=LIMIT)
            if LIMIT in Counter(h.kind for h in hits).values():  # a kind cut at the limit
                st.caption(tr("search.more", n=LIMIT))


main()
