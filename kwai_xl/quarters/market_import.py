"""``kwai-xl market import``: a market-data export (CSV or XLSX) into a quarter's data file.

The export holds one row per security, with a header row naming its columns::

    ticker, date, currency, price, shares, market_cap, revenue_2025, net_profit_2025, gmv_2025, …

- ``ticker``: as the data file spells it (``BIDU.O``), or its part before the dot (``BIDU``);
  ``HKDCNY`` is the fx rate (``price`` = RMB per HKD).
- ``date``: the as-of date of the row's figures (ISO ``2025-12-05``, or a date cell).
- ``currency``: the listing currency of price and market cap; checked against the data file.
  ``fin_currency`` (optional): the currency of the estimates when it differs (Kuaishou: HKD / RMB).
- ``price`` per share; ``shares`` and ``market_cap`` in 百万 (millions) of shares / currency.
- ``revenue_YYYY``, ``net_profit_YYYY``, ``gmv_YYYY``: per-year figures in 百万 of the reporting currency.

Common terminal export headers are read too where they are unambiguous (``Symbol``,
``As of Date``, ``Crncy``, ``PX_LAST``, ``Last Price``, ``EQY_SH_OUT``, ``Shares Outstanding``,
``CUR_MKT_CAP``, ``Market Cap``, ``Revenue FY2025``, ``Sales 2025E``, ``Net Income 2025``,
``GMV FY2025`` …). Blank cells and ``n.a.``/``#N/A`` leave the data file's figure alone.

Kuaishou's row (its ticker, 1024.HK) sets the share price, shares and per-year estimates (its
market cap is price × shares, never typed); a peer's row sets its market cap and estimates for the fiscal years
its group's figures are for. Every row must validate before anything is written: bad rows are
named with their line, unknown tickers are listed, currencies checked. A file rolled forward and
not yet filled in (segment figures of the new year still to enter) takes an import all the same,
and the figures it still lacks are named. The data file is then written whole (comments and layout kept) with each figure's as-of date and
``source: FILE (exported DATE)``, DATE being the latest date in the export (a company's keeps its
source before, whole, for its other figures; one that would pass :data:`TEXT_MAX` is refused, never cut). A peer's
market cap and its estimates are dated apart: a row giving only a market cap dates it (``market_cap_as_of``,
``market_cap_source``) and leaves the estimates' date and source as they were; a row giving only estimates dates
them (the row's ``as_of`` and ``source``) and leaves the market cap's; a row older than one of the two skips that one.
"""

import csv
import io
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ruamel.yaml.comments import CommentedSeq

from ..atomic import locked, write_atomically
from ..errors import KwaiError
from .datafile import dump_document, get_path, load_document, refreshed, set_path, shown, validate_document
from .schema import TEXT_MAX, Company, Quarter, load_quarter

FIELDS = ("ticker", "date", "currency", "fin_currency", "price", "shares", "market_cap")
METRICS = ("revenue", "net_profit", "gmv")
ALIASES = {
    "ticker": ("ticker", "symbol", "security", "code"),
    "date": ("date", "as of", "as of date", "as_of", "pricing date", "last trade date"),
    "currency": ("currency", "crncy", "ccy", "trading currency", "quote currency"),
    "fin_currency": ("fin_currency", "reporting currency", "financial currency", "eqy_fund_crncy"),
    "price": ("price", "last price", "px_last", "close", "closing price", "last"),
    "shares": ("shares", "shares outstanding", "eqy_sh_out", "shares out", "shares outstanding (m)"),
    "market_cap": ("market_cap", "market cap", "cur_mkt_cap", "market capitalization", "market cap (m)", "mkt cap"),
}
METRIC_ALIASES = {
    "revenue": ("revenue", "revenues", "sales", "total revenue", "best_sales"),
    "net_profit": ("net_profit", "net profit", "net income", "best_net_income", "adjusted net profit"),
    "gmv": ("gmv",),
}
YEAR_COLUMN = re.compile(r"^(?P<metric>.+?)[\s_\-]*(?:fy)?(?P<year>(?:19|20)\d\d)e?$", re.IGNORECASE)
MISSING = ("", "n.a.", "na", "n/a", "#n/a", "-", "--", "nan", "null")
FX_TICKER = "HKDCNY"


@dataclass(frozen=True)
class ExportRow:
    line: int
    ticker: str
    as_of: date
    currency: str | None
    fin_currency: str | None
    figures: dict  # field → value; (metric, year) → value


@dataclass
class ImportChange:
    path: str
    old: object
    new: object

    def __str__(self) -> str:
        return f"{self.path}: {shown(self.old)} → {shown(self.new)}"



@dataclass
class ImportResult:
    data_file: Path
    changes: list[ImportChange] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    """Header columns that name nothing kwai-xl reads (a misspelt one drops its figures: check)."""
    warnings: list[str] = field(default_factory=list)
    to_enter: str = ""
    """What the data file still lacks before it builds (a rolled-forward file being filled in), "" when nothing."""


def _normal(header) -> str:
    return re.sub(r"\s+", " ", str(header or "").strip().lower())


def _column(header) -> str | tuple[str, int] | None:
    """What a header names: a field, (metric, year), or None (ignored)."""
    name = _normal(header)
    for key, aliases in ALIASES.items():
        if name in aliases:
            return key
    m = YEAR_COLUMN.match(name)
    if m:
        metric = m.group("metric").strip(" _-")
        for key, aliases in METRIC_ALIASES.items():
            if metric in aliases:
                return key, int(m.group("year"))
    return None


def _table(path: Path) -> list[tuple[int, list]]:
    """(line number, cells) of every row of a CSV or XLSX export, the header first."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            reader = csv.reader(io.StringIO(text))
            return [(reader.line_num, row) for row in reader]
        if suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook
            ws = load_workbook(path, read_only=True, data_only=True).worksheets[0]
            return [(k, list(row)) for k, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    except FileNotFoundError:
        raise KwaiError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError) as err:
        raise KwaiError(f"{path}: cannot be read as a {suffix[1:].upper()} export ({err.__class__.__name__})") from None
    raise KwaiError(f"{path}: a market export must be .csv or .xlsx (got {suffix or 'no extension'!r})")


def _number(value, what: str) -> float | None:
    if isinstance(value, bool):
        raise ValueError(f"{what}: not a number (got {value!r})")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value if value is not None else "").strip()
        if text.lower() in MISSING:
            return None
        try:
            number = float(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise ValueError(f"{what}: not a number (got {text!r})") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{what}: not a finite number (got {value!r})")
    return number


def _date(value) -> date:
    """An ISO date, a date cell, or a terminal's M/D/YYYY where day and month cannot be confused."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    us = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if us:
        month, day, year = map(int, us.groups())
        if month <= 12 < day or (month == day):
            try:
                return date(year, month, day)
            except ValueError:
                pass
        raise ValueError(f"date: {text!r} could be month/day or day/month; write it as YYYY-MM-DD")
    raise ValueError(f"date: not a date YYYY-MM-DD (got {text!r})")


def _currency(value, what: str) -> str | None:
    text = str(value or "").strip().upper()
    if not text:
        return None
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError(f"{what}: not a three-letter currency code (got {text!r})")
    return {"CNY": "RMB"}.get(text, text)


def read_export(path: Path) -> tuple[list[ExportRow], list[str]]:
    """Parse and check every row of an export (and name the header columns it ignores); a bad row raises
    :class:`KwaiError` naming its line."""
    path = Path(path)
    rows = [(line, cells) for line, cells in _table(path) if any(str(c or "").strip() for c in cells)]
    if not rows:
        raise KwaiError(f"{path}: the export is empty")
    (_, header), body = rows[0], rows[1:]
    columns = [_column(h) for h in header]
    ignored = [str(h) for h, c in zip(header, columns) if c is None and str(h or "").strip()]
    for needed in ("ticker", "date"):
        if needed not in columns:
            raise KwaiError(f"{path}: line 1: no {needed} column (got {[str(h) for h in header]!r})")
    named = [c for c in columns if c is not None]
    if len(named) != len(set(named)):
        twice = sorted({str(c) for c in named if named.count(c) > 1})
        raise KwaiError(f"{path}: line 1: columns named twice: {', '.join(twice)}")
    out, problems = [], []
    for line, cells in body:
        cell = {col: cells[k] if k < len(cells) else None for k, col in enumerate(columns) if col is not None}
        try:
            if len(cells) > len(header):  # even an empty last cell: the cells have shifted under the header
                extra = [str(c if c is not None else "").strip() for c in cells[len(header):]]
                raise ValueError(f"{len(cells)} cells under a header of {len(header)} columns (a number written with "
                                 f"thousands separators and no quotes? past the header: {', '.join(extra)})")
            ticker = str(cell.get("ticker") or "").strip()
            if not ticker:
                raise ValueError("ticker: missing")
            figures = {}
            for col, value in cell.items():
                if col in ("price", "shares", "market_cap") or isinstance(col, tuple):
                    number = _number(value, col if isinstance(col, str) else f"{col[0]}_{col[1]}")
                    if number is not None:
                        if col in ("price", "shares", "market_cap") and number <= 0:
                            raise ValueError(f"{col}: must be positive (got {value!r})")
                        figures[col] = number
            out.append(ExportRow(line, ticker, _date(cell.get("date")), _currency(cell.get("currency"), "currency"),
                                 _currency(cell.get("fin_currency"), "fin_currency"), figures))
        except ValueError as err:
            problems.append(f"line {line}: {err}")
    seen: dict[str, int] = {}
    for row in out:
        key = row.ticker.strip().upper()
        if key in seen:
            problems.append(f"line {row.line}: ticker {row.ticker} already on line {seen[key]}")
        seen.setdefault(key, row.line)
    if problems:
        raise KwaiError(f"{path}: {len(problems)} bad row(s), nothing written: " + "; ".join(problems))
    return out, ignored


def _companies(q: Quarter):
    """(document path, company, fiscal years of its figures) of Kuaishou and every peer."""
    yield ("kuaishou",), q.kuaishou, q.years
    for g, group in enumerate(q.peers.groups):
        for i, peer in enumerate(group.companies):
            yield ("peers", "groups", g, "companies", i), peer, group.years or q.years


def _matches(ticker: str, company: Company) -> bool:
    """Whether an export's ticker names ``company``: its ticker, or the part before the dot; a terminal's
    ``BIDU US Equity`` reads as ``BIDU``."""
    t, c = ticker.strip().upper().split()[0], company.ticker.upper()
    return t == c or t == c.split(".")[0]


JUMP = 3.0
"""A figure this many times larger or smaller than the data file's is named as a warning (another currency
or unit, such as RMB for USD or 亿 for 百万, or digits shifted by a thousands separator?)."""


def _jump(warnings: list[str], row: "ExportRow", what: str, value: float | None, before: float | None) -> None:
    """Name ``value`` when it is more than :data:`JUMP` times off the data file's ``before`` (both positive)."""
    if value and before and value > 0 and before > 0 and not 1 / JUMP <= value / before <= JUMP:
        warnings.append(f"{row.ticker} {what} (line {row.line}): {shown(value)} is {value / before:.2g}× the data "
                        f"file's {shown(before)}: another currency or unit (百万), or shifted digits?")


def _source(new: str, fields: list[str], old: str) -> str:
    """A company's source after an import: what the export gave, then where its other figures came from, whole
    (an earlier import's own part is replaced, so importing the same export twice changes nothing)."""
    old = old.split("; other figures: ", 1)[1] if "; other figures: " in old else old
    return f"{', '.join(fields)}: {new}; other figures: {old}"


def _long_source(row: "ExportRow", key: tuple, text: str) -> str:
    """The one-line refusal of a source (at document path ``key``) over :data:`TEXT_MAX`: no text of it is cut,
    the analyst shortens it."""
    return (f"line {row.line}: {row.ticker}: its source would be {len(text)} characters, over the {TEXT_MAX} a "
            f"data file takes; shorten {'.'.join(map(str, key))} in the data file and import again")


def _dates_held(company: Company) -> str:
    """The date of a company's figures, or of its market cap and its estimates where they are dated apart."""
    if company.market_cap_as_of is None:
        return str(company.as_of)
    return f"market cap {company.market_cap_as_of}, estimates {company.as_of}"


def _dating(path: tuple, company: Company, as_of: date, source: str, market_cap: bool, estimates: list[str]) -> dict:
    """Document path → new value of the dates and sources an import writes for a company (``market_cap``: its market
    cap was written; ``estimates``: the estimates written, as "revenue 2025"). The market cap is dated by its own
    ``market_cap_as_of`` and ``market_cap_source`` and the estimates by the row's ``as_of`` and ``source``; a row
    dating both at once keeps doing so when the export gives both, and otherwise is split: what the export did
    not give keeps the date and source it had."""
    def row_dated(fields: list[str]) -> dict:
        return {path + ("as_of",): as_of, path + ("source",): _source(source, fields, company.source)}

    def market_cap_dated(when: date, where: str) -> dict:
        return {path + ("market_cap_as_of",): when, path + ("market_cap_source",): where}

    together = company.market_cap_as_of is None
    if together and market_cap and estimates:
        return row_dated(["market_cap", *estimates])
    sets = market_cap_dated(as_of, source) if market_cap else {}
    if estimates and together and company.market_cap is not None:  # the market cap keeps the row's old date
        sets |= market_cap_dated(company.as_of, company.source)
    return sets | (row_dated(estimates) if estimates else {})


def _planned(q: Quarter, rows: list[ExportRow], source: str, today: date) -> tuple[dict, list[str], list[str], list[str]]:
    """(document path → new value, unknown tickers, skipped figures, warnings) for every row, checking
    currencies, dates (none after ``today``) and that no security is given twice; a row older than the data
    file's figures for that security is skipped."""
    sets, unknown, skipped, problems, warnings = {}, [], [], [], []
    named: dict[tuple, int] = {}  # a company's document path → the line that gave its figures
    for row in rows:
        if row.as_of > today:
            problems.append(f"line {row.line}: {row.ticker}: dated {row.as_of}, after today ({today}): a mistyped date?")
            continue
        if (row.as_of - q.as_of).days > q.stale_after_days:
            warnings.append(f"{row.ticker} (line {row.line}): dated {row.as_of}, {(row.as_of - q.as_of).days} days after "
                            f"{q.quarter}'s own date {q.as_of}: today's figures belong in today's quarter "
                            f"(kwai-xl new-quarter)")
        if row.ticker.upper().replace("/", "").removesuffix(" CURNCY") == FX_TICKER:
            if "price" not in row.figures:
                problems.append(f"line {row.line}: {row.ticker}: the fx row needs a price (RMB per HKD)")
                continue
            base = ("market", "fx_rmb_per_hkd")
            if base in named:
                problems.append(f"line {row.line}: {row.ticker}: the fx rate already given on line {named[base]}")
                continue
            named[base] = row.line
            if row.as_of < q.market.fx_rmb_per_hkd.as_of:
                skipped.append(f"{row.ticker} (line {row.line}): dated {row.as_of}, older than the data file's fx "
                               f"(as of {q.market.fx_rmb_per_hkd.as_of})")
                continue
            _jump(warnings, row, "fx", row.figures["price"], q.market.fx_rmb_per_hkd.value)
            sets.update({base + ("value",): row.figures["price"], base + ("as_of",): row.as_of, base + ("source",): source})
            continue
        found = [(path, company, years) for path, company, years in _companies(q) if _matches(row.ticker, company)]
        if not found:
            unknown.append(f"{row.ticker} (line {row.line})")
            continue
        for path, company, years in found:
            if path in named:
                problems.append(f"line {row.line}: {row.ticker}: {company.ticker} already given on line {named[path]}")
                continue
            named[path] = row.line
            if row.as_of < min(company.as_of, company.market_cap_date):
                skipped.append(f"{row.ticker} (line {row.line}): dated {row.as_of}, older than the data file's figures "
                               f"(as of {_dates_held(company)})")
                continue
            if row.currency is None or row.currency != company.currency:
                problems.append(f"line {row.line}: {row.ticker}: currency must be {company.currency}, as in the "
                                f"data file (got {row.currency or 'none'})")
                continue
            fin = row.fin_currency or row.currency
            has_estimates = any(isinstance(k, tuple) for k in row.figures)
            if has_estimates and fin != company.reporting_currency:
                problems.append(f"line {row.line}: {row.ticker}: estimates must be in {company.reporting_currency} "
                                f"(got {fin}; give fin_currency)")
                continue
            if path == ("kuaishou",):
                for key in ("price", "shares"):
                    held = getattr(q.market, key).as_of
                    if key in row.figures and row.as_of < held:
                        skipped.append(f"{row.ticker} {key} (line {row.line}): dated {row.as_of}, older than the data "
                                       f"file's (as of {held})")
                    elif key in row.figures:
                        _jump(warnings, row, key, row.figures[key], getattr(q.market, key).value)
                        base = ("market", key)
                        sets.update({base + ("value",): row.figures[key], base + ("as_of",): row.as_of,
                                     base + ("source",): source})
            market_cap, estimates = False, []
            if "market_cap" in row.figures and path == ("kuaishou",):
                skipped.append(f"{row.ticker} market_cap (line {row.line}): Kuaishou's market cap is price × shares")
            elif "market_cap" in row.figures and row.as_of < company.market_cap_date:
                skipped.append(f"{row.ticker} market_cap (line {row.line}): dated {row.as_of}, older than the data "
                               f"file's (as of {company.market_cap_date})")
            elif "market_cap" in row.figures:
                value = row.figures["market_cap"]
                _jump(warnings, row, "market_cap", value, company.market_cap)
                sets[path + ("market_cap",)] = value
                market_cap = True
            given = [key for key in row.figures if isinstance(key, tuple)]
            if given and row.as_of < company.as_of:
                skipped.append(f"{row.ticker} estimates (line {row.line}): dated {row.as_of}, older than the data "
                               f"file's (as of {company.as_of})")
                given = []
            for metric, year in given:
                value = row.figures[(metric, year)]
                if year in years:
                    _jump(warnings, row, f"{metric} {year}", value, getattr(company, metric)[years.index(year)])
                    sets[path + (metric, years.index(year))] = value
                    estimates.append(f"{metric.replace('_', ' ')} {year}")
                else:
                    skipped.append(f"{row.ticker} {metric} {year} (line {row.line}): the data file holds "
                                   f"{'/'.join(map(str, years))} for it")
            dated = _dating(path, company, row.as_of, source, market_cap, estimates)
            too_long = [(key, text) for key, text in dated.items() if key[-1].endswith("source") and len(text) > TEXT_MAX]
            if too_long:
                problems.append(_long_source(row, *too_long[0]))
                continue
            sets.update(dated)
    if problems:
        raise KwaiError(f"{len(problems)} row(s) rejected, nothing written: " + "; ".join(problems)
                        + (f"; unknown tickers: {', '.join(unknown)}" if unknown else ""))
    return sets, unknown, skipped, warnings


def _flow_list(values) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def import_market(export: Path, data_file: Path, dry_run: bool = False) -> ImportResult:
    """Write the export's figures into ``data_file``; validate everything first, write whole or not at all.

    The data file's lock is held from reading it to writing it, so a ``pull`` (or another import) at the
    same moment waits its turn instead of writing over this one (``pull``'s notes in the lock file are kept).
    """
    export, data_file = Path(export), Path(data_file)
    with nullcontext() if dry_run else locked(data_file, keep=True):
        return _import_locked(export, data_file, dry_run)


def _import_locked(export: Path, data_file: Path, dry_run: bool) -> ImportResult:
    try:
        q, partial = load_quarter(data_file), False
    except KwaiError:  # a file being filled in (rolled forward): import into it all the same
        q, partial = load_quarter(data_file, partial=True), True
    rows, ignored = read_export(export)
    exported = max(r.as_of for r in rows)
    name = export.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")  # a name of undecodable bytes
    try:
        sets, unknown, skipped, warnings = _planned(q, rows, f"{name} (exported {exported})", date.today())
    except KwaiError as err:
        raise KwaiError(f"{export}: {err}") from None
    doc = load_document(data_file)
    result = ImportResult(data_file, unknown=unknown, skipped=skipped, ignored=ignored, warnings=warnings)
    for path, new in sets.items():
        if isinstance(new, date):
            new = date(new.year, new.month, new.day)  # a fresh object each time, so YAML writes no anchors
        elif isinstance(new, float) and new.is_integer():
            new = int(new)
        if isinstance(path[-1], int) and get_path(doc, path[:-1], default=None) is None:
            set_path(doc, path[:-1], _flow_list([None, None, None]))  # a peer's first GMV figures
        old = get_path(doc, path, default=None)
        if old != new:
            set_path(doc, path, new)
            refreshed(doc, path)  # a rolled figure's "refresh" note goes with it
            result.changes.append(ImportChange(".".join(map(str, path)), old, new))
    if not result.changes:
        return result
    try:
        validate_document(data_file, doc, partial=partial)
    except KwaiError as err:
        raise KwaiError(f"{export}: the imported figures do not validate, nothing written: {err}") from None
    if partial:
        try:
            validate_document(data_file, doc)
        except KwaiError as err:
            result.to_enter = str(err)
    if not dry_run:
        write_atomically(data_file, dump_document(doc).encode("utf-8"))
    return result
