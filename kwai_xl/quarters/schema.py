"""Quarter data files: the schema every input obeys, and loading with one-line errors.

A quarter file (``data/quarters/2022Q2.yaml``) holds every input of the model
with its unit, as-of date and source. Loading validates types, ranges,
required fields and unknown keys; a failure raises :class:`KwaiError` whose
message names the file, the field path and the bad value.
"""

import difflib
import re
import reprlib
from datetime import date
from pathlib import Path
from typing import Annotated, Generic, Literal, Optional, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.constructor import ConstructorError, SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)

from ..diskcache import parse_cache
from ..engine.inputs import METRICS, MULTIPLE_BASIS, MULTIPLES, sweep_keys
from ..engine.inputs import Segment as EngineSegment
from ..engine.scenarios import BASES, METRIC_SOURCES, SCENARIOS, STATISTICS
from ..errors import KwaiError
from ..paths import QUARTER_PATTERN
from ..registry import RULES
from ..safeyaml import safe_yaml

MAX_PEERS = 200
MAX_GROUPS = 12
MAX_SEGMENTS = 12
KEY_PATTERN = r"^[a-z][a-z0-9]{0,11}$"
CONTEXT_ROWS_USED = {"alibaba_users": 2, "platform_gmv": 8}
"""Context tables whose rows the GMV sheets compute on (ratios, penetration): the rows they need."""
MAX_FILE_BYTES = 2**20
"""A quarter file is about 16 KiB; anything over 1 MiB is refused before it is parsed."""
MAX_VALUES = 50_000
MAX_DEPTH = 64
"""Levels of nested mappings and sequences a data file may hold (the shipped ones: 7)."""
"""Keys and values in a quarter file once its aliases are expanded (about 1,300 in the shipped ones;
200 peers in every group, the most allowed, under 15,000)."""

Number = Annotated[float, Field(strict=True)]
"""A number written as one: whole or decimal; never true/false, never text such as '79.9'."""
Fraction = Annotated[Number, Field(**RULES["fraction"].bounds())]
PositiveFraction = Annotated[Number, Field(**RULES["open_fraction"].bounds())]
Positive = Annotated[Number, Field(**RULES["positive"].bounds())]
NonNegative = Annotated[Number, Field(**RULES["nonnegative"].bounds())]
Premium = Annotated[Number, Field(**RULES["premium"].bounds())]
Minutes = Annotated[Number, Field(**RULES["minutes"].bounds())]
"""The number rules live once, in :data:`kwai_xl.registry.RULES`; the UDFs check the same ones."""
Year = Annotated[int, Field(ge=2000, le=2100, strict=True)]
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{FFFE}\x{FFFF}]*$"
TEXT_MAX = 500  # characters a text of the data file may hold
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX, pattern=TEXT_PATTERN)]
"""Free text for a cell: no control characters or non-characters (Excel and XML cannot store them)."""
T = TypeVar("T")


def _not_after_today(day: date) -> date:
    if day > date.today():
        raise ValueError(f"is after today ({date.today()}): a figure cannot be dated in the future")
    return day


Dated = Annotated[date, AfterValidator(_not_after_today)]
"""An as-of date: a day that has been (a figure cannot be dated in the future)."""


class Strict(BaseModel):
    """Unknown keys rejected, NaN and infinities rejected."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, defer_build=True)


class Sourced(Strict):
    """Where a figure comes from: its unit, as-of date and source."""

    unit: Text
    as_of: Dated
    source: Text


class Scalar(Sourced, Generic[T]):
    """One input."""

    value: T


class Triple(Sourced, Generic[T]):
    """One input per scenario (bear, base, bull) or per segment (ls, ads, ec)."""

    values: tuple[T, T, T]


class Choice(Strict):
    """A choice input (text) and why it was made."""

    value: str
    source: Text


DEFAULT_METRIC_SOURCE = Choice(value="Typed", source="default: the SOTP takes the typed estimates and the comps row")


class Choices(Strict):
    scenario: Choice
    statistic: Choice
    metric_source: Choice = DEFAULT_METRIC_SOURCE
    """Typed | Drivers: where the SOTP's segment figures come from (the driver tree's FY1 where it gives one)."""

    @field_validator("scenario", "statistic", "metric_source")
    @classmethod
    def _listed(cls, v: Choice, info) -> Choice:
        allowed = {"scenario": SCENARIOS, "statistic": STATISTICS, "metric_source": METRIC_SOURCES}[info.field_name]
        if v.value not in allowed:
            raise ValueError(f"must be one of {'/'.join(allowed)}")
        return v


class Market(Strict):
    price: Scalar[Positive]
    shares: Scalar[Positive]
    fx_rmb_per_hkd: Scalar[Positive]
    net_cash: Scalar[Number]
    holding_discount: Scalar[NonNegative]


class UserMethod(Strict):
    netizens: Scalar[Positive]
    penetration: Triple[Fraction]
    active_ratio: Triple[Fraction]
    spend: Triple[Positive]


class Category(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    name_zh: Text
    sales: NonNegative


class CategoryMethod(Strict):
    sales_year: Year
    categories: Annotated[list[Category], Field(min_length=5, max_length=5)]
    sales_unit: Text
    sales_as_of: Dated
    sales_source: Text
    published_total: Scalar[NonNegative]
    penetration: Triple[Fraction]
    completion: Scalar[PositiveFraction]
    share: Triple[PositiveFraction]


class ContextRow(Strict):
    label: Text
    label_zh: Optional[Text] = None
    values: list[Optional[Number]]


class ContextTable(Strict):
    title: Text
    title_zh: Optional[Text] = None
    unit: Text
    as_of: Dated
    source: Text
    columns: Annotated[list[Text], Field(min_length=1, max_length=12)]
    columns_zh: Optional[list[Text]] = None
    rows: Annotated[list[ContextRow], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _widths(self):
        for i, row in enumerate(self.rows):
            if len(row.values) != len(self.columns):
                raise ValueError(f"rows.{i}.values has {len(row.values)} values for {len(self.columns)} columns")
        return self


YearFigures = tuple[Optional[Number], Optional[Number], Optional[Number]]
NO_FIGURES: YearFigures = (None, None, None)


class Company(Strict):
    """One comps row: market cap (百万, listed currency) and FY0–FY2 fundamentals (百万, reporting currency).

    ``as_of`` and ``source`` date and source the row; where the market cap has a date and source of its own
    (``market_cap_as_of`` and ``market_cap_source``, given together), they date and source the estimates only.
    """

    ticker: Text
    name: Text
    name_zh: Text
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    fin_currency: Optional[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = None
    market_cap: Positive
    revenue: YearFigures
    net_profit: YearFigures = NO_FIGURES
    gmv: YearFigures = NO_FIGURES
    as_of: Dated
    source: Text
    market_cap_source: Optional[Text] = None
    market_cap_as_of: Optional[Dated] = Field(None, validate_default=True)  # after the source, which its check reads

    @field_validator("market_cap_as_of")
    @classmethod
    def _with_its_source(cls, v: date | None, info: ValidationInfo) -> date | None:
        sourced = info.data.get("market_cap_source") is not None
        if v is not None and not sourced:
            raise ValueError("a market cap dated apart from the estimates needs its market_cap_source too")
        if v is None and sourced:
            raise ValueError("a market cap sourced apart from the estimates (market_cap_source) needs its date here too")
        return v

    @property
    def reporting_currency(self) -> str:
        return self.fin_currency or self.currency

    @property
    def market_cap_date(self) -> date:
        """The market cap's as-of date: its own where it has one, else the row's."""
        return self.market_cap_as_of or self.as_of

    @property
    def market_cap_origin(self) -> str:
        """The market cap's source: its own where it has one, else the row's."""
        return self.market_cap_source or self.source


class Peer(Company):
    @model_validator(mode="after")
    def _same_currency(self):
        if self.reporting_currency != self.currency:
            raise ValueError(f"a peer's market cap and fundamentals must share a currency (got {self.currency} and {self.fin_currency})")
        return self


class Kuaishou(Company):
    market_cap: None = None
    """Not a field: Kuaishou's market cap is ``market.price`` × ``market.shares``, so its multiples follow the price."""

    @field_validator("market_cap", "market_cap_as_of", "market_cap_source", mode="before")
    @classmethod
    def _derived(cls, v):
        if v is not None:
            raise ValueError("Kuaishou's market cap is market.price × market.shares, dated by them; remove this key")
        return v

    @model_validator(mode="after")
    def _hkd_rmb(self):
        if (self.currency, self.reporting_currency) != ("HKD", "RMB"):
            raise ValueError(f"Kuaishou's row is HKD market cap over RMB fundamentals (got {self.currency}/{self.reporting_currency})")
        return self


class PeerGroup(Strict):
    """One peer group of the comps sheet; ``key`` prefixes its public names (``ls_mcap``, ``ls_pe_mean`` …)."""

    key: Annotated[str, Field(pattern=KEY_PATTERN)]
    name: Text
    name_zh: Text
    multiples: Annotated[list[Literal[MULTIPLES]], Field(min_length=1, max_length=3)]
    """The multiples shown on Peer Comps (a segment valued on this group adds its own)."""
    years: Optional[tuple[Year, Year, Year]] = None
    """The fiscal years of the group's figures; a group valuing a segment must match the quarter's FY0–FY2."""
    note: Optional[Text] = None
    """One line shown in the group's table title, e.g. why a peer left the set."""
    note_zh: Optional[Text] = None
    """The same line in Chinese, for the zh workbook."""
    companies: Annotated[list[Peer], Field(min_length=1, max_length=MAX_PEERS)]

    @field_validator("companies")
    @classmethod
    def _unique_tickers(cls, v):
        tickers = [c.ticker for c in v]
        twice = sorted({t for t in tickers if tickers.count(t) > 1})
        if twice:
            raise ValueError(f"lists a ticker twice: {', '.join(twice)}")
        return v

    @field_validator("multiples")
    @classmethod
    def _unique(cls, v):
        if len(set(v)) != len(v):
            raise ValueError(f"lists a multiple twice (got {v})")
        return v


class Peers(Strict):
    groups: Annotated[list[PeerGroup], Field(min_length=1, max_length=MAX_GROUPS)]

    @field_validator("groups")
    @classmethod
    def _unique_keys(cls, v):
        keys = [g.key for g in v]
        if len(set(keys)) != len(keys) or "ks" in keys:
            raise ValueError(f"group keys must be unique and not 'ks' (got {keys})")
        return v


class Statistic(Strict):
    """A segment's own choice of peer statistic; null follows the global Mean/Median choice."""

    value: Optional[Literal[STATISTICS]] = None
    source: Text


class SegmentFigure(Scalar[Positive]):
    """A segment's own FY1 figure; ``year`` names its fiscal year where it may not be the quarter's FY1
    (``new-quarter`` sets it when the fiscal year turns, so the old year's figure is not valued silently)."""

    year: Optional[Year] = None


class Segment(Strict):
    """One part of the SOTP: Kuaishou's FY1 ``metric`` (× ``margin`` for a profit) × the group's ``multiple``."""

    key: Annotated[str, Field(pattern=KEY_PATTERN)]
    name: Text
    name_zh: Text
    group: Annotated[str, Field(pattern=KEY_PATTERN)]
    multiple: Literal[MULTIPLES]
    metric: Literal[METRICS]
    value: Optional[SegmentFigure] = None
    """Kuaishou's FY1 figure (RMB 百万); omitted: the FY1 figure of Kuaishou's own comps row."""
    margin: Optional[Scalar[PositiveFraction]] = None
    """Net margin turning a revenue into the net profit a PE applies to."""
    premium: Scalar[Premium]
    statistic: Statistic

    @model_validator(mode="after")
    def _basis_fits_multiple(self):
        valued = "net_profit" if self.margin is not None else self.metric
        if self.margin is not None and self.metric != "revenue":
            raise ValueError(f"segment {self.key}: a margin turns a revenue into a profit, but the metric is {self.metric}")
        if MULTIPLE_BASIS[self.multiple] != valued:
            raise ValueError(f"segment {self.key}: a {self.multiple.upper()} applies to {MULTIPLE_BASIS[self.multiple]}, "
                             f"not {valued.replace('_', ' ')} (got metric {self.metric!r}"
                             f"{', with a margin' if self.margin is not None else ''})")
        return self


class PeerCountSetting(Strict):
    """A number of peers the model is set to, and why."""

    value: Annotated[int, Field(ge=1, le=MAX_PEERS, strict=True)]
    source: Text


class Sotp(Strict):
    segments: Annotated[list[Segment], Field(min_length=1, max_length=MAX_SEGMENTS)]
    min_peers: PeerCountSetting = PeerCountSetting(value=3, source="default setting: a statistic of fewer than "
                                                                   "3 peers is thin")
    """A peer statistic on fewer peers than this is flagged (Checks sheet, build), not refused."""

    @field_validator("segments")
    @classmethod
    def _unique_keys(cls, v):
        keys = [s.key for s in v]
        if len(set(keys)) != len(keys):
            raise ValueError(f"segment keys must be unique (got {keys})")
        return v


class DriverRow(Sourced, Generic[T]):
    """A driver input for FY0–FY2, null where no figure is sourced (shown n.a.). The one-year form
    ``value: x`` of older files is read as FY1 (``values: [null, x, null]``)."""

    values: tuple[Optional[T], Optional[T], Optional[T]]

    @model_validator(mode="before")
    @classmethod
    def _one_year(cls, data):
        if isinstance(data, dict) and "value" in data and "values" not in data:
            data = {k: v for k, v in data.items() if k != "value"} | {"values": [None, data["value"], None]}
        return data


class Drivers(Strict):
    paying_users: DriverRow[NonNegative]
    arppu: DriverRow[NonNegative]
    dau: DriverRow[NonNegative]
    minutes_per_day: DriverRow[Minutes]
    ad_load: DriverRow[NonNegative]
    ecpm: DriverRow[NonNegative]
    inner_loop_take_rate: DriverRow[Fraction]
    brand_advertisers: DriverRow[NonNegative]
    brand_spend: DriverRow[NonNegative]
    monthly_buyers: DriverRow[NonNegative]
    orders_per_month: DriverRow[NonNegative]
    order_value: DriverRow[NonNegative]
    monetisation_rate: DriverRow[Fraction]
    other_revenue: DriverRow[NonNegative]


class Range(Sourced):
    """Where a swept input may lie: absolute bounds, or fractions of its base value (``relative``)."""

    low: Number
    high: Number
    basis: Literal[BASES] = "absolute"
    dist: Literal["triangular", "uniform"] = "triangular"

    @model_validator(mode="after")
    def _ordered(self):
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.basis == "relative" and self.low <= -1:
            raise ValueError(f"a relative low must be above -1 (got {self.low})")
        if self.basis == "absolute" and self.low < 0:
            raise ValueError(f"an absolute low must not be negative (got {self.low})")
        return self


class Sensitivity(Strict):
    """The sweep's ranges (one per swept input of every segment) and the grids' steps.

    A step of 0 is the base case, −1 the low end of the input's range, +1 its high end,
    so every grid is centred on the base case.
    """

    steps: Annotated[list[Annotated[Number, Field(ge=-1, le=1)]], Field(min_length=3, max_length=9)]
    steps_source: Text
    grid: Optional[tuple[Annotated[str, Field(pattern=KEY_PATTERN)], Annotated[str, Field(pattern=KEY_PATTERN)]]] = None
    """The two segments whose multiples span the value-per-share grid (rows, columns); default the last two."""
    ranges: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*_[a-z_]+$")], Range]

    @field_validator("steps")
    @classmethod
    def _centred(cls, v):
        if any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError("must increase from low to high")
        if 0 not in v:
            raise ValueError(f"must include 0, the base case (got {v})")
        return v


class Reported(Strict):
    """A year's reported outcomes, for checking earlier quarters' forecasts (RMB 百万; market in 亿元)."""

    year: Year
    as_of: Dated
    source: Text
    revenue: Optional[Number] = None
    online_marketing: Optional[Number] = None
    live_streaming: Optional[Number] = None
    gmv: Optional[Number] = None
    dau: Optional[NonNegative] = None
    live_commerce_market: Optional[NonNegative] = None


SERIES_UNITS = ("rmb_mn", "rmb_yi", "usd_mn", "shares_yi", "shares_mn", "users_mn", "fraction", "count")
"""Units a series row may carry; the labels translate each (``units.<code>`` in templates/labels)."""


class SeriesRow(Strict):
    """One labelled row of a reported or seed table: a value per column (``null`` = not available)."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    name_zh: Text
    unit: Literal[SERIES_UNITS]
    decimals: Annotated[int, Field(ge=0, le=4)] = 0
    values: list[Optional[Number]]
    growth: bool = False
    """Show a growth row under this one (a live formula: this column over the one ``lag`` columns left, − 1)."""
    change_from: Optional[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = None
    """Show a change row under this one: this row minus the row with that key (a live formula)."""
    source: Optional[Text] = None
    """Where this row comes from, when not the table's source."""


class SeriesTable(Strict):
    """A table of figures for one of the analyst sheets (Shareholders, Online marketing, Kuaishou history)."""

    name: Text
    name_zh: Text
    as_of: Dated
    source: Text
    columns: Annotated[list[Text], Field(min_length=1, max_length=24)]
    columns_zh: Optional[list[Text]] = None
    lag: Annotated[int, Field(ge=1, le=12)] = 1
    """Columns between a figure and the one its growth compares with (1 annual, 4 quarterly y/y)."""
    rows: Annotated[list[SeriesRow], Field(min_length=1, max_length=40)]
    note: Optional[Text] = None
    note_zh: Optional[Text] = None

    @model_validator(mode="after")
    def _widths(self):
        if self.columns_zh is not None and len(self.columns_zh) != len(self.columns):
            raise ValueError(f"columns_zh has {len(self.columns_zh)} names for {len(self.columns)} columns")
        keys = [row.key for row in self.rows]
        for i, row in enumerate(self.rows):
            if len(row.values) != len(self.columns):
                raise ValueError(f"rows.{i}.values has {len(row.values)} values for {len(self.columns)} columns")
            if row.change_from is not None and row.change_from not in keys[:i]:
                raise ValueError(f"rows.{i}.change_from names no row above it (got {row.change_from!r})")
        if len(set(keys)) != len(keys):
            raise ValueError("two rows share a key")
        return self


SeriesTables = dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], SeriesTable]
class SharePrice(Strict):
    """One dated closing price of Kuaishou, recorded to score earlier quarters' value per share."""

    as_of: Dated
    value: Positive
    unit: Literal["HKD per share"]
    source: Text


class Quarter(Strict):
    """Every input of one quarter's model; ``path`` is the data file it was read from (None when built in memory)."""

    _path: Optional[Path] = PrivateAttr(None)

    @property
    def path(self) -> Optional[Path]:
        return self._path

    quarter: Annotated[str, Field(pattern=QUARTER_PATTERN)]
    as_of: Dated
    title: Text
    title_zh: Optional[Text] = None
    years: tuple[Year, Year, Year]
    choices: Choices
    market: Market
    user_method: UserMethod
    category_method: CategoryMethod
    context: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], ContextTable] = {}

    @field_validator("context")
    @classmethod
    def _rows_the_sheets_compute_on(cls, v):
        for key, needed in CONTEXT_ROWS_USED.items():
            if key in v and len(v[key].rows) < needed:
                raise ValueError(f"{key}: the workbook computes on its first {needed} rows, but it has {len(v[key].rows)}")
        return v
    kuaishou: Kuaishou
    peers: Peers
    sotp: Sotp
    drivers: Drivers
    sensitivity: Sensitivity
    reported: list[Reported] = []
    shareholders: SeriesTables = {}
    """The Shareholders sheet: holdings, pre-IPO investors' returns, option grants."""
    online_marketing: SeriesTables = {}
    """The Online marketing sheet: ad revenue history, the ad market and Kuaishou's share, ad mix."""
    history: SeriesTables = {}
    """The Kuaishou history sheet: reported annual and quarterly segment revenue, GMV, DAU."""
    share_prices: list[SharePrice] = []
    stale_after_days: Annotated[int, Field(ge=1, le=3660)] = 31
    """The stale guard: the price, fx and the SOTP's market caps may be at most this many days older than ``as_of``."""

    @model_validator(mode="after")
    def _sotp_fits_peers(self, info: ValidationInfo):
        groups = {g.key: g for g in self.peers.groups}
        to_enter = []  # figures a rolled-forward file still lacks: named all at once
        for k, seg in enumerate(self.sotp.segments):
            where = f"sotp.segments.{k}"
            group = groups.get(seg.group)
            if group is None:
                raise ValueError(f"{where}.group: no peer group {seg.group!r} (groups: {', '.join(groups)})")
            if group.years and tuple(group.years) != tuple(self.years):
                raise ValueError(f"peers.groups.{list(groups).index(seg.group)}.years: group {group.key}'s figures are for "
                                 f"{list(group.years)}, not the quarter's {list(self.years)}, so segment {seg.key} would apply "
                                 f"a {group.years[1]} multiple to a {self.years[1]} metric; refresh the group's figures")
            if seg.value is not None and seg.value.year not in (None, self.years[1]):
                to_enter.append(f"sotp.segments.{k}.value: segment {seg.key}'s figure is for {seg.value.year}, not the "
                                f"quarter's FY1 {self.years[1]}; enter its {self.years[1]} figure (and its as_of and "
                                f"source) and drop the year")
            if seg.value is None:
                own = getattr(self.kuaishou, seg.metric)[1]
                if own is None or own <= 0:
                    to_enter.append(f"kuaishou.{seg.metric}.1: segment {seg.key} values Kuaishou's FY1 "
                                    f"{seg.metric.replace('_', ' ')}, which must be a positive number (got {own!r})")
            field = MULTIPLE_BASIS[seg.multiple]
            figures = [getattr(c, field)[1] for c in group.companies]
            if not any(v is not None and v > 0 for v in figures):
                to_enter.append(f"peers.groups.{list(groups).index(seg.group)}: no peer has a positive "
                                f"{self.years[1]} {field.replace('_', ' ')}, so there is no {seg.multiple.upper()} "
                                f"for segment {seg.key} (got {figures})")
        if to_enter and not (info.context or {}).get(PARTIAL):
            raise ValueError("; ".join(dict.fromkeys(to_enter)))
        keys = [s.key for s in self.sotp.segments]
        expected = sweep_keys(engine_segments(self.sotp.segments))
        missing = [k for k in expected if k not in self.sensitivity.ranges]
        unknown = [k for k in self.sensitivity.ranges if k not in expected]
        if missing or unknown:
            raise ValueError(f"sensitivity.ranges: needs one range per swept input ({', '.join(expected)}); "
                             f"missing {missing or 'none'}, unknown {unknown or 'none'}")
        if self.sensitivity.grid and not set(self.sensitivity.grid) <= set(keys):
            raise ValueError(f"sensitivity.grid: {list(self.sensitivity.grid)} are not all segments ({', '.join(keys)})")
        return self

    @field_validator("years")
    @classmethod
    def _consecutive(cls, v):
        if not (v[1] == v[0] + 1 and v[2] == v[1] + 1) or not 2000 <= v[0] <= 2100:
            raise ValueError("must be three consecutive fiscal years, FY0 first")
        return v


def engine_segments(segments: list[Segment]) -> tuple[EngineSegment, ...]:
    """The engine's view of the data file's SOTP segments."""
    return tuple(EngineSegment(s.key, s.group, s.multiple, s.metric, s.value is not None, s.margin is not None)
                 for s in segments)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 2, 60, 60, 60
_REPR.maxtuple = _REPR.maxlist = _REPR.maxdict = _REPR.maxset = 4


def _describe(value) -> str:
    """A short text of ``value`` for an error message, at a cost bounded whatever its size or nesting."""
    if isinstance(value, date):
        return repr(value.isoformat())
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_KINDS = {"tag:yaml.org,2002:timestamp": "date", "tag:yaml.org,2002:int": "whole number",
          "tag:yaml.org,2002:float": "number"}


class _MarkingConstructor(SafeConstructor):
    """The safe constructor, where a scalar Python cannot hold (the date 2022-02-30, an integer of
    5,000 digits) is a YAML error at its line rather than a bare ValueError."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except ValueError as err:
            raise ConstructorError(None, None, f"{_describe(node.value)} is not a valid {_KINDS.get(node.tag, 'value')} "
                                   f"({str(err).split(';')[0]})", node.start_mark) from None


def _yaml() -> YAML:
    yaml = safe_yaml()
    yaml.Constructor = _MarkingConstructor
    yaml.allow_duplicate_keys = False
    return yaml


def _counted(path: Path, events):
    """The parser's ``events``, refused as they come once the document holds more than :data:`MAX_VALUES` keys and
    values (its aliases expanded) or nests deeper than :data:`MAX_DEPTH`.

    Counted before anything is constructed: an alias adds the count of the value its anchor names, so an alias
    bomb is refused without being expanded; a deep nest is refused before ruamel's composer, which recurses,
    meets it.
    """
    sizes: dict[str, int] = {}  # anchor -> values under it
    open_ = [[None, 0]]  # the collections being read: [anchor, values so far]; the document at the bottom
    for event in events:
        yield event
        if isinstance(event, AliasEvent):
            if event.anchor not in sizes:
                raise KwaiError(f"{path}: line {event.start_mark.line + 1}: alias *{event.anchor} refers to a value "
                                f"that is not complete there (a value containing itself?)")
            size = sizes[event.anchor]
        elif isinstance(event, CollectionStartEvent):
            open_.append([event.anchor, 1])
            if len(open_) > MAX_DEPTH + 1:
                raise KwaiError(f"{path}: line {event.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep; "
                                f"a quarter file nests 7")
            continue
        elif isinstance(event, CollectionEndEvent):
            anchor, size = open_.pop()
            if anchor is not None:
                sizes[anchor] = size
        elif isinstance(event, NodeEvent):  # a scalar
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        else:
            continue
        open_[-1][1] += size
        if open_[-1][1] > MAX_VALUES:
            raise KwaiError(f"{path}: line {event.start_mark.line + 1}: more than {MAX_VALUES:,} keys and values "
                            f"once aliases are expanded; a quarter file holds about 1,300 (an alias bomb?)")


def _first_error(errors: list[dict]) -> tuple[dict, str | None]:
    """The error to report first, and the key it likely meant: a required key missing beside an unknown one
    spelt like it is a misspelling, reported as the unknown key (what was typed) with the missing one as its
    meaning; otherwise pydantic's first error."""
    first = errors[0]
    if first["type"] != "missing":
        return first, None
    for unknown in (e for e in errors if e["type"] == "extra_forbidden" and e["loc"][:-1] == first["loc"][:-1]):
        missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == unknown["loc"][:-1]]
        close = difflib.get_close_matches(str(unknown["loc"][-1]), missing, n=1, cutoff=0.6)
        if close:
            return unknown, close[0]
    return first, None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema model that holds the fields at ``loc`` (list positions skipped), or None (a mapping of free keys)."""
    model: type[BaseModel] = Quarter
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(str(key))
        if field is None:
            return None
        stack, model = [field.annotation], None
        while stack and model is None:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                model = t
            else:
                stack.extend(get_args(t))
        if model is None:
            return None
    return model


def _likely_key(loc: tuple) -> str | None:
    """The key an unknown key at ``loc`` was likely meant to be: the closest field of its model, if close."""
    model = _model_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.75) if model else []
    return close[0] if close else None


def _problem(error: dict, meant: str | None = None) -> tuple[tuple, str]:
    """(field path, ``path.to.field: problem (got value)``) of one validation error."""
    loc = ".".join(str(p) for p in error["loc"]) or "(top level)"
    msg = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return error["loc"], f"{loc}: required field is missing"
    if error["type"] == "extra_forbidden":
        meant = meant or _likely_key(tuple(error["loc"]))
        return error["loc"], f"{loc}: unknown key" + (f" (did you mean {meant}?)" if meant else "")
    if not error["loc"]:  # a check across fields: its message names the field and value itself
        return (), msg
    got = error.get("input")
    if error["type"] == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == TEXT_PATTERN:
        msg = "holds a control character or a non-character (U+FFFE, U+FFFF), which a workbook cannot store"
    if error["type"] == "value_error" and isinstance(got, dict) and "value" in got:  # a sourced input's own check
        return tuple(error["loc"]) + ("value",), f"{loc}.value: {msg} (got {_describe(got['value'])})"
    return error["loc"], f"{loc}: {msg} (got {_describe(got)})"


def _validation_error(path: Path, err: ValidationError) -> KwaiError:
    """One line naming the first problem (and how many more); every problem kept on the error for callers
    that name them all (pull names each with its cell)."""
    errors = err.errors()
    first, meant = _first_error(errors)
    field, text = _problem(first, meant)
    explained = {tuple(first["loc"][:-1]) + (meant,)} if meant else set()  # the missing key a misspelling explains
    problems = [(field, text)] + [_problem(e) for e in errors if e is not first and tuple(e["loc"]) not in explained]
    more = len(problems) - 1
    error = KwaiError(f"{path}: {text}" + (f" (and {more} more)" if more else ""), field=field)
    error.problems = problems
    return error


PARTIAL = "partial"
"""Validation context key: a file being filled in (rolled forward, not yet refreshed). The figures a valuation
needs but an import or the analyst will supply (segment figures of the new year, FY1 estimates a multiple
rests on) may still be missing; everything else is checked as always."""


def parse_quarter(path: Path, data, partial: bool = False) -> Quarter:
    """Validate already-parsed YAML ``data`` of ``path``; raise :class:`KwaiError` on the first problem
    (``partial``: a file being filled in, see :data:`PARTIAL`)."""
    if not isinstance(data, dict):
        raise KwaiError(f"{path}: expected a mapping of fields at the top level, got {type(data).__name__}")
    try:
        quarter = Quarter.model_validate(data, context={PARTIAL: partial})
    except ValidationError as err:
        raise _validation_error(path, err) from None
    if quarter.quarter != path.stem:
        raise KwaiError(f"{path}: quarter: {quarter.quarter!r} does not match the file name {path.stem!r}")
    quarter._path = path
    return quarter


def read_text(path: Path) -> str:
    """The text of a data file, at most :data:`MAX_FILE_BYTES`; a one-line :class:`KwaiError` when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise KwaiError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KwaiError(f"{path}: cannot be read as UTF-8 text ({err.__class__.__name__})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise KwaiError(f"{path}: larger than a quarter data file can be ({MAX_FILE_BYTES // 2**10:,} KiB; "
                        f"the shipped ones are about 16 KiB)")
    return text


def read_yaml(path: Path):
    """Parse a YAML file, turning every parse or read failure into a one-line :class:`KwaiError`.

    The cost is bounded before anything is built: at most :data:`MAX_FILE_BYTES` are read and at
    most :data:`MAX_VALUES` keys and values (aliases expanded) are constructed.
    """
    return parse_yaml(path, read_text(path))


def parse_yaml(path: Path, text: str, keys=None):
    """The YAML document ``text`` (read from ``path``, which errors name), bounded as :func:`read_yaml` says;
    only its top-level ``keys`` where given and its top level is plain (:func:`top_level_sections`)."""
    cache = parse_cache()
    kind = "quarter file" if keys is None else "quarter file's " + ", ".join(sorted(keys))
    kept = cache.get(kind, text) if cache is not None else None
    if kept is not None:  # the same text read before (a file bounded and parsed as here)
        return kept[0]
    yaml = _yaml()
    try:
        events = list(_counted(path, yaml.parse(text)))
        sections = top_level_sections(text, events, keys) if keys is not None else None
        if sections is not None:
            try:
                document = yaml.load(sections)
            except YAMLError:  # not readable apart: the whole file says what is wrong, and where
                sections = None
        if sections is None:
            document = yaml.load(text, events)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if problem.startswith("found duplicate key"):  # ruamel shows the values unbuilt, as "{}"
            problem = re.sub(r' with value ".*', "", problem) + " (a key may appear once in a mapping)"
        raise KwaiError(f"{path}: not valid YAML at {where}: {problem}") from None
    if cache is not None:
        cache.put(kind, text, document)
    return document


_LOADED: dict[tuple, object] = {}
"""Validated quarters and outcomes by (file, size, modification time, kind): a build reads the same files
several times (its own, later quarters' reported outcomes), and a file changed on disk is read again."""


def _loaded_once(path: Path, kind: str, load):
    """``load(path)``, or what it gave for this file before when the file is unchanged on disk (see :data:`_LOADED`)."""
    try:
        stat = path.stat()
        key = (str(path.resolve()), str(path), stat.st_size, stat.st_mtime_ns, kind)
    except OSError:
        key = None
    if key in _LOADED:
        return _LOADED[key]
    value = load(path)
    if key is not None:
        if len(_LOADED) >= 64:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = value
    return value


def load_quarter(path: Path, partial: bool = False) -> Quarter:
    """Load and validate one quarter data file (a file unchanged since it was last loaded is not parsed again;
    ``partial``: a file being filled in, see :data:`PARTIAL`)."""
    return _loaded_once(Path(path), PARTIAL if partial else "whole",
                        lambda path: parse_quarter(path, read_yaml(path), partial))


class Outcomes(Strict):
    """What a quarter file records of what happened: its date, Kuaishou's price, the years reported, recorded
    share prices. All that earlier quarters' Forecast vs Actual reads of a later file; its other keys are not read."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, frozen=True, defer_build=True)

    quarter: Annotated[str, Field(pattern=QUARTER_PATTERN)]
    as_of: Dated
    market: Market
    reported: list[Reported] = []
    share_prices: list[SharePrice] = []


LINE_BREAKS_BUT_LF = "\r\x85\u2028\u2029"


def top_level_sections(text: str, events: list, keys) -> str | None:
    """The lines of ``text`` that hold its top-level ``keys`` (from each such key's line up to the next top-level
    key's), found on the document's parse ``events``; None unless the document is one block-style mapping, without
    directives, anchors or aliases, of plain keys in column 0, whose lines end in "\\n" only (YAML counts a lone
    CR, NEL, LS and PS as line breaks too): then it is read whole."""
    if any(ch in text for ch in LINE_BREAKS_BUT_LF):
        return None
    starts, depth, key_next = [], 0, True
    for event in events:
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            return None
        if isinstance(event, CollectionStartEvent):
            if depth == 0 and (not isinstance(event, MappingStartEvent) or event.flow_style):
                return None
            if depth == 1:
                key_next = not key_next
            depth += 1
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif isinstance(event, ScalarEvent) and depth == 1:
            if key_next:
                if event.style or event.start_mark.column != 0:  # a quoted key, or one after "? "
                    return None
                starts.append((event.value, event.start_mark.line))
            key_next = not key_next
        elif isinstance(event, DocumentStartEvent) and (starts or event.version or event.tags):
            return None  # a second document, or directives the sections would leave behind
    lines = text.split("\n")
    ends = [line for _, line in starts[1:]] + [len(lines)]
    kept = ["\n".join(lines[line:end]) for (key, line), end in zip(starts, ends) if key in keys]
    return "\n".join(kept) + "\n" if kept else None


def load_outcomes(path: Path) -> Outcomes:
    """The :class:`Outcomes` of the quarter file ``path``: only the top-level keys that hold them are built
    (:func:`top_level_sections`; the whole file where its top level is not plain); a one-line
    :class:`KwaiError` when they are not valid. A file unchanged since it was last read is not read again."""
    def load(path: Path) -> Outcomes:
        data = parse_yaml(path, read_text(path), Outcomes.model_fields)
        if not isinstance(data, dict):
            raise KwaiError(f"{path}: expected a mapping of fields at the top level, got {type(data).__name__}")
        try:
            outcomes = Outcomes.model_validate(data)
        except ValidationError as err:
            raise _validation_error(path, err) from None
        if outcomes.quarter != path.stem:
            raise KwaiError(f"{path}: quarter: {outcomes.quarter!r} does not match the file name {path.stem!r}")
        return outcomes
    return _loaded_once(Path(path), "outcomes", load)
