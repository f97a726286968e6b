"""``kwai-xl pull``: carry an analyst's edits in a generated workbook back into the quarter's data file.

The workbook names its inputs (MODEL.md §7) and the Assumptions sheet holds each
one's as-of date and source beside it. Pull rebuilds the layout the workbook
was generated with, reads every input cell (and its date and source), and
writes the ones that changed into the data file, keeping its comments and
order. Cells where a number was typed over a formula are overrides: pull
lists them and stops unless told to accept them (they are not inputs and are
never written back).

Pull holds the data file's lock (``.QUARTER.yaml.lock`` beside it) from reading
to writing, so concurrent pulls take turns. Each workbook records the revision
of the data it was built from; one built from an older revision would set newer
values back, so pull refuses it unless told to accept that. The lock file
records the build the last pull came from, the data it left and the values it
replaced, so that the same workbook can be edited and pulled again (but a copy
of it cannot set those values back).
"""

import json
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl.utils import get_column_letter

from .. import paths
from ..atomic import lock_path, locked, write_atomically
from ..errors import KwaiError
from ..quarters.datafile import dated_paths, dump_document, get_path, input_paths, load_document, refreshed, set_path, shown, validate_document
from ..quarters.schema import load_quarter
from ..quarters.upgrade import spell_current_form
from ..workbook.build import (
    BUILD_PROPERTY,
    DATA_FILE_PROPERTY,
    DATA_PROPERTY,
    TOOL_PROPERTY,
    data_revision,
    data_revisions,
    layouts,
)
from ..workbook.fingerprint import same_text, text_of_cell
from ..workbook.package import open_checked, read_workbook
from .losses import RowShift, choice_codes, identity, layout_mismatch, properties, row_shift

REL_TOL = 1e-12


@dataclass
class Change:
    path: str
    old: object
    new: object
    cell: str

    def __str__(self) -> str:
        return f"{self.path}: {shown(self.old)} → {shown(self.new)}  ({self.cell})"


@dataclass
class PullResult:
    data_file: Path
    changes: list[Change] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    read: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    """Sheet title → (row, column) of every cell pull read an input from (the rebuild judge leaves those to it)."""


def _cell_name(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{get_column_letter(col)}{row}"


def _same(old, new) -> bool:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(new, bool):
        return abs(float(old) - float(new)) <= REL_TOL * max(1.0, abs(float(old)))
    if isinstance(old, str) and isinstance(new, str):
        return same_text(old, new)
    return old == new


def _is_number(value) -> bool:
    """A number as a data file holds one: not a boolean (TRUE is no price), not text ("85.5")."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _tidy(value, old):
    """A workbook value as the data file should hold it: blanks None, dates as dates, whole floats as ints."""
    if isinstance(value, str):  # text exactly as typed; around a number, spaces do not count
        value = text_of_cell(value)
        return (value.strip() if _is_number(old) else value) if value.strip() else None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer() and (isinstance(old, int) or old is None) and abs(value) < 1e15:
        return int(value)
    return value


def _held(doc, model: dict, path: tuple, fallback: tuple | None = None):
    """What the data file holds at ``path`` (the default where it leaves the key out), or at ``fallback``, which
    stands for it where it holds nothing there."""
    value = get_path(doc, path, get_path(model, path, None))
    return value if value is not None or fallback is None else get_path(doc, fallback, get_path(model, fallback, None))


def _edited(held, cells: list[tuple], replaced: list[str]) -> list[tuple]:
    """The ``cells`` ((value, cell) each) that edit a date or source the data file holds once (``held``)
    but the workbook shows beside several rows (a comps row's beside each of its figures). ``replaced``: what the
    last pulls from this very workbook replaced there, the value it was built with first; a cell still showing
    that is a copy left unedited, not an edit back, where another cell shows what the file holds or another edit."""
    edits = [(value, where) for value, where in cells if not _same(held, value)]
    copies = [edit for edit in edits if replaced and str(edit[0]) == replaced[0]]
    if copies and (len(copies) < len(edits) or len(edits) < len(cells)):
        edits = [edit for edit in edits if edit not in copies]
    return edits


def _write_dated(doc, model: dict, dated: dict, replaced: dict, cells_of: dict, changes: list) -> list[str]:
    """Write each edited date or source of ``dated`` (path → the (value, cell) of every cell showing it) into
    ``doc`` (see :func:`_edited`); return those edited to different values in different cells."""
    conflicts = []
    for path, cells in dated.items():
        held = _held(doc, model, path)
        edits = _edited(held, cells, replaced.get(".".join(map(str, path)), []))
        if not edits:
            continue
        new, where = edits[0]
        other = next((w for n, w in edits[1:] if not _same(new, n)), None)
        if other is not None:
            conflicts.append(f"{where} and {other} ({'.'.join(map(str, path))}): edited to different values, but the "
                             f"data file holds one there; make them agree")
            continue
        cells_of[path] = where
        spell_current_form(doc, path)
        set_path(doc, path, new)
        changes.append(Change(".".join(map(str, path)), held, new, where))
    return conflicts


def _write_dated_apart(doc, model: dict, rows: list, cells_of: dict, changes: list) -> None:
    """Keep what each row of ``rows`` shows (a peer's market cap's as-of date and source) after the other edits: a
    date and source the file leaves to others (the peer's row) are written as the figure's own, both together,
    where those others no longer hold what the row shows (the row's date was edited, or this one was)."""
    for row in rows:
        if all(_same(_held(doc, model, path, fallback), value) for path, fallback, value, _ in row):
            continue
        for path, _, value, where in row:
            old = get_path(doc, path, None)
            if not _same(old, value):
                cells_of[path] = where
                set_path(doc, path, value)
                changes.append(Change(".".join(map(str, path)), old, value, where))


def overrides_in(wb, sheets, shift: RowShift | None = None) -> list[str]:
    """Cells that the layout writes as formulas but that now hold typed values (rows followed through ``shift``); an
    empty one holds none (a workbook built before the layout gained the formula, or a formula cleared)."""
    shift = shift or RowShift({})
    found = []
    for sheet in sheets:
        if sheet.title not in wb.sheetnames:
            continue
        ws = wb[sheet.title]
        for item in sheet.items():
            if item.kind != "formula":
                continue
            for i, row in enumerate(item.cells):
                for j, raw in enumerate(row):
                    if raw is None:
                        continue
                    cell = ws.cell(shift.row(sheet.title, item.row + i), item.col + j)
                    if cell.data_type != "f" and cell.value is not None:
                        label = f" ({item.name or item.id})" if (item.name or item.id) else ""
                        found.append(f"{_cell_name(sheet.title, cell.row, cell.column)}{label} = {cell.value!r}")
    return found


def _ledger(lock: Path) -> dict:
    """What the last pull into a data file recorded in its lock file: {"build": id, "data": revision,
    "before": {path: the values pulls from that build replaced there, earliest first}} (a lock file of an
    earlier version holds one value a path)."""
    try:
        ledger = json.loads(lock.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    before = ledger.get("before", {}) if isinstance(ledger, dict) else {}
    return {**ledger, "before": {path: [old] if isinstance(old, str) else old for path, old in before.items()}}


def pull(workbook: Path, quarter: str | None = None, accept_overrides: bool = False,
         data_dir: Path | None = None, dry_run: bool = False, accept_older: bool = False, wb=None) -> PullResult:
    """Write the inputs changed in ``workbook`` into its quarter's data file; return what changed.

    A workbook built from an older version of the data file (changed since by hand or by another
    pull) is refused when pulling it would set values back, unless ``accept_older``. ``wb``: the file as
    openpyxl read it already, if it was.
    """
    workbook = open_checked(workbook, identity=TOOL_PROPERTY)
    try:
        wb = read_workbook(workbook) if wb is None else wb
    except Exception as err:
        raise KwaiError(f"{workbook}: cannot be read as an .xlsx workbook ({err.__class__.__name__})") from None
    built_for, lang, xlwings = identity(wb, workbook)
    if quarter and quarter != built_for:
        raise KwaiError(f"{workbook}: built for quarter {built_for}, not {quarter}; pull it into {built_for}")
    data_file = paths.recorded_data_file(properties(wb).get(DATA_FILE_PROPERTY), built_for, data_dir)
    with nullcontext(lock_path(data_file)) if dry_run else locked(data_file, keep=True) as lock:  # a dry run writes nothing
        return _pull_locked(wb, workbook, data_file, lock, lang, xlwings, accept_overrides, dry_run, accept_older)


def _pull_locked(wb, workbook: Path, data_file: Path, lock: Path, lang: str, xlwings: bool,
                 accept_overrides: bool, dry_run: bool, accept_older: bool) -> PullResult:
    q = load_quarter(data_file)
    sheets = layouts(q, lang, xlwings)
    moved = layout_mismatch(wb, sheets)
    shift = row_shift(wb, sheets) if moved else RowShift({})
    if shift is None:
        raise KwaiError(f"{workbook}: its layout does not match {data_file} ({moved}); was a name deleted or a "
                        f"column inserted, or was it built from an older version of the data file?")
    result = PullResult(data_file, overrides=overrides_in(wb, sheets, shift))
    if result.overrides and not accept_overrides:
        shown = "; ".join(result.overrides[:4]) + (f"; and {len(result.overrides) - 4} more" if len(result.overrides) > 4 else "")
        raise KwaiError(f"{workbook}: {len(result.overrides)} cell(s) hold typed values over formulas: {shown}. "
                        f"Pass --accept-overrides to pull the inputs anyway (the typed values are not inputs: a rebuild "
                        f"then asks --force and keeps this workbook as a backup), or type the formulas back first")

    props, ledger, now = properties(wb), _ledger(lock), data_revisions(q)
    stale = props.get(DATA_PROPERTY) not in (None, *now)
    # when the data file is as the last pull from this very build left it, only a change back to a value
    # that pull replaced steps back (a copy of the workbook); any other change is a new edit
    same_build = ledger.get("build") == props.get(BUILD_PROPERTY) and ledger.get("data") in now
    replaced = ledger["before"] if same_build else None
    doc = load_document(data_file)
    model = q.model_dump()  # supplies the defaults of keys the file leaves out
    codes = choice_codes(wb)  # a choice the workbook shows translated is written as its code
    items = {item.name: (sheet, item) for sheet in sheets for item in sheet.items() if item.name}
    cells_of = {}
    typed = []  # text where a number or date belongs, a date edited two ways: named with the validation's problems
    dated = {}  # a date's or source's path → (value shown, cell) of every cell showing it
    shown_apart = []  # per row dated by a figure's own keys or, where the file leaves them out, by others: what it shows
    for name, cells in input_paths(q).items():
        sheet, item = items[name]
        ws = wb[sheet.title]
        rows = sorted({i for i, _ in cells})
        for (i, j), path in cells.items():
            row = shift.row(sheet.title, item.row + i)  # where the analyst's inserted rows moved it
            where = _cell_name(sheet.title, row, item.col + j)
            result.read.setdefault(sheet.title, set()).add((row, item.col + j))
            cells_of[path] = where
            old = get_path(doc, path, get_path(model, path))
            shown = ws.cell(row, item.col + j).value
            new = _tidy(codes.get(shown, shown) if isinstance(shown, str) else shown, old)
            if _is_number(old) and new is not None and not _is_number(new):
                typed.append(f"{where} ({name}): {repr(new)[:60]} is not a number; the data file holds "
                             f"{old!r} there (type a number, not text or TRUE/FALSE)")
                continue
            if not _same(old, new):
                spell_current_form(doc, path)  # the keys the cell writes to, where the file has an older form
                set_path(doc, path, new)
                if new is not None:  # a new figure: a rolled figure's "refresh" note goes with it
                    refreshed(doc, path)
                result.changes.append(Change(".".join(map(str, path)), old, new, where))
        for i in rows:
            row = shift.row(sheet.title, item.row + i)
            own, default = dated_paths(q, name, i)
            apart = []
            for path, fallback, col in zip(own, default, (sheet.as_of_col, sheet.source_col)):
                if path is None:
                    continue
                where = _cell_name(sheet.title, row, col)
                result.read.setdefault(sheet.title, set()).add((row, col))
                cells_of.setdefault(path, where)
                old = _held(doc, model, path, fallback)
                new = _tidy(ws.cell(row, col).value, old)
                if isinstance(old, date) and isinstance(new, str):
                    typed.append(f"{where} ({name} as of): {new!r} is not a date")
                elif fallback is not None:
                    apart.append((path, fallback, old if new is None else new, where))
                elif new is not None:
                    dated.setdefault(path, []).append((new, where))
            if apart:
                shown_apart.append(apart)
    typed += _write_dated(doc, model, dated, replaced or {}, cells_of, result.changes)
    _write_dated_apart(doc, model, shown_apart, cells_of, result.changes)
    try:
        edited = validate_document(data_file, doc)
        invalid = None
    except KwaiError as err:
        invalid = err
    problems = typed + ([f"{cells_of[tuple(f)] + ' ' if tuple(f) in cells_of else ''}{text}" for f, text in invalid.problems]
                        if invalid is not None else [])
    if len(problems) > 1:  # each with the cell it came from
        raise KwaiError(f"{workbook}: the edited inputs do not validate ({len(problems)} problems): "
                        + "; ".join(problems))
    if typed:
        raise KwaiError(f"{workbook}: {typed[0]}")
    if invalid is not None:
        where = cells_of.get(tuple(invalid.field), "")
        raise KwaiError(f"{workbook}: {where + ': ' if where else ''}the edited inputs do not validate: {invalid}")
    older = [c for c in result.changes if stale and (replaced is None or str(c.new) in replaced.get(c.path, ()))]
    if older and not accept_older:
        shown = "; ".join(map(str, older[:4])) + (f"; and {len(older) - 4} more" if len(older) > 4 else "")
        raise KwaiError(f"{workbook}: built from an older version of {data_file}, which changed since (by hand or "
                        f"another pull); pulling could set {len(older)} value(s) back: {shown}. If these are your edits, pass "
                        f"--accept-older to write them over what the data file holds now; to keep the data file instead, "
                        f"rebuild with `kwai-xl build --force` (this workbook is kept as a backup) and redo the edits there")
    if result.changes and not dry_run:
        write_atomically(data_file, dump_document(doc).encode("utf-8"))
        before = {path: list(olds) for path, olds in (replaced or {}).items()}
        for c in result.changes:
            before.setdefault(c.path, []).extend([] if str(c.old) in before.get(c.path, ()) else [str(c.old)])
        lock.write_text(json.dumps({"build": props.get(BUILD_PROPERTY), "data": data_revision(edited), "before": before}),
                        encoding="utf-8")
    return result
