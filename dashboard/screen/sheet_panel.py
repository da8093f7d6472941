"""The sheet panel: tick the options to discuss, add the sheet's details, prepare, download."""

from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from dashboard import service
from dashboard.core import usertext
from dashboard.core.assessment import Assessment
from dashboard.core.content import Content
from dashboard.core.sheet import SheetChoices, default_selection, user_text
from dashboard.screen import view
from dashboard.screen.downloads import sheet_download_button
from dashboard.screen.view import LANG, esc

SHEET = "s_"  # sheet choices: s_<name>, s_opt_<option id>
PREPARED = "sheet_prepared"  # {"signature", "data", "file_name", "fingerprint"}
SHEET_FOR = "sheet_selection_for"  # fingerprint the option tick boxes were defaulted for
CARDS_PER_ROW = 4


def selected_options(content: Content, assessment: Assessment) -> tuple[str, ...]:
    """The ticked options; ticks reset to the default (applicable and caution) on new factors."""
    state = st.session_state
    if state.get(SHEET_FOR) != assessment.fingerprint:
        default = set(default_selection(assessment))
        for option in content.options:
            state[f"{SHEET}opt_{option.id}"] = option.id in default
        state[SHEET_FOR] = assessment.fingerprint
    return tuple(o.id for o in content.options if state.get(f"{SHEET}opt_{o.id}"))


def sheet_panel(content: Content, assessment: Assessment) -> None:
    """Choose what goes on the sheet, prepare it, then offer it for download."""
    st.header("3. Discussion sheet for the patient", divider="gray")
    selected = selected_options(content, assessment)
    st.markdown("**Options to include** (default: the options that may be discussed or need "
                "caution)")
    for i, option in enumerate(content.options):
        if i % CARDS_PER_ROW == 0:
            columns = st.columns(CARDS_PER_ROW)
        verdict = assessment.result(option.id).verdict
        columns[i % CARDS_PER_ROW].checkbox(
            f"{esc(option.name(LANG))}  \n{view.badge(content, verdict)}",
            key=f"{SHEET}opt_{option.id}", wrap=True)
    choices, problems = _sheet_fields(selected)
    confirmed = st.checkbox("I have reviewed these options and the sheet is for a discussion "
                            "with the care team", key=SHEET + "confirmed")
    signature = _signature(assessment, choices, confirmed)
    prepared = st.session_state.get(PREPARED)
    if prepared and prepared["signature"] != signature:
        del st.session_state[PREPARED]
        prepared = None
        st.info("The inputs changed after the sheet was prepared, so that sheet was withdrawn. "
                "Prepare it again.", icon=":material/sync_problem:")
    if st.button("Prepare discussion sheet", key="prepare", type="primary",
                 disabled=not confirmed or bool(problems), icon=":material/description:"):
        prepared = _prepare(content, assessment, choices, signature)
    if not confirmed:
        st.markdown("Tick the review box to prepare the sheet.")
    if prepared:
        st.success(f"Sheet ready. It carries check code **{esc(prepared['fingerprint'])}**, the "
                   "same as the screen above.", icon=":material/check:")
        sheet_download_button("Download discussion sheet (PDF)", prepared["data"],
                              prepared["file_name"], key="download",
                              icon=":material/download:", type="primary")


def _sheet_fields(selected: tuple[str, ...]) -> tuple[SheetChoices, dict[str, str]]:
    """The sheet's header fields and options; problems maps a field to its message."""
    a, b, c, d = st.columns(4)
    name = a.text_input("Patient name (optional)", key=SHEET + "name",
                        max_chars=usertext.NAME_MAX, autocomplete="off",
                        help="Printed on the sheet only; never used in the file name.")
    when = b.date_input("Appointment date", value=None, key=SHEET + "date", format="YYYY-MM-DD")
    clinician = c.text_input("Clinician or care team", key=SHEET + "clinician",
                             max_chars=usertext.FIELD_MAX, autocomplete="off")
    phone = d.text_input("Team phone", key=SHEET + "phone", max_chars=usertext.FIELD_MAX,
                         autocomplete="off")
    notes = st.text_area("Notes for the patient (optional)", key=SHEET + "notes",
                         max_chars=usertext.NOTES_MAX, height=100)
    e, f, g = st.columns(3)
    not_fitting = e.checkbox("Include the options that do not fit right now",
                             value=True, key=SHEET + "not_fitting")
    large = f.checkbox("Large print", key=SHEET + "large_print")
    paper = g.radio("Paper size", ["a4", "letter"], horizontal=True, key=SHEET + "paper",
                    format_func={"a4": "A4", "letter": "US Letter"}.get)
    choices = SheetChoices(selected=selected, patient_name=name or "",
                           appointment_date=_date_words(when), clinician=clinician or "",
                           team_phone=phone or "", notes=notes or "",
                           include_not_fitting=not_fitting, large_print=large, paper=paper)
    cleaned, problems = user_text(choices)  # the sheet's own check, shown before preparing
    for key, value in cleaned.items():
        typed = getattr(choices, key)
        if key in problems:
            st.error(esc(problems[key]))
        elif typed and value != typed.strip():  # REL-5: show what the sheet will print
            st.text(f"{key.replace('_', ' ').capitalize()} will print as: {value}")
    return choices, problems


def _date_words(when: date | None) -> str:
    return f"{when.day} {when:%B} {when.year}" if when else ""


def _signature(assessment: Assessment, choices: SheetChoices, confirmed: bool) -> str:
    """Changes whenever anything printed on the sheet would change."""
    normal = (assessment.fingerprint, tuple(sorted(choices.selected)), *(
        getattr(choices, k) for k in ("patient_name", "appointment_date", "clinician",
                                      "team_phone", "notes", "include_not_fitting",
                                      "large_print", "paper")), confirmed)
    return hashlib.sha256(repr(normal).encode()).hexdigest()


def _prepare(content: Content, assessment: Assessment, choices: SheetChoices,
             signature: str) -> dict | None:
    sheet_choices, patient = service.split_sheet_choices(choices, LANG)
    outcome = service.prepare_sheet(assessment, sheet_choices, content, patient=patient)
    if not outcome.ok:
        error = outcome.errors[0]
        if error.kind is service.ErrorKind.UNPRINTABLE:
            st.error(f"The sheet was not prepared. {esc(error.message)}. Change the "
                     f"{esc(error.field.replace('_', ' '))} and prepare again.",
                     icon=":material/error:")
        elif error.kind is service.ErrorKind.UNEXPECTED:  # case 35: never a traceback
            st.error(f"The sheet could not be prepared (code {esc(error.code)}). Nothing was "
                     "saved. Try again; if it happens again, report the code.",
                     icon=":material/error:")
        else:
            st.error(f"The sheet was not prepared: {esc(error.message)}", icon=":material/error:")
        return None
    prepared = {"signature": signature, "data": outcome.pdf, "file_name": outcome.file_name,
                "fingerprint": outcome.check_code}
    st.session_state[PREPARED] = prepared
    return prepared
