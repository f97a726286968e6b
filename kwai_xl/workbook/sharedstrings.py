"""Text in the shared-strings part, as Excel writes it: openpyxl writes every string inline.

OOXML allows inline strings, but Excel moves them to ``xl/sharedStrings.xml`` on its
next save and validators flag them; this rewrites a finished package so each text
cell (``t="inlineStr"``) refers to one entry of a shared-strings table instead. Every
other part stays as it was.
"""

import re
import zipfile

SST_PART = "xl/sharedStrings.xml"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
INLINE = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', re.S)
WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")


def shared_strings_parts(src: zipfile.ZipFile) -> dict[str, bytes]:
    """The parts of the package ``src`` that change when its inline strings move to a shared-strings table
    (its worksheets, content types and workbook relationships, and the table itself); empty when none."""
    names = src.namelist()
    if SST_PART in names:
        return {}
    table: dict[str, int] = {}
    count = 0
    parts = {}

    def shared(m: re.Match) -> str:
        nonlocal count
        count += 1
        index = table.setdefault(m.group(3), len(table))
        return f'<c {m.group(1)}t="s"{m.group(2)}><v>{index}</v></c>'

    for name in names:
        if WORKSHEET.fullmatch(name):
            parts[name] = INLINE.sub(shared, src.read(name).decode("utf-8")).encode("utf-8")
    if not table:
        return {}
    parts["[Content_Types].xml"] = src.read("[Content_Types].xml").replace(
        b"</Types>", f'<Override PartName="/{SST_PART}" ContentType="{SST_TYPE}"/></Types>'.encode())
    text = src.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = next(f"rId{k}" for k in range(1, 10**4) if f'Id="rId{k}"' not in text)
    parts["xl/_rels/workbook.xml.rels"] = text.replace(
        "</Relationships>", f'<Relationship Id="{rid}" Type="{SST_REL}" Target="sharedStrings.xml"/></Relationships>'
    ).encode("utf-8")
    parts[SST_PART] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN_NS}" count="{count}" '
                       f'uniqueCount="{len(table)}">' + "".join(f"<si>{text}</si>" for text in table) + "</sst>").encode("utf-8")
    return parts
