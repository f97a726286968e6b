"""The UDFs as an xlwings Lite project: ``main.py``, the engine as a package, ``requirements.txt``.

xlwings Lite (Excel on Windows, Mac and the web, Python in the browser via
Pyodide) runs ``main.py`` and can import further files of the project. The
bundle holds ``udfs.py`` as ``main.py`` and the engine modules it needs as the
package ``kwai_xl`` (real files, so a traceback in Lite names the file and
line), so the functions in Lite are the very code the tests check.
"""

from pathlib import Path

from .. import __version__, paths
from ..atomic import write_atomically

LITE_MODULES = ("engine/__init__.py", "engine/scenarios.py", "engine/gmv.py", "engine/comps.py", "engine/sotp.py",
                "engine/inputs.py", "registry.py", "interfaces/__init__.py", "interfaces/excel_args.py")
"""The package files the UDFs import (pure Python and numpy), relative to kwai_xl/."""
REQUIREMENTS = "xlwings\nnumpy\npandas\n"
"""What the bundle needs besides the standard library; Lite ships xlwings, numpy comes from Pyodide."""
PACKAGE_INIT = f'"""kwai-xl {__version__}: the engine modules the UDFs need, bundled for xlwings Lite by `kwai-xl lite`."""\n'
MAIN_HEADER = (f"# kwai-xl {__version__} UDFs for xlwings Lite, written by `kwai-xl lite` from udfs.py; "
               "regenerate after upgrading kwai-xl, do not edit by hand.\n")


def lite_files(root: Path = paths.ROOT) -> dict[str, str]:
    """Relative path → text of every file of the Lite project."""
    files = {"main.py": MAIN_HEADER + (root / "udfs.py").read_text(encoding="utf-8"),
             "requirements.txt": REQUIREMENTS, "kwai_xl/__init__.py": PACKAGE_INIT}
    for name in LITE_MODULES:
        files[f"kwai_xl/{name}"] = (root / "kwai_xl" / name).read_text(encoding="utf-8")
    return files


def write_lite_project(out: Path) -> list[Path]:
    """Write the Lite project into folder ``out`` (created if needed); return the files written."""
    written = []
    for rel, text in lite_files().items():
        path = Path(out) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text.encode("utf-8"))
        written.append(path)
    return written
