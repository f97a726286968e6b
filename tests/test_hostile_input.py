"""Hostile input and faults: planted compiled templates, lax types, bombs, OS errors, look-alike quarter names."""

import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_files import BOMBS, workbook_xml, yaml_alias_bomb, yaml_huge_file
from jinja2 import FileSystemBytecodeCache
from openpyxl import load_workbook

from kwai_xl.diskcache import cache_dir
from kwai_xl.errors import KwaiError
from kwai_xl.interfaces.cli import main
from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters.schema import load_quarter
from kwai_xl.readback.pull import pull
from kwai_xl.workbook.build import build_workbook
from kwai_xl.workbook.layout import template_environment

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
    folder = cache_dir()
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


def test_a_cache_folder_that_cannot_take_a_compiled_template_fails_no_build(tmp_path, monkeypatch):
    """A full disk or a read-only cache folder: the template is compiled and used, and compiled again next time."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def full(self, bucket):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(FileSystemBytecodeCache, "dump_bytecode", full)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("hello {{ who }}")
    assert template_environment(templates).get_template("t.j2").render(who="analyst") == "hello analyst"


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


# --- strict types, dates, names ------------------------------------------------------------------------------

PRICE = "price: {value: 79.9,"
TYPE_CASES = {
    "true as the price": (SEED_TEXT.replace(PRICE, "price: {value: true,"), "market.price.value", "True"),
    "a numeric string as the price": (SEED_TEXT.replace(PRICE, "price: {value: '79.9',"), "market.price.value", "'79.9'"),
    "false as a fraction": (SEED_TEXT.replace("penetration: {values: [0.5, 0.6, 0.7]", "penetration: {values: [0.5, false, 0.7]"),
                            "user_method.penetration.values.1", "False"),
    "a numeric string as a year figure": (SEED_TEXT.replace("years: [2021, 2022, 2023]", "years: [2021, '2022', 2023]"),
                                          "years.1", "'2022'"),
    "a date that does not exist": (SEED_TEXT.replace("\nas_of: 2022-06-02", "\nas_of: 2022-02-30"),
                                   "line 7", "2022-02-30' is not a valid date (day is out of range for month)"),
    "a thirteenth month": (SEED_TEXT.replace("\nas_of: 2022-06-02", "\nas_of: 2022-13-01"),
                           "line 7", "2022-13-01' is not a valid date"),
}


@pytest.mark.parametrize("case", sorted(TYPE_CASES))
def test_lax_types_and_impossible_dates_are_refused_in_one_line(tmp_path, case):
    text, where, got = TYPE_CASES[case]
    assert text != SEED_TEXT
    path = tmp_path / "2022Q2.yaml"
    path.write_text(text, encoding="utf-8")
    line = one_line_error(CliRunner().invoke(main, ["calc", "--quarter", str(path)]))
    assert line.startswith(f"error: {path}: ") and where in line and got in line, line


@pytest.mark.parametrize("name", ["２０２５Q4", "٢٠٢٥Q4", "2025Q4\n"])
def test_quarter_names_are_ascii_only(quarter_dir, monkeypatch, name):
    from kwai_xl import paths
    monkeypatch.setattr(paths, "DATA_DIR", quarter_dir)
    before = sorted(p.name for p in quarter_dir.iterdir())
    line = one_line_error(CliRunner().invoke(main, ["new-quarter", name, "--from", "2022Q2"]))
    assert "is not a quarter like" in line
    assert sorted(p.name for p in quarter_dir.iterdir()) == before
    one_line_error(CliRunner().invoke(main, ["calc", "--quarter", name]))


def test_quarters_lists_the_valid_files_and_names_the_broken_ones(quarter_dir, monkeypatch):
    from kwai_xl import paths
    monkeypatch.setattr(paths, "DATA_DIR", quarter_dir)
    for path in quarter_dir.glob("*.yaml"):  # the seed quarter alone, whatever state the others are in
        if path.stem != "2022Q2":
            path.unlink()
    (quarter_dir / "2023Q1.yaml").write_text(SEED_TEXT.replace("quarter: 2022Q2", "quarter: 2023Q1")
                                             .replace(PRICE, "price: {value: true,"), encoding="utf-8")
    (quarter_dir / "2023Q2.yaml").write_text("quarter: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["quarters"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["2022Q2", "2023Q1", "2023Q2"]
    assert "BROKEN" in lines[1] and "market.price.value" in lines[1]
    assert "BROKEN" in lines[2] and "not valid YAML" in lines[2]
    assert "BROKEN" not in lines[0] and "as of 2022-06-02" in lines[0]


@pytest.mark.parametrize("seed", ["-1", "-99999999999999999999"])
def test_a_negative_sweep_seed_is_one_line(seed):
    line = one_line_error(CliRunner().invoke(main, ["sweep", "-q", "2022Q2", "--draws", "10", "--seed", seed]))
    assert line == f"error: --seed: must be a whole number, 0 or more (got {seed})"


def test_a_huge_sweep_seed_is_a_seed():
    assert CliRunner().invoke(main, ["sweep", "-q", "2022Q2", "--draws", "10", "--seed", str(2**100), "--json"]).exit_code == 0


def _typed_into(built: Path, target: Path, name: str, value, offset=(0, 0)) -> tuple[Path, str]:
    """A copy of ``built`` with ``value`` typed into the cell of input ``name``; the copy and that cell's address."""
    wb = load_workbook(built)
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    first = wb[sheet][ref.replace("$", "").split(":")[0]]
    cell = wb[sheet].cell(first.row + offset[0], first.column + offset[1])
    cell.value = value
    wb.save(target)
    return target, f"{sheet}!{cell.coordinate}"


@pytest.mark.parametrize("value", [True, "85.5", " 85.5 "])
def test_pull_refuses_a_boolean_or_text_in_a_number_cell_naming_it(quarter_dir, tmp_path, value):
    data_file = quarter_dir / "2022Q2.yaml"
    before = data_file.read_bytes()
    built = build_workbook(load_quarter(data_file), tmp_path / "b.xlsx").path
    edited, where = _typed_into(built, tmp_path / "typed.xlsx", "price", value)
    assert where.startswith("Assumptions!C")
    with pytest.raises(KwaiError, match=rf"{where} \(price\): {re.escape(repr(value.strip() if isinstance(value, str) else value))} "
                                        rf"is not a number"):
        pull(edited, data_dir=quarter_dir)
    assert data_file.read_bytes() == before


def test_pull_refuses_a_boolean_in_a_blank_number_cell_naming_it(quarter_dir, tmp_path):
    data_file = quarter_dir / "2022Q2.yaml"
    before = data_file.read_bytes()
    built = build_workbook(load_quarter(data_file), tmp_path / "b.xlsx").path
    edited, where = _typed_into(built, tmp_path / "typed.xlsx", "ls_np", True, (2, 1))  # HUYA's 2022E profit, blank
    with pytest.raises(KwaiError, match=rf"{where}: the edited inputs do not validate: .*net_profit.1: "
                                        r"Input should be a valid number \(got True\)"):
        pull(edited, data_dir=quarter_dir)
    assert data_file.read_bytes() == before


# --- full disk, read-only folder, permission denied ---------------------------------------------------------

@pytest.fixture
def mounted(tmp_path):
    """Mount a small tmpfs with the given options (root only); unmounted afterwards."""
    points = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(points)}"
        point.mkdir()
        if not IS_ROOT or subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                                         capture_output=True).returncode != 0:
            pytest.skip("mounting a tmpfs needs root")
        points.append(point)
        return point

    yield mount
    for point in points:
        subprocess.run(["umount", str(point)], check=True)


def test_a_full_disk_is_one_line_naming_the_file(mounted):
    folder = mounted("size=48k")
    out = folder / "k.xlsx"
    line = one_line_error(CliRunner().invoke(main, ["build", "-q", "2022Q2", "--out", str(out)]))
    assert line == f"error: {out}: No space left on device (OSError)"
    assert list(folder.iterdir()) == []  # the temporary file is gone, nothing half-written


def test_a_read_only_folder_is_one_line_naming_the_file(mounted):
    folder = mounted("ro,size=1m")
    out = folder / "main.py"
    line = one_line_error(CliRunner().invoke(main, ["lite", "--out", str(out)]))
    assert line == f"error: {out}: Read-only file system (OSError)"


def _as_nobody(args: list[str]) -> tuple[int, str]:
    """(exit code, stderr) of the CLI run in a forked child that has dropped root for the user nobody."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no exec, so it needs nothing from root's home
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(pwd.getpwnam("nobody").pw_gid)
            os.setuid(_nobody())
            result = CliRunner().invoke(main, args)
            os.write(write, f"{result.exit_code}\n{result.stderr}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        code, _, stderr = fh.read().decode().partition("\n")
    os.waitpid(pid, 0)
    return int(code), stderr


def test_permission_denied_is_one_line_naming_the_file(monkeypatch):
    if not IS_ROOT:
        pytest.skip("running as another user needs root")
    folder = Path(tempfile.mkdtemp(prefix="kwai-denied-"))  # under /tmp: another user can reach it
    try:
        folder.chmod(0o755)  # readable by all, writable by root only
        data = folder / "quarters"
        shutil.copytree(DATA_DIR, data)
        from kwai_xl import paths
        monkeypatch.setattr(paths, "DATA_DIR", data)
        code, stderr = _as_nobody(["new-quarter", "2023Q1", "--from", "2022Q2"])
        assert code == 2, stderr
        assert stderr == f"error: {data / '2023Q1.yaml'}: Permission denied (PermissionError)\n"
        assert sorted(p.name for p in data.iterdir()) == sorted(p.name for p in DATA_DIR.iterdir())
    finally:
        shutil.rmtree(folder)


# --- bombs: refused before they are expanded or parsed (bench/hostile.py measures their time and memory) ------

@pytest.mark.parametrize("kind", [k for k, (_, command, _) in BOMBS.items() if command == "calc"])
def test_data_file_bombs_are_refused_before_they_are_built(tmp_path, kind):
    make, _, words = BOMBS[kind]
    path = make(tmp_path, **({"items": 600_000} if make is yaml_huge_file else {}))  # 1.2 MB is over the cap too
    line = one_line_error(CliRunner().invoke(main, ["calc", "--quarter", str(path)]))
    assert line.startswith(f"error: {path}: ") and words in line and len(line) < 300, line


def test_an_error_message_never_shows_a_whole_value(tmp_path):
    bomb = yaml_alias_bomb(tmp_path, depth=3)  # 729 values: under the limit, so it reaches the schema
    line = one_line_error(CliRunner().invoke(main, ["calc", "--quarter", str(bomb)]))
    # described two levels and four items deep, never rendered whole and then cut
    assert "market.price.value: Input should be a valid number (got [[[...], [...], [...], [...], ...]" in line, line


@pytest.mark.parametrize("kind", [k for k, (_, command, _) in BOMBS.items() if command == "pull"])
def test_workbook_bombs_are_refused_before_they_are_parsed(tmp_path, seed_book, quarter_dir, monkeypatch, kind):
    make, _, words = BOMBS[kind]
    path = make(seed_book, tmp_path, **({"cells": 300_000} if "cell" in kind else {}))  # over the element limit

    def never(*args, **kwargs):
        raise AssertionError("the workbook reached the full parse")

    monkeypatch.setattr("kwai_xl.workbook.package.load_workbook", never)  # where read_workbook parses
    with pytest.raises(KwaiError, match=words):
        pull(path, data_dir=quarter_dir)


def test_a_plain_utf16_workbook_part_is_still_read(tmp_path, seed_book, quarter_dir):
    import zipfile
    xml = workbook_xml(seed_book)
    utf16 = '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + xml.encode("utf-16")[2:]
    with zipfile.ZipFile(seed_book) as src, zipfile.ZipFile(tmp_path / "u.xlsx", "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, utf16 if item.filename == "xl/workbook.xml" else src.read(item.filename))
    assert pull(tmp_path / "u.xlsx", data_dir=quarter_dir, dry_run=True).changes == []


@pytest.mark.parametrize("kind", ["DTD after a 3 KB comment", "DTD in a UTF-16 part", "3-million-cell sheet"])
def test_verify_refuses_them_before_libreoffice_sees_them(tmp_path, seed_book, kind):
    from kwai_xl.readback.verify import verify_workbook
    make, _, words = BOMBS[kind]
    with pytest.raises(KwaiError, match=words):
        verify_workbook(make(seed_book, tmp_path, **({"cells": 300_000} if "cell" in kind else {})))


def test_a_zip_bomb_keeping_the_package_digest_property_is_never_unpacked_to_be_hashed(seed_book, tmp_path,
                                                                                         monkeypatch):
    """The shortcut for a file exactly as built reads every part; a bomb carrying kwai-xl's properties is refused
    by the same size checks the reader makes, before any part is unpacked."""
    from hostile_files import zip_bomb

    from kwai_xl.workbook import package

    assert package.untouched_since_built(seed_book)
    bomb = zip_bomb(seed_book, tmp_path)  # its docProps/custom.xml is the seed's own

    def unpacked(z, info):
        raise AssertionError(f"{info.filename} unpacked")

    monkeypatch.setattr(package, "_chunks", unpacked)
    assert not package.untouched_since_built(bomb)


@pytest.mark.parametrize("tail", ["", " &a x", " !!str x"], ids=["plain", "anchored", "tagged"])
def test_a_deep_nest_is_refused_in_one_line_before_the_composer_meets_it(tmp_path, tail):
    """ruamel's composer recurses: some 28,000 nested brackets crashed the process (SIGSEGV) under 1 MiB."""
    path = tmp_path / "2022Q2.yaml"
    text = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
    path.write_text(text + "extra: " + "[" * 30_000 + "1" + tail + "]" * 30_000 + "\n", encoding="utf-8")
    with pytest.raises(KwaiError, match=r"2022Q2.yaml: line \d+: nested more than 64 levels deep"):
        load_quarter(path)


def test_an_alias_to_nothing_is_named_before_a_later_syntax_error(tmp_path):
    path = tmp_path / "2022Q2.yaml"
    text = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8").replace("as_of: 2022-06-02", "as_of: *d", 1)
    path.write_text(text + "zzz: [\n", encoding="utf-8")
    with pytest.raises(KwaiError, match=r"line \d+: alias \*d refers to a value that is not complete there"):
        load_quarter(path)
