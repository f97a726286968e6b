"""A peer's market cap dated apart from its estimates: in the data file, the market import, the stale guard, the
workbook and pull."""

import json
import shutil
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from quarter_files import edited_seed_quarter

from kwai_xl import paths
from kwai_xl.errors import KwaiError
from kwai_xl.interfaces.cli import main
from kwai_xl.quarters.market_import import import_market
from kwai_xl.quarters.rollover import new_quarter
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.quarters.staleness import market_dates, stale_estimates, stale_inputs, stale_market
from kwai_xl.readback import libreoffice
from kwai_xl.readback.pull import pull
from kwai_xl.workbook.build import build_workbook, load_labels

LO = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")
MARKET_CAP_SOURCE = "terminal export of 2022-06-02: market cap"
ESTIMATES_SOURCE = "Bloomberg consensus of 2021-06-02"


def _split_joyy(data) -> None:
    """JOYY's estimates a year older than its market cap, each with its own source."""
    joyy = data["peers"]["groups"][0]["companies"][0]
    joyy.update(as_of=date(2021, 6, 2), source=ESTIMATES_SOURCE, market_cap_as_of=date(2022, 6, 2),
                market_cap_source=MARKET_CAP_SOURCE)


def _peers(q):
    return [(group, peer) for group in q.peers.groups for peer in group.companies]


def test_a_market_cap_dated_apart_loads_beside_files_that_date_the_row_once(tmp_path):
    for path in [*paths.quarter_files(), *sorted((paths.ROOT / "data" / "examples").glob("*/*.yaml"))]:
        q = load_quarter(path)  # every shipped file, unchanged: one date and source for the whole row
        for _, peer in _peers(q):
            assert (peer.market_cap_date, peer.market_cap_origin) == (peer.as_of, peer.source), (path, peer.ticker)
    q = load_quarter(edited_seed_quarter(tmp_path, _split_joyy))
    joyy = q.peers.groups[0].companies[0]
    assert (joyy.market_cap_date, joyy.market_cap_origin) == (date(2022, 6, 2), MARKET_CAP_SOURCE)
    assert (joyy.as_of, joyy.source) == (date(2021, 6, 2), ESTIMATES_SOURCE)


def test_old_estimates_under_a_fresh_market_cap_are_named_not_hidden(tmp_path):
    """The market guard reads the market cap's date (fresh: no STALE); the estimates' date is a stale input of its
    own, named by build and calc, and on the Cover."""
    path = edited_seed_quarter(tmp_path, _split_joyy)
    q = load_quarter(path)
    assert stale_market(q) == [] and {m.ticker: m.as_of for m in market_dates(q)}["YY.O"] == date(2022, 6, 2)
    assert [(s.path, s.as_of) for s in stale_inputs(q)] == [("peers.groups[ls].companies[YY.O].estimates",
                                                            date(2021, 6, 2))]
    assert [p.ticker for p in stale_estimates(q)] == ["YY.O"]
    result = CliRunner().invoke(main, ["build", "-q", str(path), "--out", str(tmp_path / "k.xlsx")])
    assert result.exit_code == 0, result.output
    assert "STALE" not in result.stderr
    assert ("the SOTP's peer multiples rest on estimates dated over a quarter before 2022-06-02: YY.O estimates as of "
            "2021-06-02 (market cap as of 2022-06-02)") in result.stderr
    cover = [c.value for c in load_workbook(tmp_path / "k.xlsx")["Cover"]["A"] if c.value]
    assert "peers.ls: YY.O estimates (oldest as of 2021-06-02)" in cover
    zh = build_workbook(q, tmp_path / "k-zh.xlsx", lang="zh").path
    cover = [c.value for c in load_workbook(zh)[load_labels("zh")["sheets"]["cover"]]["A"] if c.value]
    assert any(line.endswith("：YY.O 预测（最早截至 2021-06-02）") for line in cover), cover
    data = json.loads(CliRunner().invoke(main, ["calc", "--json", "--quarter", str(path)]).output)
    assert (data["stale"], data["stale_estimates"]) == (False, [{"ticker": "YY.O", "as_of": "2021-06-02",
                                                                 "age_days": 365}])


def _export(path, header: str, rows: list[str]):
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_market_cap_import_dates_the_market_caps_and_leaves_the_estimates_old(quarter_dir):
    """The quarter rolled forward, then every market figure refreshed from an export without estimates: the market
    guard passes, and every peer's estimates (still of 2022-06-02) are named as stale, not re-dated."""
    rolled = new_quarter("2022Q4", "2022Q2", data_dir=quarter_dir, today=date(2022, 12, 30))
    before = load_quarter(rolled.path)
    assert stale_market(before)  # carried forward with their old dates
    export = _export(quarter_dir / "caps.csv", "ticker,date,currency,price,market_cap",
                     ["1024.HK,2022-12-20,HKD,90,", "HKDCNY,2022-12-20,CNY,0.89,"]
                     + [f"{peer.ticker},2022-12-20,{peer.currency},,{round(peer.market_cap * 1.1, 1)}"
                        for _, peer in _peers(before)])
    result = import_market(export, rolled.path)
    assert "peers.groups.0.companies.0.market_cap_as_of: n.a. → 2022-12-20" in [str(c) for c in result.changes]
    assert not any(c.path.endswith((".as_of", ".source")) and ".companies." in c.path for c in result.changes)
    q = load_quarter(rolled.path)
    for (_, old), (_, peer) in zip(_peers(before), _peers(q)):
        assert (peer.market_cap_date, peer.market_cap_origin) == (date(2022, 12, 20), "caps.csv (exported 2022-12-20)")
        assert (peer.as_of, peer.source) == (old.as_of, old.source) == (date(2022, 6, 2), old.source)
    assert stale_market(q) == []
    stale = {s.path: s.as_of for s in stale_inputs(q)}
    for group, peer in _peers(q):
        where = f"peers.groups[{group.key}].companies[{peer.ticker}]"
        assert stale[f"{where}.estimates"] == date(2022, 6, 2) and f"{where}.market_cap" not in stale
        assert where not in stale
    named = {peer.ticker for peer in stale_estimates(q)}
    left = [peer for _, peer in _peers(q) if peer.ticker not in named]
    assert sorted(p.ticker for p in left) == ["DOYU.O", "HUYA.N"]  # no FY1 net profit: in no PE of segment ls
    text = rolled.path.read_text(encoding="utf-8")
    assert import_market(export, rolled.path).changes == [] and rolled.path.read_text(encoding="utf-8") == text


def test_an_estimates_import_dates_the_estimates_and_leaves_the_market_cap(quarter_dir):
    """A row of estimates re-dates the row's estimates only: a market cap dated with them keeps its date and source,
    now as its own; a market cap older than the one the file holds is skipped while newer estimates are taken."""
    path = quarter_dir / "2022Q2.yaml"
    weibo = load_quarter(path).peers.groups[1].companies[0]
    export = _export(quarter_dir / "est.csv", "ticker,date,currency,revenue_2022", ["WB.O,2022-06-05,USD,2400"])
    import_market(export, path)
    after = load_quarter(path).peers.groups[1].companies[0]
    assert (after.market_cap_date, after.market_cap_origin) == (weibo.as_of, weibo.source)
    assert after.as_of == date(2022, 6, 5) and after.revenue[1] == 2400
    assert after.source == f"revenue 2022: est.csv (exported 2022-06-05); other figures: {weibo.source}"
    text = path.read_text(encoding="utf-8")
    assert import_market(export, path).changes == [] and path.read_text(encoding="utf-8") == text

    import_market(_export(quarter_dir / "cap.csv", "ticker,date,currency,market_cap", ["WB.O,2022-06-07,USD,5300"]), path)
    late = _export(quarter_dir / "late.csv", "ticker,date,currency,market_cap,revenue_2022", ["WB.O,2022-06-06,USD,5250,2450"])
    result = import_market(late, path)
    assert result.skipped == ["WB.O market_cap (line 2): dated 2022-06-06, older than the data file's (as of 2022-06-07)"]
    now = load_quarter(path).peers.groups[1].companies[0]
    assert (now.market_cap, now.market_cap_date, now.revenue[1], now.as_of) == (5300, date(2022, 6, 7), 2450,
                                                                                date(2022, 6, 6))
    old = _export(quarter_dir / "old.csv", "ticker,date,currency,market_cap", ["WB.O,2022-06-01,USD,5000"])
    assert import_market(old, path).skipped == ["WB.O (line 2): dated 2022-06-01, older than the data file's figures "
                                                "(as of market cap 2022-06-07, estimates 2022-06-06)"]


def _cell(wb, name: str, row: int = 0, column: str = "value"):
    """The cell of row ``row`` of public name ``name``: its value, or the as-of date or the source beside it."""
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    first = wb[sheet][ref.replace("$", "").split(":")[0]]
    if column == "value":
        return first.offset(row, 0)
    as_of = next(c.column for r in wb[sheet].iter_rows(max_row=first.row) for c in r if c.value == "as of")
    return wb[sheet].cell(first.row + row, as_of + (column == "source"))


def test_a_built_workbook_shows_both_dates(tmp_path):
    """Assumptions dates and sources the market cap and the estimates each by their own; Peer Comps shows both dates
    beside each row's multiples (links to those cells)."""
    q = load_quarter(edited_seed_quarter(tmp_path, _split_joyy))
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb = load_workbook(book)
    assert (_cell(wb, "ls_mcap", 0, "as_of").value.date(), _cell(wb, "ls_mcap", 0, "source").value) == (
        date(2022, 6, 2), MARKET_CAP_SOURCE)
    assert (_cell(wb, "ls_rev", 0, "as_of").value.date(), _cell(wb, "ls_rev", 0, "source").value) == (
        date(2021, 6, 2), ESTIMATES_SOURCE)
    comps = load_workbook(book, data_only=True)["Peer Comps"]
    joyy = next(row for row in comps.iter_rows() if row[0].value == "JOYY (YY.O)")
    header = next(row for row in comps.iter_rows(max_row=joyy[0].row) if any(c.value == "Estimates" for c in row))
    dates = {header[k].value: joyy[k].value for k in range(len(header)) if header[k].value in ("Market cap", "Estimates")}
    assert {k: v.date() for k, v in dates.items()} == {"Market cap": date(2022, 6, 2), "Estimates": date(2021, 6, 2)}


@LO
def test_libreoffice_reads_both_dates_on_peer_comps(tmp_path):
    q = load_quarter(edited_seed_quarter(tmp_path, _split_joyy))
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb = load_workbook(libreoffice.recalculate([book], tmp_path / "lo")[0], data_only=True)
    joyy = next(row for row in wb["Peer Comps"].iter_rows() if row[0].value == "JOYY (YY.O)")
    shown = [c.value for c in joyy if c.value is not None][-2:]
    assert [d.date() for d in shown] == [date(2022, 6, 2), date(2021, 6, 2)]


def test_dates_edited_in_the_workbook_round_trip_through_pull(quarter_dir, tmp_path):
    """A market cap's as-of date edited beside it becomes its own; an estimates' date edited beside one of the row's
    figures re-dates the estimates and leaves the market cap its date; a rebuild shows what was typed."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb = load_workbook(book)
    _cell(wb, "ls_mcap", 0, "as_of").value = date(2022, 6, 3)  # JOYY's market cap
    _cell(wb, "ads_rev", 1, "as_of").value = date(2022, 6, 1)  # Baidu's estimates, beside its revenue only
    _cell(wb, "ads_rev", 1, "source").value = "analyst: consensus of 2022-06-01"
    wb.save(book)
    result = pull(book, data_dir=quarter_dir)
    assert {c.path: c.new for c in result.changes} == {
        "peers.groups.0.companies.0.market_cap_as_of": date(2022, 6, 3),
        "peers.groups.0.companies.0.market_cap_source": q.peers.groups[0].companies[0].source,
        "peers.groups.1.companies.1.as_of": date(2022, 6, 1),
        "peers.groups.1.companies.1.source": "analyst: consensus of 2022-06-01",
        "peers.groups.1.companies.1.market_cap_as_of": date(2022, 6, 2),
        "peers.groups.1.companies.1.market_cap_source": q.peers.groups[1].companies[1].source,
    }
    assert pull(book, data_dir=quarter_dir).changes == []  # nothing new: the other copies of a date are not edits
    text = (quarter_dir / "2022Q2.yaml").read_text(encoding="utf-8")  # new keys quoted like the row's source
    assert f'          market_cap_source: "{q.peers.groups[0].companies[0].source}"\n' in text
    assert '          source: "analyst: consensus of 2022-06-01"\n' in text
    wb = load_workbook(book)
    _cell(wb, "ads_rev", 1, "as_of").value = date(2022, 5, 30)  # edited again in the same workbook
    wb.save(book)
    assert [(c.path, c.new) for c in pull(book, data_dir=quarter_dir).changes] == [
        ("peers.groups.1.companies.1.as_of", date(2022, 5, 30))]
    assert pull(book, data_dir=quarter_dir).changes == []

    after = load_quarter(quarter_dir / "2022Q2.yaml")
    joyy, baidu = after.peers.groups[0].companies[0], after.peers.groups[1].companies[1]
    assert (joyy.market_cap_date, joyy.as_of) == (date(2022, 6, 3), date(2022, 6, 2))
    assert (baidu.market_cap_date, baidu.as_of) == (date(2022, 6, 2), date(2022, 5, 30))
    rebuilt = load_workbook(build_workbook(after, tmp_path / "rebuilt.xlsx").path)
    assert [_cell(rebuilt, name, row, "as_of").value.date() for name, row in
            (("ls_mcap", 0), ("ls_np", 0), ("ads_mcap", 1), ("ads_rev", 1), ("ads_np", 1))] == [
        date(2022, 6, 3), date(2022, 6, 2), date(2022, 6, 2), date(2022, 5, 30), date(2022, 5, 30)]

    _cell(rebuilt, "ads_np", 1, "as_of").value = date(2022, 5, 1)  # one date, two values: refused, naming both cells
    _cell(rebuilt, "ads_rev", 1, "as_of").value = date(2022, 5, 2)
    rebuilt.save(tmp_path / "two.xlsx")
    with pytest.raises(KwaiError, match=r"Assumptions!F\d+ and Assumptions!F\d+ \(peers.groups.1.companies.1.as_of\): "
                                        r"edited to different values"):
        pull(tmp_path / "two.xlsx", data_dir=quarter_dir, accept_older=True)
