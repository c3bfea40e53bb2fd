"""The six stages of the customer relationship (DOMAIN.md §3.1) and the strategy for each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageDefinition:
    """A stage, its place in the sequence and the strategy the bank applies in it."""

    name: str
    order: int
    description: str
    strategy: str


STAGE_DEFINITIONS: tuple[StageDefinition, ...] = (
    StageDefinition(
        "prospect",
        1,
        "Interest shown, no business yet and no contribution.",
        "Acquire: identify needs and convert to a first product.",
    ),
    StageDefinition(
        "development",
        2,
        "First purchase; contribution small or none.",
        "Develop: build trust, cross-sell the next product.",
    ),
    StageDefinition(
        "growth",
        3,
        "Repeat and frequent business; revenue above cost.",
        "Grow: deepen the relationship and raise share of wallet.",
    ),
    StageDefinition(
        "maturity",
        4,
        "Highest share of wallet; stable business.",
        "Retain: reward loyalty, prevent defection, personalise service.",
    ),
    StageDefinition(
        "decline",
        5,
        "Transaction volume falling.",
        "Rescue, respond, improve or abandon, by cause and value.",
    ),
    StageDefinition(
        "terminated",
        6,
        "Business stopped and all debts and claims settled.",
        "Win back where worthwhile; otherwise close cleanly.",
    ),
)
