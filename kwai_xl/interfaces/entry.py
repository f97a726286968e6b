"""The ``kwai-xl`` process's entry point: the command line, its imports made without garbage collection.

Importing the command line allocates some hundred thousand objects that live to the end;
Python's collector would walk them again and again while they are made, and then at every
later collection (about a tenth of a cold build's time). The collector is off while the
command line's modules import, and what they made is then frozen: never scanned again.
A long-running process that imports :mod:`kwai_xl.interfaces.cli` (a notebook, the tests)
keeps Python's defaults.

pydantic looks for plugins of its own (in every installed package's entry points) when it makes
its first validator; kwai-xl uses none, so the process says so (``PYDANTIC_DISABLE_PLUGINS``,
unless it is set already) and skips the search.
"""

import gc
import os


def run() -> None:
    """Run ``kwai-xl`` with the command line's arguments (see the module's docstring)."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()
    try:
        from .cli import main
    finally:
        gc.freeze()
        gc.enable()
    main()
