"""The workbook's public names, once: what each means, its shape, unit, rule and place in the data file.

Every projection of this table derives from it: loading a quarter's inputs and reading them back from a
workbook (``kwai_xl.quarters.named``), pull's data-file paths (``kwai_xl.quarters.datafile``), verify's
required names, the UDFs' argument rules and the data file's number rules (``kwai_xl.quarters.schema``).
MODEL.md §7 is the contract: ``tests/test_registry.py`` checks every name listed there is here with the
same shape and meaning.

Peer groups and SOTP segments are lists in the data file, so their names come in families, made for a
:class:`Structure` (the groups, their sizes and the segments): ``{g}_mcap``, ``{g}_pe_mean``,
``sotp_{s}_value`` … For MODEL.md's three segments ``ls``, ``ads``, ``ec`` they are exactly §7's names.
"""

from dataclasses import dataclass, field

from .engine.inputs import DRIVERS, MULTIPLE_METRIC, MULTIPLES, UNIT_CONSTANTS, Segment, sweep_keys


@dataclass(frozen=True)
class Rule:
    """The values an input may take: bounds (``gt``/``ge``/``lt``/``le``) on a finite number."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    says: str = ""  # what a value must do, as in "penetration must {says}"

    def bounds(self) -> dict:
        """The bounds as keyword arguments (pydantic's ``Field`` takes them as they are)."""
        return {k: v for k, v in (("ge", self.ge), ("gt", self.gt), ("le", self.le), ("lt", self.lt)) if v is not None}

    def broken(self, x):
        """Where ``x`` (a number or a numpy array) breaks the rule (elementwise)."""
        bad = False
        for bound, fails in ((self.ge, lambda b: x < b), (self.gt, lambda b: x <= b), (self.le, lambda b: x > b),
                             (self.lt, lambda b: x >= b)):
            if bound is not None:
                bad = bad | fails(bound)
        return bad


RULES = {
    "fraction": Rule(ge=0, le=1, says="be between 0 and 1"),
    "open_fraction": Rule(gt=0, le=1, says="be above 0 and at most 1"),
    "positive": Rule(gt=0, says="be above 0"),
    "nonnegative": Rule(ge=0, says="not be negative"),
    "premium": Rule(gt=-1, le=10, says="be above -1 (a discount under 100%) and at most 10"),
    "number": Rule(says="be a number"),
    "minutes": Rule(ge=0, le=1440, says="be between 0 and 1440 minutes a day"),
}
"""Every number rule of the data file and the UDFs, by name."""


@dataclass(frozen=True)
class PublicName:
    """One defined name of the workbook.

    ``path`` is where an input's value lives in the quarter file, ``{i}``/``{j}`` standing for the row and
    column within the range; ``dated`` the (as-of, source) paths shown beside row ``{i}`` (None: none);
    ``dated_default`` the paths that stand for them where the file leaves them out (a peer's market cap is
    dated by its row unless it has a date of its own).
    """

    name: str
    role: str                 # input | choice | output
    shape: str                # MODEL.md notation: 1, 1x3, 3x3, 5x1, nx1, nx3, 1xk …
    unit: str
    meaning: str
    path: tuple = ()
    dated: tuple = (None, None)
    rule: str = ""
    model_md: bool = False
    first_row_dated: bool = False  # the as-of/source cells sit on the range's first row only
    size: tuple[int, int] = (1, 1)  # rows × columns of the range in this workbook
    columns: tuple = ()             # keys standing for ``{j}`` in ``path`` where they are not indices
    block: str = ""                 # the Assumptions block that lists the input (rows generated from this table)
    label: str = ""                 # its label's key in templates/labels/*.yaml, dotted
    fmt: str = ""                   # its number format's key (kwai_xl.workbook.styles.NUMBER_FORMATS)
    dated_default: tuple = (None, None)

    @property
    def is_input(self) -> bool:
        return self.role in ("input", "choice")

    def cell_path(self, i: int, j: int) -> tuple:
        """The data-file path of cell (i, j) of the range."""
        col = self.columns[j] if self.columns else j
        return tuple(i if p == "{i}" else col if p == "{j}" else p for p in self.path)

    def dated_paths(self, i: int) -> tuple:
        """(as-of path, source path) shown beside row ``i``; None where there is none."""
        return self._row_paths(self.dated, i)

    def default_dated_paths(self, i: int) -> tuple:
        """(as-of path, source path) that stand for :meth:`dated_paths` where the file leaves those out; None: none."""
        return self._row_paths(self.dated_default, i)

    def _row_paths(self, paths: tuple, i: int) -> tuple:
        if self.first_row_dated and i:
            return None, None
        return tuple(None if d is None else tuple(i if p == "{i}" else p for p in d) for d in paths)


@dataclass(frozen=True)
class GroupShape:
    key: str
    companies: int
    multiples: tuple[str, ...]


@dataclass(frozen=True)
class Structure:
    """What the name families depend on: peer groups (key, size, multiples shown), segments, context tables."""

    groups: tuple[GroupShape, ...]
    segments: tuple[Segment, ...]
    ranges: tuple[str, ...] = ()
    steps: int = 5
    context: dict = field(default_factory=dict)  # table key → (rows, columns)

    def group_multiples(self, key: str) -> tuple[str, ...]:
        """A group's multiples on Peer Comps: those listed, plus any a segment applies, in PS, PE, P/GMV order."""
        listed = next(g.multiples for g in self.groups if g.key == key)
        applied = {s.multiple for s in self.segments if s.group == key}
        return tuple(m for m in MULTIPLES if m in listed or m in applied)

    def fundamentals(self, key: str) -> tuple[str, ...]:
        """The fundamentals a group's multiples need (rev, np, gmv)."""
        needed = {MULTIPLE_METRIC[m] for m in self.group_multiples(key)}
        return tuple(f for f in ("rev", "np", "gmv") if f in needed)


def _scalar(name, section, key, unit, meaning, rule, model_md=False, label="", fmt="") -> PublicName:
    return PublicName(name, "input", "1", unit, meaning, (section, key, "value"), ((section, key, "as_of"),
                      (section, key, "source")), rule, model_md, block=section, label=label, fmt=fmt)


def _triple(name, section, key, unit, meaning, rule, label, fmt, model_md=True) -> PublicName:
    return PublicName(name, "input", "1x3", unit, meaning, (section, key, "values", "{j}"),
                      ((section, key, "as_of"), (section, key, "source")), rule, model_md, size=(1, 3), block=section,
                      label=label, fmt=fmt)


STATIC = (
    PublicName("scenario", "choice", "1", "text", "the scenario in force: Bear, Base or Bull",
               ("choices", "scenario", "value"), (None, ("choices", "scenario", "source")), model_md=True),
    PublicName("sotp_stat", "choice", "1", "text", "the peer statistic the SOTP applies: Mean or Median",
               ("choices", "statistic", "value"), (None, ("choices", "statistic", "source")), model_md=True),
    _scalar("price", "market", "price", "HKD", "Kuaishou's share price", "positive", True, "assumptions.price", "hkd"),
    _scalar("shares", "market", "shares", "百万 shares", "shares outstanding", "positive", True, "assumptions.shares", "int"),
    _scalar("fx_rmb_per_hkd", "market", "fx_rmb_per_hkd", "RMB per HKD", "the exchange rate", "positive", True,
            "assumptions.fx_rmb_per_hkd", "num4"),
    _scalar("net_cash", "market", "net_cash", "RMB 百万", "net cash added to the segments (0 unless set)", "number", True,
            "assumptions.net_cash", "int"),
    _scalar("holding_discount", "market", "holding_discount", "RMB 百万", "holding discount subtracted", "nonnegative",
            label="assumptions.holding_discount", fmt="int"),
    _scalar("um_netizens", "user_method", "netizens", "亿人", "internet users 2025E", "positive", True, "gmv.netizens", "num2"),
    _triple("um_penetration", "user_method", "penetration", "fraction", "live-commerce penetration per scenario", "fraction",
            "gmv.um_penetration", "pct"),
    _triple("um_active_ratio", "user_method", "active_ratio", "fraction", "active-buyer ratio per scenario", "fraction",
            "gmv.um_active_ratio", "pct"),
    _triple("um_spend", "user_method", "spend", "元 per buyer a year", "spend per buyer per scenario", "positive",
            "gmv.um_spend", "int"),
    PublicName("um_buyers", "output", "1x3", "亿人", "live-commerce buyers per scenario", model_md=True),
    PublicName("um_gmv_grid", "output", "3x3", "亿元", "user-method GMV, rows spend, columns buyers", model_md=True),
    PublicName("um_gmv", "output", "1", "亿元", "user-method GMV of the selected scenario", model_md=True),
    PublicName("cm_sales", "input", "5x1", "亿元", "2025E online sales of the five advantage categories",
               ("category_method", "categories", "{i}", "sales"),
               (("category_method", "sales_as_of"), ("category_method", "sales_source")), "nonnegative", True,
               first_row_dated=True, size=(5, 1)),
    PublicName("cm_sales_total", "output", "1", "亿元", "the five categories' sales summed", model_md=True),
    _scalar("cm_published_total", "category_method", "published_total", "亿元", "the seed's printed total", "nonnegative",
            label="gmv.published_total", fmt="int"),
    _triple("cm_penetration", "category_method", "penetration", "fraction", "the categories' live-commerce penetration",
            "fraction", "gmv.cm_penetration", "pct"),
    _scalar("cm_completion", "category_method", "completion", "fraction", "order completion rate", "open_fraction", True,
            "gmv.cm_completion", "pct"),
    _triple("cm_share", "category_method", "share", "fraction", "advantage categories' share of live-commerce GMV",
            "open_fraction", "gmv.cm_share", "pct"),
    PublicName("cm_adv_gmv", "output", "1x3", "亿元", "advantage-category GMV per scenario", model_md=True),
    PublicName("cm_gmv_grid", "output", "3x3", "亿元", "category-method GMV, rows share, columns advantage GMV",
               model_md=True),
    PublicName("cm_gmv", "output", "1", "亿元", "category-method GMV of the selected scenario", model_md=True),
    PublicName("ks_mcap", "output", "1", "HKD 百万", "Kuaishou's market cap = share price × shares"),
    *(PublicName(f"ks_{short}", "input", "1x3", "RMB 百万", f"Kuaishou's {long.replace('_', ' ')} FY0–FY2",
                 ("kuaishou", long, "{j}"), (("kuaishou", "as_of"), ("kuaishou", "source")), "number", size=(1, 3))
      for short, long in (("rev", "revenue"), ("np", "net_profit"), ("gmv", "gmv"))),
    *(PublicName(f"ks_{m}", "output", "1x3", "x", f"Kuaishou's own {m.upper()} FY0–FY2") for m in MULTIPLES),
    PublicName("sotp_equity_rmb", "output", "1", "RMB 百万", "Σ segment values + net cash − holding discount",
               model_md=True),
    PublicName("sotp_equity_hkd", "output", "1", "HKD 百万", "equity value in HKD", model_md=True),
    PublicName("sotp_per_share", "output", "1", "HKD", "value per share", model_md=True),
    PublicName("sotp_upside", "output", "1", "fraction", "value per share / share price − 1", model_md=True),
    *(PublicName(f"drv_{key}", "input", "1x3", "", f"driver-tree input {key} FY0–FY2 (blank: n.a.)",
                 ("drivers", key, "values", "{j}"), (("drivers", key, "as_of"), ("drivers", key, "source")),
                 {"minutes_per_day": "minutes", "inner_loop_take_rate": "fraction",
                  "monetisation_rate": "fraction"}.get(key, "nonnegative"), size=(1, 3)) for key in DRIVERS),
    PublicName("sotp_metric_source", "choice", "1", "text",
               "where the SOTP's segment figures come from: Typed, or Drivers (the driver tree's FY1)",
               ("choices", "metric_source", "value"), (None, ("choices", "metric_source", "source"))),
    *(PublicName(key, "constant", "1", "", f"unit conversion {key}") for key in UNIT_CONSTANTS),
)

MODEL_MD_GROUPS = {"ls": ("np", "pe"), "ads": ("rev", "ps"), "ec": ("gmv", "pgmv")}
"""MODEL.md §7's peer names for the default groups: the fundamental and the multiple it names."""


def _group_names(g: GroupShape, index: int, structure: Structure) -> list[PublicName]:
    base = ("peers", "groups", index, "companies", "{i}")
    dated = (base + ("as_of",), base + ("source",))
    default = MODEL_MD_GROUPS.get(g.key, (None, None))
    out = [PublicName(f"{g.key}_mcap", "input", "nx1", "百万, listed currency", f"group {g.key}: peers' market caps",
                      base + ("market_cap",), (base + ("market_cap_as_of",), base + ("market_cap_source",)), "positive",
                      g.key in MODEL_MD_GROUPS, size=(g.companies, 1), dated_default=dated)]
    for short in structure.fundamentals(g.key):
        long = {"rev": "revenue", "np": "net_profit", "gmv": "gmv"}[short]
        out.append(PublicName(f"{g.key}_{short}", "input", "nx3", "百万, reporting currency",
                              f"group {g.key}: peers' {long.replace('_', ' ')} FY0–FY2", base + (long, "{j}"), dated,
                              "number", default[0] == short, size=(g.companies, 3)))
    for m in structure.group_multiples(g.key):
        out.append(PublicName(f"{g.key}_{m}", "output", "nx3", "x", f"group {g.key}: peers' {m.upper()} FY0–FY2"))
        for stat in ("mean", "median", "count"):
            out.append(PublicName(f"{g.key}_{m}_{stat}", "output", "1x3", "count" if stat == "count" else "x",
                                  f"group {g.key}: {stat} of the peers' {m.upper()}", model_md=default[1] == m
                                  and stat != "count"))
    return out


def _segment_names(s: Segment, index: int) -> list[PublicName]:
    base = ("sotp", "segments", index)
    default = s.key in MODEL_MD_GROUPS
    metric = PublicName(s.metric_name, "input" if s.typed else "output", "1", "RMB 百万",
                        f"segment {s.key}: Kuaishou's FY1 {s.metric.replace('_', ' ')}",
                        base + ("value", "value") if s.typed else (),
                        (base + ("value", "as_of"), base + ("value", "source")) if s.typed else (None, None),
                        "positive", default)
    out = [metric]
    if s.margin:
        out += [PublicName(f"sotp_{s.key}_margin", "input", "1", "fraction", f"segment {s.key}: net margin",
                           base + ("margin", "value"), (base + ("margin", "as_of"), base + ("margin", "source")),
                           "open_fraction", default),
                PublicName(f"sotp_{s.key}_profit", "output", "1", "RMB 百万", f"segment {s.key}: revenue × margin")]
    out += [
        PublicName(f"sotp_{s.key}_premium", "input", "1", "fraction", f"segment {s.key}: premium to the peer multiple",
                   base + ("premium", "value"), (base + ("premium", "as_of"), base + ("premium", "source")), "premium"),
        PublicName(f"sotp_{s.key}_stat_override", "choice", "1", "text",
                   f"segment {s.key}: its own statistic (blank: sotp_stat)", base + ("statistic", "value"),
                   (None, base + ("statistic", "source"))),
        PublicName(f"sotp_{s.key}_stat", "output", "1", "text", f"segment {s.key}: the statistic applied"),
        PublicName(f"sotp_{s.key}_multiple", "output", "1", "x", f"segment {s.key}: the multiple applied"),
        PublicName(f"sotp_{s.key}_figure", "output", "1", "RMB 百万",
                   f"segment {s.key}: the FY1 figure used (typed or comps row, or the driver tree's by sotp_metric_source)"),
        PublicName(f"sotp_{s.key}_metric", "output", "1", "RMB 百万", f"segment {s.key}: the figure the multiple applies to"),
        PublicName(f"sotp_{s.key}_value", "output", "1", "RMB 百万", f"segment {s.key}: value", model_md=default),
    ]
    return out


def _sensitivity_names(structure: Structure) -> list[PublicName]:
    out = [PublicName("sens_steps", "input", f"1x{structure.steps}", "steps", "grid steps: 0 base, −1 low, +1 high",
                      ("sensitivity", "steps", "{j}"), (None, ("sensitivity", "steps_source")), "number",
                      size=(1, structure.steps))]
    for key in structure.ranges:
        base = ("sensitivity", "ranges", key)
        out.append(PublicName(f"rng_{key}", "input", "1x3", "", f"range of swept input {key}: low, high, basis",
                              base + ("{j}",), (base + ("as_of",), base + ("source",)), "number", size=(1, 3),
                              columns=("low", "high", "basis")))
    n = len(structure.ranges)
    out += [PublicName("sens_tornado_rank", "output", f"{n}x1", "rank", "each swept input's place by swing"),
            PublicName("sens_tornado_low", "output", f"{n}x1", "HKD", "value per share at each low, widest first"),
            PublicName("sens_tornado_high", "output", f"{n}x1", "HKD", "value per share at each high, widest first")]
    for name in ("sens_row_axis", "sens_col_axis", "sens_multiples", "sens_pen_axis", "sens_spend_axis",
                 "sens_pen_spend"):
        out.append(PublicName(name, "output", "grid", "", "the sensitivity grids and their axes"))
    return out


def assumption_rows(block: str) -> list[PublicName]:
    """The inputs the Assumptions sheet lists in ``block`` (market, user_method, category_method), in order."""
    return [pn for pn in STATIC if pn.block == block]


def public_names(structure: Structure) -> dict[str, PublicName]:
    """Every public name of a workbook with this structure."""
    names = list(STATIC)
    for k, g in enumerate(structure.groups):
        names += _group_names(g, k, structure)
    for k, s in enumerate(structure.segments):
        names += _segment_names(s, k)
    names += _sensitivity_names(structure)
    for key, (rows, cols) in structure.context.items():
        names.append(PublicName(f"ctx_{key}", "input", f"{rows}x{cols}", "", f"supporting table {key}",
                                ("context", key, "rows", "{i}", "values", "{j}"),
                                (("context", key, "as_of"), ("context", key, "source")), first_row_dated=True,
                                size=(rows, cols)))
    return {n.name: n for n in names}


def structure_of(q) -> Structure:
    """The structure of a validated quarter (:class:`kwai_xl.quarters.schema.Quarter`)."""
    segments = tuple(Segment(s.key, s.group, s.multiple, s.metric, s.value is not None, s.margin is not None)
                     for s in q.sotp.segments)
    return Structure(
        groups=tuple(GroupShape(g.key, len(g.companies), tuple(g.multiples)) for g in q.peers.groups),
        segments=segments,
        ranges=sweep_keys(segments),
        steps=len(q.sensitivity.steps),
        context={key: (len(t.rows), len(t.columns)) for key, t in q.context.items()},
    )


DEFAULT_STRUCTURE = Structure(
    groups=(GroupShape("ls", 4, ("ps", "pe")), GroupShape("ads", 4, ("ps", "pe")), GroupShape("ec", 4, ("ps", "pe", "pgmv"))),
    segments=(Segment("ls", "ls", "pe", "revenue", True, True), Segment("ads", "ads", "ps", "revenue", True, False),
              Segment("ec", "ec", "pgmv", "gmv", False, False)))
"""MODEL.md's structure: three groups of four peers and its three segments."""


def model_md_names(structure: Structure = DEFAULT_STRUCTURE) -> tuple[str, ...]:
    """MODEL.md §7's names that a workbook of ``structure`` defines (all of them for the default segments)."""
    return tuple(n for n, p in public_names(structure).items() if p.model_md)
