"""The workbook's look: FAST-style colours and number formats, by key."""

import functools

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.indexed_list import IndexedList

FONT_NAME = "Calibri"
INPUT_FONT = Font(name=FONT_NAME, color="0000FF")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
CALC_FONT = Font(name=FONT_NAME, color="000000")
LINK_FONT = Font(name=FONT_NAME, color="008000")
OUTPUT_FONT = Font(name=FONT_NAME, bold=True, color="000000")
LABEL_FONT = Font(name=FONT_NAME)
NOTE_FONT = Font(name=FONT_NAME, italic=True, color="595959")
STALE_FONT = Font(name=FONT_NAME, bold=True, color="C00000")
UNIT_FONT = Font(name=FONT_NAME, color="595959")
HEADING_FONT = Font(name=FONT_NAME, bold=True, size=15, color="1F3864")
SUBTITLE_FONT = Font(name=FONT_NAME, italic=True, color="595959")
BLOCK_FONT = Font(name=FONT_NAME, bold=True, color="FFFFFF")
BLOCK_FILL = PatternFill("solid", fgColor="1F3864")
HYPERLINK_FONT = Font(name=FONT_NAME, color="0563C1", underline="single")
HEADER_FONT = Font(name=FONT_NAME, bold=True, color="1F3864")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
OUTPUT_BORDER = Border(top=Side(style="thin", color="1F3864"))
BASE_SIDE = Side(style="medium", color="000000")
BASE_BORDER = Border(left=BASE_SIDE, right=BASE_SIDE, top=BASE_SIDE, bottom=BASE_SIDE)
BASE_FONT = Font(name=FONT_NAME, bold=True)
"""The base case inside a sensitivity grid."""
RIGHT = Alignment(horizontal="right")


@functools.cache
def aligned(horizontal: str | None = None, vertical: str | None = None, wrap_text: bool | None = None,
            indent: float = 0) -> Alignment:
    """One shared Alignment per combination (a workbook looks each style object up once)."""
    return Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap_text, indent=indent)


TEXT_BESIDE_NUMBERS = aligned("left", indent=1)
"""A formula's text in a table of numbers: indented, so it does not run on from the number on its left."""
CENTER = Alignment(horizontal="center")
CHECK_OK_FILL = PatternFill("solid", fgColor="C6EFCE")
CHECK_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
FLAG_FILL = PatternFill("solid", fgColor="FFEB9C")

NUMBER_FORMATS = {
    "int": "#,##0_);(#,##0)",          # accounting style: negatives in brackets
    "num1": "#,##0.0_);(#,##0.0)",
    "num2": "#,##0.00_);(#,##0.00)",
    "num3": "#,##0.000",
    "num4": "0.0000",
    "pct": "0.0%",
    "pct2": "0.00%",
    "mult": '0.00"x"',
    "hkd": '#,##0.00',
    "count": "0",
    "date": "yyyy-mm-dd",
    "check": '[=1]"OK";[=0]"ERROR";General',
    "flag": '[=1]"OK";[=0]"FLAG";General',    # shown, not in the master check
    "text": "@",
    "sci": "0.0E+00",
}


class _RememberedStyles(IndexedList):
    """A workbook's table of fonts (fills, borders, alignments) that remembers each style object it was given.

    openpyxl hashes a style field by field on every assignment to a cell, the largest cost of writing a
    sheet; the writer assigns the same few constant objects thousands of times, and none is changed
    after it is made (openpyxl's styles are immutable through a cell)."""

    def __init__(self, iterable):
        super().__init__(iterable)
        self._seen: dict[int, tuple] = {}

    def add(self, value):
        hit = self._seen.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        index = super().add(value)
        self._seen[id(value)] = (value, index)  # the object is kept, so its id is not reused
        return index


def remember_styles(wb) -> None:
    """Make assigning a style to a cell of ``wb`` look the style up once per object (see :class:`_RememberedStyles`)."""
    for table in ("_fonts", "_fills", "_borders", "_alignments"):
        setattr(wb, table, _RememberedStyles(getattr(wb, table)))
