"""Input limits (issue #12 items 5-7, 9; core/limits.py): each limit at its value and one past.

Every refusal is one line, before any work, naming the limit (and the field where there is one).
Each test here failed on the code before core/limits.py (hazards H75-H78).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.core import limits, usertext
from dashboard.core.engine import assess
from dashboard.core.factors import InputRefused, parse_factors, parse_json
from dashboard.core.sheet import SheetChoices, SheetInputError, build_sheet, user_text
from tests.conftest import ROOT, make_factors
from tests.safety_support import TODAY

ACUTE = "\u0301"


def _cli(tmp_path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=tmp_path, input=stdin,
                          capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _refused_in_one_line(done: subprocess.CompletedProcess, words: str) -> None:
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert words in err and done.stdout == b""


def _refuses(text: str, words: str) -> None:
    with pytest.raises(InputRefused, match=words) as caught:
        parse_json(text)
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------- size of the input


@pytest.mark.hazard("H75")
def test_input_at_the_size_limit_is_read_and_one_byte_more_is_refused(tmp_path):
    profile = json.dumps(make_factors()).encode()
    at = tmp_path / "at.json"
    at.write_bytes(profile + b" " * (limits.INPUT_BYTES_MAX - len(profile)))
    assert at.stat().st_size == limits.INPUT_BYTES_MAX
    done = _cli(tmp_path, "assess", str(at), "--format", "csv")
    assert done.returncode == 0, done.stderr
    past = tmp_path / "past.json"
    past.write_bytes(at.read_bytes() + b" ")
    _refused_in_one_line(_cli(tmp_path, "assess", str(past)), "larger than 32 MB")
    _refused_in_one_line(_cli(tmp_path, "assess", "-", stdin=past.read_bytes()),
                         "larger than 32 MB")


@pytest.mark.hazard("H75")
def test_a_hundred_megabyte_file_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "notes.json"
    with open(huge, "wb") as f:
        f.truncate(100 * 2**20)  # sparse: nothing to read, only its size
    _refused_in_one_line(_cli(tmp_path, "sheet", str(huge), "-o", str(tmp_path / "s.pdf")),
                         "larger than 32 MB")
    assert not (tmp_path / "s.pdf").exists()


# --------------------------------------------------------------------------- structure


@pytest.mark.hazard("H75")
def test_array_at_the_profile_limit_is_read_and_one_more_is_refused():
    assert len(parse_json("[" + ",".join(["{}"] * limits.PROFILES_MAX) + "]")) == \
        limits.PROFILES_MAX
    _refuses("[" + ",".join(["{}"] * (limits.PROFILES_MAX + 1)) + "]", "at most 50,000")


@pytest.mark.hazard("H75")
def test_a_million_empty_objects_are_refused_at_once_without_work(tmp_path):
    done = _cli(tmp_path, "assess", "-", stdin=b"[" + b",".join([b"{}"] * 1_000_000) + b"]")
    _refused_in_one_line(done, "1,000,000 patients")


@pytest.mark.hazard("H76")
def test_nesting_at_the_depth_limit_is_read_and_one_level_more_is_refused():
    at = [{"patient": {"name": "A"}}]
    assert parse_json(json.dumps(at)) == at
    _refuses(json.dumps([{"patient": {"name": {"first": "A"}}}]), "nested more than 3")
    _refuses(json.dumps([[[[1]]]]), "nested more than 3")
    assert parse_json(json.dumps([[[1]]])) == [[[1]]]


@pytest.mark.hazard("H76")
def test_a_hundred_thousand_levels_of_nesting_is_one_line_and_exit_2(tmp_path):
    deep = b"[" * 100_000 + b"]" * 100_000
    _refused_in_one_line(_cli(tmp_path, "assess", "-", stdin=deep), "nested more than 3")
    deep_objects = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    _refused_in_one_line(_cli(tmp_path, "sheet", "-", "-o", "x.pdf", stdin=deep_objects),
                         "nested more than 3")


@pytest.mark.hazard("H75")
def test_fields_per_object_at_the_limit_are_read_and_one_more_is_refused():
    at = {f"k{i}": 1 for i in range(limits.KEYS_MAX)}
    assert parse_json(json.dumps(at)) == at
    _refuses(json.dumps({**at, "one_more": 1}), "at most 100")


def test_field_names_at_the_length_limit_are_read_and_one_character_more_is_refused():
    assert parse_json(json.dumps({"k" * limits.KEY_CHARS_MAX: 1}))
    _refuses(json.dumps({"k" * (limits.KEY_CHARS_MAX + 1): 1}), "longer than 64")


@pytest.mark.hazard("H78")
def test_a_duplicate_key_is_refused_naming_it(tmp_path):
    _refuses('{"ecog": 0, "cirrhosis": false, "ecog": 3}', "'ecog' is given twice")
    done = _cli(tmp_path, "assess", "-", stdin=b'[{"ecog": 0, "ecog": 3}]')
    _refused_in_one_line(done, "'ecog' is given twice")


# --------------------------------------------------------------------------- numbers


@pytest.mark.hazard("H76", "H135")
def test_numbers_at_the_length_limit_are_read_and_one_digit_more_is_refused():
    at = "9" * limits.NUMBER_CHARS_MAX
    assert parse_json(f'{{"ecog": {at}}}') == {"ecog": int(at)}
    assert parse_json('{"x": 1.' + "5" * (limits.NUMBER_CHARS_MAX - 2) + "}")
    _refuses(f'{{"ecog": {at}9}}', "more than 24 characters")
    _refuses('{"x": 1.' + "5" * (limits.NUMBER_CHARS_MAX - 1) + "}", "more than 24 characters")


@pytest.mark.hazard("H76")
def test_a_310_digit_integer_is_one_line_and_exit_2(tmp_path):
    payload = json.dumps(make_factors()).replace('"ecog": 0', '"ecog": ' + "9" * 310).encode()
    _refused_in_one_line(_cli(tmp_path, "assess", "-", stdin=payload), "more than 24")
    _refused_in_one_line(_cli(tmp_path, "sheet", "-", "-o", "s.pdf", stdin=payload),
                         "more than 24")


@pytest.mark.hazard("H76")
def test_a_huge_integer_reaching_the_engine_another_way_is_refused_not_a_crash(content):
    """The screen and any other intake call the engine directly: math.isfinite(10**310)
    raised OverflowError there."""
    for field in ("ecog", "largest_tumour_cm", "bilirubin_mg_dl", "liver_tumour_count"):
        data = make_factors(**{field: 10**310})
        if field == "bilirubin_mg_dl":
            del data["bilirubin_umol_l"]  # one unit only
        factors, errors, _ = parse_factors(data, content)
        assert factors is None and errors and "far outside" in errors[0].message
        assert not assess(data, content).ok


@pytest.mark.hazard("H76")
def test_a_value_at_the_magnitude_limit_is_a_range_error_and_past_it_far_outside(content):
    at = assess(make_factors(largest_tumour_cm=limits.NUMBER_MAGNITUDE_MAX), content)
    assert at.errors and "far outside" not in at.errors[0].message
    past = assess(make_factors(largest_tumour_cm=limits.NUMBER_MAGNITUDE_MAX * 10), content)
    assert [e.code for e in past.errors] == ["TYPE"] and "far outside" in past.errors[0].message


# --------------------------------------------------------------------------- text


def test_a_clinical_text_value_at_the_limit_is_read_and_one_character_more_is_refused():
    assert parse_json(json.dumps({"patient_goal": "x" * limits.TEXT_CHARS_MAX}))
    _refuses(json.dumps({"patient_goal": "x" * (limits.TEXT_CHARS_MAX + 1)}),
             "field patient_goal: is longer than 100")


@pytest.mark.hazard("H75")
def test_typed_text_at_the_raw_limit_is_read_and_one_character_more_is_refused():
    at = {"patient": {"notes": "n" * limits.RAW_TEXT_CHARS_MAX}}
    assert parse_json(json.dumps([at]))
    past = {"patient": {"notes": "n" * (limits.RAW_TEXT_CHARS_MAX + 1)}}
    _refuses(json.dumps([past]), "patient 1, field patient.notes: is longer than 20,000")


@pytest.mark.parametrize("field,limit", [("patient_name", limits.NAME_MAX),
                                         ("appointment_date", limits.FIELD_MAX),
                                         ("clinician", limits.FIELD_MAX),
                                         ("team_phone", limits.FIELD_MAX),
                                         ("notes", limits.SHEET_NOTES_MAX)])
@pytest.mark.hazard("H75")
def test_each_sheet_field_at_its_length_limit_is_kept_and_one_more_is_refused(field, limit):
    at = user_text(SheetChoices(selected=(), **{field: "a" * limit}))
    assert at[1] == {} and at[0][field] == "a" * limit
    past = user_text(SheetChoices(selected=(), **{field: "a" * (limit + 1)}))
    assert list(past[1]) == [field] and str(limit) in past[1][field]


# --------------------------------------------------------------------------- stacked marks


@pytest.mark.hazard("H77")
def test_marks_on_one_letter_at_the_limit_are_kept_and_one_more_is_refused():
    at = "q" + "\u0301\u0308\u0323\u0330"[: limits.MARKS_PER_CHARACTER_MAX]  # no q composes
    assert usertext.most_marks(usertext.clean(at)) == limits.MARKS_PER_CHARACTER_MAX
    assert user_text(SheetChoices(selected=(), patient_name=at))[1] == {}
    past = at + "\u0331"
    problems = user_text(SheetChoices(selected=(), patient_name=past))[1]
    assert list(problems) == ["patient_name"] and "marks on one letter" in problems[
        "patient_name"]


@pytest.mark.parametrize("name", ["Nguyễn Thị Ánh", "Nguye\u0323\u0302n", "שָׁלוֹם כֹּהֵן",
                                  "محمّد", "สมชาย ใจดี", "प्रिया क्षत्रिय", "བསྒྲུབས"])
@pytest.mark.hazard("H77")
def test_real_names_with_accents_and_vowel_signs_are_within_the_mark_limit(name):
    assert user_text(SheetChoices(selected=(), patient_name=name))[1] == {}


@pytest.mark.hazard("H77")
@pytest.mark.parametrize("field", ["patient_name", "notes", "clinician"])
def test_a_name_with_99_stacked_accents_is_refused_naming_the_field(content, field):
    """The screen and the command line share this check (core/sheet.user_text)."""
    choices = SheetChoices(selected=("resection",), **{field: "Z" + ACUTE * 99})
    with pytest.raises(SheetInputError) as caught:
        build_sheet(assess(make_factors(), content), content, choices, today=TODAY)
    assert caught.value.field == field


@pytest.mark.hazard("H77")
def test_the_sheet_command_refuses_stacked_accents_naming_the_field(tmp_path):
    payload = json.dumps({**make_factors(), "patient": {"name": "Z" + ACUTE * 99,
                                                        "notes": "a" + ACUTE * 4996}})
    done = _cli(tmp_path, "sheet", "-", "-o", "s.pdf", stdin=payload.encode())
    _refused_in_one_line(done, "Patient name: at most 4 accents or marks on one letter")
    assert ACUTE not in done.stderr.decode() and not (tmp_path / "s.pdf").exists()


# --------------------------------------------------------------------------- the patient object


@pytest.mark.hazard("H78")
@pytest.mark.parametrize("value", ["false", "0", '""', "[]", '"Ann"'])
def test_a_patient_that_is_not_an_object_is_refused_never_read_as_no_patient(tmp_path, value):
    payload = json.dumps(make_factors())[:-1] + f', "patient": {value}}}'
    done = _cli(tmp_path, "sheet", "-", "-o", "s.pdf", stdin=payload.encode())
    _refused_in_one_line(done, '"patient" must be an object')
    assert not (tmp_path / "s.pdf").exists()


@pytest.mark.hazard("H78")
def test_a_clinic_day_list_goes_through_the_same_strict_reader(content):
    """`batch` and the clinic-day page read JSON with core/intake.py, which uses parse_json."""
    from dashboard.core import intake

    for text, words in [(b'[{"ecog": 0, "ecog": 3}]', "'ecog' is given twice"),
                        (b"[" + b"9" * 310 + b"]", "more than 24 characters"),
                        (b"[" * 5000 + b"]" * 5000, "nested more than 3")]:
        problems = intake.read_json(text, content).problems
        assert len(problems) == 1 and words in problems[0]
    assert intake.MAX_BYTES == limits.CLINIC_DAY_BYTES_MAX


def _decoded(text, every_number=False):
    try:
        return ("ok", parse_json(text, every_number=every_number))
    except InputRefused as exc:
        return ("refused", str(exc))


@pytest.mark.hazard("H135")
def test_numbers_are_checked_by_the_hooks_exactly_when_they_could_be_too_long(content):
    """`parse_json` uses the number hooks only when some run of number characters is longer
    than the limit: the same data, or the same refusal, as with the hooks on every number, for
    numbers at and past the limit (as values, beside text that looks like numbers, in keys,
    with signs and exponents, after other errors) and for generated profiles."""
    from tests.generated_profiles import profiles

    limit = limits.NUMBER_CHARS_MAX
    at, past = "1" * limit, "1" * (limit + 1)
    written = [at, past, "-" + "1" * (limit - 1), "-" + at, "1." + "0" * (limit - 2),
               "1e" + "0" * (limit - 2), "1E+" + "1" * (limit - 2), "0." + "5" * (limit - 1),
               "-1.5e-3", "12", "12.0", "1e400", "-0"]
    texts = [json.dumps(profiles(content, 200, seed=5))]
    for number in written:
        texts += [f'{{"ecog": {number}}}', f'[{{"ecog": {number}, "ecog": 1}}]',
                  f'{{"ecog": "{number}"}}', f'{{"{number}": 1}}',
                  f'{{"a": "{past}", "b": {number}}}', f'[{number}, NaN]',
                  f'[{{"a": 1, "a": 2}}, {number}]', f'[{number}',
                  f'{{"x": "é{number}é", "y": {number}}}']
    outcomes = [_decoded(text) for text in texts]
    assert outcomes == [_decoded(text, every_number=True) for text in texts]
    kinds = {kind for kind, _ in outcomes}
    assert kinds == {"ok", "refused"}
    assert any("more than 24 characters" in str(value) for kind, value in outcomes
               if kind == "refused")


@pytest.mark.hazard("H135")
def test_a_list_of_flat_profiles_is_checked_as_each_profile_alone():
    """The usual profile of a list (no nested value, short texts) is passed without the walk of
    `_check`; a text past the limit, a nested object or list, at any position, is still walked
    and refused as before, naming the patient's position."""
    good = make_factors()
    long_text = {**good, "patient_goal": "x" * (limits.TEXT_CHARS_MAX + 1)}
    assert parse_json(json.dumps([good, {**good, "patient_goal": "x" * limits.TEXT_CHARS_MAX}]))
    _refuses(json.dumps([good, good, long_text]), "patient 3, field patient_goal: is longer "
                                                 "than 100")
    nested = {**good, "patient": {"notes": "n" * (limits.RAW_TEXT_CHARS_MAX + 1)}}
    _refuses(json.dumps([good, nested]), "patient 2, field patient.notes: is longer than 20,000")
    deep = {**good, "patient": {"a": {"b": 1}}}
    _refuses(json.dumps([deep]), "nested more than 3 levels")
    assert parse_json(json.dumps([{**good, "patient": {"name": "Ann"}}, [1, "x"], 5]))
