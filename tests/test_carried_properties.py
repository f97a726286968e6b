"""What of the analyst's a rebuild carries besides sheets: document properties and names scoped to one sheet.

The title, subject, author and the rest of File › Properties (Company, Manager and Hyperlink base too, which
live in docProps/app.xml), custom properties of every type, and names defined on one sheet, each with its
comment, hidden flag and other attributes, come into the rebuilt workbook; kwai-xl's own ``kwai_xl_*``
properties are written fresh. What cannot be carried (a name on a sheet the rebuild does not write, a custom
property of a type openpyxl cannot read, an extended properties part too large to read) is named and backed up.
"""

import os
import re
import warnings
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook
from openpyxl.packaging.custom import BoolProperty, DateTimeProperty, FloatProperty, IntProperty, StringProperty
from openpyxl.workbook.defined_name import DefinedName

from kwai_xl.errors import KwaiError
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback.replace import replace_workbook
from kwai_xl.workbook.build import BUILD_PROPERTY, OWN_PROPERTY_PREFIX, build_workbook
from kwai_xl.workbook.package import untouched_since_built

CORE = {"title": "Kuaishou: my SOTP view", "subject": "01024.HK valuation", "creator": "Ana Lyst",
        "description": "Base case after the Q3 call", "keywords": "kuaishou; sotp", "category": "Equity research",
        "contentStatus": "Draft"}
CUSTOM = [StringProperty(name="Client", value="Fund A"), IntProperty(name="Version", value=3),
          FloatProperty(name="Target price", value=120.5), BoolProperty(name="Approved", value=True),
          DateTimeProperty(name="Reviewed", value=datetime(2026, 3, 4, 10, 30))]


def custom_of(wb) -> dict:
    """Custom property name → (type, value), as openpyxl read them."""
    return {p.name: (type(p).__name__, p.value) for p in wb.custom_doc_props}


def analysts(props: dict) -> dict:
    return {name: v for name, v in props.items() if not name.startswith(OWN_PROPERTY_PREFIX)}


def rewrite_part(book: Path, part: str, edit) -> None:
    """``book`` with ``part`` rewritten by ``edit(bytes)``, every other part byte for byte as it was."""
    with zipfile.ZipFile(book) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in parts:
            dst.writestr(info, edit(data) if info.filename == part else data)


def rebuilt_twice(quarter_dir: Path, tmp_path: Path, edit) -> list:
    """The workbook after ``edit(wb)`` saved by openpyxl, after one rebuild and after the next (which starts from a
    file exactly as kwai-xl wrote it, the case the package digest shortcut judges from the zip alone)."""
    book = tmp_path / "k.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book)
    wb = load_workbook(book)
    edit(wb)
    wb.save(book)
    out = []
    for _ in range(2):
        replace_workbook(q, book)
        out.append(load_workbook(book))
    assert untouched_since_built(book)
    return out


def test_the_analysts_document_properties_are_carried_and_kwai_xls_are_fresh(quarter_dir, tmp_path):
    ids = []

    def set_properties(wb):
        ids.append(wb.custom_doc_props[BUILD_PROPERTY].value)
        for key, value in CORE.items():
            setattr(wb.properties, key, value)
        for prop in CUSTOM:
            wb.custom_doc_props.append(prop)

    for wb in rebuilt_twice(quarter_dir, tmp_path, set_properties):
        assert {key: getattr(wb.properties, key) for key in CORE} == CORE
        props = custom_of(wb)
        assert analysts(props) == {p.name: (type(p).__name__, p.value) for p in CUSTOM}
        assert len(wb.custom_doc_props) == len(props)  # kwai-xl's own once each, and written afresh
        ids.append(props[BUILD_PROPERTY][1])
    assert len(set(ids)) == 3


def test_a_title_alone_survives_every_rebuild(quarter_dir, tmp_path):
    def titled(wb):
        wb.properties.title = "My view"

    assert [wb.properties.title for wb in rebuilt_twice(quarter_dir, tmp_path, titled)] == ["My view"] * 2


def test_a_sheets_own_name_spelled_like_a_public_name_survives_every_rebuild(quarter_dir, tmp_path):
    def shadowing(wb):
        wb["Checks"].defined_names["price"] = DefinedName("price", attr_text="Assumptions!$C$11")

    for wb in rebuilt_twice(quarter_dir, tmp_path, shadowing):
        assert wb["Checks"].defined_names["price"].attr_text == "Assumptions!$C$11"
        assert wb.defined_names["price"].attr_text == "'Assumptions'!$C$10"


def test_kwai_xls_own_properties_are_never_carried(quarter_dir, tmp_path):
    """Every property kwai-xl writes has its prefix; one of that prefix it no longer writes is not carried."""
    book = tmp_path / "k.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book)
    wb = load_workbook(book)
    assert all(p.name.startswith(OWN_PROPERTY_PREFIX) for p in wb.custom_doc_props)
    wb.custom_doc_props.append(StringProperty(name=f"{OWN_PROPERTY_PREFIX}retired", value="from an older kwai-xl"))
    wb.save(book)
    replace_workbook(q, book)
    assert f"{OWN_PROPERTY_PREFIX}retired" not in custom_of(load_workbook(book))


def built_with_custom_property(q, tmp_path: Path, name: str, value_xml: bytes) -> Path:
    """``q``'s workbook with a custom property added by rewriting the custom properties part alone."""
    book = tmp_path / "k.xlsx"
    replace_workbook(q, book)
    added = (b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="99" name="' + name.encode() + b'">'
             + value_xml + b"</property></Properties>")
    rewrite_part(book, "docProps/custom.xml", lambda data: data.replace(b"</Properties>", added))
    return book


def test_a_property_added_to_the_custom_part_alone_is_carried(quarter_dir, tmp_path):
    """The package digest leaves out the custom properties part (it holds the digest): a property added there
    by a tool that rewrites only that part must not let the file pass for one exactly as kwai-xl wrote it."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = built_with_custom_property(q, tmp_path, "Client", b"<vt:lpwstr>Fund A</vt:lpwstr>")
    assert untouched_since_built(book) and analysts(custom_of(load_workbook(book))) == {"Client": ("StringProperty", "Fund A")}
    replace_workbook(q, book)
    assert analysts(custom_of(load_workbook(book))) == {"Client": ("StringProperty", "Fund A")}


def test_a_property_of_a_type_openpyxl_cannot_read_is_named_and_backed_up(quarter_dir, tmp_path):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = built_with_custom_property(q, tmp_path, "Big", b"<vt:i8>9007199254740993</vt:i8>")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        rebuilt = replace_workbook(q, book)
    assert rebuilt.not_carried == ["the document property 'Big' (of a type kwai-xl cannot copy)"]
    assert not [w for w in shown if "Unknown type" in str(w.message)]  # kwai-xl's line says it, not openpyxl's too
    assert rebuilt.backup is not None and b'name="Big"' in zipfile.ZipFile(rebuilt.backup).read("docProps/custom.xml")


def test_names_scoped_to_a_sheet_are_carried_where_the_rebuild_has_that_sheet(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book)
    wb = load_workbook(book)
    wb["Assumptions"].defined_names["my_price"] = DefinedName("my_price", attr_text="Assumptions!$C$10")
    wb["Checks"].defined_names["price"] = DefinedName("price", attr_text="Assumptions!$C$11")  # shadows a public name
    wb.create_sheet("My work")["A1"] = "=my_base*2"
    wb["My work"].defined_names["my_base"] = DefinedName("my_base", attr_text="SOTP!$C$27")
    wb.save(book)
    for _ in range(2):  # the second rebuild starts from a file exactly as kwai-xl wrote it
        rebuilt = replace_workbook(q, book)
        assert rebuilt.not_carried == [] and rebuilt.backup is None
        wb = load_workbook(book)
        assert {n: dn.attr_text for n, dn in wb["Assumptions"].defined_names.items()} == {"my_price": "Assumptions!$C$10"}
        assert wb["Checks"].defined_names["price"].attr_text == "Assumptions!$C$11"
        assert wb["My work"].defined_names["my_base"].attr_text == "SOTP!$C$27"
        assert wb.defined_names["price"].attr_text == "'Assumptions'!$C$10"


def test_names_on_a_sheet_the_rebuild_does_not_write_are_named_and_backed_up(quarter_dir, tmp_path):
    book = tmp_path / "k.xlsx"
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    replace_workbook(q, book, xlwings=True)
    wb = load_workbook(book)
    udf_sheet = next(t for t in wb.sheetnames if "xlwings" in t and t != "xlwings.conf")
    wb[udf_sheet].defined_names["my_check"] = DefinedName("my_check", attr_text=f"'{udf_sheet}'!$D$5")
    wb.defined_names["my_udf_cell"] = DefinedName("my_udf_cell", attr_text=f"'{udf_sheet}'!$D$6*2")
    wb.save(book)
    rebuilt = replace_workbook(q, book)
    assert rebuilt.not_carried == [
        f"the name my_udf_cell ('{udf_sheet}'!$D$6*2): the rebuilt workbook has no sheet {udf_sheet!r}",
        f"the name {udf_sheet}!my_check ('{udf_sheet}'!$D$5): the rebuilt workbook has no sheet {udf_sheet!r}"]
    backup = load_workbook(rebuilt.backup)
    assert "my_check" in backup[udf_sheet].defined_names and "my_udf_cell" in backup.defined_names


def test_a_property_saved_during_a_build_is_never_overwritten(quarter_dir, tmp_path, saved_during_build):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    replace_workbook(q, book)
    def save():
        wb = load_workbook(book)
        wb.properties.title = "Renamed meanwhile"
        wb["Assumptions"].defined_names["my_price"] = DefinedName("my_price", attr_text="Assumptions!$C$10")
        wb.save(tmp_path / "saving.xlsx")
        os.replace(tmp_path / "saving.xlsx", book)

    saved_during_build(save)
    with pytest.raises(KwaiError, match=r"saved while kwai-xl was building.*the name Assumptions!my_price as saved"
                                        r".*the document property title as saved"):
        replace_workbook(q, book)
    assert load_workbook(book).properties.title == "Renamed meanwhile"
    saved_during_build(None)
    replace_workbook(q, book)  # the next build carries them
    wb = load_workbook(book)
    assert wb.properties.title == "Renamed meanwhile" and "my_price" in wb["Assumptions"].defined_names


def test_build_workbook_refuses_a_file_holding_what_it_would_drop(quarter_dir, tmp_path):
    """``build_workbook`` carries nothing: over a file holding the analyst's document properties, names or sheets
    (set there, or carried into it by ``kwai-xl build``, exactly as kwai-xl wrote it) it refuses, naming each;
    ``force`` replaces it and keeps a backup. (It dropped them silently before: the cells were as built.)"""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    build_workbook(q, book)
    build_workbook(q, book)  # its own file: replaced
    wb = load_workbook(book)
    wb.properties.title = "My view"
    wb.custom_doc_props.append(StringProperty(name="Client", value="Fund A"))
    wb.defined_names["my_total"] = DefinedName("my_total", attr_text="SOTP!$C$5*2")
    wb["Checks"].defined_names["price"] = DefinedName("price", attr_text="Assumptions!$C$11")
    wb.save(book)
    with pytest.raises(KwaiError) as err:
        build_workbook(q, book)
    message = str(err.value)
    for what in ("the document property title", "the document property 'Client'", "the name my_total",
                 "the name Checks!price", "`kwai-xl build`, which carries"):
        assert what in message, what
    assert "the sheet" not in message and "\n" not in message and load_workbook(book).properties.title == "My view"
    forced = build_workbook(q, book, force=True)
    assert forced.backup is not None and load_workbook(forced.backup).properties.title == "My view"
    assert load_workbook(book).properties.title is None

    carried = tmp_path / "c.xlsx"  # carried by kwai-xl build: a file exactly as kwai-xl wrote it
    replace_workbook(q, carried)
    wb = load_workbook(carried)
    wb.properties.title = "My view"
    wb.create_sheet("Notes")["A1"] = "mine"
    wb.save(carried)
    replace_workbook(q, carried)
    assert untouched_since_built(carried)
    with pytest.raises(KwaiError, match=r"the sheet 'Notes'; the document property title\. To keep it"):
        build_workbook(q, carried)


def test_only_openpyxls_line_for_a_property_of_an_unknown_type_is_silenced(monkeypatch, tmp_path):
    """kwai-xl reads workbooks without openpyxl's "Unknown type for X" (it names such a property itself); the same
    words from elsewhere, and openpyxl's other warnings, still show."""
    from kwai_xl.workbook import package

    def noisy(path, **options):
        warnings.warn_explicit("Unknown type for Big", UserWarning, "custom.py", 1, module="openpyxl.packaging.custom")
        warnings.warn_explicit("Unknown type for Big", UserWarning, "other.py", 1, module="somewhere.else")
        warnings.warn_explicit("Data Validation extension is not supported and will be removed", UserWarning,
                               "_reader.py", 1, module="openpyxl.worksheet._reader")
        return path

    monkeypatch.setattr(package, "load_workbook", noisy)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert package.read_workbook(tmp_path) == tmp_path
    assert [(w.filename, str(w.message)) for w in shown] == [
        ("other.py", "Unknown type for Big"), ("_reader.py", "Data Validation extension is not supported and will be removed")]


def test_the_saving_applications_language_is_not_the_analysts(quarter_dir, tmp_path):
    """LibreOffice writes its UI language (en-US) on every save: a file merely re-saved loses nothing by a build."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = build_workbook(q, tmp_path / "k.xlsx").path
    wb = load_workbook(book)
    wb.properties.language = "en-US"
    wb.save(book)
    build_workbook(q, book)  # not refused
    replace_workbook(q, book)
    assert not load_workbook(book).properties.language


APP_PART = "docProps/app.xml"
EXTENDED = {"Company": "Fund A & Co", "Manager": "Mia Boss", "HyperlinkBase": "https://example.com/research/"}


def app_properties(book: Path) -> dict:
    """Every element of the file's extended properties part (docProps/app.xml): local name → text."""
    return {el.tag.rpartition("}")[2]: el.text or "" for el in fromstring(zipfile.ZipFile(book).read(APP_PART))}


def as_excel_saves(book: Path, values: dict) -> Path:
    """``book`` with ``values`` set in its extended properties part, where Excel's File › Properties writes Company,
    Manager and Hyperlink base; every other part byte for byte as it was."""
    added = "".join(f"<{key}>{escape(value)}</{key}>" for key, value in values.items()).encode()
    rewrite_part(book, APP_PART, lambda data: re.sub(rb"<(Company|Manager|HyperlinkBase)>[^<]*</\1>", b"", data)
                 .replace(b"</Properties>", added + b"</Properties>"))
    return book


def test_company_manager_and_hyperlink_base_are_carried(quarter_dir, tmp_path):
    """openpyxl neither reads docProps/app.xml nor keeps it (it writes a fresh one): the three extended properties
    one sets in File › Properties come through two rebuilds all the same, beside openpyxl's own content of that
    part. The file is as Excel saves them (app.xml edited at zip level, everything else as built); LibreOffice
    keeps them too, and test_round_trip sets them through its UNO bridge."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    replace_workbook(q, book)
    as_excel_saves(book, EXTENDED)
    for _ in range(2):  # the second rebuild starts from a file exactly as kwai-xl wrote it
        rebuilt = replace_workbook(q, book)
        assert rebuilt.not_carried == [] and rebuilt.backup is None
        app = app_properties(book)
        assert {key: app.get(key) for key in EXTENDED} == EXTENDED
        assert app["Application"].startswith("Microsoft Excel Compatible / Openpyxl")
    assert untouched_since_built(book)


def test_an_extended_property_saved_during_a_build_is_never_overwritten(quarter_dir, tmp_path, saved_during_build):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    replace_workbook(q, book)
    as_excel_saves(book, {"Company": "Fund A"})
    def save():
        os.utime(as_excel_saves(book, {"Company": "Fund B"}), ns=(1, 1))  # a new stamp whatever the clock's grain

    saved_during_build(save)
    with pytest.raises(KwaiError, match=r"the document property Company as saved while kwai-xl was building"):
        replace_workbook(q, book)
    assert app_properties(book)["Company"] == "Fund B"
    saved_during_build(None)
    replace_workbook(q, book)  # the next build carries it
    assert app_properties(book)["Company"] == "Fund B"


def test_an_extended_properties_part_too_large_to_read_is_named_and_backed_up(quarter_dir, tmp_path):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    replace_workbook(q, book)
    template = os.urandom(800_000).hex()  # over the 1 MiB kwai-xl reads of a properties part, and no zip bomb
    as_excel_saves(book, {"Company": "Fund A", "Template": template})
    rebuilt = replace_workbook(q, book)
    assert rebuilt.not_carried == ["the document properties Company, Manager and HyperlinkBase (docProps/app.xml is "
                                   "larger than kwai-xl reads)"]
    assert app_properties(rebuilt.backup)["Company"] == "Fund A"


def test_an_extended_properties_part_that_is_not_xml_is_a_one_line_error(quarter_dir, tmp_path):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    replace_workbook(q, book)
    rewrite_part(book, APP_PART, lambda data: data.replace(b"</Properties>", b"<Company>Fund A</Properties>"))
    before = book.read_bytes()
    with pytest.raises(KwaiError, match=r"part docProps/app\.xml is not well-formed XML$") as err:
        replace_workbook(q, book)
    assert "\n" not in str(err.value) and book.read_bytes() == before


NAME_ATTRIBUTES = {"comment": "bull case, from the Q3 call", "hidden": True, "description": "what it is",
                   "customMenu": "Menu", "help": "Help text", "statusBar": "Status", "shortcutKey": "k"}
FUNCTION_ATTRIBUTES = {"function": True, "vbProcedure": True, "xlm": True, "functionGroupId": 14,
                       "publishToServer": True, "workbookParameter": True}


def attributes_of(dn) -> dict:
    return {key: getattr(dn, key) for key in (*NAME_ATTRIBUTES, *FUNCTION_ATTRIBUTES)
            if getattr(dn, key) is not None}


def test_a_names_comment_hidden_flag_and_other_attributes_survive_every_rebuild(quarter_dir, tmp_path):
    """Every attribute openpyxl holds of a defined name comes through, of the workbook's names and of one sheet's;
    a comment or hidden flag the analyst gave a public name stays on it, its reference the build's.
    (LibreOffice cannot set a name's comment or hidden flag, and drops both when it saves: openpyxl sets them.)"""
    def named(wb):
        wb.defined_names["my_target"] = DefinedName("my_target", attr_text="Assumptions!$C$10*1.2", **NAME_ATTRIBUTES)
        wb.defined_names["my_macro"] = DefinedName("my_macro", attr_text="SOTP!$C$27", **FUNCTION_ATTRIBUTES)
        wb["Checks"].defined_names["my_price"] = DefinedName("my_price", attr_text="Assumptions!$C$11",
                                                             comment="mine", hidden=True)
        wb.defined_names["price"].comment = "from the Q2 call"

    for wb in rebuilt_twice(quarter_dir, tmp_path, named):
        assert attributes_of(wb.defined_names["my_target"]) == NAME_ATTRIBUTES
        assert attributes_of(wb.defined_names["my_macro"]) == FUNCTION_ATTRIBUTES
        assert wb.defined_names["my_target"].attr_text == "Assumptions!$C$10*1.2"
        local = wb["Checks"].defined_names["my_price"]
        assert (local.attr_text, attributes_of(local)) == ("Assumptions!$C$11", {"comment": "mine", "hidden": True})
        price = wb.defined_names["price"]
        assert (price.attr_text, attributes_of(price)) == ("'Assumptions'!$C$10", {"comment": "from the Q2 call"})


def test_a_names_comment_changed_during_a_build_is_never_overwritten(quarter_dir, tmp_path, saved_during_build):
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = tmp_path / "k.xlsx"
    replace_workbook(q, book)
    wb = load_workbook(book)
    wb.defined_names["my_target"] = DefinedName("my_target", attr_text="SOTP!$C$27", comment="base")
    wb["Checks"].defined_names["my_price"] = DefinedName("my_price", attr_text="Assumptions!$C$11")
    wb.save(book)
    def save():
        wb = load_workbook(book)
        wb.defined_names["my_target"].comment = "bull"
        wb["Checks"].defined_names["my_price"].hidden = True
        wb.save(tmp_path / "saving.xlsx")
        os.replace(tmp_path / "saving.xlsx", book)

    saved_during_build(save)
    with pytest.raises(KwaiError, match=r"the name Checks!my_price as saved.*the name my_target as saved"):
        replace_workbook(q, book)
    saved_during_build(None)
    replace_workbook(q, book)
    wb = load_workbook(book)
    assert wb.defined_names["my_target"].comment == "bull" and wb["Checks"].defined_names["my_price"].hidden


def test_build_workbook_refuses_a_file_holding_a_company_or_a_public_names_comment(quarter_dir, tmp_path):
    """``build_workbook`` writes neither an extended property nor a name's comment: it names them and refuses,
    over a file saved so and over one ``kwai-xl build`` carried them into (exactly as kwai-xl wrote it)."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    company, commented = tmp_path / "c.xlsx", tmp_path / "n.xlsx"
    build_workbook(q, company)
    as_excel_saves(company, {"Company": "Fund A", "HyperlinkBase": "https://example.com/"})
    build_workbook(q, commented)
    wb = load_workbook(commented)
    wb.defined_names["price"].comment = "from the Q2 call"
    wb.defined_names["sotp_per_share"].hidden = True
    wb.save(commented)
    for _ in range(2):
        with pytest.raises(KwaiError, match=r"would lose: the document property Company; the document property "
                                            r"HyperlinkBase\. To keep it, build it with `kwai-xl build`"):
            build_workbook(q, company)
        with pytest.raises(KwaiError, match=r"would lose: the name price's comment; the name sotp_per_share's "
                                            r"hidden flag\. To keep it"):
            build_workbook(q, commented)
        replace_workbook(q, company), replace_workbook(q, commented)
        assert untouched_since_built(company) and untouched_since_built(commented)


def test_a_custom_property_named_like_an_extended_one_masks_no_change(quarter_dir, tmp_path, saved_during_build):
    """A custom property may be called Company (LibreOffice keeps the extended one as such a property): a change to
    the extended Company saved during a build is caught beside it."""
    q = load_quarter(quarter_dir / "2022Q2.yaml")
    book = built_with_custom_property(q, tmp_path, "Company", b"<vt:lpwstr>Custom Co</vt:lpwstr>")
    as_excel_saves(book, {"Company": "Fund A"})
    def save():
        os.utime(as_excel_saves(book, {"Company": "Fund B"}), ns=(1, 1))

    saved_during_build(save)
    with pytest.raises(KwaiError, match=r"the document property Company as saved while kwai-xl was building"):
        replace_workbook(q, book)
    saved_during_build(None)
    replace_workbook(q, book)
    assert app_properties(book)["Company"] == "Fund B"
    assert analysts(custom_of(load_workbook(book))) == {"Company": ("StringProperty", "Custom Co")}
