"""A quarter file as a round-trip document: where each public input lives in it, and editing it in place.

ruamel.yaml's round-trip mode keeps the file's comments, key order and flow
style, so a tool's edit reads like an analyst's.
"""

import io
import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from ..errors import KwaiError
from ..registry import public_names, structure_of
from ..safeyaml import safe_yaml
from .schema import Quarter, parse_quarter, read_yaml

Path_ = tuple  # a path into the document: keys and list indices


def round_trip_yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the shipped files indent list items under their key
    yaml.allow_duplicate_keys = False
    return yaml


def load_document(path: Path):
    """The quarter file as a round-trip document (after checking it parses at all)."""
    read_yaml(Path(path))
    return round_trip_yaml().load(Path(path).read_text(encoding="utf-8"))


def dump_document(doc) -> str:
    buf = io.StringIO()
    round_trip_yaml().dump(doc, buf)
    return buf.getvalue()


def validate_document(path: Path, doc, partial: bool = False) -> Quarter:
    """Validate an edited document as if it were the file at ``path`` (``partial``: one being filled in)."""
    return parse_quarter(Path(path), safe_yaml().load(dump_document(doc)), partial)


MISSING = object()


def get_path(doc, path: Path_, default=MISSING):
    """The value at ``path``; ``default`` (if given) where a mapping lacks the key."""
    node = doc
    for key in path:
        if default is not MISSING and isinstance(node, dict) and key not in node:
            return default
        node = node[key]
    return node


def set_path(doc, path: Path_, value) -> None:
    """Write ``value`` at ``path``; a text quoted as the text it replaces is (see :func:`_quoted_like`)."""
    parent = get_path(doc, path[:-1])
    parent[path[-1]] = _quoted_like(parent, path[-1], value)


_QUOTES = (DoubleQuotedScalarString, SingleQuotedScalarString)


def _quoted_like(parent, key, value):
    """``value`` quoted as the text it replaces at ``parent[key]`` is, or, for a key new to a mapping, as the
    mapping's other quoted texts are (a new ``market_cap_source`` reads like its row's ``source``); other values,
    and a text replacing an unquoted one, as they are. Single quotes only for text they show as it is."""
    if not isinstance(value, str) or isinstance(value, ScalarString):
        return value
    if isinstance(parent, dict) and key not in parent:
        models = list(parent.values())
    elif isinstance(parent, dict) or (isinstance(key, int) and 0 <= key < len(parent)):
        models = [parent[key]]
    else:
        models = []
    style = next((type(v) for v in models if isinstance(v, _QUOTES)), None)
    if style is SingleQuotedScalarString and not value.isprintable():
        style = DoubleQuotedScalarString
    return style(value) if style else value


ROLLED = re.compile(r"rolled from (?P<quarter>\d{4}Q[1-4]): refresh(?: (?P<years>\d{4}(?:, \d{4})*))?(?: — (?P<rest>.*))?$")
"""``new-quarter``'s note at the end of a rolled figure's line: the fiscal years whose figures are to refresh,
then the comment the line had (a note without years, of an older roll, stands for every figure of the line)."""


def _line_comment(mapping, key) -> tuple[str | None, str]:
    """(the comment at the end of ``key``'s line, without its ``#``, or None; the comment lines below it)."""
    token = mapping.ca.items.get(key, [None] * 4)[2]
    if token is None:
        return None, ""
    text = token.value
    if not text.startswith("#"):
        return None, text
    first, newline, below = text.partition("\n")
    return first[1:].strip(), newline + below


def _set_line_comment(mapping, key, comment: str | None, below: str) -> None:
    """End ``key``'s line with ``# comment`` (none for None) and keep the comment lines ``below`` it."""
    slots = mapping.ca.items.setdefault(key, [None] * 4)
    token = slots[2]
    if comment is None and below in ("", "\n"):
        slots[2] = None
        return
    column = token.column if token is not None and token.value.startswith("#") else _comment_column(mapping, key)
    slots[2] = CommentToken((f"# {comment}" if comment else "") + (below or "\n"), CommentMark(column))


def _comment_column(mapping, key) -> int:
    """Where a new end-of-line comment on ``key``'s line starts: its neighbours' column, else just after the line."""
    return max((slots[2].column for k, slots in mapping.ca.items.items()
                if k != key and slots[2] is not None and slots[2].value.startswith("#")), default=0)


def mark_rolled(mapping, key, quarter: str, years: list[int]) -> None:
    """End ``key``'s line with ``# rolled from QUARTER: refresh Y, Y`` (the years whose figures were rolled),
    ahead of the comment the line had (kept after " — "); the comment lines below it stay."""
    comment, below = _line_comment(mapping, key)
    note = f"rolled from {quarter}: refresh {', '.join(map(str, years))}"
    _set_line_comment(mapping, key, note + (f" — {comment}" if comment else ""), below)


def refreshed(doc, path: Path_) -> None:
    """A new figure was written at ``path``: its fiscal year leaves the rolled note of its line, and the note goes
    with the last one (a figure that is one value, not a year's, takes it at once). Every other comment stays."""
    per_year = isinstance(path[-1], int)
    mapping, key = get_path(doc, path[:-2] if per_year else path[:-1]), path[-2] if per_year else path[-1]
    comment, below = _line_comment(mapping, key) if hasattr(mapping, "ca") else (None, "")
    rolled = ROLLED.match(comment or "")
    if rolled is None:
        return
    year = str(doc["years"][path[-1]]) if per_year else None
    left = [y for y in (rolled["years"] or "").split(", ") if year and y not in ("", year)]
    note = f"rolled from {rolled['quarter']}: refresh {', '.join(left)}" if left else None
    _set_line_comment(mapping, key, " — ".join(t for t in (note, rolled["rest"]) if t) or None, below)


def input_paths(q: Quarter) -> dict[str, dict[tuple[int, int], Path_]]:
    """For each public input name: cell (row, column) within the name's range → path in the quarter file."""
    return {pn.name: {(i, j): pn.cell_path(i, j) for i in range(pn.size[0]) for j in range(pn.size[1])}
            for pn in public_names(structure_of(q)).values() if pn.is_input and pn.path}


def dated_paths(q: Quarter, name: str, row: int) -> tuple[tuple[Path_ | None, Path_ | None], tuple[Path_ | None, Path_ | None]]:
    """(as-of path, source path) in the quarter file for row ``row`` of public name ``name``, None where there is
    none; and the (as-of path, source path) that stand for them where the file leaves them out (None, None: none)."""
    pn = public_names(structure_of(q)).get(name)
    if pn is None:
        raise KwaiError(f"no data-file place for input {name!r}")
    return pn.dated_paths(row), pn.default_dated_paths(row)

def shown(value) -> str:
    """A data-file value as people read it (pull, diff, market import): dates ISO, numbers with separators, text as is, none as n.a."""
    if value is None or value == "—":
        return "n.a." if value is None else value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.6g}"
