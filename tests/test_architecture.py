"""The package's layers, and the arrows between them pointing one way: each module imports only from its own
layer and those below it; the engine imports no spreadsheet library at all."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kwai_xl"
LAYERS = [
    ("engine", {"engine"}),  # the arithmetic, pure numpy
    ("base", {"errors", "paths", "atomic", "diskcache", "safeyaml", "registry"}),  # the registry lists engine fields
    ("quarter data", {"quarters"}),
    ("workbook writing", {"workbook"}),
    ("reading and verifying", {"readback"}),
    ("interfaces", {"interfaces", "__main__"}),
]
"""Bottom to top: (layer, the top-level modules and folders of ``kwai_xl`` in it)."""
SPREADSHEET_LIBRARIES = ("openpyxl", "xlwings", "formualizer", "python_calamine", "jinja2")


def _layer(module: str) -> int:
    """The layer of ``kwai_xl.X…`` by its first part X; the package itself (``kwai_xl``, its version) is at the bottom."""
    parts = module.split(".")
    if len(parts) == 1 or not any((PACKAGE / f"{parts[1]}{suffix}").exists() for suffix in ("", ".py")):
        return 0  # the package, or a name it defines (__version__)
    return next(k for k, (_, members) in enumerate(LAYERS) if parts[1] in members)


def _imports(path: Path) -> list[tuple[str, int]]:
    """(module imported, line) of every import in the file at ``path``, relative ones made absolute."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            out += [(target, node.lineno)] if node.module else [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_a_module_imports_from_its_layer_and_those_below(path):
    if path == PACKAGE / "__init__.py":  # the notebook API, imported on first use: kwai_xl.load and kin
        return
    own = _layer(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
    upward = [f"line {line}: {target} ({LAYERS[_layer(target)][0]})" for target, line in _imports(path)
              if target.startswith("kwai_xl") and _layer(target) > own]
    assert not upward, f"{LAYERS[own][0]} imports from above: {upward}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "engine").glob("*.py")), ids=lambda p: p.name)
def test_the_engine_imports_no_spreadsheet_library(path):
    used = [target for target, _ in _imports(path) if target.split(".")[0] in SPREADSHEET_LIBRARIES]
    assert not used


def test_every_module_is_in_a_layer():
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in MODULES} - {"__init__"}
    assert tops == set().union(*(members for _, members in LAYERS))
