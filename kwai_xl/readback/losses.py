"""What a rebuild would lose of an existing workbook, judged by meaning rather than bytes.

A workbook is ours when its identity properties name kwai-xl and a quarter, and its
public names point at the cells the layout puts them in (however the application
quoted them). It is edited when a rebuild from the data file would lose something:
an input that differs from the data file, a number typed over a formula, a formula
or label changed, a note added, a value typed outside the generated layout. A file
merely opened and saved by Excel or LibreOffice loses nothing. Sheets the analyst
added are not counted here: ``replace`` carries them into the rebuilt workbook.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl.utils import get_column_letter, range_boundaries

from .. import paths
from ..engine.scenarios import CHOICE_LISTS
from ..errors import KwaiError
from ..quarters.datafile import shown
from ..quarters.schema import Quarter, load_quarter
from ..workbook.build import (
    DATA_FILE_PROPERTY,
    EDITED,
    LANG_PROPERTY,
    LANGUAGES,
    LAYOUT_PROPERTY,
    QUARTER_PROPERTY,
    TOOL_PROPERTY,
    XLWINGS_CONF,
    XLWINGS_PROPERTY,
    generated_workbook,
    layout_revision,
    layouts,
    load_labels,
    recorded_sheet_prints,
    unchanged_since_built,
)
from ..workbook.fingerprint import canonical, normal_reference, sheet_print
from ..workbook.layout import SheetLayout, data_cells, defined_names
from ..workbook.package import open_checked, read_workbook, untouched_since_built

NOT_OURS = "it was not built by kwai-xl (move it away)"
UNREADABLE = "it is not a workbook kwai-xl can read (move it away)"


OTHER_LAYOUT = ("(it was built with the sheet templates of another kwai-xl version: a formula or label named here may "
                "be the new layout's change, not an edit; `kwai-xl pull` carries its inputs first)")


def properties(wb) -> dict:
    return {p.name: p.value for p in wb.custom_doc_props}


def identity(wb, path: Path) -> tuple[str, str, bool]:
    """(quarter, language, xlwings) that kwai-xl recorded when it built the workbook."""
    props = properties(wb)
    if TOOL_PROPERTY not in props or QUARTER_PROPERTY not in props:
        raise KwaiError(f"{path}: not a workbook built by kwai-xl (no {TOOL_PROPERTY} property); "
                        f"kwai-xl reads back only the workbooks it built")
    lang = props.get(LANG_PROPERTY, "en")
    if lang not in LANGUAGES:
        raise KwaiError(f"{path}: unknown label language {lang!r} in its {LANG_PROPERTY} property")
    return props[QUARTER_PROPERTY], lang, props.get(XLWINGS_PROPERTY) == "yes"


def choice_codes(wb) -> dict:
    """What an openpyxl workbook's dropdown lists show → the model's codes (empty where they show the codes)."""
    out = {}
    for list_name, codes in CHOICE_LISTS.items():
        if list_name not in wb.defined_names:
            continue
        for sheet, ref in wb.defined_names[list_name].destinations:
            cells = wb[sheet][ref.replace("$", "")]
            row = cells[0] if isinstance(cells, tuple) and isinstance(cells[0], tuple) else cells
            shown = [c.value for c in (row if isinstance(row, tuple) else (row,))]
            out.update({str(s): c for s, c in zip(shown, codes) if s not in ("", None) and str(s) != c})
    return out


@dataclass(frozen=True)
class RowShift:
    """Rows inserted or deleted in the generated sheets, read from where their public names moved.

    ``anchors`` holds, per sheet title, (row the build put a name at, rows it moved by), sorted; a row
    between anchors moves as the nearest named row above it did.
    """

    anchors: dict

    def row(self, sheet: str, row: int) -> int:
        """Where the build's ``row`` of ``sheet`` is now."""
        delta = 0
        for at, moved in self.anchors.get(sheet, ()):
            if at > row:
                break
            delta = moved
        return row + delta

    def moved(self) -> list[str]:
        """The sheets whose rows moved, as phrases."""
        return [f"{sheet} (rows from {next(at for at, d in anchors if d)} on)" for sheet, anchors in self.anchors.items()
                if any(d for _, d in anchors)]


def row_shift(wb, sheets: list[SheetLayout]) -> RowShift | None:
    """How the workbook's rows moved against the build's layout: by rows only, every name on its sheet with its
    shape and columns; None when a name is missing or moved otherwise (then nothing can be read by position)."""
    actual = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    anchors: dict[str, dict[int, int]] = {}
    for name, ref in defined_names(sheets).items():
        if name not in actual:
            return None
        (want_sheet, want), (got_sheet, got) = (normal_reference(r).split("!", 1) for r in (ref, actual[name]))
        try:
            c0, r0, c1, r1 = range_boundaries(want)
            d0, s0, d1, s1 = range_boundaries(got)
        except (TypeError, ValueError):
            return None
        if want_sheet != got_sheet or (c0, c1) != (d0, d1) or r1 - r0 != s1 - s0:
            return None
        title = next(s.title for s in sheets if s.title.casefold() == want_sheet)
        if anchors.setdefault(title, {}).setdefault(r0, s0 - r0) != s0 - r0:
            return None
    return RowShift({title: sorted(rows.items()) for title, rows in anchors.items()})


def layout_mismatch(wb, sheets: list[SheetLayout]) -> str | None:
    """The first public name that does not point where the layout puts it, as a phrase; None when all do."""
    actual = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    for name, ref in defined_names(sheets).items():
        if name not in actual or normal_reference(actual[name]) != normal_reference(ref):
            return f"name {name} is {actual.get(name, 'missing')}, expected {ref}"
    return None


@dataclass(frozen=True)
class Pulled:
    """What ``pull`` makes of a workbook: the inputs it would still carry, as phrases, and the cells it reads (sheet
    title → (row, column)), which the rebuild judge leaves to it."""

    unpulled: list[str]
    read: dict[str, set[tuple[int, int]]]


def shown_cell(value) -> str:
    """A cell's value as the analyst reads it: a date ISO, text quoted, cut at 40 characters."""
    text = repr(value) if isinstance(value, str) else shown(value.date() if isinstance(value, datetime) else value)
    return text if len(text) <= 40 else text[:37] + "…'"


def sheet_losses(ws, fresh, inputs: set[tuple[int, int]], later=frozenset(), not_reported: str = "",
                 as_built: bool = False, pulled: set[tuple[int, int]] | None = None) -> list[str]:
    """What replacing sheet ``ws`` by the freshly generated ``fresh`` would lose, one phrase per cell. In ``later``
    (cells later quarter files fill) a rebuild takes what those files now give: only a value typed there is lost,
    not their placeholder ``not_reported``. ``as_built``: the sheet's cells but the data cells (``inputs`` and
    ``later``) are as the build wrote them (its print says so), so only those are judged. ``pulled``, when given:
    the cells ``pull`` reads, judged by pull (their values are not compared here); an input cell it does not read
    (an unnamed table's figure, a constant) is compared with the data file, and named as pull's to leave alone."""
    lost = []
    coords = {(c.row, c.column) for row in ws.iter_rows() for c in row if c.value is not None or c.comment}
    coords |= {(c.row, c.column) for row in fresh.iter_rows() for c in row if c.value is not None}
    if as_built:
        coords &= inputs | later
    for r, c in sorted(coords):
        old, new = ws.cell(r, c), fresh.cell(r, c)
        where = f"{ws.title}!{get_column_letter(c)}{r}"
        if old.comment is not None and (new.comment is None or canonical(new.comment.text) != canonical(old.comment.text)):
            lost.append(f"the note on {where}")
        if old.value is None or canonical(old.value) == canonical(new.value) or (pulled and (r, c) in pulled):
            continue
        if (r, c) in later:
            if canonical(old.value) != canonical(not_reported):
                lost.append(f"{where} holds {shown_cell(old.value)}, later quarter files now give {shown_cell(new.value)} "
                            f"(an actual belongs in a later file's reported table)")
            continue
        if new.data_type == "f":
            lost.append(f"{where} formula changed" if old.data_type == "f" else
                        f"{where} typed over a formula ({shown_cell(old.value)})")
        elif (r, c) in inputs:
            unread = " (pull does not read this cell: change it in the data file)" if pulled is not None else ""
            lost.append(f"input {where} is {shown_cell(old.value)}, the data file has {shown_cell(new.value)}{unread}")
        elif new.value is None:
            lost.append(f"{where} typed outside the generated layout ({shown_cell(old.value)})")
        else:
            lost.append(f"label {where} changed ({shown_cell(old.value)})")
    return lost


def open_workbook(path: Path):
    """The workbook at ``path`` read by openpyxl, or None when it cannot be read."""
    try:
        return read_workbook(open_checked(path))
    except Exception:
        return None


def _quarter_data(wb, quarter: str, q: Quarter | None, data_dir: Path | None) -> Quarter | None:
    if q is not None and q.quarter == quarter:
        return q
    try:
        return load_quarter(paths.recorded_data_file(properties(wb).get(DATA_FILE_PROPERTY), quarter, data_dir))
    except KwaiError:
        return None


def rebuild_losses(path: Path, q: Quarter | None = None, data_dir: Path | None = None, wb=None,
                   unpulled: Callable[[], Pulled | None] | None = None) -> list[str]:
    """What replacing the workbook at ``path`` by a fresh build would lose; empty when nothing.

    The workbook is compared with its quarter's data as it stands now: ``q`` when it is that
    quarter, else the file in ``data_dir``. Without one, only the fingerprint recorded at build
    time can tell whether it was edited. ``wb``: the file as openpyxl read it already, if it was.

    A generated sheet whose cells, its inputs aside, still read as the build recorded them (its print) loses
    nothing there, whatever a fresh build now shows (a list that pulled dates made shorter, rows below it
    moved up). ``unpulled()``, when given, says what ``pull`` reads and would still carry (None where it cannot
    tell): the cells it reads are its to judge (a date or source shown beside several rows and pulled from
    one of them is written to all by the rebuild), the inputs it would carry are named.
    """
    if untouched_since_built(path):  # the very bytes kwai-xl wrote: nothing typed, nothing to lose
        return []
    wb = wb if wb is not None else open_workbook(path)
    if wb is None:
        return [UNREADABLE]
    try:
        quarter, lang, xlwings = identity(wb, path)
    except KwaiError:
        return [NOT_OURS]
    if unchanged_since_built(wb):  # nothing typed since the build, whatever the data file says now
        return []
    q = _quarter_data(wb, quarter, q, data_dir)
    sheets = layouts(q, lang, xlwings) if q is not None else None
    if sheets is None or layout_mismatch(wb, sheets):
        shift = row_shift(wb, sheets) if sheets is not None else None
        if shift is not None:
            return [f"rows inserted or deleted on {', '.join(shift.moved())}: a rebuild puts the generated rows back "
                    f"(pull carries inputs changed there first: it reads them where their names now point)"]
        return [f"{EDITED}, which pull cannot carry: its layout does not match the data file of {quarter}"]
    fresh = generated_workbook(q, lang, xlwings)
    pending = unpulled() if unpulled is not None else None
    lost = list(pending.unpulled) if pending is not None else []
    prints = recorded_sheet_prints(properties(wb))
    for sheet in sheets:
        if sheet.title in wb.sheetnames:
            inputs, later = data_cells(sheet), data_cells(sheet, True)
            as_built = sheet.key in prints and prints[sheet.key] == sheet_print(wb[sheet.title], inputs | later)
            lost += sheet_losses(wb[sheet.title], fresh[sheet.title], inputs, later,
                                 load_labels(lang)["forecast_actual"]["not_reported"], as_built,
                                 pending.read.get(sheet.title, set()) if pending is not None else None)
    if xlwings and XLWINGS_CONF in wb.sheetnames:
        lost += sheet_losses(wb[XLWINGS_CONF], fresh[XLWINGS_CONF], set())
    if lost and properties(wb).get(LAYOUT_PROPERTY) != layout_revision():
        lost.insert(0, OTHER_LAYOUT)
    return lost
