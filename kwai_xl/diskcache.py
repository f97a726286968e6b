"""kwai-xl's private cache folder, and what is kept there: parsed YAML documents by the SHA-256 of their text.

A build parses some 130 KB of YAML (its data file, later quarters' files, the label files and every
rendered sheet template) and most of it is the same text as the build before: the same quarter
rebuilt, or a quarter edited in a few places. A document's parse is kept, keyed by its exact text
and by the parser's revision, and read back instead of parsing it again, about 0.05 s of a cold
build. It is only a parse: validation, rendering and everything after run every time, and a text
changed by one character is a different key.

The folder is ``$XDG_CACHE_HOME/kwai-xl`` (``~/.cache/kwai-xl``), made private (mode 700) and
checked on every use: a folder or file of anyone else's, writable by others or reached through a
symbolic link is neither read nor written. What is read back is unpickled with only plain data
allowed (dicts, lists, text, numbers, dates), never code. ``KWAI_XL_CACHE=off`` keeps nothing on disk
(compiled templates included).
"""

import hashlib
import io
import os
import pickle
import stat
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

MAX_ENTRIES = 2000
"""Parsed documents kept; past this, the older half is removed (a build adds some 20 when all its texts are new)."""


def enabled() -> bool:
    """Whether kwai-xl keeps anything on disk (``KWAI_XL_CACHE=off`` says not)."""
    return os.environ.get("KWAI_XL_CACHE", "").lower() not in ("off", "0", "no", "false")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/kwai-xl`` (default ``~/.cache/kwai-xl``)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "kwai-xl"


def private(st: os.stat_result) -> bool:
    """Whether a file or folder is this user's and no one else can write it."""
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def open_private_dir(path: Path, make: bool = False) -> int | None:
    """A descriptor of the folder ``path`` if it is private (no symbolic link followed), else None; ``make``: made
    (mode 700) where it is missing. None on a system without users' ids."""
    if not hasattr(os, "getuid"):
        return None
    if make:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    return _if_private(fd)


def open_private_subdir(parent: Path, name: str, make: bool = False) -> int | None:
    """A descriptor of the folder ``name`` in the folder ``parent``, both private (:func:`open_private_dir`; ``name``
    opened through ``parent``'s descriptor, so neither is reached through a link or a folder of anyone else's)."""
    parent_fd = open_private_dir(parent, make)
    if parent_fd is None:
        return None
    try:
        if make:
            try:
                os.mkdir(name, 0o700, dir_fd=parent_fd)
            except FileExistsError:
                pass
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
    except (OSError, NotImplementedError):
        return None
    finally:
        os.close(parent_fd)
    return _if_private(fd)


def _if_private(fd: int) -> int | None:
    """``fd`` when what it opens is private (:func:`private`), else None (and closed)."""
    if private(os.fstat(fd)):
        return fd
    os.close(fd)
    return None


def open_private_file(name: str, dir_fd: int):
    """The regular, private file ``name`` in the folder ``dir_fd``, opened for reading, or None (no link followed,
    and no wait on a pipe or device planted there)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except (OSError, NotImplementedError):
        return None
    st = os.fstat(fd)
    if not (stat.S_ISREG(st.st_mode) and private(st)):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def unusable() -> str | None:
    """Why an existing cache folder is not used, in a line for the analyst (it is slower so); None when it is used,
    absent (it is made on first use) or caching is off."""
    if not enabled() or not hasattr(os, "getuid"):
        return None
    try:
        folder = cache_dir()
        st = os.lstat(folder)
    except (OSError, RuntimeError, KeyError):
        return None
    if stat.S_ISLNK(st.st_mode):
        why = "is a symbolic link"
    elif not stat.S_ISDIR(st.st_mode):
        why = "is not a folder"
    elif st.st_uid != os.getuid():
        why = "belongs to another user"
    elif not private(st):
        why = f"can be written by others (mode {stat.S_IMODE(st.st_mode):o})"
    else:
        return None
    return (f"{folder} {why}: kwai-xl keeps no compiled templates or parsed files there, so builds are slower; "
            f"make it yours and private (chmod 700), or remove it and kwai-xl makes a new one")


_PLAIN_DATA = {("datetime", "date"): date, ("datetime", "datetime"): datetime,
               ("datetime", "timedelta"): timedelta, ("datetime", "timezone"): timezone}


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler of plain data only: builtin containers and scalars, and the dates YAML gives."""

    def find_class(self, module, name):
        if (module, name) in _PLAIN_DATA:
            return _PLAIN_DATA[(module, name)]
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


class ParseCache:
    """Parsed documents in the folder ``name`` of the private folder ``parent``, keyed by kind (how the text was
    read) and text."""

    def __init__(self, parent: Path, name: str, revision: str):
        self.parent, self.name, self.revision = parent, name, revision

    @property
    def folder(self) -> Path:
        return self.parent / self.name

    def _name(self, kind: str, text: str) -> str:
        digest = hashlib.sha256(f"{self.revision}\0{kind}\0".encode("utf-8"))
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest() + ".pickle"

    def get(self, kind: str, text: str):
        """``(document,)`` as kept for ``text`` read as ``kind``, or None. A document read is marked as used, so the
        trimming keeps what is read often."""
        dir_fd = open_private_subdir(self.parent, self.name)
        if dir_fd is None:
            return None
        name = self._name(kind, text)
        try:
            fh = open_private_file(name, dir_fd)
            if fh is None:
                return None
            with fh:
                try:
                    document = _PlainUnpickler(io.BytesIO(fh.read())).load()
                except Exception:  # a file cut short or not ours: parsed again, and kept anew
                    return None
            try:
                os.utime(name, dir_fd=dir_fd, follow_symlinks=False)
            except (OSError, NotImplementedError):
                pass
            return (document,)
        finally:
            os.close(dir_fd)

    def put(self, kind: str, text: str, document) -> None:
        """Keep ``document``, the parse of ``text`` read as ``kind``; nothing where the folder is not private."""
        try:
            data = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return
        dir_fd = open_private_subdir(self.parent, self.name, make=True)
        if dir_fd is None:
            return
        name = self._name(kind, text)
        temporary = f".{name}.{os.getpid()}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            self._trim(dir_fd)
        except (OSError, NotImplementedError):
            try:
                os.unlink(temporary, dir_fd=dir_fd)
            except OSError:
                pass
        finally:
            os.close(dir_fd)

    @staticmethod
    def _trim(dir_fd: int) -> None:
        """Past :data:`MAX_ENTRIES` documents, remove the half least recently used; and what a process killed while
        writing left behind (a temporary file over an hour old)."""
        names = os.listdir(dir_fd)
        used = {n: os.stat(n, dir_fd=dir_fd, follow_symlinks=False).st_mtime_ns for n in names}
        hour_ago = time.time_ns() - 3600 * 10**9
        kept = [n for n in names if n.endswith(".pickle")]
        gone = [n for n in names if n.endswith(".tmp") and used[n] < hour_ago]
        if len(kept) > MAX_ENTRIES:
            gone += sorted(kept, key=used.get)[: len(kept) // 2]
        for name in gone:
            try:
                os.unlink(name, dir_fd=dir_fd)
            except OSError:
                pass


def _parser_revision() -> str:
    """What a kept parse depends on besides its text: Python's, ruamel.yaml's and its C parser's versions, and
    kwai-xl's parsing code (the text of the modules that build and bound documents)."""
    import ruamel.yaml

    try:  # ruamel.yaml.clib's parser (its build, by the size of the module, and the libyaml it holds)
        import _ruamel_yaml

        clib = f"{_ruamel_yaml.get_version_string()}:{os.stat(_ruamel_yaml.__file__).st_size}"
    except (ImportError, OSError, AttributeError):
        clib = "none"
    here = Path(__file__).resolve().parent
    return "|".join([sys.version, ruamel.yaml.__version__, clib,
                     code_digest([here / "safeyaml.py", here / "quarters" / "schema.py"])])


def code_digest(paths: list[Path]) -> str:
    """SHA-256 of the files at ``paths``, by content (a copy that keeps a file's size and time is still told apart)."""
    code = hashlib.sha256()
    for path in paths:
        code.update(path.read_bytes() if path.exists() else b"")
        code.update(b"\0")
    return code.hexdigest()


_CACHES: dict[Path, ParseCache | None] = {}


def parse_cache() -> ParseCache | None:
    """The parse cache under :func:`cache_dir` (its ``yaml`` folder), or None when caching is off."""
    if not enabled():
        return None
    try:
        folder = cache_dir() / "yaml"
    except (RuntimeError, KeyError):  # no home folder to keep it in
        return None
    if folder not in _CACHES:
        _CACHES[folder] = ParseCache(folder.parent, folder.name, _parser_revision())
    return _CACHES[folder]
