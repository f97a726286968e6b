"""What a safe .xlsx package is: checked before any parser sees the file."""

import zipfile
from pathlib import Path

from ..errors import KwaiError

MAX_FILE_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 300 * 2**20
MAX_RATIO = 100  # unpacked / packed size of one part, beyond which it is a zip bomb
MAX_PARTS = 2000
HEAD_BYTES = 2048


def open_checked(path: Path) -> Path:
    """``path`` if it is a safe-looking .xlsx package; a one-line :class:`KwaiError` otherwise.

    Checked before any parser sees the file: size, zip structure, total and per-part
    unpacked size (zip bombs), and no DTD in any XML part (entity-expansion attacks).
    """
    path = Path(path)
    if not path.is_file():
        raise KwaiError(f"{path}: no such workbook")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise KwaiError(f"{path}: {path.stat().st_size / 2**20:.0f} MiB is larger than a kwai-xl workbook can be "
                        f"({MAX_FILE_BYTES // 2**20} MiB)")
    if not zipfile.is_zipfile(path):
        raise KwaiError(f"{path}: not an .xlsx workbook (not a zip package: truncated, password-protected "
                        f"or another format?)")
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            names = {p.filename for p in parts}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise KwaiError(f"{path}: a zip package but not an .xlsx workbook (no [Content_Types].xml or xl/ part)")
            if len(parts) > MAX_PARTS:
                raise KwaiError(f"{path}: {len(parts)} parts in the package, more than {MAX_PARTS}")
            total = sum(p.file_size for p in parts)
            if total > MAX_UNPACKED_BYTES:
                raise KwaiError(f"{path}: unpacks to {total / 2**20:.0f} MiB, more than {MAX_UNPACKED_BYTES // 2**20} "
                                f"MiB (a zip bomb?)")
            for part in parts:
                if part.file_size > 2**20 and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                    raise KwaiError(f"{path}: part {part.filename} unpacks {part.file_size // max(part.compress_size, 1)}"
                                    f" times its packed size (a zip bomb?)")
                if part.filename.endswith((".xml", ".rels", ".vml")):
                    with z.open(part) as fh:
                        head = fh.read(HEAD_BYTES)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise KwaiError(f"{path}: part {part.filename} declares a DTD or entities, which no .xlsx "
                                        f"needs (an XML entity attack?)")
    except zipfile.BadZipFile as err:
        raise KwaiError(f"{path}: a damaged zip package ({err})") from None
    return path
