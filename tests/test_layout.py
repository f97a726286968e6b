"""The reference mini-language of the sheet templates: ids in braces become A1 references."""

import pytest

from kwai_xl.errors import TemplateError
from kwai_xl.workbook.layout import References, Target


@pytest.fixture
def refs():
    r = References([])
    r.targets.update({
        "x": Target("Inputs", 5, 3, 1, 3, None),      # a row of three cells: C5:E5
        "y": Target("Inputs", 6, 3, 3, 1, None),      # a column of three: C6:C8
        "g": Target("Grid", 9, 4, 3, 3, "grid"),      # a named 3 × 3 rectangle
        "s": Target("Inputs", 2, 7, 1, 1, "scalar"),  # one named cell
    })
    return r


def test_row_and_column_indices_are_relative_along_their_axis(refs):
    assert refs.resolve("={y[i]}*{x[j]}", "Inputs", 0, 0, 3, 3) == "=$C6*C$5"
    assert refs.resolve("={y[i]}*{x[j]}", "Inputs", 2, 1, 3, 3) == "=$C8*D$5"


def test_whole_items_use_their_name_and_other_sheets_are_quoted(refs):
    assert refs.resolve("=SUM({g:})+{s}", "Inputs", 0, 0, 1, 1) == "=SUM(grid)+scalar"
    assert refs.resolve("={y:}", "Other sheet", 0, 0, 1, 1) == "='Inputs'!$C$6:$C$8"
    assert refs.resolve("={g[1,2]}", "Inputs", 0, 0, 1, 1) == "='Grid'!$F$10"


def test_slices_and_running_ranges(refs):
    assert refs.resolve("=MAX({g[:,1]})", "Grid", 0, 0, 1, 1) == "=MAX($E$9:$E$11)"
    assert refs.resolve("=COUNTIF({y[0:i+1]},1)", "Inputs", 2, 0, 3, 1) == "=COUNTIF($C$6:$C8,1)"


@pytest.mark.parametrize("formula, problem", [
    ("={x[j]}", "cannot align"),              # a 1 × 3 row against a 2 × 2 item
    ("={x[5]}", "outside"),
    ("={nope}", "no item with id"),
    ("={x[0}", "not a valid reference"),
])
def test_misaligned_or_unknown_references_raise(refs, formula, problem):
    with pytest.raises(TemplateError, match=problem):
        refs.resolve(formula.replace("[j]", "") if problem == "cannot align" else formula, "Inputs", 0, 0, 2, 2)


def test_labels_edited_during_a_session_are_read_as_edited(tmp_path):
    """A label file is parsed once per text, not once per file: an edit that keeps its size and time still shows."""
    import os
    import shutil

    from kwai_xl.paths import TEMPLATES_DIR
    from kwai_xl.workbook.build import load_labels

    shutil.copytree(TEMPLATES_DIR / "labels", tmp_path / "labels")
    path = tmp_path / "labels" / "en.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  stale_age: Age\n" in text
    before = load_labels("en", tmp_path)
    stamp = path.stat()
    path.write_text(text.replace("  stale_age: Age\n", "  stale_age: Eld\n"), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert (before["checks"]["stale_age"], load_labels("en", tmp_path)["checks"]["stale_age"]) == ("Age", "Eld")
    assert load_labels("zh", tmp_path)["checks"]["stale_age"] == "天数"
