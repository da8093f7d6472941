"""The factor form: every patient field, its messages beside it, and the live calculators.

Labels, help, units and allowed values come from content. Patient values live only in
`st.session_state` (widget keys `f_<field id>`, unit switches `u_<field id>`); nothing per
patient is cached, logged or put in the URL.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard.core import usertext
from dashboard.core.assessment import Assessment
from dashboard.core.content import Content, Factor, text_in
from dashboard.core.derive import CHILD_PUGH_LABS, albi_grade, child_pugh_class
from dashboard.screen import view
from dashboard.screen.view import LANG, esc

FIELD = "f_"  # widget keys of patient factors: f_<field id>
UNIT = "u_"  # unit switches: u_<field id>
SUBMITTED = "factors_submitted"
YES_NO = ("yes", "no", "unknown")
FORM_COLUMNS = 4
NUMBER_MAX_CHARS = 20  # typed numbers (labs, sizes): longer text is not a number anyway


@dataclass
class FactorForm:
    """What the factor form gave: the engine's input dict, and places to show messages."""

    data: dict[str, Any] | None  # None until the form has been submitted once
    slots: dict[str, Any] = field(default_factory=dict)  # field id -> container under the widget
    calculator: Any = None  # container for the Child-Pugh / ALBI panel


def _mark_submitted() -> None:
    st.session_state[SUBMITTED] = True


# --------------------------------------------------------------------------- factor form


def factor_form(content: Content) -> FactorForm:
    """The grouped factor form. Values reach Python on "Show options" and are kept on errors."""
    st.header("1. Patient factors", divider="gray")
    form = FactorForm(data=None)
    with st.form("factors", clear_on_submit=False, enter_to_submit=False, border=True):
        columns = st.columns(FORM_COLUMNS, gap="medium")
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


def form_defaults(content: Content) -> dict[str, Any]:
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
        lines = [(f"**Child-Pugh from labs: {total} points, class {child_pugh_class(total)}** "
                 f"({esc(used)})")]
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


