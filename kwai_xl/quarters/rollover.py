"""``kwai-xl new-quarter``: a new quarter's data file, rolled forward from an earlier one.

Every figure is carried forward with its old as-of date (a peer's market cap
dated apart from its estimates keeps its own), so whatever the analyst does not
refresh is visibly stale. When the fiscal year turns
(FY0 = the year before the quarter's), Kuaishou's per-year figures move one
slot left per year and the new slots are empty; each peer group keeps its figures
and the years those figures are for (its ``years``), so the SOTP refuses to apply
them to the new FY1 until they are refreshed.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ruamel.yaml.comments import CommentedSeq

from .. import paths
from ..atomic import write_atomically
from ..errors import KwaiError
from .datafile import dump_document, load_document, mark_rolled, validate_document
from .schema import Quarter, load_quarter
from .staleness import StaleInput, stale_inputs

YEAR_FIELDS = ("revenue", "net_profit", "gmv")


@dataclass
class Rollover:
    path: Path
    shift: int
    stale: list[StaleInput]
    problem: str | None  # why the new file does not validate yet, if it does not


def quarter_end(quarter: str) -> date:
    year, q = int(quarter[:4]), int(quarter[5])
    month = 3 * q
    return date(year, month, calendar.monthrange(year, month)[1])


def fy0_of(quarter: str) -> int:
    """The last reported fiscal year in ``quarter``: Kuaishou reports each year in the following March."""
    return int(quarter[:4]) - 1


def _flow(values) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def roll_document(doc, old: Quarter, new_quarter: str, today: date):
    """Edit the round-trip document of ``old`` in place into ``new_quarter``'s; return the year shift."""
    shift = fy0_of(new_quarter) - old.years[0]
    if shift < 0 or new_quarter <= old.quarter:
        raise KwaiError(f"new-quarter: {new_quarter} is not after {old.quarter}; roll forward only")
    doc.yaml_set_start_comment(f"Rolled forward from {old.quarter} by kwai-xl new-quarter on {today}: "
                               f"refresh what it listed as stale.")
    doc["quarter"] = new_quarter
    doc["as_of"] = min(today, quarter_end(new_quarter))
    doc["title"] = f"Kuaishou 01024.HK SOTP, {new_quarter} (rolled forward from {old.quarter})"
    if "title_zh" in doc:
        doc["title_zh"] = f"快手 01024.HK 分部估值,{new_quarter}(由 {old.quarter} 滚动生成)"
    if shift:
        years = [y + shift for y in old.years]
        doc["years"] = _flow(years)
        kuaishou = doc["kuaishou"]
        for key in YEAR_FIELDS:
            if key in kuaishou:
                values = (list(kuaishou[key])[shift:] + [None] * min(shift, 3))[:3]
                kuaishou[key] = _flow(values)
                rolled = [year for year, value in zip(years, values) if value is not None]
                if rolled:
                    mark_rolled(kuaishou, key, old.quarter, rolled)
        for group in doc["peers"]["groups"]:  # peers' figures move with the years, like Kuaishou's
            group.pop("years", None)
            for company in group["companies"]:
                for key in YEAR_FIELDS:
                    if key in company:
                        company[key] = _flow((list(company[key])[shift:] + [None] * min(shift, 3))[:3])
        for segment in doc["sotp"]["segments"]:  # a typed FY1 figure is now last year's: say so, the schema refuses it
            if "value" in segment and "year" not in segment["value"]:
                segment["value"]["year"] = old.years[1]
    return shift


def new_quarter(new: str, old: str, data_dir: Path | None = None, today: date | None = None,
                force: bool = False) -> Rollover:
    """Write ``new``'s data file from ``old``'s; refuse to overwrite an existing file unless ``force``."""
    if not paths.is_quarter(new):
        raise KwaiError(f"new-quarter: {new!r} is not a quarter like 2024Q1")
    old_path = paths.quarter_path(old, data_dir, option="--from")
    new_path = Path(data_dir or paths.DATA_DIR) / f"{new}.yaml"
    if new_path.exists() and not force:
        raise KwaiError(f"{new_path}: already exists; pass --force to replace it")
    old_q = load_quarter(old_path)
    doc = load_document(old_path)
    shift = roll_document(doc, old_q, new, today or date.today())
    problem, stale = None, []
    try:
        validate_document(new_path, doc)
    except KwaiError as err:  # the new year's figures are still to enter: say which
        problem = str(err)
    try:
        stale = stale_inputs(validate_document(new_path, doc, partial=True))
    except KwaiError:
        pass  # a problem beyond figures to enter: named above
    write_atomically(new_path, dump_document(doc).encode("utf-8"))
    return Rollover(new_path, shift, stale, problem)
