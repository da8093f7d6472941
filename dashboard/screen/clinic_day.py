"""The "Prepare a clinic day" page: a patient list in, a summary and a ZIP of every sheet out.

The list is uploaded into this session's memory only (Streamlit keeps uploads in memory; nothing
is written to disk here), read by core/intake.py with the same rules as the command line, and
prepared by the service's `prepare_clinic_day`, the same pipeline as `python -m dashboard
batch`. The prepared day lives only in `st.session_state` and is withdrawn as soon as the file
or a choice changes (never stale). Hazard H90.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from dashboard import service
from dashboard.adapters import clinic_csv, clinic_table
from dashboard.adapters.archive import day_archive
from dashboard.core import intake
from dashboard.core.content import Content
from dashboard.core.localise import locale_for
from dashboard.screen import frame
from dashboard.screen.downloads import sheet_download_button
from dashboard.screen.view import LANG, PAPERS, esc, label_md, paper_index, paper_name, words

KEY = "day_"  # widget keys of this page
PREPARED = "day_prepared"  # {"signature", "zip", "file_name", "day"}
UPLOAD_MB = 1  # the uploader's own limit; intake.MAX_BYTES is checked on the bytes as well


def page() -> None:
    content = frame.load()
    st.title(_w(content, "page_title"))
    st.markdown(esc(_w(content, "page_intro")))
    sheet_download_button(_w(content, "template_button"), data=clinic_csv.template_csv(content),
                          file_name="clinic-day-template.csv", mime="text/csv",
                          key=KEY + "template", icon=":material/table_view:",
                          help=_w(content, "template_help"))
    upload = st.file_uploader(
        _w(content, "upload_label"), type=["csv"], key=KEY + "upload",
        max_upload_size=UPLOAD_MB,
        help=_w(content, "upload_help").format(kb=intake.MAX_BYTES // 1000,
                                               max_rows=intake.MAX_ROWS))
    st.caption(esc(_w(content, "upload_help").format(kb=intake.MAX_BYTES // 1000,
                                                     max_rows=intake.MAX_ROWS)))
    choices = _choices(content)
    if upload is None:
        st.session_state.pop(PREPARED, None)
        return
    data = upload.getvalue()
    patients = intake.read_csv(data, content)
    if not patients.ok:
        st.session_state.pop(PREPARED, None)
        st.error(f"**{esc(_w(content, 'list_unreadable'))}**\n\n"
                 + "\n".join(f"- {esc(p)}" for p in patients.problems), icon=":material/error:")
        return
    _notices(content, patients)
    signature = hashlib.sha256(data + repr(choices).encode()).hexdigest()
    prepared = st.session_state.get(PREPARED)
    if prepared and prepared["signature"] != signature:
        st.session_state.pop(PREPARED, None)
        prepared = None
    language = locale_for(content, choices.language).name
    if st.button(_w(content, "prepare_button").format(language=language), key=KEY + "prepare",
                 type="primary",
                 icon=":material/description:"):
        prepared = _prepare(content, patients, choices, signature)
    if prepared:
        _show(content, prepared)


def _w(content: Content, key: str) -> str:
    return content.string(f"clinic_day.{key}", LANG)


def _choices(content: Content) -> service.Choices:
    names = {lang: locale_for(content, lang).name for lang in content.languages}
    language = st.radio(_w(content, "language_label"), list(names), horizontal=True,
                        key=KEY + "lang", format_func=names.get, help=_w(content, "language_help"))
    a, b, c = st.columns(3)
    not_fitting = a.checkbox(label_md(words(content, "sheet_not_fitting_label")), value=True,
                             key=KEY + "not_fitting")
    large = b.checkbox(label_md(words(content, "sheet_large_print_label")),
                       key=KEY + "large_print")
    paper = c.radio(label_md(words(content, "sheet_paper_label")), PAPERS, horizontal=True,
                    key=KEY + "paper", index=paper_index(),
                    format_func={p: paper_name(content, p) for p in PAPERS}.get)
    return service.Choices(large_print=large, paper=paper, leave_out_not_fitting=not not_fitting,
                           language=language)


def _notices(content: Content, patients: intake.PatientList) -> None:
    if patients.unknown_columns:
        st.warning(esc(_w(content, "unknown_columns").format(
            columns=", ".join(patients.unknown_columns))), icon=":material/warning:")
    if patients.missing_columns:
        st.info(esc(_w(content, "missing_columns").format(
            columns=", ".join(patients.missing_columns))), icon=":material/info:")


def _prepare(content: Content, patients: intake.PatientList, choices: service.Choices,
             signature: str) -> dict:
    bar = st.progress(0.0, text=_w(content, "progress").format(done=0,
                                                               total=len(patients.rows)))

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0,
                     text=_w(content, "progress").format(done=done, total=total))

    day = service.prepare_clinic_day(patients, choices, content, on_progress=progress)
    from dashboard.adapters.tumour_board import board_pdf  # fpdf2 only when sheets are made

    bar.empty()
    prepared = {"signature": signature, "day": day,
                "zip": day_archive(day, content, board_pdf(day, content, choices.language)),
                "file_name": f"clinic-day-{day.created.date().isoformat()}.zip"}
    st.session_state[PREPARED] = prepared
    return prepared


def _show(content: Content, prepared: dict) -> None:
    day: service.ClinicDayOutcome = prepared["day"]
    st.header(_w(content, "summary_heading"), divider="gray")
    st.success(esc(_w(content, "made_count").format(count=len(day.made))),
               icon=":material/check:")
    if day.made:
        st.dataframe(clinic_table.summary_frame(day, content), hide_index=True,
                     key=KEY + "summary")
    sheet_download_button(_w(content, "zip_button"), data=prepared["zip"],
                          file_name=prepared["file_name"], mime="application/zip",
                          key=KEY + "zip", icon=":material/download:",
                          type="primary", disabled=not day.made)
    st.subheader(_w(content, "problems_heading"))
    if day.failed:
        st.table(clinic_table.problems_frame(day, content).map(esc), hide_index=True)
    else:
        st.markdown(esc(_w(content, "no_problems")))


if __name__ == "__main__":  # run as a page by st.navigation (see screen/app.py)
    page()
