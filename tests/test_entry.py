"""The kwai-xl process's entry point: collection off while importing, then on, with the imports frozen."""

import subprocess
import sys

REPORT = ("import atexit, gc, os, sys\n"
          "atexit.register(lambda: print('gc', gc.isenabled(), gc.get_freeze_count() > 0,"
          " os.environ.get('PYDANTIC_DISABLE_PLUGINS')))\n")


def _run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", REPORT + code], capture_output=True, text=True, timeout=60)
    return done.stdout.strip().splitlines()


def test_the_command_line_runs_with_collection_on_and_its_imports_frozen():
    lines = _run("sys.argv = ['kwai-xl', '--help']\nfrom kwai_xl.interfaces.entry import run\nrun()\n")
    assert any(line.startswith("Usage:") for line in lines)
    assert lines[-1] == "gc True True __all__"  # and no search for pydantic plugins


def test_python_dash_m_goes_through_the_entry_point():
    done = subprocess.run([sys.executable, "-c", REPORT + "import runpy, sys\nsys.argv = ['kwai_xl', '--help']\n"
                           "runpy.run_module('kwai_xl', run_name='__main__')\n"], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "gc True True __all__"


def test_importing_the_command_line_leaves_pythons_collector_as_it_was():
    assert _run("import kwai_xl.interfaces.cli\n")[-1] == "gc True False None"


def test_a_pydantic_plugin_setting_of_the_users_is_kept():
    lines = _run("os.environ['PYDANTIC_DISABLE_PLUGINS'] = 'logfire'\nsys.argv = ['kwai-xl', '--help']\n"
                 "from kwai_xl.interfaces.entry import run\nrun()\n")
    assert lines[-1] == "gc True True logfire"
