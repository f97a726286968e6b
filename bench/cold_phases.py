"""What a cold `kwai-xl build` spends its time on, step by step, in a fresh process (run by bench/run.py).

Prints one line per step as ``step<TAB>seconds``. The steps are those of ``kwai-xl build`` over a file
it built before (the benchmark's case): imports, loading the quarter, judging the existing file,
rendering and placing the sheets (later quarters' reported outcomes read on the way), writing the
cells, saving, formualizer's recalculation, the shared-strings repack, and the checks read back.
Run by bench/run.py with the cache folder a build before left (texts parsed before are read from
the parse cache).
"""

import gc
import sys
import time

START = time.perf_counter()
gc.disable()  # as kwai-xl's entry point does (kwai_xl/interfaces/entry.py)


def main(out: str) -> None:
    marks = [("", START)]

    def mark(step: str) -> None:
        marks.append((step, time.perf_counter()))

    import jinja2  # noqa: F401
    import numpy  # noqa: F401
    import openpyxl  # noqa: F401
    import pydantic  # noqa: F401
    import ruamel.yaml  # noqa: F401
    mark("import openpyxl, jinja2, ruamel.yaml, pydantic, numpy")
    from kwai_xl.interfaces import cli  # noqa: F401  (what `kwai-xl build` imports)
    from kwai_xl.paths import DATA_DIR
    from kwai_xl.quarters.schema import load_quarter
    from kwai_xl.readback.reader import WorkbookValues, failing_checks
    from kwai_xl.readback.replace import _only_generated
    from kwai_xl.workbook import build
    gc.freeze()
    gc.enable()
    mark("import kwai-xl's command line and what it uses")
    q = load_quarter(DATA_DIR / "2022Q2.yaml")
    mark("load the quarter's data file")
    from kwai_xl.quarters.backtest import actuals_for
    actuals_for(q)
    mark("read later quarters' reported outcomes")
    _only_generated(__import__("pathlib").Path(out), q, "en", False)
    mark("render and place the sheets; judge the existing file")
    wb = build.generated_workbook(q)
    build.record_identity(wb, q)
    mark("write the cells (openpyxl)")
    unpacked = build.package_bytes(wb, build.zipfile.ZIP_STORED)
    mark("save (openpyxl, cells formatted as text)")
    filled = build.formualizer.recalculate_xlsx_bytes(unpacked)
    mark("fill cached values (formualizer)")
    data = build.finished_bytes(filled["bytes"])
    mark("shared strings and package digest")
    with open(out, "wb") as fh:
        fh.write(data)
    failing_checks(WorkbookValues(out))
    mark("write the file and read its checks back")
    for (_, before), (step, at) in zip(marks, marks[1:]):
        print(f"{step}\t{at - before:.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
