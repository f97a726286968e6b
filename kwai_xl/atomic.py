"""Writing files whole or not at all: a temporary file beside the target, renamed into place."""

import functools
import os
import tempfile
from pathlib import Path


def _naming_the_target(write):
    """An OSError (disk full, read-only folder, permission denied) names the file meant, not the temporary one."""
    @functools.wraps(write)
    def wrapper(path, *args, **kwargs):
        try:
            return write(path, *args, **kwargs)
        except OSError as err:
            raise OSError(err.errno, err.strerror or str(err), str(path)) from None
    return wrapper


@_naming_the_target
def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    A run killed midway leaves only its temporary file; the next write to ``path`` removes those.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        leftover.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
