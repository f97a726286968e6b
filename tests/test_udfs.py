"""The Excel functions: values as Excel passes them, errors as cell text, the registered surface, parity."""

import datetime
import importlib
import inspect
import re
import sys

import numpy as np
import pytest
from conftest import PERTURB_SEEDS
from hypothesis import given, settings
from hypothesis import strategies as st
from seed_figures import SEED_UM_BUYERS, SEED_UM_GRID

import udfs

PUBLIC = [name for name, f in inspect.getmembers(udfs, inspect.isfunction) if name.startswith("KWAI_")]
SCEN = ([0.5, 0.6, 0.7], [0.7, 0.75, 0.8], [6000, 8000, 10000])


def test_seed_figures_through_the_udfs():
    assert udfs.KWAI_GMV(11.2, 0.6, 0.75, 8000) == pytest.approx(40320)
    assert udfs.KWAI_BUYERS(11.2, [SCEN[0]], [SCEN[1]]) == [pytest.approx(SEED_UM_BUYERS)]
    assert np.allclose(udfs.KWAI_GMV_GRID(11.2, *SCEN), SEED_UM_GRID)
    lines = [[10798], [3142], [8451], [3071], [2099]]  # a column of the five category lines is summed
    assert udfs.KWAI_GMV_CATEGORY(lines, 0.4, 0.5, 0.5) == pytest.approx(27561 * 0.4 / 0.5 / 0.5)
    grid = udfs.KWAI_GMV_CATEGORY_GRID(lines, [0.3, 0.4, 0.5], 0.5, [0.6, 0.5, 0.4])
    assert grid[1][1] == pytest.approx(44097.6) and grid[2][2] == pytest.approx(68902.5)
    assert udfs.KWAI_MULTIPLE(5221, 2350) == pytest.approx(2.2217, abs=1e-4)  # Weibo PS 2022E, seed 2.22
    assert round(udfs.KWAI_MULTIPLE(341179, 94638, 0.855), 2) == 3.08  # Kuaishou PS 2022E from HKD market cap
    assert round(udfs.KWAI_PEER_STAT([[2.22], [2.52], [5.17], [4.07]], "mean"), 2) == 3.50
    assert udfs.KWAI_UPSIDE(100, 80) == pytest.approx(0.25)


@pytest.mark.parametrize("form", ["scalar", "list", "row", "column", "numpy", "numpy2d"])
def test_every_argument_form_excel_passes(form):
    wrap = {"scalar": lambda v: v, "list": lambda v: [v], "row": lambda v: [[v]], "column": lambda v: [[v]],
            "numpy": lambda v: np.array([v]), "numpy2d": lambda v: np.array([[v]])}[form]
    assert udfs.KWAI_GMV(wrap(11.2), wrap(0.6), wrap(0.75), wrap(8000)) == pytest.approx(40320)


def test_ranges_broadcast_like_excel_and_spill():
    column = [[6000], [8000], [10000]]
    out = udfs.KWAI_GMV(11.2, [SCEN[0]], [SCEN[1]], column)  # a spend column times a scenario row spills the grid
    assert np.allclose(np.array(out), SEED_UM_GRID)
    per_scenario = udfs.KWAI_GMV(11.2, [SCEN[0]], [SCEN[1]], [SCEN[2]])
    assert np.allclose(per_scenario, [[23520, 40320, 62720]])


def test_multiples_label_na_and_nm_and_stats_skip_them():
    out = udfs.KWAI_MULTIPLE([[100], [200]], [[50, None, -5], [0, 25, np.nan]])
    assert out == [[2.0, "n.a.", "n.m."], ["n.m.", 8.0, "n.a."]]
    assert udfs.KWAI_PEER_STAT(out, "median") == pytest.approx(5.0)
    assert udfs.KWAI_PEER_STAT(out) == pytest.approx(5.0)  # mean by default
    assert udfs.KWAI_PEER_STAT(out, "count") == 2
    assert udfs.KWAI_PEER_STAT([["n.m.", None]], "mean") == "n.a."


def test_grid_udf_takes_many_case_rows():
    n = 5
    pen = np.tile(SCEN[0], (n, 1))
    out = udfs.KWAI_GMV_GRID(np.full((n, 1), 11.2), pen, np.tile(SCEN[1], (n, 1)), np.tile(SCEN[2], (n, 1)))
    assert np.array(out).shape == (n, 9)
    assert np.allclose(np.array(out)[0].reshape(3, 3), SEED_UM_GRID)


def test_sotp_udf_equals_the_engine(seed_outputs, seed_inputs):
    o, i = seed_outputs, seed_inputs
    metrics = [[o["sotp_ls_profit"], o["sotp_ads_revenue"], o["sotp_ec_gmv"]]]
    multiples = [[o[f"sotp_{k}_multiple"] for k in ("ls", "ads", "ec")]]
    value = udfs.KWAI_SOTP(metrics, multiples, [[0, 0, 0]], i.fx_rmb_per_hkd, i.shares)
    assert value == pytest.approx(o["sotp_per_share"], rel=1e-12)
    with_blanks = udfs.KWAI_SOTP(metrics, multiples, [[None, None, None]], i.fx_rmb_per_hkd, i.shares, None, None)
    assert with_blanks == value  # blank premiums and empty optional arguments take their defaults
    four = udfs.KWAI_SOTP([metrics[0] + [1000.0]], [multiples[0] + [2.0]], [[0, 0, 0, 0.5]], i.fx_rmb_per_hkd, i.shares)
    assert four == pytest.approx(value + 1000 * 2 * 1.5 / i.fx_rmb_per_hkd / i.shares, rel=1e-12)  # a fourth segment


BAD = [
    (lambda: udfs.KWAI_GMV("eleven", 0.6, 0.75, 8000), "#VALUE! netizens must be a number"),
    (lambda: udfs.KWAI_GMV(11.2, 1.2, 0.75, 8000), "#VALUE! penetration must be between 0 and 1"),
    (lambda: udfs.KWAI_GMV(-11.2, 0.6, 0.75, 8000), "#VALUE! netizens must not be negative"),
    (lambda: udfs.KWAI_GMV(11.2, [[0.5, 0.6]], [[0.7, 0.75, 0.8]], 8000), "#VALUE! ranges have mismatched shapes"),
    (lambda: udfs.KWAI_GMV(None, 0.6, 0.75, 8000), "#VALUE! netizens is empty"),
    (lambda: udfs.KWAI_GMV(11.2, [[0.5, None, 0.7]], 0.75, 8000), "#VALUE! penetration has an empty cell"),
    (lambda: udfs.KWAI_BUYERS(11.2, 0.6, True), "#VALUE! active_ratio must be a number"),
    (lambda: udfs.KWAI_GMV_CATEGORY(27561, 0.4, 0, 0.5), "#VALUE! completion_rate must be above 0"),
    (lambda: udfs.KWAI_GMV_GRID(11.2, [0.5, 0.6], SCEN[1], SCEN[2]), "#VALUE! penetration needs 3 scenarios"),
    (lambda: udfs.KWAI_MULTIPLE(-5, 10), "#VALUE! market_cap must be above 0"),
    (lambda: udfs.KWAI_PEER_STAT([[1, 2]], "mode"), "#VALUE! statistic must be one of mean/median/count"),
    (lambda: udfs.KWAI_SOTP([[1, 2]], [[9, 3]], [[0, 0]], 0.855, 0), "#VALUE! shares must be above 0"),
    (lambda: udfs.KWAI_SOTP([[1, 2]], [[9, 3]], [[0, -2]], 0.855, 10), "#VALUE! premiums must be above -1"),
    (lambda: udfs.KWAI_SOTP([[1, 2]], [[9]], [[0, 0]], 0.855, 10), "#VALUE! metrics, multiples and premiums need one cell"),
    (lambda: udfs.KWAI_UPSIDE(100, "n.a."), "#VALUE! price must be a number"),
    (lambda: udfs.KWAI_GMV(float("inf"), 0.6, 0.75, 8000), "#VALUE! netizens must be finite"),
    (lambda: udfs.KWAI_GMV(11.2, np.array([[0.5, 1.6, 0.7]]), 0.75, 8000), "#VALUE! penetration must be between 0 and 1"),
    (lambda: udfs.KWAI_GMV(11.2, 0.6, np.array([[0.7, np.nan]]), 8000), "#VALUE! active_ratio has an empty cell"),
    (lambda: udfs.KWAI_GMV(np.array([[-1.0]]), 0.6, 0.75, 8000), "#VALUE! netizens must not be negative"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_bad_input_gives_a_short_error_text(call, message):
    out = call()
    assert isinstance(out, str) and out.startswith(message)
    assert "Traceback" not in out and len(out) < 90


EDGE = [
    (lambda: udfs.KWAI_GMV(1e308, 1, 1, 1e308), "#NUM! the result is too large"),
    (lambda: udfs.KWAI_GMV([], 0.6, 0.75, 8000), "#VALUE! netizens is an empty range"),
    (lambda: udfs.KWAI_GMV([[]], 0.6, 0.75, 8000), "#VALUE! netizens is an empty range"),
    (lambda: udfs.KWAI_PEER_STAT([[1, float("inf")]]), "#VALUE! multiples must be finite"),
    (lambda: udfs.KWAI_PEER_STAT([[1, datetime.date(2022, 6, 30)]]), "#VALUE! multiples must be a number, not a date"),
    (lambda: udfs.KWAI_PEER_STAT([[1, [2, 3]]]), "#VALUE! multiples must be a cell or a range, not nested lists"),
    (lambda: udfs.KWAI_PEER_STAT([[1, True]]), "#VALUE! multiples must be a number, not True"),
    (lambda: udfs.KWAI_GMV(datetime.datetime(2022, 1, 1), 0.6, 0.75, 8000), "#VALUE! netizens must be a number, not a date"),
    (lambda: udfs.KWAI_GMV([[1, 2], [3]], 0.6, 0.75, 8000), "#VALUE! netizens must be a cell or a rectangular range"),
    (lambda: udfs.KWAI_SOTP([[-1, 2]], [[9, 3]], [[0, 0]], 0.855, 10), "#VALUE! metrics must not be negative"),
    (lambda: udfs.KWAI_MULTIPLE(10**400, 5), "#VALUE! market_cap must be finite"),
]


@pytest.mark.parametrize("call, message", EDGE, ids=[m for _, m in EDGE])
def test_edge_cases_are_errors_not_inf_or_crashes(call, message):
    """Issue 14 item 7: each of these returned inf, [[]], a silently dropped value, or an exception's name."""
    out = call()
    assert isinstance(out, str) and out.startswith(message), out


def test_peer_stat_keeps_its_documented_skips():
    assert udfs.KWAI_PEER_STAT([[2.0, "n.m.", None, "n.a.", 4.0]]) == 3.0


# Anything at all a cell can hold or xlwings can pass, including deeper nesting and huge numbers.
scalar = st.one_of(st.none(), st.text(max_size=5), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                   st.integers(-10**400, 10**400), st.dates(), st.datetimes(), st.just(1e308), st.just(-1e308))
junk = st.one_of(scalar, st.lists(scalar, max_size=4),
                 st.lists(st.lists(st.one_of(scalar, st.lists(scalar, max_size=2)), max_size=3), max_size=3),
                 st.lists(st.lists(st.floats(-2, 2), min_size=1, max_size=3), min_size=1, max_size=3))
PYTHON_EXCEPTION = re.compile(r"[A-Z][A-Za-z]*(Error|Exception|Warning)\b|Traceback")


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PUBLIC), st.lists(junk, min_size=1, max_size=9))
def test_no_argument_ever_raises_or_names_an_exception(name, args):
    """A bad argument is a user error with a message; an exception here (or its name in a cell) is a bug."""
    func = getattr(udfs, name)
    params = [p for p in inspect.signature(func).parameters.values() if p.kind != p.VAR_POSITIONAL]
    args = (args + [None] * len(params))[: len(params)] if len(params) > 1 else ["KWAI_GMV"] + args
    out = func(*args)
    if hasattr(out, "iloc"):  # a table with headers (KWAI_PEER_TABLE): check its column of results
        out = [[v] for v in out.iloc[:, -1].tolist()]
    assert out is None or isinstance(out, (int, float, str, list))
    texts = [out] if isinstance(out, str) else [v for row in out for v in row] if isinstance(out, list) else []
    for value in texts:
        if isinstance(value, str):
            assert not PYTHON_EXCEPTION.search(value), value
            assert value.startswith(("#VALUE! ", "#NUM! ")) or value in ("n.a.", "n.m.", "") or name == "KWAI_ERROR", value
    for value in (out if isinstance(out, list) else [[out]]):
        for v in value:
            assert not isinstance(v, float) or np.isfinite(v)


class Recorder:
    """Stands in for xlwings' Windows decorators, recording what Excel would be told."""

    def __init__(self):
        self.funcs, self.args = {}, {}

    def func(self, f=None, **kwargs):
        def inner(f):
            self.funcs[f.__name__] = kwargs
            return f
        return inner(f) if f is not None else inner

    def arg(self, name, convert=None, **kwargs):
        def inner(f):
            if name not in inspect.signature(f).parameters:
                raise AssertionError(f"{f.__name__}: @xw.arg names {name!r}, not a parameter")
            self.args.setdefault(f.__name__, {})[name] = kwargs
            return f
        return inner

    def ret(self, *a, **kwargs):
        return lambda f: f


@pytest.fixture
def surface(monkeypatch):
    import xlwings
    rec = Recorder()
    monkeypatch.setattr(xlwings, "func", rec.func)
    monkeypatch.setattr(xlwings, "arg", rec.arg)
    monkeypatch.setattr(xlwings, "ret", rec.ret)
    module = importlib.reload(sys.modules["udfs"])
    yield rec, module
    monkeypatch.undo()
    importlib.reload(module)


def test_the_registered_surface(surface):
    rec, module = surface
    names = [n for n, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == "udfs" and not n.startswith("_")]
    assert len(names) >= 9 and set(names) == set(rec.funcs)  # every public function is an Excel function
    assert len({n.upper() for n in names}) == len(names)
    for name in names:
        func = getattr(module, name)
        assert name == name.upper() and name.startswith("KWAI_"), name
        assert rec.funcs[name].get("category") == "kwai-xl", name
        assert func.__doc__ and len(func.__doc__.strip()) > 20, name
        params = list(inspect.signature(func).parameters)
        documented = rec.args.get(name, {})
        assert set(documented) == set(params), (name, set(params) - set(documented))
        for param, options in documented.items():
            assert re.search(r"\[[^\]]+\]$", options.get("doc", "")), f"{name}({param}) doc has no [unit]"


def test_engine_imports_no_excel():
    import subprocess
    code = ("import sys, kwai_xl.engine.model, kwai_xl.engine.sweep, kwai_xl.interfaces.excel_args;"
            "bad = [m for m in ('xlwings', 'openpyxl', 'formualizer') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# Parity: each UDF fed the workbook's named inputs equals LibreOffice's value of the native formula.
def _parity(v):
    grid = np.array(udfs.KWAI_GMV_GRID(v.value("um_netizens"), v.numbers("um_penetration"),
                                       v.numbers("um_active_ratio"), v.numbers("um_spend")))
    assert np.allclose(grid, v.numbers("um_gmv_grid"), rtol=1e-12)
    buyers = udfs.KWAI_BUYERS(v.value("um_netizens"), v.numbers("um_penetration"), v.numbers("um_active_ratio"))
    assert np.allclose(buyers, v.numbers("um_buyers"), rtol=1e-12)
    diag = udfs.KWAI_GMV(v.value("um_netizens"), v.numbers("um_penetration"), v.numbers("um_active_ratio"),
                         v.numbers("um_spend"))
    assert np.allclose(np.ravel(diag), np.diag(v.numbers("um_gmv_grid")), rtol=1e-12)
    cgrid = np.array(udfs.KWAI_GMV_CATEGORY_GRID(v.numbers("cm_sales"), v.numbers("cm_penetration"),
                                                 v.value("cm_completion"), v.numbers("cm_share")))
    assert np.allclose(cgrid, v.numbers("cm_gmv_grid"), rtol=1e-12)
    cdiag = udfs.KWAI_GMV_CATEGORY(v.numbers("cm_sales"), v.numbers("cm_penetration"), v.value("cm_completion"),
                                   v.numbers("cm_share"))
    assert np.allclose(np.ravel(cdiag), np.diag(v.numbers("cm_gmv_grid")), rtol=1e-12)
    for prefix, mult, metric in (("ls", "pe", "np"), ("ads", "ps", "rev"), ("ec", "pgmv", "gmv")):
        table = udfs.KWAI_MULTIPLE(v.numbers(f"{prefix}_mcap"), v.block(f"{prefix}_{metric}"))
        native = v.value(f"{prefix}_{mult}")
        for got_row, native_row in zip(table, native):
            for g, n in zip(got_row, native_row):
                assert g == n if isinstance(n, str) else g == pytest.approx(n, rel=1e-12)
        for stat in ("mean", "median"):
            for k in range(3):
                col = [row[k] for row in native]
                assert udfs.KWAI_PEER_STAT(col, stat) == pytest.approx(v.value(f"{prefix}_{mult}_{stat}")[k], rel=1e-12)
    value = udfs.KWAI_SOTP(v.numbers("sotp_metrics"), v.numbers("sotp_multiples"), v.numbers("sotp_premiums"),
                           v.value("fx_rmb_per_hkd"), v.value("shares"), v.value("net_cash"), v.value("holding_discount"))
    assert value == pytest.approx(v.value("sotp_per_share"), rel=1e-12)
    assert udfs.KWAI_UPSIDE(value, v.value("price")) == pytest.approx(v.value("sotp_upside"), rel=1e-9)


@pytest.mark.parametrize("variant", ["default", "bear", "median"] + [f"perturbed{s}" for s in PERTURB_SEEDS])
def test_udfs_match_libreoffice(recalculated, variant):
    _parity(recalculated[variant])


def test_peer_table_spills_with_its_header_through_xlwings(seed_quarter, seed_outputs):
    """KWAI_PEER_TABLE returns a DataFrame; xlwings' own DataFrame converter writes it with the header row."""
    from xlwings.conversion.pandas_conv import PandasDataFrameConverter

    group = seed_quarter.peers.groups[0]
    names = [[c.name for c in group.companies]]
    caps = np.array([[c.market_cap for c in group.companies]])
    profits = np.array([[np.nan if c.net_profit[1] is None else c.net_profit[1] for c in group.companies]])
    frame = udfs.KWAI_PEER_TABLE(names, caps, profits)
    cells = PandasDataFrameConverter.write_value(frame, {"index": False, "header": True})
    assert cells[0] == ["Peer", "Multiple (×)"]
    assert [row[0] for row in cells[1:]] == names[0] + ["Mean", "Median", "Count"]
    assert cells[3][1] == "n.a."  # HUYA has no 2022E net profit
    assert cells[-3][1] == pytest.approx(seed_outputs["ls_pe_mean"][1], rel=1e-12)
    assert cells[-1][1] == seed_outputs["ls_pe_count"][1]
    assert udfs.KWAI_PEER_TABLE(names, caps, profits[:, :2]).startswith("#VALUE! peers, market_caps and metrics")
