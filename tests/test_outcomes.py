"""A later quarter file's outcomes (what Forecast vs Actual reads of it), built from its own top-level keys only."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kwai_xl.errors import KwaiError
from kwai_xl.paths import DATA_DIR
from kwai_xl.quarters.schema import (
    Outcomes,
    _yaml,
    load_outcomes,
    load_quarter,
    read_text,
    read_yaml,
    top_level_sections,
)

SHIPPED = sorted(DATA_DIR.glob("*.yaml"))


def sections(text: str):
    return top_level_sections(text, list(_yaml().parse(text)), Outcomes.model_fields)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_files_outcomes_are_its_own_and_read_from_its_sections_alone(path):
    q, outcomes = load_quarter(path), load_outcomes(path)
    assert (outcomes.quarter, outcomes.as_of, outcomes.market, outcomes.reported, outcomes.share_prices) == (
        q.quarter, q.as_of, q.market, q.reported, q.share_prices)
    part = sections(read_text(path))
    assert part is not None and len(part) < len(read_text(path)) / 3
    assert set(_yaml().load(part)) == set(Outcomes.model_fields) & set(read_yaml(path))


LATER = DATA_DIR / "2025Q4.yaml"


def rewritten(tmp_path, text: str):
    path = tmp_path / "2025Q4.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("change", [
    # a double-quoted title running on in column 0, with a line that looks like a top-level key
    lambda t: t.replace("title: Kuaishou", 'title: "Kuaishou\nmarket: not a key"\ntitle_was: Kuaishou', 1),
    lambda t: t.replace("\n", "\r\n"),                                      # CRLF
    lambda t: t.replace("title: Kuaishou", "title: \"Kuaishou\u2028line\"\ntitle_was: Kuaishou", 1),  # LS inside
    lambda t: t.replace("market:", "market: &m", 1).rstrip("\n") + "\nmarket_again: *m\n",  # an anchor and alias
    lambda t: "%YAML 1.2\n---\n" + t,                                       # a directive and document marker
    lambda t: t.replace("reported:", "# reported below\nreported:", 1),     # a comment in column 0
    lambda t: "%TAG !k! tag:yaml.org,2002:\n---\n" + t.replace("as_of: 2025-12-05", "as_of: !k!timestamp 2025-12-05", 1),
    lambda t: t.replace("\nmarket:\n", "\n?\n  market\n:\n", 1),              # an explicit key
    lambda t: t.replace("\nreported:\n", '\n"reported":\n', 1),                # a quoted key
], ids=["quoted-run-on", "crlf", "line-separator", "anchor", "directive", "comment", "tag-handle", "explicit-key",
        "quoted-key"])
def test_any_file_gives_the_outcomes_the_whole_file_gives(tmp_path, change):
    path = rewritten(tmp_path, change(LATER.read_text(encoding="utf-8")))
    whole = Outcomes.model_validate(read_yaml(path))
    assert load_outcomes(path) == whole
    assert whole.market.price.value == load_quarter(LATER).market.price.value


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["title", "market", "reported", "peers", "as_of", "share_prices", "notes"]),
                min_size=1, max_size=6, unique=True),
       st.sampled_from(["'", '"', ""]))
def test_sections_hold_exactly_the_keys_asked_whatever_the_order(keys, quote):
    text = "".join(f"{k}:\n  - {quote}{k} value{quote}\n  - {{a: 1}}\n# after {k}\n" for k in keys)
    got = _yaml().load(sections(text) or "{}") or {}
    assert got == {k: v for k, v in _yaml().load(text).items() if k in Outcomes.model_fields}


def test_a_file_whose_outcomes_are_invalid_is_named(tmp_path):
    text = LATER.read_text(encoding="utf-8")
    assert "  price: {value: 67.65" in text
    with pytest.raises(KwaiError, match=r"2025Q4.yaml: market\.price\.value: .*-67\.65"):
        load_outcomes(rewritten(tmp_path, text.replace("  price: {value: 67.65", "  price: {value: -67.65", 1)))
