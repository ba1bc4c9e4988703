"""CSV for spreadsheets: cells that a spreadsheet would run as a formula are neutralised, and
large exports are produced row by row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

# A leading =, +, -, @, tab or CR makes spreadsheets evaluate the cell (spec 30 §13).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def rows_to_csv(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield the CSV text a chunk at a time: the header, then about 100 rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if count % 100 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
