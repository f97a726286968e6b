"""What a workbook's cells mean, however a spreadsheet application wrote them; a hash of that.

Excel and LibreOffice re-save a workbook in their own words: sheet names unquoted
where no quotes are needed (``Assumptions!$C$5`` for ``'Assumptions'!$C$5``),
numbers printed to 15-17 digits, carriage returns as line feeds (as XML readers,
openpyxl among them, read every carriage return in a cell's text). The helpers here
reduce cells, formulas and references to their meaning, so that a file merely
opened and saved is the same workbook, and any typed change (an input, a label,
a number over a formula, a formula changed or deleted, a note) is not.

``build`` stores the fingerprint in a custom document property; before replacing a
workbook it recomputes it from the file.
"""

import hashlib
import re
from datetime import date, datetime

FINGERPRINT_PROPERTY = "kwai_xl_fingerprint"

_LITERAL = re.compile(r"_x[0-9A-Fa-f]{4}_")
_ESCAPED_LITERAL = re.compile(r"_x005F(_x[0-9A-Fa-f]{4}_)", re.IGNORECASE)
_QUOTED_SHEET = re.compile(r"'((?:[^']|'')+)'!")
_FUNCTION_PREFIX = re.compile(r"_xlfn\.|_xlws\.|_xludf\.", re.IGNORECASE)


def cell_text(text: str) -> str:
    """``text`` as a cell stores it: a literal ``_xHHHH_`` escaped, so applications do not read it as a character."""
    return _LITERAL.sub(lambda m: "_x005F" + m.group(0), text) if "_x" in text else text


def text_of_cell(text: str) -> str:
    """The text of a cell written by :func:`cell_text`, as openpyxl reads it (it unescapes shared strings only)."""
    return _ESCAPED_LITERAL.sub(r"\1", text)


def same_text(a: str, b: str) -> bool:
    """Equal up to line endings (a carriage return in a cell reads back, and LibreOffice saves it, as a line feed)."""
    return a.replace("\r\n", "\n").replace("\r", "\n") == b.replace("\r\n", "\n").replace("\r", "\n")


def normal_formula(formula: str) -> str:
    """A formula reduced to its meaning: no ``$``, spaces or function prefixes, sheet names unquoted, upper case."""
    out = _FUNCTION_PREFIX.sub("", formula.replace("$", "").replace(" ", ""))
    out = _QUOTED_SHEET.sub(lambda m: m.group(1).replace("''", "'") + "!", out)
    return out.upper()


def normal_reference(ref: str) -> str:
    """A defined name's reference as ``sheet!A1:B2``, whatever the quotes, ``$`` or case of the sheet name."""
    ref = ref.strip().lstrip("=")
    m = re.fullmatch(r"'((?:[^']|'')+)'!(.+)|([^'!]+)!(.+)", ref)
    if not m:
        return ref.replace("$", "").upper()
    sheet = (m.group(1) or "").replace("''", "'") or m.group(3)
    return f"{sheet.casefold()}!{(m.group(2) or m.group(4)).replace('$', '').upper()}"


def canonical(value) -> str:
    """One cell's value as text that survives a re-save."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return format(float(value), ".15g")
    if isinstance(value, str):
        if value.startswith("="):
            return normal_formula(value)
        return text_of_cell(value).replace("\r\n", "\n").replace("\r", "\n")
    return repr(value)


def _cell_lines(ws):
    """(row, column, what the cell means as bytes, its note alone as bytes) of every non-empty cell of ``ws``, row
    by row."""
    for (row, column), cell in sorted(ws._cells.items()):  # as iter_rows, without making the empty cells
        if cell.value is None and cell.comment is None:
            continue
        note = canonical(cell.comment.text) if cell.comment is not None else ""
        line = f"{ws.title}\x1f{cell.coordinate}\x1f{canonical(cell.value)}\x1f{note}\x1e".encode("utf-8")
        yield row, column, line, f"{cell.coordinate}\x1f{note}\x1e".encode("utf-8") if note else b""


def workbook_fingerprint(wb, titles: list[str] | None = None) -> str:
    """SHA-256 over the sheets (or those of ``titles``), and (sheet, cell, meaning, note) of every non-empty cell."""
    return fingerprints(wb, titles=titles)[0]


def fingerprints(wb, skips: dict[str, set] | None = None, titles: list[str] | None = None) -> tuple[str, dict[str, str]]:
    """:func:`workbook_fingerprint` of ``wb``, and for each sheet title in ``skips`` its :func:`sheet_print`, the
    values of the (row, column) cells skipped there left out (their notes kept); one reading of the cells."""
    digest, prints = hashlib.sha256(), {}
    for ws in wb.worksheets if titles is None else [wb[t] for t in titles if t in wb.sheetnames]:
        digest.update(f"{ws.title}\x1d".encode("utf-8"))
        skip = (skips or {}).get(ws.title)
        sheet = hashlib.sha256() if skip is not None else None
        for row, column, line, note in _cell_lines(ws):
            digest.update(line)
            if sheet is not None:
                sheet.update(note if (row, column) in skip else line)
        if sheet is not None:
            prints[ws.title] = sheet.hexdigest()[:PRINT_HEX]
    return digest.hexdigest(), prints


PRINT_HEX = 10
"""Hex digits of a sheet's print: 40 bits, so that a workbook's prints fit one text property (Excel keeps 255
characters of one)."""


def sheet_print(ws, skip: set) -> str:
    """A short hash of what the cells of sheet ``ws`` mean (as :func:`workbook_fingerprint` reads them), the values at
    the (row, column) of ``skip`` left out (not their notes): a sheet merely re-saved keeps its print, any other
    change to what it holds does not."""
    return fingerprints(ws.parent, {ws.title: skip}, [ws.title])[1][ws.title]
