"""Hostile files, made on demand: the bombs the tests refuse and bench/hostile.py measures.

Each maker writes one file into a folder and returns its path; ``BOMBS`` maps a
description to (maker, the kwai-xl command given the file, the words of its refusal).
"""

import random
import zipfile
from pathlib import Path

from kwai_xl.paths import DATA_DIR

SEED_TEXT = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
PRICE = "price: {value: 79.9,"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAUGHS = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'


def yaml_alias_bomb(folder: Path, depth: int = 9) -> Path:
    """The seed file with its price an alias that expands to 9**depth values (a 1 KB billion laughs)."""
    anchors = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    anchors += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, depth)]
    text = SEED_TEXT.replace("quarter: 2022Q2\n", "quarter: 2022Q2\nlaughs:\n" + "".join(f"  {a}\n" for a in anchors))
    return _write(folder / "2022Q2.yaml", text.replace(PRICE, f"price: {{value: *l{depth - 1},"))


def yaml_huge_file(folder: Path, items: int = 12_000_000) -> Path:
    """The seed file plus a list of ``items`` zeros under an unknown key (24 MB for 12 million)."""
    return _write(folder / "2022Q2.yaml", SEED_TEXT + "junk: [" + "0," * items + "0]\n")


def yaml_many_values(folder: Path) -> Path:
    """Under the size cap, but 450,000 values under an unknown key."""
    return _write(folder / "2022Q2.yaml", SEED_TEXT + "junk: [" + "0," * 450_000 + "0]\n")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _replaced(book: Path, target: Path, parts: dict[str, bytes]) -> Path:
    """A copy of the workbook ``book`` with some parts' bytes replaced (or added)."""
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename not in parts:
                dst.writestr(item.filename, src.read(item.filename))
        for name, data in parts.items():
            dst.writestr(name, data)
    return target


def workbook_xml(book: Path) -> str:
    """The workbook's xl/workbook.xml without its XML declaration."""
    with zipfile.ZipFile(book) as z:
        xml = z.read("xl/workbook.xml").decode("utf-8")
    return xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml


def zip_bomb(book: Path, folder: Path) -> Path:
    """A 64 MiB part of zeros packed into 64 KB."""
    return _replaced(book, folder / "zip-bomb.xlsx", {"xl/workbook.xml": b"\0" * (64 * 2**20)})


def billion_laughs(book: Path, folder: Path) -> Path:
    """Entity expansion at the top of xl/workbook.xml."""
    data = f'<?xml version="1.0"?>{LAUGHS}{workbook_xml(book)}'.encode()
    return _replaced(book, folder / "laughs.xlsx", {"xl/workbook.xml": data})


def dtd_after_a_comment(book: Path, folder: Path) -> Path:
    """Billion laughs in xl/workbook.xml, declared after a 3 KB comment (past a check of the first 2 KB)."""
    xml = workbook_xml(book)
    data = f'<?xml version="1.0" encoding="UTF-8"?><!--{"x" * 3000}-->{LAUGHS}{xml}'.encode()
    return _replaced(book, folder / "late-dtd.xlsx", {"xl/workbook.xml": data})


def dtd_in_utf16(book: Path, folder: Path) -> Path:
    """Billion laughs in xl/workbook.xml written in UTF-16 with a byte-order mark."""
    xml = workbook_xml(book)
    data = f'<?xml version="1.0" encoding="UTF-16"?>{LAUGHS}{xml}'.encode("utf-16")
    return _replaced(book, folder / "utf16-dtd.xlsx", {"xl/workbook.xml": data})


def big_sheet(book: Path, folder: Path, cells: int = 3_000_000, name: str = "big.xlsx") -> Path:
    """The workbook with its last sheet replaced by ``cells`` random numbers (under every size limit)."""
    rng = random.Random(1)
    rows = []
    for r in range(1, cells // 10 + 1):
        values = "".join(f'<c r="{c}{r}"><v>{rng.random():.6f}</v></c>' for c in "ABCDEFGHIJ")
        rows.append(f'<row r="{r}">{values}</row>')
    data = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}"><dimension ref="A1:J{cells // 10}"/>'
            f'<sheetData>{"".join(rows)}</sheetData></worksheet>').encode()
    with zipfile.ZipFile(book) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    return _replaced(book, folder / name, {max(sheets, key=lambda n: int(n[19:-4])): data})


def foreign_big_sheet(book: Path, folder: Path, cells: int = 3_000_000) -> Path:
    """A big sheet in a workbook without kwai-xl's identity properties."""
    path = big_sheet(book, folder, cells, "foreign-big.xlsx")
    with zipfile.ZipFile(path) as z:
        custom = z.read("docProps/custom.xml").replace(b"kwai_xl_tool", b"other_tool")
    return _replaced(path, folder / "foreign.xlsx", {"docProps/custom.xml": custom})


BOMBS = {
    "YAML alias bomb (1 KB, 9^9 values)": (yaml_alias_bomb, "calc", "once aliases are expanded"),
    "24 MB data file (12 million items)": (yaml_huge_file, "calc", "larger than a quarter data file can be"),
    "450,000 values in 0.9 MB": (yaml_many_values, "calc", "once aliases are expanded"),
    "zip bomb (64 MiB of zeros)": (zip_bomb, "pull", "zip bomb"),
    "billion laughs in xl/workbook.xml": (billion_laughs, "pull", "declares a DTD or entities"),
    "DTD after a 3 KB comment": (dtd_after_a_comment, "pull", "declares a DTD or entities"),
    "DTD in a UTF-16 part": (dtd_in_utf16, "pull", "declares a DTD or entities"),
    "3-million-cell sheet": (big_sheet, "pull", "XML elements"),
    "3-million-cell sheet, not built by kwai-xl": (foreign_big_sheet, "pull", "not a workbook built by kwai-xl"),
}
"""Description → (maker, kwai-xl command, words of the refusal). Data-file makers take a folder,
workbook makers the seed workbook and a folder."""
