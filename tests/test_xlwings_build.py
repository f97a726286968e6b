"""`kwai-xl build --xlwings` and `kwai-xl lite`: what the desktop add-in and xlwings Lite need."""

import inspect
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.formula.tokenizer import Token, Tokenizer
from seed_figures import SEED_UM_GRID

import udfs
from kwai_xl.interfaces.lite import write_lite_project
from kwai_xl.paths import quarter_files
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback.lint import lint_workbook
from kwai_xl.workbook.build import build_workbook, workbook_bytes

PUBLIC_UDFS = {n for n in dir(udfs) if n.startswith("KWAI_")}


@pytest.fixture(scope="module")
def xl_book(seed_quarter, tmp_path_factory):
    return build_workbook(seed_quarter, tmp_path_factory.mktemp("xlw") / "k.xlsx", xlwings=True).path


def top_level_calls(formula: str) -> list[tuple[str, int]]:
    """(function, argument count) for every KWAI_ call in a formula."""
    calls, stack = [], []
    for token in Tokenizer(formula).items:
        if token.type == Token.FUNC and token.subtype == Token.OPEN:
            stack.append([token.value[:-1].upper(), 1])
        elif token.type == Token.SEP and token.subtype == Token.ARG and stack:
            stack[-1][1] += 1
        elif token.type == Token.FUNC and token.subtype == Token.CLOSE:
            name, count = stack.pop()
            if name.startswith("KWAI_"):
                calls.append((name, count))
    return calls


def test_conf_sheet_points_the_addin_at_the_udf_module(xl_book):
    wb = load_workbook(xl_book)
    conf = wb["xlwings.conf"]
    rows = [[c.value for c in row] for row in conf.iter_rows()]
    assert rows == [["UDF Modules", "udfs"]]  # no machine-specific path, no interpreter of the build machine
    assert conf.sheet_state == "hidden" and not conf.print_area
    assert wb.active.title != "xlwings.conf"
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets if ws.title != "xlwings.conf")


def test_every_udf_is_called_on_the_named_inputs_with_a_valid_signature(xl_book):
    wb = load_workbook(xl_book)
    ws = wb["UDFs (xlwings)"]
    called = set()
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                for name, count in top_level_calls(cell.value):
                    params = inspect.signature(getattr(udfs, name)).parameters.values()
                    required = sum(p.default is inspect.Parameter.empty for p in params)
                    assert required <= count <= len(params), (cell.coordinate, name, count)
                    called.add(name)
    assert called == PUBLIC_UDFS - {"KWAI_ERROR"}
    assert lint_workbook(wb) == []  # KWAI_ calls are admitted on the xlwings sheet only


def test_xlwings_build_still_verifies(xl_book):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is installed by `make test`")
    from kwai_xl.readback.verify import verify_workbook
    report = verify_workbook(xl_book)
    assert report.ok, (report.errors, [str(m) for m in report.mismatches])
    assert report.values.value("sotp_per_share") > 0


LITE_CALLS = r"""
import asyncio, json, sys
import xlwings
from xlwings.server import custom_functions_call, custom_functions_meta
import main  # the bundle's main.py, importing the bundled kwai_xl package

def call(name, *args):
    data = {"func_name": name, "args": [[[a]] if not isinstance(a, list) else a for a in args],
            "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4", "caller_address": "[k.xlsx]S!A1"}
    return asyncio.run(custom_functions_call(data, main))

meta = custom_functions_meta(main)
print(json.dumps({
    "engine_file": sys.modules["kwai_xl.engine.gmv"].__file__,
    "names": sorted(f["name"] for f in meta["functions"]),
    "gmv": call("KWAI_GMV", 11.2, 0.6, 0.75, 8000),
    "grid": call("KWAI_GMV_GRID", 11.2, [[0.5, 0.6, 0.7]], [[0.7, 0.75, 0.8]], [[6000, 8000, 10000]]),
    "bad": call("KWAI_GMV", 11.2, 1.6, 0.75, 8000),
    "overflow": call("KWAI_GMV", 1e308, 1, 1, 1e308),
    "why": call("KWAI_ERROR", "GMV", 11.2, 1.6, 0.75, 8000),
}))
"""


@pytest.fixture(scope="module")
def lite_venv(tmp_path_factory):
    """A clean virtual environment holding only xlwings and numpy (and their dependencies), as xlwings Lite does."""
    venv = tmp_path_factory.mktemp("lite-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "xlwings", "numpy"], check=True, capture_output=True)
    return python


def test_lite_project_runs_in_a_clean_environment_as_lite_calls_it(lite_venv, tmp_path):
    project = tmp_path / "lite"
    written = write_lite_project(project)
    assert {p.relative_to(project).as_posix() for p in written} >= {"main.py", "requirements.txt", "kwai_xl/engine/gmv.py"}
    assert (project / "requirements.txt").read_text().split() == ["xlwings", "numpy", "pandas"]  # pandas: KWAI_PEER_TABLE
    # Lite runs under Pyodide (sys.platform "emscripten"); its custom functions go through xlwings.server's code.
    env = {"PATH": "/usr/bin:/bin", "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial",
           "KWAI_XL_ERROR_VALUES": "1", "PYTHONPATH": str(project)}
    run = subprocess.run([str(lite_venv), "-c", LITE_CALLS], capture_output=True, text=True, cwd=project, env=env)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["engine_file"] == str(project / "kwai_xl" / "engine" / "gmv.py")  # the bundled engine, not an installed one
    assert "KWAI.GMV" in out["names"] and "KWAI.ERROR" in out["names"] and len(out["names"]) == len(PUBLIC_UDFS)
    assert out["gmv"] == [[40320.0]]
    assert np.allclose(out["grid"], SEED_UM_GRID)
    assert out["bad"] == [[{"type": "Error", "errorType": "Value"}]]  # a real #VALUE!, which ISERROR sees
    assert out["overflow"] == [[{"type": "Error", "errorType": "Num"}]]
    assert out["why"] == [["#VALUE! penetration must be between 0 and 1, not 1.6"]]


def test_desktop_error_path_is_the_message_text_and_the_log(caplog, monkeypatch):
    """Classic xlwings cannot return an error value (xlwings issue #776): the cell shows the message, the log has it."""
    monkeypatch.delenv("KWAI_XL_ERROR_VALUES", raising=False)
    with caplog.at_level("WARNING", logger="kwai_xl.udfs"):
        out = udfs.KWAI_GMV(11.2, 0.6, 0.75, -1)
    assert out == "#VALUE! spend must not be negative, not -1"
    assert "KWAI_GMV: #VALUE! spend must not be negative" in caplog.text
    assert udfs.KWAI_ERROR("KWAI_GMV", 11.2, 0.6, 0.75, -1) == out
    assert udfs.KWAI_ERROR("gmv", 11.2, 0.6, 0.75, 8000) == ""  # a good call has no error
    assert udfs.KWAI_ERROR("KWAI_NOPE", 1).startswith("#VALUE! no function")


def test_bare_error_values_where_the_host_converts_them(monkeypatch):
    monkeypatch.setenv("KWAI_XL_ERROR_VALUES", "1")
    assert udfs.KWAI_GMV(11.2, 0.6, 0.75, -1) == "#VALUE!"
    assert udfs.KWAI_GMV(1e308, 1, 1, 1e308) == "#NUM!"
    assert udfs.KWAI_ERROR("GMV", 1e308, 1, 1, 1e308).startswith("#NUM! the result is too large")


@pytest.mark.parametrize("path", quarter_files(), ids=lambda p: p.stem)
def test_every_shipped_quarter_builds_with_the_udf_sheet(path):
    """The UDF check sheet follows the quarter's segments (a quarter without a P/GMV segment builds too)."""
    data, summary = workbook_bytes(load_quarter(path), "en", xlwings=True)
    assert data[:2] == b"PK" and summary.get("total_formulas", 0) > 500
