"""Sweeps of the valuation: the tornado, Monte Carlo draws and the sensitivity grids.

The swept inputs are the SOTP's seven multiplicative drivers (each segment's
metric and the peer multiple applied to it); everything else stays at the
quarter's values. Every function evaluates all its cases in one vectorised
call of :func:`kwai_xl.engine.sotp.sotp`.
"""

from dataclasses import dataclass

import numpy as np

from . import gmv, sotp
from .inputs import ModelInputs
from .scenarios import scenario_index

PERCENTILES = (5, 25, 50, 75, 95)

SWEEP_KEYS = ("ls_revenue", "ls_margin", "ls_multiple", "ads_revenue", "ads_multiple", "ec_gmv", "ec_multiple")
"""The SOTP inputs a sweep varies: each segment's metric and the peer multiple applied to it."""


def base_values(inputs: ModelInputs, outputs: dict) -> dict[str, float]:
    """Each swept input's value in the quarter's own case."""
    return {
        "ls_revenue": inputs.sotp_ls_revenue, "ls_margin": inputs.sotp_ls_margin,
        "ls_multiple": outputs["sotp_ls_multiple"], "ads_revenue": inputs.sotp_ads_revenue,
        "ads_multiple": outputs["sotp_ads_multiple"], "ec_gmv": outputs["sotp_ec_gmv"],
        "ec_multiple": outputs["sotp_ec_multiple"],
    }


def bounds(inputs: ModelInputs, outputs: dict) -> dict[str, tuple[float, float]]:
    """Each swept input's (low, high), relative ranges applied to its base value."""
    base = base_values(inputs, outputs)
    out = {}
    for key in SWEEP_KEYS:
        low, high, basis = inputs.ranges[key][:3]
        out[key] = (base[key] * (1 + low), base[key] * (1 + high)) if basis == "relative" else (low, high)
    return out


def per_share(inputs: ModelInputs, outputs: dict, **cases) -> np.ndarray:
    """Value per share (HKD) with some swept inputs replaced by arrays of cases (they broadcast)."""
    v = {**base_values(inputs, outputs), **cases}
    return sotp.sotp(
        ls_revenue=v["ls_revenue"], ls_margin=v["ls_margin"], ls_pe=v["ls_multiple"],
        ads_revenue=v["ads_revenue"], ads_ps=v["ads_multiple"], ec_gmv=v["ec_gmv"], ec_pgmv=v["ec_multiple"],
        fx_rmb_per_hkd=inputs.fx_rmb_per_hkd, shares=inputs.shares, price=inputs.price,
        net_cash=inputs.net_cash, holding_discount=inputs.holding_discount,
        ls_premium=inputs.sotp_premium[0], ads_premium=inputs.sotp_premium[1], ec_premium=inputs.sotp_premium[2],
    ).per_share


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
    """Value per share with each swept input alone at its low and its high, in :data:`SWEEP_KEYS` order."""
    rng = bounds(inputs, outputs)
    return [TornadoBar(key, lo, hi, float(per_share(inputs, outputs, **{key: lo})),
                       float(per_share(inputs, outputs, **{key: hi}))) for key, (lo, hi) in rng.items()]


def axis(low: float, high: float, steps) -> np.ndarray:
    """Points from ``low`` to ``high`` at the given steps (fractions of the way)."""
    return low + (high - low) * np.asarray(steps, float)


def multiples_grid(inputs: ModelInputs, outputs: dict):
    """(PS axis, P/GMV axis, grid): value per share for the ads PS (rows) × the live-commerce P/GMV (columns)."""
    rng = bounds(inputs, outputs)
    ps = axis(*rng["ads_multiple"], inputs.sens_steps)
    pg = axis(*rng["ec_multiple"], inputs.sens_steps)
    return ps, pg, per_share(inputs, outputs, ads_multiple=ps[:, None], ec_multiple=pg[None, :])


def gmv_grid(inputs: ModelInputs):
    """(penetration axis, spend axis, grid): user-method GMV (亿元) for penetration (rows) × spend (columns),
    the axes running from the Bear to the Bull input, the active-buyer ratio at the selected scenario."""
    pen = axis(inputs.um_penetration[0], inputs.um_penetration[-1], inputs.sens_steps)
    spend = axis(inputs.um_spend[0], inputs.um_spend[-1], inputs.sens_steps)
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
