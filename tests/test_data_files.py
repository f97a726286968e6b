"""Malformed quarter files give one line naming file, field and value, and exit code 2."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from kwai_xl.interfaces.cli import main
from kwai_xl.paths import DATA_DIR

SEED_TEXT = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")

PENETRATION = "penetration: {values: [0.5, 0.6, 0.7]"
PRICE = "  price: {value: 79.9, unit: HKD per share, as_of: 2022-06-02, source: \"seed p.12: closing price 79.9港元 on 2022-06-02\"}\n"
JOYY_SOURCE = '          source: "seed p.5-7: Bloomberg consensus, market cap of 2022-06-02"\n'


def _joyy_market_cap(lines: str) -> str:
    """The seed file with ``lines`` ("key: value; …", keys of JOYY's comps row, the first) added under its source."""
    at = SEED_TEXT.index(JOYY_SOURCE, SEED_TEXT.index("- ticker: YY.O")) + len(JOYY_SOURCE)
    return SEED_TEXT[:at] + "".join(f"          {line}\n" for line in lines.split("; ")) + SEED_TEXT[at:]


CASES = {
    "wrong type": (SEED_TEXT.replace(PENETRATION, "penetration: {values: [0.5, sixty, 0.7]"),
                   ["user_method.penetration.values.1", "'sixty'"]),
    "out of range": (SEED_TEXT.replace(PENETRATION, "penetration: {values: [0.5, 1.5, 0.7]"),
                     ["user_method.penetration.values.1", "less than or equal to 1", "1.5"]),
    "negative users": (SEED_TEXT.replace("netizens: {value: 11.2", "netizens: {value: -11.2"),
                       ["user_method.netizens.value", "-11.2"]),
    "missing field": (SEED_TEXT.replace(PRICE, ""), ["market.price", "required field is missing"]),
    "unknown key": (SEED_TEXT.replace("market:\n", "market:\n  pricee: 1\n"), ["market.pricee", "unknown key"]),
    "not yaml": ("quarter: 2022Q2\n  bad: [unclosed\n", ["not valid YAML", "line"]),
    "not a mapping": ("- just\n- a list\n", ["expected a mapping", "list"]),
    "nan": (SEED_TEXT.replace("fx_rmb_per_hkd: {value: 0.855", "fx_rmb_per_hkd: {value: .nan"),
            ["market.fx_rmb_per_hkd.value", "finite"]),
    "infinite": (SEED_TEXT.replace("shares: {value: 4266", "shares: {value: .inf"), ["market.shares.value"]),
    "duplicate key": (SEED_TEXT.replace("market:\n", "market:\n  net_cash: {value: 1}\n"), ["not valid YAML", "duplicate"]),
    "bad date": (SEED_TEXT.replace("as_of: 2022-06-02\ntitle", "as_of: last June\ntitle"), ["as_of", "'last June'"]),
    "wrong quarter": (SEED_TEXT.replace("quarter: 2022Q2", "quarter: 2022Q3"), ["quarter", "2022Q3", "file name"]),
    "bad scenario": (SEED_TEXT.replace("scenario: {value: Base", "scenario: {value: Sideways"),
                     ["choices.scenario.value: must be one of Bear/Base/Bull (got 'Sideways')"]),
    "three scenarios": (SEED_TEXT.replace(PENETRATION, "penetration: {values: [0.5, 0.6]"),
                        ["user_method.penetration.values"]),
    # a misspelt key names what was typed and what it likely meant, not the required key it leaves missing
    "misspelt key": (SEED_TEXT.replace("  price: {value: 79.9", "  pricee: {value: 79.9"),
                     ["market.pricee: unknown key (did you mean price?)", "!(and", "!required"]),
    "date in the future": (SEED_TEXT.replace("as_of: 2022-06-02\ntitle", "as_of: 2099-06-02\ntitle"),
                           ["as_of: is after today", "(got '2099-06-02')"]),
    "non-character in a source": (SEED_TEXT.replace('closing price 79.9港元', 'closing price \\uFFFE 79.9港元'),
                                  ["market.price.source: holds a control character or a non-character"]),
    "misspelt nested key": (SEED_TEXT.replace("netizens: {value: 11.2", "netizen: {value: 11.2"),
                            ["user_method.netizen: unknown key (did you mean netizens?)"]),
    "market cap dated in the future": (_joyy_market_cap('market_cap_as_of: 2099-06-02; market_cap_source: "terminal"'),
                                       ["peers.groups.0.companies.0.market_cap_as_of: is after today",
                                        "(got '2099-06-02')", "!(and"]),
    "market cap date not a date": (_joyy_market_cap('market_cap_as_of: last week; market_cap_source: "terminal"'),
                                   ["peers.groups.0.companies.0.market_cap_as_of", "(got 'last week')"]),
    "market cap date without its source": (_joyy_market_cap("market_cap_as_of: 2022-06-02"),
                                           ["peers.groups.0.companies.0.market_cap_as_of: a market cap dated apart "
                                            "from the estimates needs its market_cap_source too"]),
    "market cap source without its date": (_joyy_market_cap('market_cap_source: "terminal"'),
                                           ["peers.groups.0.companies.0.market_cap_as_of: a market cap sourced apart "
                                            "from the estimates (market_cap_source) needs its date here too"]),
    "kuaishou's market cap dated": (SEED_TEXT.replace("kuaishou:\n", "kuaishou:\n  market_cap_as_of: 2022-06-02\n"),
                                    ["kuaishou.market_cap_as_of: Kuaishou's market cap is market.price × market.shares"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_gives_one_line_and_exit_2(tmp_path, case):
    text, expected = CASES[case]
    path = tmp_path / "2022Q2.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["calc", "--quarter", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: ")
    for fragment in expected:  # "!text": must not be there
        assert (fragment[1:] not in lines[0]) if fragment.startswith("!") else (fragment in lines[0]), lines[0]
    assert "Traceback" not in result.output


def test_real_process_prints_no_traceback(tmp_path):
    path = tmp_path / "2022Q2.yaml"
    path.write_text(CASES["out of range"][0], encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kwai_xl", "calc", "--quarter", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_unknown_quarter_lists_the_known_ones():
    result = CliRunner().invoke(main, ["calc", "--quarter", "1999Q1"])
    assert result.exit_code == 2
    assert "2022Q2" in result.stderr and "1999Q1" in result.stderr


def test_calc_prints_the_tables_and_json():
    result = CliRunner().invoke(main, ["calc", "--quarter", "2022q2"])  # quarter names in any case
    assert result.exit_code == 0
    for text in ("40,320", "44,098", "3.50 / 3.30", "Value per share", "Upside"):
        assert text in result.output
    import json
    data = json.loads(CliRunner().invoke(main, ["calc", "--json", "-q", "2022Q2"]).output)
    assert data["um_gmv_grid"][1][1] == 40320
    assert data["ls_pe"][3] == ["n.a.", "n.a.", "n.a."]
    assert data["sotp_per_share"] > 0


def test_quarters_lists_the_shipped_files():
    result = CliRunner().invoke(main, ["quarters"])
    assert result.exit_code == 0
    assert "2022Q2" in result.output


def test_the_default_quarter_is_the_latest_and_xls_is_refused(tmp_path):
    import json
    latest = sorted(p.stem for p in DATA_DIR.glob("*.yaml"))[-1]
    assert json.loads(CliRunner().invoke(main, ["calc", "--json"]).output)["quarter"] == latest
    result = CliRunner().invoke(main, ["build", "-q", "2022Q2", "--out", str(tmp_path / "k.xls")])
    assert result.exit_code == 2 and ".xlsx" in result.stderr and not (tmp_path / "k.xls").exists()


def test_build_says_when_the_checks_fail(tmp_path):
    """Scenario inputs out of order build (the workbook shows it) but the command line says so too."""
    text = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
    path = tmp_path / "2022Q2.yaml"
    path.write_text(text.replace("penetration: {values: [0.5, 0.6, 0.7]", "penetration: {values: [0.7, 0.6, 0.5]"),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "-q", str(path), "--out", str(tmp_path / "k.xlsx")])
    assert result.exit_code == 0, result.output
    assert "CHECKS FAIL (3)" in result.output and "buyers rise from Bear to Bull" in result.output
    fine = CliRunner().invoke(main, ["build", "-q", "2022Q2", "--out", str(tmp_path / "ok.xlsx")])
    assert fine.exit_code == 0 and "CHECKS FAIL" not in fine.output


def test_build_flags_a_statistic_on_too_few_peers(tmp_path):
    """2025Q4's groups have two peers with dated market caps each: shown as a flag, not refused."""
    result = CliRunner().invoke(main, ["build", "-q", "2025Q4", "--out", str(tmp_path / "k.xlsx")])
    assert result.exit_code == 0, result.output
    assert "segment ads (Online marketing) applies a PS mean of 2 peer(s), fewer than sotp.min_peers (3)" in result.output
    from kwai_xl.readback.reader import WorkbookValues
    values = WorkbookValues(tmp_path / "k.xlsx")
    assert values.value("check_master") == 1 or "stale" in result.output.lower()  # the flag is not in the master check


def test_an_edited_text_keeps_its_quotes_and_a_new_one_takes_its_neighbours():
    from kwai_xl.quarters.datafile import dump_document, round_trip_yaml, set_path

    doc = round_trip_yaml().load("a: {source: 'single', n: 1}\nb: {source: \"double\"}\nc: {source: plain}\nd: ['x', y]\n")
    set_path(doc, ("a", "source"), "it's new")
    set_path(doc, ("b", "market_cap_source"), "new key: beside a double-quoted source")
    set_path(doc, ("c", "source"), "still plain")
    set_path(doc, ("a", "note"), "tab\there")  # single quotes cannot show a tab: double
    set_path(doc, ("d", 0), "x2")
    assert dump_document(doc) == ("a: {source: 'it''s new', n: 1, note: \"tab\\there\"}\n"
                                  "b: {source: \"double\", market_cap_source: \"new key: beside a double-quoted source\"}\n"
                                  "c: {source: still plain}\nd: ['x2', y]\n")
