"""kwai-xl: a code-backed, formula-live Excel valuation model of Kuaishou (01024.HK).

The arithmetic lives here once, in pure Python (numpy); the workbook's formulas,
the xlwings UDFs and the CLI are its clients.
"""

__version__ = "0.1.0"
