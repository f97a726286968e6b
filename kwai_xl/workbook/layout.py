"""Sheet layouts: templates rendered to data, placed on a grid, formulas resolved.

A sheet template (``templates/sheets/*.yaml.j2``) renders, through a jinja2
sandbox, to YAML describing blocks of items. An item is one labelled row or
a rectangle of cells (a grid, a peer table) holding inputs, formulas or text.
Formulas refer to other items by id in braces, never by address:

``{x}``        the cell of ``x`` in the same row/column position (a scalar: its one cell);
``{x[j]}``     element j of ``x`` along this item's columns (``i`` for its rows; or a number;
               ``j-4`` is four columns left of this one);
``{x[i,0]}``   row i, column 0 of a rectangle; slices ``{x[0:2,1:3]}`` give ranges, and ``{x[0:i+1,0]}``
               a range from a fixed first row down to this row's (``$C$5:C7``);
``{x:}``       the whole of ``x`` (its defined name where it has one);
``{@sheet}``   every used cell of the sheet with that key (for the error check);
``{x__asof}``  the as-of date column beside ``x`` (indexed like ``x``'s rows).

Placement assigns each item its address; then every token becomes an A1
reference, relative along the axis it follows (so each row repeats one formula)
and absolute elsewhere, prefixed by the sheet where it crosses sheets.
"""

import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from openpyxl.utils import get_column_letter, quote_sheetname

from ..diskcache import cache_dir, enabled, open_private_dir, open_private_file
from ..errors import TemplateError
from ..safeyaml import safe_yaml

FIRST_VALUE_COL = 3  # A: label, B: unit, C…: values
TOKEN = re.compile(r"\{(@?)([a-z_][a-z0-9_]*)(?:\[([^\]]+)\])?(:?)\}")


@dataclass
class Item:
    """One labelled rectangle of cells (h rows × w columns)."""

    kind: str  # input | formula | text | note | heading
    cells: list[list[Any]]
    id: str | None = None
    label: str = ""
    unit: str = ""
    source: str = ""
    as_of: Any = None
    fmt: Any = None
    name: str | None = None
    names: dict = field(default_factory=dict)
    row_labels: list[str] = field(default_factory=list)
    validation: str | None = None
    validation_cols: list[int] = field(default_factory=list)  # the columns the dropdown covers (default: all)
    style: str | None = None
    comment: str | None = None
    beside: int | None = None  # placed on the previous item's rows, this many columns right of the first value column
    shift: int = 0  # on rows of its own, this many columns right of the first value column
    base_cell: list | None = None  # (i, j) of the base case in a grid: framed and bold
    link: str | None = None  # the key of a sheet its first cell links to (a hyperlink, not a formula)
    shows: str | None = None  # its text cells are formulas showing one of item <shows>'s texts: sized by the longest
    from_later_files: bool = False  # an input filled from later quarter files, not from this quarter's own
    row: int = 0
    col: int = FIRST_VALUE_COL

    @property
    def h(self) -> int:
        return len(self.cells)

    @property
    def w(self) -> int:
        return max((len(r) for r in self.cells), default=0)

    def fmt_at(self, i: int, j: int):
        """The number-format key of cell (i, j): one key, one per column, or one per cell."""
        f = self.fmt
        if isinstance(f, list):
            f = f[i] if f and isinstance(f[0], list) else f[j] if j < len(f) else None
            if isinstance(f, list):
                f = f[j] if j < len(f) else None
        return f


@dataclass
class Block:
    title: str
    items: list[Item]
    header: list[list[Any]] = field(default_factory=list)
    note: str = ""
    id: str | None = None
    row: int = 0


@dataclass
class SheetLayout:
    key: str
    title: str
    heading: str
    subtitle: str
    blocks: list[Block]
    charts: list[dict] = field(default_factory=list)
    tab_color: str | None = None
    landscape: bool = False
    label_width: float = 44
    unit_width: float = 17
    value_width: float = 13
    source_width: float = 60
    freeze: str | None = "C4"
    print_extra_cols: int = 0
    # value-column offsets (0 = column C) at block boundaries where a printout too wide for one page at a
    # readable scale may start a new page across (the sources' columns always may): see writer._page_starts
    page_breaks: list[int] = field(default_factory=list)
    labels_as_of: str = "As of"
    labels_source: str = "Source"
    labels_invalid_choice: str = "Choose a value from the list"
    labels_contents: str = "Contents"
    labels_footer: str = "&A — page &P of &N"
    max_row: int = 0
    max_col: int = 0

    @functools.cached_property
    def as_of_col(self) -> int:
        """The as-of column: right of the widest item's last value column (an item's cells are fixed once rendered)."""
        return FIRST_VALUE_COL + max(((it.beside or it.shift) + it.w for b in self.blocks for it in b.items), default=1)

    @property
    def source_col(self) -> int:
        return self.as_of_col + 1

    def items(self):
        for block in self.blocks:
            yield from block.items


_NOT_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
"""Characters JSON leaves as they are but a YAML reader refuses or reads as a line break: DEL, C1 controls,
the line and paragraph separators, surrogates, non-characters."""


def _escaped(m: re.Match) -> str:
    code = ord(m.group())
    return "\\ufffd" if 0xD800 <= code <= 0xDFFF else f"\\u{code:04x}"  # a lone surrogate is no character


def yaml_scalar(value) -> str:
    """``value`` as a YAML flow scalar (a JSON string, number or null): safe for any text."""
    return _NOT_PRINTABLE.sub(_escaped, json.dumps(value, ensure_ascii=False, default=_isoformat))


def _isoformat(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a template")


class PrivateBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates in kwai-xl's private cache folder (:mod:`kwai_xl.diskcache`); checked on every use, so
    a compiled template planted there by anyone else (a foreign owner, a group- or world-writable folder or file,
    a symbolic link) is never loaded, and nothing is written to such a folder."""

    def _open_dir(self) -> int | None:
        return open_private_dir(Path(self.directory))

    def load_bytecode(self, bucket) -> None:
        dir_fd = self._open_dir()
        if dir_fd is None:
            return
        try:
            fh = open_private_file(self.pattern % (bucket.key,), dir_fd)
        finally:
            os.close(dir_fd)
        if fh is not None:
            with fh:
                bucket.load_bytecode(fh)

    def dump_bytecode(self, bucket) -> None:
        dir_fd = self._open_dir()
        if dir_fd is None:
            return
        os.close(dir_fd)
        try:
            super().dump_bytecode(bucket)
        except OSError:  # a full disk or a read-only folder: compiled again next time
            pass


def _bytecode_cache() -> PrivateBytecodeCache | None:
    """The on-disk cache of compiled templates, or None (kept in memory only) where it cannot be private or
    kwai-xl keeps nothing on disk (``KWAI_XL_CACHE=off``)."""
    try:
        folder = cache_dir()
    except (RuntimeError, KeyError):  # no home folder to keep it in
        return None
    dir_fd = open_private_dir(folder, make=True) if enabled() else None
    if dir_fd is None:
        return None
    os.close(dir_fd)
    return PrivateBytecodeCache(str(folder))


@functools.lru_cache(maxsize=4)
def template_environment(templates_dir: Path) -> SandboxedEnvironment:
    """A sandboxed jinja2 environment over ``templates_dir``; undefined variables are errors.

    Compiled templates are cached in memory and, keyed by their source's checksum, in the user's
    private cache folder (:class:`PrivateBytecodeCache`), so a fresh process skips compiling them.
    """
    env = SandboxedEnvironment(loader=FileSystemLoader(str(templates_dir)), undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                               bytecode_cache=_bytecode_cache())
    env.filters.update({
        "y": yaml_scalar,                            # any value as a YAML scalar, safe for any text
        "as_row": lambda v: [v],                     # a scalar as a one-cell row
        "add_suffix": lambda v, suffix: f"{v}{suffix}",
        "prefix": lambda v, prefix: f"{prefix}{v}",
        "brace": lambda v: "{" + v + "}",           # an id as a formula reference token
        "present_rows": _present_rows,               # the ids of a data table's rows that exist, for a chart
        "shown": lambda code, labels: labels.get("choice_display", {}).get(code, code),  # a choice as the language shows it
    })
    return env


def _present_rows(table, prefix: str, keys: list[str]) -> list[str]:
    """``prefix_key`` for each of ``keys`` that is a row of the data ``table`` (a chart plots what the data has)."""
    have = {row.key for row in table.rows}
    return [f"{prefix}_{key}" for key in keys if key in have]


def _rows(value) -> list[list[Any]]:
    if value is None:
        return [[]]
    if isinstance(value, list):
        if value and all(isinstance(r, list) for r in value):
            return value
        return [value]
    return [[value]]


def _item(spec: dict) -> Item:
    spec = dict(spec)
    h = int(spec.pop("rows", 1))
    w = spec.pop("cols", None)
    if "input" in spec:
        kind, cells = "input", _rows(spec.pop("input"))
    elif "f" in spec:
        f = spec.pop("f")
        if isinstance(f, str):
            cells = [[f] * int(w or 1) for _ in range(h)]
        elif isinstance(f, list) and f and all(isinstance(r, list) for r in f):
            cells = f
        else:
            cells = [list(f) for _ in range(h)]
        kind = "formula"
    elif "text" in spec:
        kind, cells = "text", _rows(spec.pop("text"))
    else:
        kind = spec.pop("kind", "note")
        cells = [[]]
    allowed = {"id", "label", "unit", "source", "as_of", "fmt", "name", "names", "row_labels",
               "validation", "validation_cols", "style", "comment", "beside", "shift", "base_cell", "link", "shows",
               "from_later_files"}
    unknown = set(spec) - allowed - {"kind"}
    if unknown:
        raise TemplateError(f"template item {spec.get('id') or spec.get('label')!r}: unknown keys {sorted(unknown)}")
    spec.pop("kind", None)
    return Item(kind=kind, cells=cells, **spec)


def render_sheet(env: SandboxedEnvironment, template: str, context: dict) -> SheetLayout:
    """Render one sheet template to a :class:`SheetLayout` (not yet placed)."""
    text = env.get_template(template).render(**context)
    try:
        data = safe_yaml().load(text)
    except Exception as err:  # a template bug, not user input: say which template
        raise TemplateError(f"template {template}: rendered text is not valid YAML ({err.__class__.__name__}: {str(err).splitlines()[0]})") from None
    blocks = [Block(title=b.get("title", ""), header=_rows(b["header"]) if b.get("header") else [],
                    note=b.get("note", ""), id=b.get("id"), items=[_item(i) for i in b.get("items", [])])
              for b in data.pop("blocks")]
    return SheetLayout(blocks=blocks, **data)


def place(sheet: SheetLayout) -> None:
    """Give every block and item of ``sheet`` its rows: heading, subtitle, then blocks one under another."""
    r = 4  # 1 heading, 2 subtitle, 3 blank
    for block in sheet.blocks:
        block.row = r
        r += 1 + len(block.header)
        previous = None
        for item in block.items:
            if item.beside is not None and previous is not None:
                item.row, item.col = previous.row, FIRST_VALUE_COL + item.beside
                r = max(r, item.row + max(item.h, 1))
            else:
                item.row, item.col = r, FIRST_VALUE_COL + item.shift
                r += max(item.h, 1)
            previous = item
        r += 1
    sheet.max_row = r
    sheet.max_col = sheet.source_col


@dataclass(frozen=True)
class Target:
    sheet: str
    row: int
    col: int
    h: int
    w: int
    name: str | None


class References:
    """Every item id (and sheet key) of the workbook, and how to cite it from a given cell."""

    def __init__(self, sheets: list[SheetLayout]):
        self.targets: dict[str, Target] = {}
        self.sheet_ranges: dict[str, str] = {}
        self.titles: dict[str, str] = {sheet.key: sheet.title for sheet in sheets}
        for sheet in sheets:
            last_col = get_column_letter(max(sheet.as_of_col - 1, FIRST_VALUE_COL))
            self.sheet_ranges[sheet.key] = f"{quote_sheetname(sheet.title)}!$A$1:${last_col}${sheet.max_row}"
            for block in sheet.blocks:
                if block.id and block.header:
                    self._add(block.id, Target(sheet.title, block.row + len(block.header), FIRST_VALUE_COL,
                                               1, len(block.header[-1]), None))
            for item in sheet.items():
                if item.id:
                    self._add(item.id, Target(sheet.title, item.row, item.col, item.h, item.w, item.name))
                    if item.as_of:  # ``{x__asof}``: the as-of date cell(s) beside x
                        self._add(f"{item.id}__asof", Target(sheet.title, item.row, sheet.as_of_col, item.h, 1, None))
                for name, (r0, r1, c0, c1) in item.names.items():
                    self._add(name, Target(sheet.title, item.row + r0, item.col + c0, r1 - r0, c1 - c0, name))
                if item.name and item.name != item.id:
                    self._add(item.name, Target(sheet.title, item.row, item.col, item.h, item.w, item.name))

    def _add(self, ident: str, target: Target) -> None:
        if ident in self.targets:
            raise TemplateError(f"template: id {ident!r} is used twice")
        self.targets[ident] = target

    def is_link(self, formula: str, sheet: str) -> bool:
        """Whether ``formula`` only fetches one reference from another sheet (a green link)."""
        m = re.fullmatch(r"=(?:\{([a-z_][a-z0-9_]*)(?:\[[^\]]*\])?\}|([a-z_][a-z0-9_]*))", formula)
        if not m:
            return False
        t = self.targets.get(m.group(1) or m.group(2))
        return t is not None and t.sheet != sheet

    def resolve(self, formula: str, sheet: str, i: int, j: int, h: int, w: int) -> str:
        """``formula`` with every token replaced by a reference valid in cell (i, j) of an h × w item on ``sheet``."""
        def one(m: re.Match) -> str:
            at, ident, index, whole = m.groups()
            if at:
                if ident not in self.sheet_ranges:
                    raise TemplateError(f"template formula {formula!r}: no sheet with key {ident!r}")
                return self.sheet_ranges[ident]
            t = self.targets.get(ident)
            if t is None:
                raise TemplateError(f"template formula {formula!r}: no item with id {ident!r}")
            prefix = "" if t.sheet == sheet else quote_sheetname(t.sheet) + "!"
            if whole:
                return t.name or prefix + _range(t, 0, t.h, 0, t.w)
            if index is None:
                if t.h == 1 and t.w == 1:
                    return t.name or prefix + _cell(t, 0, 0, False, False)
                if t.h == 1 and t.w == w:
                    return prefix + _cell(t, 0, j, False, True)
                if t.w == 1 and t.h == h:
                    return prefix + _cell(t, i, 0, True, False)
                if (t.h, t.w) == (h, w):
                    return prefix + _cell(t, i, j, True, True)
                raise TemplateError(f"template formula {formula!r}: {ident} is {t.h}×{t.w}, cannot align with a {h}×{w} item")
            parts = [p.strip() for p in index.split(",")]
            if len(parts) == 1:
                parts = ["0", parts[0]] if t.h == 1 else [parts[0], "0"]
            (r0, r1, rrel), (c0, c1, crel) = (_axis(parts[0], i, j, t.h, formula), _axis(parts[1], i, j, t.w, formula))
            return prefix + _range(t, r0, r1, c0, c1, rrel, crel)

        out = TOKEN.sub(one, formula)
        if "{" in out or "}" in out:
            raise TemplateError(f"template formula {formula!r}: a brace is not a valid reference")
        return out


def _axis(part: str, i: int, j: int, size: int, formula: str):
    """(start, stop, anchoring) of one index: ``i``, ``j``, a number, a slice ``a:b`` or a running
    slice ``a:i+1`` (from a fixed start to this row; the end moves as the formula repeats)."""
    m = re.fullmatch(r"([ij])(?:-(\d+))?", part)
    if m:
        k = (i if m.group(1) == "i" else j) - int(m.group(2) or 0)
        if not 0 <= k < size:
            raise TemplateError(f"template formula {formula!r}: index {part} outside 0..{size - 1}")
        return k, k + 1, True
    running = re.fullmatch(r"(\d+):([ij])\+1", part)
    if running:
        start, k = int(running.group(1)), (i if running.group(2) == "i" else j)
        if not 0 <= start <= k < size:
            raise TemplateError(f"template formula {formula!r}: index {part} outside 0..{size - 1}")
        return start, k + 1, "running"
    if ":" in part:
        a, b = part.split(":")
        start, stop = int(a or 0), int(b or size)
    else:
        start = int(part)
        stop = start + 1
    if not (0 <= start < stop <= size):
        raise TemplateError(f"template formula {formula!r}: index {part} outside 0..{size - 1}")
    return start, stop, False


def _cell(t: Target, r: int, c: int, row_relative: bool, col_relative: bool) -> str:
    col = get_column_letter(t.col + c)
    return f"{'' if col_relative else '$'}{col}{'' if row_relative else '$'}{t.row + r}"


def _range(t: Target, r0: int, r1: int, c0: int, c1: int, row_relative=False, col_relative=False) -> str:
    """A1 range of rows r0..r1-1 and columns c0..c1-1 of ``t``; one cell when it is one.

    A ``"running"`` axis anchors the start and lets the end move: ``$C$5:C7``.
    """
    first = _cell(t, r0, c0, row_relative is True, col_relative is True)
    if r1 - r0 == 1 and c1 - c0 == 1 and "running" not in (row_relative, col_relative):
        return first
    last = _cell(t, r1 - 1, c1 - 1, row_relative in (True, "running"), col_relative in (True, "running"))
    return f"{first}:{last}"


def data_cells(sheet: SheetLayout, from_later_files: bool = False) -> set[tuple[int, int]]:
    """(row, column) of every cell of ``sheet`` that the data file fills: inputs, their dates and sources (or, with
    ``from_later_files``, those that later quarter files fill)."""
    cells = set()
    for item in sheet.items():
        if item.from_later_files != from_later_files:
            continue
        if item.kind == "input":
            cells |= {(item.row + i, item.col + j) for i in range(item.h) for j in range(item.w)}
        if item.source or item.as_of:
            cells |= {(item.row + i, c) for i in range(max(item.h, 1)) for c in (sheet.as_of_col, sheet.source_col)}
    return cells


def defined_names(sheets: list[SheetLayout]) -> dict[str, str]:
    """Every defined name of the workbook → its absolute reference."""
    names = {}
    for sheet in sheets:
        for item in sheet.items():
            t = Target(sheet.title, item.row, item.col, item.h, item.w, None)
            if item.name:
                names[item.name] = f"{quote_sheetname(sheet.title)}!{_range(t, 0, item.h, 0, item.w)}"
            for name, (r0, r1, c0, c1) in item.names.items():
                names[name] = f"{quote_sheetname(sheet.title)}!{_range(t, r0, r1, c0, c1)}"
    return names
