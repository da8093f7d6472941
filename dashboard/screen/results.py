"""The options side by side: summary, one card per option with its "Why?" panel, the table.

No clinical rule or wording lives here: verdict words and reasons come from content (through
core and `view`). Content text shown through Markdown is escaped.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.adapters import frames
from dashboard.core.assessment import Assessment, OptionResult, Verdict
from dashboard.core.content import Content, text_in
from dashboard.core.explain import finding_text, line_text, recurrence_label, verdict_words
from dashboard.screen import sheet_panel, view
from dashboard.screen.view import LANG, esc

CARDS_PER_ROW = 4


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
    parts = [view.badge(content, v, f": {counts[v]}") for v in Verdict]
    st.markdown(f"**{esc(recurrence_label(assessment, content, LANG))}**  \n"
                + " ".join(parts)
                + f" Check code **{esc(assessment.fingerprint)}** (printed on the sheet)")
    unknown = view.unknown_labels(assessment, content, LANG)
    if unknown:
        st.markdown(f"**Not yet known ({len(unknown)}):** " + esc(", ".join(unknown)))


def _card(content: Content, assessment: Assessment, result: OptionResult,
          facts: dict[str, Any]) -> None:
    option = content.option(result.option_id)
    with st.container(border=True, key=f"card_{option.id}"):
        st.markdown(f"**{esc(option.name(LANG))}**  \n{view.badge(content, result.verdict)}")
        reason = finding_text(result.main_finding, content, LANG)
        st.markdown(esc(reason))
        if result.track_verdicts:
            st.markdown(" · ".join(f"{esc(track.capitalize())} track: "
                                   f"{esc(verdict_words(v, content, LANG))}"
                                   for track, v in result.track_verdicts.items()))
        if result.line or result.notes:
            _systemic(content, assessment, result)
        with st.expander(f"Why? {len(result.findings)} "
                         f"{'rule' if len(result.findings) == 1 else 'rules'}"):
            _why(content, assessment, result, facts)


def _systemic(content: Content, assessment: Assessment, result: OptionResult) -> None:
    if result.line:  # the line of therapy for this patient (TKIs first after a transplant)
        heading = content.string(f"ui.line_heading_{result.line}", LANG)
        text = line_text(content, assessment, result.option_id, LANG)
        st.markdown(f"**{esc(heading)}**  \n{esc(text)}")
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
        parts.append(f"{view.badge(content, item.verdict)} **{esc(item.rule_id)}**{track} · "
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
    chosen = None if scope == "All options" else sheet_panel.selected_options(content, assessment)
    frame = frames.comparison_frame(content, assessment, chosen, LANG)
    if frame.empty:
        st.markdown("No options are ticked for discussion (see the sheet section below).")
        return
    st.table(frame.map(esc).rename(index=esc))


