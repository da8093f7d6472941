"""Content loading: the real content loads; every broken fixture fails with its message."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from dashboard.core.loader import ContentError, load_content
from tests.conftest import FIXTURES, ROOT

BAD = sorted((FIXTURES / "bad_content").glob("*.toml"))
OPTION_IDS = ["resection", "transplant", "rfa", "mwa", "pei", "tace", "tare", "sbrt",
              "systemic", "supportive_care", "clinical_trial"]


def _directives(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line[2:].split(":", 1)[0]: line.split(":", 1)[1].strip()
            for line in lines[:2] if line.startswith("# ")}


def _broken_copy(fixture: Path, tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    d = _directives(fixture)
    if "replaces" in d:
        (root / d["replaces"]).write_text(fixture.read_text(encoding="utf-8"), encoding="utf-8")
    elif "appends" in d:
        with (root / d["appends"]).open("a", encoding="utf-8") as f:
            f.write("\n" + fixture.read_text(encoding="utf-8"))
    else:
        (root / d["deletes"]).unlink()
    return root


@pytest.mark.hazard("H02")
def test_real_content_loads_with_all_eleven_options_in_order(content):
    assert [o.id for o in content.options] == OPTION_IDS
    assert content.version.startswith("0.2.0+")


@pytest.mark.hazard("H02")
@pytest.mark.bad_input_case(27)
@pytest.mark.parametrize("fixture", BAD, ids=[p.stem for p in BAD])
def test_broken_content_fails_with_its_message(fixture, tmp_path):
    expected = _directives(fixture)["expect"].split("|")

    with pytest.raises(ContentError) as caught:
        load_content(_broken_copy(fixture, tmp_path))

    text = "\n".join(caught.value.problems)
    for part in expected:
        assert part in text


def test_every_broken_fixture_says_what_it_breaks_and_no_two_expect_the_same_error():
    directives = {path.stem: _directives(path) for path in BAD}
    assert [name for name, d in directives.items()
            if "expect" not in d or not {"replaces", "appends", "deletes"} & set(d)] == []
    expected = [d["expect"] for d in directives.values()]
    assert sorted({e for e in expected if expected.count(e) > 1}) == []


@pytest.mark.hazard("H22")
def test_content_version_changes_when_any_content_file_changes(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    before = load_content(root).version
    path = root / "options" / "tace.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# reviewed again\n", encoding="utf-8")

    assert load_content(root).version != before


@pytest.mark.parametrize("option_id", OPTION_IDS)
def test_every_option_has_review_fields_and_resolving_sources(content, option_id):
    option = content.option(option_id)

    assert option.reviewed_by and isinstance(option.last_reviewed, date)
    assert option.last_reviewed < option.next_review
    assert all(content.reference(s) for s in option.sources)
    assert option.lists["questions"]["en"] and option.lists["checks"]["en"]


def test_every_section_8_rule_id_is_in_content(content):
    expected = ([f"RES-{i}" for i in range(1, 19)] + [f"LT-{i}" for i in range(1, 12)]
                + [f"ABL-{i}" for i in range(1, 11)]
                + [f"{p}-S{i}" for p in ("RFA", "MWA", "PEI") for i in (1, 2, 3)]
                + [f"TACE-{i}" for i in range(1, 17)] + [f"TARE-{i}" for i in range(1, 15)]
                + [f"SB-L{i}" for i in range(1, 13)] + [f"SB-P{i}" for i in range(1, 5)]
                + [f"SYS-{i}" for i in range(1, 7)] + ["BSC-1", "TRIAL-1", "PREF-1"])
    expected += [f"E{i}" for i in range(1, 8)] + [f"W{i}" for i in range(1, 5)]

    assert [rule for rule in expected if not content.has_rule(rule)] == []


@pytest.mark.hazard("H13")
def test_every_rule_carries_a_tag_and_both_reasons(content):
    for option in content.options:
        for rule in option.rules:
            assert rule.tag in ("CCS", "GL") and rule.verdict is not None
            assert rule.clinician["en"].strip() and rule.patient["en"].strip()


def test_every_content_file_carries_the_four_review_fields(content):
    files = sorted(p.relative_to(ROOT / "content").as_posix()
                   for p in (ROOT / "content").rglob("*.toml"))

    assert [r.path for r in content.reviews] == files
    for review in content.reviews:
        assert review.reviewed_by and review.checked_by, review.path
        assert review.last_reviewed < review.next_review, review.path


def test_content_is_a_draft_while_any_file_names_no_reviewer(content, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    for path in root.rglob("*.toml"):
        text = path.read_text(encoding="utf-8")
        signed_text = text.replace('reviewed_by = "Pending clinical review',
                                   'reviewed_by = "Dr A. Reviewer (was pending')
        path.write_text(signed_text, encoding="utf-8")
    signed = load_content(root)
    claims = root / "claims.toml"
    unsigned = claims.read_text(encoding="utf-8").replace(
        'reviewed_by = "Dr A. Reviewer (was pending', 'reviewed_by = "Pending', 1)
    claims.write_text(unsigned, encoding="utf-8")

    assert content.draft
    assert not signed.draft
    assert load_content(root).draft  # one unsigned file keeps the whole content a draft


def test_a_guard_is_written_once_and_used_by_several_options(content):
    guard = load_content().rule("RFA-S1").when.items[:3]

    for rule_id in ("RFA-S1", "MWA-S1", "PEI-S1", "RFA-S3", "PEI-S3"):
        assert content.rule(rule_id).when.items[:3] == guard
    text = (ROOT / "content" / "options" / "rfa.toml").read_text(encoding="utf-8")
    assert "ablation_size_rules_apply" in text and "liver_tumour_count <= 3" not in text
