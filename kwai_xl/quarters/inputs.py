"""The engine's inputs (:class:`kwai_xl.engine.inputs.ModelInputs`) from a validated quarter file."""

import numpy as np

from ..engine.inputs import DRIVERS, GROUPS, ModelInputs, PeerGroup
from .schema import Company, Quarter


def _figures(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def peer_group(companies: list[Company]) -> PeerGroup:
    """Market caps (n,) and FY0–FY2 fundamentals (n × 3, NaN where missing) of ``companies``."""
    return PeerGroup(
        mcap=np.array([c.market_cap for c in companies], dtype=float),
        rev=np.array([_figures(c.revenue) for c in companies]).reshape(-1, 3),
        np=np.array([_figures(c.net_profit) for c in companies]).reshape(-1, 3),
        gmv=np.array([_figures(c.gmv) for c in companies]).reshape(-1, 3),
    )


def inputs_from_quarter(q: Quarter) -> ModelInputs:
    """The flat inputs of a validated quarter file."""
    return ModelInputs(
        scenario=q.choices.scenario.value,
        sotp_stat=q.choices.statistic.value,
        um_netizens=q.user_method.netizens.value,
        um_penetration=np.array(q.user_method.penetration.values, float),
        um_active_ratio=np.array(q.user_method.active_ratio.values, float),
        um_spend=np.array(q.user_method.spend.values, float),
        cm_sales=np.array([c.sales for c in q.category_method.categories], float),
        cm_penetration=np.array(q.category_method.penetration.values, float),
        cm_completion=q.category_method.completion.value,
        cm_share=np.array(q.category_method.share.values, float),
        fx_rmb_per_hkd=q.market.fx_rmb_per_hkd.value,
        ks=peer_group([q.kuaishou]),
        groups={prefix: peer_group(getattr(q.peers, key)) for prefix, (key, _, _) in GROUPS.items()},
        sotp_ls_revenue=q.sotp.ls_revenue.value,
        sotp_ls_margin=q.sotp.ls_margin.value,
        sotp_ads_revenue=q.sotp.ads_revenue.value,
        sotp_premium=np.array(q.sotp.premium.values, float),
        sotp_stat_override=tuple(q.sotp.statistic.values),
        net_cash=q.market.net_cash.value,
        holding_discount=q.market.holding_discount.value,
        shares=q.market.shares.value,
        price=q.market.price.value,
        drivers={name: getattr(q.drivers, name).value for name in DRIVERS},
        ranges={key: (r.low, r.high, r.basis, r.dist) for key, r in q.sensitivity.ranges.items()},
        sens_steps=np.array(q.sensitivity.steps, float),
    )
