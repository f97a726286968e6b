"""The ``kwai-xl`` command line: parses, calls the library, prints.

A command imports what only it needs when it runs (rich's tables, pull, verify, the market
import…), so that ``kwai-xl build`` starts in about the time its own work takes.
"""

import functools
import json
import re
import sys
from functools import wraps
from pathlib import Path

import click

from .. import paths
from ..engine.model import evaluate
from ..errors import KwaiError
from ..quarters.inputs import inputs_from_quarter
from ..quarters.plausibility import implausible
from ..quarters.schema import load_quarter
from ..quarters.staleness import behind_today, stale_estimates, stale_inputs, stale_market_summary
from ..readback.reader import WorkbookValues, failing_checks
from ..readback.replace import replace_workbook
from ..readback.variants import DEFAULT_VARIANTS
from ..workbook.build import LANGUAGES, load_labels


@functools.cache
def console(stderr: bool = False):
    """rich's console on standard output (or error), made on first use."""
    from rich.console import Console

    return Console(stderr=stderr)


def one_line_errors(func):
    """Turn :class:`KwaiError`, and a file that cannot be read or written, into ``error: …`` on stderr and exit code 2.

    An ``OSError`` (disk full, read-only folder, permission denied) is named by its path and the
    system's reason; every other exception is a bug and keeps its traceback.
    """
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KwaiError as err:
            click.echo(f"error: {err}", err=True)
        except OSError as err:
            click.echo(f"error: {os_error_message(err)}", err=True)
        sys.exit(2)
    return wrapper


def os_error_message(err: OSError) -> str:
    """``PATH: reason`` for a failed read or write, e.g. ``out/k.xlsx: No space left on device``."""
    reason = err.strerror or str(err) or err.__class__.__name__
    where = err.filename if err.filename is not None else "a file"
    return f"{where}: {reason} ({err.__class__.__name__})"


def latest_quarter() -> str:
    """The newest quarter in the data folder (the shipped default when there is none)."""
    files = paths.quarter_files()
    return files[-1].stem if files else paths.DEFAULT_QUARTER


def quarter_name(value: str | None) -> str:
    """A --quarter value as given, with a quarter name's q upper-cased (2022q2 → 2022Q2); None → the latest."""
    if value is None:
        return latest_quarter()
    return value.upper() if re.fullmatch(r"\d{4}[qQ][1-4]", value) else value


quarter_option = click.option("--quarter", "-q", default=None,
                              help="Quarter (e.g. 2022Q2, any case) or a path to a quarter .yaml file [default: the latest].")


@click.group()
@click.version_option(package_name="kwai-xl")
def main():
    """kwai-xl: a formula-live Excel valuation model of Kuaishou (01024.HK)."""


@main.command()
@one_line_errors
def quarters():
    """List the quarter data files; a broken one is named with its problem, the others still listed."""
    for path in paths.quarter_files():
        try:
            q = load_quarter(path)
        except KwaiError as err:
            click.echo(f"{path.stem}  BROKEN  {err}")
            continue
        click.echo(f"{q.quarter}  as of {q.as_of}  {path}  {q.title}")


@main.command()
@quarter_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@one_line_errors
def calc(quarter, as_json):
    """Print the GMV grids, peer statistics and SOTP of a quarter."""
    from ..quarters.staleness import stale_market_json
    from .api import load
    from .report import gmv_grid_table, jsonable, peer_stats_table, sotp_table

    model = load(quarter_name(quarter))
    q, out = model.quarter, model.outputs
    if as_json:
        click.echo(json.dumps({"quarter": q.quarter, "years": list(q.years), **stale_market_json(q, _english_stale_words()), **jsonable(out)},
                              ensure_ascii=False, indent=1))
        return
    _warn_about(q)
    um, cm = q.user_method, q.category_method
    console().print(f"[bold]Kuaishou 01024.HK — {q.quarter}[/] (as of {q.as_of}); scenario {out['scenario']}, statistic {out['sotp_stat']}")
    console().print(gmv_grid_table("Live-commerce GMV 2025E, user method (亿元)", out["um_gmv_grid"],
                                 "spend \\ buyers", um.spend.values, ",.0f", out["um_buyers"], ".3f"))
    console().print(gmv_grid_table("Live-commerce GMV 2025E, category method (亿元)", out["cm_gmv_grid"],
                                 "share \\ adv. GMV", cm.share.values, ".0%", out["cm_adv_gmv"], ",.0f"))
    console().print(peer_stats_table(out, q))
    console().print(sotp_table(out, q))


@main.command()
@click.option("--quarter", "-q", default=None, help="Quarter (e.g. 2022Q2, any case) or a .yaml file [default: the latest].")
@click.option("--all", "build_all", is_flag=True, help="Build every quarter in the data folder.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the workbook.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Label language.")
@click.option("--xlwings", is_flag=True, help="Add the xlwings.conf sheet and a sheet of UDFs beside native formulas.")
@click.option("--force", is_flag=True, help="Replace a workbook whose edits a rebuild would lose (a backup is kept).")
@one_line_errors
def build(quarter, build_all, out, lang, xlwings, force):
    """Build a quarter's formula-live workbook (default: workbooks/kuaishou-QUARTER.xlsx)."""
    if build_all:
        if quarter or out:
            raise KwaiError("--all builds every quarter to workbooks/; it takes neither --quarter nor --out")
        files = paths.quarter_files()
        from rich.progress import Progress

        with Progress(console=console(stderr=True), transient=True) as progress:
            task = progress.add_task("building", total=len(files))
            for path in files:
                progress.update(task, description=f"building {path.stem}")
                _build_one(load_quarter(path), None, lang, xlwings, force)
                progress.advance(task)
        return
    if out and out.suffix.lower() != ".xlsx":
        raise KwaiError(f"--out: {out}: the workbook is an .xlsx file; name it .xlsx (got {out.suffix or 'no suffix'})")
    _build_one(load_quarter(paths.quarter_path(quarter_name(quarter))), out, lang, xlwings, force)


def _english_stale_words() -> dict:
    """How the command line words stale market data: the English workbook's words."""
    return load_labels("en")["stale_words"]


def _warn_about_the_cache() -> None:
    from ..diskcache import unusable

    why = unusable()
    if why:
        click.echo(f"warning: {why}", err=True)


def _warn_about(q) -> None:
    """The guards, loud: figures that look mistyped; the upside resting on market data older than the
    threshold, or on peer estimates over a quarter old; the newest quarter (the one taken for the current
    valuation) dated long before today."""
    for line in implausible(q):
        click.echo(f"warning: {q.quarter}: {line}", err=True)
    for line in stale_market_summary(q, _english_stale_words()):
        console(stderr=True).print(f"[bold red]STALE[/] {q.quarter}: the upside is measured against old market data "
                  f"(threshold {q.stale_after_days} days): {line}", highlight=False, soft_wrap=True)
    old_estimates = stale_estimates(q)
    if old_estimates:
        click.echo(f"warning: {q.quarter}: the SOTP's peer multiples rest on estimates dated over a quarter before "
                   f"{q.as_of}: " + "; ".join(f"{p.ticker} estimates as of {p.as_of}" + (
                       f" (market cap as of {p.market_cap_as_of})" if p.market_cap_as_of else "") for p in old_estimates),
                   err=True)
    old = behind_today(q)
    if old:
        console(stderr=True).print(f"[bold red]OLD[/] {old}", highlight=False, soft_wrap=True)


def _build_one(q, out, lang, xlwings, force):
    _warn_about_the_cache()
    _warn_about(q)
    stale = stale_inputs(q)
    if stale:
        click.echo(f"warning: {q.quarter}: {len(stale)} stale input(s), dated over a quarter before {q.as_of}: "
                   + "; ".join(map(str, stale[:4])) + (" …" if len(stale) > 4 else ""), err=True)
    result = replace_workbook(q, out, lang, xlwings=xlwings, force=force)
    for title in result.carried:
        click.echo(f"carried your sheet {title!r} into the rebuilt workbook")
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in result.not_carried:
        click.echo(f"not carried (see the backup): {line}", err=True)
    if result.backup:
        click.echo(f"kept the previous workbook as {result.backup}")
    out = evaluate(inputs_from_quarter(q))
    click.echo(f"built {result.path} ({q.quarter}, {result.formulas} formulas): value per share HKD "
               f"{out['sotp_per_share']:,.2f}, {out['sotp_upside']:+.1%} to {q.market.price.value:,.2f}")
    for seg in q.sotp.segments:
        count = out[f"{seg.group}_{seg.multiple}_count"][1]
        if count < q.sotp.min_peers.value:
            click.echo(f"warning: {q.quarter}: segment {seg.key} ({seg.name}) applies a {seg.multiple.upper()} "
                       f"{out[f'sotp_{seg.key}_stat'].lower()} of {count:.0f} peer(s), fewer than sotp.min_peers "
                       f"({q.sotp.min_peers.value})", err=True)
    failing = failing_checks(WorkbookValues(result.path))
    if failing:
        click.echo(f"warning: {q.quarter}: CHECKS FAIL ({len(failing)}): " + "; ".join(failing[:6])
                   + (" …" if len(failing) > 6 else "") + " — see the Checks sheet", err=True)


@main.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variants", default=DEFAULT_VARIANTS, show_default=True, type=click.IntRange(0, 50),
              help="Copies with switched choices and perturbed inputs, recalculated beside each workbook.")
@click.option("--seed", type=click.IntRange(0), default=None, help="Seed of the perturbations (default: random, printed).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the data file the workbooks were built from (default: data/quarters).")
@one_line_errors
def verify(workbooks, variants, seed, data_dir):
    """Recalculate WORKBOOKS and VARIANTS perturbed copies of each in LibreOffice and compare every public
    output with the engine; list constants typed over the build's formulas and every error value.

    Exits 1 on any finding. The workbooks are never modified.
    """
    from ..readback.verify import verify_workbooks

    failed = False
    reports = verify_workbooks(list(workbooks), variants=variants, seed=seed, data_dir=data_dir)
    click.echo(f"seed {reports[0].seed} ({variants} variant(s) per workbook; repeat with --seed {reports[0].seed})")
    for report in reports:
        if report.ok:
            click.echo(f"OK {report.path}: {len(report.compared)} named outputs match the engine in the workbook and "
                       f"{len(report.variants)} variant(s); every formula of the build in place; no error values")
            continue
        failed = True
        click.echo(f"FAIL {report.path}")
        for problem in report.problems:
            click.echo(f"  problem: {problem}")
        for name in report.missing:
            click.echo(f"  missing name: {name}")
        for cell in report.constants:
            click.echo(f"  constant over a formula: {cell}")
        for cell in report.errors:
            click.echo(f"  error value: {cell}")
        for mismatch in report.mismatches:
            click.echo(f"  mismatch: {mismatch}")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("kwai-xl-lite"),
              show_default=True, help="Folder to write the xlwings Lite project into.")
@one_line_errors
def lite(out):
    """Write an xlwings Lite project: main.py (every KWAI function), the engine package, requirements.txt."""
    from .lite import write_lite_project

    for path in write_lite_project(out):
        click.echo(f"wrote {path}")
    click.echo("in xlwings Lite: main.py and requirements.txt replace the editor's, the kwai_xl folder's files are added")


@main.command("new-quarter")
@click.argument("new")
@click.option("--from", "old", required=True, help="The quarter to roll forward from, e.g. 2022Q2.")
@click.option("--force", is_flag=True, help="Replace NEW's data file if it exists.")
@one_line_errors
def new_quarter_command(new, old, force):
    """Write NEW's data file from OLD's, rolling the years; print what must be refreshed."""
    from ..quarters.rollover import new_quarter as roll_quarter

    result = roll_quarter(quarter_name(new), quarter_name(old), force=force)
    new = quarter_name(new)
    if result.shift:
        click.echo(f"wrote {result.path} (years moved {result.shift} on)")
    else:
        click.echo(f"wrote {result.path} (same fiscal year as {quarter_name(old)}: the years stay as they were)")
    if result.problem:
        click.echo(f"before it builds, fix: {result.problem}")
    if result.stale:
        click.echo(f"{len(result.stale)} input(s) carried forward with their old dates; refresh them:")
        for item in result.stale:
            click.echo(f"  {item}")


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--quarter", "-q", default=None, help="Refuse unless the workbook was built for this quarter.")
@click.option("--accept-overrides", is_flag=True, help="Pull the inputs even where numbers were typed over formulas.")
@click.option("--accept-older", is_flag=True,
              help="Pull a workbook built from an older version of the data file, setting newer values back.")
@click.option("--dry-run", is_flag=True, help="Print the changes, write nothing.")
@one_line_errors
def pull(workbook, quarter, accept_overrides, accept_older, dry_run):
    """Carry the inputs changed in WORKBOOK back into its quarter's data file."""
    from ..quarters.datafile import shown
    from ..readback.pull import pull as pull_workbook

    result = pull_workbook(workbook, quarter and quarter_name(quarter), accept_overrides, dry_run=dry_run, accept_older=accept_older)
    for line in result.overrides:
        click.echo(f"override (ignored): {line}")
    if not result.changes:
        click.echo(f"no input changed; {result.data_file} left as it was")
        return
    verb = "would change" if dry_run else "changed"
    click.echo(f"{verb} {len(result.changes)} value(s) in {result.data_file}:")
    for change in result.changes:
        click.echo(f"  {change.cell}  {change.path}: {shown(change.old)} → {shown(change.new)}")
    if not dry_run:
        q = load_quarter(result.data_file)
        for line in implausible(q):
            click.echo(f"warning: {q.quarter}: {line}", err=True)


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--sources", is_flag=True, help="Also list changed sources and as-of dates.")
@one_line_errors
def diff(old, new, sources):
    """Show what changed between two quarters' inputs and results."""
    from ..quarters.compare import input_differences, result_differences
    from .report import input_diff_table, result_diff_table

    qa, qb = load_quarter(paths.quarter_path(quarter_name(old))), load_quarter(paths.quarter_path(quarter_name(new)))
    console().print(input_diff_table(qa, qb, input_differences(qa, qb, sources)))
    oa, ob = evaluate(inputs_from_quarter(qa)), evaluate(inputs_from_quarter(qb))
    console().print(result_diff_table(qa, qb, result_differences(oa, ob)))


@main.command()
@quarter_option
@click.option("--draws", "-n", default=100_000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Monte Carlo draws.")
@click.option("--seed", default=0, show_default=True, help="Random seed of the draws (a whole number, 0 or more).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@one_line_errors
def sweep(quarter, draws, seed, as_json):
    """Value per share over the data file's sweep ranges: a tornado and Monte Carlo percentiles."""
    from ..engine import sweep as sweeps
    from .report import monte_carlo_table, tornado_table

    if seed < 0:
        raise KwaiError(f"--seed: must be a whole number, 0 or more (got {seed})")
    q = load_quarter(paths.quarter_path(quarter_name(quarter)))
    inputs = inputs_from_quarter(q)
    out = evaluate(inputs)
    bars = sweeps.by_swing(sweeps.tornado(inputs, out))
    mc = sweeps.monte_carlo(inputs, out, draws, seed)
    price = q.market.price.value
    if as_json:
        click.echo(json.dumps({
            "quarter": q.quarter, "base_per_share": out["sotp_per_share"], "price": price,
            "tornado": [{"input": b.key, "low": b.low, "high": b.high, "at_low": b.at_low, "at_high": b.at_high,
                         "swing": b.swing} for b in bars],
            "monte_carlo": {"draws": draws, "seed": seed, "mean": float(mc.per_share.mean()),
                            "percentiles": {f"p{k}": v for k, v in mc.percentiles().items()},
                            "probability_above_price": mc.probability_above(price)},
        }, indent=1))
        return
    console().print(f"[bold]{q.quarter}[/]: value per share HKD {out['sotp_per_share']:,.2f} (price {price:,.2f})")
    console().print(tornado_table(bars))
    console().print(monte_carlo_table(mc, draws, seed, price))


@main.group()
def market():
    """Market data: import an export of prices, market caps and estimates."""


@market.command("import")
@click.argument("export", type=click.Path(path_type=Path))
@quarter_option
@click.option("--dry-run", is_flag=True, help="Print the changes, write nothing.")
@one_line_errors
def market_import(export, quarter, dry_run):
    """Write EXPORT's figures (CSV or XLSX; see README) into the quarter's data file, with date and source."""
    from ..quarters.market_import import import_market

    result = import_market(export, paths.quarter_path(quarter), dry_run=dry_run)
    for ticker in result.unknown:
        click.echo(f"unknown ticker (skipped): {ticker}")
    for line in result.skipped:
        click.echo(f"skipped: {line}")
    if result.ignored:
        click.echo(f"ignored columns (no figure of kwai-xl's; a misspelt header drops its figures): {', '.join(result.ignored)}")
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    if not result.changes:
        click.echo(f"no figure changed; {result.data_file} left as it was")
        return
    click.echo(f"{'would change' if dry_run else 'changed'} {len(result.changes)} value(s) in {result.data_file}:")
    for change in result.changes:
        click.echo(f"  {change}")
    if result.to_enter:
        click.echo(f"before it builds, fix: {result.to_enter}")
