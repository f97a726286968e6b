"""The ``kwai-xl`` process's entry point: the command line, started with less garbage collection.

A build allocates some million objects (imports, YAML nodes, openpyxl cells) and keeps most of
them to the end; Python's collector would walk the ever-growing heap again and again (about a
tenth of a cold build's time). The collector is off while the command line's modules import,
those objects are then frozen (never scanned again), and the young generation is collected less
often. A long-running process that imports :mod:`kwai_xl.interfaces.cli` (a notebook, the tests)
keeps Python's defaults.
"""

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between collections of the young generation (Python's default: 700)."""


def run() -> None:
    """Run ``kwai-xl`` with the command line's arguments (see the module's docstring)."""
    gc.disable()
    try:
        from .cli import main
    finally:
        gc.freeze()
        gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        gc.enable()
    main()
