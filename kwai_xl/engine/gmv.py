"""Live-commerce GMV by the user method (用户法) and the category method (品类法).

MODEL.md §1–2. Every function broadcasts like numpy arithmetic, so a scalar
call, a scenario row and a sweep of a million draws use the same code.
"""

import numpy as np


def user_buyers(netizens, penetration, active_ratio):
    """Live-commerce active buyers (亿人) = netizens (亿人) × penetration × active-buyer ratio."""
    return np.multiply(np.multiply(netizens, penetration), active_ratio)


def user_gmv(netizens, penetration, active_ratio, spend):
    """User-method GMV (亿元) = buyers (亿人) × spend per buyer (元/year)."""
    return np.multiply(user_buyers(netizens, penetration, active_ratio), spend)


def _per_row(x):
    """A per-case scalar (or array of n cases) lined up against the last, scenario axis."""
    return np.expand_dims(np.asarray(x, float), -1)


def user_gmv_grid(netizens, penetration, active_ratio, spend):
    """User-method GMV grid (亿元): rows spend[i], columns buyers[j].

    Scenario inputs are 3 values (a 3 × 3 grid) or n × 3 for n cases (n × 3 × 3 grids).
    """
    buyers = user_buyers(_per_row(netizens), np.asarray(penetration, float), np.asarray(active_ratio, float))
    spend = np.asarray(spend, float)
    return spend[..., :, None] * buyers[..., None, :]


def category_adv_gmv(sales_total, penetration, completion_rate):
    """Advantage-category GMV (亿元) = category online sales (亿元) × penetration / order completion rate."""
    return np.divide(np.multiply(sales_total, penetration), completion_rate)


def category_gmv(sales_total, penetration, completion_rate, adv_share):
    """Category-method GMV (亿元) = advantage-category GMV / the categories' share of live-commerce GMV."""
    return np.divide(category_adv_gmv(sales_total, penetration, completion_rate), adv_share)


def category_gmv_grid(sales_total, penetration, completion_rate, adv_share):
    """Category-method GMV grid (亿元): rows share[i], columns advantage GMV[j].

    Scenario inputs are 3 values (a 3 × 3 grid) or n × 3 for n cases (n × 3 × 3 grids).
    """
    adv = category_adv_gmv(_per_row(sales_total), np.asarray(penetration, float), _per_row(completion_rate))
    share = np.asarray(adv_share, float)
    return adv[..., None, :] / share[..., :, None]
