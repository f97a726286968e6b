"""The Shareholders, Online marketing and Kuaishou history sheets: each figure equals its quarter-file source
(and the seed's printed figures), growth rows are live formulas of the figures beside them."""

import pytest
from conftest import DATA_DIR
from openpyxl import load_workbook

from kwai_xl.quarters.schema import load_quarter
from kwai_xl.workbook.build import DATA_SHEETS, build_workbook, load_labels

SHEET_TITLES = {"shareholders": "Shareholders", "online_marketing": "Online marketing", "history": "Kuaishou history"}


@pytest.fixture(scope="module", params=["2022Q2", "2025Q3"])
def built(request, tmp_path_factory):
    q = load_quarter(DATA_DIR / f"{request.param}.yaml")
    path = build_workbook(q, tmp_path_factory.mktemp("analyst") / "k.xlsx").path
    return q, load_workbook(path), load_workbook(path, data_only=True)


def _rows(ws):
    """(label, row) of every row with a unit, in order (labels repeat across tables)."""
    return [(c.value, c.row) for c in ws["A"] if c.value and ws.cell(c.row, 2).value]


def test_every_figure_equals_its_source_and_growth_is_live(built):
    q, book, values = built
    na = load_labels("en")["tables"]["not_available"]
    for section in DATA_SHEETS:
        ws, wv = book[SHEET_TITLES[section]], values[SHEET_TITLES[section]]
        labels = _rows(ws)
        cursor = 0
        for table in getattr(q, section).values():
            for row in table.rows:
                label_row = next(r for k, (label, r) in enumerate(labels) if k >= cursor and label == row.name)
                cursor = next(k for k, (_, r) in enumerate(labels) if r == label_row) + 1
                cells = [wv.cell(label_row, 3 + j).value for j in range(len(row.values))]
                assert cells == [na if v is None else v for v in row.values], (section, row.key)
                if row.growth:
                    formulas = [ws.cell(label_row + 1, 3 + j).value for j in range(len(row.values))]
                    assert all(isinstance(f, str) and f.startswith("=") for f in formulas)
                    for j in range(table.lag, len(row.values)):
                        now, before = row.values[j], row.values[j - table.lag]
                        got = wv.cell(label_row + 1, 3 + j).value
                        if now is None or before is None:
                            assert got == na
                        elif before > 0:
                            assert got == pytest.approx(now / before - 1, rel=1e-12)


def test_the_seed_tables_are_as_printed(seed_quarter):
    om, sh = seed_quarter.online_marketing, seed_quarter.shareholders
    assert om["ad_revenue"].rows[0].values == [4, 17, 74, 219, 427, 509]   # seed p.17, 亿元
    assert om["ad_share"].rows[1].values == [0.004, 0.012, 0.027, 0.043, 0.048, 0.055]   # seed p.20
    holdings = {r.key: r.values for r in sh["holdings"].rows}
    assert holdings["shares_2021q1"][-1] == 41.08 and holdings["shares_2022q1"][-1] == 42.66   # seed p.14
    assert holdings["shares_2022q1"][-1] * 100 == seed_quarter.market.shares.value   # the SOTP's share count
    assert holdings["return"][3] == 77.29   # DCM, seed p.12-13 "77倍"


def test_kuaishou_share_of_the_2025_market(seed_outputs):
    """Kuaishou's GMV path over the 2025E market of both methods (GMV 2022E 883,964 百万 over 40,320 亿 is 21.9%)."""
    share = seed_outputs["drv_market_share"]
    assert share.shape == (2, 3)
    assert share[0, 1] == pytest.approx(883_963.772727 / (40_320 * 100), rel=1e-9)
    assert share[1, 1] == pytest.approx(883_963.772727 / (seed_outputs["cm_gmv"] * 100), rel=1e-9)
    assert list(share[0]) == sorted(share[0])  # a growing GMV path takes a growing share
