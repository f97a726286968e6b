"""Edit a workbook inside LibreOffice itself, through the UNO bridge, and save it with LibreOffice's writer.

Run with the system Python (UNO lives there, from the Debian package python3-uno), not the venv:

    /usr/bin/python3 tests/lo_uno_edit.py IN.xlsx OUT.xlsx EDITS.json

EDITS is a list of edits, each by public name as an analyst would find the cell:
``{"name": "price", "value": 85.5}`` types a number (or text) into the named range's first cell
(``"offset": [row, col]`` moves within the range); ``{"name": "price", "note": "text"}`` adds a
cell note; ``{"at": ["Assumptions", "F13"], "value": 46000}`` types into a cell by its address (a date as its
serial number: the cell keeps its date format); ``{"sheet": "My work", "cells": {"A1": "=sotp_per_share*2"}, "formats": {"A1": "0.00%"},
"widths": {"A": 6000}}`` adds a sheet (number formats by cell, column widths in 1/100 mm);
``{"insert_rows_above": "price", "count": 1}`` inserts rows above a named cell's row, as Calc's Insert Rows does;
``{"properties": {"Title": "…"}, "custom": {"Client": "Fund A", "Reviewed": {"datetime": "2026-03-04T10:30:00"}}}``
sets document properties as File › Properties does (core ones by their UNO name; custom ones text, number, yes/no
or date and time; LibreOffice saves custom ones named Company, Manager and HyperlinkBase as the extended properties
of those names, in docProps/app.xml); ``{"local_name": "my_price", "scope": "Assumptions", "refers_to": "$Assumptions.$C$10"}``
defines a name of one sheet, as Sheet › Named Ranges › Define does with that sheet as its scope.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue

XLSX_FILTER = "Calc MS Excel 2007 XML"


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port: int, deadline_s: float = 90):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    end = time.monotonic() + deadline_s
    while True:
        try:
            return resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > end:
                raise
            time.sleep(0.5)


def number_format(doc, code: str) -> int:
    """The document's key of number format ``code``, added when it has none."""
    formats, locale = doc.NumberFormats, uno.createUnoStruct("com.sun.star.lang.Locale")
    key = formats.queryKey(code, locale, False)
    return key if key != -1 else formats.addNew(code, locale)


def cell_of(doc, name, offset=(0, 0)):
    return doc.NamedRanges.getByName(name).getReferredCells().getCellByPosition(offset[1], offset[0])


def uno_datetime(iso: str):
    at = datetime.fromisoformat(iso)
    out = uno.createUnoStruct("com.sun.star.util.DateTime")
    out.Year, out.Month, out.Day, out.Hours, out.Minutes, out.Seconds = (at.year, at.month, at.day, at.hour,
                                                                         at.minute, at.second)
    return out


def set_properties(doc, edit) -> None:
    props = doc.DocumentProperties
    for key, value in edit["properties"].items():
        setattr(props, key, tuple(value) if isinstance(value, list) else value)
    for name, value in edit.get("custom", {}).items():
        props.UserDefinedProperties.addProperty(name, 0, uno_datetime(value["datetime"]) if isinstance(value, dict)
                                                else value)


def apply(doc, edit) -> None:
    if "properties" in edit:
        set_properties(doc, edit)
        return
    if "local_name" in edit:
        names = doc.Sheets.getByName(edit["scope"]).NamedRanges
        names.addNewByName(edit["local_name"], edit["refers_to"], uno.createUnoStruct("com.sun.star.table.CellAddress"), 0)
        return
    if "insert_rows_above" in edit:
        address = cell_of(doc, edit["insert_rows_above"]).getCellAddress()
        doc.Sheets.getByIndex(address.Sheet).getRows().insertByIndex(address.Row, edit.get("count", 1))
        return
    if "sheet" in edit:
        sheets = doc.Sheets
        sheets.insertNewByName(edit["sheet"], sheets.getCount())
        ws = sheets.getByName(edit["sheet"])
        for address, value in edit["cells"].items():
            cell = ws.getCellRangeByName(address)
            if isinstance(value, str):
                cell.setFormula(value) if value.startswith("=") else cell.setString(value)
            else:
                cell.setValue(value)
        for address, code in edit.get("formats", {}).items():
            ws.getCellRangeByName(address).NumberFormat = number_format(doc, code)
        for column, width in edit.get("widths", {}).items():
            ws.getColumns().getByName(column).Width = width
        return
    if "at" in edit:  # a cell by sheet and address
        sheet, address = edit["at"]
        cell = doc.Sheets.getByName(sheet).getCellRangeByName(address)
    else:
        cell = cell_of(doc, edit["name"], edit.get("offset", (0, 0)))
    if "note" in edit:
        sheet = doc.Sheets.getByIndex(cell.getCellAddress().Sheet)
        sheet.getAnnotations().insertNew(cell.getCellAddress(), edit["note"])
    elif isinstance(edit["value"], str):
        cell.setString(edit["value"])
    else:
        cell.setValue(edit["value"])


def main(src: str, out: str, edits_file: str) -> None:
    edits = json.loads(Path(edits_file).read_text(encoding="utf-8"))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kwai-uno-") as tmp:
        proc = subprocess.Popen([soffice, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless",
                                 "--norestore", "--nolockcheck", "--nodefault",
                                 f"--accept=socket,host=127.0.0.1,port={port};urp;"],
                                env={**os.environ, "HOME": tmp}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ctx = connect(port)
            desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            doc = desktop.loadComponentFromURL(Path(src).resolve().as_uri(), "_blank", 0, (prop("Hidden", True),))
            for edit in edits:
                apply(doc, edit)
            doc.storeToURL(Path(out).resolve().as_uri(), (prop("FilterName", XLSX_FILTER),))
            doc.close(True)
            try:
                desktop.terminate()
            except Exception:  # the bridge drops as LibreOffice exits
                pass
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main(*sys.argv[1:4])
