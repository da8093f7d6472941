"""The sheet panel: tick the options to discuss, add the sheet's details, prepare, download."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import date
from typing import Any

import streamlit as st

from dashboard import service
from dashboard.core import usertext
from dashboard.core.assessment import Assessment, Verdict
from dashboard.core.content import Content
from dashboard.core.explain import verdict_words
from dashboard.core.limits import SHEET_NOTES_MAX
from dashboard.core.localise import locale_for
from dashboard.core.sheet import DEFAULT_AT_MOST, SheetChoices, default_selection, user_text
from dashboard.screen import form, view
from dashboard.screen.downloads import sheet_download_button
from dashboard.screen.results import COMPARE, TABLE_SCOPE, WHY, lazy_expander
from dashboard.screen.view import LANG, PAPERS, esc, label_md, paper_name, words

SHEET = "s_"  # sheet choices: s_<name>, s_opt_<option id>
# Every sheet choice keeps its value while the panel is not drawn (its section closed, an error
# in the form, before any value) and shows it again when the panel is: Streamlit's own
# `persist_state` (the value set back on the user key only on the server would print a name
# the remounted field no longer showed: H120, H122).
KEPT = "page"
PREPARED = "sheet_prepared"  # {"signature", "data", "file_name", "fingerprint", "name", "pages"}
CONFIRMED_FOR = "sheet_confirmed_for"  # check code the review tick was given for
PAGES = "sheet_pages"  # {"signature", "pages"}: the page count of the sheet as now chosen
SUGGEST_AT_MOST = DEFAULT_AT_MOST  # options that fit a two-page sheet (one rule, in the core)
TICK_MIN_WIDTH = 230  # px
FIELD_MIN_WIDTH = 220  # px
NAME_LINE = "sheet_name_line"  # what name the sheet prints (H120)
NOTE = "chart_note"  # the chart note's expander (its code block is drawn only while open)
OPEN = "sheet_open"  # the sheet section's expander: the panel is drawn only while it is open
PROGRESS = "sheet_progress"  # where "Preparing the sheet…" shows while the sheet is drawn
RERUN_FOR = "sheet_rerun_for"  # the choices a Prepare run found changed and reran the page for
AHEAD = "sheet_ahead"  # {"key", "made", "prepared"}: the sheet drawn before Prepare (or None)


def _ahead_seconds() -> int:
    """How long a sheet drawn ahead (once Prepare can be pressed) may wait for Prepare; 0:
    sheets are drawn only on Prepare. Server setting PREP_SHEET_AHEAD_SECONDS, 0-3600."""
    raw = os.environ.get("PREP_SHEET_AHEAD_SECONDS", "")
    return int(raw) if raw.isdigit() and int(raw) <= 3600 else 600


AHEAD_SECONDS = _ahead_seconds()


def keep_while_hidden(*, panel_only: bool = False) -> None:
    """Keep which "Why?", table, chart note or sheet section was open through a run that does
    not draw them: while the form shows an error, before any value, or (`panel_only`: the rest
    is drawn) while the sheet section is closed. Streamlit forgets the value of every widget a
    full run does not draw; expanders take no `persist_state` (the sheet's own choices do:
    `KEPT`), so each kept key is set to its own value (only allowed before the widget is drawn
    in the run). Nothing leaves the session."""
    state = st.session_state
    prefixes, keys = ((), {NOTE}) if panel_only else ((WHY,), {NOTE, OPEN, COMPARE, TABLE_SCOPE})
    for key in list(state):
        if key.startswith(prefixes) or key in keys:
            state[key] = state[key]


def selected_options(content: Content) -> tuple[str, ...]:
    """The options ticked for the sheet, in content order (none until the clinician ticks)."""
    state = st.session_state
    return tuple(o.id for o in content.options if state.get(f"{SHEET}opt_{o.id}"))


def suggested_options(assessment: Assessment) -> tuple[str, ...]:
    """At most three options for a two-page sheet: the core's default selection, the same the
    command line and the clinic day use (a starting point the clinician changes)."""
    return default_selection(assessment)


def sheet_panel(content: Content, assessment: Assessment, values: dict[str, Any]) -> None:
    """Choose what goes on the sheet, prepare it, then offer it for download.

    Drawn only once the clinician opens its section (closed at first, like every
    `lazy_expander`): its forty-odd elements were a sixth of what the browser redrew on each
    change of a value (bench/bench_screen.py). Opening it reruns the page, which draws it from
    the values then on screen; while it is closed its choices are kept (`keep_while_hidden`)
    and nothing can be downloaded. Inside, a fragment: a tick or a typed detail reruns this
    panel only, not the whole page. Any change of the patient factors reruns the page, which
    redraws this panel with the new assessment. `values` are the factors `assessment` was made
    from.
    """
    section = lazy_expander(words(content, "sheet_heading"), key=OPEN,
                            icon=":material/description:")
    if not section.open:
        keep_while_hidden(panel_only=True)  # ticks, name, notes, language: for when it opens
        _drop_ahead()  # a sheet drawn ahead is kept only while its panel shows what it holds
        return
    with section:
        _panel(content, assessment, values)


@st.fragment
def _panel(content: Content, assessment: Assessment, values: dict[str, Any]) -> None:
    # H60: a fragment run keeps the options it was drawn with; a value sent since (say, typed
    # then Prepare clicked without leaving the field) makes this run stale: it prepares and
    # offers nothing, and ends by rerunning the page (new options, review asked again). The
    # rerun comes after the panel's widgets: an st.rerun before them resets the fragment's
    # typed values (streamlit/streamlit#11266), which could drop a name just typed.
    stale = form.values_now(content) != values
    suggested = suggested_options(assessment)
    st.markdown(words(content, "sheet_choose"))
    st.button(words(content, "sheet_tick_suggested", count=len(suggested))
              if suggested else words(content, "sheet_tick_none"),
              key="tick_suggested", on_click=_tick, args=(content, suggested),
              disabled=not suggested, icon=":material/checklist:")
    grid = st.grid("auto", min_column_width=TICK_MIN_WIDTH, gap="small")
    for option in content.options:
        verdict = assessment.result(option.id).verdict
        grid.checkbox(label_md(f"{option.name(LANG)} — {verdict_words(verdict, content, LANG)}"),
                      key=f"{SHEET}opt_{option.id}", persist_state=KEPT,
                      wrap=True)  # plain words: read aloud
    selected = selected_options(content)
    no_longer = [content.option(o).name(LANG) for o in selected
                 if assessment.result(o).verdict is Verdict.NOT_APPLICABLE]
    with slot():
        if no_longer:  # ticked while they fitted, then a value changed (the ticks stay as set)
            st.warning(esc(words(content, "sheet_ticked_not_applicable",
                                 options=", ".join(no_longer))), icon=":material/block:")
        if not selected:
            st.info(esc(words(content, "sheet_tick_one")), icon=":material/checklist:")
        elif len(selected) > SUGGEST_AT_MOST:
            st.warning(esc(words(content, "sheet_too_many", count=len(selected))),
                       icon=":material/description:")
    lang = _language(content)
    choices, problems = _sheet_fields(content, selected)
    if st.session_state.get(CONFIRMED_FOR) != assessment.fingerprint:  # new options: ask again
        st.session_state[SHEET + "confirmed"] = False
        st.session_state[CONFIRMED_FOR] = assessment.fingerprint
    confirmed = st.checkbox(label_md(words(content, "sheet_review")), key=SHEET + "confirmed",
                            persist_state=KEPT, wrap=True)
    signature = _signature(assessment, choices, confirmed, lang)
    prepared = st.session_state.get(PREPARED)
    with slot():
        if prepared and prepared["signature"] != signature:
            del st.session_state[PREPARED]
            prepared = None
            st.info(esc(words(content, "sheet_withdrawn")), icon=":material/sync_problem:")
    printed = "" if problems else user_text(choices)[0].get("patient_name", "")
    _act(content, assessment, values, choices, confirmed and bool(selected) and not problems,
         signature, lang, printed)
    _copy_note(content, assessment, choices, printed)
    if stale:
        st.rerun(scope="app")


@st.fragment
def _act(content: Content, assessment: Assessment, values: dict[str, Any],
         choices: SheetChoices, complete: bool, signature: str, lang: str,
         printed: str) -> None:
    """Prepare, the page count, the progress line and the download: a fragment of its own, so
    that a Prepare click reruns these dozen elements, not the panel's forty-odd (what the
    browser redrew was most of the time from the click to the download).

    Its arguments are those of the panel's last run. Every change of a sheet choice reruns the
    panel, and a change of a factor the page, which draw this part again; still, a click that
    arrives together with a change (its run then comes alone) must never prepare or offer a
    sheet for the old values: each run compares what the panel was drawn from (`signature`,
    `values`) with the session's values now (`_signature_now`), and when they differ offers
    nothing and reruns the page (H60, H123)."""
    now = _signature_now(content, assessment)
    stale = form.values_now(content) != values or now != signature
    ready = complete and not stale
    prepared = st.session_state.get(PREPARED)
    if prepared and prepared["signature"] != signature:
        prepared = None  # withdrawn by the panel's run (it says so there)
    language = locale_for(content, lang).name
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
    clicked = row.button(_w(content, "sheet_prepare").format(language=language), key="prepare",
                         type="primary", disabled=not ready, icon=":material/description:")
    ahead = _kept_ahead(content, signature) if ready else _drop_ahead()
    early = ahead["prepared"] if ahead else None  # None too when it could not be drawn
    progress = st.container(key=PROGRESS)  # drawn on every run, like a slot
    if clicked and ready and early:  # drawn ahead for exactly these values: offered at once
        prepared = st.session_state[PREPARED] = early
        _drop_ahead()
    elif clicked and ready:  # a click that arrives as the button turns disabled makes nothing
        # "Preparing the sheet…" at once, until the sheet is offered (st.spinner shows nothing
        # for its first half second, so a quick sheet gave no sign at all but the small running
        # icon at the top of the page, H129)
        working = progress.empty()
        working.status(words(content, "sheet_preparing"), state="running")
        prepared = _prepare(content, assessment, choices, signature, lang, printed)
        working.empty()
    elif ready and AHEAD_SECONDS and not prepared and not ahead:
        # The sheet is drawn now, ahead of Prepare (H123): the page count beside Prepare needs
        # a layout of it anyway (all but the last ~10 % of the work), and Prepare then only
        # offers it. A change of any value clears the review tick, so typing never pays for it.
        early = _draw_ahead(content, assessment, choices, signature, lang, printed)
    pages = (prepared or early or {}).get("pages") if ready else None
    if ready and not pages:  # no sheet drawn (ahead off, busy, unprintable): lay it out
        pages = _page_count(content, assessment, choices, lang)
    if pages:
        row.markdown(esc(_w(content, "sheet_pages_one" if pages == 1 else "sheet_pages").format(
            pages=pages, language=language, paper=paper_name(content, choices.paper))))
    with slot():
        if not (prepared and not stale):
            _name_line(content, printed, ready=False)
        if not st.session_state.get(SHEET + "confirmed"):
            st.markdown(esc(words(content, "sheet_tick_review")))
    if prepared and not stale:
        st.success(_w(content, "sheet_ready").format(language=esc(language),
                                                     code=esc(prepared["fingerprint"])),
                   icon=":material/check:")
        _name_line(content, prepared["name"], ready=True)
        sheet_download_button(_w(content, "sheet_download").format(language=language),
                              prepared["data"], prepared["file_name"], key="download",
                              icon=":material/download:", type="primary")
    if now != signature and st.session_state.get(RERUN_FOR) != now:
        # Drawn from other choices than the session's: the page again, once for these values
        # (a changed factor reruns the page through the panel's own check). Should the two
        # ever keep differing, Prepare stays disabled rather than the page rerunning forever.
        st.session_state[RERUN_FOR] = now
        st.rerun(scope="app")


def slot() -> Any:
    """A container drawn on every run, for messages shown only sometimes. Streamlit places an
    element by its position among its siblings: a message that comes and goes shifts every
    later element, and while a run is under way the browser then shows the last run's copy of
    the fields and Prepare beside the new one (under load, a name could be typed into the old
    copy: H120). In a slot the message moves only what is inside the slot."""
    return st.container()


def _w(content: Content, key: str) -> Any:
    """Words of the clinician's screen (content/ui.toml, in the screen's language)."""
    return content.string(f"ui.{key}", LANG)


def _name_line(content: Content, name: str, *, ready: bool) -> None:
    """The name the sheet prints, or that it prints none, in words beside Prepare and under
    "Sheet ready" (H120): a name typed but never received by the server (a lost round trip)
    would otherwise print no name unnoticed. Shown as plain text (SEC-3), in this session's
    page only; never logged or put in a URL."""
    key = ("sheet_prints_" if ready else "sheet_will_print_") + ("name" if name else "no_name")
    with st.container(key=NAME_LINE):
        st.text(_w(content, key).format(name=name))


def _language(content: Content) -> str:
    """The sheet's language, a choice per sheet; the clinician's screen stays in its own."""
    names = {lang: locale_for(content, lang).name for lang in content.languages}
    default = service.Choices().language
    return st.radio(_w(content, "sheet_language_label"), list(names), horizontal=True,
                    key=SHEET + "lang", persist_state=KEPT, format_func=names.get,
                    index=list(names).index(default) if default in names else 0,
                    help=_w(content, "sheet_language_help"))


def _ahead_key(content: Content, signature: str) -> str:
    """What a sheet drawn ahead was drawn from: everything printed (`_signature`: the options'
    check code, the ticks, name, details, notes, language, paper, large print, review), the
    content version and the day (the sheet prints its date)."""
    return hashlib.sha256(repr((signature, content.version,
                                date.today().isoformat())).encode()).hexdigest()


def _kept_ahead(content: Content, signature: str) -> dict | None:
    """The sheet drawn ahead, if it was drawn from exactly what is on screen now and is
    recent; any other is dropped at once (never offered for other values: H123)."""
    ahead = st.session_state.get(AHEAD)
    if ahead and ahead["key"] == _ahead_key(content, signature) and \
            time.monotonic() - ahead["made"] < AHEAD_SECONDS:
        return ahead
    return _drop_ahead()


def _drop_ahead() -> None:
    st.session_state.pop(AHEAD, None)


def _draw_ahead(content: Content, assessment: Assessment, choices: SheetChoices,
                signature: str, lang: str, printed_name: str) -> dict | None:
    """Draw the sheet for what is on screen now, in the server's sheet workers as on Prepare,
    and keep it in this session only (like a prepared sheet: never on disk, in the media
    store or a link until its Download is clicked). None when it could not be drawn (busy,
    unprintable; not tried again for the same values): Prepare then draws it and says why."""
    sheet_choices, patient = service.split_sheet_choices(choices, lang)
    outcome = service.prepare_sheet(assessment, sheet_choices, content, patient=patient)
    prepared = _prepared(outcome, signature, printed_name) if outcome.ok else None
    st.session_state[AHEAD] = {"key": _ahead_key(content, signature), "made": time.monotonic(),
                               "prepared": prepared}
    return prepared


def _prepared(outcome: service.SheetOutcome, signature: str, printed_name: str) -> dict:
    return {"signature": signature, "data": outcome.pdf, "file_name": outcome.file_name,
            "fingerprint": outcome.check_code, "name": printed_name, "pages": outcome.pages}


def _page_count(content: Content, assessment: Assessment, choices: SheetChoices,
                lang: str) -> int | None:
    """The pages of the sheet as now chosen, laid out (not drawn) once per change of anything
    printed: never stale, and a tick elsewhere costs nothing."""
    signature = _signature(assessment, choices, None, lang)
    known = st.session_state.get(PAGES)
    if not known or known["signature"] != signature:
        sheet_choices, patient = service.split_sheet_choices(choices, lang)
        pages = service.sheet_page_count(assessment, service.sheet_choices(
            choices.selected, sheet_choices, patient), content, language=lang)
        known = st.session_state[PAGES] = {"signature": signature, "pages": pages}
    return known["pages"]


def _tick(content: Content, suggested: tuple[str, ...]) -> None:
    for option in content.options:
        st.session_state[f"{SHEET}opt_{option.id}"] = option.id in suggested


def _copy_note(content: Content, assessment: Assessment, choices: SheetChoices,
               printed_name: str) -> None:
    """A plain-text note for the chart (the code block has a copy button). The name goes in
    only when the clinician asks for it, as the sheet would print it."""
    note = lazy_expander(words(content, "note_label"), key=NOTE,
                         icon=":material/content_copy:")
    if not note.open:
        return
    with note:
        goal = st.checkbox(label_md(words(content, "note_goal_label")), value=True,
                           key=SHEET + "note_goal", persist_state=KEPT)
        named = st.checkbox(label_md(words(content, "note_name_label")), key=SHEET + "note_name",
                            persist_state=KEPT, disabled=not printed_name)
        text = view.chart_note(content, assessment, choices.selected, today=date.today(),
                               patient_name=printed_name if named else "", with_goal=goal)
        st.code(text, language=None, wrap_lines=True)


def _sheet_fields(content: Content,
                  selected: tuple[str, ...]) -> tuple[SheetChoices, dict[str, str]]:
    """The sheet's header fields and options; problems maps a field to its message."""
    a = b = c = d = st.grid("auto", min_column_width=FIELD_MIN_WIDTH, gap="small")
    def label(key: str) -> str:
        return label_md(words(content, key))

    name = a.text_input(label("sheet_name_label"), key=SHEET + "name", persist_state=KEPT,
                        max_chars=usertext.NAME_MAX, autocomplete="off",
                        help=esc(words(content, "sheet_name_help")))
    when = b.date_input(label("sheet_date_label"), value=None, key=SHEET + "date",
                        persist_state=KEPT, format="YYYY-MM-DD")
    clinician = c.text_input(label("sheet_clinician_label"), key=SHEET + "clinician",
                             persist_state=KEPT, max_chars=usertext.FIELD_MAX,
                             autocomplete="off")
    phone = d.text_input(label("sheet_phone_label"), key=SHEET + "phone", persist_state=KEPT,
                         max_chars=usertext.FIELD_MAX, autocomplete="off")
    notes = st.text_area(label("sheet_notes_label"), key=SHEET + "notes", persist_state=KEPT,
                         max_chars=SHEET_NOTES_MAX, height=100,
                         help=esc(words(content, "sheet_notes_help")))
    e = f = g = st.grid("auto", min_column_width=FIELD_MIN_WIDTH, gap="small")
    not_fitting = e.checkbox(label("sheet_not_fitting_label"),
                             value=False, key=SHEET + "not_fitting", persist_state=KEPT, wrap=True,
                             help=esc(words(content, "sheet_not_fitting_help")))
    large = f.checkbox(label("sheet_large_print_label"), key=SHEET + "large_print",
                       persist_state=KEPT)
    paper = g.radio(label("sheet_paper_label"), PAPERS, horizontal=True, key=SHEET + "paper",
                    persist_state=KEPT, index=view.paper_index(),
                    format_func={p: paper_name(content, p) for p in PAPERS}.get)
    choices = _choices(selected, name, when, clinician, phone, notes, not_fitting, large, paper)
    cleaned, problems = user_text(choices, content)  # the sheet's own check, shown before preparing
    with slot():
        for key, value in cleaned.items():
            typed = getattr(choices, key)
            if key in problems:
                st.error(esc(problems[key]))
            elif typed and value != typed.strip():  # REL-5: show what the sheet will print
                st.text(words(content, "sheet_prints_as",
                              field=words(content, f"sheet_field_{key}"), value=value))
    return choices, problems


def _choices(selected: tuple[str, ...], name: str | None, when: date | None,
             clinician: str | None, phone: str | None, notes: str | None, not_fitting: bool,
             large: bool, paper: str) -> SheetChoices:
    """The sheet's choices from the panel's widget values (as drawn, or as the session holds
    them: `_signature_now`)."""
    return SheetChoices(selected=selected, patient_name=name or "",
                        appointment_date=_date_words(when), clinician=clinician or "",
                        team_phone=phone or "", notes=notes or "",
                        include_not_fitting=bool(not_fitting), large_print=bool(large),
                        paper=paper)


def _date_words(when: date | None) -> str:
    """ISO on the way in: the sheet prints it in words in its own language (core.sheet)."""
    return when.isoformat() if when else ""


def _signature(assessment: Assessment, choices: SheetChoices, confirmed: bool | None,
               lang: str) -> str:
    """Changes whenever anything printed on the sheet would change."""
    normal = (assessment.fingerprint, tuple(sorted(choices.selected)), *(
        getattr(choices, k) for k in ("patient_name", "appointment_date", "clinician",
                                      "team_phone", "notes", "include_not_fitting",
                                      "large_print", "paper")), confirmed, lang)
    return hashlib.sha256(repr(normal).encode()).hexdigest()


def _signature_now(content: Content, assessment: Assessment) -> str:
    """`_signature` of the sheet choices as the session holds them now (each widget's value
    under its key), without drawing a widget."""
    state = st.session_state
    choices = _choices(selected_options(content), *(state.get(SHEET + k) for k in (
        "name", "date", "clinician", "phone", "notes", "not_fitting", "large_print", "paper")))
    return _signature(assessment, choices, state.get(SHEET + "confirmed"),
                      state.get(SHEET + "lang"))


def _prepare(content: Content, assessment: Assessment, choices: SheetChoices,
             signature: str, lang: str, printed_name: str) -> dict | None:
    sheet_choices, patient = service.split_sheet_choices(choices, lang)
    outcome = service.prepare_sheet(assessment, sheet_choices, content, patient=patient)
    if not outcome.ok:
        error = outcome.errors[0]
        if error.kind is service.ErrorKind.UNPRINTABLE:
            field = words(content, f"sheet_field_{error.field}")
            st.error(esc(words(content, "sheet_unprintable", message=error.message,
                               field=field[:1].lower() + field[1:])), icon=":material/error:")
        elif error.kind is service.ErrorKind.UNEXPECTED:  # case 35: never a traceback
            st.error(esc(words(content, "sheet_unexpected", code=error.code)),
                     icon=":material/error:")
        else:
            st.error(esc(words(content, "sheet_not_prepared", message=error.message)),
                     icon=":material/error:")
        return None
    prepared = st.session_state[PREPARED] = _prepared(outcome, signature, printed_name)
    return prepared
