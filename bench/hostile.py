"""Hostile files: how long kwai-xl takes to refuse each, and its peak memory doing so (prints figures).

    .venv/bin/python bench/hostile.py      # also run by `make bench`

Each bomb of tests/hostile_files.py is written to a temporary folder and given to a
fresh `kwai-xl calc` (data files) or `kwai-xl pull` (workbooks) process; the table
shows the wall time and the process's peak resident memory, beside a process that
only starts kwai-xl (`--version`) for scale. The bombs are made in processes of their
own: Linux counts a parent's memory at fork in its child's peak, so this one stays small.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def measured(args: list[str], env: dict) -> tuple[float, float, int, str]:
    """(wall s, peak RSS MiB, exit code, last stderr line) of one fresh ``python -m kwai_xl`` process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kwai_xl", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    stderr = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = stderr.strip().splitlines()
    return time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode, lines[-1] if lines else ""


def make(kind: str, folder: Path, book: Path) -> Path:
    """Write the bomb ``kind`` into ``folder`` in a process of its own; its path."""
    code = ("import sys; from pathlib import Path; from hostile_files import BOMBS; make, command, _ = BOMBS[sys.argv[1]]; "
            "f, b = Path(sys.argv[2]), Path(sys.argv[3]); print(make(f) if command == 'calc' else make(b, f))")
    out = subprocess.run([sys.executable, "-c", code, kind, str(folder), str(book)], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path[:2])})
    return Path(out.stdout.strip())


def main() -> None:
    from hostile_files import BOMBS

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "quarters"
        shutil.copytree(ROOT / "data" / "quarters", data)
        env = {**os.environ, "KWAI_XL_DATA": str(data), "XDG_CACHE_HOME": str(tmp / "cache")}
        book = tmp / "seed.xlsx"
        subprocess.run([sys.executable, "-m", "kwai_xl", "build", "--out", str(book)], check=True, capture_output=True, env=env)
        rows = [("`kwai-xl --version` (start-up only)", *measured(["--version"], env))]
        for kind, (_, command, words) in BOMBS.items():
            folder = tmp / f"bomb{len(rows)}"
            folder.mkdir()
            path = make(kind, folder, book)
            args = ["calc", "--quarter", str(path)] if command == "calc" else ["pull", str(path)]
            wall, peak, code, line = measured(args, env)
            assert code == 2 and words in line, (kind, code, line)
            rows.append((f"{kind}, {path.stat().st_size / 2**20:.2f} MiB file: `{command}`", wall, peak, code, line))
    width = max(len(r[0]) for r in rows)
    print(f"{'input':<{width}}  {'time':>7}  {'peak RSS':>9}  exit")
    for name, wall, peak, code, _ in rows:
        print(f"{name:<{width}}  {wall:6.2f}s  {peak:6.0f} MiB  {code}")


if __name__ == "__main__":
    main()
