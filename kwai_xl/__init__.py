"""kwai-xl: a code-backed, formula-live Excel valuation model of Kuaishou (01024.HK).

The arithmetic lives here once, in pure Python (numpy); the workbook's formulas,
the xlwings UDFs and the CLI are its clients.
"""

__version__ = "0.1.0"

API = ("load", "Model", "InputError")
"""The notebook API (kwai_xl.interfaces.api), imported on first use so the CLI starts without it."""


def __getattr__(name: str):
    if name in API:
        from .interfaces import api

        return getattr(api, name)
    raise AttributeError(f"module 'kwai_xl' has no attribute {name!r}")
