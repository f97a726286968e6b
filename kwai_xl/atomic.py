"""Writing files whole or not at all, and one writer at a time.

A write goes to a temporary file beside the target (``.NAME.PID.XXXX.tmp``) and is
renamed into place; the result has the target's existing mode, or the one the
user's umask gives a new file (0644 under umask 022). :func:`locked` holds an
advisory lock (``.NAME.lock`` beside the file) so that kwai-xl runs touching the
same file take turns.
"""

import functools
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import KwaiError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

STALE_TMP_S = 3600   # a temporary file older than this is a leftover, whoever wrote it
LOCK_WAIT_S = 120    # how long a run waits for another's lock before giving up


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _leftover(tmp: Path) -> bool:
    """Whether ``tmp`` belongs to no live run: its writer's process is gone, or it is over an hour old."""
    try:
        pid = int(tmp.name.split(".")[-3])
        if fcntl is not None:  # POSIX: signal 0 only asks whether the process exists (on Windows it would end it)
            os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return True
    except PermissionError:  # another user's live process
        pass
    try:
        return time.time() - tmp.stat().st_mtime > STALE_TMP_S
    except FileNotFoundError:
        return False


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

    A run killed midway leaves only its temporary file; later writes remove those of
    dead runs, never those of runs still writing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        if tmp.name.split(".")[-3] != str(os.getpid()) and _leftover(tmp):
            tmp.unlink(missing_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _umask_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def lock_path(path: Path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


@contextmanager
def locked(path: Path, wait_s: float = LOCK_WAIT_S, keep: bool = False):
    """Hold the lock of ``path`` (waiting up to ``wait_s`` seconds for another run); yields the lock file's path.

    The lock file is removed on release unless ``keep`` (pull keeps notes in it); a run that locked a
    file removed meanwhile tries again on the new one.
    """
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, _umask_mode())
        except OSError as err:
            raise KwaiError(f"{path}: cannot take its lock {lock.name} ({err.strerror})") from None
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except (BlockingIOError, PermissionError):  # held by another run (msvcrt says PermissionError)
            os.close(fd)
            if time.monotonic() > deadline:
                raise KwaiError(f"{path}: another kwai-xl run has held it for {wait_s:.0f} s; "
                                f"try again when it has finished") from None
            time.sleep(0.05)
            continue
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the lock file was removed by its last holder: lock the new one
    try:
        yield lock
    finally:
        if not keep:
            lock.unlink(missing_ok=True)
        os.close(fd)
