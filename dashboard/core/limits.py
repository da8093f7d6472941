"""Every input limit in one place (issue #12 item 5; stated in the README under "Input limits").

Input is checked against these before any work: a file or text over a limit is refused with one
line naming the limit (and the field, where there is one), never assessed, drawn or stored.
Tests check each limit at its value and one past it (tests/test_limits.py).
"""

from __future__ import annotations

# --- a JSON input (command line `assess` / `sheet`, and any JSON intake)
INPUT_BYTES_MAX = 32 * 1024 * 1024  # 32 MiB: about 50,000 profiles of ordinary size
PROFILES_MAX = 50_000  # patients in one JSON array
DEPTH_MAX = 3  # a list of patients -> one patient's factors -> its "patient" object
KEYS_MAX = 100  # fields in one JSON object (the content has fewer than 50)
KEY_CHARS_MAX = 64  # characters in a field name
NUMBER_CHARS_MAX = 24  # characters of one number as written (a 310-digit integer is refused)
NUMBER_MAGNITUDE_MAX = 1e15  # any factor value beyond this is refused as not a real value
TEXT_CHARS_MAX = 100  # a text value among the clinical factors (choices are short words)

# --- a clinic day's patient list (`batch`, the clinic-day page; core/intake.py)
CLINIC_DAY_BYTES_MAX = 1_000_000  # a day of 500 patients with long notes is well under this
CLINIC_DAY_ROWS_MAX = 500
RECORD_ID_MAX = 40  # a row's own id column

# --- what a user types for the sheet (screen and command line alike), after normalisation
NAME_MAX = 100
FIELD_MAX = 120  # appointment date, clinician, team phone
NOTES_MAX = 5000
# Notes printed on the sheet: the two pages hold this much in every scenario and both languages
# (tests/test_sheet_pdf.py::test_notes_at_their_limit_keep_the_sheet_to_two_pages)
SHEET_NOTES_MAX = 350
RAW_TEXT_CHARS_MAX = 4 * NOTES_MAX  # any typed text before normalisation (controls removed)
MARKS_PER_CHARACTER_MAX = 4  # combining marks (accents, vowel signs) on one base character
