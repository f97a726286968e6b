"""Recalculating workbooks with a real spreadsheet engine: headless LibreOffice.

LibreOffice trusts an .xlsx file's cached values by default; the profile made
here sets ``OOXMLRecalcMode`` to 0 (always recalculate) so every formula is
computed afresh. Outputs go to a separate folder: the inputs are never touched.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import KwaiError

RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
TIMEOUT_S = 300


def soffice() -> str:
    """The LibreOffice executable, or a one-line error saying how to install it."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise KwaiError("LibreOffice is not installed: run `make test` once, or apt-get install libreoffice-calc-nogui")
    return exe


def make_profile(folder: Path) -> str:
    """A LibreOffice user profile in ``folder`` that recalculates on load; its -env URL."""
    user = folder / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
    return folder.resolve().as_uri()


def convert(files: list[Path], outdir: Path, target: str = "xlsx") -> list[Path]:
    """Open ``files`` in headless LibreOffice (recalculating everything) and save them to ``outdir`` as ``target``."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kwai-lo-") as tmp:
        profile = make_profile(Path(tmp) / "profile")
        cmd = [soffice(), f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", target, "--outdir", str(outdir), *map(str, files)]
        env = {**os.environ, "HOME": tmp}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            raise KwaiError(f"LibreOffice did not finish within {TIMEOUT_S} s") from None
    produced = [outdir / f"{Path(f).stem}.{target.split(':')[0]}" for f in files]
    missing = [p for p in produced if not p.exists()]
    if missing:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise KwaiError(f"LibreOffice could not convert {missing[0].name}: {detail[-1] if detail else 'no output'}")
    return produced


def recalculate(files: list[Path], outdir: Path) -> list[Path]:
    """Recalculated copies of ``files`` in ``outdir`` (read them with the reader, never ship them)."""
    return convert(files, outdir, "xlsx")
