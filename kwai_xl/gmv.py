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


def user_gmv_grid(netizens, penetration, active_ratio, spend):
    """3 × 3 user-method GMV grid (亿元): rows spend[i], columns buyers[j]."""
    buyers = user_buyers(netizens, np.asarray(penetration, float), np.asarray(active_ratio, float))
    return np.multiply.outer(np.asarray(spend, float), buyers)


def category_adv_gmv(sales_total, penetration, completion_rate):
    """Advantage-category GMV (亿元) = category online sales (亿元) × penetration / order completion rate."""
    return np.divide(np.multiply(sales_total, penetration), completion_rate)


def category_gmv(sales_total, penetration, completion_rate, adv_share):
    """Category-method GMV (亿元) = advantage-category GMV / the categories' share of live-commerce GMV."""
    return np.divide(category_adv_gmv(sales_total, penetration, completion_rate), adv_share)


def category_gmv_grid(sales_total, penetration, completion_rate, adv_share):
    """3 × 3 category-method GMV grid (亿元): rows share[i], columns advantage GMV[j]."""
    adv = category_adv_gmv(sales_total, np.asarray(penetration, float), completion_rate)
    return np.divide.outer(adv, np.asarray(adv_share, float)).T
