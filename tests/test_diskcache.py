"""The parse cache: a document read again comes from the cache, any change to its text is parsed anew, and
nothing in the folder runs or is trusted unless it is the user's own and private."""

import os
import pickle
import signal
import stat
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from kwai_xl import diskcache, safeyaml
from kwai_xl.diskcache import ParseCache, cache_dir, code_digest, parse_cache
from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters import schema
from kwai_xl.safeyaml import safe_yaml

TEXT = "a: 1\nb:\n- x\n- 2022-06-02\n- 2022-06-02 10:00:00+08:00\n- 1.5\n- true\n- ~\n? [p, q]\n: key\n"
PARSED = {"a": 1, "b": ["x", date(2022, 6, 2), datetime(2022, 6, 2, 10, tzinfo=timezone(timedelta(hours=8))), 1.5,
                         True, None], ("p", "q"): "key"}


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A cache folder of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KWAI_XL_CACHE", raising=False)
    return tmp_path / "cache" / "kwai-xl" / "yaml"


def private_file(path) -> bool:
    st = path.lstat()
    return stat.S_ISREG(st.st_mode) and not stat.S_IMODE(st.st_mode) & 0o077


def _kept(folder):
    return sorted(folder.glob("*.pickle")) if folder.exists() else []


def _parsing_fails(monkeypatch):
    """Make parsing anything raise, so that a document can only come from the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("parsed, not read from the cache")
    monkeypatch.setattr(safeyaml, "plain_document", refuse)
    monkeypatch.setattr(schema, "_counted", refuse)


def test_a_document_read_again_comes_from_the_cache_as_it_was_parsed(cache_home, monkeypatch):
    first = safe_yaml().load(TEXT)
    assert first == PARSED and len(_kept(cache_home)) == 1
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert not stat.S_IMODE(_kept(cache_home)[0].stat().st_mode) & 0o077
    first["a"] = "changed by its reader"  # what a reader does with its copy is its own
    _parsing_fails(monkeypatch)
    again = safe_yaml().load(TEXT)
    assert again == PARSED and again is not first


def test_any_change_to_the_text_or_to_the_yaml_version_is_parsed_anew(cache_home):
    safe_yaml().load(TEXT)
    assert safe_yaml().load(TEXT.replace("1.5", "1.6"))["b"][3] == 1.6
    older = safe_yaml()
    older.version = (1, 1)
    assert older.load("a: yes\n") == {"a": True} and safe_yaml().load("a: yes\n") == {"a": "yes"}
    assert len(_kept(cache_home)) == 4


def test_an_edited_quarter_file_is_read_as_edited(cache_home, tmp_path):
    path = tmp_path / "2022Q2.yaml"
    text = (DATA_DIR / "2022Q2.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = schema.parse_quarter(path, schema.read_yaml(path))
    path.write_text(text.replace("price: {value: 79.9,", "price: {value: 81.25,"), encoding="utf-8")
    again = schema.parse_quarter(path, schema.read_yaml(path))
    assert (first.market.price.value, again.market.price.value) == (79.9, 81.25)
    assert schema.parse_quarter(path, schema.read_yaml(path)) == again  # this time from the cache


def test_later_quarters_outcomes_come_from_the_cache(cache_home, monkeypatch):
    path = DATA_DIR / "2025Q4.yaml"
    text = path.read_text(encoding="utf-8")
    first = schema.parse_yaml(path, text, schema.Outcomes.model_fields)
    _parsing_fails(monkeypatch)
    assert schema.parse_yaml(path, text, schema.Outcomes.model_fields) == first
    assert set(first) == {"quarter", "as_of", "market", "reported"}  # the sections it has of those asked for
    with pytest.raises(AssertionError, match="not read from the cache"):  # the whole file is another reading
        schema.parse_yaml(path, text)


def test_a_planted_pickle_never_runs_and_the_text_is_parsed(cache_home, tmp_path):
    safe_yaml().load(TEXT)
    (kept,) = _kept(cache_home)
    marker = tmp_path / "marker"

    class Planted:
        def __reduce__(self):
            return (os.system, (f"echo planted > {marker}",))

    kept.write_bytes(pickle.dumps(Planted()))
    assert safe_yaml().load(TEXT) == PARSED
    assert not marker.exists()


def test_a_damaged_entry_is_parsed_again_and_kept_anew(cache_home):
    safe_yaml().load(TEXT)
    (kept,) = _kept(cache_home)
    kept.write_bytes(kept.read_bytes()[:10])
    assert safe_yaml().load(TEXT) == PARSED
    assert pickle.loads(kept.read_bytes()) == PARSED


PARENT_SPOILERS = {
    "kwai-xl's folder writable by others": lambda parent: parent.chmod(0o777),
    "kwai-xl's folder a symbolic link": lambda parent: (parent.rename(parent.with_name("elsewhere")),
                                                       parent.symlink_to(parent.with_name("elsewhere"))),
}


@pytest.mark.parametrize("spoiler", sorted(PARENT_SPOILERS))
def test_a_parse_cache_in_a_folder_anyone_else_could_have_written_is_not_used(cache_home, spoiler):
    (cache_home.parent).mkdir(parents=True, mode=0o700)
    PARENT_SPOILERS[spoiler](cache_home.parent)
    assert safe_yaml().load(TEXT) == PARSED
    assert not (cache_home.parent / "yaml").exists() and not (cache_home.parent.with_name("elsewhere") / "yaml").exists()


SPOILERS = {
    "a folder others can write": lambda folder, kept: folder.chmod(0o777),
    "a file others can write": lambda folder, kept: kept.chmod(0o666),
    "a symbolic link for a file": lambda folder, kept: (kept.rename(kept.with_suffix(".real")),
                                                        kept.symlink_to(kept.with_suffix(".real"))),
    "a symbolic link for the folder": lambda folder, kept: (folder.rename(folder.with_name("elsewhere")),
                                                            folder.symlink_to(folder.with_name("elsewhere"))),
}


@pytest.mark.parametrize("spoiler", sorted(SPOILERS))
def test_a_cache_anyone_else_could_have_written_is_neither_read_nor_written(cache_home, monkeypatch, spoiler):
    safe_yaml().load(TEXT)
    (kept,) = _kept(cache_home)
    planted = pickle.dumps({"planted": True})
    kept.write_bytes(planted)
    SPOILERS[spoiler](cache_home, kept)
    before = {p.name: p.read_bytes() for p in cache_home.iterdir() if p.is_file() and not p.is_symlink()}
    assert safe_yaml().load(TEXT) == PARSED  # parsed, not the planted document
    assert safe_yaml().load("other: text\n") == {"other": "text"}
    after = {p.name: p.read_bytes() for p in cache_home.iterdir() if p.is_file() and not p.is_symlink()}
    if "folder" in spoiler:
        assert after == before  # nothing written there
    else:  # the folder is private: the entry is replaced by the user's own (a link is never followed)
        assert after[kept.name] != planted and private_file(kept)
        assert after.get(kept.with_suffix(".real").name, planted) == planted


def test_kwai_xl_cache_off_keeps_nothing_on_disk(cache_home, monkeypatch):
    monkeypatch.setenv("KWAI_XL_CACHE", "off")
    assert parse_cache() is None
    assert safe_yaml().load(TEXT) == PARSED
    assert not cache_dir().exists()


def test_the_cache_keeps_at_most_its_size_and_what_is_read_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(diskcache, "MAX_ENTRIES", 4)
    cache = ParseCache(tmp_path, "yaml", "revision")
    for k in range(4):
        cache.put("kind", f"text {k}", k)
        os.utime(cache.folder / cache._name("kind", f"text {k}"), ns=(k * 10**9, k * 10**9))
    assert cache.get("kind", "text 0") == (0,)  # the oldest written, read now: used last
    (cache.folder / ".left.by.a.killed.process.tmp").write_bytes(b"")
    os.utime(cache.folder / ".left.by.a.killed.process.tmp", ns=(0, 0))
    cache.put("kind", "text 4", 4)  # five: the two least recently used go
    assert [k for k in range(5) if cache.get("kind", f"text {k}") is not None] == [0, 3, 4]
    assert not list(cache.folder.glob("*.tmp"))


def test_another_parser_revision_is_another_key(tmp_path):
    ParseCache(tmp_path, "yaml", "ruamel 0.18").put("kind", "a: 1\n", {"a": 1})
    assert ParseCache(tmp_path, "yaml", "ruamel 0.19").get("kind", "a: 1\n") is None
    assert ParseCache(tmp_path, "yaml", "ruamel 0.18").get("kind", "a: 1\n") == ({"a": 1},)


def test_parsing_code_changed_in_place_is_another_revision(tmp_path):
    """A module copied over with its size and time kept (cp -p, rsync, an unpacked archive) is still new code."""
    code = tmp_path / "schema.py"
    code.write_text("MAX_DEPTH = 64\n")
    before = code_digest([code])
    stamp = code.stat()
    code.write_text("MAX_DEPTH = 16\n")
    os.utime(code, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert code.stat().st_size == stamp.st_size and code_digest([code]) != before


def test_a_pipe_planted_at_an_entry_is_not_waited_on(cache_home):
    safe_yaml().load(TEXT)
    (kept,) = _kept(cache_home)
    kept.unlink()
    os.mkfifo(kept, 0o600)
    signal.alarm(10)  # a wait on the pipe fails the test instead of hanging it
    try:
        assert safe_yaml().load(TEXT) == PARSED
    finally:
        signal.alarm(0)


def test_a_fresh_process_reads_a_quarter_from_the_cache(cache_home, tmp_path):
    """Two processes build the same quarter: the second parses none of the texts the first kept."""
    code = ("import sys\nfrom kwai_xl import safeyaml, diskcache\n"
            "calls = []\nplain = safeyaml.plain_document\n"
            "safeyaml.plain_document = lambda *a: calls.append(1) or plain(*a)\n"
            "from kwai_xl.interfaces.cli import main\n"
            f"main(['build', '-q', '2022Q2', '--out', {str(tmp_path / 'w.xlsx')!r}, '--force'], standalone_mode=False)\n"
            "print('parsed', len(calls))\n")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "XDG_CACHE_HOME": str(cache_home.parent.parent)}) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    counts = [int(run.stdout.split("parsed ")[-1]) for run in runs]
    assert counts[0] > 10 and counts[1] == 0, counts


@pytest.mark.parametrize("spoiler", sorted(PARENT_SPOILERS))
def test_a_cache_folder_not_used_is_named_by_build(cache_home, tmp_path, spoiler):
    (cache_home.parent).mkdir(parents=True, mode=0o700)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home.parent.parent)}
    build = [sys.executable, "-m", "kwai_xl", "build", "-q", "2022Q2", "--out", str(tmp_path / "k.xlsx"), "--force"]
    quiet = subprocess.run(build, capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0 and "kwai-xl keeps no compiled" not in quiet.stderr
    PARENT_SPOILERS[spoiler](cache_home.parent)
    named = subprocess.run(build, capture_output=True, text=True, env=env, timeout=300)
    assert named.returncode == 0
    assert f"warning: {cache_home.parent} " in named.stderr and "kwai-xl keeps no compiled templates" in named.stderr
