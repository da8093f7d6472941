"""Every Streamlit call of the consultation screen: factor form, results, sheet panel.

No clinical rule or clinical wording lives here: labels, help, verdict words and reasons come
from content (through core), and the assessment comes from the engine. Patient values live only
in `st.session_state` (widget keys); nothing per patient is cached, logged or put in the URL.
Text a user typed is never rendered as Markdown; content text shown through Markdown is escaped.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import streamlit as st

from dashboard import service, tables, view
from dashboard.core import usertext
from dashboard.core.derive import CHILD_PUGH_LABS, albi_grade, child_pugh_class
from dashboard.core.explain import finding_text, recurrence_label
from dashboard.core.loader import ContentError
from dashboard.core.model import Assessment, Content, Factor, OptionResult, Verdict, text_in
from dashboard.core.sheet import SheetChoices, default_selection, user_text

LANG = "en"
TITLE = "Recurrent liver cancer: options to discuss"
FIELD = "f_"  # widget keys of patient factors: f_<field id>
UNIT = "u_"  # unit switches: u_<field id>
SHEET = "s_"  # sheet choices: s_<name>, s_opt_<option id>
SUBMITTED = "factors_submitted"
PREPARED = "sheet_prepared"  # {"signature", "data", "file_name", "fingerprint"}
RESET_SWEEP = "reset_sweep"  # set by New patient: one more run releases the old sheet
SHEET_FOR = "sheet_selection_for"  # fingerprint the option tick boxes were defaulted for

# Read-only module constants (per-patient state lives only in st.session_state).
VERDICT_STYLE = MappingProxyType({  # colour, icon: always shown with the words, never alone
    Verdict.APPLICABLE: ("green", ":material/check_circle:"),
    Verdict.CAUTION: ("orange", ":material/warning:"),
    Verdict.NOT_APPLICABLE: ("red", ":material/block:"),
})
YES_NO = ("yes", "no", "unknown")
CARDS_PER_ROW = 4
NUMBER_MAX_CHARS = 20  # typed numbers (labs, sizes): longer text is not a number anyway
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


@dataclass
class FactorForm:
    """What the factor form gave: the engine's input dict, and places to show messages."""

    data: dict[str, Any] | None  # None until the form has been submitted once
    slots: dict[str, Any] = field(default_factory=dict)  # field id -> container under the widget
    calculator: Any = None  # container for the Child-Pugh / ALBI panel


# --------------------------------------------------------------------------- page frame


def esc(text: str) -> str:
    """Backslash-escape Markdown so text is shown literally (content text in Markdown only)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def content_error(exc: ContentError) -> None:
    st.error("The dashboard content failed its checks, so no options can be shown. "
             "Ask the content owner to fix these problems:")
    st.code("\n".join(exc.problems), language=None)


# --------------------------------------------------------------------------- safety frame
# Sign-in (SEC-8), the start-up self-test (case 36) and the last-resort error handler (case 35,
# PRIV-8). The log never receives an exception's message or any value: only its type and a code.

_LOG = logging.getLogger("dashboard")


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
    """Title, New patient, the review banner and the About expander."""
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.title(TITLE)
    right.button("New patient", key="new_patient", on_click=_new_patient, args=(content,),
                 icon=":material/refresh:",
                 help="Clear every patient value, the results and any prepared sheet.",
                 width="stretch")
    st.markdown("For the care team, before and during the appointment. Enter what is known; "
                "empty fields count as not yet known. Options are listed side by side, "
                "never ranked.")
    overdue = view.overdue_review(content, today)
    if overdue:
        st.warning(esc(content.string("ui.review_overdue_banner", LANG).format(
            date=overdue.isoformat())), icon=":material/event_busy:")
    _about(content)


def _about(content: Content) -> None:
    def s(key: str) -> Any:
        return content.string(f"ui.{key}", LANG)

    with st.expander(s("intended_use_heading"), icon=":material/info:"):
        lines = [esc(s("intended_use")), "", "**Intended users**"]
        lines += [f"- {esc(item)}" for item in s("intended_users")]
        lines += ["", "**What it does not do**"] + [f"- {esc(item)}" for item in s("not_for")]
        lines += ["", "**Limitations**"] + [f"- {esc(item)}" for item in s("limitations")]
        lines += ["", f"**Content version** {esc(content.version)}: {esc(content.label)}", "",
                  "| Option | Reviewed by | Last reviewed | Next review |", "|---|---|---|---|"]
        lines += [f"| {esc(o.name(LANG))} | {esc(o.reviewed_by)} | {o.last_reviewed} | "
                  f"{o.next_review} |" for o in content.options]
        st.markdown("\n".join(lines))


def _new_patient(content: Content) -> None:
    """Forget every patient value: factors, sheet choices, results and any prepared sheet.

    The factor form stays on screen, and deleting a widget's key does not empty the widget in
    the browser: it keeps the old patient's values and sends them back with the next "Show
    options" (case 32). So the form's widgets are set back to their empty values, which
    Streamlit also sends to the browser; everything else (sheet fields, prepared sheet,
    confirmations) is deleted.
    """
    empty = _form_defaults(content)
    for key in list(st.session_state):
        if key in empty:
            st.session_state[key] = empty[key]
        else:
            del st.session_state[key]
    st.session_state[RESET_SWEEP] = True


def _form_defaults(content: Content) -> dict[str, Any]:
    """The empty value of every widget of the factor form, by widget key (see `_field`)."""
    empty: dict[str, Any] = {}
    for factor in content.factors:
        if factor.alias_of:
            continue
        if content.aliases_of(factor.id):
            empty[UNIT + factor.id] = factor.unit
        if _typed_number(factor):
            empty[FIELD + factor.id] = ""
        elif factor.kind == "yes_no" and not factor.core:
            empty[FIELD + factor.id] = False
        else:
            empty[FIELD + factor.id] = None
    return empty


def sweep_after_reset() -> None:
    """Run once more right after "New patient" (PRIV-7, case 32).

    Streamlit keeps a download that is no longer shown for one more script run of the server
    (a grace period for downloads in progress), so the previous patient's sheet would stay
    reachable at its /media URL until someone's next action. The extra run deletes it now.
    """
    if st.session_state.pop(RESET_SWEEP, False):
        st.rerun()


def _mark_submitted() -> None:
    st.session_state[SUBMITTED] = True


# --------------------------------------------------------------------------- factor form


def factor_form(content: Content) -> FactorForm:
    """The grouped factor form. Values reach Python on "Show options" and are kept on errors."""
    st.header("1. Patient factors", divider="gray")
    form = FactorForm(data=None)
    with st.form("factors", clear_on_submit=False, enter_to_submit=False, border=True):
        columns = st.columns(CARDS_PER_ROW, gap="medium")
        for column, groups in zip(columns, _group_columns(content, len(columns))):
            with column:
                for group_id, label in groups:
                    _group(content, group_id, label, form)
        st.form_submit_button("Show options", type="primary", key="show_options",
                              on_click=_mark_submitted, icon=":material/play_arrow:")
    if st.session_state.get(SUBMITTED):
        form.data = _factor_data(content)
    return form


def _group_columns(content: Content, n: int) -> list[list[tuple[str, str]]]:
    """Groups in content order, cut into `n` columns of roughly equal numbers of fields."""
    groups = [(gid, text_in(label, LANG)) for gid, label in content.groups]
    sizes = [sum(1 for f in content.factors if f.group == g and not f.alias_of) for g, _ in groups]
    target, out, current, filled = sum(sizes) / n, [[] for _ in range(n)], 0, 0
    for group, size in zip(groups, sizes):
        if filled >= target * (current + 1) - size / 2 and current < n - 1 and out[current]:
            current += 1
        out[current].append(group)
        filled += size
    return out


def _group(content: Content, group_id: str, label: str, form: FactorForm) -> None:
    st.markdown(f"##### {esc(label)}")
    factors = [f for f in content.factors if f.group == group_id and not f.alias_of]
    if group_id == "details":
        labs = [f for f in factors if f.id in CHILD_PUGH_LABS or f.id == "albi_grade"]
        st.markdown("*For the Child-Pugh score and ALBI (bilirubin is under Liver function)*")
        for factor in labs:
            _field(content, factor, form)
        form.calculator = st.container()
        st.markdown("*Other details*")
        factors = [f for f in factors if f not in labs]
    for factor in factors:
        _field(content, factor, form)


def _field(content: Content, factor: Factor, form: FactorForm) -> None:
    aliases = [content.factor(a) for a in content.aliases_of(factor.id)]
    label = text_in(factor.label, LANG)
    help_text = text_in(factor.help, LANG)
    if aliases:
        _unit_number(factor, aliases, label, help_text)
    elif factor.kind == "yes_no" and factor.core:
        st.radio(esc(label), YES_NO, index=None, horizontal=True, key=FIELD + factor.id,
                 format_func=_yes_no_words, help=help_text)
    elif factor.kind == "yes_no":
        st.checkbox(esc(label), key=FIELD + factor.id, help=help_text, wrap=True)
    elif factor.kind == "choice" or (factor.kind == "integer" and factor.value_labels):
        values = factor.values or tuple(int(v) for v in factor.value_labels)
        st.selectbox(esc(label), values, index=None, key=FIELD + factor.id, help=help_text,
                     placeholder=_placeholder(factor),
                     format_func=functools.partial(view.format_value, factor))
    elif factor.kind == "count":
        counts = (*range(int(factor.minimum or 0), int(factor.maximum or 10) + 1), "diffuse")
        st.selectbox(esc(label), counts, index=None, key=FIELD + factor.id, help=help_text,
                     placeholder=_placeholder(factor), format_func=_count_words)
    else:
        unit = f" ({factor.unit})" if factor.unit and factor.unit not in label else ""
        _number(factor, label + unit, help_text)
    form.slots[factor.id] = st.container(key=f"msg_{factor.id}")


def _yes_no_words(value: str) -> str:
    return {"yes": "Yes", "no": "No"}.get(value, "Not known")


def _count_words(value: int | str) -> str:
    return "Diffuse / too many to count" if value == "diffuse" else str(value)


def _placeholder(factor: Factor) -> str:
    if factor.core:
        return view.NOT_KNOWN
    if factor.default is not None:
        return f"{view.NOT_ENTERED} (counts as {factor.default})"
    return view.NOT_ENTERED


def _number(factor: Factor, label: str, help_text: str, key: str | None = None) -> None:
    """A number typed as text and read by `usertext.parse_number` (safety case 21).

    Not `st.number_input`: its browser widget drops a decimal comma as it is typed, so "2,5" cm
    arrives as 25 and "1,25" as 125 in every browser locale. Typed text reaches the engine
    unread unless it is a plain decimal number; the engine then refuses it beside the field
    ("use a decimal point"), and range errors come from the engine too.
    """
    st.text_input(esc(label), key=key or FIELD + factor.id, help=help_text,
                  placeholder=_placeholder(factor), max_chars=NUMBER_MAX_CHARS,
                  autocomplete="off")


def _typed_number(factor: Factor) -> bool:
    """True for the fields `_field` draws with `_number` (text read as a number)."""
    return factor.kind == "number" or (factor.kind == "integer" and not factor.value_labels)


def _unit_number(factor: Factor, aliases: list[Factor], label: str, help_text: str) -> None:
    """A lab value with a unit switch beside it (the engine converts; both are shown later)."""
    units = (factor, *aliases)
    value_col, unit_col = st.columns([3, 2], vertical_alignment="bottom")
    with unit_col:
        st.radio(f"{esc(label)} unit", [u.unit for u in units], key=UNIT + factor.id,
                 label_visibility="collapsed")
    with value_col:
        _number(factor, label, help_text)


def _factor_data(content: Content) -> dict[str, Any]:
    """The form's values as the engine's input dict (core keys always present)."""
    state = st.session_state
    data: dict[str, Any] = {}
    for factor in content.factors:
        if factor.alias_of:
            continue
        value = state.get(FIELD + factor.id)
        if _typed_number(factor):
            value = usertext.parse_number(value)
        if factor.kind == "yes_no" and factor.core:
            value = {"yes": True, "no": False}.get(value)
        unit = state.get(UNIT + factor.id, factor.unit)
        alias = next((content.factor(a) for a in content.aliases_of(factor.id)
                      if content.factor(a).unit == unit), None)
        if alias is not None and value is not None:
            data[alias.id] = value
            value = None
        if factor.core or value is not None:
            data[factor.id] = value
    return data


# --------------------------------------------------------------------------- messages


def show_issues(content: Content, form: FactorForm, assessment: Assessment) -> None:
    """Errors beside their fields and listed under the form; derived scores in the form."""
    if assessment.errors:
        for issue in assessment.errors:
            for slot in _issue_slots(content, form, issue):
                slot.error(esc(issue.message), icon=":material/error:")
        listed = "\n".join(f"- {esc(_field_label(content, i.field))}{esc(i.message)}"
                           for i in assessment.errors)
        st.error("**Options are not shown until these are fixed** (each message is also shown "
                 "beside its field in the form above):\n\n" + listed, icon=":material/error:")
    for issue in assessment.warnings:
        for slot in _issue_slots(content, form, issue):
            slot.warning(f"**{esc(issue.code)}** {esc(issue.message)}", icon=":material/warning:")
    _calculator(content, form, assessment)


def _issue_slots(content: Content, form: FactorForm, issue: Any) -> list[Any]:
    """The message slots beside every field an issue names: a validation code's `fields` in
    content (so "bilirubin cannot be negative" also sits beside bilirubin, not only beside the
    first field listed), or the single field of a type or range error."""
    try:
        fields = content.rule(issue.code).fields or (issue.field,)
    except KeyError:
        fields = (issue.field,)
    slots = []
    for field_id in fields:
        slot = form.slots.get(_base_field(content, field_id))
        if slot is not None and slot not in slots:
            slots.append(slot)
    return slots


def values_confirmed(content: Content, assessment: Assessment) -> bool:
    """Warnings that content marks for confirmation (implausible values) hold back the results
    until the clinician ticks that the value is right; any change of inputs asks again."""
    try:
        codes = set(content.string("ui.confirm_before_results", LANG))
    except KeyError:
        codes = set()
    pending = [w for w in assessment.warnings if w.code in codes]
    confirmed = True
    for warning in pending:
        st.warning(f"**{esc(warning.code)}** {esc(warning.message)}", icon=":material/warning:")
        label = f"{_field_label(content, warning.field)}the value and its unit are right"
        key = f"confirm_{warning.code}_{assessment.fingerprint}"
        confirmed &= st.checkbox(esc(label[0].upper() + label[1:]), key=key)
    if not confirmed:
        st.info("Options are shown once the flagged value is confirmed here or corrected in the "
                "form (then press **Show options** again).", icon=":material/fact_check:")
    return confirmed


def _base_field(content: Content, field_id: str) -> str:
    try:
        return content.factor(field_id).alias_of or field_id
    except KeyError:
        return field_id


def _field_label(content: Content, field_id: str) -> str:
    try:
        return text_in(content.factor(_base_field(content, field_id)).label, LANG) + ": "
    except KeyError:
        return ""


def _calculator(content: Content, form: FactorForm, assessment: Assessment) -> None:
    """Child-Pugh points per lab item and the score; ALBI score and grade (from the engine)."""
    derived = assessment.derived
    box = form.calculator
    if box is None or derived is None:
        return
    factors = assessment.factors.values
    if derived.child_pugh_points:
        total = sum(derived.child_pugh_points.values())
        used = ("used" if derived.child_pugh_from_labs else
                f"the score entered, {derived.child_pugh_score}, is used")
        lines = [f"**Child-Pugh from labs: {total} points, class {child_pugh_class(total)}** "
                 f"({esc(used)})"]
        for item in CHILD_PUGH_LABS:
            factor = content.factor(item)
            points = derived.child_pugh_points[item]
            lines.append(f"- {esc(text_in(factor.label, LANG))}: "
                         f"{esc(_entered(content, factor, factors))} → "
                         f"{points} {'point' if points == 1 else 'points'}")
        box.markdown("\n".join(lines))
        if derived.child_pugh_from_labs and "child_pugh_score" in form.slots:
            form.slots["child_pugh_score"].markdown(
                f"Computed from labs: **{total}, class {child_pugh_class(total)}** (details under "
                "Optional labs)")
    else:
        missing = [text_in(content.factor(f).label, LANG) for f in CHILD_PUGH_LABS
                   if factors.get(f) is None]
        box.markdown(esc("Child-Pugh from labs: enter " + ", ".join(missing) + "."))
    if derived.albi_score is not None:
        how = ("used" if derived.albi_from_labs else
               f"the grade entered, {derived.albi_grade}, is used")
        score = f"{derived.albi_score:.2f}".replace("-", "−")
        box.markdown(f"**ALBI from labs: {esc(score)}, grade "
                     f"{albi_grade(derived.albi_score)}** ({esc(how)})")
        if derived.albi_from_labs and "albi_grade" in form.slots:
            form.slots["albi_grade"].markdown(
                f"Computed from labs: **grade {derived.albi_grade}**")
    else:
        box.markdown("ALBI from labs: enter bilirubin and albumin.")


def _entered(content: Content, factor: Factor, values: dict) -> str:
    """The value used, with the value as entered when it was given in another unit."""
    used = view.format_value(factor, values.get(factor.id), LANG)
    for alias in (content.factor(a) for a in content.aliases_of(factor.id)):
        if values.get(alias.id) is not None:
            return f"{view.format_value(alias, values[alias.id], LANG)} = {used}"
    return used


def show_waiting() -> None:
    st.info("Enter what is known about the patient and press **Show options**. Fields left "
            "empty count as not yet known, and the options that depend on them are marked "
            "for caution.", icon=":material/edit_note:")


# --------------------------------------------------------------------------- results


def show_results(content: Content, assessment: Assessment) -> None:
    """Warnings, summary line, the option cards and the comparison table."""
    st.header("2. Options side by side", divider="gray")
    for warning in assessment.warnings:
        st.warning(f"**{esc(warning.code)}** {esc(warning.message)}", icon=":material/warning:")
    _summary(content, assessment)
    st.info(esc(content.string("ui.mdt_note", LANG)), icon=":material/groups:")
    cards, table = st.tabs(["Option cards", "Comparison table"])
    results = list(assessment.results)
    facts = view.screen_facts(assessment)  # derived once for every card's "Why?" panel
    with cards:
        for start in range(0, len(results), CARDS_PER_ROW):
            row = st.columns(CARDS_PER_ROW, gap="small")
            for column, result in zip(row, results[start:start + CARDS_PER_ROW]):
                with column:
                    _card(content, assessment, result, facts)
    with table:
        _comparison(content, assessment)


def _summary(content: Content, assessment: Assessment) -> None:
    counts = view.verdict_counts(assessment)
    parts = [_badge(content, v, f": {counts[v]}") for v in Verdict]
    st.markdown(f"**{esc(recurrence_label(assessment, content, LANG))}**  \n"
                + " ".join(parts)
                + f" Check code **{esc(assessment.fingerprint)}** (printed on the sheet)")
    unknown = view.unknown_labels(assessment, content, LANG)
    if unknown:
        st.markdown(f"**Not yet known ({len(unknown)}):** " + esc(", ".join(unknown)))


def _badge(content: Content, verdict: Verdict, suffix: str = "") -> str:
    colour, icon = VERDICT_STYLE[verdict]
    words = content.string(f"ui.verdict_{verdict.value}", LANG)
    return f":{colour}-badge[{icon} {esc(words + suffix)}]"


def _card(content: Content, assessment: Assessment, result: OptionResult,
          facts: dict[str, Any]) -> None:
    option = content.option(result.option_id)
    with st.container(border=True, key=f"card_{option.id}"):
        st.markdown(f"**{esc(option.name(LANG))}**  \n{_badge(content, result.verdict)}")
        reason = finding_text(result.main_finding, content, LANG)
        st.markdown(esc(reason))
        if result.track_verdicts:
            st.markdown(" · ".join(f"{esc(track.capitalize())} track: "
                                   f"{esc(content.string(f'ui.verdict_{v.value}', LANG))}"
                                   for track, v in result.track_verdicts.items()))
        if result.line or result.notes:
            _systemic(content, result)
        with st.expander(f"Why? {len(result.findings)} "
                         f"{'rule' if len(result.findings) == 1 else 'rules'}"):
            _why(content, assessment, result, facts)


def _systemic(content: Content, result: OptionResult) -> None:
    option = content.option(result.option_id)
    if result.line:
        heading = content.string(f"ui.line_heading_{result.line}", LANG)
        st.markdown(f"**{esc(heading)}**  \n{esc(text_in(option.lines[result.line], LANG))}")
        st.markdown(esc(content.string("ui.funding_note", LANG)))
    if result.notes:
        notes = [f"- **{esc(n)}** {esc(text_in(content.rule(n).clinician, LANG))}"
                 for n in result.notes]
        st.markdown(f"**{esc(content.string('ui.notes_heading', LANG))}**\n\n" + "\n".join(notes))


def _why(content: Content, assessment: Assessment, result: OptionResult,
         facts: dict[str, Any]) -> None:
    option = content.option(result.option_id)
    parts = []
    for item in view.finding_views(assessment, content, result.option_id, LANG, facts):
        track = f" ({esc(item.track)} track)" if item.track != "main" else ""
        sources = "  \n".join(f"{esc(s.id)}: {esc(s.citation)}"
                              + (f" [{esc(_host(s.url))}]({s.url})" if s.url else "")
                              for s in item.sources) or "No source listed"
        values = " · ".join(f"{esc(label)}: **{esc(value)}**" for label, value in item.values)
        parts.append(f"{_badge(content, item.verdict)} **{esc(item.rule_id)}**{track} · "
                     f"*{esc(item.tag)}*  \n{esc(item.text)}  \n"
                     f"**Sources**  \n{sources}  \n**Values read** "
                     f"{values or 'none: this rule applies whatever the values'}")
    parts.append(f"*Content {esc(content.version)}, reviewed {option.last_reviewed} by "
                 f"{esc(option.reviewed_by)}; next review {option.next_review}.*")
    st.markdown("\n\n---\n\n".join(parts))


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0]


def _comparison(content: Content, assessment: Assessment) -> None:
    scope = st.segmented_control("Show in the table", ["Options to discuss", "All options"],
                                 default="Options to discuss", key="table_scope",
                                 required=True)
    chosen = None if scope == "All options" else selected_options(content, assessment)
    frame = tables.comparison_frame(content, assessment, chosen, LANG)
    if frame.empty:
        st.markdown("No options are ticked for discussion (see the sheet section below).")
        return
    st.table(frame.map(esc).rename(index=esc))


# --------------------------------------------------------------------------- sheet


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
            f"{esc(option.name(LANG))}  \n{_badge(content, verdict)}",
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
        st.download_button("Download discussion sheet (PDF)", data=prepared["data"],
                           file_name=prepared["file_name"], mime="application/pdf",
                           on_click="ignore", key="download", icon=":material/download:",
                           type="primary")


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
