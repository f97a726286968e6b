"""``kwai-xl build`` over an existing workbook: replaced when nothing would be lost, the analyst's sheets carried.

The existing file is judged by meaning (:mod:`.losses`): right after ``pull``, or
after Excel or LibreOffice merely saved it, it is replaced without ceremony;
otherwise the build is refused, naming what would be lost. Sheets, names and
document properties the analyst added are carried into the rebuild (:mod:`.carry`);
when something cannot be carried (charts, images, pivot tables) a backup of the old
file is kept.
"""

import functools
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KwaiError
from ..quarters.schema import Quarter
from ..workbook.build import (
    LANG_PROPERTY,
    QUARTER_PROPERTY,
    BuildResult,
    default_workbook_path,
    file_stamp,
    foreign_contents,
    formula_errors,
    generated_titles,
    layouts,
    unexpected_errors,
    workbook_bytes,
    write_workbook,
    written_titles,
)
from ..workbook.layout import defined_names
from ..workbook.package import custom_properties, untouched_since_built
from .carry import Carry, carry_from
from .losses import Pulled, identity, open_workbook, rebuild_losses, shown_cell
from .pull import pull


@dataclass
class Rebuilt(BuildResult):
    carried: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)


def _built_for(path: Path) -> tuple[str, str] | None:
    """(quarter, language) kwai-xl recorded in the workbook at ``path``; None when there is none to read."""
    try:
        with zipfile.ZipFile(path) as z:
            props = custom_properties(path, z)
    except (OSError, zipfile.BadZipFile, KwaiError):
        return None
    return (props[QUARTER_PROPERTY], props.get(LANG_PROPERTY, "en")) if QUARTER_PROPERTY in props else None


def _only_generated(path: Path, q: Quarter, lang: str, xlwings: bool) -> bool:
    """Whether the file at ``path`` is exactly as kwai-xl wrote it and holds nothing a build of ``q`` does not
    write again (:func:`~kwai_xl.workbook.build.foreign_contents`, read from the zip alone). Anything else is
    read and carried."""
    return untouched_since_built(path) and not foreign_contents(path, q, lang, xlwings)


def _analysts_own(path: Path, wb, q: Quarter, lang: str, xlwings: bool) -> Carry:
    """What of ``wb`` (the workbook at ``path``, None when unreadable) no build of ``q`` writes: the analyst's
    sheets, names and document properties."""
    if wb is None:
        return Carry()
    try:
        _, old_lang, old_xlwings = identity(wb, path)
    except KwaiError:
        return Carry()
    generated = generated_titles(q, lang, xlwings, old_lang, old_xlwings)
    return carry_from(path, wb, generated, defined_names(layouts(q, lang, xlwings)), written_titles(q, lang, xlwings))


def unpulled_inputs(path: Path, q: Quarter, data_dir: Path | None = None, wb=None) -> Pulled | None:
    """What ``pull`` reads of the workbook at ``path`` (``wb``: as openpyxl read it, if it was) and would still carry
    into ``q``'s data file; None where pull cannot tell (it refuses the workbook, or would write another file than
    ``q``'s)."""
    try:
        result = pull(path, data_dir=data_dir, dry_run=True, accept_overrides=True, wb=wb)
    except KwaiError:
        return None
    if q.path is None or Path(result.data_file).resolve() != Path(q.path).resolve():
        return None
    return Pulled([f"input {c.cell} is {shown_cell(c.new)}, the data file has {shown_cell(c.old)} (at {c.path})"
                   for c in result.changes], result.read)


def replace_workbook(q: Quarter, out: Path | None = None, lang: str = "en", xlwings: bool = False,
                     force: bool = False, data_dir: Path | None = None) -> Rebuilt:
    """Build ``q``'s workbook at ``out`` over whatever is there, losing nothing without ``force``.

    ``data_dir`` holds the data file of the existing workbook's quarter when it is not ``q``'s.
    The existing file is read once; one exactly as kwai-xl wrote it, holding nothing the build does not
    write again (no sheet or name of the analyst's), is not parsed at all.
    """
    path = Path(out) if out else default_workbook_path(q.quarter, lang)
    read_at = file_stamp(path)
    old = open_workbook(path) if read_at and not _only_generated(path, q, lang, xlwings) else None
    carry = _analysts_own(path, old, q, lang, xlwings)
    judged = []

    def judge(p: Path) -> list[str]:
        if not judged and file_stamp(p) == read_at:  # the file as read above
            lost = rebuild_losses(p, q, data_dir, old, functools.partial(unpulled_inputs, p, q, data_dir, old))
        else:  # saved since it was read: read again, and what is the analyst's must still be what was carried
            lost = (rebuild_losses(p, q, data_dir, unpulled=functools.partial(unpulled_inputs, p, q, data_dir))
                    + _analysts_own(p, open_workbook(p), q, lang, xlwings).changed_from(carry))
        judged.append(p)
        return lost

    made = {}

    def build() -> bytes:
        data, made["summary"] = workbook_bytes(q, lang, xlwings, carry or None, carry.extended)
        errors = unexpected_errors(made["summary"], lang, tuple(carry.sheets))
        if errors:
            raise formula_errors(path, errors, layouts(q, lang, xlwings))
        return data

    was = _built_for(path) if read_at else None
    other = was is not None and was != (q.quarter, lang)  # another quarter's or language's workbook: kept aside
    backup = write_workbook(path, build, judge, force, backup=bool(carry.not_carried) or other)
    warnings = carry.warnings + ([f"{path} held the {was[0]} workbook ({was[1]}), now {q.quarter} ({lang})"]
                                 if other and backup else [])
    return Rebuilt(path, made["summary"].get("total_formulas", 0), {}, backup, carry.sheets, warnings, carry.not_carried)
