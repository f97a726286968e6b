"""The choice lists of the model: scenarios, peer statistics and the SOTP's metric source."""

SCENARIOS = ("Bear", "Base", "Bull")
STATISTICS = ("Mean", "Median")
METRIC_SOURCES = ("Typed", "Drivers")
BASES = ("relative", "absolute")
CHOICE_LISTS = {"scenario_names": SCENARIOS, "stat_names": STATISTICS, "metric_source_names": METRIC_SOURCES,
                "basis_names": BASES}
"""Each dropdown list of the workbook and the codes it offers, in order (a workbook may show them translated:
formulas compare by position, and readers map what a cell shows back to its code)."""


def scenario_index(scenario: str) -> int:
    """Position of ``scenario`` (Bear/Base/Bull, any case) in the scenario order."""
    for i, name in enumerate(SCENARIOS):
        if str(scenario).strip().lower() == name.lower():
            return i
    raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, not {scenario!r}")

