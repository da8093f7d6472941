"""One intake: a patient list (CSV text or a JSON array) and JSON objects -> the engine's input.

The engine (`core/factors.py`) is the one place that checks types, ranges, choices and units. This
module only turns what a person typed into the values the engine reads, with the screen's rules:

- a CSV cell is text. An empty cell is "not yet known". A number is read by
  `usertext.parse_number`, the parser of the screen's number fields ("1,5" is never 15: the
  engine refuses it beside the field); yes/no fields take true/false/yes/no in any case;
  "diffuse" is a tumour count. Text columns (name, notes, …) are never interpreted: "NA",
  "None" and "null" stay those words.
- a JSON value is already typed and goes to the engine unchanged, exactly as for the `sheet`
  command; a "patient" object (as `sheet` takes it) or top-level text fields give the header.

Row numbers are what a person sees: in a CSV, the spreadsheet row (the column names are row 1,
so the first patient is row 2); in a JSON array, the position counted from 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import limits, usertext
from .assessment import Issue
from .content import Content, Factor
from .factors import InputRefused, input_words, parse_json

PATIENT_FIELDS = ("name", "appointment_date", "clinician", "team_phone", "notes")
ROW_FIELDS = ("id", "language")
TEXT_COLUMNS = (*PATIENT_FIELDS, *ROW_FIELDS)
TRUE_WORDS, FALSE_WORDS = ("true", "yes"), ("false", "no")

# Limits of a patient list (stated on screen and in the README; hazard H90); the values live with
# every other input limit in core/limits.py.
MAX_BYTES = limits.CLINIC_DAY_BYTES_MAX
MAX_ROWS = limits.CLINIC_DAY_ROWS_MAX
MAX_CELL = usertext.NOTES_MAX  # the longest field of a sheet
ID_MAX = limits.RECORD_ID_MAX


@dataclass(frozen=True)
class PatientDetails:
    """What a sheet's header prints for one patient (typed text, normalised by the sheet)."""

    name: str = ""
    appointment_date: str = ""
    clinician: str = ""
    team_phone: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PatientRow:
    """One patient of a list: the engine's input, the header, and what the intake refused."""

    row: int
    factors: Mapping[str, Any] | None  # None: not a patient object at all
    details: PatientDetails = PatientDetails()
    record_id: str = ""  # the clinic's own patient or visit number ("" when not given)
    language: str = ""  # "" = the language chosen for the whole day
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class PatientList:
    """The rows of a list, or `problems` when the file as a whole cannot be read."""

    rows: tuple[PatientRow, ...] = ()
    problems: tuple[str, ...] = ()
    unknown_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()  # factor columns absent: every row "not yet known"

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------- one cell


def cell_value(factor: Factor, text: str | None) -> Any:
    """The value the engine reads for text typed for `factor` (None: not yet known).

    Text that is not a valid value is passed on as cleaned text, so that the engine refuses it
    with its own message (the list of choices, "use a decimal point", …).
    """
    cleaned = usertext.clean(text)
    if not cleaned:
        return None
    if factor.kind == "yes_no":
        word = cleaned.casefold()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else cleaned
    if factor.kind == "choice":
        return cleaned
    if factor.kind == "count" and cleaned.casefold() == "diffuse":
        return "diffuse"
    return usertext.parse_number(cleaned)


def cells_to_factors(cells: Mapping[str, str], content: Content) -> dict[str, Any]:
    """Text cells keyed by factor id -> the engine's input; every core field present."""
    data: dict[str, Any] = {}
    for factor in content.factors:
        value = cell_value(factor, cells.get(factor.id))
        if value is not None or (factor.core and not factor.alias_of):
            data[factor.id] = value
    return data


# --------------------------------------------------------------------------- CSV


def read_csv(data: bytes, content: Content) -> PatientList:
    """A patient list as CSV bytes (UTF-8, with or without the byte-order mark Excel adds)."""
    if len(data) > MAX_BYTES:
        return PatientList(problems=(input_words(content, "list_too_large", kb=MAX_BYTES // 1000),))
    try:
        if b"\x00" in data:  # a spreadsheet file (.xlsx) renamed, not text
            raise UnicodeDecodeError("utf-8", data, 0, 1, "binary data")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return PatientList(problems=(input_words(content, "list_not_utf8_csv"),))
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        return PatientList(problems=(input_words(content, "list_not_csv", problem=exc),))
    records = [r for r in records if any(cell.strip() for cell in r)]  # blank lines
    if not records:
        return PatientList(problems=(input_words(content, "list_empty"),))
    header = [usertext.clean(name) for name in records[0]]
    problems = _header_problems(header, content)
    if len(records) - 1 > MAX_ROWS:
        problems.append(input_words(content, "list_too_long", count=len(records) - 1,
                                    most=MAX_ROWS))
    if problems:
        return PatientList(problems=tuple(problems))
    known = _known_columns(content)
    unknown = tuple(c for c in header if c and c not in known)
    rows = tuple(_csv_row(number, header, cells, content, known)
                 for number, cells in _numbered(records))
    missing = tuple(f.id for f in content.factors
                    if f.core and not f.alias_of and f.id not in header)
    return PatientList(rows=rows, unknown_columns=unknown, missing_columns=missing)


def _numbered(records: list[list[str]]) -> list[tuple[int, list[str]]]:
    return list(enumerate(records[1:], start=2))


def _known_columns(content: Content) -> set[str]:
    return {f.id for f in content.factors} | set(TEXT_COLUMNS)


def _header_problems(header: list[str], content: Content) -> list[str]:
    if len(header) == 1 and ";" in header[0]:
        return [input_words(content, "list_semicolons")]
    named = [h for h in header if h]
    doubled = sorted({h for h in named if named.count(h) > 1})
    if doubled:
        return [input_words(content, "list_column_twice", fields=", ".join(doubled))]
    if not set(named) & {f.id for f in content.factors}:
        return [input_words(content, "list_no_factor_column")]
    return []


def _csv_row(number: int, header: list[str], cells: list[str], content: Content,
             known: set[str]) -> PatientRow:
    issues: list[Issue] = []
    if len(cells) > len(header):
        issues.append(Issue("ROW_SHAPE", "",
                            input_words(content, "row_too_many_cells", number=number)))
    values = dict(zip(header, cells))
    for column, cell in values.items():
        if not cell.strip():
            continue
        if column not in known:
            named = column or input_words(content, "row_no_name")
            issues.append(Issue("UNKNOWN_COLUMN", named,
                                input_words(content, "row_unknown_column", key=named)))
        elif len(cell) > MAX_CELL:
            issues.append(Issue("TOO_LONG", column,
                                input_words(content, "cell_too_long", limit=MAX_CELL)))
    details = PatientDetails(**{k: values.get(k, "") for k in PATIENT_FIELDS})
    record_id, language, row_issues = _row_fields(values.get("id", ""),
                                                  values.get("language", ""), content)
    return PatientRow(row=number, factors=cells_to_factors(values, content), details=details,
                      record_id=record_id, language=language, issues=(*issues, *row_issues))


def _row_fields(record_id: Any, language: Any, content: Content) -> tuple[str, str,
                                                                          tuple[Issue, ...]]:
    issues = []
    record_id = usertext.clean(record_id) if isinstance(record_id, str) else record_id
    language = usertext.clean(language).casefold() if isinstance(language, str) else language
    if not isinstance(record_id, str) or len(record_id) > ID_MAX:
        issues.append(Issue("ID", "id", input_words(content, "row_bad_id", limit=ID_MAX)))
        record_id = ""
    if not isinstance(language, str) or (language and language not in content.languages):
        issues.append(Issue("LANGUAGE", "language", input_words(content, "row_bad_language",
                                                         languages=", ".join(content.languages))))
        language = ""
    return record_id, language, tuple(issues)


# --------------------------------------------------------------------------- JSON


def read_json(data: bytes | str, content: Content) -> PatientList:
    """A patient list as a JSON array of objects (one object is a list of one)."""
    if len(data) > MAX_BYTES:
        return PatientList(problems=(input_words(content, "list_too_large", kb=MAX_BYTES // 1000),))
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        items = parse_json(text)  # the command line's strict JSON (core/limits.py)
    except UnicodeDecodeError:
        return PatientList(problems=(input_words(content, "list_not_utf8"),))
    except InputRefused as exc:
        return PatientList(problems=(input_words(content, "list_unreadable", problem=exc),))
    return rows_from_json(items if isinstance(items, list) else [items], content)


def rows_from_json(items: list[Any], content: Content) -> PatientList:
    if len(items) > MAX_ROWS:
        return PatientList(problems=(input_words(content, "list_too_long", count=len(items),
                                          most=MAX_ROWS),))
    return PatientList(rows=tuple(json_row(n, item, content)
                                  for n, item in enumerate(items, start=1)))


def json_row(number: int, item: Any, content: Content) -> PatientRow:
    """One JSON object: patient factors (passed to the engine as typed) plus text fields."""
    if not isinstance(item, dict):
        return PatientRow(row=number, factors=None, issues=(
            Issue("NOT_OBJECT", "", input_words(content, "row_not_object")),))
    factors = {k: v for k, v in item.items() if k not in (*TEXT_COLUMNS, "patient")}
    details, issues = split_patient(item, content)
    record_id, language, row_issues = _row_fields(item.get("id", ""), item.get("language", ""),
                                                  content)
    return PatientRow(row=number, factors=factors, details=details, record_id=record_id,
                      language=language, issues=(*issues, *row_issues))


def split_patient(item: Mapping[str, Any],
                  content: Content) -> tuple[PatientDetails, tuple[Issue, ...]]:
    """The sheet header of a JSON patient: a "patient" object of text fields (as the `sheet`
    command takes it) or the same fields at the top level."""
    patient = item.get("patient")
    top = {k: item[k] for k in PATIENT_FIELDS if k in item}
    if patient is None:
        patient = top
    elif top or not isinstance(patient, dict) or set(patient) - set(PATIENT_FIELDS):
        patient = None
    if patient is None or not all(isinstance(v, str) for v in patient.values()):
        return PatientDetails(), (Issue("PATIENT", "patient", input_words(
            content, "row_bad_patient", fields=", ".join(sorted(PATIENT_FIELDS)))),)
    return PatientDetails(**patient), ()


# --------------------------------------------------------------------------- template


def template_columns(content: Content) -> list[str]:
    """The columns of a patient list, in the order of the template: the clinic's id and the
    sheet header first, then every patient factor in form order (other-unit columns after the
    field they convert to), then the language."""
    factors = [f.id for f in content.factors]
    return ["id", *PATIENT_FIELDS, *factors, "language"]

