"""Charts the templates ask for, by item id (see :mod:`kwai_xl.workbook.layout`), never by address.

``kind``       ``columns`` (vertical bars), ``bars`` (horizontal), ``football`` (floating bars:
               the first series is the invisible base, the second the visible range) or
               ``tornado`` (horizontal bars of each series' deviation, stacked about zero);
``data``       an id of an h × w item (one series per row with ``by: rows``, per column with
               ``by: cols``; ``columns: [k, ...]`` keeps some), or a list of ids, one series each;
``categories`` the id of the item or block header that labels the categories, or ``labels``
               for the data rows' own labels (column A);
``series_titles`` ``labels`` names each row series by its label in column A; a list names them in turn;
``category_column`` the column of the ``categories`` item that holds the labels (default: all of it);
``widest_on_top`` lists horizontal bars top-down in row order (the tornado's ranking);
``lines``      ids of 1 × k items drawn as lines over the bars (a share price, a base value);
``title``, ``y_title``, ``width``, ``height``, ``number_format``.
"""

from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.legend import Legend, LegendEntry
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.utils import coordinate_to_tuple, quote_sheetname
from openpyxl.utils.units import cm_to_EMU

from ..errors import TemplateError
from .layout import References

PALETTE = ("8FAADC", "2F5597", "C55A11", "70AD47", "7F7F7F", "FFC000")


def _target(refs: References, ident: str, title: str):
    t = refs.targets.get(ident)
    if t is None:
        raise TemplateError(f"template chart {title!r}: no item with id {ident!r}")
    return t


def _ref(ws, t, r0=0, r1=None, c0=0, c1=None) -> Reference:
    r1 = t.h if r1 is None else r1
    c1 = t.w if c1 is None else c1
    return Reference(ws, min_col=t.col + c0, max_col=t.col + c1 - 1, min_row=t.row + r0, max_row=t.row + r1 - 1)


def _series(spec: dict, refs: References, wb, title: str) -> list[Series]:
    """The chart's series, titled where the spec asks."""
    data = spec["data"]
    if isinstance(data, list):
        out = []
        for ident in data:
            t = _target(refs, ident, title)
            s = Series(_ref(wb[t.sheet], t))
            s.tx = SeriesLabel(strRef=StrRef(f"{quote_sheetname(t.sheet)}!$A${t.row}"))
            out.append(s)
        return out
    t = _target(refs, data, title)
    ws = wb[t.sheet]
    if spec.get("by", "rows") == "rows":
        out = []
        for k in range(t.h):
            s = Series(_ref(ws, t, k, k + 1))
            if spec.get("series_titles") == "labels":
                s.tx = SeriesLabel(strRef=StrRef(f"{quote_sheetname(t.sheet)}!$A${t.row + k}"))
            out.append(s)
        return out
    out = []
    titles = spec.get("series_titles")
    for n, k in enumerate(spec.get("columns", range(t.w))):
        s = Series(_ref(ws, t, c0=k, c1=k + 1))
        if isinstance(titles, list):
            s.tx = SeriesLabel(v=titles[n])
        out.append(s)
    return out


def _title(text: str) -> Title:
    """A chart title at 11 pt, so it does not crowd the plot."""
    run = RegularTextRun(rPr=CharacterProperties(sz=1100, b=True), t=text)
    return Title(tx=Text(rich=RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=1100, b=True)), r=[run])])),
                 overlay=False)


def add_chart(ws, spec: dict, refs: References, anchor: str) -> None:
    """Add the chart ``spec`` describes to worksheet ``ws`` at cell ``anchor``."""
    wb = ws.parent
    title = spec.get("title", "")
    kind = spec.get("kind", "columns")
    chart = BarChart()
    chart.type = "col" if kind in ("columns", "football") else "bar"
    if kind == "tornado":
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.x_axis.tickLblPos = "low"  # category labels at the left edge, clear of the bars
    chart.title = _title(title)
    chart.height = spec.get("height", 7.5)
    chart.width = spec.get("width", 16)
    chart.y_axis.title = spec.get("y_title")
    chart.y_axis.numFmt = spec.get("number_format", "#,##0")
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    for k, series in enumerate(_series(spec, refs, wb, title)):
        series.graphicalProperties = GraphicalProperties(solidFill=PALETTE[k % len(PALETTE)])
        chart.series.append(series)
    if len(chart.series) == 1:
        chart.legend = None
    elif kind == "tornado":
        chart.legend.position = "b"
    if kind == "football":
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.series[0].graphicalProperties = GraphicalProperties(noFill=True)
        chart.series[0].graphicalProperties.line.noFill = True
        chart.legend = None
    categories = spec.get("categories")
    if categories == "labels":
        t = _target(refs, spec["data"], title)
        _text_categories(chart, Reference(wb[t.sheet], min_col=1, max_col=1, min_row=t.row, max_row=t.row + t.h - 1))
    elif categories:
        t = _target(refs, categories, title)
        col = spec.get("category_column")
        _text_categories(chart, _ref(wb[t.sheet], t) if col is None else _ref(wb[t.sheet], t, c0=col, c1=col + 1))
    if kind == "columns":  # bars of magnitudes start at zero, so a small gap does not look large
        chart.y_axis.scaling.min = 0
    if spec.get("widest_on_top"):
        chart.x_axis.scaling.orientation = "maxMin"
    if spec.get("lines"):
        chart += _lines(spec, refs, wb, title, chart)
    ws.add_chart(chart)
    chart.anchor = _inset(anchor, chart)


INSET_CM = 0.15  # a chart's offset into its top-left cell: its frame stays off a page break on that cell's edge


def _inset(cell: str, chart) -> OneCellAnchor:
    """A one-cell anchor at ``cell``, the chart set ``INSET_CM`` right of and below the cell's corner."""
    row, col = coordinate_to_tuple(cell)
    anchor = OneCellAnchor(_from=AnchorMarker(col=col - 1, colOff=cm_to_EMU(INSET_CM), row=row - 1,
                                              rowOff=cm_to_EMU(INSET_CM)),
                           ext=XDRPositiveSize2D(cm_to_EMU(chart.width), cm_to_EMU(chart.height)))
    return anchor


def _lines(spec: dict, refs: References, wb, title: str, bars: BarChart) -> LineChart:
    """Line series over the bars, one per id in ``spec["lines"]``, titled by their row labels."""
    lines = LineChart()
    for k, ident in enumerate(spec["lines"]):
        t = _target(refs, ident, title)
        s = Series(_ref(wb[t.sheet], t))
        s.tx = SeriesLabel(strRef=StrRef(f"{quote_sheetname(t.sheet)}!$A${t.row}"))
        colour = ("000000", "C00000")[k % 2]
        s.graphicalProperties = GraphicalProperties(ln=LineProperties(solidFill=colour, w=22000, prstDash="dash" if k else "solid"))
        s.marker.symbol = "none"
        lines.series.append(s)
    hidden = [LegendEntry(idx=0, delete=True)] if spec.get("kind") == "football" else []  # the invisible base
    bars.legend = Legend(legendPos="b", legendEntry=hidden)
    return lines


def _text_categories(chart, ref: Reference) -> None:
    """Label every series' categories with the text cells ``ref`` (a string reference, as OOXML wants for text)."""
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(ref)))
