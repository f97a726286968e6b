"""The engine's inputs (:class:`kwai_xl.engine.inputs.ModelInputs`) from public names, whatever holds them.

A quarter file and a workbook both answer "what is the value of public name N" — the file through the
registry's data-file paths, the workbook through its defined names — so one function,
:func:`inputs_from_names`, turns either into the engine's record.
"""

from typing import Callable

import numpy as np

from ..engine.comps import own_market_cap
from ..engine.inputs import DRIVERS, UNIT_CONSTANTS, ModelInputs, PeerGroup
from ..registry import Structure, public_names, structure_of
from .datafile import get_path
from .schema import Quarter

Block = Callable[[str], np.ndarray]
"""Name → its cells as a 2-D object array (blanks as None), shaped like the range."""


def _numbers(block: Block, name: str) -> np.ndarray:
    """A name's cells as floats, blanks as NaN; text, booleans and dates raise ValueError naming it."""
    arr = block(name)
    out = np.full(np.shape(arr), np.nan)
    for idx, v in np.ndenumerate(arr):
        if v is None or v == "":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{name} should hold numbers, found {v!r}")
        out[idx] = float(v)
    return out


def _text(block: Block, name: str):
    v = block(name)[0][0]
    return None if v in (None, "") else str(v)


def inputs_from_names(structure: Structure, block: Block, *, has: Callable[[str], bool] = lambda name: True,
                      dists: dict | None = None, sens_grid: tuple = ()) -> ModelInputs:
    """The engine's inputs from the values of the public names of a workbook or quarter of ``structure``."""
    def row(name):
        return _numbers(block, name).ravel()

    def scalar(name):
        return float(_numbers(block, name)[0, 0])

    def group(key: str) -> PeerGroup:
        mcap = row(f"{key}_mcap")
        shape = (mcap.size, 3)
        return PeerGroup(mcap, *(_numbers(block, f"{key}_{f}").reshape(shape) if has(f"{key}_{f}")
                                 else np.full(shape, np.nan) for f in ("rev", "np", "gmv")))

    segs = structure.segments
    ranges = {}
    for key in structure.ranges:
        low, high, basis = block(f"rng_{key}")[0]
        ranges[key] = (float(low), float(high), str(basis), (dists or {}).get(key, "triangular"))
    return ModelInputs(
        scenario=_text(block, "scenario"),
        sotp_stat=_text(block, "sotp_stat"),
        um_netizens=scalar("um_netizens"),
        um_penetration=row("um_penetration"),
        um_active_ratio=row("um_active_ratio"),
        um_spend=row("um_spend"),
        cm_sales=row("cm_sales"),
        cm_penetration=row("cm_penetration"),
        cm_completion=scalar("cm_completion"),
        cm_share=row("cm_share"),
        fx_rmb_per_hkd=scalar("fx_rmb_per_hkd"),
        ks=PeerGroup(own_market_cap(scalar("price"), scalar("shares")),
                     *(_numbers(block, f"ks_{f}").reshape(1, 3) for f in ("rev", "np", "gmv"))),
        groups={g.key: group(g.key) for g in structure.groups},
        segments=segs,
        seg_value=np.array([scalar(s.metric_name) if s.typed else np.nan for s in segs], float),
        seg_margin=np.array([scalar(f"sotp_{s.key}_margin") if s.margin else np.nan for s in segs], float),
        seg_premium=np.array([scalar(f"sotp_{s.key}_premium") for s in segs], float),
        seg_stat_override=tuple(_text(block, f"sotp_{s.key}_stat_override") for s in segs),
        net_cash=scalar("net_cash"),
        holding_discount=scalar("holding_discount"),
        shares=scalar("shares"),
        price=scalar("price"),
        drivers={key: row(f"drv_{key}") for key in DRIVERS},
        metric_source=(_text(block, "sotp_metric_source") or "Typed") if has("sotp_metric_source") else "Typed",
        constants={key: scalar(key) for key in UNIT_CONSTANTS},
        ranges=ranges,
        sens_steps=row("sens_steps"),
        sens_grid=tuple(sens_grid),
    )


def quarter_block(q: Quarter, structure: Structure) -> Block:
    """Public name → its values as the quarter file holds them (through the registry's paths)."""
    data = q.model_dump()
    names = public_names(structure)

    def block(name: str) -> np.ndarray:
        if name in UNIT_CONSTANTS:
            return np.array([[UNIT_CONSTANTS[name]]], dtype=object)
        pn = names[name]
        rows, cols = pn.size
        return np.array([[get_path(data, pn.cell_path(i, j), None) for j in range(cols)] for i in range(rows)],
                        dtype=object)
    return block


def inputs_from_quarter(q: Quarter) -> ModelInputs:
    """The flat inputs of a validated quarter file."""
    structure = structure_of(q)
    return inputs_from_names(structure, quarter_block(q, structure), has=public_names(structure).__contains__,
                             dists={key: r.dist for key, r in q.sensitivity.ranges.items()},
                             sens_grid=q.sensitivity.grid or ())
