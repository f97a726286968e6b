"""Benchmarks for this machine: prints figures, asserts nothing (speed is reported, not tested).

    make bench      # or: .venv/bin/python bench/run.py

Cold build (a fresh process: imports + build) and its peak memory, with the texts it parses
kept from the build before and with none kept (the parse cache, kwai_xl/diskcache.py), and the
time Python takes just to import what `kwai-xl build` uses (the commands run in turn, medians);
a warm in-process build, builds of synthetic quarters with 10× and 50× the peers and twice the
years of history (the model's FY0–FY2 are fixed by MODEL.md §7, so the years that can grow are
the supporting tables'), the UDFs' cost per call (scalar, and the grid over 10,000 case rows),
the full Monte Carlo sweep over 10^6 draws, and LibreOffice's recalculation of the same workbook
as the yardstick, and `verify` (the workbook and its variants) against it.
"""

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIVE_LIBRARIES = "import openpyxl, jinja2, ruamel.yaml, pydantic, numpy"
BUILD_IMPORTS = ("import kwai_xl.workbook.build, kwai_xl.quarters.schema, openpyxl, formualizer, jinja2, pydantic, ruamel.yaml, numpy, "
                 "click, python_calamine, defusedxml")


def alternating(commands: dict[str, tuple[list[str], Callable[[], None] | None]], env: dict, runs: int = 9) -> dict[str, float]:
    """Median wall time (s) of each command, the commands run in turn ``runs`` times (a slow spell of the machine
    falls on all of them alike); each command's ``before()``, when given, runs before it every time, untimed."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, before) in commands.items():
            if before:
                before()
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def cold_phases(out: Path, env: dict, runs: int = 5) -> dict[str, float]:
    """Median seconds of each step of a cold build over ``out`` (bench/cold_phases.py in fresh processes)."""
    seen: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run([sys.executable, str(Path(__file__).with_name("cold_phases.py")), str(out)],
                              check=True, capture_output=True, text=True, env=env)
        for line in proc.stdout.splitlines():
            step, seconds = line.split("\t")
            seen.setdefault(step, []).append(float(seconds))
    return {step: statistics.median(times) for step, times in seen.items()}


def per_call(stmt, number: int) -> float:
    """Best-of-five seconds per call of ``stmt``."""
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number


def scaled_quarter(q, peers: int, years: int):
    """A synthetic copy of quarter ``q``: each peer group ``peers`` times over, each history table ``years`` times wider."""
    data = q.model_dump()
    for group in data["peers"]["groups"]:
        base = group["companies"]
        group["companies"] = [dict(p, ticker=f"{p['ticker']}-{k}") for k in range(peers) for p in base][:200]
    for table in data["context"].values():
        table["columns"] = [f"{c}/{k}" for k in range(years) for c in table["columns"]]
        for row in table["rows"]:
            row["values"] = row["values"] * years
    return type(q).model_validate(data)


def main() -> None:
    import udfs
    from kwai_xl.engine import sweep
    from kwai_xl.engine.model import evaluate
    from kwai_xl.paths import DATA_DIR
    from kwai_xl.quarters.inputs import inputs_from_quarter
    from kwai_xl.quarters.schema import load_quarter
    from kwai_xl.readback import libreoffice
    from kwai_xl.readback.verify import DEFAULT_VARIANTS, verify_workbook
    from kwai_xl.workbook.build import build_workbook

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.xlsx"
        # a cache folder of the bench's own: compiled templates and parsed texts as a build before this one left them
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        build = [sys.executable, "-m", "kwai_xl", "build", "-q", "2022Q2", "--force", "--out", str(out)]
        subprocess.run(build, check=True, capture_output=True, env=env)
        parsed = Path(tmp) / "cache" / "kwai-xl" / "yaml"
        medians = alternating({
            "cold": (build, None),
            "new texts": (build, lambda: shutil.rmtree(parsed, ignore_errors=True)),
            "imports": ([sys.executable, "-c", BUILD_IMPORTS], None),
            "five": ([sys.executable, "-c", FIVE_LIBRARIES], None),
        }, env)
        cold, new, imports, five = (medians[k] for k in ("cold", "new texts", "imports", "five"))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows.append(("cold `kwai-xl build` (2022Q2) over the file it built before, fresh process (median of 9)",
                     f"{cold:.3f} s"))
        rows.append(("  the same with none of its texts parsed before (parse cache emptied)", f"{new:.3f} s"))
        rows.append(("  peak memory of a build process", f"{peak:.0f} MiB"))
        rows.append(("Python importing the build's libraries only", f"{imports:.3f} s"))
        rows.append(("  cold build / those imports", f"{cold / imports:.2f}×"))
        rows.append(("Python importing openpyxl, jinja2, ruamel.yaml, pydantic, numpy", f"{five:.3f} s"))
        rows.append(("  cold build / those five imports (issue 12's yardstick)", f"{cold / five:.2f}×"))
        rows.append(("  with none of its texts parsed before / those five imports", f"{new / five:.2f}×"))
        for step, seconds in cold_phases(out, env).items():
            rows.append((f"  cold build step: {step} (median of 5)", f"{seconds:.3f} s"))
        q = load_quarter(DATA_DIR / "2022Q2.yaml")
        warm = min(timeit.repeat(lambda: build_workbook(q, out, force=True), number=1, repeat=5))
        rows.append(("build after imports, in process (best of 5)", f"{warm:.3f} s"))

        base_cells = None
        for peers, years in ((1, 1), (10, 1), (50, 1), (1, 2), (10, 2), (50, 2)):
            scaled = scaled_quarter(q, peers, years)
            n = sum(len(g.companies) for g in scaled.peers.groups)
            elapsed = min(timeit.repeat(lambda: build_workbook(scaled, out, force=True), number=1, repeat=3))
            cells = n * years
            base_cells = base_cells or (cells, elapsed)
            rows.append((f"build with {n} peers, {years}× history years (in process)",
                         f"{elapsed:.3f} s ({elapsed / base_cells[1]:.2f}× the default for "
                         f"{cells / base_cells[0]:.1f}× peers × years)"))

        if libreoffice.soffice():
            build_workbook(q, out, force=True)  # the seed quarter's own workbook again (the loop above left a scaled one)
            start = time.perf_counter()
            libreoffice.recalculate([out], Path(tmp) / "lo")
            one = time.perf_counter() - start
            rows.append(("LibreOffice: start, recalculate and save the same workbook", f"{one:.3f} s"))
            start = time.perf_counter()
            report = verify_workbook(out, variants=DEFAULT_VARIANTS, seed=0)
            whole = time.perf_counter() - start
            rows.append((f"`verify` (workbook + {DEFAULT_VARIANTS} variants, one LibreOffice run, all checks)",
                         f"{whole:.3f} s ({whole / one:.2f}× one LibreOffice conversion; {'OK' if report.ok else 'FAIL'})"))

    scalar = per_call(lambda: udfs.KWAI_GMV(11.2, 0.6, 0.75, 8000), 20000)
    rows.append(("KWAI_GMV, one scalar call", f"{scalar * 1e6:.1f} µs"))
    n = 10_000
    rng = np.random.default_rng(0)
    pen = np.sort(rng.uniform(0.3, 0.8, (n, 3)), axis=1)
    act = np.sort(rng.uniform(0.6, 0.9, (n, 3)), axis=1)
    spend = np.sort(rng.uniform(5000, 11000, (n, 3)), axis=1)
    grid = per_call(lambda: udfs.KWAI_GMV_GRID(11.2, pen, act, spend), 5)
    rows.append((f"KWAI_GMV_GRID over {n:,} case rows, one call", f"{grid * 1e3:.1f} ms ({grid / n * 1e6:.2f} µs per row)"))
    rows.append(("  nine scalar KWAI_GMV calls per row instead", f"{9 * n * scalar * 1e3:.1f} ms"))

    draws = 1_000_000
    inputs = inputs_from_quarter(q)
    outputs = evaluate(inputs)
    start = time.perf_counter()
    mc = sweep.monte_carlo(inputs, outputs, draws, seed=0)
    elapsed = time.perf_counter() - start
    rows.append((f"Monte Carlo SOTP over {draws:,} draws of 7 inputs (draws included)",
                 f"{elapsed:.3f} s ({draws / elapsed / 1e6:.1f} M evaluations/s)"))
    assert mc.per_share.shape == (draws,)

    width = max(len(k) for k, _ in rows)
    print(f"kwai-xl benchmarks on {sys.platform}, Python {sys.version.split()[0]}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
