"""The printed copy of a document (PDF) on its page: built on request, then downloaded.

Not a page. Building costs a fraction of a second (more for long statements), so it
happens on the button's click, not on every rerun; the bytes wait in session state for
the download button, for this document and language only.
"""

from __future__ import annotations

import streamlit as st

from data_access import db
from data_access import documents as docs
from data_access.errors import Refused
from pages.common import get_engine, now, tr


def pdf_button(kind: str, number: str, user, lang: str, key: str) -> None:
    """A "PDF" button for document ``kind`` number ``number``; after it, the download."""
    state = f"{key}.pdf"
    if st.button(tr("docs.build"), key=f"{key}.pdf_build"):
        try:
            with db.read(get_engine()) as s:
                data = docs.build(s, kind, number, actor=user, lang=lang, now=now())
        except Refused as exc:  # no font, no right, no such number: said in words
            st.session_state.pop(state, None)
            st.error(docs.message(exc, lang))
            return
        st.session_state[state] = (kind, number, lang, data)
    built = st.session_state.get(state)
    if built and built[:3] == (kind, number, lang):
        st.download_button(
            tr("docs.download"),
            built[3],
            file_name=docs.file_name(kind, number),
            mime=docs.MIME,
            key=f"{key}.pdf_download",
        )
