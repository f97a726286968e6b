"""`kwai-xl build --xlwings` and `kwai-xl lite`: what the desktop add-in and xlwings Lite need."""

import inspect
import shutil
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from openpyxl.formula.tokenizer import Token, Tokenizer

import udfs
from kwai_xl.interfaces.lite import lite_main_py
from kwai_xl.readback.lint import lint_workbook
from kwai_xl.workbook.build import build_workbook


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
    assert conf["A1"].value == "UDF Modules" and conf["B1"].value == "udfs"
    assert conf["A2"].value == "PYTHONPATH"


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
    public = {n for n in dir(udfs) if n.startswith("KWAI_")}
    assert called == public
    assert lint_workbook(wb) == []  # KWAI_ calls are admitted on the xlwings sheet only


def test_xlwings_build_still_verifies(xl_book):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is installed by `make test`")
    from kwai_xl.readback.verify import verify_workbook
    report = verify_workbook(xl_book)
    assert report.ok, (report.errors, [str(m) for m in report.mismatches])
    assert report.values.value("sotp_per_share") > 0


def test_lite_bundle_runs_without_the_package(tmp_path):
    main = tmp_path / "main.py"
    main.write_text(lite_main_py(), encoding="utf-8")
    code = ("import runpy, sys; ns = runpy.run_path(sys.argv[1]);"
            "print(ns['KWAI_GMV'](11.2, 0.6, 0.75, 8000), sys.modules['kwai_xl.engine.gmv'].__file__,"
            " ns['KWAI_GMV'](11.2, 1.6, 0.75, 8000))")
    out = subprocess.run([sys.executable, "-c", code, str(main)], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout
    assert out.split()[:2] == ["40320.0", "None"]  # computed by the bundled engine, not the installed one
    assert "#VALUE! penetration must be between 0 and 1" in out
