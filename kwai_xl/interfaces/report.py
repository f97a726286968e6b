"""Model outputs as plain data (JSON) and as rich tables for the terminal."""

import math

import numpy as np
from rich.table import Table

from ..engine.inputs import GROUPS
from ..engine.scenarios import SCENARIOS

MULTIPLE_LABEL = {"ps": "PS", "pe": "PE", "pgmv": "P/GMV"}
GROUP_LABEL = {"ls": "Live streaming", "ads": "Online marketing", "ec": "Live commerce"}
SEGMENT_BASIS = {"ls": "net profit × PE", "ads": "revenue × PS", "ec": "GMV × P/GMV"}


def jsonable(value):
    """``value`` with numpy arrays as lists and NaN as None, ready for ``json.dumps``."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def _fmt(value, spec: str) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, spec)


def gmv_grid_table(title: str, grid, row_label: str, rows, row_spec: str, cols, col_spec: str) -> Table:
    """A 3 × 3 GMV grid (亿元) with its axes' values in the headers."""
    table = Table(title=title)
    table.add_column(row_label)
    for name, col in zip(SCENARIOS, cols):
        table.add_column(f"{name} {_fmt(col, col_spec)}", justify="right")
    for name, row_value, row in zip(SCENARIOS, rows, grid):
        table.add_row(f"{name} {_fmt(row_value, row_spec)}", *[_fmt(v, ",.0f") for v in row])
    return table


def peer_stats_table(out: dict, years) -> Table:
    """Mean, median and peer count per group and multiple, FY0–FY2."""
    table = Table(title="Peer multiples (×): mean / median (peers used)")
    table.add_column("Group")
    table.add_column("Multiple")
    for year in years:
        table.add_column(str(year), justify="right")
    for prefix, (_, multiples, applied) in GROUPS.items():
        for mult in multiples:
            cells = [f"{_fmt(m, '.2f')} / {_fmt(d, '.2f')} ({c})" for m, d, c in
                     zip(out[f"{prefix}_{mult}_mean"], out[f"{prefix}_{mult}_median"], out[f"{prefix}_{mult}_count"])]
            mark = " *" if mult == applied else ""
            table.add_row(GROUP_LABEL[prefix], MULTIPLE_LABEL[mult] + mark, *cells)
    table.caption = "* the multiple the SOTP applies"
    return table


def sotp_table(out: dict, price: float) -> Table:
    """The SOTP chain from segment values to upside."""
    table = Table(title="Sum of the parts (FY1)")
    table.add_column("Line")
    table.add_column("Basis")
    table.add_column("Multiple", justify="right")
    table.add_column("Value", justify="right")
    for seg in ("ls", "ads", "ec"):
        table.add_row(GROUP_LABEL[seg], f"{SEGMENT_BASIS[seg]} ({out[f'sotp_{seg}_stat']})",
                      f"{out[f'sotp_{seg}_multiple']:.2f}x", f"RMB {out[f'sotp_{seg}_value']:,.0f} 百万")
    table.add_row("Equity value", "", "", f"RMB {out['sotp_equity_rmb']:,.0f} 百万")
    table.add_row("Equity value", "", "", f"HKD {out['sotp_equity_hkd']:,.0f} 百万")
    table.add_row("Value per share", "", "", f"HKD {out['sotp_per_share']:,.2f}")
    table.add_row("Share price", "", "", f"HKD {price:,.2f}")
    table.add_row("Upside", "", "", f"{out['sotp_upside']:+.1%}")
    return table
