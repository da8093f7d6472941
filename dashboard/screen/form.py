"""The factor form: every patient field, its messages beside it, and the live calculators.

The form is live: each change reruns the page, so the options beside it always match the values
on screen (hazard H60). Labels, help, units and allowed values come from content. Patient
values live only in `st.session_state` (widget keys `f_<field id>`, unit switches
`u_<field id>`); nothing per patient is cached, logged or put in the URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard.core import usertext
from dashboard.core.assessment import Assessment, Derived
from dashboard.core.content import Content, Factor, text_in
from dashboard.core.derive import CHILD_PUGH_LABS, albi_grade, child_pugh_class
from dashboard.screen import view
from dashboard.screen.view import LANG, ScreenIssues, esc, label_md, words

FIELD = "f_"  # widget keys of patient factors: f_<field id>
UNIT = "u_"  # unit switches: u_<field id>
HELP = "form_help"  # the form's one help box (its text drawn only while open)
UNKNOWN = "unknown"  # the "Not known" choice of a row of choices: the value is not known
YES_NO = ("yes", "no", UNKNOWN)
CALCULATOR_FIELDS = ("child_pugh_score", "albi_grade", *CHILD_PUGH_LABS)  # drawn together
PANE_HEIGHT = 600  # px: form and options scroll inside their panes, so both stay in view
GROUP_MIN_WIDTH = 270  # px: narrower panes show the groups in one column
RADIO_MAX_CHARS = 24  # choices with longer value labels are listed one per line
NUMBER_MAX_CHARS = 20  # typed numbers (labs, sizes): longer text is not a number anyway


@dataclass
class FactorForm:
    """What the factor form gave: the engine's input dict, and places to show messages."""

    data: dict[str, Any] | None  # None while nothing has been entered
    slots: dict[str, Any] = field(default_factory=dict)  # field id -> container under the widget
    calculator: Any = None  # container for the Child-Pugh / ALBI panel
    # the base fields a validation or warning code names (worked out once per draw)
    message_fields: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- factor form


def factor_form(content: Content) -> FactorForm:
    """The grouped factor form, in a pane that scrolls on its own (values reach Python live)."""
    st.header(words(content, "form_heading"), anchor="patient-factors")
    _help(content)
    form = FactorForm(data=None, message_fields=_message_fields(content))
    with st.container(key="factor_form", height=PANE_HEIGHT, border=True):
        grid = st.grid(2, min_column_width=GROUP_MIN_WIDTH, gap="medium")
        for groups in _group_columns(content, 2):
            with grid.cell():
                for group_id, label in groups:
                    _group(content, group_id, label, form)
    form.data = values_now(content)
    return form


def values_now(content: Content) -> dict[str, Any] | None:
    """The engine's input from the values the browser last sent (None while nothing is
    entered). The sheet panel, a fragment, compares it with the values its options were
    assessed from: a value sent with the Prepare click (typed, never blurred) then shows."""
    return _factor_data(content) if _anything_entered(content) else None


def _group_columns(content: Content, n: int) -> list[list[tuple[str, str]]]:
    """Groups in content order, cut into `n` columns of roughly equal numbers of fields."""
    groups = [(gid, text_in(label, LANG)) for gid, label in content.groups]
    sizes = [_group_size(content, g) for g, _ in groups]
    target, out, current, filled = sum(sizes) / n, [[] for _ in range(n)], 0, 0
    for group, size in zip(groups, sizes):
        if filled >= target * (current + 1) - size / 2 and current < n - 1 and out[current]:
            current += 1
        out[current].append(group)
        filled += size
    return out


def _group_size(content: Content, group_id: str) -> int:
    return sum(1 for f in _group_fields(content, group_id)) + (
        len(CALCULATOR_FIELDS) + 3 if group_id == "liver" else 0)


def _group_fields(content: Content, group_id: str) -> list[Factor]:
    """A group's fields; the Child-Pugh and ALBI inputs are drawn together under liver function."""
    return [f for f in content.factors if f.group == group_id and not f.alias_of
            and f.id not in CALCULATOR_FIELDS]


def _group(content: Content, group_id: str, label: str, form: FactorForm) -> None:
    st.subheader(label, anchor=f"group-{group_id}", divider=False)
    factors = _group_fields(content, group_id)
    for factor in factors:
        _field(content, factor, form)
    if group_id == "liver":
        st.markdown(f"#### {esc(words(content, 'calculator_heading'))}")
        factors = [content.factor(f) for f in CALCULATOR_FIELDS]
        for factor in factors:
            _field(content, factor, form)
            if factor.id == "albi_grade":  # the scores, then what the labs give, then the labs
                form.calculator = st.container(key="calculator", border=True)


def _help(content: Content) -> None:
    """Every field's help, group by group, in one box for the whole form above it: one Tab
    stop, not one per field (or per group: each closed box was one more element for the
    browser to redraw on every change of a value, bench/bench_screen.py). A popover: it opens
    over the form, so the fields stay where they are; its text is drawn only while it is open
    (as `results.lazy_expander`)."""
    box = st.popover(words(content, "form_help"), key=HELP, icon=":material/help:",
                     on_change="rerun")
    if not box.open:
        return
    lines = []
    for group_id, label in content.groups:
        factors = _group_fields(content, group_id) + (
            [content.factor(f) for f in CALCULATOR_FIELDS] if group_id == "liver" else [])
        items = [f"- **{esc(text_in(f.label, LANG))}**: {esc(text_in(f.help, LANG))}"
                 for f in factors if text_in(f.help, LANG)]
        if items:
            lines += [f"**{esc(text_in(label, LANG))}**", "", *items, ""]
    box.markdown("\n".join(lines))


def _field(content: Content, factor: Factor, form: FactorForm) -> None:
    aliases = [content.factor(a) for a in content.aliases_of(factor.id)]
    label = text_in(factor.label, LANG)
    key = FIELD + factor.id
    if _may_have_message(form, factor):  # above the field: a link to it shows both
        form.slots[factor.id] = st.container(key=f"msg_{factor.id}")
    if aliases:
        _unit_number(content, factor, aliases, label)
    elif factor.kind == "yes_no" and factor.core:
        st.radio(label_md(label), YES_NO, index=None, horizontal=True, key=key,
                 format_func={v: _yes_no_words(content, v) for v in YES_NO}.get)
    elif factor.kind == "yes_no":
        st.checkbox(label_md(label), key=key, wrap=True)
    elif factor.kind == "choice" or (factor.kind == "integer" and factor.value_labels):
        values = factor.values or tuple(int(v) for v in factor.value_labels)
        # format_func is kept in the session (pickled): a dict's get, not a function of content
        shown = {v: view.format_value(content, factor, v) for v in values}
        if len(values) <= 5:  # every choice visible, wrapping: nothing is ever cut off
            longest = max(len(words) for words in shown.values())
            st.radio(label_md(label), values, index=None, key=key, format_func=shown.get,
                     horizontal=longest <= RADIO_MAX_CHARS)
        else:
            st.selectbox(label_md(label), values, index=None, key=key, format_func=shown.get,
                         placeholder=_placeholder(content, factor))
    elif factor.kind == "count":
        # A row of choices, not a list box: every count in view at once, one Tab stop, and no
        # list-box code for the browser to fetch before the form is drawn (the only list box
        # at load: its ten script files came in the same six connections as the text fields',
        # bench/bench_screen.py). "Not known" sets it back, as clearing the list box did.
        counts = _counts(factor)
        st.radio(label_md(label), counts, index=None, key=key, horizontal=True,
                 format_func={c: _count_words(content, c) for c in counts}.get)
    else:
        unit = f" ({factor.unit})" if factor.unit and factor.unit not in label else ""
        _number(content, factor, label + unit)


def _may_have_message(form: FactorForm, factor: Factor) -> bool:
    """Whether a message can ever sit beside this field: a typed number (type and range
    errors) or a field a validation or warning code names. Other fields get no container (each
    element costs the browser on every change); a message for one would still show, with
    every warning above the options and every error in the list under the form."""
    return _typed_number(factor) or factor.id in form.message_fields


def _message_fields(content: Content) -> frozenset[str]:
    """The base fields any validation or warning code names (content is immutable)."""
    return frozenset(_base_field(content, f) for rule in content.validation for f in rule.fields)


def _yes_no_words(content: Content, value: str) -> str:
    return words(content, {"yes": "value_yes", "no": "value_no"}.get(value,
                                                                    "value_unknown_choice"))


def _counts(factor: Factor) -> tuple[int | str, ...]:
    """A count's choices: each whole number in range, diffuse, and not known."""
    return (*range(int(factor.minimum or 0), int(factor.maximum or 10) + 1), "diffuse",
            UNKNOWN)


def _count_words(content: Content, value: int | str) -> str:
    if value == UNKNOWN:
        return words(content, "value_unknown_choice")
    return words(content, "value_count_diffuse") if value == "diffuse" else str(value)


def _placeholder(content: Content, factor: Factor) -> str:
    if factor.core:
        return words(content, "value_not_known")
    if factor.default is not None:
        return words(content, "value_not_entered_default", default=factor.default)
    return words(content, "value_not_entered")


def _number(content: Content, factor: Factor, label: str, key: str | None = None) -> None:
    """A number typed as text and read by `usertext.parse_number` (safety case 21).

    Not `st.number_input`: its browser widget drops a decimal comma as it is typed, so "2,5" cm
    arrives as 25 and "1,25" as 125 in every browser locale. Typed text reaches the engine
    unread unless it is a plain decimal number; the engine then refuses it beside the field
    ("use a decimal point"), and range errors come from the engine too.
    """
    st.text_input(label_md(label), key=key or FIELD + factor.id,
                  placeholder=_placeholder(content, factor), max_chars=NUMBER_MAX_CHARS,
                  autocomplete="off")


def _typed_number(factor: Factor) -> bool:
    """True for the fields `_field` draws with `_number` (text read as a number)."""
    return factor.kind == "number" or (factor.kind == "integer" and not factor.value_labels)


def _unit_number(content: Content, factor: Factor, aliases: list[Factor], label: str) -> None:
    """A lab value with its unit switch on the line below (never squeezed beside it)."""
    units = (factor, *aliases)
    _number(content, factor, label)
    st.radio(label_md(words(content, "unit_switch_label", field=label)), [u.unit for u in units],
             key=UNIT + factor.id,
             horizontal=True, label_visibility="collapsed")


def _anything_entered(content: Content) -> bool:
    """Whether any patient field holds a value (the options appear from the first one)."""
    state = st.session_state
    return any(state.get(FIELD + f.id) not in (None, "", False)
               for f in content.factors if not f.alias_of)


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
        elif value == UNKNOWN and factor.kind == "count":
            value = None
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


def show_messages(content: Content, form: FactorForm, issues: ScreenIssues) -> None:
    """Every error and warning beside each field it concerns; the live calculators.

    Each error opens, right above the first field it names, with a heading "Problem 1 of 2":
    the error list under the options links to it (`problem_anchor`), so following a link shows
    the field's own message with the field under it, not its group (H121). A Markdown heading
    is the one anchor Streamlit gives an element without HTML (SEC-2); its id is the slug of
    its text. The heading has no "Link to heading" icon (`anchors=False` keeps the id): after
    a link is followed the browser's next Tab stop is then the field itself, not that icon
    (H128)."""
    values = form.data or {}
    total = len(issues.errors)
    for number, issue in enumerate(issues.errors, 1):
        for i, slot in enumerate(_issue_slots(content, form, issue)):
            if i == 0:  # one anchor per problem, beside its first field
                heading = words(content, "problem_heading", number=number, total=total)
                slot.markdown(f"#### {esc(heading)}", anchors=False)
            slot.error(esc(view.issue_words(content, issue, values)), icon=":material/error:")
    for issue in issues.warnings:
        for slot in _issue_slots(content, form, issue):
            slot.warning(esc(view.issue_words(content, issue, values)),
                         icon=":material/warning:")
    calculator(content, form, issues.derived)


def problem_anchor(content: Content, number: int, total: int) -> str:
    """The id Streamlit gives the heading of problem `number` beside its field: the slug of the
    heading's words (lower case, each run of other characters one hyphen). The content words
    are plain ASCII, so the slug is exactly this (a browser test follows every link)."""
    heading = words(content, "problem_heading", number=number, total=total)
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def error_list(content: Content, form: FactorForm, issues: ScreenIssues) -> None:
    """The errors listed together, each linking to its message beside the field it names (or,
    for a field without a place in the form, to the group that holds it)."""
    values = form.data or {}
    lines = []
    total = len(issues.errors)
    for number, issue in enumerate(issues.errors, 1):
        fields = _issue_fields(content, issue)
        names = ", ".join(_field_name(content, f) for f in fields) or words(content,
                                                                            "errors_form")
        group = _group_of(content, fields[0]) if fields else ""
        if _issue_slots(content, form, issue):
            link = f"[{esc(names)}](#{problem_anchor(content, number, total)})"
        else:
            link = f"[{esc(names)}](#group-{group})" if group else esc(names)
        lines.append(f"- {link}: {esc(view.issue_words(content, issue, values))}")
    st.error(f"**{esc(content.string('ui.errors_heading', LANG))}**\n\n" + "\n".join(lines),
             icon=":material/error:")


def _issue_fields(content: Content, issue: Any) -> list[str]:
    """The form fields an issue names: a validation code's `fields` in content (so "bilirubin
    cannot be negative" also sits beside bilirubin), or the single field of a type or range
    error; unit aliases are shown at their base field."""
    try:
        fields = content.rule(issue.code).fields or (issue.field,)
    except KeyError:
        fields = (issue.field,)
    out: list[str] = []
    for field_id in fields:
        base = _base_field(content, field_id)
        if base and base not in out and content.has_factor(base):
            out.append(base)
    return out


def _issue_slots(content: Content, form: FactorForm, issue: Any) -> list[Any]:
    return [form.slots[f] for f in _issue_fields(content, issue) if f in form.slots]


def _group_of(content: Content, field_id: str) -> str:
    return "liver" if field_id in CALCULATOR_FIELDS else content.factor(field_id).group


def values_confirmed(content: Content, assessment: Assessment, values: dict[str, Any]) -> bool:
    """Warnings that content marks for confirmation (implausible values) hold back the results
    until the clinician ticks that the value is right; any change of inputs asks again."""
    try:
        codes = set(content.string("ui.confirm_before_results", LANG))
    except KeyError:
        codes = set()
    pending = [w for w in assessment.warnings if w.code in codes]
    confirmed = True
    for warning in pending:
        st.warning(esc(view.issue_words(content, warning, values)), icon=":material/warning:")
        label = words(content, "confirm_value", field=_field_name(content, warning.field))
        key = f"confirm_{warning.code}_{assessment.fingerprint}"
        confirmed &= st.checkbox(label_md(label), key=key, wrap=True)
    if not confirmed:
        st.info(esc(words(content, "confirm_waiting")), icon=":material/fact_check:")
    return confirmed


def _base_field(content: Content, field_id: str) -> str:
    try:
        return content.factor(field_id).alias_of or field_id
    except KeyError:
        return field_id


def _field_name(content: Content, field_id: str) -> str:
    try:
        return text_in(content.factor(_base_field(content, field_id)).label, LANG)
    except KeyError:
        return field_id


def calculator(content: Content, form: FactorForm, derived: Derived | None) -> None:
    """Child-Pugh points per lab item and ALBI, as the labs are typed, beside the Child-Pugh
    field, with the value typed and the converted value, and the score the rules use."""
    box = form.calculator
    if box is None:
        return
    values = form.data or {}
    with box:
        if derived is None:
            st.markdown(words(content, "calculator_empty"))
            return
        st.markdown("\n".join(_child_pugh_lines(content, derived, values)) + "\n\n"
                    + "\n".join(_albi_lines(content, derived)))  # one element: one redraw


def _child_pugh_lines(content: Content, derived: Derived, values: dict[str, Any]) -> list[str]:
    entered = values.get("child_pugh_score")
    if derived.child_pugh_points:
        total = sum(derived.child_pugh_points.values())
        lines = [words(content, "cp_from_labs", total=total, cls=child_pugh_class(total))]
        for item in CHILD_PUGH_LABS:
            factor = content.factor(item)
            points = derived.child_pugh_points[item]
            lines.append("- " + esc(words(content, "cp_item_one" if points == 1 else "cp_item",
                                          field=text_in(factor.label, LANG),
                                          value=_entered(content, factor, values),
                                          points=points)))
    else:
        missing = [text_in(content.factor(f).label, LANG) for f in CHILD_PUGH_LABS
                   if _typed(content, f, values) is None]
        lines = [esc(words(content, "cp_labs_missing", fields=", ".join(missing)))]
    used = derived.child_pugh_score
    if used is None:
        lines.append("\n" + words(content, "cp_rules_unknown"))
    else:
        labs = sum(derived.child_pugh_points.values()) if derived.child_pugh_points else None
        both = entered is not None and labs is not None and labs != entered
        lines.append("\n" + words(
            content, "cp_rules_use_both" if both else "cp_rules_use", score=used,
            cls=derived.child_pugh_class or child_pugh_class(used), entered=entered, labs=labs,
            source=words(content, "source_labs" if derived.child_pugh_from_labs
                         else "source_entered")))
    return lines


def _albi_lines(content: Content, derived: Derived) -> list[str]:
    if derived.albi_score is not None:
        score = f"{derived.albi_score:.2f}".replace("-", "−")
        line = words(content, "albi_from_labs", score=esc(score),
                     grade=albi_grade(derived.albi_score))
    else:
        line = esc(words(content, "albi_labs_missing"))
    if derived.albi_grade is not None:
        line += "  \n" + words(content, "albi_rules_use", grade=derived.albi_grade,
                               source=words(content, "source_labs" if derived.albi_from_labs
                                            else "source_entered"))
    return [line]


def _typed(content: Content, field_id: str, values: dict[str, Any]) -> Any:
    """A field's value as typed, in whichever unit it was typed."""
    for name in (field_id, *content.aliases_of(field_id)):
        if values.get(name) is not None:
            return values[name]
    return None


def _entered(content: Content, factor: Factor, values: dict) -> str:
    """The value used, with the value as typed when it was given in another unit."""
    for alias in (content.factor(a) for a in content.aliases_of(factor.id)):
        if values.get(alias.id) is not None:
            typed = view.format_value(content, alias, values[alias.id], LANG)
            converted = view.convert_value(alias, values[alias.id])
            return f"{typed} = {view.format_value(content, factor, converted, LANG)}"
    return view.format_value(content, factor, values.get(factor.id), LANG)


def show_waiting(content: Content) -> None:
    st.info(esc(content.string("ui.waiting", LANG)), icon=":material/edit_note:")
