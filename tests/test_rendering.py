"""What users see: the workbook rendered to PDF by LibreOffice and to PNG by pdftoppm."""

import shutil
import subprocess
import zipfile

import pytest

from kwai_xl.readback import libreoffice
from kwai_xl.workbook.build import build_workbook

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm")),
                                reason="LibreOffice and poppler are installed by `make test`")


@pytest.fixture(scope="module", params=["en", "zh"])
def rendered(request, seed_quarter, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"render-{request.param}")
    book = build_workbook(seed_quarter, work / f"kuaishou-{request.param}.xlsx", lang=request.param).path
    pdf = libreoffice.convert([book], work / "pdf", "pdf")[0]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(work / "page")], check=True)
    return request.param, book, text, sorted(work.glob("page-*.png"))


def test_every_sheet_prints_with_no_hash_marks(rendered):
    lang, _, text, pngs = rendered
    pages = text.split("\f")
    assert len(pngs) >= 8 and all(p.stat().st_size > 2000 for p in pngs)
    assert "###" not in text  # a column too narrow for its number prints as ####
    sheets = (["Cover", "Contents", "Assumptions", "User GMV", "Category GMV", "Peer Comps", "SOTP", "Sensitivity",
               "Revenue Drivers", "Shareholders", "Online marketing", "Kuaishou history", "Forecast vs Actual", "Checks"]
              if lang == "en" else ["封面", "目录", "假设", "用户法GMV", "品类法GMV", "可比公司", "分部估值", "敏感性", "收入驱动",
                                    "股东", "线上营销", "快手历史业绩", "预测与实际", "检查"])
    footer = "{} — page" if lang == "en" else "{} — 第"
    for sheet in sheets:
        assert any(footer.format(sheet) in p for p in pages), sheet
    assert "40,320" in text and "102.50" in text and "Err:" not in text


def test_charts_are_in_the_file_and_on_the_page(rendered):
    lang, book, text, _ = rendered
    with zipfile.ZipFile(book) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 12  # two GMV grids, three peer groups, football field, tornado; 1 + 3 + 1 on the new sheets
    if lang == "en":
        for title in ("User method: GMV 2025E", "Category method: GMV 2025E", "PE 2022E", "PS 2022E",
                      "P/GMV 2022E", "Value per share (HKD)", "Tornado: change in value per share"):
            assert title in " ".join(text.split()), title
