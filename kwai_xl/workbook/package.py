"""What a safe .xlsx package is: checked before any parser sees the file.

Every check reads the zip's directory or streams a part in chunks, so a hostile
file costs bounded time and memory whatever it claims: its size, its parts'
unpacked sizes (zip bombs), a DTD or entity declaration anywhere in any XML part,
read in the encoding the part declares (entity-expansion attacks), the number of
XML elements (a three-million-cell sheet), and, where asked, kwai-xl's identity
property before the workbook is parsed at all.
"""

import codecs
import hashlib
import io
import posixpath
import re
import warnings
import zipfile
from pathlib import Path

from defusedxml import ElementTree
from openpyxl import load_workbook

from ..errors import KwaiError
from .sheetdata import xml_text

MAX_FILE_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 300 * 2**20
MAX_RATIO = 100  # unpacked / packed size of one part, beyond which it is a zip bomb
MAX_PARTS = 2000
MAX_ELEMENTS = 500_000
"""XML elements in all parts together (a kwai-xl workbook has about 8,500; a cell is two or three)."""
MAX_PROPERTIES_BYTES = 2**20
CHUNK = 2**20
DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
CUSTOM_PROPERTIES = "docProps/custom.xml"
CORE_PROPERTIES = "docProps/core.xml"
APP_PROPERTIES = "docProps/app.xml"
EXTENDED_FIELDS = ("Company", "Manager", "HyperlinkBase")
"""The extended document properties one sets (Excel's File › Properties; LibreOffice's custom properties of these
names); the rest of the extended properties part is the saving application's: its name, version, statistics."""
PACKAGE_PROPERTY = "kwai_xl_package"
"""Custom property: the digest of every part as built (:func:`package_digest`); a file no application has
saved since still matches it."""
UNSTAMPED = "0" * 64
"""The value ``build`` gives :data:`PACKAGE_PROPERTY` until :func:`repacked` records the digest."""
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BOMLESS = ((b"\0\0\0<", "utf-32-be"), (b"<\0\0\0", "utf-32-le"), (b"\0<\0?", "utf-16-be"), (b"<\0?\0", "utf-16-le"))
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")


def open_checked(path: Path, identity: str | None = None) -> Path:
    """``path`` if it is a safe-looking .xlsx package; a one-line :class:`KwaiError` otherwise.

    Checked before any parser sees the file: size, zip structure, total and per-part unpacked
    size (zip bombs), the custom property ``identity`` (when given: a workbook kwai-xl built),
    then every XML part streamed in full: no DTD or entity declaration in the encoding it
    declares (entity-expansion attacks), at most :data:`MAX_ELEMENTS` elements in all.
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
            if identity is not None:
                _check_identity(path, z, identity)
            elements = 0
            for part in parts:
                elements += _scan_part(path, z, part, MAX_ELEMENTS - elements)
    except zipfile.BadZipFile as err:
        raise KwaiError(f"{path}: a damaged zip package ({err})") from None
    return path


def _encodings(head: bytes) -> list[str]:
    """The encodings a parser could read a part in: its byte-order mark's (or the layout of its
    first bytes'), and the one its XML declaration names."""
    found = [name for bom, name in _BOMS if head.startswith(bom)][:1]
    found = found or [name for start, name in _BOMLESS if head.startswith(start)][:1]
    text = head.decode(found[0], errors="replace").encode("ascii", errors="replace") if found else head
    declared = _DECLARED.match(text)
    return found + ([declared.group(1).decode("ascii")] if declared else [])


def _scan_part(path: Path, z: zipfile.ZipFile, part: zipfile.ZipInfo, budget: int) -> int:
    """Stream ``part``: refuse a DTD or entity declaration, in its raw bytes and in each encoding it
    declares, and more than ``budget`` elements; return its element count (0 for a binary part)."""
    with z.open(part) as fh:
        head = fh.read(CHUNK)
        if head.lstrip()[:1] not in (b"<", b"\xef", b"\xfe", b"\xff", b"\0"):  # not XML: an image, a binary
            return 0
        codecs_ = {}
        for encoding in _encodings(head[:512]):
            try:
                codec = codecs.lookup(encoding)
            except LookupError:
                raise KwaiError(f"{path}: part {part.filename} declares the encoding {encoding!r}, "
                                f"which kwai-xl cannot check") from None
            if codec.name not in ("utf-8", "ascii"):  # the raw bytes are the UTF-8 view
                codecs_[codec.name] = codec
        decoders = [codec.incrementaldecoder(errors="replace") for codec in codecs_.values()]
        raw_tail, tails, elements, chunk = b"", [""] * len(decoders), 0, head
        while chunk:
            views = [(raw_tail + chunk).upper()]
            raw_tail = chunk[-16:]
            for k, decoder in enumerate(decoders):
                text = tails[k] + decoder.decode(chunk)
                tails[k] = text[-16:]
                views.append(text.upper().encode("utf-8"))
            if any(marker in view for view in views for marker in DECLARATIONS):
                raise KwaiError(f"{path}: part {part.filename} declares a DTD or entities, which no .xlsx "
                                f"needs (an XML entity attack?)")
            elements += max(view.count(b"<") - view.count(b"</") for view in views)  # as any reading sees them
            if elements > budget:
                raise KwaiError(f"{path}: more than {MAX_ELEMENTS:,} XML elements (cells, rows, strings) in its "
                                f"parts, at {part.filename}; a kwai-xl workbook has about 8,500")
            chunk = fh.read(CHUNK)
    return max(elements, 0)


def _properties_part(path: Path, z: zipfile.ZipFile, name: str):
    """The parsed XML of the document properties part ``name``; None when it is absent or larger than
    :data:`MAX_PROPERTIES_BYTES`."""
    try:
        part = z.getinfo(name)
    except KeyError:
        return None
    if part.file_size > MAX_PROPERTIES_BYTES:
        return None
    _scan_part(path, z, part, MAX_ELEMENTS)
    try:
        return ElementTree.fromstring(z.read(part))
    except ElementTree.ParseError:
        raise KwaiError(f"{path}: part {name} is not well-formed XML") from None


SHEET = re.compile(r'<sheet\s[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
RELATIONSHIP = re.compile(r'<Relationship\s[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|<Relationship\s[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def unescape_xml(text: str) -> str:
    """XML attribute or character data as text: the five named entities replaced (what the reader meets here)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → the package part holding its XML (``xl/worksheets/sheetN.xml``)."""
    rels = {}
    for m in RELATIONSHIP.finditer(z.read("xl/_rels/workbook.xml.rels").decode("utf-8")):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        rels[rid] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return {unescape_xml(name): rels[rid] for name, rid in SHEET.findall(z.read("xl/workbook.xml").decode("utf-8"))
            if rid in rels}


def name_elements(path: Path, z: zipfile.ZipFile) -> list:
    """The ``definedName`` elements of the workbook part (workbook- and sheet-scoped alike)."""
    try:
        root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    except (KeyError, ElementTree.ParseError) as err:
        raise KwaiError(f"{path}: cannot be read as an .xlsx workbook ({err.__class__.__name__})") from None
    return [el for el in root.iter() if el.tag.endswith("}definedName")]


def custom_properties(path: Path, z: zipfile.ZipFile) -> dict[str, str]:
    """The package's custom document properties (name → text), read without parsing anything else."""
    root = _properties_part(path, z, CUSTOM_PROPERTIES)
    return {} if root is None else {el.get("name"): "".join(el.itertext()).strip() for el in root}


def core_properties(path: Path, z: zipfile.ZipFile) -> dict[str, str] | None:
    """The package's core document properties (``title``, ``creator`` …: each element's local name → text),
    read without parsing anything else; None when the part is absent or too large to read here."""
    root = _properties_part(path, z, CORE_PROPERTIES)
    return None if root is None else {el.tag.rpartition("}")[2]: "".join(el.itertext()).strip() for el in root}


def extended_properties(path: Path, z: zipfile.ZipFile) -> dict[str, str] | None:
    """The package's :data:`EXTENDED_FIELDS` that are set (not blank), each as its text; empty when the part is
    absent, None when it is too large to read here."""
    if APP_PROPERTIES not in z.NameToInfo:
        return {}
    root = _properties_part(path, z, APP_PROPERTIES)
    if root is None:
        return None
    values = {el.tag.rpartition("}")[2]: "".join(el.itertext()) for el in root}
    return {key: values[key] for key in EXTENDED_FIELDS if values.get(key, "").strip()}


def with_extended(app: bytes, values: dict[str, str]) -> bytes:
    """The extended properties part ``app``, as openpyxl writes it (without any of :data:`EXTENDED_FIELDS`), with
    ``values`` of those fields added."""
    end = app.rindex(b"</Properties>")
    added = "".join(f"<{key}>{xml_text(values[key]).replace(chr(13), '&#13;')}</{key}>"
                    for key in EXTENDED_FIELDS if key in values)
    return app[:end] + added.encode("utf-8") + app[end:]


def _check_identity(path: Path, z: zipfile.ZipFile, identity: str) -> None:
    """Refuse a workbook whose custom properties lack ``identity``: read before anything else is parsed."""
    names = set(custom_properties(path, z))
    if identity not in names:
        raise KwaiError(f"{path}: not a workbook built by kwai-xl (no {identity} property); "
                        f"kwai-xl reads back only the workbooks it built")


def package_digest(parts) -> str:
    """SHA-256 over every part but the custom properties, which hold it: ``parts`` yields (name, size in bytes,
    its bytes in chunks), taken in name order."""
    digest = hashlib.sha256()
    for name, size, chunks in sorted(parts, key=lambda part: part[0]):
        if name != CUSTOM_PROPERTIES:
            digest.update(f"{name}\0{size}\0".encode("utf-8"))
            for chunk in chunks:
                digest.update(chunk)
    return digest.hexdigest()


def _chunks(z: zipfile.ZipFile, info: zipfile.ZipInfo):
    with z.open(info) as fh:
        yield from iter(lambda: fh.read(CHUNK), b"")


def repacked(data: bytes, replaced: dict[str, bytes]) -> bytes:
    """The .xlsx package ``data`` with the parts in ``replaced`` swapped in or added, and the digest of the
    result recorded in its :data:`PACKAGE_PROPERTY` (when the package has that property, as :data:`UNSTAMPED`);
    every part compressed."""
    src = zipfile.ZipFile(io.BytesIO(data))
    infos = {info.filename: info for info in src.infolist()}
    parts = {name: replaced.get(name) or src.read(info) for name, info in infos.items()}
    parts.update((name, part) for name, part in replaced.items() if name not in parts)
    custom = parts.get(CUSTOM_PROPERTIES, b"")
    placeholder = f'name="{PACKAGE_PROPERTY}"'.encode()
    if placeholder in custom:
        at = custom.index(UNSTAMPED.encode(), custom.index(placeholder))
        digest = package_digest((name, len(part), [part]) for name, part in parts.items())
        parts[CUSTOM_PROPERTIES] = custom[:at] + digest.encode() + custom[at + len(UNSTAMPED):]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, part in parts.items():
            dst.writestr(infos.get(name, name), part, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def read_workbook(path: Path, **options):
    """openpyxl's workbook of ``path`` (``options`` as :func:`openpyxl.load_workbook` takes them), without the warning
    openpyxl prints on its own for a custom property of a type it does not know and skips: kwai-xl names such a
    property where it matters (a rebuild lists it as not carried). Every other warning shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unknown type for ", category=UserWarning,
                                module=r"openpyxl\.packaging\.custom$")
        return load_workbook(path, **options)


def untouched_since_built(path: Path) -> bool:
    """Whether the file at ``path`` holds exactly the parts kwai-xl wrote: no application has saved it since.

    Read from the zip alone (no workbook parser), in chunks, after the size checks :func:`open_checked` makes
    (a zip bomb is False here, and refused there); False for anything else, an unreadable file included.
    """
    try:
        if Path(path).stat().st_size > MAX_FILE_BYTES:
            return False
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            if (len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES
                    or any(p.file_size > 2**20 and p.file_size > MAX_RATIO * max(p.compress_size, 1) for p in parts)):
                return False
            recorded = custom_properties(Path(path), z).get(PACKAGE_PROPERTY)
            if not recorded or recorded == UNSTAMPED:
                return False
            return package_digest((p.filename, p.file_size, _chunks(z, p)) for p in parts) == recorded
    except (OSError, zipfile.BadZipFile, KwaiError):
        return False
