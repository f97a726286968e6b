"""``kwai-xl market import``: an export's figures into a quarter file, whole or not at all."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kwai_xl.errors import KwaiError
from kwai_xl.interfaces.cli import main
from kwai_xl.quarters.market_import import import_market, read_export
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.quarters.staleness import stale_market
from kwai_xl.readback import libreoffice

FIXTURES = Path(__file__).parent / "fixtures"
LO = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")


def test_an_export_round_trips_into_the_data_file(quarter_dir):
    path = quarter_dir / "2022Q2.yaml"
    before = path.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["market", "import", str(FIXTURES / "market_export.csv"), "--quarter", str(path)])
    assert result.exit_code == 0, result.output
    assert "market.price.value: 79.9 → 85.5" in result.output
    assert "peers.groups.1.companies.1.market_cap: 49,001 → 50,123" in result.output

    q = load_quarter(path)
    assert (q.market.price.value, q.market.price.as_of) == (85.5, date(2022, 6, 10))
    assert q.market.price.source == "market_export.csv (exported 2022-06-10)"
    assert q.market.fx_rmb_per_hkd.value == 0.8512 and q.market.shares.value == 4266
    assert "1024.HK market_cap (line 2): Kuaishou's market cap is price × shares" in result.output
    assert q.kuaishou.revenue == (81082, 94000, 115552)  # only the FY1 column was in the export
    baidu = q.peers.groups[1].companies[1]
    assert (baidu.market_cap, baidu.revenue[1], baidu.net_profit[1], baidu.as_of) == (50123.4, 19500, 1600.5, date(2022, 6, 9))
    jd = q.peers.groups[2].companies[1]
    assert jd.gmv[1] == 600000 and jd.revenue == (147548, 161936, 192180)  # blank cells leave figures alone
    assert stale_market(q) == []  # everything it touched is dated within the threshold

    after = path.read_text(encoding="utf-8")
    assert after.count("\n#") == before.count("\n#") and "# implied: market cap / published PE" in after
    again = import_market(FIXTURES / "market_export.csv", path)
    assert again.changes == [] and path.read_text(encoding="utf-8") == after  # a second import changes nothing


def test_a_bad_export_names_its_lines_and_writes_nothing(quarter_dir):
    path = quarter_dir / "2022Q2.yaml"
    before = path.read_text(encoding="utf-8")
    bad = FIXTURES / "market_export_bad.csv"
    result = CliRunner().invoke(main, ["market", "import", str(bad), "--quarter", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: ")
    assert "line 4: market_cap: not a number (got 'sixty thousand')" in lines[0]
    assert path.read_text(encoding="utf-8") == before

    good_rows = bad.read_text(encoding="utf-8").replace("PDD.O,2022-06-09,USD,,,sixty thousand,\n", "")
    (quarter_dir / "rows.csv").write_text(good_rows, encoding="utf-8")
    with pytest.raises(KwaiError) as err:
        import_market(quarter_dir / "rows.csv", path)
    message = str(err.value)
    assert "line 5: WB.O: currency must be USD, as in the data file (got HKD)" in message
    assert "unknown tickers: ZZZZ.O (line 4)" in message
    assert path.read_text(encoding="utf-8") == before  # nothing half-written

    (quarter_dir / "rows.csv").write_text(good_rows.replace("WB.O,2022-06-09,HKD", "WB.O,2022-06-09,USD"), encoding="utf-8")
    result = import_market(quarter_dir / "rows.csv", path)
    assert result.unknown == ["ZZZZ.O (line 4)"] and load_quarter(path).peers.groups[1].companies[0].market_cap == 5100


@pytest.mark.parametrize("text, fragment", [
    ("Ticker,Price\nBIDU,1\n", "line 1: no date column"),
    ("Ticker,Date,Price\nBIDU,June,1\n", "line 2: date: not a date YYYY-MM-DD"),
    ("Ticker,Date,Currency,Market Cap\nBIDU,2022-06-09,USD,-5\n", "line 2: market_cap: must be positive"),
    ("Ticker,Date,Currency,Revenue 2022E\n1024.HK,2022-06-09,HKD,94000\n", "estimates must be in RMB"),
    ("Ticker,Date,Currency,Market Cap\nBIDU,2022-06-09,USD,5\nBIDU,2022-06-10,USD,6\n", "line 3: ticker BIDU already on line 2"),
    # one company under two spellings of its ticker is given twice too
    ("Ticker,Date,Currency,Market Cap\nBIDU.O,2022-06-09,USD,5\nBIDU,2022-06-10,USD,6\n", "line 3: BIDU: BIDU.O already given on line 2"),
    ("Ticker,Date,Price\nHKDCNY,2022-06-09,0.85\nHKD/CNY,2022-06-09,0.86\n", "line 3: HKD/CNY: the fx rate already given on line 2"),
    # thousands separators without quotes shift the cells: refused, not read as a market cap of 1
    ("Ticker,Date,Currency,Revenue 2022,Market Cap\nBIDU.O,2022-06-09,USD,,1,600,000\n",
     "line 2: 7 cells under a header of 5 columns .* past the header: 600, 000"),
    # an empty last cell does not hide the shift
    ("Ticker,Date,Currency,Market Cap,Revenue 2022\nBIDU.O,2022-06-09,USD,3,300,\n",
     r"line 2: 6 cells under a header of 5 columns .* past the header: \)"),
    ("Ticker,Date,Currency,Market Cap\nBIDU,2099-06-09,USD,5\n", "line 2: BIDU: dated 2099-06-09, after today"),
])
def test_malformed_exports_give_one_line(quarter_dir, text, fragment):
    path = quarter_dir / "2022Q2.yaml"
    before = path.read_text(encoding="utf-8")
    (quarter_dir / "x.csv").write_text(text, encoding="utf-8")
    with pytest.raises(KwaiError, match=fragment):
        import_market(quarter_dir / "x.csv", path)
    assert path.read_text(encoding="utf-8") == before


def test_terminal_tickers_match(quarter_dir):
    (quarter_dir / "t.csv").write_text("Security,As of Date,Crncy,CUR_MKT_CAP\nBIDU US Equity,2022-06-09,USD,50000\n",
                                       encoding="utf-8")
    result = import_market(quarter_dir / "t.csv", quarter_dir / "2022Q2.yaml")
    assert [str(c) for c in result.changes][0] == "peers.groups.1.companies.1.market_cap: 49,001 → 50,000"


def test_terminal_headers_are_read():
    rows, ignored = read_export(FIXTURES / "market_export.csv")
    assert [r.ticker for r in rows] == ["1024.HK", "BIDU", "JD.O", "HKDCNY"]
    assert rows[0].figures[("revenue", 2022)] == 94000 and rows[0].fin_currency == "RMB"
    assert rows[3].currency == "RMB"  # CNY is the data files' RMB


@LO
def test_an_xlsx_export_saved_by_libreoffice_imports_the_same(quarter_dir, tmp_path):
    xlsx = libreoffice.convert([FIXTURES / "market_export.csv"], tmp_path / "lo", "xlsx")[0]
    path = quarter_dir / "2022Q2.yaml"
    result = import_market(xlsx, path)
    assert {c.path for c in result.changes} >= {"market.price.value", "peers.groups.2.companies.1.gmv.1"}
    q = load_quarter(path)
    assert q.market.price.as_of == date(2022, 6, 10) and q.peers.groups[2].companies[1].gmv[1] == 600000
    assert q.market.price.source == "market_export.xlsx (exported 2022-06-10)"


def test_the_export_is_checked_against_what_the_file_holds(quarter_dir):
    """Older rows are skipped, misspelt columns named, a revenue jump of another unit warned, terminal dates read,
    and a company's other figures keep their source."""
    path = quarter_dir / "2022Q2.yaml"
    (quarter_dir / "t.csv").write_text("ticker,date,currency,mkt_cap,market_cap,revenue_2022\n"
                                       "BIDU.O,6/30/2022,USD,1,50000,137000\n"
                                       "WB.O,2021-01-01,USD,1,6000,\n", encoding="utf-8")
    result = import_market(quarter_dir / "t.csv", path)
    assert result.ignored == ["mkt_cap"]
    assert any("WB.O" in s and "older than the data file's figures" in s for s in result.skipped)
    assert any("BIDU.O revenue 2022" in w and "7.1×" in w for w in result.warnings)
    baidu = load_quarter(path).peers.groups[1].companies[1]
    assert baidu.market_cap == 50000 and baidu.as_of.isoformat() == "2022-06-30"
    assert baidu.source.startswith("market_cap, revenue 2022: t.csv (exported 2022-06-30); other figures: seed")
    (quarter_dir / "t.csv").write_text("ticker,date,currency,market_cap\nBIDU.O,05/06/2022,USD,50000\n", encoding="utf-8")
    with pytest.raises(KwaiError, match="could be month/day or day/month"):
        import_market(quarter_dir / "t.csv", path)


def test_a_market_cap_far_from_the_data_files_is_named(quarter_dir):
    """A market cap a third or three times the stored one is written but named: another currency or unit?"""
    (quarter_dir / "m.csv").write_text("Ticker,Date,Currency,Market Cap\nBIDU.O,2022-06-09,USD,49.001\n", encoding="utf-8")
    result = import_market(quarter_dir / "m.csv", quarter_dir / "2022Q2.yaml", dry_run=True)
    assert result.warnings == ["BIDU.O market_cap (line 2): 49.001 is 0.001× the data file's 49,001: another currency "
                               "or unit (百万), or shifted digits?"], result.warnings


def test_an_import_fills_a_rolled_forward_file(quarter_dir):
    """new-quarter, then market import: the rolled file lacks the new year's figures (loading names them all
    at once), and the import writes into it all the same, naming what is still to enter."""
    from datetime import date

    from kwai_xl.quarters.rollover import new_quarter

    rolled = new_quarter("2026Q4", "2025Q4", data_dir=quarter_dir, today=date(2026, 12, 5))
    with pytest.raises(KwaiError) as err:
        load_quarter(rolled.path)
    message = str(err.value)
    for segment in ("ls", "ads", "ec"):
        assert f"segment {segment}'s figure is for 2025, not the quarter's FY1 2026" in message
    assert "no peer has a positive 2026 revenue, so there is no PS for segment ec" in message
    (quarter_dir / "r.csv").write_text("ticker,date,currency,market_cap,revenue_2026\n"
                                       "BABA.N,2026-12-01,USD,300000,160000\n", encoding="utf-8")
    result = import_market(quarter_dir / "r.csv", rolled.path)
    assert "peers.groups.2.companies.0.revenue.1: n.a. → 160,000" in [str(c) for c in result.changes]
    assert "no peer has a positive" not in result.to_enter and "segment ec's figure is for 2025" in result.to_enter
    assert load_quarter(rolled.path, partial=True).peers.groups[2].companies[0].revenue[1] == 160_000


def test_an_older_price_than_the_data_files_is_skipped_like_an_older_peer(quarter_dir):
    """Kuaishou's price dated before the one the file holds is skipped and named, as a peer's older row is."""
    # 2025Q4: Kuaishou's estimates are as of 2025-11-23, its price as of 2025-12-05
    (quarter_dir / "p.csv").write_text("Ticker,Date,Currency,Price\n1024.HK,2025-12-04,HKD,70\n", encoding="utf-8")
    result = import_market(quarter_dir / "p.csv", quarter_dir / "2025Q4.yaml", dry_run=True)
    assert not result.changes
    assert result.skipped == ["1024.HK price (line 2): dated 2025-12-04, older than the data file's (as of 2025-12-05)"]


def test_kuaishous_price_and_the_fx_rate_are_checked_like_a_peers_figures(quarter_dir):
    """A price with shifted digits is named; an fx row older than the file's is skipped; a row dated well after
    the quarter's own date is named (today's figures belong in today's quarter)."""
    (quarter_dir / "k.csv").write_text("Ticker,Date,Currency,Price\n1024.HK,2022-06-09,HKD,7010\n"
                                       "HKDCNY,2022-05-01,,0.86\nBIDU.O,2022-08-01,USD,1\n", encoding="utf-8")
    result = import_market(quarter_dir / "k.csv", quarter_dir / "2022Q2.yaml", dry_run=True)
    assert "1024.HK price (line 2): 7,010 is 88× the data file's 79.9: another currency or unit (百万), or shifted digits?" in result.warnings
    assert "HKDCNY (line 3): dated 2022-05-01, older than the data file's fx (as of 2022-06-02)" in result.skipped
    assert any(w.startswith("BIDU.O (line 4): dated 2022-08-01, 60 days after 2022Q2's own date 2022-06-02") for w in result.warnings)


def test_a_source_too_long_to_hold_the_exports_part_is_refused_not_cut(quarter_dir):
    """A company's source after an import of its estimates is the export's part, then the data file's source for its
    other figures, whole: one over the 500 characters a data file takes is refused in one line naming the row and
    the source to shorten, and nothing is written (the tail was cut before, losing the old source's text). A market
    cap alone gets a source of its own and leaves the row's as it was."""
    path = quarter_dir / "2022Q2.yaml"
    old = "seed p.7-9: Bloomberg consensus, market cap of 2022-06-02"
    long = old + ", " + "x" * (490 - len(old)) + " (end)"
    text = path.read_text(encoding="utf-8")
    at = text.index(f'source: "{old}"', text.index("ticker: BIDU.O"))
    path.write_text(text[:at] + f'source: "{long}"' + text[at + len(f'source: "{old}"'):], encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    (quarter_dir / "t.csv").write_text("ticker,date,currency,revenue 2022\nBIDU.O,2022-06-09,USD,19500\n", encoding="utf-8")
    with pytest.raises(KwaiError) as err:
        import_market(quarter_dir / "t.csv", path)
    message = str(err.value)
    assert "\n" not in message and "line 2: BIDU.O: " in message and "over the 500" in message
    assert "peers.groups.1.companies.1.source" in message and "nothing written" in message
    assert path.read_text(encoding="utf-8") == before

    (quarter_dir / "m.csv").write_text("ticker,date,currency,market_cap\nBIDU.O,2022-06-09,USD,50000\n", encoding="utf-8")
    import_market(quarter_dir / "m.csv", path)  # the market cap's own source: the long one stays the estimates'
    baidu = load_quarter(path).peers.groups[1].companies[1]
    assert (baidu.ticker, baidu.source, baidu.market_cap_source) == ("BIDU.O", long, "m.csv (exported 2022-06-09)")

    (quarter_dir / "w.csv").write_text("ticker,date,currency,revenue 2022\nWB.O,2022-06-09,USD,2000\n", encoding="utf-8")
    import_market(quarter_dir / "w.csv", path)  # a source that fits keeps the old one whole, its end included
    weibo = load_quarter(path).peers.groups[1].companies[0]
    assert weibo.ticker == "WB.O" and weibo.source == "revenue 2022: w.csv (exported 2022-06-09); other figures: " + old


def test_an_import_takes_the_years_it_refreshes_out_of_the_rolled_note(quarter_dir):
    """A rolled figure's line says "rolled from …: refresh YEARS"; an import that writes a year's figure takes that
    year out, and the note goes with the last one; the line's own comment and every other comment stay (the note
    stayed before, misleading)."""
    from kwai_xl.quarters.rollover import new_quarter

    rolled = new_quarter("2026Q4", "2025Q4", data_dir=quarter_dir, today=date(2026, 12, 5)).path
    before = rolled.read_text(encoding="utf-8")

    def revenue_line() -> str:
        return next(line for line in rolled.read_text(encoding="utf-8").splitlines() if line.startswith("  revenue: ["))

    assert revenue_line().endswith("# rolled from 2025Q4: refresh 2025, 2026 — 2024A reported; 2025E/2026E: Guohai 2025-11-23")
    (quarter_dir / "k.csv").write_text("ticker,date,currency,fin_currency,revenue_2026\n1024.HK,2026-12-01,HKD,RMB,160000\n",
                                       encoding="utf-8")
    import_market(quarter_dir / "k.csv", rolled)
    assert revenue_line().startswith("  revenue: [142800, 160000, null]")
    assert revenue_line().endswith("# rolled from 2025Q4: refresh 2025 — 2024A reported; 2025E/2026E: Guohai 2025-11-23")
    (quarter_dir / "k.csv").write_text("ticker,date,currency,fin_currency,revenue_2025\n1024.HK,2026-12-02,HKD,RMB,142000\n",
                                       encoding="utf-8")
    import_market(quarter_dir / "k.csv", rolled)
    assert revenue_line().endswith("]    # 2024A reported; 2025E/2026E: Guohai 2025-11-23")
    after = rolled.read_text(encoding="utf-8")
    assert after.count("rolled from 2025Q4: refresh") == before.count("rolled from 2025Q4: refresh") - 1
    assert after.count("\n#") == before.count("\n#") and after.count("#") == before.count("#")  # no comment lost
