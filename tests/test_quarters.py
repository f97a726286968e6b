"""New quarters: roll forward, pull edits back, compare quarters, check forecasts against outcomes."""

import os
import shutil
import subprocess
import sys
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from ruamel.yaml import YAML

from kwai_xl import paths
from kwai_xl.errors import KwaiError
from kwai_xl.interfaces.cli import main
from kwai_xl.quarters.rollover import new_quarter
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.quarters.staleness import stale_inputs
from kwai_xl.readback import libreoffice
from kwai_xl.readback.pull import pull
from kwai_xl.readback.reader import WorkbookValues
from kwai_xl.readback.verify import check_values, verify_workbooks
from kwai_xl.workbook.build import build_workbook

LO = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")


def test_new_quarter_rolls_years_and_flags_stale(quarter_dir):
    same_year = new_quarter("2022Q3", "2022Q2", data_dir=quarter_dir, today=date(2026, 11, 23))
    q = load_quarter(same_year.path)  # it validates: the fiscal years did not turn
    assert same_year.problem is None and same_year.shift == 0 and q.as_of == date(2022, 9, 30)
    stale = {s.path for s in stale_inputs(q)}
    assert {"market.price", "kuaishou", "peers.groups[ls].companies[YY.O]"} <= stale
    assert stale == {s.path for s in same_year.stale}

    result = new_quarter("2023Q1", "2022Q2", data_dir=quarter_dir, today=date(2026, 11, 23))
    assert result.shift == 1  # the year turned: the peers' 2022 multiples must not meet Kuaishou's 2023 metrics
    # the year turned: last year's typed segment figures must not meet this year's multiples
    assert "sotp.segments.0.value: segment ls's figure is for 2022, not the quarter's FY1 2023" in result.problem
    data = YAML(typ="safe").load(result.path.read_text(encoding="utf-8"))
    assert data["years"] == [2022, 2023, 2024] and data["as_of"] == date(2023, 3, 31)
    assert data["kuaishou"]["revenue"] == [94638, 115552, None]  # FY2022E moves into FY0, 2024E is empty
    joyy = data["peers"]["groups"][0]["companies"][0]
    assert joyy["revenue"] == [2870, 3187, None]  # peers' figures move with the years too: same-year multiples
    assert all("years" not in g for g in data["peers"]["groups"])
    for seg in data["sotp"]["segments"]:  # fill this year's segment figures and the quarter loads
        if "value" in seg:
            del seg["value"]["year"]
    fixed = result.path.parent / "fixed" / "2023Q1.yaml"
    fixed.parent.mkdir()
    with fixed.open("w", encoding="utf-8") as fh:
        YAML().dump(data, fh)
    assert load_quarter(fixed).years == (2022, 2023, 2024)
    text = result.path.read_text(encoding="utf-8")
    assert "# FY0 (last actual), FY1, FY2" in text and "seed p.12: closing price" in text  # comments and sources kept
    with pytest.raises(KwaiError, match="already exists"):
        new_quarter("2023Q1", "2022Q2", data_dir=quarter_dir)
    with pytest.raises(KwaiError, match="roll forward only"):
        new_quarter("2020Q1", "2022Q2", data_dir=quarter_dir)


def test_new_quarter_cli_prints_what_to_refresh(quarter_dir, monkeypatch):
    monkeypatch.setattr(paths, "DATA_DIR", quarter_dir)
    result = CliRunner().invoke(main, ["new-quarter", "2022Q4", "--from", "2022Q2"])
    assert result.exit_code == 0, result.output
    assert "refresh them" in result.output and "market.price (as of 2022-06-02)" in result.output
    assert load_quarter(quarter_dir / "2022Q4.yaml").years == (2021, 2022, 2023)  # the fiscal year has not turned
    assert "same fiscal year as 2022Q2" in result.output and "moved 0" not in result.output


def _line(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(start))


def test_a_rolled_figures_note_names_the_years_to_refresh_and_keeps_the_lines_comment(quarter_dir):
    """new-quarter notes each rolled line of Kuaishou's figures with the years that hold rolled figures, ahead of
    the comment the line had (the analyst's comment was replaced by the note before)."""
    before = (quarter_dir / "2025Q4.yaml").read_text(encoding="utf-8")
    rolled = new_quarter("2026Q4", "2025Q4", data_dir=quarter_dir, today=date(2026, 12, 5))
    text = rolled.path.read_text(encoding="utf-8")
    assert _line(text, "revenue: [142800").endswith(
        "# rolled from 2025Q4: refresh 2025, 2026 — 2024A reported; 2025E/2026E: Guohai 2025-11-23")
    assert "# rolled from 2025Q4: refresh 2025 — 2024A reported; 2025E analyst assumption" in _line(text, "gmv: [1608423")
    body = before[before.index("\nquarter:"):]  # the header comment gives way to the roll's own
    assert [line for line in body.splitlines() if line.lstrip().startswith("#")] == \
        [line for line in text.splitlines()[1:] if line.lstrip().startswith("#")]  # every comment line kept


def test_pull_takes_a_refreshed_year_out_of_the_rolled_note(quarter_dir, tmp_path, monkeypatch):
    """A figure pulled with a new value leaves its line's "refresh" note; the note goes with its last year and the
    line's own comment stays (the note stayed before, misleading)."""
    monkeypatch.setattr(paths, "DATA_DIR", quarter_dir)
    rolled = new_quarter("2023Q1", "2022Q2", data_dir=quarter_dir, today=date(2026, 11, 23)).path
    yaml = YAML()
    doc = yaml.load(rolled.read_text(encoding="utf-8"))
    for segment in doc["sotp"]["segments"]:  # this year's segment figures entered: the quarter loads
        segment.get("value", {}).pop("year", None)
    with rolled.open("w", encoding="utf-8") as fh:
        yaml.dump(doc, fh)
    before = rolled.read_text(encoding="utf-8")
    assert "# rolled from 2022Q2: refresh 2022, 2023 — implied: market cap" in _line(before, "gmv:")
    wb = load_workbook(build_workbook(load_quarter(rolled), tmp_path / "b.xlsx").path)

    def cell(name, column):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        first = wb[sheet][ref.replace("$", "").split(":")[0]]
        return wb[sheet].cell(first.row, first.column + column)

    cell("ks_rev", 1).value = 120000  # 2023 only
    cell("ks_gmv", 0).value, cell("ks_gmv", 1).value = 900000, 1150000  # both rolled years
    wb.save(tmp_path / "e.xlsx")
    pull(tmp_path / "e.xlsx", data_dir=quarter_dir)
    after = rolled.read_text(encoding="utf-8")
    assert _line(after, "revenue:").endswith("# rolled from 2022Q2: refresh 2022")
    assert _line(after, "gmv:").endswith("# implied: market cap × 0.8550 / published P/GMV 0.43/0.33/0.26")
    assert _line(after, "net_profit:") == _line(before, "net_profit:")  # no rolled figure, no note: as it was
    assert after.count("rolled from") == before.count("rolled from") - 1  # only the gmv line's note went
    assert after.count("#") == before.count("#")  # and no comment


def edit_inputs(path, target):
    """Change inputs as an analyst would in Excel: by the cells the names point at."""
    wb = load_workbook(path)

    def cell(name, offset=(0, 0)):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        first = wb[sheet][ref.replace("$", "").split(":")[0]]
        return wb[sheet].cell(first.row + offset[0], first.column + offset[1])

    cell("price").value = 85.5
    cell("um_penetration", (0, 1)).value = 0.65
    cell("ads_rev", (1, 1)).value = 20000  # Baidu revenue 2022E
    cell("sotp_ads_stat_override").value = "Median"
    cell("ls_np", (2, 1)).value = 120.5  # HUYA's 2022E net profit, blank before
    price = cell("price")  # Assumptions: values in C–E, the as-of date in F, the source in G
    assert wb["Assumptions"].cell(price.row - 1, 6).value == "as of"
    wb["Assumptions"].cell(price.row, 6).value = date(2022, 6, 10)
    wb["Assumptions"].cell(price.row, 7).value = "analyst: closing price of 2022-06-10"
    wb.save(target)
    return target


@LO
def test_build_edit_pull_build_round_trip(quarter_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "DATA_DIR", quarter_dir)
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    built = build_workbook(q, tmp_path / "built.xlsx").path
    edited = edit_inputs(built, tmp_path / "edited.xlsx")
    before = (quarter_dir / "2022Q2.yaml").read_text(encoding="utf-8")

    result = pull(edited, data_dir=quarter_dir)
    changed = {c.path: c.new for c in result.changes}
    assert changed == {
        "market.price.value": 85.5, "market.price.as_of": date(2022, 6, 10),
        "market.price.source": "analyst: closing price of 2022-06-10",
        "user_method.penetration.values.1": 0.65, "peers.groups.1.companies.1.revenue.1": 20000,
        "peers.groups.0.companies.2.net_profit.1": 120.5, "sotp.segments.1.statistic.value": "Median",
    }
    after = (quarter_dir / "2022Q2.yaml").read_text(encoding="utf-8")
    assert after.count("\n#") == before.count("\n#") and "# implied: market cap / published PE" in after
    assert sum(a != b for a, b in zip(before.splitlines(), after.splitlines())) == 5  # five lines hold the edits
    assert pull(edited, data_dir=quarter_dir).changes == []  # a second pull finds nothing new

    rebuilt = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "rebuilt.xlsx").path
    fresh = WorkbookValues(rebuilt)
    assert fresh.value("price") == 85.5 and fresh.value("sotp_ads_stat") == "Median"
    recalculated = WorkbookValues(libreoffice.recalculate([edited], tmp_path / "lo")[0])
    for name in ("um_gmv", "ads_ps_median", "ls_pe_mean", "sotp_per_share", "sotp_upside", "check_master"):
        assert fresh.value(name) == pytest.approx(recalculated.value(name), rel=1e-9), name
    assert check_values(fresh).ok


def test_pull_refuses_a_formula_typed_over(quarter_dir, tmp_path):
    built = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "b.xlsx").path
    wb = load_workbook(built)
    sheet, ref = next(iter(wb.defined_names["sotp_per_share"].destinations))
    wb[sheet][ref.replace("$", "")].value = 150
    wb.save(tmp_path / "over.xlsx")
    with pytest.raises(KwaiError, match=r"1 cell\(s\) hold typed values over formulas: SOTP!C\d+ \(sotp_per_share\) = 150"):
        pull(tmp_path / "over.xlsx", data_dir=quarter_dir)
    result = pull(tmp_path / "over.xlsx", accept_overrides=True, data_dir=quarter_dir)
    assert result.changes == [] and result.overrides and "sotp_per_share" in result.overrides[0]


def test_pull_refuses_other_tools_and_other_quarters(quarter_dir, tmp_path):
    other = tmp_path / "other.xlsx"
    Workbook().save(other)
    with pytest.raises(KwaiError, match="not a workbook built by kwai-xl"):
        pull(other, data_dir=quarter_dir)
    built = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "b.xlsx").path
    with pytest.raises(KwaiError, match="built for quarter 2022Q2, not 2024Q1"):
        pull(built, quarter="2024Q1", data_dir=quarter_dir)
    (tmp_path / "notxlsx.xlsx").write_text("hello")
    with pytest.raises(KwaiError, match="not an .xlsx workbook"):
        pull(tmp_path / "notxlsx.xlsx", data_dir=quarter_dir)


def _refused_pull(wb, tmp_path, quarter_dir) -> str:
    """The refusal of pulling ``wb`` (saved as bad.xlsx) into the quarter files of ``quarter_dir``."""
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(KwaiError) as err:
        pull(tmp_path / "bad.xlsx", data_dir=quarter_dir)
    return str(err.value)


def _cell_of(wb, name: str, offset: int = 0):
    """The cell ``offset`` columns right of the first cell the defined name ``name`` points at."""
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    first = wb[sheet][ref.replace("$", "").split(":")[0]]
    return wb[sheet].cell(first.row, first.column + offset)


def test_pull_names_the_cell_of_an_invalid_edit(quarter_dir, tmp_path):
    built = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "b.xlsx").path
    wb = load_workbook(built)
    _cell_of(wb, "um_penetration", 2).value = 1.7
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(KwaiError, match=r"Assumptions!E\d+: the edited inputs do not validate: .*penetration.values.2"):
        pull(tmp_path / "bad.xlsx", data_dir=quarter_dir)
    assert load_quarter(quarter_dir / "2022Q2.yaml").user_method.penetration.values[2] == 0.7  # nothing written


def test_pull_names_every_invalid_edit_with_its_cell(quarter_dir, tmp_path):
    """Two bad edits in one workbook: both named with their cells in one run, not one per run."""
    built = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "b.xlsx").path
    wb = load_workbook(built)
    cells = []
    for name, offset, value in (("um_penetration", 2, 1.7), ("cm_share", 1, -0.2)):
        cell = _cell_of(wb, name, offset)
        cell.value = value
        cells.append(f"{cell.parent.title}!{cell.coordinate}")
    message = _refused_pull(wb, tmp_path, quarter_dir)
    assert "the edited inputs do not validate (2 problems)" in message, message
    assert f"{cells[0]} user_method.penetration.values.2" in message and f"{cells[1]} category_method.share" in message
    assert load_quarter(quarter_dir / "2022Q2.yaml").user_method.penetration.values[2] == 0.7  # nothing written


def test_pull_names_text_in_number_cells_and_a_future_date_together(quarter_dir, tmp_path):
    """Text typed into two number cells and an as-of date in the future: all three named, each with its cell."""
    from datetime import datetime, time, timedelta

    built = build_workbook(load_quarter(quarter_dir / "2022Q2.yaml"), tmp_path / "b.xlsx").path
    wb = load_workbook(built)
    cells = []
    for name, text in (("um_netizens", "x"), ("shares", "4,266 m")):
        cell = _cell_of(wb, name)
        cell.value = text
        cells.append(f"{cell.parent.title}!{cell.coordinate}")
    price = _cell_of(wb, "price")
    sheet = price.parent.title
    as_of = next(c for c in price.parent[price.row] if isinstance(c.value, datetime))
    as_of.value = datetime.combine(date.today() + timedelta(days=30), time())
    message = _refused_pull(wb, tmp_path, quarter_dir)
    assert "(3 problems)" in message, message
    assert f"{cells[0]} (um_netizens): 'x' is not a number" in message and f"{cells[1]} (shares): '4,266 m' is not a number" in message
    assert f"{sheet}!{as_of.coordinate} market.price.as_of: is after today" in message


@LO
def test_every_shipped_quarter_builds_and_verifies(tmp_path):
    books = [build_workbook(load_quarter(p), tmp_path / f"{p.stem}.xlsx").path for p in paths.quarter_files()]
    assert {b.stem for b in books} >= {"2022Q2", "2024Q1", "2025Q3"}
    for report in verify_workbooks(books):
        assert report.ok, (report.path, report.errors, [str(m) for m in report.mismatches])


@pytest.mark.parametrize("quarter", ["2024Q1", "2025Q3", "2025Q4"])
def test_every_figure_of_the_new_quarters_has_a_source(quarter):
    q = load_quarter(paths.DATA_DIR / f"{quarter}.yaml")

    def walk(obj, where, covered=False):
        """Every figure must sit inside something with a non-empty source (its own or its parent's)."""
        if hasattr(type(obj), "model_fields"):
            fields = type(obj).model_fields
            sources = [n for n in fields if n.endswith("source")]
            for name in sources:
                assert str(getattr(obj, name)).strip(), f"{quarter}: {where}.{name} is empty"
            covered = covered or bool(sources)
            for name in fields:
                if not name.endswith(("year", "years")):  # fiscal-year labels, not figures
                    walk(getattr(obj, name), f"{where}.{name}", covered)
        elif isinstance(obj, (list, tuple)):
            for k, item in enumerate(obj):
                walk(item, f"{where}[{k}]", covered)
        elif isinstance(obj, dict):
            for key, item in obj.items():
                walk(item, f"{where}.{key}", covered)
        elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
            assert covered, f"{quarter}: {where} = {obj} has no source"

    for section in ("market", "user_method", "category_method", "context", "kuaishou", "peers", "sotp", "drivers",
                    "reported", "share_prices"):
        walk(getattr(q, section), section)
    assert "TWTR.N" not in [p.ticker for g in q.peers.groups for p in g.companies]  # taken private in October 2022
    assert q.reported and all(r.source for r in q.reported)


def test_a_missing_source_fails_to_load(tmp_path):
    text = (paths.DATA_DIR / "2024Q1.yaml").read_text(encoding="utf-8")
    broken = text.replace('source: "reported FY2023 average DAU (Kuaishou FY2023 results release)"', 'source: ""')
    assert broken != text
    (tmp_path / "2024Q1.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(KwaiError, match=r"drivers.dau.source"):
        load_quarter(tmp_path / "2024Q1.yaml")


def test_forecasts_meet_the_outcomes_of_later_files(seed_quarter):
    from kwai_xl.quarters.backtest import actuals_for
    actuals = {a.key: a for a in actuals_for(seed_quarter)}
    assert actuals["gmv_fy1"].year == 2022 and actuals["gmv_fy1"].value == 901_200
    assert actuals["gmv_fy2"].value == 1_184_400 and actuals["revenue_fy1"].value == 94_183
    assert actuals["market_user"].year == 2025 and actuals["market_user"].value is None  # not reported yet
    price = actuals["per_share_12m"]  # twelve months after 2022-06-02: the nearest recorded price within 31 days
    assert (price.value, price.as_of) == (53.75, date(2023, 6, 1)) and "alphaspread.com" in price.source


def test_the_value_per_share_is_scored_only_against_a_price_near_twelve_months_on(quarter_dir):
    from kwai_xl.quarters.backtest import actuals_for
    path = quarter_dir / "2024Q1.yaml"
    text = path.read_text(encoding="utf-8")
    moved = text.replace("value: 53.75, unit: HKD per share, as_of: 2023-06-01", "value: 53.75, unit: HKD per share, as_of: 2023-07-10")
    assert moved != text
    path.write_text(moved, encoding="utf-8")
    seed = load_quarter(quarter_dir / "2022Q2.yaml")
    assert {a.key: a for a in actuals_for(seed, quarter_dir)}["per_share_12m"].value is None  # 403 days on: too far
    recorded = "share_prices:\n  - {as_of: 2023-05-20, value: 50.5, unit: HKD per share, source: \"test: a recorded close\"}\n"
    path.write_text(moved + recorded, encoding="utf-8")
    price = {a.key: a for a in actuals_for(seed, quarter_dir)}["per_share_12m"]
    assert (price.value, price.as_of) == (50.5, date(2023, 5, 20))  # 13 days from 2023-06-02: within the window


@LO
def test_forecast_sheet_shows_the_errors(seed_book, recalculated):
    values = recalculated["default"]
    errors = dict(zip(["revenue_fy1", "revenue_fy2", "gmv_fy1", "gmv_fy2"], values.value("fva_error")[:4]))
    assert errors["gmv_fy1"] == pytest.approx(883_963.772727 / 901_200 - 1, rel=1e-9)
    assert errors["revenue_fy2"] == pytest.approx(115_552 / 113_470 - 1, rel=1e-9)
    assert values.value("fva_error")[-2] == "n.a."  # the 2025E market: not reported yet
    per_share = values.value("sotp_per_share")
    assert values.value("fva_actual")[-1] == 53.75  # the price on 2023-06-01, recorded in the 2024Q1 file
    assert values.value("fva_error")[-1] == pytest.approx(per_share / 53.75 - 1, rel=1e-9)


def test_build_all_and_diff_cli(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.setattr(paths, "WORKBOOKS_DIR", tmp_path)
    result = runner.invoke(main, ["build", "--all"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.glob("*.xlsx")} >= {"kuaishou-2022Q2.xlsx", "kuaishou-2024Q1.xlsx", "kuaishou-2025Q3.xlsx"}
    assert "stale input" in result.stderr
    diff = runner.invoke(main, ["diff", "2022Q2", "2024Q1"])
    assert diff.exit_code == 0
    assert "kuaishou.revenue[2021]" in diff.output and "sotp_per_share" in diff.output  # by fiscal year
    assert "81,082" in diff.output  # numbers formatted
    assert "TWTR.N" in diff.output  # Twitter left the ads peer set


def test_diff_compares_tables_by_row_and_column():
    """A history table with years added in front differs only in the new years: each value is keyed by its
    row and column, not by its slot, and the column list itself is no difference."""
    from kwai_xl.quarters.compare import input_differences

    old, new = load_quarter(paths.quarter_path("2025Q3")), load_quarter(paths.quarter_path("2025Q4"))
    grown = new.model_dump()
    annual = grown["history"]["annual"]
    annual["columns"] = ["1990", "1991"] + annual["columns"]
    for row in annual["rows"]:
        row["values"] = [1.0, 2.0] + row["values"]
    shifted = type(new).model_validate(grown)
    diff = {d.path: d for d in input_differences(new, shifted)}
    assert diff and all(p.startswith("history.annual.rows[") and p.endswith(("[1990]", "[1991]")) for p in diff), diff
    assert diff["history.annual.rows[gmv][1991]"].old == "—" and diff["history.annual.rows[gmv][1991]"].new == 2.0
    assert not any("columns" in p for p in (d.path for d in input_differences(old, new)))


def test_a_market_figure_dated_after_the_quarter_is_named_by_pull_and_build(quarter_dir, tmp_path):
    """A price dated after the quarter's own date validates (it has been) but is named: the valuation is as of the
    quarter's date, and the stale guard would read its age as negative."""
    from kwai_xl.workbook.build import build_workbook, layouts

    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    assumptions = next(s for s in layouts(q) if s.key == "assumptions")
    price = next(it for it in assumptions.items() if it.name == "price")
    wb = load_workbook(book)
    wb[assumptions.title].cell(price.row, assumptions.as_of_col).value = date(2022, 6, 7)
    wb.save(book)
    env = {**os.environ, "KWAI_XL_DATA": str(quarter_dir)}
    pulled = subprocess.run([sys.executable, "-m", "kwai_xl", "pull", str(book)], capture_output=True, text=True, env=env)
    assert pulled.returncode == 0 and "market.price.as_of: 2022-06-02 → 2022-06-07" in pulled.stdout
    assert "warning: 2022Q2: price is dated 2022-06-07, 5 day(s) after 2022Q2's own date 2022-06-02" in pulled.stderr
    built = subprocess.run([sys.executable, "-m", "kwai_xl", "calc", "-q", "2022Q2"], capture_output=True, text=True,
                           env=env)
    assert "price is dated 2022-06-07, 5 day(s) after" in built.stderr
