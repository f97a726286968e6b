"""The market stale guard: old price, fx or market caps mark the upside stale on the Cover, fail a check,
warn on build and flag ``calc --json``; a fresh quarter shows none of it."""

import json
import re
import shutil
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kwai_xl import paths
from kwai_xl.interfaces.cli import main
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.quarters.staleness import days_behind_today, market_dates, stale_inputs, stale_market
from kwai_xl.readback import libreoffice
from kwai_xl.readback.reader import WorkbookValues
from kwai_xl.readback.verify import check_values
from kwai_xl.workbook.build import build_workbook, load_labels

LO = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by `make test`")
SEED_PRICE = 'price: {value: 79.9, unit: HKD per share, as_of: 2022-06-02'
EN_WORDS = load_labels("en")["stale_words"]


def _stale_seed(quarter_dir, as_of="2022-04-01"):
    """The seed quarter with its share price dated ``as_of`` (62 days before the quarter for the default)."""
    path = quarter_dir / "2022Q2.yaml"
    text = path.read_text(encoding="utf-8")
    assert SEED_PRICE in text
    path.write_text(text.replace(SEED_PRICE, SEED_PRICE.replace("2022-06-02", as_of)), encoding="utf-8")
    return path


def _cover_and_check(book):
    """(Cover rows as (label, font colour), the stale check's value, the master check's value) of a built book."""
    wb = load_workbook(book, data_only=True)
    cover = [(c.value, str(c.font.color.rgb) if c.font.color is not None else "") for c in wb["Cover"]["A"] if c.value]
    checks = {row[0].value: row[2].value for row in wb["Checks"].iter_rows(min_col=1, max_col=3) if row[0].value}
    return cover, checks


def test_a_fresh_quarter_shows_no_stale_market(seed_quarter, tmp_path):
    assert stale_market(seed_quarter) == []
    assert {m.age_days for m in market_dates(seed_quarter)} == {0}
    data = json.loads(CliRunner().invoke(main, ["calc", "--json"]).output)
    assert data["stale"] is False and data["stale_market"] == [] and data["stale_after_days"] == 31
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "fresh.xlsx")])
    assert result.exit_code == 0 and "STALE" not in result.stderr
    cover, checks = _cover_and_check(tmp_path / "fresh.xlsx")
    assert not any("STALE" in str(label) for label, _ in cover)
    assert checks["Master check (all checks pass)"] == 1


@LO
def test_a_stale_price_fails_the_check_and_marks_the_cover(quarter_dir, tmp_path):
    path = _stale_seed(quarter_dir)
    q = load_quarter(path)
    assert [(m.label(EN_WORDS), m.age_days) for m in stale_market(q)] == [("share price", 62)]

    data = json.loads(CliRunner().invoke(main, ["calc", "--json", "--quarter", str(path)]).output)
    assert data["stale"] is True
    assert data["stale_market"] == [{"figure": "share price", "as_of": "2022-04-01", "age_days": 62}]

    book = tmp_path / "stale.xlsx"
    result = CliRunner().invoke(main, ["build", "--quarter", str(path), "--out", str(book)])
    assert result.exit_code == 0, result.output
    assert "STALE 2022Q2" in result.stderr and "as of 2022-04-01 (62 days before 2022-06-02): share price" in result.stderr

    cover, _ = _cover_and_check(book)
    red = [label for label, colour in cover if colour.endswith("C00000")]
    assert any(label.startswith("Upside — STALE") for label in red)
    assert "as of 2022-04-01 (62 days before 2022-06-02): share price" in red

    recalculated = WorkbookValues(libreoffice.recalculate([book], tmp_path / "lo")[0])
    assert recalculated.value("check_master") == 0
    _, checks = _cover_and_check(recalculated.path)
    assert checks[next(k for k in checks if str(k).startswith("Market data is current"))] == 0
    assert check_values(recalculated).ok  # stale is not wrong: the engine and the formulas still agree

    # a threshold set in the data file moves the guard; refreshed dates clear it
    path.write_text(path.read_text(encoding="utf-8") + "stale_after_days: 90\n", encoding="utf-8")
    assert stale_market(load_quarter(path)) == []
    path.write_text(path.read_text(encoding="utf-8").replace("stale_after_days: 90\n", "")
                    .replace("as_of: 2022-04-01", "as_of: 2022-05-03"), encoding="utf-8")
    assert stale_market(load_quarter(path)) == []  # 30 days old: within the default 31
    assert load_quarter(path).market.price.as_of == date(2022, 5, 3)


def test_the_stale_check_sits_in_the_master_check(seed_quarter, tmp_path):
    book = build_workbook(seed_quarter, tmp_path / "b.xlsx").path
    wb = load_workbook(book)
    sheet, ref = next(iter(wb.defined_names["check_master"].destinations))
    master = wb[sheet][ref.replace("$", "")].value
    stale_row = next(r for r in wb["Checks"].iter_rows(min_col=1, max_col=3)
                     if str(r[0].value).startswith("Market data is current"))
    assert f"$C${stale_row[2].row}" in master and "stale_days" in stale_row[2].value


def test_the_newest_shipped_quarter_has_current_market_data():
    newest = max((load_quarter(p) for p in paths.quarter_files()), key=lambda q: q.as_of)
    assert newest.quarter >= "2025Q4" and newest.as_of >= date(2025, 11, 19)  # after the Q3 2025 results
    dates = market_dates(newest)
    assert {"price", "fx_rmb_per_hkd"} <= {m.name for m in dates}
    assert len({m.name for m in dates} - {"price", "fx_rmb_per_hkd"}) == len(newest.sotp.segments)  # every SOTP group
    old = [(m.label(EN_WORDS), m.as_of) for m in dates if m.age_days > 31 or m.age_days < 0]
    assert old == [], f"{newest.quarter}: market data not within 31 days before {newest.as_of}: {old}"
    assert stale_market(newest) == []


def test_older_shipped_quarters_say_they_are_stale():
    for quarter in ("2024Q1", "2025Q3"):
        stale = stale_market(load_quarter(paths.DATA_DIR / f"{quarter}.yaml"))
        assert stale, quarter
        data = json.loads(CliRunner().invoke(main, ["calc", "--json", "--quarter", quarter]).output)
        assert data["stale"] is True and len(data["stale_market"]) == len(stale)


@LO
def test_doubling_the_price_doubles_kuaishous_market_cap(seed_quarter, seed_outputs, tmp_path):
    book = build_workbook(seed_quarter, tmp_path / "b.xlsx").path
    wb = load_workbook(book)
    sheet, ref = next(iter(wb.defined_names["price"].destinations))
    cell = wb[sheet][ref.replace("$", "")]
    assert cell.value == 79.9
    cell.value = 2 * 79.9
    wb.save(tmp_path / "doubled.xlsx")
    after = WorkbookValues(libreoffice.recalculate([tmp_path / "doubled.xlsx"], tmp_path / "lo")[0])
    assert seed_outputs["ks_mcap"] == pytest.approx(79.9 * 4266, rel=1e-12)
    assert after.value("ks_mcap") == pytest.approx(2 * 79.9 * 4266, rel=1e-12)
    assert after.value("ks_ps")[1] == pytest.approx(2 * seed_outputs["ks_ps"][1], rel=1e-12)  # its multiples follow
    assert check_values(after).ok  # the engine, run on the edited inputs, agrees


def test_the_engine_derives_kuaishous_market_cap_from_price_and_shares(seed_inputs):
    from kwai_xl.engine.model import evaluate
    one, two = evaluate(seed_inputs), evaluate(seed_inputs.with_changes(price=2 * seed_inputs.price))
    assert two["ks_mcap"] == pytest.approx(2 * one["ks_mcap"], rel=1e-15)
    assert [b / a for a, b in zip(one["ks_ps"], two["ks_ps"])] == pytest.approx([2, 2, 2], rel=1e-12)
    assert two["sotp_per_share"] == one["sotp_per_share"]  # the value does not depend on the price; the upside does


def test_days_behind_today_counts_from_the_calendar():
    q = load_quarter(paths.DATA_DIR / "2025Q4.yaml")  # as of 2025-12-05, threshold 31 days
    assert days_behind_today(q, date(2025, 12, 20)) is None
    assert days_behind_today(q, date(2026, 1, 5)) is None  # 31 days: at the threshold, still current
    assert days_behind_today(q, date(2026, 1, 6)) == 32
    assert days_behind_today(q, date(2026, 12, 5)) == 365


def test_the_newest_quarter_dated_long_before_today_is_named_loudly(tmp_path, monkeypatch):
    """``build`` and ``calc`` of the newest quarter say how old its market data are today and how to start
    the current quarter; an older quarter (history, built on purpose) and a quarter dated today say nothing."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("2022Q2", "2025Q4"):
        shutil.copy(paths.DATA_DIR / f"{name}.yaml", data)
    monkeypatch.setattr(paths, "DATA_DIR", data)
    monkeypatch.setattr(paths, "WORKBOOKS_DIR", tmp_path)
    runner = CliRunner()
    days = (date.today() - date(2025, 12, 5)).days
    now = f"{date.today().year}Q{(date.today().month - 1) // 3 + 1}"
    for args in (["build", "-q", "2025Q4"], ["calc"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        assert f"OLD 2025Q4 is the newest quarter and dated 2025-12-05, {days:,} days before today" in result.stderr
        assert f"kwai-xl new-quarter {now} --from 2025Q4" in result.stderr
    assert "OLD" not in runner.invoke(main, ["build", "-q", "2022Q2"]).stderr
    text = (data / "2025Q4.yaml").read_text(encoding="utf-8")
    (data / "2025Q4.yaml").write_text(text.replace("as_of: 2025-12-05", f"as_of: {date.today()}", 1), encoding="utf-8")
    assert "OLD" not in runner.invoke(main, ["calc"]).stderr


def test_figures_that_look_mistyped_are_named(tmp_path):
    """A premium of 5 (meant 5%) and an inverted fx rate validate, but build and calc name them."""
    text = (paths.DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
    text = text.replace("fx_rmb_per_hkd: {value: 0.855", "fx_rmb_per_hkd: {value: 1.17")
    text = text.replace("      premium: {value: 0, unit: fraction", "      premium: {value: 5, unit: fraction", 1)
    path = tmp_path / "2022Q2.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["calc", "-q", str(path)])
    assert result.exit_code == 0, result.output
    assert ("warning: 2022Q2: sotp.segments.0.premium.value: 5 is +500% on segment ls's peer multiple: a percentage "
            "typed whole? (5% is 0.05)") in result.stderr
    assert "market.fx_rmb_per_hkd.value: 1.17 RMB per HKD is outside 0.7–1.05: HKD per RMB typed instead" in result.stderr
    today = (paths.DATA_DIR / "2025Q4.yaml").read_text(encoding="utf-8")
    fx = next(line for line in today.splitlines() if line.strip().startswith("fx_rmb_per_hkd: {value: "))
    rate = float(fx.split("value: ")[1].split(",")[0])
    inverted = tmp_path / "2025Q4.yaml"
    inverted.write_text(today.replace(fx, fx.replace(f"value: {rate}", f"value: {1 / rate:.4f}")), encoding="utf-8")
    assert "HKD per RMB typed instead" in CliRunner().invoke(main, ["calc", "-q", str(inverted)]).stderr  # 1/0.91 = 1.10
    assert "warning" not in CliRunner().invoke(main, ["calc", "-q", "2022Q2"]).stderr


def _cover_lines(book, lang: str, *titles: str) -> list[str]:
    """The Cover's column-A lines under the blocks titled ``titles``: each block's rows up to the blank row after it."""
    lines, inside = [], False
    for cell in load_workbook(book)[load_labels(lang)["sheets"]["cover"]]["A"]:
        if cell.value in titles:
            inside = True
        elif not cell.value:
            inside = False
        elif inside:
            lines.append(cell.value)
    return lines


def _aged_seed(seed_quarter):
    """The seed quarter dated two years on: every input and every market figure it has is stale."""
    return seed_quarter.model_copy(update={"as_of": date(2024, 6, 2)})


@pytest.mark.parametrize("source", ["2024Q1", "2025Q3", "aged seed"])
def test_the_chinese_covers_stale_lines_are_chinese_but_for_tickers_and_data_keys(source, seed_quarter, tmp_path):
    """The rule: take a zh stale line (stale inputs or stale market data), remove every ticker of the quarter
    (Kuaishou's and each peer's); each remaining run of ASCII letters, digits and underscores that starts with a
    letter must then be a data-file key the line points to (a component of a stale input's data-file path, split
    at '.', '[' and ']', e.g. user_method, netizens, segments, ls), or GMV, which Chinese sheet names keep
    (用户法GMV). Each stale-input line says its keys are data-file keys (数据文件键)."""
    q = _aged_seed(seed_quarter) if source == "aged seed" else load_quarter(paths.DATA_DIR / f"{source}.yaml")
    zh = load_labels("zh")["cover"]
    book = build_workbook(q, tmp_path / f"{q.quarter}-zh.xlsx", lang="zh").path
    market, inputs = _cover_lines(book, "zh", zh["market_stale_block"]), _cover_lines(book, "zh", zh["stale_block"])
    assert market and inputs, (market, inputs)
    tickers = sorted({q.kuaishou.ticker} | {c.ticker for g in q.peers.groups for c in g.companies}, key=len, reverse=True)
    keys = {part for item in stale_inputs(q) for part in re.split(r"[.\[\]]+", item.path) if part}
    english = []
    for line in market + inputs:
        rest = line
        for ticker in tickers:
            rest = rest.replace(ticker, " ")
        english += [f"{word!r} in {line!r}" for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", rest)
                    if word not in keys and word != "GMV"]
    assert english == []
    assert all("数据文件键" in line for line in inputs)
    if source == "aged seed":  # every section is named in Chinese, a peer group by its name on Peer Comps
        assert [line.split("（数据文件键")[0] for line in inputs] == [
            "市场数据与股本", "用户法GMV", "品类法GMV", "研报中的支持数据（不参与计算）", "快手自身估值行",
            "可比公司（直播打赏）", "可比公司（线上营销（广告））", "可比公司（直播电商）", "分部估值", "收入驱动"]
        assert market[0].startswith("截至 2022-06-02（早于 2024-06-02 共 731 天）：股价、汇率（人民币/港元）、YY.O 市值")


def test_the_english_covers_stale_lines_read_as_before(seed_quarter, tmp_path):
    """The English lines are as they were, but for a peer group's, which now names its tickers, not their paths."""
    en = load_labels("en")["cover"]
    book = build_workbook(load_quarter(paths.DATA_DIR / "2024Q1.yaml"), tmp_path / "2024Q1-en.xlsx").path
    assert _cover_lines(book, "en", en["market_stale_block"]) == [
        "as of 2022-06-02 (665 days before 2024-03-28): fx (RMB per HKD)",
        "as of 2023-06-01 (301 days before 2024-03-28): share price",
        "as of 2023-12-29 (90 days before 2024-03-28): DOYU.O market cap, META.O market cap, JD.O market cap, PDD.O market cap",
        "as of 2023-12-31 (88 days before 2024-03-28): YY.O market cap, MOMO.O market cap, HUYA.N market cap, WB.O market cap, "
        "BIDU.O market cap"]
    assert _cover_lines(book, "en", en["stale_block"]) == [
        "market: price, shares, fx_rmb_per_hkd, holding_discount (oldest as of 2022-06-02)",
        "user_method: netizens, penetration, active_ratio, spend (oldest as of 2022-06-08)",
        "category_method: sales, published_total, penetration, completion, share (oldest as of 2022-06-08)",
        "context: alibaba_users, spend_per_consumer, live_gmv_2020, category_history, platform_gmv (oldest as of 2022-06-08)",
        "drivers: paying_users, arppu, ad_load, ecpm, inner_loop_take_rate, brand_advertisers and 6 more (oldest as of 2022-06-02)"]
    aged = build_workbook(_aged_seed(seed_quarter), tmp_path / "aged-en.xlsx").path
    lines = _cover_lines(aged, "en", en["stale_block"])
    assert "peers.ads: WB.O, BIDU.O, TWTR.N, FB.O (oldest as of 2022-06-02)" in lines
    assert "kuaishou: kuaishou (oldest as of 2022-06-02)" in lines


def test_an_old_quarter_of_todays_calendar_quarter_is_refreshed_not_rolled_onto_itself(tmp_path, monkeypatch):
    """The newest file is today's quarter but dated over the threshold ago: refresh it, not new-quarter onto itself."""
    from kwai_xl.quarters.staleness import quarter_of

    now = quarter_of(date.today())
    data = tmp_path / "data"
    data.mkdir()
    text = (paths.DATA_DIR / "2025Q4.yaml").read_text(encoding="utf-8")
    (data / f"{now}.yaml").write_text(text.replace("quarter: 2025Q4", f"quarter: {now}", 1), encoding="utf-8")
    monkeypatch.setattr(paths, "DATA_DIR", data)
    result = CliRunner().invoke(main, ["calc"])  # dated 2025-12-05: over the threshold before any day from 2026 on
    assert f"refresh it: kwai-xl market import EXPORT --quarter {now}" in result.stderr, result.stderr
    assert f"new-quarter {now} --from {now}" not in result.stderr


def test_the_calendar_guard_names_the_next_step_for_any_day():
    from kwai_xl.quarters.staleness import behind_today

    q = load_quarter(paths.DATA_DIR / "2025Q4.yaml")  # the newest shipped quarter, as of 2025-12-05
    assert behind_today(q, date(2026, 1, 2)) is None  # 28 days: current
    assert behind_today(q, date(2026, 3, 1)).endswith("(start 2026Q1: kwai-xl new-quarter 2026Q1 --from 2025Q4, "
                                                      "then kwai-xl market import)")
    assert behind_today(load_quarter(paths.DATA_DIR / "2022Q2.yaml"), date(2026, 3, 1)) is None  # history, not newest
