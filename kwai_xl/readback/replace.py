"""``kwai-xl build`` over an existing workbook: replaced when nothing would be lost, the analyst's sheets carried.

The existing file is judged by meaning (:mod:`.losses`): right after ``pull``, or
after Excel or LibreOffice merely saved it, it is replaced without ceremony;
otherwise the build is refused, naming what would be lost. Sheets the analyst
added are carried into the rebuild (:mod:`.carry`); when something on them cannot
be carried (charts, images, pivot tables) a backup of the old file is kept.
"""

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KwaiError
from ..quarters.schema import Quarter
from ..workbook.build import XLWINGS_CONF, BuildResult, default_workbook_path, layouts, unexpected_errors, workbook_bytes, write_workbook
from ..workbook.fingerprint import workbook_fingerprint
from ..workbook.layout import defined_names
from .carry import Carry, carry_from
from .losses import identity, open_workbook, rebuild_losses


@dataclass
class Rebuilt(BuildResult):
    carried: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)


def _analyst_sheets(path: Path, q: Quarter, lang: str, xlwings: bool) -> tuple[Carry, str]:
    """The sheets of the workbook at ``path`` that no build of ``q`` writes, and their fingerprint ("" for none)."""
    wb = open_workbook(path)
    if wb is None:
        return Carry(), ""
    try:
        _, old_lang, old_xlwings = identity(wb, path)
    except KwaiError:
        return Carry(), ""
    sheets = layouts(q, lang, xlwings)
    generated = [s.title for s in sheets + layouts(q, old_lang, old_xlwings)] + [XLWINGS_CONF]
    carry = carry_from(path, wb, generated, defined_names(sheets))
    return carry, workbook_fingerprint(wb, carry.sheets) if carry.sheets else ""


def replace_workbook(q: Quarter, out: Path | None = None, lang: str = "en", xlwings: bool = False,
                     force: bool = False, data_dir: Path | None = None) -> Rebuilt:
    """Build ``q``'s workbook at ``out`` over whatever is there, losing nothing without ``force``.

    ``data_dir`` holds the data file of the existing workbook's quarter when it is not ``q``'s.
    """
    path = Path(out) if out else default_workbook_path(q.quarter)
    carry, carried_print = _analyst_sheets(path, q, lang, xlwings) if path.exists() else (Carry(), "")
    judged = []

    def judge(p: Path) -> list[str]:
        lost = rebuild_losses(p, q, data_dir)
        if judged:  # saved while building: its own sheets must still be the ones carried
            now, now_print = _analyst_sheets(p, q, lang, xlwings)
            if now_print != carried_print:
                lost.append(f"the sheets {', '.join(now.sheets or carry.sheets)} as saved while kwai-xl was building")
        judged.append(p)
        return lost

    made = {}

    def build() -> bytes:
        data, made["summary"] = workbook_bytes(q, lang, xlwings, carry if carry.sheets or carry.names else None)
        errors = unexpected_errors(made["summary"], lang, tuple(carry.sheets))
        if errors:
            raise KwaiError(f"{path}: not written, formulas would evaluate to errors: {errors}")
        return data

    backup = write_workbook(path, build, judge, force, backup=bool(carry.not_carried))
    return Rebuilt(path, made["summary"].get("total_formulas", 0), {}, backup,
                   carry.sheets, carry.warnings, carry.not_carried)
