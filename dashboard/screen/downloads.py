"""The sheet's download button, with a link that dies soon (issue #12 item 2, PRIV-7, H80).

The PDF is not handed to Streamlit's media store when the button is drawn: `data` is a
callable that Streamlit runs only when the Download button is clicked (deferred download,
Streamlit 1.67). At that moment the sheet is registered with `dashboard.web.guard.LINKS` for
this browser's owner cookie, so `/media/<id>.pdf` answers only to this browser and only for
`LINK_SECONDS` (the guard serves it from there, whatever Streamlit's media clean-up did).
A sheet that is withdrawn (inputs changed, New patient, tab closed) is never placed in the
media store at all; its callable goes when the button is no longer drawn.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.web.guard import LINKS, OWNER_COOKIE


class SheetWithdrawn(RuntimeError):
    """The tab that prepared the sheet is gone; the sheet is no longer handed out."""


def sheet_download_button(label: str, data: bytes, file_name: str,
                          mime: str = "application/pdf", **kwargs: Any) -> None:
    """`st.download_button` for a prepared sheet, or any other file this app hands out (the
    clinic-day ZIP, the list template): the guard serves a download only through a link
    registered here, so every download button of the app goes through this function."""
    owner = _owner()
    session_id = _session_id()

    def deliver() -> bytes:  # runs in a worker thread on click, without a script context
        if session_id is not None and not _session_connected(session_id):
            raise SheetWithdrawn("the session that prepared this sheet has ended")
        LINKS.issue(data, owner, mimetype=mime, filename=file_name)
        return data

    st.download_button(label, data=deliver, file_name=file_name, mime=mime,
                       on_click="ignore", **kwargs)


def forget_sheet_links() -> None:
    """Close this browser's sheet links now (called by New patient)."""
    LINKS.revoke(_owner())


def _owner() -> str | None:
    """This browser's owner cookie, as it came with the websocket (None outside serve.py)."""
    value = st.context.cookies.get(OWNER_COOKIE)
    return value if isinstance(value, str) and value else None


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _session_connected(session_id: str) -> bool:
    from streamlit import runtime

    return not runtime.exists() or runtime.get_instance().is_active_session(session_id)
