"""An openpyxl workbook saved with each sheet's cells (``<sheetData>``) written as text, not XML elements.

openpyxl serialises every cell through an element tree and a temporary file, which is half the
time of saving a kwai-xl workbook. :func:`package_bytes` saves through openpyxl's own writer for
every part but the cells; each sheet's cells are formatted here, in memory, as the same XML
(tests compare every part with openpyxl's, canonicalised). A cell of a kind this module does not
format itself (a time or duration, rich text, an array formula: analysts' sheets may hold them) is
written by openpyxl's own cell writer.
"""

import io
import zipfile
from datetime import date, datetime, timezone

from openpyxl.cell._writer import etree_write_cell
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat.strings import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import tostring

EMPTY = b"<sheetData></sheetData>"
"""What openpyxl's sheet writer is given to write, replaced by the cells' XML."""
TYPES = {"s": (' t="inlineStr"', str), "f": ("", str), "e": (' t="e"', str), "n": (' t="n"', (int, float)),
         "b": (' t="b"', bool)}
"""Each cell data type formatted here: the ``t`` attribute openpyxl writes for it, and the values it holds."""


def xml_text(text: str) -> str:
    """``text`` as XML character data (as xml.sax.saxutils.escape, which imports urllib and http)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attribute(text: str) -> str:
    """``text`` as a double-quoted XML attribute value, escaped as ElementTree escapes it."""
    return (xml_text(text).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))


class _Collected:
    """An ``xf`` for openpyxl's cell writer that keeps the elements it is given as text."""

    def __init__(self):
        self.texts: list[str] = []

    def write(self, element) -> None:
        self.texts.append(tostring(element, encoding="unicode"))


def _cell_xml(ws, cell, ref: str, styled: bool) -> str:
    """One cell's ``<c>`` element, as openpyxl's cell writer writes it."""
    value, kind = cell._value, cell.data_type
    if kind == "d" and type(value) in (date, datetime) and getattr(value, "tzinfo", None) is None and not ws.parent.iso_dates:
        value, kind = to_excel(value, ws.parent.epoch), "n"  # a date is its serial number
    elif value is not None and (kind not in TYPES or not isinstance(value, TYPES[kind][1])):
        xf = _Collected()
        etree_write_cell(xf, ws, cell, styled)
        return xf.texts[0]
    if cell.hyperlink:
        ws._hyperlinks.append(cell.hyperlink)
    head = f'<c r="{ref}"' + (f' s="{cell.style_id}"' if styled else "") + TYPES.get(kind, (f' t="{kind}"',))[0]
    if value is None or value == "":
        return head + "/>"
    if kind == "f":
        return f"{head}><f>{xml_text(value[1:])}</f><v/></c>"
    if kind == "s":
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f"{head}><is><t{space}>{xml_text(value)}</t></is></c>"
    return f"{head}><v>{xml_text(safe_string(value))}</v></c>"


def sheet_data_xml(ws) -> str:
    """The ``<sheetData>`` of worksheet ``ws``: its rows and cells, as openpyxl's sheet writer writes them
    (comments and hyperlinks are collected on ``ws`` for the sheet's other parts, as openpyxl does)."""
    rows: dict[int, list] = {}
    for (row, _), cell in sorted(ws._cells.items()):
        rows.setdefault(row, []).append(cell)
    for row in ws.row_dimensions.keys() - rows.keys():
        rows[row] = []
    letters: dict[int, str] = {}
    out = ["<sheetData>"]
    for row in sorted(rows):
        dims = ws.row_dimensions.get(row)
        attributes = "".join(f' {k}="{xml_attribute(v)}"' for k, v in (dims if dims is not None else ()))
        out.append(f'<row r="{row}"{attributes}>')
        for cell in rows[row]:
            if cell._comment is not None:
                ws._comments.append(CommentRecord.from_cell(cell))
            styled = cell.has_style
            if cell._value is None and not styled and not cell._comment:
                continue
            col = cell.col_idx
            letter = letters.get(col) or letters.setdefault(col, get_column_letter(col))
            out.append(_cell_xml(ws, cell, f"{letter}{row}", styled))
        out.append("</row>")
    out.append("</sheetData>")
    return "".join(out)


class _SheetWriter(WorksheetWriter):
    """openpyxl's sheet writer, given an empty ``<sheetData>``: the cells are formatted by :func:`sheet_data_xml`."""

    def write_rows(self):
        self.sheet_data = sheet_data_xml(self.ws)
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            pass
        self.xf.send(None)


class _PackageWriter(ExcelWriter):
    """openpyxl's package writer, writing each sheet in memory with its cells formatted as text."""

    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        out = io.BytesIO()
        writer = _SheetWriter(ws, out)
        writer.write()
        ws._rels = writer._rels
        xml = out.getvalue()
        at = xml.index(EMPTY)
        self._archive.writestr(ws.path[1:], xml[:at] + writer.sheet_data.encode("utf-8") + xml[at + len(EMPTY):])
        self.manifest.append(ws)


def package_bytes(wb, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The openpyxl workbook ``wb`` as .xlsx bytes: what ``wb.save`` writes, cells formatted as text."""
    wb.properties.modified = datetime.now(timezone.utc).replace(tzinfo=None)  # as openpyxl's own save sets it
    buf = io.BytesIO()
    _PackageWriter(wb, zipfile.ZipFile(buf, "w", compression)).save()
    return buf.getvalue()
