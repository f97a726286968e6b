"""Reconstruct the 2022Q2 peers' implied net profit and GMV so every printed figure displays as the seed prints it.

The seed (天风证券, 2022-06-08, p.5-12) prints each peer's PE and P/GMV to two decimals and the group's
mean and median, but not the net profit or GMV behind them. ``market cap / printed multiple`` reproduces
each multiple, yet six statistics then land on x.xx5 or below and display 0.01 off the seed (the seed
computed them from unrounded multiples). The true multiples lie within ±0.005 of each printed one, so
this script picks, per group, fundamental and year, the smallest nudges d_i (steps of 0.0005, |d_i| ≤
0.0045) to the printed multiples such that

* each peer's multiple still displays as printed, and
* the mean and the median display as printed,

each at least 0.0001 clear of a rounding boundary (so Excel, LibreOffice and Python all show the same
digits). The nudged multiple m_i gives the fundamental market cap / m_i, written to six decimals.

The printed multiples are read from the ``# implied: market cap / published PE [...]`` comments of
``data/quarters/2022Q2.yaml`` (kept as printed); the printed statistics from ``tests/seed_figures.py``.
Run from the repository root: ``.venv/bin/python data/tools/reconstruct_peer_multiples.py [--write]``.
"""

import itertools
import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from seed_figures import SEED_STATS  # noqa: E402  (the printed statistics, one table for tests and this script)

DATA = ROOT / "data" / "quarters" / "2022Q2.yaml"
STEPS = [k * 0.0005 for k in range(-9, 10)]
MARGIN = 0.0001
CASES = {"ls_pe": ("ls", "net_profit", "PE"), "ads_pe": ("ads", "net_profit", "PE"),
         "ec_pe": ("ec", "net_profit", "PE"), "ec_pgmv": ("ec", "gmv", "P/GMV")}
LINE = re.compile(r"^(\s+)(net_profit|gmv): \[([^\]]*)\](\s+# implied: market cap / published (PE|P/GMV) \[([^\]]*)\].*)$")


def shown(x: float, places: int = 2) -> Decimal:
    """What a cell formatted to ``places`` decimals shows: the stored float rounded half away from zero."""
    return Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def clear(x: float) -> bool:
    """Whether ``x`` is at least MARGIN from a boundary x.xx5 between two displayed values."""
    frac = (x * 100) % 1
    return abs(frac - 0.5) * 0.01 >= MARGIN


def median(v: list[float]) -> float:
    s, n = sorted(v), len(v)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def nudges(printed: list[float], mean: float, med: float) -> list[float]:
    """The smallest nudges (by largest, then total size) that make the statistics display as printed."""
    best = None
    for d in itertools.product(STEPS, repeat=len(printed)):
        m = [p + x for p, x in zip(printed, d)]
        mu, md = sum(m) / len(m), median(m)
        if shown(mu) == shown(mean) and shown(md) == shown(med) and clear(mu) and clear(md):
            key = (max(abs(x) for x in d), sum(abs(x) for x in d))
            if best is None or key < best[0]:
                best = (key, list(d))
    if best is None:
        raise SystemExit(f"no nudges reach {mean}/{med} from {printed}")
    return best[1]


def parse(text: str) -> dict:
    """(group, field) → list of (line index, market cap, printed multiples) in file order."""
    out, group, mcap = {}, None, None
    for k, line in enumerate(text.splitlines()):
        g = re.match(r"^\s+- key: (ls|ads|ec)$", line)
        if g:
            group = g.group(1)
        c = re.match(r"^\s+market_cap: ([0-9.]+)$", line)
        if c:
            mcap = float(c.group(1))
        m = LINE.match(line)
        if m and group:
            printed = [None if p.strip() == "/" else float(p) for p in m.group(6).split(",")]
            out.setdefault((group, m.group(2)), []).append((k, mcap, printed))
    return out


def main(write: bool) -> None:
    text = DATA.read_text(encoding="utf-8")
    lines = text.splitlines()
    rows = parse(text)
    for name, (group, field, label) in CASES.items():
        peers = rows[(group, field)]
        multiples = [[p for p in printed] for _, _, printed in peers]
        for year in range(3):
            idx = [i for i, (_, _, printed) in enumerate(peers) if printed[year] is not None]
            d = nudges([peers[i][2][year] for i in idx], SEED_STATS[name][0][year], SEED_STATS[name][1][year])
            for i, x in zip(idx, d):
                multiples[i][year] = peers[i][2][year] + x
            if any(d):
                print(f"{name} {2021 + year}: nudges {d}")
        for (k, mcap, printed), m in zip(peers, multiples):
            values = ["null" if p is None else f"{mcap / x:.6f}" for p, x in zip(printed, m)]
            head = LINE.match(lines[k])
            lines[k] = f"{head.group(1)}{field}: [{', '.join(values)}]{head.group(4)}"
    check(lines, rows)
    if write:
        DATA.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {DATA}")


def check(lines: list[str], rows: dict) -> None:
    """Every multiple and statistic recomputed from the written fundamentals displays as printed."""
    for name, (group, field, _) in CASES.items():
        for year in range(3):
            got = []
            for k, mcap, printed in rows[(group, field)]:
                value = LINE.match(lines[k]).group(3).split(",")[year].strip()
                if printed[year] is not None:
                    m = mcap / float(value)
                    assert shown(m) == shown(printed[year]) and clear(m), (name, year, m, printed[year])
                    got.append(m)
            for stat, f in ((0, lambda v: sum(v) / len(v)), (1, median)):
                assert shown(f(got)) == shown(SEED_STATS[name][stat][year]) and clear(f(got)), (name, year, stat)


if __name__ == "__main__":
    main("--write" in sys.argv)
