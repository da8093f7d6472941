"""The clinic day's archive (ZIP), built in memory: one sheet per valid row, summary.csv and the
tumour-board list. The entries' dates are the day's creation time, so the same day gives the
same bytes."""

from __future__ import annotations

import io
import zipfile

from dashboard.core.content import Content
from dashboard.service import ClinicDayOutcome

from .clinic_csv import summary_csv

SUMMARY = "summary.csv"
BOARD = "tumour-board-list.pdf"


def day_archive(day: ClinicDayOutcome, content: Content, board: bytes | None = None) -> bytes:
    stamp = day.created.timetuple()[:6]
    if stamp[0] < 1980:  # the earliest date a ZIP entry can carry
        stamp = (1980, 1, 1, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        entries = [(p.file_name, p.sheet.pdf) for p in day.made if p.sheet and p.sheet.pdf]
        entries.append((SUMMARY, summary_csv(day, content)))
        if board is not None:
            entries.append((BOARD, board))
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16  # readable by the clinician only when unpacked
            archive.writestr(info, data)
    return out.getvalue()
