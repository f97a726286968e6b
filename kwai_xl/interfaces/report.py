"""Model outputs as plain data (JSON) and as rich tables for the terminal."""

import math

import numpy as np
from rich.markup import escape
from rich.table import Table

from ..engine.scenarios import SCENARIOS
from ..quarters.datafile import shown
from ..quarters.schema import Quarter
from ..registry import structure_of

MULTIPLE_LABEL = {"ps": "PS", "pe": "PE", "pgmv": "P/GMV"}


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


def peer_stats_table(out: dict, q: Quarter) -> Table:
    """Mean, median and peer count per group and multiple, FY0–FY2; * marks a multiple a segment applies."""
    table = Table(title="Peer multiples (×): mean / median (peers used)")
    table.add_column("Group")
    table.add_column("Multiple")
    for year in q.years:
        table.add_column(str(year), justify="right")
    structure = structure_of(q)
    for group in q.peers.groups:
        applied = {s.multiple for s in q.sotp.segments if s.group == group.key}
        for mult in structure.group_multiples(group.key):
            cells = [f"{_fmt(m, '.2f')} / {_fmt(d, '.2f')} ({c})" for m, d, c in
                     zip(out[f"{group.key}_{mult}_mean"], out[f"{group.key}_{mult}_median"], out[f"{group.key}_{mult}_count"])]
            table.add_row(group.name, MULTIPLE_LABEL[mult] + (" *" if mult in applied else ""), *cells)
    table.caption = "* a multiple the SOTP applies"
    return table


def sotp_table(out: dict, q: Quarter) -> Table:
    """The SOTP chain from segment values to upside."""
    table = Table(title="Sum of the parts (FY1)")
    table.add_column("Line")
    table.add_column("Basis")
    table.add_column("Multiple", justify="right")
    table.add_column("Value", justify="right")
    for seg in q.sotp.segments:
        basis = f"{seg.metric.replace('_', ' ')}{' × margin' if seg.margin else ''} × {MULTIPLE_LABEL[seg.multiple]}"
        table.add_row(seg.name, f"{basis} ({out[f'sotp_{seg.key}_stat']})",
                      f"{out[f'sotp_{seg.key}_multiple']:.2f}x", f"RMB {out[f'sotp_{seg.key}_value']:,.0f} 百万")
    table.add_row("Sum of the segments", "", "", f"RMB {sum(out[f'sotp_{s.key}_value'] for s in q.sotp.segments):,.0f} 百万")
    table.add_row("+ net cash", "", "", f"RMB {q.market.net_cash.value:,.0f} 百万")
    table.add_row("− holding discount", "", "", f"RMB {q.market.holding_discount.value:,.0f} 百万")
    table.add_row("Equity value", "", "", f"RMB {out['sotp_equity_rmb']:,.0f} 百万")
    table.add_row("Equity value in HKD", "", "", f"HKD {out['sotp_equity_hkd']:,.0f} 百万")
    table.add_row("Value per share", "", "", f"HKD {out['sotp_per_share']:,.2f}")
    table.add_row("Share price", "", "", f"HKD {q.market.price.value:,.2f}")
    table.add_row("Upside", "", "", f"{out['sotp_upside']:+.1%}")
    return table


def input_diff_table(qa: Quarter, qb: Quarter, differences) -> Table:
    """The inputs that differ between two quarters (whole keys; per-year figures by fiscal year)."""
    table = Table(title=f"Inputs: {qa.quarter} → {qb.quarter} (per-year figures by fiscal year)", expand=True)
    table.add_column("input", overflow="fold", ratio=4)
    for column in (qa.quarter, qb.quarter):  # each value column as wide as the key's, long texts folded
        table.add_column(column, justify="right", overflow="fold", ratio=2, min_width=10)
    for d in differences:
        is_year = "year" in d.path.rsplit(".", 1)[-1]  # fiscal years read as years, not as 2,025
        old, new = (str(v) if is_year and isinstance(v, int) else _short(shown(v)) for v in (d.old, d.new))
        table.add_row(escape(d.path), escape(old), escape(new))
    return table


def _short(text: str, most: int = 120) -> str:
    """``text`` cut to ``most`` characters (a note or source in a table of differences)."""
    return text if len(text) <= most else text[:most - 1] + "…"



def result_diff_table(qa: Quarter, qb: Quarter, differences) -> Table:
    """Key results of two quarters and their change (the upside's in percentage points)."""
    table = Table(title="Results")
    for column in ("result", qa.quarter, qb.quarter, "change"):
        table.add_column(column, justify="right" if column != "result" else "left")
    for d in differences:
        if d.path == "sotp_upside":
            table.add_row(d.path, f"{d.old:+.1%}", f"{d.new:+.1%}", f"{(d.new - d.old) * 100:+.1f} pp")
        else:
            spec = ",.2f" if abs(d.old) < 1000 else ",.0f"
            change = f"{d.new / d.old - 1:+.1%}" if d.old else "–"
            table.add_row(d.path, format(d.old, spec), format(d.new, spec), change)
    return table


def tornado_table(bars) -> Table:
    """The tornado's bars, widest first: each input's range and the value per share at either end."""
    table = Table(title="Tornado: value per share with each input alone at its low and high")
    for column in ("input", "low", "high", "at low", "at high", "swing"):
        table.add_column(column, justify="left" if column == "input" else "right")
    for b in bars:
        spec = ".2f" if b.key.endswith(("multiple", "margin")) else ",.0f"
        table.add_row(b.key, format(b.low, spec), format(b.high, spec), f"{b.at_low:,.2f}", f"{b.at_high:,.2f}",
                      f"{b.swing:,.2f}")
    return table


def monte_carlo_table(mc, draws: int, seed: int, price: float) -> Table:
    """Monte Carlo percentiles, mean and the probability of a value above the price (HKD per share)."""
    table = Table(title=f"Monte Carlo: {draws:,} draws (seed {seed}), HKD per share")
    for k in mc.percentiles():
        table.add_column(f"p{k}", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("P(> price)", justify="right")
    table.add_row(*[f"{v:,.2f}" for v in mc.percentiles().values()], f"{mc.per_share.mean():,.2f}",
                  f"{mc.probability_above(price):.1%}")
    return table
