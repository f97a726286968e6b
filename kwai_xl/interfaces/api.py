"""The model for notebooks: ``kwai_xl.load("2022Q2")``, values by public name, validated changes, pandas tables.

>>> m = kwai_xl.load("2022Q2")
>>> m["sotp_per_share"]                       # any MODEL.md §7 name: a float, text, or lists for ranges
>>> m2 = m.replace(price=70.0, um_spend=[6000, 9000, 10000])   # validated like the data file
>>> m.peer_comps, m.sotp_table, m.gmv_grid("user")           # pandas DataFrames, units in the column names

pandas is imported only when a table is asked for, so the CLI starts without it.
"""

import copy
from pathlib import Path

import numpy as np

from .. import paths
from ..engine.model import evaluate
from ..errors import KwaiError
from ..quarters.datafile import get_path, input_paths, set_path, validate_document
from ..quarters.inputs import inputs_from_quarter
from ..quarters.schema import Quarter, load_quarter
from ..registry import structure_of

MULTIPLE_LABEL = {"ps": "PS", "pe": "PE", "pgmv": "P/GMV"}


class InputError(KwaiError, ValueError):
    """A value given to :meth:`Model.replace` that the data file would refuse; the message is the same one line."""


def _plain(value):
    """A public value as plain Python: floats, text, lists (of lists) for ranges."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.ndim else _plain(value.item())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def _editable(node):
    """A dumped quarter with tuples as lists, so single cells can be set."""
    if isinstance(node, dict):
        return {k: _editable(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_editable(v) for v in node]
    return node


class Model:
    """One quarter's evaluated model: the data file's inputs and every public output (read-only)."""

    def __init__(self, quarter: Quarter, path: Path):
        self.quarter = quarter
        self.path = Path(path)
        self.outputs = evaluate(inputs_from_quarter(quarter))
        self._places = input_paths(quarter)

    def __repr__(self) -> str:
        return f"<kwai_xl.Model {self.quarter.quarter}: {self['sotp_per_share']:.2f} HKD per share at price {self['price']}>"

    def names(self) -> list[str]:
        """Every public name this model answers, inputs and outputs."""
        return sorted(set(self.outputs) | set(self._places))

    def __getitem__(self, name: str):
        if name in self.outputs:
            return _plain(self.outputs[name])
        if name not in self._places:
            raise KeyError(f"{name!r} is not a public name of the model (see MODEL.md §7 or Model.names())")
        data = self.quarter.model_dump()
        cells = self._places[name]
        rows = max(i for i, _ in cells) + 1
        cols = max(j for _, j in cells) + 1
        grid = [[get_path(data, cells[(i, j)], None) for j in range(cols)] for i in range(rows)]
        if rows == cols == 1:
            return grid[0][0]
        return grid[0] if rows == 1 else [row[0] for row in grid] if cols == 1 else grid

    def replace(self, **changes) -> "Model":
        """A new model with the named inputs changed, validated exactly as the data file is.

        A single cell takes a value, a row or column a list, a block a list of rows. A bad value
        raises :class:`InputError` (a ``ValueError``) with the data file's one-line message.
        """
        doc = _editable(self.quarter.model_dump())
        for name, value in changes.items():
            if name not in self._places:
                raise InputError(f"{name}: not an input of the model (inputs: see Model.names())")
            cells = sorted(self._places[name])
            flat = list(np.ravel(np.array(value, dtype=object))) if isinstance(value, (list, tuple, np.ndarray)) else [value]
            if len(flat) != len(cells):
                raise InputError(f"{name}: needs {len(cells)} value(s), got {len(flat)}")
            for cell, v in zip(cells, flat):
                set_path(doc, self._places[name][cell], v.item() if isinstance(v, np.generic) else copy.deepcopy(v))
        try:
            quarter = validate_document(self.path, doc)
        except KwaiError as err:
            raise InputError(str(err), field=err.field) from None
        return Model(quarter, self.path)

    @property
    def peer_comps(self):
        """Every peer and Kuaishou with their multiples (×) by year, then each group's mean, median and count.

        n.a. (missing metric) and n.m. (zero or negative) multiples are NaN; ``attrs["units"]`` names the units.
        """
        import pandas as pd

        years = [f"{y}{'A' if k == 0 else 'E'}" for k, y in enumerate(self.quarter.years)]
        rows = []

        def add(group, company, ticker, mults, values_of):
            row = {"group": group, "company": company, "ticker": ticker}
            for mult in ("ps", "pe", "pgmv"):
                values = values_of(mult) if mult in mults else [np.nan] * 3
                for year, v in zip(years, values):
                    row[f"{MULTIPLE_LABEL[mult]} {year} (×)"] = v if isinstance(v, (int, float)) else np.nan
            rows.append(row)

        structure = structure_of(self.quarter)
        for group in self.quarter.peers.groups:
            prefix, label, mults = group.key, group.name, structure.group_multiples(group.key)
            for i, peer in enumerate(group.companies):
                add(label, peer.name, peer.ticker, mults, lambda m, i=i, p=prefix: list(self.outputs[f"{p}_{m}"][i]))
            for stat in ("mean", "median", "count"):
                add(label, stat.capitalize(), "", mults, lambda m, s=stat, p=prefix: list(self.outputs[f"{p}_{m}_{s}"]))
        ks = self.quarter.kuaishou
        add("Kuaishou", ks.name, ks.ticker, ("ps", "pe", "pgmv"), lambda m: list(self.outputs[f"ks_{m}"]))
        frame = pd.DataFrame(rows)
        frame.attrs["units"] = {"multiples": "× (market cap / metric, same currency)", "count": "peers"}
        return frame

    @property
    def sotp_table(self):
        """The sum of the parts: each segment's metric (RMB 百万), multiple (×) and value (RMB 百万), then the totals."""
        import pandas as pd

        o = self.outputs
        rows = [{"segment": seg.name, "metric (RMB 百万)": o[f"sotp_{seg.key}_metric"], "statistic": o[f"sotp_{seg.key}_stat"],
                 "multiple (×)": o[f"sotp_{seg.key}_multiple"], "value (RMB 百万)": o[f"sotp_{seg.key}_value"]}
                for seg in self.quarter.sotp.segments]
        rows.append({"segment": "Net cash", "value (RMB 百万)": self["net_cash"]})
        rows.append({"segment": "Holding discount", "value (RMB 百万)": -self["holding_discount"]})
        rows.append({"segment": "Equity value", "value (RMB 百万)": o["sotp_equity_rmb"]})
        frame = pd.DataFrame(rows)
        frame.attrs.update(units={"metric": "RMB 百万", "value": "RMB 百万", "multiple": "×"},
                           per_share_hkd=o["sotp_per_share"], upside=o["sotp_upside"], equity_hkd_mn=o["sotp_equity_hkd"])
        return frame

    def gmv_grid(self, method: str = "user"):
        """The 3 × 3 live-commerce GMV grid (亿元): "user" rows spend (元), columns buyers (亿人);
        "category" rows advantage share, columns advantage GMV (亿元)."""
        import pandas as pd

        if method == "user":
            grid, index, columns = self.outputs["um_gmv_grid"], self["um_spend"], self.outputs["um_buyers"]
            names = ("spend per buyer (元)", "buyers (亿人)")
        elif method == "category":
            grid, index, columns = self.outputs["cm_gmv_grid"], self["cm_share"], self.outputs["cm_adv_gmv"]
            names = ("advantage share (fraction)", "advantage GMV (亿元)")
        else:
            raise InputError(f"gmv_grid: method must be 'user' or 'category' (got {method!r})")
        frame = pd.DataFrame(np.asarray(grid, dtype=float), index=pd.Index([float(v) for v in index], name=names[0]),
                             columns=pd.Index([float(v) for v in columns], name=names[1]))
        frame.attrs["units"] = "亿元"
        return frame


def load(quarter: str | Path = paths.DEFAULT_QUARTER) -> Model:
    """The evaluated model of a quarter (e.g. "2022Q2") or of a data file's path."""
    path = paths.quarter_path(str(quarter))
    return Model(load_quarter(path), path)
