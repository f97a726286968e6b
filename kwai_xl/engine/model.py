"""The whole model: inputs in, every public output out (MODEL.md §7 names).

:func:`evaluate` is the engine's one entry point for a full valuation; the
workbook's formulas are its twin and ``kwai-xl verify`` compares the two.
"""

import numpy as np

from . import comps, drivers, gmv, sotp, sweep
from .inputs import MULTIPLES, ModelInputs
from .scenarios import scenario_index

FY1 = 1


def statistics_used(inputs: ModelInputs) -> list[str]:
    """The statistic (Mean/Median) each SOTP segment applies: its override, else the global choice."""
    return [override or inputs.sotp_stat for override in inputs.seg_stat_override]


def peer_outputs(inputs: ModelInputs) -> dict:
    """Multiples (n × 3, "n.a."/"n.m." as text) and their mean/median/count rows for every peer group."""
    out = {}
    ks = inputs.ks
    ks_mcap = comps.own_market_cap(inputs.price, inputs.shares)
    out["ks_mcap"] = float(ks_mcap[0])
    ks_cap_rmb = ks_mcap * inputs.fx_rmb_per_hkd
    for mult in MULTIPLES:
        out[f"ks_{mult}"] = comps.multiple_labels(ks_cap_rmb[:, None], ks.metric(mult))[0]
    for prefix, group in inputs.groups.items():
        for mult in MULTIPLES:
            table = comps.multiple_labels(group.mcap[:, None], group.metric(mult))
            stats = comps.peer_stats_by_year(table)
            out[f"{prefix}_{mult}"] = table
            out[f"{prefix}_{mult}_mean"] = np.array([s.mean for s in stats])
            out[f"{prefix}_{mult}_median"] = np.array([s.median for s in stats])
            out[f"{prefix}_{mult}_count"] = np.array([s.count for s in stats])
    return out


def segment_metrics(inputs: ModelInputs, tree: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(Kuaishou's FY1 figure, the figure valued) per segment, RMB 百万: a typed figure or the comps row's —
    or, with ``metric_source`` Drivers, the driver tree's FY1 figure where the tree gives one and it is a
    number — times the net margin where the segment has one."""
    base = np.array([inputs.seg_value[k] if seg.typed else inputs.ks.metric_by_field(seg.metric)[0, FY1]
                     for k, seg in enumerate(inputs.segments)], float)
    if inputs.metric_source == "Drivers":
        tree = driver_outputs(inputs.drivers, inputs.constants) if tree is None else tree
        for k, seg in enumerate(inputs.segments):
            if seg.tree_figure and not np.isnan(tree[seg.tree_figure][FY1]):
                base[k] = tree[seg.tree_figure][FY1]
    valued = np.where(np.isnan(inputs.seg_margin), base, sotp.profit_from_revenue(base, inputs.seg_margin))
    return base, valued


def sotp_outputs(inputs: ModelInputs, out: dict) -> dict:
    """Each segment's metric, statistic, multiple and value, the equity bridge, value per share and upside."""
    res = {}
    multiples = []
    for seg, stat in zip(inputs.segments, statistics_used(inputs)):
        multiples.append(float(out[f"{seg.group}_{seg.multiple}_{stat.lower()}"][FY1]))
        res[f"sotp_{seg.key}_stat"] = stat
        res[f"sotp_{seg.key}_multiple"] = multiples[-1]
    base, valued = segment_metrics(inputs, out)
    result = sotp.sotp(valued, np.array(multiples), inputs.seg_premium, fx_rmb_per_hkd=inputs.fx_rmb_per_hkd,
                       shares=inputs.shares, price=inputs.price, net_cash=inputs.net_cash,
                       holding_discount=inputs.holding_discount)
    for k, seg in enumerate(inputs.segments):
        res[seg.metric_name] = float(inputs.seg_value[k] if seg.typed else base[k])
        res[f"sotp_{seg.key}_figure"] = float(base[k])
        if seg.margin:
            res[f"sotp_{seg.key}_margin"] = float(inputs.seg_margin[k])
            res[f"sotp_{seg.key}_profit"] = float(valued[k])
        res[f"sotp_{seg.key}_metric"] = float(valued[k])
        res[f"sotp_{seg.key}_premium"] = float(inputs.seg_premium[k])
        res[f"sotp_{seg.key}_value"] = float(result.values[k])
    for name in ("equity_rmb", "equity_hkd", "per_share", "upside"):
        res[f"sotp_{name}"] = float(getattr(result, name))
    return res


def driver_outputs(d: dict[str, np.ndarray], units: dict[str, float]) -> dict:
    """The revenue driver tree (RMB 百万), FY0–FY2 rows (3,), from the driver inputs' rows and the unit
    constants; NaN (n.a.) in a year where an input has no figure."""
    months = units["months_per_year"]
    gmv_total = drivers.gmv_from_buyers(d["monthly_buyers"], d["orders_per_month"], d["order_value"], months)
    live = drivers.live_streaming_revenue(d["paying_users"], d["arppu"], months)
    feed = drivers.feed_ads_revenue(d["dau"], d["minutes_per_day"], d["ad_load"], d["ecpm"],
                                    units["days_per_year"], units["per_mille"])
    inner = drivers.inner_loop_ads_revenue(gmv_total, d["inner_loop_take_rate"])
    brand = drivers.brand_ads_revenue(d["brand_advertisers"], d["brand_spend"])
    ads = feed + inner + brand
    ecommerce = drivers.ecommerce_revenue(gmv_total, d["monetisation_rate"])
    other = ecommerce + d["other_revenue"]
    return {
        "drv_gmv": gmv_total, "drv_live_streaming": live, "drv_feed_ads": feed, "drv_inner_ads": inner,
        "drv_brand_ads": brand, "drv_online_marketing": ads, "drv_ecommerce": ecommerce, "drv_other": other,
        "drv_revenue": drivers.total_revenue(live, ads, other),
    }


def market_share_outputs(ks_gmv, um_gmv: float, cm_gmv: float, mn_per_yi: float) -> np.ndarray:
    """Kuaishou's FY0–FY2 GMV (RMB 百万) as shares of the 2025E market (亿元) by the user and category methods
    (2 × 3; NaN where its GMV is missing)."""
    return np.vstack([drivers.market_share(ks_gmv, um_gmv, mn_per_yi), drivers.market_share(ks_gmv, cm_gmv, mn_per_yi)])


def evaluate(inputs: ModelInputs) -> dict:
    """Every public output of the model for ``inputs`` (floats, numpy arrays, text)."""
    s = scenario_index(inputs.scenario)
    out = {"scenario": inputs.scenario, "sotp_stat": inputs.sotp_stat, "sotp_metric_source": inputs.metric_source}

    out["um_buyers"] = gmv.user_buyers(inputs.um_netizens, inputs.um_penetration, inputs.um_active_ratio)
    out["um_gmv_grid"] = gmv.user_gmv_grid(inputs.um_netizens, inputs.um_penetration, inputs.um_active_ratio, inputs.um_spend)
    out["um_gmv"] = float(out["um_gmv_grid"][s, s])
    out["cm_sales_total"] = float(np.sum(inputs.cm_sales))
    out["cm_adv_gmv"] = gmv.category_adv_gmv(out["cm_sales_total"], inputs.cm_penetration, inputs.cm_completion)
    out["cm_gmv_grid"] = gmv.category_gmv_grid(out["cm_sales_total"], inputs.cm_penetration, inputs.cm_completion, inputs.cm_share)
    out["cm_gmv"] = float(out["cm_gmv_grid"][s, s])

    out.update(peer_outputs(inputs))
    out.update(driver_outputs(inputs.drivers, inputs.constants))
    out.update(sotp_outputs(inputs, out))
    out["drv_market_share"] = market_share_outputs(inputs.ks.gmv[0], out["um_gmv"], out["cm_gmv"],
                                                   inputs.constants["mn_per_yi"])
    if inputs.ranges:
        out.update(sensitivity_outputs(inputs, out))
    return out


def sensitivity_outputs(inputs: ModelInputs, out: dict) -> dict:
    """The Sensitivity sheet's twins: the tornado (ranks by input, bars widest first) and the two grids."""
    bars = sweep.tornado(inputs, out)
    ranked = sweep.by_swing(bars)
    rows, cols, grid = sweep.multiples_grid(inputs, out)
    pen, spend, gmv_grid = sweep.gmv_grid(inputs)
    return {
        "sens_tornado_rank": sweep.swing_ranks(bars).astype(float),
        "sens_tornado_low": np.array([b.at_low for b in ranked]), "sens_tornado_high": np.array([b.at_high for b in ranked]),
        "sens_row_axis": rows, "sens_col_axis": cols, "sens_multiples": grid,
        "sens_pen_axis": pen, "sens_spend_axis": spend, "sens_pen_spend": gmv_grid,
    }
