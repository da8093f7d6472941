"""The options side by side: summary, one card per option with its "Why?" panel, the table.

A card is one glance: the verdict in words with its icon, one short deciding reason, and what is
not yet known for that option only. "Why?" holds every rule that fired, with its sources and the
values the engine read. No clinical rule or wording lives here: verdict words and reasons come
from content (through core and `view`). Content text shown through Markdown is escaped.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.adapters import frames
from dashboard.core.assessment import Assessment, OptionResult, Verdict
from dashboard.core.content import Content, text_in
from dashboard.core.explain import line_text, recurrence_label, verdict_words
from dashboard.screen import view
from dashboard.screen.view import LANG, esc, words

CARD_MIN_WIDTH = 190  # px: cards reflow to fewer per row on narrower panes
CARDS_HEIGHT = 480  # px: the cards scroll inside the options pane, beside the form
WHY = "why_"  # "Why?" expanders: why_<option id>
COMPARE = "compare"  # the comparison table's expander
TABLE_SCOPE = "table_scope"  # the table's "options that fit / every option" switch


def lazy_expander(label: str, *, key: str, icon: str | None = None) -> Any:
    """An expander whose content is drawn only while it is open (`.open`): every closed
    "Why?", table or note is then not sent, laid out and styled in the browser on each change
    of a value (most of a change's time went there: bench/bench_screen.py). Opening it reruns
    the page (or the fragment holding it), which draws its content from the values then on
    screen. Its open state lives in the session only (`key`), like any widget's."""
    return st.expander(label, key=key, icon=icon, on_change="rerun")


def show_results(content: Content, assessment: Assessment, values: dict[str, Any]) -> None:
    """Warnings, the summary line and the option cards (in the results pane); `values` are
    the form's values as typed (for the warnings' words)."""
    st.header(words(content, "options_heading"), anchor="options")
    for warning in assessment.warnings:
        st.warning(esc(view.issue_words(content, warning, values)),
                   icon=":material/warning:")
    _summary(content, assessment)
    results = list(assessment.results)
    facts = view.screen_facts(assessment)  # derived once for every card's "Why?" panel
    with st.container(key="cards", height=CARDS_HEIGHT, border=False):
        grid = st.grid("auto", min_column_width=CARD_MIN_WIDTH, gap="small")
        for result in results:
            _card(grid, content, assessment, result, facts)
    st.markdown(esc(content.string("clinic_day.board_mdt_note", LANG)))  # as the board list


def show_comparison(content: Content, assessment: Assessment) -> None:
    """The options side by side on each aspect, full width under the panes."""
    aspects = ", ".join(title.lower() for title, _ in frames.comparison_aspects(content, LANG))
    compare = lazy_expander(words(content, "compare_label", aspects=aspects), key=COMPARE,
                            icon=":material/table_chart:")
    if compare.open:
        with compare:
            _comparison(content, assessment)


def _summary(content: Content, assessment: Assessment) -> None:
    counts = view.verdict_counts(assessment)
    parts = [view.badge(content, v, f": {counts[v]}") for v in Verdict]
    st.markdown(f"**{esc(recurrence_label(assessment, content, LANG))}**  \n"
                + " ".join(parts)
                + "  \n" + words(content, "check_code_line", code=esc(assessment.fingerprint)))


def _card(grid: Any, content: Content, assessment: Assessment, result: OptionResult,
          facts: dict[str, Any]) -> None:
    option = content.option(result.option_id)
    # A card whose "Why?" is open takes the whole row: its rules, sources and values read in a
    # 200 px column made a card about 3,700 px tall at 1024 px. Every card sits in a cell of
    # its own whose span alone changes as "Why?" opens: a card moved from the grid into a new
    # cell was rebuilt by the browser, and the keyboard's focus on its "Why?" fell back to the
    # top of the page (H127). One more element per card on each change (bench/bench_screen.py).
    place = grid.cell(column_span="all" if st.session_state.get(WHY + option.id) else 1)
    with place.container(border=True, key=f"card_{option.id}"):
        # One Markdown element per card (each one drawn costs the browser about as much as a
        # card's text: bench/bench_screen.py), its parts as paragraphs.
        parts = [f"**{esc(option.name(LANG))}**  \n{view.badge(content, result.verdict)}",
                 esc(view.card_reason(content, result.main_finding, LANG))]
        unknown = view.option_unknown(content, result, LANG)
        if unknown and not result.main_finding.unknown:
            parts.append(esc(content.string("ui.unknown_clinician", LANG).format(
                fields=", ".join(unknown))))
        if result.track_verdicts:
            parts.append(" · ".join(esc(words(content, "track_verdict", track=track.capitalize(),
                                              verdict=verdict_words(v, content, LANG)))
                                    for track, v in result.track_verdicts.items()))
        if result.line and result.verdict is not Verdict.NOT_APPLICABLE:
            parts.append(f"**{esc(content.string(f'ui.line_heading_{result.line}', LANG))}** "
                         + esc(words(content, "line_agents")))
        st.markdown("\n\n".join(parts))
        count = len(result.findings)
        why = lazy_expander(words(content, "why_label_one") if count == 1 else
                            words(content, "why_label", count=count), key=f"{WHY}{option.id}")
        if why.open:
            with why:
                _why(content, assessment, result, facts)


def _why(content: Content, assessment: Assessment, result: OptionResult,
         facts: dict[str, Any]) -> None:
    option = content.option(result.option_id)
    w = {k: words(content, k) for k in ("why_deciding", "why_also_noted", "why_no_source",
                                         "why_sources", "why_values_read", "why_no_values")}
    items = view.finding_views(assessment, content, result.option_id, LANG, facts)
    main = result.findings.index(result.main_finding)
    parts = []
    for i, item in enumerate(items):
        heading = f"**{esc(w['why_deciding'] if i == main else w['why_also_noted'])}**"
        track = (" " + esc(words(content, "why_track", track=item.track))
                 if item.track != "main" else "")
        sources = "  \n".join(f"{esc(s.id)}: {esc(s.citation)}"
                              + (f" [{esc(_host(s.url))}]({s.url})" if s.url else "")
                              for s in item.sources) or esc(w["why_no_source"])
        values = " · ".join(f"{esc(label)}: **{esc(value)}**" for label, value in item.values)
        parts.append(f"{heading} {view.verdict_text(content, item.verdict)} "
                     f"**{esc(item.rule_id)}**{track} · *{esc(item.tag)}*  \n{esc(item.text)}  \n"
                     f"**{esc(w['why_sources'])}**  \n{sources}  \n"
                     f"**{esc(w['why_values_read'])}** {values or esc(w['why_no_values'])}")
    if result.line and result.verdict is not Verdict.NOT_APPLICABLE:
        parts.append(f"**{esc(content.string(f'ui.line_heading_{result.line}', LANG))}**  \n"
                     f"{esc(line_text(content, assessment, result.option_id, LANG))}")
    if result.notes:
        notes = [f"- **{esc(n)}** {esc(text_in(content.rule(n).clinician, LANG))}"
                 for n in result.notes]
        parts.append(f"**{esc(content.string('ui.notes_heading', LANG))}**\n\n" + "\n".join(notes)
                     + f"\n\n{esc(content.string('ui.funding_note', LANG))}")
    parts.append("*" + esc(words(content, "why_review", version=content.version,
                                 last=option.last_reviewed, by=option.reviewed_by,
                                 next=option.next_review)) + "*")
    st.markdown("\n\n---\n\n".join(parts))


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0]


def _comparison(content: Content, assessment: Assessment) -> None:
    fitting, every = words(content, "compare_fitting"), words(content, "compare_all")
    scope = st.segmented_control(words(content, "compare_scope"), [fitting, every],
                                 default=fitting, key=TABLE_SCOPE, required=True)
    chosen = None if scope == every else [
        r.option_id for r in assessment.results if r.verdict is not Verdict.NOT_APPLICABLE]
    frame = frames.comparison_frame(content, assessment, chosen, LANG)
    if frame.empty:
        st.markdown(words(content, "compare_none"))
        return
    st.table(frame.map(esc).rename(index=esc))
