"""The analyst's own sheets of an existing workbook, carried into its rebuild.

A sheet kwai-xl did not generate is copied cell by cell into the new workbook:
values, formulas, notes, number formats and cell styles, column widths, row
heights, merged cells, frozen panes; the analyst's own defined names come along
(the workbook's and those of one sheet, generated or not, each with its comment,
hidden flag and other attributes; those set on a public name stay on it), and so
do the document properties they set (title, author …, Company, Manager, Hyperlink
base, and custom ones; kwai-xl's own ``kwai_xl_*`` properties are written afresh).
Formulas that use public names keep working. A formula that points into a generated
sheet by address is listed as a warning (addresses move between builds). Charts,
images and pivot tables cannot be copied faithfully, nor a formula the build's
calculator cannot parse (carried as its last value), a name whose sheet the rebuild
does not have, a custom property of a type openpyxl cannot read, or an extended
properties part too large to read: they are named, and ``replace`` keeps a backup of
the old workbook.
"""

import re
import zipfile
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import formualizer
from defusedxml.ElementTree import fromstring
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.workbook.defined_name import DefinedName

from ..workbook.build import CORE_FIELDS, OWN_PROPERTY_PREFIX, analysts_core, name_attributes
from ..workbook.fingerprint import cell_text, normal_reference, workbook_fingerprint
from ..workbook.package import APP_PROPERTIES, EXTENDED_FIELDS, custom_properties, extended_properties, read_workbook

REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NOT_CARRIED = {"chart": "chart", "image": "image", "pivotTable": "pivot table", "oleObject": "embedded object"}
ADDRESS = re.compile(r"(?:'((?:[^']|'')+)'|([^\W\d][\w.]*))!(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)")
SHEET_PREFIX = re.compile(r"(?:'((?:[^']|'')+)'|([^'!]+))!")


@dataclass
class Carry:
    """The analyst's sheets, names and document properties of one workbook, ready to be added to a generated one."""

    source: object = None  # the old openpyxl workbook
    values: dict = field(default_factory=dict)  # (sheet, coordinate) → last value, for formulas carried as values
    sheets: list[str] = field(default_factory=list)
    sheets_print: str = ""  # the carried sheets' fingerprint
    names: dict[str, DefinedName] = field(default_factory=dict)  # the analyst's, and public ones they gave attributes
    local_names: dict[str, dict[str, DefinedName]] = field(default_factory=dict)  # sheet of the rebuild → its names
    core: dict[str, str] = field(default_factory=dict)
    extended: dict[str, str] = field(default_factory=dict)  # Company, Manager, HyperlinkBase → text
    custom: dict[str, object] = field(default_factory=dict)  # name → openpyxl's typed custom property
    warnings: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether there is anything to carry."""
        return bool(self.sheets or self.names or self.local_names or self.core or self.extended or self.custom)

    def __call__(self, wb) -> None:
        """Add the carried sheets, names and document properties to the generated workbook ``wb`` (the extended
        properties, which openpyxl does not write, go to the finished package: ``workbook_bytes``)."""
        for title in self.sheets:
            _copy_sheet(self.source[title], wb.create_sheet(title), self.values)
        for name, dn in self.names.items():
            if name in wb.defined_names:  # a public name: the build's reference, the analyst's comment …
                for key, value in name_attributes(dn).items():
                    setattr(wb.defined_names[name], key, value)
            else:
                wb.defined_names[name] = _copied(dn)
        for title, names in self.local_names.items():
            for name, dn in names.items():
                wb[title].defined_names[name] = _copied(dn)
        for key, value in self.core.items():
            setattr(wb.properties, key, value)
        for prop in self.custom.values():
            wb.custom_doc_props.append(copy(prop))

    def named(self) -> dict[str, tuple]:
        """Every name carried (one of a sheet as ``Sheet!name``) → its reference and the attributes set on it."""
        named = {f"{title}!{name}": dn for title, names in self.local_names.items() for name, dn in names.items()}
        return {name: (dn.attr_text, name_attributes(dn)) for name, dn in (self.names | named).items()}

    def properties(self) -> dict:
        """Every document property carried → its value; a custom one's quoted (it may share a field's name), with
        its type."""
        custom = {repr(name): (type(prop).__name__, prop.value) for name, prop in self.custom.items()}
        return self.core | self.extended | custom

    def changed_from(self, before: "Carry") -> list[str]:
        """What this reading of a workbook holds otherwise than ``before``, an earlier reading of it, as phrases."""
        out = [f"the sheets {', '.join(self.sheets or before.sheets)}"] if self.sheets_print != before.sheets_print else []
        out += [f"the name {name}" for name in _differing(self.named(), before.named())]
        out += [f"the document property {key}" for key in _differing(self.properties(), before.properties())]
        return [f"{what} as saved while kwai-xl was building" for what in out]


def _copied(dn: DefinedName) -> DefinedName:
    """A copy of the name ``dn`` with every attribute, for a workbook of its own (openpyxl sets the sheet index of a
    sheet's name when it writes)."""
    out = copy(dn)
    out.localSheetId = None
    return out


def _differing(a: dict, b: dict) -> list[str]:
    return sorted(key for key in a.keys() | b.keys() if a.get(key) != b.get(key))


def _copy_sheet(old, new, values: dict) -> None:
    for row in old.iter_rows():
        for cell in row:
            if cell.value is None and not cell.has_style and cell.comment is None:
                continue
            value = values.get((old.title, cell.coordinate), cell.value)
            out = new.cell(cell.row, cell.column, value)
            if cell.data_type == "s":
                out.value = cell_text(value) if isinstance(value, str) else value  # a literal _xHHHH_ stays literal
                out.data_type = "s"  # text that starts with "=" stays text
            if cell.hyperlink is not None:
                out.hyperlink = copy(cell.hyperlink)
            if cell.has_style:
                out.number_format = cell.number_format
                out.font, out.fill, out.border = copy(cell.font), copy(cell.fill), copy(cell.border)
                out.alignment, out.protection = copy(cell.alignment), copy(cell.protection)
            if cell.comment is not None:
                out.comment = copy(cell.comment)
    for key, dim in old.column_dimensions.items():
        if dim.width or dim.hidden:
            target = new.column_dimensions[key]
            target.width, target.hidden, target.min, target.max = dim.width, dim.hidden, dim.min, dim.max
    for key, dim in old.row_dimensions.items():
        if dim.height:
            new.row_dimensions[key].height = dim.height
    for merged in old.merged_cells.ranges:
        new.merge_cells(str(merged))
    new.freeze_panes = old.freeze_panes
    new.sheet_properties.tabColor = copy(old.sheet_properties.tabColor)


def _rels(z: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(relationship type's last word, target part) of every relationship of ``part`` in the package."""
    path = PurePosixPath(part)
    rels = str(path.parent / "_rels" / f"{path.name}.rels")
    if rels not in z.namelist():
        return []
    out = []
    for rel in fromstring(z.read(rels)).iter(f"{REL_NS}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else _tidy_part(f"{path.parent}/{target}")
        out.append((rel.get("Type", "").rsplit("/", 1)[-1], target))
    return out


def _tidy_part(part: str) -> str:
    parts = []
    for piece in part.split("/"):
        if piece == "..":
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def not_carried(path: Path, titles: list[str]) -> list[str]:
    """What the sheets ``titles`` of the workbook at ``path`` hold that cannot be copied: charts, images, pivots."""
    out = []
    with zipfile.ZipFile(path) as z:
        rels = {rel.get("Id"): rel.get("Target", "")
                for rel in fromstring(z.read("xl/_rels/workbook.xml.rels")).iter(f"{REL_NS}Relationship")}
        parts = {}
        for sheet in fromstring(z.read("xl/workbook.xml")).iter(f"{SHEET_NS}sheet"):
            target = rels.get(sheet.get(f"{DOC_REL_NS}id"), "")
            parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else _tidy_part(f"xl/{target}")
        for title in titles:
            counts: dict[str, int] = {}
            for kind, target in _rels(z, parts.get(title, "")):
                inner = _rels(z, target) if kind == "drawing" else [(kind, target)]
                for k, _ in inner:
                    if k in NOT_CARRIED:
                        counts[NOT_CARRIED[k]] = counts.get(NOT_CARRIED[k], 0) + 1
            if counts:
                out.append(f"sheet {title!r}: " + ", ".join(f"{n} {k}{'s' if n > 1 else ''}" for k, n in counts.items()))
    return out


def address_warnings(ws, generated: list[str], names: dict[str, str]) -> list[str]:
    """Formulas of ``ws`` that point into ``generated`` sheets by address, with the public name to use where one fits."""
    own = {t.casefold(): t for t in generated}
    by_ref = {normal_reference(ref): name for name, ref in names.items()}
    out = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type != "f" or not isinstance(cell.value, str):
                continue
            for m in ADDRESS.finditer(cell.value):
                sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
                if sheet.casefold() not in own:
                    continue
                ref = f"{own[sheet.casefold()]}!{m.group(3)}"
                name = by_ref.get(normal_reference(ref))
                out.append(f"{ws.title}!{cell.coordinate} refers to {ref} by address (addresses can move between "
                           f"builds{'; use the name ' + name if name else ''})")
    return out


def _unparseable(ws) -> list[str]:
    """Coordinates of formulas on ``ws`` that the build's calculator cannot parse."""
    out = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                try:
                    formualizer.parse(cell.value)
                except Exception:  # formualizer's ParserError and kin
                    out.append(cell.coordinate)
    return out


def referred_sheets(ref: str) -> set[str]:
    """The sheets a defined name's reference or formula names (``'Peer Comps'!$A$1*2`` → ``{'Peer Comps'}``)."""
    try:
        tokens = Tokenizer(f"={ref}").items
    except Exception:  # openpyxl's TokenizerError and kin: nothing can be told, the name is carried as it is
        return set()
    out = set()
    for token in tokens:
        m = SHEET_PREFIX.match(token.value) if token.type == Token.OPERAND and token.subtype == Token.RANGE else None
        if m:
            out.add((m.group(1) or "").replace("''", "'") or m.group(2))
    return out


def _carry_name(carry: Carry, rebuilt: dict[str, str], dn: DefinedName, sheet: str | None = None) -> None:
    """Carry the name ``dn`` (of ``sheet``, else of the workbook) when the rebuild has its sheet and every sheet it
    refers to (``rebuilt``: those sheets by folded title); name it as not carried otherwise."""
    needed = ([sheet] if sheet else []) + sorted(referred_sheets(dn.attr_text))
    missing = [s for s in needed if s.casefold() not in rebuilt]
    if missing:
        carry.not_carried.append(f"the name {sheet + '!' if sheet else ''}{dn.name} ({dn.attr_text}): the rebuilt "
                                 f"workbook has no sheet {missing[0]!r}")
    elif sheet:
        carry.local_names.setdefault(rebuilt[sheet.casefold()], {})[dn.name] = dn
    else:
        carry.names[dn.name] = dn


def _carry_package_properties(carry: Carry, path: Path, read: set[str]) -> None:
    """Carry the extended properties of the file at ``path``, which openpyxl does not read; name them when the part
    is too large to read, and the custom properties openpyxl did not read (``read``: of a type it does not know)."""
    with zipfile.ZipFile(path) as z:
        custom, extended = custom_properties(path, z), extended_properties(path, z)
    carry.not_carried += [f"the document property {name!r} (of a type kwai-xl cannot copy)" for name in custom
                          if name not in read and not name.startswith(OWN_PROPERTY_PREFIX)]
    if extended is None:
        fields = ", ".join(EXTENDED_FIELDS[:-1]) + f" and {EXTENDED_FIELDS[-1]}"
        carry.not_carried.append(f"the document properties {fields} ({APP_PROPERTIES} is larger than kwai-xl reads)")
    carry.extended = extended or {}


def carry_from(path: Path, wb, generated: list[str], names: dict[str, str], written: list[str]) -> Carry:
    """The sheets of ``wb`` (the workbook at ``path``) that are not among ``generated``, the analyst's names and
    document properties.

    ``names`` are the public names of the generated workbook (they are not carried: the rebuild writes them);
    ``written`` the titles of the sheets the rebuild writes (a name of another generated sheet cannot be carried).
    """
    own = {t.casefold() for t in generated}
    titles = [t for t in wb.sheetnames if t.casefold() not in own]
    carry = Carry(source=wb, sheets=titles, sheets_print=workbook_fingerprint(wb, titles) if titles else "")
    rebuilt = {t.casefold(): t for t in written + titles}
    for name, dn in wb.defined_names.items():
        if name.startswith("_xlnm") or not dn.attr_text:
            continue
        if name not in names:
            _carry_name(carry, rebuilt, dn)
        elif name_attributes(dn):  # a public name the analyst gave a comment, a hidden flag …
            carry.names[name] = dn
    for ws in wb.worksheets:
        for name, dn in ws.defined_names.items():
            if not name.startswith("_xlnm") and dn.attr_text:
                _carry_name(carry, rebuilt, dn, ws.title)
    carry.core = analysts_core({key: getattr(wb.properties, key) for key in CORE_FIELDS})
    carry.custom = {p.name: p for p in wb.custom_doc_props if not p.name.startswith(OWN_PROPERTY_PREFIX)}
    _carry_package_properties(carry, path, {p.name for p in wb.custom_doc_props})
    cached = None
    for title in titles:
        carry.warnings += address_warnings(wb[title], generated, names)
        for coordinate in _unparseable(wb[title]):
            cached = cached or read_workbook(path, data_only=True)
            value = carry.values[(title, coordinate)] = cached[title][coordinate].value
            carry.not_carried.append(f"{title}!{coordinate}: the formula {wb[title][coordinate].value!r}, which kwai-xl "
                                     f"cannot compute (carried as its last value, {value!r})")
    carry.not_carried += not_carried(path, titles) if titles else []
    return carry
