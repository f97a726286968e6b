"""The ``kwai-xl`` command line: parses, calls the library, prints."""

import json
import sys
from functools import wraps

import click
from rich.console import Console

from pathlib import Path

from . import paths
from .build import LANGUAGES, build_workbook, write_atomically
from .lite import lite_main_py
from .errors import KwaiError
from .inputs import inputs_from_quarter
from .model import evaluate
from .quarter import load_quarter
from .report import gmv_grid_table, jsonable, peer_stats_table, sotp_table
from .verify import verify_workbooks

console = Console()


def one_line_errors(func):
    """Turn :class:`KwaiError` into ``error: …`` on stderr and exit code 2."""
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KwaiError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
    return wrapper


quarter_option = click.option("--quarter", "-q", default=paths.DEFAULT_QUARTER, show_default=True,
                              help="Quarter (e.g. 2022Q2) or a path to a quarter .yaml file.")


@click.group()
@click.version_option(package_name="kwai-xl")
def main():
    """kwai-xl: a formula-live Excel valuation model of Kuaishou (01024.HK)."""


@main.command()
@one_line_errors
def quarters():
    """List the quarter data files."""
    for path in paths.quarter_files():
        q = load_quarter(path)
        click.echo(f"{q.quarter}  as of {q.as_of}  {path}  {q.title}")


@main.command()
@quarter_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@one_line_errors
def calc(quarter, as_json):
    """Print the GMV grids, peer statistics and SOTP of a quarter."""
    q = load_quarter(paths.quarter_path(quarter))
    out = evaluate(inputs_from_quarter(q))
    if as_json:
        click.echo(json.dumps({"quarter": q.quarter, "years": list(q.years), **jsonable(out)}, ensure_ascii=False, indent=1))
        return
    um, cm = q.user_method, q.category_method
    console.print(f"[bold]Kuaishou 01024.HK — {q.quarter}[/] (as of {q.as_of}); scenario {out['scenario']}, statistic {out['sotp_stat']}")
    console.print(gmv_grid_table("Live-commerce GMV 2025E, user method (亿元)", out["um_gmv_grid"],
                                 "spend \\ buyers", um.spend.values, ",.0f", out["um_buyers"], ".3f"))
    console.print(gmv_grid_table("Live-commerce GMV 2025E, category method (亿元)", out["cm_gmv_grid"],
                                 "share \\ adv. GMV", cm.share.values, ".0%", out["cm_adv_gmv"], ",.0f"))
    console.print(peer_stats_table(out, q.years))
    console.print(sotp_table(out, q.market.price.value))


@main.command()
@quarter_option
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the workbook.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Label language.")
@click.option("--xlwings", is_flag=True, help="Add the xlwings.conf sheet and a sheet of UDFs beside native formulas.")
@one_line_errors
def build(quarter, out, lang, xlwings):
    """Build a quarter's formula-live workbook (default: workbooks/kuaishou-QUARTER.xlsx)."""
    q = load_quarter(paths.quarter_path(quarter))
    result = build_workbook(q, out, lang, xlwings=xlwings)
    if result.errors:
        raise KwaiError(f"{result.path}: formulas evaluate to errors: {result.errors}")
    click.echo(f"built {result.path} ({q.quarter}, {result.formulas} formulas)")


@main.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@one_line_errors
def verify(workbooks):
    """Recalculate WORKBOOKS in LibreOffice and compare every public output with the engine.

    Exits 1 on any mismatch, missing name or error value. The workbooks are never modified.
    """
    failed = False
    for report in verify_workbooks(list(workbooks)):
        if report.ok:
            click.echo(f"OK {report.path}: {len(report.compared)} named outputs match the engine; no error values")
            continue
        failed = True
        click.echo(f"FAIL {report.path}")
        for name in report.missing:
            click.echo(f"  missing name: {name}")
        for cell in report.errors:
            click.echo(f"  error value: {cell}")
        for mismatch in report.mismatches:
            click.echo(f"  mismatch: {mismatch}")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("main.py"),
              show_default=True, help="Where to write the bundle.")
@one_line_errors
def lite(out):
    """Write a main.py for xlwings Lite holding the engine and every KWAI_ function."""
    write_atomically(out, lite_main_py().encode("utf-8"))
    click.echo(f"wrote {out}: paste it into xlwings Lite's main.py; requirements.txt needs numpy")
