"""The choice lists of the model: scenarios, peer statistics and the SOTP's metric source."""

SCENARIOS = ("Bear", "Base", "Bull")
STATISTICS = ("Mean", "Median")
METRIC_SOURCES = ("Typed", "Drivers")


def scenario_index(scenario: str) -> int:
    """Position of ``scenario`` (Bear/Base/Bull, any case) in the scenario order."""
    for i, name in enumerate(SCENARIOS):
        if str(scenario).strip().lower() == name.lower():
            return i
    raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, not {scenario!r}")

