"""A generated workbook's fingerprint: a hash over every cell as kwai-xl wrote it.

``build`` stores it in a custom document property; before replacing a workbook
it recomputes it from the file. Any typed change (an input, a label, a number
typed over a formula, a formula deleted) changes the hash, so edited work is
never overwritten silently.
"""

import hashlib
from datetime import date, datetime

FINGERPRINT_PROPERTY = "kwai_xl_fingerprint"


def _canonical(value) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return repr(value)


def workbook_fingerprint(wb) -> str:
    """SHA-256 over (sheet, cell, value or formula) of every non-empty cell of an openpyxl workbook."""
    digest = hashlib.sha256()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                digest.update(f"{ws.title}\x1f{cell.coordinate}\x1f{_canonical(cell.value)}\x1e".encode("utf-8"))
    return digest.hexdigest()
