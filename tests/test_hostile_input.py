"""Hostile input and faults: planted compiled templates, lax types, bombs, OS errors, look-alike quarter names."""

import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2 import FileSystemBytecodeCache

from kwai_xl.interfaces.cli import main
from kwai_xl.paths import DATA_DIR
from kwai_xl.workbook.layout import template_cache_dir, template_environment

SEED_TEXT = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def one_line_error(result) -> str:
    """The single ``error: …`` line of a CLI run that exited 2."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.output
    return lines[0]


# --- compiled-template cache -------------------------------------------------------------------------------

def _plant(cache_dir: Path, env, template: str, marker: Path) -> Path:
    """Write, where jinja2 looks for ``template``'s compiled form, code that creates ``marker`` when loaded."""
    source, filename, _ = env.loader.get_source(env, template)
    planter = FileSystemBytecodeCache(str(cache_dir))
    bucket = planter.get_bucket(env, template, filename, source)
    bucket.code = compile(f"open({str(marker)!r}, 'w').write('planted code ran')", "planted", "exec")
    planter.set_bucket(bucket)
    return Path(planter._get_cache_filename(bucket))


def _nobody() -> int:
    return pwd.getpwnam("nobody").pw_uid


SPOILERS = {
    "owned by another user": lambda folder, planted: (os.chown(folder, _nobody(), -1), os.chown(planted, _nobody(), -1)),
    "world-writable folder": lambda folder, planted: os.chmod(folder, 0o777),
    "group-writable file": lambda folder, planted: os.chmod(planted, 0o664),
    "a symbolic link": lambda folder, planted: (os.rename(folder, folder.with_name("elsewhere")),
                                                os.symlink(folder.with_name("elsewhere"), folder)),
}


@pytest.mark.parametrize("spoiler", [None, *SPOILERS])
def test_a_planted_compiled_template_never_runs(tmp_path, monkeypatch, spoiler):
    if spoiler == "owned by another user" and not IS_ROOT:
        pytest.skip("giving a folder to another user needs root")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("hello {{ who }}")
    marker = tmp_path / "marker"
    env = template_environment(templates)
    folder = template_cache_dir()
    assert folder == tmp_path / "cache" / "kwai-xl" and stat.S_IMODE(folder.stat().st_mode) == 0o700
    planted = _plant(folder, env, "t.j2", marker)
    if spoiler is None:  # the control: the user's own private cache is trusted, so the plant is real code
        with pytest.raises(Exception):
            env.get_template("t.j2")
        assert marker.read_text() == "planted code ran"
        return
    SPOILERS[spoiler](folder, planted)  # after the environment was made: checked on every use, not once
    assert env.get_template("t.j2").render(who="analyst") == "hello analyst"
    assert not marker.exists()
    assert template_environment.__wrapped__(templates).get_template("t.j2").render(who="x") == "hello x"
    assert not marker.exists()


def test_the_cache_folder_is_made_private_and_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("hello")
    assert template_environment(templates).get_template("t.j2").render() == "hello"
    folder = tmp_path / "cache" / "kwai-xl"
    cached = list(folder.glob("__jinja2_*.cache"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and len(cached) == 1
    assert not stat.S_IMODE(cached[0].stat().st_mode) & 0o022
