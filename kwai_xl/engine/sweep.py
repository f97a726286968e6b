"""Sweeps of the valuation: the tornado, Monte Carlo draws and the sensitivity grids.

The swept inputs are the SOTP's multiplicative drivers (each segment's
metric, its margin where it has one, and the peer multiple applied to it); everything else stays at the
quarter's values. Every function evaluates all its cases in one vectorised
call of :func:`kwai_xl.engine.sotp.sotp`.
"""

from dataclasses import dataclass

import numpy as np

from . import gmv, sotp
from .inputs import ModelInputs, sweep_keys
from .scenarios import scenario_index

PERCENTILES = (5, 25, 50, 75, 95)


def base_values(inputs: ModelInputs, outputs: dict) -> dict[str, float]:
    """Each swept input's value in the quarter's own case: every segment's metric, margin and multiple."""
    out = {}
    for k, seg in enumerate(inputs.segments):
        out[seg.sweep_keys[0]] = outputs[f"sotp_{seg.key}_figure"]
        if seg.margin:
            out[f"{seg.key}_margin"] = float(inputs.seg_margin[k])
        out[f"{seg.key}_multiple"] = outputs[f"sotp_{seg.key}_multiple"]
    return out


def bounds(inputs: ModelInputs, outputs: dict) -> dict[str, tuple[float, float]]:
    """Each swept input's (low, high), relative ranges applied to its base value."""
    base = base_values(inputs, outputs)
    out = {}
    for key in sweep_keys(inputs.segments):
        low, high, basis = inputs.ranges[key][:3]
        out[key] = (base[key] * (1 + low), base[key] * (1 + high)) if basis == "relative" else (low, high)
    return out


def per_share(inputs: ModelInputs, outputs: dict, **cases) -> np.ndarray:
    """Value per share (HKD) with some swept inputs replaced by arrays of cases (they broadcast)."""
    v = {**base_values(inputs, outputs), **cases}
    metrics, multiples = [], []
    for seg in inputs.segments:
        metric = v[seg.sweep_keys[0]]
        metrics.append(sotp.profit_from_revenue(metric, v[f"{seg.key}_margin"]) if seg.margin else metric)
        multiples.append(v[f"{seg.key}_multiple"])
    metrics = np.stack(np.broadcast_arrays(*metrics), axis=-1)
    multiples = np.stack(np.broadcast_arrays(*multiples), axis=-1)
    return sotp.sotp(metrics, multiples, inputs.seg_premium, fx_rmb_per_hkd=inputs.fx_rmb_per_hkd,
                     shares=inputs.shares, price=inputs.price, net_cash=inputs.net_cash,
                     holding_discount=inputs.holding_discount).per_share


@dataclass(frozen=True)
class TornadoBar:
    key: str
    low: float      # the input's low bound
    high: float     # its high bound
    at_low: float   # value per share (HKD) with the input at its low bound
    at_high: float

    @property
    def swing(self) -> float:
        return abs(self.at_high - self.at_low)


def tornado(inputs: ModelInputs, outputs: dict) -> list[TornadoBar]:
    """Value per share with each swept input alone at its low and its high, in :func:`sweep_keys` order."""
    rng = bounds(inputs, outputs)
    return [TornadoBar(key, lo, hi, float(per_share(inputs, outputs, **{key: lo})),
                       float(per_share(inputs, outputs, **{key: hi}))) for key, (lo, hi) in rng.items()]


def swing_ranks(bars: list[TornadoBar]) -> np.ndarray:
    """Each bar's place (1 = widest) by swing, ties in input order, as the sheet ranks them (RANK + COUNTIF)."""
    swings = np.array([b.swing for b in bars])
    return np.array([np.sum(swings > s) + np.sum(swings[:k + 1] == s) for k, s in enumerate(swings)])


def by_swing(bars: list[TornadoBar]) -> list[TornadoBar]:
    """The bars widest first (the tornado's order)."""
    order = np.argsort(swing_ranks(bars), kind="stable")
    return [bars[k] for k in order]


def centred_axis(low: float, base: float, high: float, steps) -> np.ndarray:
    """Points about ``base``: step 0 is the base, −1 the low end, +1 the high end, linear on each side."""
    steps = np.asarray(steps, float)
    return base + np.maximum(steps, 0) * (high - base) + np.minimum(steps, 0) * (base - low)


def grid_segments(inputs: ModelInputs) -> tuple[str, str]:
    """The two segments whose multiples span the value-per-share grid (rows, columns)."""
    keys = [seg.key for seg in inputs.segments]
    return tuple(inputs.sens_grid) if inputs.sens_grid else (keys[-2], keys[-1]) if len(keys) > 1 else (keys[0], keys[0])


def multiples_grid(inputs: ModelInputs, outputs: dict):
    """(row axis, column axis, grid): value per share over two segments' multiples, centred on the base case."""
    rng, base = bounds(inputs, outputs), base_values(inputs, outputs)
    row_key, col_key = (f"{k}_multiple" for k in grid_segments(inputs))
    rows = centred_axis(rng[row_key][0], base[row_key], rng[row_key][1], inputs.sens_steps)
    cols = centred_axis(rng[col_key][0], base[col_key], rng[col_key][1], inputs.sens_steps)
    if row_key == col_key:
        return rows, cols, per_share(inputs, outputs, **{row_key: rows[:, None] + 0 * cols[None, :]})
    return rows, cols, per_share(inputs, outputs, **{row_key: rows[:, None], col_key: cols[None, :]})


def gmv_grid(inputs: ModelInputs):
    """(penetration axis, spend axis, grid): user-method GMV (亿元) for penetration (rows) × spend (columns),
    centred on the Base scenario and reaching Bear and Bull, the active-buyer ratio at the selected scenario."""
    pen = centred_axis(*inputs.um_penetration, inputs.sens_steps)
    spend = centred_axis(*inputs.um_spend, inputs.sens_steps)
    active = inputs.um_active_ratio[scenario_index(inputs.scenario)]
    return pen, spend, gmv.user_gmv(inputs.um_netizens, pen[:, None], active, spend[None, :])


def draw_cases(inputs: ModelInputs, outputs: dict, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` Monte Carlo draws of every swept input, independent, triangular around the base or uniform."""
    rng = np.random.default_rng(seed)
    base = base_values(inputs, outputs)
    draws = {}
    for key, (lo, hi) in bounds(inputs, outputs).items():
        dist = inputs.ranges[key][3] if len(inputs.ranges[key]) > 3 else "triangular"
        if hi == lo:
            draws[key] = np.full(n, lo)
        elif dist == "uniform":
            draws[key] = rng.uniform(lo, hi, n)
        else:
            draws[key] = rng.triangular(lo, min(max(base[key], lo), hi), hi, n)
    return draws


@dataclass(frozen=True)
class MonteCarlo:
    draws: dict[str, np.ndarray]
    per_share: np.ndarray

    def percentiles(self) -> dict[int, float]:
        return dict(zip(PERCENTILES, np.percentile(self.per_share, PERCENTILES).tolist()))

    def probability_above(self, price: float) -> float:
        return float(np.mean(self.per_share > price))


def monte_carlo(inputs: ModelInputs, outputs: dict, n: int, seed: int = 0) -> MonteCarlo:
    """Value per share over ``n`` joint draws of the swept inputs."""
    draws = draw_cases(inputs, outputs, n, seed)
    return MonteCarlo(draws, per_share(inputs, outputs, **draws))
