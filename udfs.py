"""kwai-xl's Excel functions (UDFs) through xlwings: thin wrappers over the engine.

Every function takes single cells or ranges (ranges broadcast like Excel
arithmetic and the result spills) and lets an empty optional argument take its
default. Bad input gives an error, not a traceback: in xlwings Lite a real
``#VALUE!``/``#NUM!`` error value, on desktop (classic xlwings, which cannot
return error values) the text ``#VALUE! message``; ``KWAI_ERROR`` with the same
arguments returns the message in both. Argument docs end with the unit in
brackets; Excel's function wizard shows them, under the category "kwai-xl"
(desktop) or the namespace KWAI (Lite: ``=KWAI.GMV(...)``).

Desktop Excel: ``xlwings addin install``, then point "UDF Modules" at ``udfs``
(a workbook built with ``kwai-xl build --xlwings`` carries that setting).
"""

import inspect

import numpy as np
import xlwings as xw

from kwai_xl.engine import comps, gmv, sotp
from kwai_xl.interfaces.excel_args import (
    LAST_ERRORS,
    ArgumentError,
    broadcast,
    call_key,
    excel_safe,
    numbers,
    optional_numbers,
    statistic_cells,
    text,
    to_cell,
)

__xlwings_func_namespace__ = "KWAI"
"""xlwings Lite shows each function as KWAI.<name> (e.g. KWAI.GMV); classic xlwings uses the Python name."""
CATEGORY = "kwai-xl"
RANGE = {"convert": np.array, "ndim": 2}
"""Ranges arrive as 2-D numpy arrays, so a row stays a row and a column a column."""
DOC = {
    "netizens": "Internet users [亿人]",
    "penetration": "Live-commerce penetration of internet users, 0 to 1 [fraction]",
    "active_ratio": "Share of live-commerce users who buy, 0 to 1 [fraction]",
}
"""Argument docs that several functions share (Excel's function wizard shows them)."""


@xw.func(category=CATEGORY, name="BUYERS")
@xw.arg("netizens", **RANGE, doc=DOC["netizens"])
@xw.arg("penetration", **RANGE, doc=DOC["penetration"])
@xw.arg("active_ratio", **RANGE, doc=DOC["active_ratio"])
@excel_safe
def KWAI_BUYERS(netizens, penetration, active_ratio):
    """Live-commerce active buyers by the user method (亿人) = netizens × penetration × active ratio."""
    n, p, a = broadcast(netizens=numbers(netizens, "netizens", "nonnegative"),
                        penetration=numbers(penetration, "penetration", "fraction"),
                        active_ratio=numbers(active_ratio, "active_ratio", "fraction"))
    return to_cell(gmv.user_buyers(n, p, a))


@xw.func(category=CATEGORY, name="GMV")
@xw.arg("netizens", **RANGE, doc=DOC["netizens"])
@xw.arg("penetration", **RANGE, doc=DOC["penetration"])
@xw.arg("active_ratio", **RANGE, doc=DOC["active_ratio"])
@xw.arg("spend", **RANGE, doc="Spend per buyer per year [元]")
@excel_safe
def KWAI_GMV(netizens, penetration, active_ratio, spend):
    """Live-commerce GMV by the user method (亿元) = netizens × penetration × active ratio × spend."""
    n, p, a, s = broadcast(netizens=numbers(netizens, "netizens", "nonnegative"),
                           penetration=numbers(penetration, "penetration", "fraction"),
                           active_ratio=numbers(active_ratio, "active_ratio", "fraction"),
                           spend=numbers(spend, "spend", "nonnegative"))
    return to_cell(gmv.user_gmv(n, p, a, s))


@xw.func(category=CATEGORY, name="GMV_CATEGORY")
@xw.arg("category_sales", **RANGE, doc="Online sales of the advantage categories, one total or the lines (summed) [亿元]")
@xw.arg("penetration", **RANGE, doc="Live-commerce penetration of those categories, 0 to 1 [fraction]")
@xw.arg("completion_rate", **RANGE, doc="Order completion rate, above 0 and up to 1 [fraction]")
@xw.arg("adv_share", **RANGE, doc="Advantage categories' share of live-commerce GMV, above 0 and up to 1 [fraction]")
@excel_safe
def KWAI_GMV_CATEGORY(category_sales, penetration, completion_rate, adv_share):
    """Live-commerce GMV by the category method (亿元) = Σ sales × penetration / completion / share."""
    total = numbers(category_sales, "category_sales", "nonnegative").sum()
    p, c, s = broadcast(penetration=numbers(penetration, "penetration", "fraction"),
                        completion_rate=numbers(completion_rate, "completion_rate", "open_fraction"),
                        adv_share=numbers(adv_share, "adv_share", "open_fraction"))
    return to_cell(gmv.category_gmv(total, p, c, s))


@xw.func(category=CATEGORY, name="GMV_GRID")
@xw.arg("netizens", **RANGE, doc="Internet users, one value or one per case row [亿人]")
@xw.arg("penetration", **RANGE, doc="Penetration Bear/Base/Bull: 3 cells, or n case rows × 3 [fraction]")
@xw.arg("active_ratio", **RANGE, doc="Active-buyer ratio Bear/Base/Bull: 3 cells, or n rows × 3 [fraction]")
@xw.arg("spend", **RANGE, doc="Spend per buyer Bear/Base/Bull: 3 cells, or n rows × 3 [元]")
@excel_safe
def KWAI_GMV_GRID(netizens, penetration, active_ratio, spend):
    """User-method GMV grid (亿元): 3 × 3, rows spend, columns buyers; n case rows give n × 9 (row-major grids)."""
    rows = _scenario_rows(penetration=numbers(penetration, "penetration", "fraction"),
                          active_ratio=numbers(active_ratio, "active_ratio", "fraction"),
                          spend=numbers(spend, "spend", "nonnegative"))
    n = _case_column(numbers(netizens, "netizens", "nonnegative"), "netizens", rows)
    return _grid_cells(gmv.user_gmv_grid(n, rows["penetration"], rows["active_ratio"], rows["spend"]))


@xw.func(category=CATEGORY, name="GMV_CATEGORY_GRID")
@xw.arg("category_sales", **RANGE, doc="Advantage-category online sales: one total or the lines (summed) [亿元]")
@xw.arg("penetration", **RANGE, doc="Penetration Bear/Base/Bull: 3 cells, or n case rows × 3 [fraction]")
@xw.arg("completion_rate", **RANGE, doc="Order completion rate, one value or one per case row [fraction]")
@xw.arg("adv_share", **RANGE, doc="Advantage-category share Bear/Base/Bull: 3 cells, or n rows × 3 [fraction]")
@excel_safe
def KWAI_GMV_CATEGORY_GRID(category_sales, penetration, completion_rate, adv_share):
    """Category-method GMV grid (亿元): 3 × 3, rows share, columns advantage GMV; n case rows give n × 9."""
    total = numbers(category_sales, "category_sales", "nonnegative").sum()
    rows = _scenario_rows(penetration=numbers(penetration, "penetration", "fraction"),
                          adv_share=numbers(adv_share, "adv_share", "open_fraction"))
    c = _case_column(numbers(completion_rate, "completion_rate", "open_fraction"), "completion_rate", rows)
    return _grid_cells(gmv.category_gmv_grid(total, rows["penetration"], c, rows["adv_share"]))


@xw.func(category=CATEGORY, name="MULTIPLE")
@xw.arg("market_cap", **RANGE, doc="Market capitalisation [百万, listed currency]")
@xw.arg("metric", **RANGE, doc="Revenue, net profit or GMV; blank = n.a., zero or negative = n.m. [百万]")
@xw.arg("fx", **RANGE, doc="Optional: metric-currency units per market-cap unit, e.g. 0.855 RMB per HKD; default 1 [ratio]")
@excel_safe
def KWAI_MULTIPLE(market_cap, metric, fx=None):
    """A valuation multiple (×) = market cap × fx / metric: "n.a." for a missing, "n.m." for a zero or negative metric."""
    cap, den, rate = broadcast(market_cap=numbers(market_cap, "market_cap", "positive"),
                               metric=optional_numbers(metric, "metric"),
                               fx=numbers(fx, "fx", "positive", default=1.0))
    return to_cell(comps.multiple_labels(cap * rate, den))


@xw.func(category=CATEGORY, name="PEER_STAT")
@xw.arg("multiples", doc="Peer multiples; text such as n.m./n.a. and blank cells are skipped [×]")
@xw.arg("statistic", doc='"mean" (default), "median" or "count" [text]')
@excel_safe
def KWAI_PEER_STAT(multiples, statistic=None):
    """Mean, median or count of the meaningful peer multiples (×); "n.a." when none is meaningful."""
    which = text(statistic, "statistic", ("mean", "median", "count"), "mean")
    stat = comps.peer_stat(statistic_cells(multiples, "multiples"))
    if which == "count":
        return stat.count
    return to_cell(stat.mean if which == "mean" else stat.median)


@xw.func(category=CATEGORY, name="PEER_TABLE")
@xw.arg("peers", doc="The peers' names, one cell each [text]")
@xw.arg("market_caps", **RANGE, doc="Their market caps, same length as peers [百万, listed currency]")
@xw.arg("metrics", **RANGE, doc="Their revenue, net profit or GMV; blank = n.a., zero or negative = n.m. [百万]")
@xw.ret(index=False, header=True)
@excel_safe
def KWAI_PEER_TABLE(peers, market_caps, metrics):
    """A comps table with its header row, spilling: each peer's multiple (×), then the mean, median and count.

    Built as a pandas DataFrame, which xlwings writes with its header; "n.a."/"n.m." where a multiple is not
    meaningful, and they drop out of the statistics.
    """
    import pandas as pd

    names = [str(v) if v is not None else "" for v in np.asarray(peers, dtype=object).ravel()]
    cap = numbers(market_caps, "market_caps", "positive").ravel()
    den = optional_numbers(metrics, "metrics").ravel()
    if not len(names) == cap.size == den.size:
        raise ArgumentError(f"#VALUE! peers, market_caps and metrics need one cell per peer each "
                            f"(got {len(names)}, {cap.size}, {den.size})")
    multiples = comps.multiple_labels(cap, den)
    stat = comps.peer_stat(multiples)
    rows = [*zip(names, multiples.tolist()), ("Mean", to_cell(stat.mean)), ("Median", to_cell(stat.median)),
            ("Count", stat.count)]
    return pd.DataFrame(rows, columns=["Peer", "Multiple (×)"])


@xw.func(category=CATEGORY, name="SOTP")
@xw.arg("metrics", **RANGE, doc="Each segment's FY1 figure valued, one cell per segment (the name sotp_metrics) [RMB 百万]")
@xw.arg("multiples", **RANGE, doc="Each segment's peer multiple, same shape as metrics [×]")
@xw.arg("premiums", **RANGE, doc="Each segment's premium (+) or discount (−) to its multiple; blank cells count 0 [fraction]")
@xw.arg("fx_rmb_per_hkd", **RANGE, doc="RMB per HKD [RMB/HKD]")
@xw.arg("shares", **RANGE, doc="Shares outstanding [百万 shares]")
@xw.arg("net_cash", **RANGE, doc="Optional net cash, default 0 [RMB 百万]")
@xw.arg("holding_discount", **RANGE, doc="Optional holding-company discount, default 0 [RMB 百万]")
@excel_safe
def KWAI_SOTP(metrics, multiples, premiums, fx_rmb_per_hkd, shares, net_cash=None, holding_discount=None):
    """Sum-of-the-parts value per share (HKD): Σ metric × multiple × (1 + premium) + net cash, in HKD, per share."""
    metric = numbers(metrics, "metrics", "nonnegative").ravel()
    multiple = numbers(multiples, "multiples", "nonnegative").ravel()
    premium = np.nan_to_num(optional_numbers(premiums, "premiums", "premium").ravel(), nan=0.0)
    if not metric.size == multiple.size == premium.size:
        raise ArgumentError(f"#VALUE! metrics, multiples and premiums need one cell per segment each "
                            f"(got {metric.size}, {multiple.size}, {premium.size})")
    fx, n, cash, discount = broadcast(
        fx_rmb_per_hkd=numbers(fx_rmb_per_hkd, "fx_rmb_per_hkd", "positive"), shares=numbers(shares, "shares", "positive"),
        net_cash=numbers(net_cash, "net_cash", default=0.0),
        holding_discount=numbers(holding_discount, "holding_discount", "nonnegative", default=0.0))
    result = sotp.sotp(metric, multiple, premium, fx_rmb_per_hkd=fx[..., None], shares=n[..., None], price=1.0,
                       net_cash=cash[..., None], holding_discount=discount[..., None])
    return to_cell(np.squeeze(result.per_share, -1))


@xw.func(category=CATEGORY, name="UPSIDE")
@xw.arg("value", **RANGE, doc="Value per share [HKD]")
@xw.arg("price", **RANGE, doc="Share price [HKD]")
@excel_safe
def KWAI_UPSIDE(value, price):
    """Upside (fraction) = value per share / share price − 1."""
    v, p = broadcast(value=numbers(value, "value"), price=numbers(price, "price", "positive"))
    return to_cell(sotp.upside(v, p))


@xw.func(category=CATEGORY, name="ERROR")
@xw.arg("function", doc='The function\'s name, e.g. "KWAI_GMV" or "GMV" [text]')
@xw.arg("arguments", doc="The same arguments as the failing call [as that function]")
def KWAI_ERROR(function, *arguments):
    """Why a KWAI_ call with these arguments fails: its message, or "" when it does not fail."""
    name = function.strip().upper() if isinstance(function, str) else ""
    name = name if name.startswith("KWAI_") else f"KWAI_{name}"
    target = globals().get(name)
    if name == "KWAI_ERROR" or target is None or not hasattr(target, "__wrapped__"):
        return f"#VALUE! no function {function!r}"
    count = len(inspect.signature(target).parameters)
    if len(arguments) > count:
        return f"#VALUE! {name} takes at most {count} arguments, not {len(arguments)}"
    arguments = arguments + (None,) * (count - len(arguments))  # missing arguments are empty cells
    key = call_key(name, arguments)
    if key not in LAST_ERRORS:
        target(*arguments)  # a call not seen yet (or not since a restart): run it to learn its message
    return LAST_ERRORS.get(key, "")


def _scenario_rows(**arrays: np.ndarray) -> dict[str, np.ndarray]:
    """Scenario inputs as n × 3 (a 3-cell row or column becomes 1 × 3); all must have the same n."""
    rows = {}
    for name, arr in arrays.items():
        if arr.size == 3:
            arr = arr.reshape(1, 3)
        if arr.shape[1] != 3:
            raise ArgumentError(f"#VALUE! {name} needs 3 scenarios (Bear, Base, Bull) per row, not {arr.shape[1]}")
        rows[name] = arr
    counts = {a.shape[0] for a in rows.values()} - {1}
    if len(counts) > 1:
        raise ArgumentError("#VALUE! ranges have mismatched shapes (different numbers of case rows)")
    n = counts.pop() if counts else 1
    return {name: np.broadcast_to(a, (n, 3)) for name, a in rows.items()}


def _case_column(arr: np.ndarray, name: str, rows: dict) -> np.ndarray:
    """One value per case row (n,) from a single cell or a column of n."""
    n = next(iter(rows.values())).shape[0]
    if arr.size == 1:
        return np.full(n, arr.ravel()[0])
    if arr.size != n:
        raise ArgumentError(f"#VALUE! {name} needs one value or one per case row ({n}), not {arr.size}")
    return arr.ravel()


def _grid_cells(grids: np.ndarray):
    """One case: the 3 × 3 grid; n cases: n rows of 9 (each grid row after row)."""
    return to_cell(grids[0] if grids.shape[0] == 1 else grids.reshape(grids.shape[0], 9))
