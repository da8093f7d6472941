"""The page frame around every screen page: safety checks, header, New patient, shared words.

Sign-in (SEC-8), the start-up self-test (case 36), content loading (cached once per process, it
is immutable) and the last-resort error handler (case 35, PRIV-8). The log never receives an
exception's message or any value: only its type and a code.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import selftest
from dashboard.core import loader
from dashboard.core.content import Content
from dashboard.core.loader import ContentError
from dashboard.screen import form, view
from dashboard.screen.downloads import forget_sheet_links
from dashboard.screen.results import lazy_expander
from dashboard.screen.view import LANG, esc, words

# The words shown before content is read, or when it cannot be (sign-in, a broken install,
# broken content, an unexpected error), are the frame's own: content cannot supply them.
TITLE = "Recurrent liver cancer: options to discuss"
PANE_MIN_WIDTH = 400  # px: two panes from a 1024 px screen up, one below
ABOUT = "about"  # the intended-use expander (drawn only while open)
RESET_SWEEP = "reset_sweep"  # set by New patient: one more run releases the old sheet
ASK_NEW_PATIENT = "new_patient_ask"  # the "New patient" button: asks first
NEW_PATIENT_ASKED = "new_patient_asked"  # its question is on screen
_LOG = logging.getLogger("dashboard")


@st.cache_resource(show_spinner=False)
def load() -> Content:
    """Static content, validated once per process and shared by every session (immutable)."""
    return loader.load_content()  # looked up at call time (tests give it other content)


@st.cache_resource(show_spinner=False)
def font_problems() -> tuple[str, ...]:
    """Start-up self-test of the sheet's fonts, once per process (no patient data)."""
    return tuple(selftest.font_problems())


def ready_content() -> Content | None:
    """The content when the screen may show clinical material; else a message and None."""
    if not signed_in():  # server mode: nothing clinical before sign-in
        return None
    problems = font_problems()
    if problems:
        start_up_error(problems)
        return None
    try:
        return load()
    except ContentError as exc:
        content_error(exc)
        return None


# --------------------------------------------------------------------------- page frame


def content_error(exc: ContentError) -> None:
    st.error("The dashboard content failed its checks, so no options can be shown. "
             "Ask the content owner to fix these problems:")
    st.code("\n".join(exc.problems), language=None)




def signed_in() -> bool:
    """Whether clinical content may be drawn. Laptop mode (no `[auth]` section in the secrets):
    always. Server mode: only for a signed-in user; others see the sign-in prompt and nothing
    else. A secrets file that exists but cannot be read stops the app (fail closed)."""
    try:
        configured = "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets at all is laptop mode; anything else stops
        if any(Path(p).is_file() for p in st.get_option("secrets.files")):
            st.error("Sign-in is set up but the secrets file cannot be read, so the dashboard "
                     "is closed. Ask the administrator to check .streamlit/secrets.toml.",
                     icon=":material/lock:")
            return False
        return True
    if not configured:
        return True
    if st.user.get("is_logged_in"):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.text(f"Signed in: {st.user.get('email') or st.user.get('name') or ''}")
        right.button("Sign out", key="sign_out", on_click=st.logout, width="stretch")
        return True
    st.title(TITLE)
    st.info("Sign in with your hospital account to use the dashboard.", icon=":material/lock:")
    st.button("Sign in", key="sign_in", type="primary", on_click=st.login)
    return False


def start_up_error(problems: tuple[str, ...]) -> None:
    st.error("The dashboard cannot print discussion sheets on this computer, so it does not "
             "start. Ask the administrator to reinstall it. Problems found:",
             icon=":material/error:")
    st.code("\n".join(problems), language=None)


def error_code(exc: BaseException, where: str) -> str:
    """A short code for an unexpected error, logged as type and place only."""
    code = f"{where}-{type(exc).__name__}"
    _LOG.error("unexpected error %s", code)
    return code


def unexpected_error(exc: Exception) -> None:
    """Last resort for an error the screen did not expect: a message with a code, no details."""
    code = error_code(exc, "APP")
    st.error(f"Something went wrong (code {esc(code)}). The values entered are kept; correct "
             "them or press **New patient**. If it happens again, report the code.",
             icon=":material/error:")


def header(content: Content, today: date) -> None:
    """Title, New patient (asks first), the review banner and the About expander."""
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.title(TITLE)
    with right:
        # The question is drawn right under the button, only once asked: the next Tab from
        # "New patient" is the answer. (A popover drew its body at the end of the page's Tab
        # order, 64 Tab presses away, and was three more elements redrawn on every change.)
        st.button(words(content, "new_patient"), key=ASK_NEW_PATIENT, icon=":material/refresh:",
                  width="stretch", on_click=_toggle_question)
        if st.session_state.get(NEW_PATIENT_ASKED):
            st.markdown(esc(words(content, "new_patient_question")))
            st.button(words(content, "new_patient_confirm"), key="new_patient",
                      on_click=_new_patient, args=(content,), type="primary",
                      icon=":material/delete:", width="stretch")
            st.button(words(content, "new_patient_keep"), key="new_patient_keep",
                      on_click=_toggle_question, width="stretch")
    st.markdown(esc(words(content, "screen_intro")))
    overdue = view.overdue_review(content, today)
    if overdue:
        st.warning(esc(content.string("ui.review_overdue_banner", LANG).format(
            date=overdue.isoformat())), icon=":material/event_busy:")
    _about(content)


def panes() -> tuple[Any, Any]:
    """The form and the options side by side; one column on a narrow screen (a tablet)."""
    grid = st.grid(2, min_column_width=PANE_MIN_WIDTH, gap="medium")
    return grid.cell(), grid.cell()


def _about(content: Content) -> None:
    def s(key: str) -> Any:
        return content.string(f"ui.{key}", LANG)

    about = lazy_expander(s("intended_use_heading"), key=ABOUT, icon=":material/info:")
    if not about.open:
        return
    with about:
        columns = [s(k) for k in ("about_option", "about_reviewed_by", "about_last_reviewed",
                                  "about_next_review")]
        lines = [esc(s("intended_use")), "", f"**{esc(s('about_users'))}**"]
        lines += [f"- {esc(item)}" for item in s("intended_users")]
        lines += ["", f"**{esc(s('about_not_for'))}**"] + [f"- {esc(i)}" for i in s("not_for")]
        lines += ["", f"**{esc(s('about_limits'))}**"]
        lines += [f"- {esc(item)}" for item in s("limitations")]
        version = f"**{esc(s('about_version'))}** {esc(content.version)}: {esc(content.label)}"
        lines += ["", version, "", "| " + " | ".join(esc(c) for c in columns) + " |",
                  "|---|---|---|---|"]
        lines += [f"| {esc(o.name(LANG))} | {esc(o.reviewed_by)} | {o.last_reviewed} | "
                  f"{o.next_review} |" for o in content.options]
        st.markdown("\n".join(lines))


def _toggle_question() -> None:
    """Ask "clear everything?" (New patient), or stop asking (New patient again, or Keep)."""
    st.session_state[NEW_PATIENT_ASKED] = not st.session_state.get(NEW_PATIENT_ASKED, False)


def _new_patient(content: Content) -> None:
    """Forget every patient value: factors, sheet choices, results and any prepared sheet.

    The factor form stays on screen, and deleting a widget's key does not empty the widget in
    the browser: it keeps the old patient's values and sends them back with the next "Show
    options" (case 32). So the form's widgets are set back to their empty values, which
    Streamlit also sends to the browser; everything else (sheet fields, prepared sheet,
    confirmations) is deleted.
    """
    forget_sheet_links()  # this browser's sheet links stop answering now
    empty = form.form_defaults(content)
    for key in list(st.session_state):
        if key in empty:
            st.session_state[key] = empty[key]
        else:
            del st.session_state[key]
    st.session_state[RESET_SWEEP] = True


def sweep_after_reset() -> None:
    """Run once more right after "New patient" (PRIV-7, case 32).

    Streamlit keeps a download that is no longer shown for one more script run of the server
    (a grace period for downloads in progress), so the previous patient's sheet would stay
    reachable at its /media URL until someone's next action. The extra run deletes it now.
    """
    if st.session_state.pop(RESET_SWEEP, False):
        st.rerun()


